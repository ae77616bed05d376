"""Scoring an answer: pure functions over a recipe's text (format, requested ingredients, diets,
coherence, copying, repetition) and their averages over a set of answers.

evaluate.py scores every system with score_answer / score_hand_answer; training ships the checkpoint
with the best task_metrics; the tests check each metric on hand-made answers.
"""

import math
import re
from collections import Counter, defaultdict

import numpy as np

from chef.catalogue import (ANNOUNCED_DIETS, DIETS, DISH_RECIPES, EXCLUSIONS, INGREDIENTS, resolve_name, violates,
                            whole_words_re)
from chef.spanish import fold

COPY_CANDIDATES = 10  # training recipes compared word by word when looking for the closest one

# --- Reading a recipe (pure functions over text) -----------------------------
WORD_RE = re.compile(r"\w+")
INGREDIENTS_HEADER = re.compile(r"^[#*\s]*ingredientes[*\s]*:[*\s]*$", re.IGNORECASE)
STEPS_HEADER = re.compile(r"^[#*\s]*preparaci[oó]n[*\s]*:[*\s]*$", re.IGNORECASE)
ITEM_RE = re.compile(r"^[-*•]\s+(\S.*)$")
STEP_RE = re.compile(r"^(\d+)[.)]\s+(\S.*)$")


def words(text):
    """Lower-case words, the unit of the copy, repetition and diversity metrics."""
    return WORD_RE.findall(text.lower())


def parse_recipe(text):
    """Split an answer into its title (first line before any section, or None), `- ` ingredient
    items, numbered steps, section headers in order, and `other` lines (an intro, a closing remark)."""
    recipe = {"title": None, "ingredients": [], "steps": [], "sections": [], "other": []}
    section = None
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        header = "ingredients" if INGREDIENTS_HEADER.match(line) else "steps" if STEPS_HEADER.match(line) else None
        item, step = ITEM_RE.match(line), STEP_RE.match(line)
        if header:
            section = header
            recipe["sections"].append(section)
        elif section is None and recipe["title"] is None and not item and not step:
            recipe["title"] = line
        elif section == "ingredients" and item:
            recipe["ingredients"].append(item.group(1))
        elif section == "steps" and step:
            recipe["steps"].append((int(step.group(1)), step.group(2)))
        else:
            recipe["other"].append(line)
    return recipe


def format_check(text):
    """Which parts of the expected format an answer has; `valid` needs them all."""
    r = parse_recipe(text)
    numbers = [n for n, _ in r["steps"]]
    checks = {
        "title": r["title"] is not None,
        "ingredients": r["sections"].count("ingredients") == 1 and bool(r["ingredients"]),
        "steps": r["sections"].count("steps") == 1 and bool(r["steps"]),
        "sections_in_order": r["sections"] == ["ingredients", "steps"],
        "steps_numbered": bool(numbers) and numbers == list(range(1, len(numbers) + 1)),
    }
    checks["valid"] = all(checks.values())
    return checks


# --- Ingredient metrics (the catalogue is chef.catalogue.INGREDIENTS: name -> Ingredient) ---
_MATCHERS = {}


def name_matcher(names):
    """whole_words_re(names), cached: the same sets of names are looked for in every answer."""
    key = tuple(sorted(names))
    if key not in _MATCHERS:
        _MATCHERS[key] = whole_words_re(key)
    return _MATCHERS[key]


def mentions(text, catalogue):
    """Canonical catalogue names mentioned in text, once per mention, in order."""
    lower = {name.lower(): name for name in catalogue}
    return [lower[m.group(0).lower()] for m in name_matcher(lower).finditer(text)]


def find_ingredients(text, catalogue):
    """Canonical catalogue names mentioned in text (whole words, case-insensitive)."""
    return set(mentions(text, catalogue))


def recipe_parts(text):
    """(text of the `Ingredientes:` items, text of the numbered steps). Title, intro and tip are left
    out: a tip may suggest a variation, and a title may name the dish rather than what goes in it."""
    r = parse_recipe(text)
    return "\n".join(r["ingredients"]), "\n".join(t for _, t in r["steps"])


def request_families(request):
    """For each requested ingredient, the catalogue names that count as using it (the row's name first).

    Where the cook typed a generic word (`aliases`: {"pechuga de pollo": "pollo"}), any ingredient of
    its family counts. A dish asked for by name (`dish_name`: "paella") needs one ingredient of each
    core group plus whatever else the cook named; its optional ingredients are not required.
    """
    aliases = request.get("aliases") or {}
    dish = DISH_RECIPES.get(request.get("dish_name") or "")
    typed = fold(request.get("instruction", ""))
    families = []
    for name in dict.fromkeys(request["ingredients"]):
        if dish is not None:
            core = next((g for g in dish.core if name in g), None)
            if core is not None:
                families.append((name, *(n for n in core if n != name)))
            elif not any(name in g for g in dish.optional) or fold(name) in typed:
                families.append((name,))  # an ingredient the cook added to the dish
            continue
        family = resolve_name(aliases[name]) if name in aliases else ()
        families.append((name, *(n for n in family if n != name)))
    return families


def ingredient_recall(text, families, catalogue):
    """Share of the requested `families` (see request_families; a name is a family of one) named in the
    `Ingredientes:` list and in the steps."""
    families = list(dict.fromkeys((f,) if isinstance(f, str) else tuple(f) for f in families))
    if not families:
        return {"recall_list": 1.0, "recall_steps": 1.0, "missing_list": [], "missing_steps": []}
    items, steps = recipe_parts(text)
    in_list, in_steps = find_ingredients(items, catalogue), find_ingredients(steps, catalogue)
    missing_list = sorted(f[0] for f in families if in_list.isdisjoint(f))
    missing_steps = sorted(f[0] for f in families if in_steps.isdisjoint(f))
    n = len(families)
    return {"recall_list": 1 - len(missing_list) / n, "recall_steps": 1 - len(missing_steps) / n,
            "missing_list": missing_list, "missing_steps": missing_steps}


def used_ingredients(text, catalogue):
    """Catalogue names in the `Ingredientes:` list or the steps."""
    items, steps = recipe_parts(text)
    return find_ingredients(items + "\n" + steps, catalogue)


def unrequested_main(text, allowed, catalogue):
    """Main (non-pantry) catalogue ingredients the recipe uses that are not in `allowed` (see requested_use)."""
    used = used_ingredients(text, catalogue)
    return sorted(n for n in used if n not in set(allowed) and not catalogue[n].pantry)


def diet_violations(text, diet, catalogue, violates):
    """{constraint: [offending ingredients]} for each checked constraint of the request's diet."""
    used = used_ingredients(text, catalogue)
    return {c: sorted(n for n in used if violates(c, n)) for c in diet if c in DIETS}


def diet_check(text, diet, catalogue, violates):
    """The violated constraints ({constraint: [offending ingredients]}) and those checked."""
    broken = diet_violations(text, diet or [], catalogue, violates)
    return {"violations": {c: v for c, v in broken.items() if v}, "constraints_checked": sorted(broken)}


def requested_use(text, request, catalogue):
    """Recall of the requested ingredients and the unrequested main ones in one answer: what the
    checkpoint score reads (task_metrics), and part of score_answer."""
    families = request_families(request)
    allowed = {n for f in families for n in f}
    dish = DISH_RECIPES.get(request.get("dish_name") or "")
    if dish is not None:  # a dish asked for by name may use every ingredient it usually takes
        allowed.update(n for group in dish.core + dish.optional for n in group)
    return {**ingredient_recall(text, families, catalogue), "unrequested": unrequested_main(text, allowed, catalogue)}


# --- Coherence: does a recipe agree with itself? (whatever was asked) --------
COHERENCE_KINDS = ("unlisted", "repeated", "diet_announced")  # see coherence()


def unlisted_in_steps(text, catalogue):
    """Main catalogue ingredients the steps use that the `Ingredientes:` list lacks. Pantry basics are
    taken for granted; a shorter or longer form of a listed name ("cebolla", "cebolla morada") is fine."""
    items, steps = recipe_parts(text)
    listed = find_ingredients(items, catalogue)
    return sorted(n for n in find_ingredients(steps, catalogue) - listed
                  if not catalogue[n].pantry
                  and not any(name_matcher([n]).search(other) or name_matcher([other]).search(n) for other in listed))


def repeated_ingredients(text, catalogue):
    """{"list": names on two or more `Ingredientes:` items, "title": names the title says twice}.
    "Ensalada de tomate y tomates cherry" names two ingredients (the longest name is read first)."""
    r = parse_recipe(text)
    per_item = Counter(n for item in r["ingredients"] for n in find_ingredients(item, catalogue))
    in_title = Counter(mentions(r["title"] or "", catalogue))
    return {"list": sorted(n for n, c in per_item.items() if c > 1),
            "title": sorted(n for n, c in in_title.items() if c > 1)}


def announced_diets(text):
    """The diets a recipe says it follows before its first section (title, servings, intro): the
    closing tip is left out, "para una versión vegana, usa tofu" announces nothing."""
    head = []
    for line in text.splitlines():
        if INGREDIENTS_HEADER.match(line.strip()) or STEPS_HEADER.match(line.strip()):
            break
        head.append(line)
    return [d for d in DIETS if ANNOUNCED_DIETS[d].search("\n".join(head))]


def broken_announced_diets(text, catalogue, violates):
    """{diet: [offending ingredients]} for each diet the recipe announces and its own ingredients break."""
    broken = diet_violations(text, announced_diets(text), catalogue, violates)
    return {d: names for d, names in broken.items() if names}


def coherence(text, catalogue, violates):
    """The ways an answer contradicts itself (a flat dict, JSON-ready): the COHERENCE_KINDS found
    by unlisted_in_steps, repeated_ingredients and broken_announced_diets; `incoherent` if any."""
    unlisted = unlisted_in_steps(text, catalogue)
    repeated = repeated_ingredients(text, catalogue)
    diets = broken_announced_diets(text, catalogue, violates)
    found = {"unlisted": bool(unlisted), "repeated": bool(repeated["list"] or repeated["title"]),
             "diet_announced": bool(diets)}
    return {"unlisted_in_steps": unlisted, "listed_twice": repeated["list"], "title_repeats": repeated["title"],
            "announced_diet_broken": diets, "incoherent_kinds": [k for k in COHERENCE_KINDS if found[k]],
            "incoherent": any(found.values())}


# --- Text metrics ------------------------------------------------------------
def ngrams(w, n):
    return [tuple(w[i:i + n]) for i in range(len(w) - n + 1)]


def repeated_ngram_rate(text, n=4):
    """Share of the answer's word n-grams that repeat an earlier one (runaway loops score high)."""
    grams = ngrams(words(text), n)
    return (len(grams) - len(set(grams))) / len(grams) if grams else 0.0


def distinct_n(texts, n=2):
    """Distinct word n-grams over all n-grams, across a set of answers (1 = never the same phrase)."""
    grams = [g for w in map(words, texts) for g in ngrams(w, n)]
    return len(set(grams)) / len(grams) if grams else 0.0


def longest_common_run(a, b):
    """Length of the longest run of consecutive equal items shared by two sequences.

    Matches along one diagonal of the equality matrix are one shared run. With a False
    column appended, reading the matrix with a stride of one row plus one lays every
    diagonal end to end, separated by Falses: the answer is the longest run of Trues in
    one flat array (all in numpy, no Python loop over the matrix).
    """
    if not a or not b:
        return 0
    vocab = {}
    ia = np.array([vocab.setdefault(x, len(vocab)) for x in a])
    ib = np.array([vocab.setdefault(x, len(vocab)) for x in b])
    equal = np.zeros((len(ia), len(ib) + 1), dtype=bool)
    equal[:, :-1] = ia[:, None] == ib[None, :]
    stride = len(ib) + 2  # (i, j) -> (i + 1, j + 1) in the flat matrix
    flat = np.concatenate([equal.ravel(), np.zeros(-equal.size % stride, dtype=bool)])
    diagonals = np.zeros((stride, flat.size // stride + 1), dtype=bool)  # last column: separators
    diagonals[:, :-1] = flat.reshape(-1, stride).T
    edges = np.diff(np.concatenate(([0], diagonals.ravel().view(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return int((ends - starts).max()) if starts.size else 0


class CopyIndex:
    """Finds the training recipe an answer shares the longest run of words with: of the COPY_CANDIDATES
    sharing the most word 3-grams, weighted by rarity (template phrases count for little), the one with
    the longest common run, computed exactly."""

    def __init__(self, texts, candidates=COPY_CANDIDATES):
        self.candidates = candidates
        self.docs = [words(t) for t in texts]
        postings = defaultdict(list)
        for i, w in enumerate(self.docs):
            for g in set(ngrams(w, 3)):
                postings[g].append(i)
        n = len(self.docs)
        self.postings = {g: (np.array(ids), math.log(n / len(ids))) for g, ids in postings.items()}

    def closest(self, text):
        """(index of the closest training recipe, longest shared run in words)."""
        w = words(text)
        scores = np.zeros(len(self.docs))
        for g in set(ngrams(w, 3)):
            if g in self.postings:
                ids, weight = self.postings[g]
                scores[ids] += weight
        top = np.argsort(-scores, kind="stable")[: self.candidates]
        run, neg_index = max((longest_common_run(w, self.docs[i]), -int(i)) for i in top)
        return -neg_index, run


def copy_metrics(text, index):
    """The closest training recipe, the longest run of words shared with it, and that run's share."""
    w = words(text)
    closest, run = index.closest(text)
    return {"closest_training": closest, "copy_run": run, "copy_fraction": run / len(w) if w else 0.0}


def used_anyway(text, left_out):
    """The keys of left_out ({what the request leaves out: the names that count as it}) that the
    list or the steps still use, by any of those names or their plurals ("cebollas")."""
    items, steps = recipe_parts(text)
    return [what for what, names in left_out.items()
            if name_matcher([n for name in names for n in (name, name + "s")]).search(items + "\n" + steps)]


def score_answer(text, request, catalogue, violates, copy_index):
    """Every per-answer metric of one answer to one request (a flat dict, JSON-ready)."""
    fmt = format_check(text)
    return {
        "format_valid": fmt["valid"], "format": fmt,
        **requested_use(text, request, catalogue),
        "excluded": request.get("excluded") or [],
        "excluded_used": used_anyway(text, {thing: EXCLUSIONS[thing] for thing in request.get("excluded") or []}),
        **diet_check(text, request.get("diet"), catalogue, violates),
        "repeated_4gram": repeated_ngram_rate(text, 4), "words": len(words(text)),
        **copy_metrics(text, copy_index),
        **coherence(text, catalogue, violates),
    }


def group_hits(text, groups):
    """[(in the `Ingredientes:` list, in the steps)] for each must_use group: any of its names, whole word."""
    items, steps = recipe_parts(text)
    return [(bool(name_matcher(g).search(items)), bool(name_matcher(g).search(steps))) for g in groups]


def score_hand_answer(text, request, catalogue, violates):
    """Every metric of one answer to one hand-written request (a flat dict, JSON-ready). `fully_right`:
    every group in the list and the steps, nothing forbidden, the diet kept, the format valid
    (`counts`, `state` and `dish` are not checked yet)."""
    fmt = format_check(text)
    hits = group_hits(text, request["must_use"])
    forbidden = used_anyway(text, {s: (s,) for s in request.get("must_not") or []})
    diet = diet_check(text, request.get("diet"), catalogue, violates)
    used = sum(a and b for a, b in hits)
    return {
        "format_valid": fmt["valid"], "format": fmt,
        "groups": len(hits), "groups_list": sum(a for a, _ in hits), "groups_steps": sum(b for _, b in hits),
        "groups_used": used, "missing": [g[0] for g, (a, b) in zip(request["must_use"], hits) if not (a and b)],
        "forbidden": forbidden, **diet,
        "fully_right": used == len(hits) and not forbidden and not diet["violations"] and fmt["valid"],
        "words": len(words(text)), **coherence(text, catalogue, violates),
    }


def task_metrics(model, requests, batch_size, max_new_tokens):
    """Greedy answers of `model` (an HFModel in eval mode, or a GGUFModel) scored on what a user judges
    first: training ships the checkpoint with the highest `score` = mean recall - both shares."""
    prompts = [model.prompt_ids(r["instruction"]) for r in requests]
    settings = {"temperature": 0.0, "top_k": 0, "top_p": 1.0, "max_new_tokens": max_new_tokens}
    texts = [model.decode(ids) for ids, _ in model.generate(prompts, settings, batch_size=batch_size, seed=0)]
    scored = [requested_use(text, r, INGREDIENTS) for r, text in zip(requests, texts)]
    metrics = {"recall_list": mean(s["recall_list"] for s in scored),
               "recall_steps": mean(s["recall_steps"] for s in scored),
               "unrequested_rate": mean(bool(s["unrequested"]) for s in scored),
               "incoherent_rate": mean(coherence(text, INGREDIENTS, violates)["incoherent"] for text in texts)}
    metrics["score"] = ((metrics["recall_list"] + metrics["recall_steps"]) / 2
                        - metrics["unrequested_rate"] - metrics["incoherent_rate"])
    return metrics


# --- Aggregation and the report ----------------------------------------------
def mean(values):
    values = list(values)
    return sum(values) / len(values) if values else None


def summarize(scored, texts, losses=None):
    """Averages of one system's per-request scores, plus distinct-2 and the loss."""
    n = len(scored)
    summary = {"requests": n, **{key: mean(s[key] for s in scored) for key in ("recall_list", "recall_steps")},
               "unrequested_rate": mean(bool(s["unrequested"]) for s in scored),
               "format_valid": mean(s["format_valid"] for s in scored),
               "no_end": mean(not s["reached_end"] for s in scored),
               "repeated_4gram": mean(s["repeated_4gram"] for s in scored), "distinct_2": distinct_n(texts, 2),
               **{key: mean(s[key] for s in scored) for key in ("copy_run", "copy_fraction", "words")},
               **diet_summary(scored)}
    with_exclusion = [s for s in scored if s["excluded"]]
    summary.update(exclusion_rate=mean(bool(s["excluded_used"]) for s in with_exclusion),
                   exclusion_requests=len(with_exclusion))
    for c in DIETS:
        asked = [s for s in scored if c in s["constraints_checked"]]
        summary[f"violation:{c}"] = mean(c in s["violations"] for s in asked)
        summary[f"requests:{c}"] = len(asked)
    summary.update(coherence_summary(scored))
    if losses:
        nll, tokens = sum(l for l, _ in losses), sum(t for _, t in losses)
        summary.update(loss=nll / tokens, perplexity=math.exp(nll / tokens), loss_tokens=tokens)
    return summary


def diet_summary(scored):
    """Share of the answers to a request with a diet that break it, and how many had one."""
    with_diet = [s for s in scored if s["constraints_checked"]]
    return {"violation_rate": mean(bool(s["violations"]) for s in with_diet), "diet_requests": len(with_diet)}


def coherence_summary(scored):
    """Share of incoherent answers and of each kind (empty when coherence() was not scored)."""
    if not scored or "incoherent" not in scored[0]:
        return {}
    summary = {"incoherent": mean(s["incoherent"] for s in scored)}
    for k in COHERENCE_KINDS:
        summary[f"incoherent:{k}"] = mean(k in s["incoherent_kinds"] for s in scored)
    return summary


def summarize_hand(scored, requests):
    """Totals over the hand-written requests, and the shares fully right and incoherent for each `kind`."""
    groups = sum(s["groups"] for s in scored)
    with_not = [s for s, r in zip(scored, requests) if r.get("must_not")]
    by_kind = defaultdict(list)
    for s, r in zip(scored, requests):
        by_kind[r["kind"]].append(s)
    return {
        "requests": len(scored), "groups": groups,
        **{key: sum(s[key] for s in scored) / groups if groups else None
           for key in ("groups_list", "groups_steps", "groups_used")},
        "fully_right": mean(s["fully_right"] for s in scored),
        "forbidden_rate": mean(bool(s["forbidden"]) for s in with_not), "forbidden_requests": len(with_not),
        **diet_summary(scored),
        "format_valid": mean(s["format_valid"] for s in scored),
        "no_end": mean(not s["reached_end"] for s in scored),
        "words": mean(s["words"] for s in scored),
        **coherence_summary(scored),
        "by_kind": {k: {"requests": len(v), **{key: mean(s[key] for s in v) for key in ("fully_right", "incoherent")}}
                    for k, v in by_kind.items()},
    }
