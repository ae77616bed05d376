"""Measure Chef-Bot on requests it has never seen, against baselines built from the same data.

Held-out requests come from generate_dataset.py with another seed; every request whose
instruction or ingredient combination appears in the training file is dropped. For each
request we score four systems on the same metrics:

  * the model (greedy by default, through its chat template, batched);
  * an n-gram baseline: an interpolated Kneser-Ney token n-gram model (order 3) trained on
    the same file, over the model's own tokenizer, so both losses are nats per response token
    of the same token ids;
  * a nearest-recipe retriever: the training recipe whose ingredients overlap the request most;
  * the generator's own reference recipe (the ceiling).

Metrics (pure functions over text, per request, then averaged): held-out loss and perplexity on
the reference responses (response tokens and the end token only); ingredient recall in the
`Ingredientes:` list and in the `Preparación:` steps; recipes naming a main ingredient that was
not requested; diet violations (vegetariano, vegano, sin lactosa, sin gluten); format validity;
answers that never reach the end token; repeated word 4-grams within an answer; distinct-2
across answers; copying (longest run of words shared with the closest training recipe);
incoherent recipes (steps using a main ingredient the list lacks, an ingredient listed twice or
said twice in the title, a diet the recipe announces and its own ingredients break).

Generated requests are phrased like the training data. The model (only) also answers the requests
written by hand in peticiones_a_mano.jsonl, the way people type them (bare lists, generic names,
capitals, typos, dish names...), each with the ingredient groups it must use, what it must not use
and its diet; a second table gives the share of groups used, of requests fully right, per `kind`.

The Markdown tables are printed; with --card they are also written into the model card (README.md
of the model folder, between <!-- evaluation:start --> and <!-- evaluation:end -->; a GGUF's results
go between the evaluation-gguf markers of the --model folder's card), unless the card shows an
evaluation of more requests (a quick --num 20 never replaces the full one). Every generation goes
to a JSON file.

Commands:
  python evaluate.py                                   # chef-bot-scratch-final/, 300 requests, greedy
  python evaluate.py --card                            # the same, tables written into the model card
  python evaluate.py --num 20                          # quick look
  python evaluate.py --no-hand                         # the generated requests only
  python evaluate.py --hand-file mis_peticiones.jsonl  # another hand-written set, same format
  OMP_NUM_THREADS=1 python evaluate.py                 # CPU shared with other work: 1 thread was 2x faster
  python evaluate.py --temperature 0.7 --top-p 0.9     # the sampled setting the chat ships
  python evaluate.py --model runs/otro --data recetas_extended.jsonl --seed 99 --output-json otro.json
  python evaluate.py --gguf chef-bot-scratch.gguf      # the exported GGUF, through llama-cpp-python
"""

import json
import math
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from chef_common import (
    DATA_FILE,
    DIETS,
    MODEL_DIR,
    MODEL_NAME,
    REPO_DIR,
    ChefError,
    atomic_write_text,
    check_flag,
    check_model_dir,
    check_writable,
    format_prompt,
    hardware_name,
    import_heavy,
    make_parser,
    read_jsonl,
    run_main,
)

# ---------------------------------------------------------------------------
# Defaults
# ---------------------------------------------------------------------------
NUM_REQUESTS = 300  # held-out requests scored
SEED = 20261126  # generator seed of the held-out requests (the dataset uses another one)
OUTPUT_JSON = REPO_DIR / "eval_generations.json"  # every generation, for reading (gitignored)
HAND_FILE = REPO_DIR / "peticiones_a_mano.jsonl"  # requests written by hand, scored beside the generated ones
BATCH_SIZE = {"cpu": 64, "cuda": 256, "mps": 64}  # prompts generated together
LOSS_BATCH_SIZE = 16  # reference examples scored together
NGRAM_ORDER = 3  # the n-gram baseline: trigram over the model's tokens
COPY_CANDIDATES = 10  # training recipes compared word by word when looking for the closest one
CARD_START, CARD_END = "<!-- evaluation:start -->", "<!-- evaluation:end -->"
CARD_START_GGUF, CARD_END_GGUF = "<!-- evaluation-gguf:start -->", "<!-- evaluation-gguf:end -->"
SYSTEMS = ("model", "ngram", "retriever", "reference")  # columns of the table, in order

# ---------------------------------------------------------------------------
# Reading a recipe (pure functions over text)
# ---------------------------------------------------------------------------
WORD_RE = re.compile(r"\w+")
INGREDIENTS_HEADER = re.compile(r"^[#*\s]*ingredientes[*\s]*:[*\s]*$", re.IGNORECASE)
STEPS_HEADER = re.compile(r"^[#*\s]*preparaci[oó]n[*\s]*:[*\s]*$", re.IGNORECASE)
ITEM_RE = re.compile(r"^[-*•]\s+(\S.*)$")
STEP_RE = re.compile(r"^(\d+)[.)]\s+(\S.*)$")


def words(text):
    """Lower-case words, the unit of the copy, repetition and diversity metrics."""
    return WORD_RE.findall(text.lower())


def parse_recipe(text):
    """Split an answer into title, `- ` ingredient lines and numbered steps.

    Returns a dict: title (first line before any section, or None), ingredients (item texts),
    steps (list of (number, text)), sections (the headers in the order they appear).
    Lines that fit nowhere (an intro, a closing remark) are kept in `other`.
    """
    recipe = {"title": None, "ingredients": [], "steps": [], "sections": [], "other": []}
    section = None
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if INGREDIENTS_HEADER.match(line):
            section = "ingredients"
            recipe["sections"].append(section)
        elif STEPS_HEADER.match(line):
            section = "steps"
            recipe["sections"].append(section)
        elif section is None and recipe["title"] is None and not ITEM_RE.match(line) and not STEP_RE.match(line):
            recipe["title"] = line
        elif section == "ingredients" and ITEM_RE.match(line):
            recipe["ingredients"].append(ITEM_RE.match(line).group(1))
        elif section == "steps" and STEP_RE.match(line):
            m = STEP_RE.match(line)
            recipe["steps"].append((int(m.group(1)), m.group(2)))
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


# ---------------------------------------------------------------------------
# Ingredient metrics (the catalogue is generate_dataset.INGREDIENTS: name -> Ingredient)
# ---------------------------------------------------------------------------
_MATCHERS = {}


def _matcher(names):
    """One regex for a set of names; longest first, so "pimiento rojo" is not read as "pimiento"."""
    key = tuple(sorted(names))
    if key not in _MATCHERS:
        alternatives = "|".join(re.escape(n) for n in sorted(key, key=len, reverse=True))
        _MATCHERS[key] = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)
    return _MATCHERS[key]


def find_ingredients(text, catalogue):
    """Canonical catalogue names mentioned in text (whole words, case-insensitive)."""
    lower = {name.lower(): name for name in catalogue}
    return {lower[m.group(0).lower()] for m in _matcher(lower).finditer(text)}


def recipe_parts(text):
    """(text of the `Ingredientes:` items, text of the numbered steps) of an answer.

    Title, intro and closing tip are left out: a tip may suggest a variation, and a title
    may name the dish rather than what goes in it.
    """
    r = parse_recipe(text)
    items = "\n".join(r["ingredients"])
    steps = "\n".join(t for _, t in r["steps"])
    return items, steps


def request_families(request):
    """For each requested ingredient, the catalogue names that count as using it.

    A request names catalogue ingredients (`ingredients`); where the cook typed a generic word
    (`aliases`: {"pechuga de pollo": "pollo"}), any ingredient of that word's family counts:
    a "pollo" request answered with muslos de pollo uses what was asked for. A dish asked for by
    name (`dish_name`: "paella") needs one ingredient of each of its core groups (arroz redondo
    or arroz bomba, ...) plus whatever else the cook named; its optional ingredients are not
    required (see request_allowed). The first name of each family is the one the row holds.
    """
    from generate_dataset import DISH_RECIPES, resolve_name, strip_accents

    aliases = request.get("aliases") or {}
    dish = DISH_RECIPES.get(request.get("dish_name") or "")
    typed = strip_accents(request.get("instruction", "").lower())
    families = []
    for name in dict.fromkeys(request["ingredients"]):
        if dish is not None:
            core = next((g for g in dish.core if name in g), None)
            if core is not None:
                families.append((name, *(n for n in core if n != name)))
            elif not any(name in g for g in dish.optional) or strip_accents(name.lower()) in typed:
                families.append((name,))  # an ingredient the cook added to the dish
            continue
        family = resolve_name(aliases[name]) if name in aliases else ()
        families.append((name, *(n for n in family if n != name)))
    return families


def request_allowed(request, families):
    """Catalogue names a recipe may use without counting as unrequested: the requested families,
    and for a dish asked for by name, every ingredient that dish usually takes."""
    from generate_dataset import DISH_RECIPES

    allowed = {n for f in families for n in f}  # families: request_families(request)
    dish = DISH_RECIPES.get(request.get("dish_name") or "")
    if dish is not None:
        allowed.update(n for group in dish.core + dish.optional for n in group)
    return allowed


def _families(requested):
    """Families as tuples; a plain catalogue name is a family of one."""
    return list(dict.fromkeys((f,) if isinstance(f, str) else tuple(f) for f in requested))


def ingredient_recall(text, families, catalogue):
    """Share of the requested ingredients named in the `Ingredientes:` list and in the steps.

    `families`: catalogue names, or families of them (see request_families)."""
    families = _families(families)
    if not families:
        return {"list": 1.0, "steps": 1.0, "missing_list": [], "missing_steps": []}
    items, steps = recipe_parts(text)
    in_list, in_steps = find_ingredients(items, catalogue), find_ingredients(steps, catalogue)
    missing_list = sorted(f[0] for f in families if in_list.isdisjoint(f))
    missing_steps = sorted(f[0] for f in families if in_steps.isdisjoint(f))
    n = len(families)
    return {"list": 1 - len(missing_list) / n, "steps": 1 - len(missing_steps) / n,
            "missing_list": missing_list, "missing_steps": missing_steps}


def unrequested_main(text, allowed, catalogue):
    """Main (non-pantry) catalogue ingredients the recipe uses that are not in `allowed`
    (the requested names; see request_allowed)."""
    items, steps = recipe_parts(text)
    used = find_ingredients(items + "\n" + steps, catalogue)
    return sorted(n for n in used if n not in set(allowed) and not catalogue[n].pantry)


def diet_violations(text, diet, catalogue, violates):
    """{constraint: [offending ingredients]} for each checked constraint of the request's diet."""
    items, steps = recipe_parts(text)
    used = find_ingredients(items + "\n" + steps, catalogue)
    return {c: sorted(n for n in used if violates(c, n)) for c in diet if c in DIETS}


# ---------------------------------------------------------------------------
# Coherence: does a recipe agree with itself? (whatever was asked)
# ---------------------------------------------------------------------------
# How a recipe announces a diet: as the generator writes it ("Receta vegana.") and a few
# ways people do. Looked for in the recipe's head only (see recipe_head).
ANNOUNCED_DIETS = {
    "vegetariano": re.compile(r"(?<!\w)(?:vegetarian[oa]s?|sin carne ni pescado)(?!\w)", re.IGNORECASE),
    "vegano": re.compile(r"(?<!\w)vegan[oa]s?(?!\w)", re.IGNORECASE),
    "sin gluten": re.compile(r"(?<!\w)(?:sin gluten|aptas? para cel[ií]acos)(?!\w)", re.IGNORECASE),
    "sin lactosa": re.compile(r"(?<!\w)(?:sin lactosa|sin l[aá]cteos)(?!\w)", re.IGNORECASE),
}
COHERENCE_KINDS = ("unlisted", "repeated", "diet_announced")  # see coherence()


def _contains_word(text, name):
    return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.IGNORECASE) is not None


def unlisted_in_steps(text, catalogue):
    """Main catalogue ingredients the steps use that the recipe's `Ingredientes:` list lacks.

    Pantry basics (sal, aceite, agua...) are left out: recipes take them for granted. A step
    naming a shorter or longer form of a listed name ("cebolla" for "cebolla morada") is fine.
    """
    items, steps = recipe_parts(text)
    listed = find_ingredients(items, catalogue)
    return sorted(n for n in find_ingredients(steps, catalogue) - listed
                  if not catalogue[n].pantry
                  and not any(_contains_word(other, n) or _contains_word(n, other) for other in listed))


def repeated_ingredients(text, catalogue):
    """{"list": names on two or more `Ingredientes:` items, "title": names the title says twice}.

    "Sopa de chorizo, chorizo y lentejas" repeats chorizo; "Ensalada de tomate y tomates cherry"
    names two different ingredients (the longest name is read first).
    """
    r = parse_recipe(text)
    per_item = Counter(n for item in r["ingredients"] for n in find_ingredients(item, catalogue))
    lower = {name.lower(): name for name in catalogue}
    in_title = Counter(lower[m.group(0).lower()] for m in _matcher(lower).finditer(r["title"] or ""))
    return {"list": sorted(n for n, c in per_item.items() if c > 1),
            "title": sorted(n for n, c in in_title.items() if c > 1)}


def recipe_head(text):
    """What comes before the `Ingredientes:` list: title, servings line, intro.

    The closing tip is not part of it: "para una versión vegana, usa tofu" announces nothing.
    """
    head = []
    for line in text.splitlines():
        if INGREDIENTS_HEADER.match(line.strip()) or STEPS_HEADER.match(line.strip()):
            break
        head.append(line)
    return "\n".join(head)


def announced_diets(text):
    """The diets (chef_common.DIETS) a recipe says it follows, in its head."""
    head = recipe_head(text)
    return [d for d in DIETS if ANNOUNCED_DIETS[d].search(head)]


def broken_announced_diets(text, catalogue, violates):
    """{diet: [offending ingredients]} for each diet the recipe announces and its own ingredients break."""
    broken = diet_violations(text, announced_diets(text), catalogue, violates)
    return {d: names for d, names in broken.items() if names}


def coherence(text, catalogue, violates):
    """The ways an answer contradicts itself (a flat dict, JSON-ready).

    Kinds: `unlisted` (steps use a main ingredient the list lacks), `repeated` (an ingredient on
    two list items, or said twice in the title), `diet_announced` (a diet the recipe announces,
    broken by its own ingredients). `incoherent` when any of them happens.
    """
    unlisted = unlisted_in_steps(text, catalogue)
    repeated = repeated_ingredients(text, catalogue)
    diets = broken_announced_diets(text, catalogue, violates)
    found = {"unlisted": bool(unlisted), "repeated": bool(repeated["list"] or repeated["title"]),
             "diet_announced": bool(diets)}
    return {"unlisted_in_steps": unlisted, "listed_twice": repeated["list"], "title_repeats": repeated["title"],
            "announced_diet_broken": diets, "incoherent_kinds": [k for k in COHERENCE_KINDS if found[k]],
            "incoherent": any(found.values())}


# ---------------------------------------------------------------------------
# Text metrics
# ---------------------------------------------------------------------------
def repeated_ngram_rate(text, n=4):
    """Share of the answer's word n-grams that repeat an earlier one (runaway loops score high)."""
    w = words(text)
    grams = [tuple(w[i:i + n]) for i in range(len(w) - n + 1)]
    return (len(grams) - len(set(grams))) / len(grams) if grams else 0.0


def distinct_n(texts, n=2):
    """Distinct word n-grams over all n-grams, across a set of answers (1 = never the same phrase)."""
    grams = [tuple(w[i:i + n]) for w in map(words, texts) for i in range(len(w) - n + 1)]
    return len(set(grams)) / len(grams) if grams else 0.0


def longest_common_run(a, b):
    """Length of the longest run of consecutive equal items shared by two sequences.

    Matches along one diagonal of the equality matrix are one shared run. With a False
    column appended, reading the matrix with a stride of one row plus one lays every
    diagonal end to end, separated by Falses: the answer is the longest run of Trues in
    one flat array (all in numpy, no Python loop over the matrix).
    """
    import numpy as np

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
    """Finds the training recipe an answer shares the longest run of words with.

    Candidates are the COPY_CANDIDATES training recipes sharing the most word 3-grams with the
    answer, weighted by rarity (template phrases found in every recipe count for little); the
    closest is the candidate with the longest common run, computed exactly.
    """

    def __init__(self, texts, candidates=COPY_CANDIDATES):
        import numpy as np

        self.np, self.candidates = np, candidates
        self.docs = [words(t) for t in texts]
        postings = defaultdict(list)
        for i, w in enumerate(self.docs):
            for g in {tuple(w[j:j + 3]) for j in range(len(w) - 2)}:
                postings[g].append(i)
        n = len(self.docs)
        self.postings = {g: (np.array(ids), math.log(n / len(ids))) for g, ids in postings.items()}

    def closest(self, text):
        """(index of the closest training recipe, longest shared run in words)."""
        np = self.np
        w = words(text)
        scores = np.zeros(len(self.docs))
        for g in {tuple(w[j:j + 3]) for j in range(len(w) - 2)}:
            if g in self.postings:
                ids, weight = self.postings[g]
                scores[ids] += weight
        top = np.argsort(-scores, kind="stable")[: self.candidates]
        runs = [(longest_common_run(w, self.docs[i]), -int(i)) for i in top]
        run, neg_index = max(runs)
        return -neg_index, run


def copy_metrics(text, index):
    w = words(text)
    closest, run = index.closest(text)
    return {"closest_training": closest, "copy_run": run, "copy_fraction": run / len(w) if w else 0.0}


def score_answer(text, request, catalogue, violates, copy_index):
    """Every per-answer metric of one answer to one request (a flat dict, JSON-ready)."""
    fmt = format_check(text)
    families = request_families(request)
    recall = ingredient_recall(text, families, catalogue)
    extra = unrequested_main(text, request_allowed(request, families), catalogue)
    broken = diet_violations(text, request.get("diet") or [], catalogue, violates)
    return {
        "format_valid": fmt["valid"],
        "format": fmt,
        "recall_list": recall["list"],
        "recall_steps": recall["steps"],
        "missing_list": recall["missing_list"],
        "missing_steps": recall["missing_steps"],
        "unrequested": extra,
        "violations": {c: v for c, v in broken.items() if v},
        "constraints_checked": sorted(broken),
        "repeated_4gram": repeated_ngram_rate(text, 4),
        "words": len(words(text)),
        **copy_metrics(text, copy_index),
    }


# ---------------------------------------------------------------------------
# Held-out requests
# ---------------------------------------------------------------------------
def training_combinations(rows, catalogue):
    """Ingredient combination (frozenset of main ingredients) of each training row.

    Rows from the generator carry their `ingredients`; for other files they are read from the
    recipe's ingredient list (main ingredients only: pantry basics go with every request).
    """
    combos = []
    for row in rows:
        names = row.get("ingredients")
        if not isinstance(names, list):
            items, _ = recipe_parts(row["response"])
            names = [n for n in find_ingredients(items, catalogue) if not catalogue[n].pantry]
        combos.append(frozenset(names))
    return combos


def same_text(text):
    """An instruction as compared for exclusion: capitals and spacing do not make it new."""
    return " ".join(text.lower().split())


def heldout_requests(train_rows, train_combos, num, seed, generate_examples):
    """num new generator requests sharing no instruction and no ingredient combination with training."""
    train_instructions = {same_text(r["instruction"]) for r in train_rows}
    asked, picked = num, []
    for _ in range(6):  # ask for more each round: most requests are new, some collide with training
        picked, instructions, combos = [], set(train_instructions), set(train_combos)
        for ex in generate_examples(asked, seed):
            text, combo = same_text(ex["instruction"]), frozenset(ex["ingredients"])
            if text in instructions or combo in combos:
                continue
            instructions.add(text)  # no duplicates among the held-out requests either
            combos.add(combo)
            picked.append(ex)
            if len(picked) == num:
                return picked
        asked *= 2
    raise ChefError(f"solo encuentro {len(picked)} peticiones nuevas de {num} con --seed {seed}: "
                    "prueba otra semilla o un --num menor")


# ---------------------------------------------------------------------------
# Hand-written requests (peticiones_a_mano.jsonl)
# ---------------------------------------------------------------------------
# One JSON object a line: {"request": "pollo, arroz", "must_use": [["pechuga de pollo", ..., "pollo"],
# [...]], "must_not": ["nata"], "diet": ["sin lactosa"], "kind": "list"}. A must_use group is one
# thing the cook asked for, written as the names that count for it (catalogue names and the
# cook's own word); must_not lists what the request excludes ("sin cebolla").
HAND_KINDS = {  # `kind` -> how the table names it
    "list": "lista escueta", "single": "un solo ingrediente", "generic": "nombre genérico (pollo, queso...)",
    "plural": "plural o singular", "caps": "en MAYÚSCULAS", "accents": "sin tildes", "typo": "con erratas",
    "quantity": "con cantidades", "diet": "dieta o «sin ...»", "servings": "para N personas",
    "dessert": "postres y batidos", "long": "lista larga (6-8)", "greeting": "con saludo delante",
    "dish": "nombre de un plato",
}


def _strings(value):
    return isinstance(value, list) and all(isinstance(s, str) and s.strip() for s in value)


def read_hand_requests(path):
    """The hand-written requests, checked; a bad one raises ChefError naming file and request."""
    path = Path(path)
    if not path.is_file():
        raise ChefError(f"no existe el fichero de peticiones a mano {path} (o usa --no-hand)")
    rows = read_jsonl(path, required=("request", "kind"))
    for n, row in enumerate(rows, 1):
        groups = row.get("must_use")
        if not isinstance(groups, list) or not all(_strings(g) and g for g in groups):
            raise ChefError(f"{path}: petición {n}: 'must_use' debe ser una lista de listas de nombres")
        if not _strings(row.setdefault("must_not", [])):
            raise ChefError(f"{path}: petición {n}: 'must_not' debe ser una lista de nombres")
        if not _strings(row.setdefault("diet", [])) or not set(row["diet"]) <= set(DIETS):
            raise ChefError(f"{path}: petición {n}: 'diet' solo admite {', '.join(DIETS)}")
    return rows


def group_hits(text, groups):
    """[(in the `Ingredientes:` list, in the steps)] for each must_use group: any of its names, whole word."""
    items, steps = recipe_parts(text)
    return [(bool(_matcher(g).search(items)), bool(_matcher(g).search(steps))) for g in groups]


def forbidden_found(text, must_not):
    """The must_not strings the list or the steps name (whole word, case-insensitive)."""
    items, steps = recipe_parts(text)
    return [s for s in must_not if _matcher([s]).search(items + "\n" + steps)]


def score_hand_answer(text, request, catalogue, violates):
    """Every metric of one answer to one hand-written request (a flat dict, JSON-ready).

    `fully_right`: every group in the list and in the steps, nothing forbidden, the diet kept,
    the format valid.
    """
    fmt = format_check(text)
    hits = group_hits(text, request["must_use"])
    forbidden = forbidden_found(text, request.get("must_not") or [])
    broken = diet_violations(text, request.get("diet") or [], catalogue, violates)
    violations = {c: v for c, v in broken.items() if v}
    used = sum(a and b for a, b in hits)
    return {
        "format_valid": fmt["valid"],
        "format": fmt,
        "groups": len(hits),
        "groups_list": sum(a for a, _ in hits),
        "groups_steps": sum(b for _, b in hits),
        "groups_used": used,
        "missing": [g[0] for g, (a, b) in zip(request["must_use"], hits) if not (a and b)],
        "forbidden": forbidden,
        "violations": violations,
        "constraints_checked": sorted(broken),
        "fully_right": used == len(hits) and not forbidden and not violations and fmt["valid"],
        "words": len(words(text)),
        **coherence(text, catalogue, violates),
    }


# ---------------------------------------------------------------------------
# Baselines
# ---------------------------------------------------------------------------
class KneserNeyLM:
    """Interpolated Kneser-Ney n-gram model over token ids.

    P(w | h) = max(c(h w) - D, 0) / c(h) + D N1+(h .) / c(h) * P(w | h minus its first token),
    with continuation counts below the top order and a uniform distribution under the unigrams,
    so every token of the vocabulary gets a probability and each distribution sums to 1.
    Sequences are padded on the left with the end token (the model's BOS as well).
    """

    def __init__(self, sequences, vocab_size, order, pad_id):
        self.order, self.vocab_size, self.pad_id = order, vocab_size, pad_id
        top = Counter()
        for seq in sequences:
            padded = [pad_id] * (order - 1) + list(seq)
            top.update(tuple(padded[i:i + order]) for i in range(len(padded) - order + 1))
        counts = {order: top}
        for k in range(order - 1, 0, -1):  # continuation counts: distinct left neighbours
            counts[k] = Counter(g[1:] for g in counts[k + 1])
        self.tables, self.discount = {}, {}
        for k, grams in counts.items():
            n1 = sum(1 for c in grams.values() if c == 1)
            n2 = sum(1 for c in grams.values() if c == 2)
            self.discount[k] = n1 / (n1 + 2 * n2) if n1 + n2 else 0.5
            table = defaultdict(dict)
            for g, c in grams.items():
                table[g[:-1]][g[-1]] = c
            # per context: (counts of the next token, total, distinct next tokens)
            self.tables[k] = {h: (nxt, sum(nxt.values()), len(nxt)) for h, nxt in table.items()}
        self._vectors = {}

    def _contexts(self, history):
        h = tuple(([self.pad_id] * (self.order - 1) + list(history))[-(self.order - 1):]) if self.order > 1 else ()
        return [h[len(h) - (k - 1):] if k > 1 else () for k in range(1, self.order + 1)]

    def prob(self, token, history):
        """P(token | last order-1 tokens of history)."""
        p = 1.0 / self.vocab_size
        for k, h in enumerate(self._contexts(history), 1):
            entry = self.tables[k].get(h)
            if entry is None:
                break  # an unseen context: its longer versions are unseen too
            nxt, total, distinct = entry
            d = self.discount[k]
            p = max(nxt.get(token, 0) - d, 0) / total + d * distinct / total * p
        return p

    def distribution(self, history):
        """The whole next-token distribution (numpy vector), for generation."""
        import numpy as np

        p = np.full(self.vocab_size, 1.0 / self.vocab_size)
        for k, h in enumerate(self._contexts(history), 1):
            entry = self.tables[k].get(h)
            if entry is None:
                break
            nxt, total, distinct = entry
            d = self.discount[k]
            key = (k, h)
            if key not in self._vectors:
                self._vectors[key] = (np.fromiter(nxt, dtype=np.int64, count=len(nxt)),
                                      np.maximum(np.fromiter(nxt.values(), dtype=float, count=len(nxt)) - d, 0) / total)
            ids, mass = self._vectors[key]
            p = p * (d * distinct / total)
            p[ids] += mass
        return p

    def nll(self, response_ids, prompt_ids):
        """Summed negative log-likelihood (nats) of the response tokens after the prompt."""
        history, total = list(prompt_ids), 0.0
        for t in response_ids:
            total -= math.log(self.prob(t, history))
            history.append(t)
        return total

    def generate(self, prompt_ids, max_new_tokens, eos_id, temperature=0.0, top_k=0, top_p=1.0, generator=None):
        """(new token ids, reached_end); greedy when temperature is 0, else sampled by the chat's
        own sample_next, its log-probabilities standing for the logits (torch.Generator)."""
        import torch

        from inference_scratch import sample_next

        history, out = list(prompt_ids), []
        for _ in range(max_new_tokens):
            scores = torch.from_numpy(self.distribution(history)).log()
            t = sample_next(scores, temperature, top_k, top_p, generator=generator)
            out.append(t)
            if t == eos_id:
                return out, True
            history.append(t)
        return out, False


def nearest_recipe(requested, train_combos):
    """Index of the training recipe sharing the most ingredients with the request.

    Ties go to the recipe with fewer ingredients that were not asked for, then to the first.
    """
    want = set(requested)
    return max(range(len(train_combos)),
               key=lambda i: (len(want & train_combos[i]), -len(train_combos[i] - want), -i))


# ---------------------------------------------------------------------------
# The model: Hugging Face folder or GGUF, behind the same few methods
# ---------------------------------------------------------------------------
class HFModel:
    """A model folder of train_from_scratch.py, decoded in left-padded batches."""

    def __init__(self, model, tokenizer, device, name):
        self.model, self.tokenizer, self.device, self.name = model, tokenizer, device, name
        self.eos_id = self.model.config.eos_token_id
        self.pad_id = self.model.config.pad_token_id
        self.vocab_size = self.model.config.vocab_size
        self.context = self.model.config.max_position_embeddings

    @classmethod
    def load(cls, model_dir, device):
        from chef_common import load_model

        model, tokenizer = load_model(model_dir, device=device)
        return cls(model, tokenizer, device, f"{MODEL_NAME} ({Path(model_dir).name})")

    def encode(self, text):
        return self.tokenizer(text, add_special_tokens=False)["input_ids"]

    def decode(self, ids):
        return self.tokenizer.decode(ids, skip_special_tokens=True)

    def render(self, instruction, response=None):
        """The chat template's text for a request (and its answer, when given)."""
        messages = [{"role": "user", "content": instruction}]
        if response is not None:
            messages.append({"role": "assistant", "content": response})
        return self.tokenizer.apply_chat_template(messages, add_generation_prompt=response is None, tokenize=False)

    def response_nll(self, examples, progress):
        """[(summed nll, n tokens)] of each (prompt_ids, response_ids), in batches."""
        import torch

        results = []
        for start in range(0, len(examples), LOSS_BATCH_SIZE):
            batch = examples[start:start + LOSS_BATCH_SIZE]
            width = max(len(p) + len(r) for p, r in batch)
            ids = torch.full((len(batch), width), self.pad_id, dtype=torch.long)
            for row, (p, r) in enumerate(batch):
                ids[row, :len(p) + len(r)] = torch.tensor(p + r)
            # Right padding needs no attention mask: causal attention never lets a real token see a pad.
            with torch.inference_mode():
                logits = self.model(input_ids=ids.to(self.device)).logits
                for row, (p, r) in enumerate(batch):
                    # the logits at position t predict token t + 1: the prompt's last one predicts r[0]
                    scores = logits[row, len(p) - 1:len(p) + len(r) - 1].float()
                    target = torch.tensor(r, device=scores.device)
                    nll = torch.nn.functional.cross_entropy(scores, target, reduction="sum").item()
                    results.append((nll, len(r)))
            progress.update(len(batch))
        return results

    def generate(self, prompts, settings, progress, batch_size, seed):
        """[(new token ids, reached_end)] for each prompt (a list of ids), batch by batch.

        Prompts are sorted by length so a batch holds similar lengths (little left padding).
        The chat's own loop, inference_scratch.decode, runs each batch: on 2 CPU cores it
        measured ~30 % faster than HF generate (same tokens), and a recipe leaves the batch at
        its end token instead of waiting for the longest one.
        """
        import torch

        from inference_scratch import decode

        generator = torch.Generator().manual_seed(seed)  # sampling runs on CPU, as in the chat
        sampling = {key: settings[key] for key in ("max_new_tokens", "temperature", "top_k", "top_p")}
        order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
        outputs = [[] for _ in prompts]
        for start in range(0, len(order), batch_size):
            chunk = order[start:start + batch_size]
            for step in decode(self.model, [prompts[i] for i in chunk], **sampling,
                               eos_token_id=self.eos_id, generator=generator):
                for row, token in step.items():
                    outputs[chunk[row]].append(token)
            progress.update(len(chunk))
        return [(tokens, bool(tokens) and tokens[-1] == self.eos_id) for tokens in outputs]


def task_metrics(model, requests, batch_size, max_new_tokens):
    """Greedy answers to requests scored on what a user judges first, for choosing a checkpoint.

    `model`: an HFModel (or GGUFModel). Returns recall in the list and in the steps, the share of
    recipes with an unrequested main ingredient, and `score` = mean recall - unrequested share:
    training ships the checkpoint with the highest score. Dropout is off while answering.
    """
    from generate_dataset import INGREDIENTS

    class NoBar:
        def update(self, n):
            pass

    prompts = [model.encode(model.render(r["instruction"])) for r in requests]
    settings = {"temperature": 0.0, "top_k": 0, "top_p": 1.0, "max_new_tokens": max_new_tokens}
    torch_model = getattr(model, "model", None)
    was_training = getattr(torch_model, "training", False)
    if was_training:
        torch_model.eval()
    try:
        answers = model.generate(prompts, settings, NoBar(), batch_size, seed=0)
    finally:
        if was_training:
            torch_model.train()
    list_recall, steps_recall, unrequested = [], [], []
    for request, (ids, _) in zip(requests, answers):
        text = model.decode(ids)
        families = request_families(request)
        recall = ingredient_recall(text, families, INGREDIENTS)
        list_recall.append(recall["list"])
        steps_recall.append(recall["steps"])
        unrequested.append(bool(unrequested_main(text, request_allowed(request, families), INGREDIENTS)))
    metrics = {"recall_list": mean(list_recall), "recall_steps": mean(steps_recall),
               "unrequested_rate": mean(unrequested)}
    metrics["score"] = (metrics["recall_list"] + metrics["recall_steps"]) / 2 - metrics["unrequested_rate"]
    return metrics


def check_gguf(path):
    path = Path(path)
    if not path.is_file():
        raise ChefError(f"no existe el fichero GGUF {path} (créalo con: python convert_to_gguf.py)")
    return path


class GGUFModel:
    """A GGUF file through llama-cpp-python: same methods as HFModel, one request at a time."""

    def __init__(self, path):
        path = check_gguf(path)
        try:
            from llama_cpp import Llama
        except ImportError:
            raise ChefError("--gguf necesita llama-cpp-python (pip install llama-cpp-python)") from None
        try:
            # n_ctx=0: the context the model was trained with; logits_all for the loss.
            self.llm = Llama(str(path), n_ctx=0, n_batch=4096, logits_all=True, verbose=False)
        except Exception as err:  # noqa: BLE001 - llama.cpp reports a bad file in many ways
            raise ChefError(f"no puedo cargar el GGUF {path}: {str(err).splitlines()[0] if str(err) else err}") from None
        self.context = self.llm.n_ctx()
        self.eos_id = self.llm.token_eos()
        self.vocab_size = self.llm.n_vocab()
        self.template = self.llm.metadata.get("tokenizer.chat_template")
        if not self.template:
            raise ChefError(f"el GGUF {path} no trae plantilla de chat (tokenizer.chat_template)")
        self.name = f"{MODEL_NAME} (GGUF {path.name})"

    def encode(self, text):
        return self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)

    def decode(self, ids):
        return self.llm.detokenize([i for i in ids if i != self.eos_id]).decode("utf-8", errors="replace")

    def render(self, instruction, response=None):
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        messages = [{"role": "user", "content": instruction}]
        if response is not None:
            messages.append({"role": "assistant", "content": response})
        env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
        return env.from_string(self.template).render(messages=messages, add_generation_prompt=response is None)

    def response_nll(self, examples, progress):
        import numpy as np

        results = []
        for p, r in examples:
            self.llm.reset()
            self.llm.eval(p + r)
            logits = np.asarray(self.llm.scores[len(p) - 1:len(p) + len(r) - 1], dtype=np.float64)
            logz = np.log(np.exp(logits - logits.max(-1, keepdims=True)).sum(-1)) + logits.max(-1)
            results.append((float((logz - logits[np.arange(len(r)), r]).sum()), len(r)))
            progress.update(1)
        return results

    def generate(self, prompts, settings, progress, batch_size, seed):
        results = []
        for p in prompts:
            limit = min(settings["max_new_tokens"], self.context - len(p))
            out, ended = [], False
            self.llm.set_seed(seed)
            tokens = self.llm.generate(p, temp=settings["temperature"], top_k=settings["top_k"],
                                       top_p=settings["top_p"], min_p=0.0, repeat_penalty=1.0, reset=True)
            for t in tokens:
                out.append(t)
                if t == self.eos_id:
                    ended = True
                    break
                if len(out) >= limit:
                    break
            results.append((out, ended))
            progress.update(1)
        return results


# ---------------------------------------------------------------------------
# Aggregation and the report
# ---------------------------------------------------------------------------
def mean(values):
    values = list(values)
    return sum(values) / len(values) if values else None


def summarize(scored, texts, losses=None):
    """Averages of one system's per-request scores, plus distinct-2 and the loss."""
    n = len(scored)
    summary = {
        "requests": n,
        "recall_list": mean(s["recall_list"] for s in scored),
        "recall_steps": mean(s["recall_steps"] for s in scored),
        "unrequested_rate": mean(bool(s["unrequested"]) for s in scored),
        "format_valid": mean(s["format_valid"] for s in scored),
        "no_end": mean(not s["reached_end"] for s in scored),
        "repeated_4gram": mean(s["repeated_4gram"] for s in scored),
        "distinct_2": distinct_n(texts, 2),
        "copy_run": mean(s["copy_run"] for s in scored),
        "copy_fraction": mean(s["copy_fraction"] for s in scored),
        "words": mean(s["words"] for s in scored),
    }
    with_diet = [s for s in scored if s["constraints_checked"]]
    summary["violation_rate"] = mean(bool(s["violations"]) for s in with_diet)
    summary["diet_requests"] = len(with_diet)
    for c in DIETS:
        asked = [s for s in scored if c in s["constraints_checked"]]
        summary[f"violation:{c}"] = mean(c in s["violations"] for s in asked)
        summary[f"requests:{c}"] = len(asked)
    summary.update(coherence_summary(scored))
    if losses:
        nll, tokens = sum(l for l, _ in losses), sum(t for _, t in losses)
        summary["loss"] = nll / tokens
        summary["perplexity"] = math.exp(nll / tokens)
        summary["loss_tokens"] = tokens
    return summary


def coherence_summary(scored):
    """Share of incoherent answers and of each kind (empty when coherence() was not scored)."""
    if not scored or "incoherent" not in scored[0]:
        return {}
    summary = {"incoherent": mean(s["incoherent"] for s in scored)}
    for k in COHERENCE_KINDS:
        summary[f"incoherent:{k}"] = mean(k in s["incoherent_kinds"] for s in scored)
    return summary


def summarize_hand(scored, requests):
    """Totals over the hand-written requests, and the share fully right for each `kind`."""
    groups = sum(s["groups"] for s in scored)
    with_not = [s for s, r in zip(scored, requests) if r.get("must_not")]
    with_diet = [s for s in scored if s["constraints_checked"]]
    by_kind = defaultdict(list)
    for s, r in zip(scored, requests):
        by_kind[r["kind"]].append(s["fully_right"])
    return {
        "requests": len(scored),
        "groups": groups,
        "groups_list": sum(s["groups_list"] for s in scored) / groups if groups else None,
        "groups_steps": sum(s["groups_steps"] for s in scored) / groups if groups else None,
        "groups_used": sum(s["groups_used"] for s in scored) / groups if groups else None,
        "fully_right": mean(s["fully_right"] for s in scored),
        "forbidden_rate": mean(bool(s["forbidden"]) for s in with_not),
        "forbidden_requests": len(with_not),
        "violation_rate": mean(bool(s["violations"]) for s in with_diet),
        "diet_requests": len(with_diet),
        "format_valid": mean(s["format_valid"] for s in scored),
        "no_end": mean(not s["reached_end"] for s in scored),
        "words": mean(s["words"] for s in scored),
        **coherence_summary(scored),
        "by_kind": {k: {"requests": len(v), "fully_right": mean(v)} for k, v in by_kind.items()},
    }


# Rows shared by both tables: label, summary key.
COHERENCE_ROWS = [
    ("recetas incoherentes (se contradicen a sí mismas)", "incoherent"),
    ("· los pasos usan un ingrediente que no está en la lista", "incoherent:unlisted"),
    ("· un ingrediente repetido en la lista o en el título", "incoherent:repeated"),
    ("· anuncia una dieta que sus ingredientes incumplen", "incoherent:diet_announced"),
]


def pct(x):
    return "—" if x is None else f"{100 * x:.1f} %"


def num(x, digits=2):
    return "—" if x is None else f"{x:.{digits}f}"


def markdown_table(summaries, headers):
    """The comparison table: one row per metric, one column per system."""
    rows = [
        ("pérdida reservada (nats/token de respuesta)", lambda s: num(s.get("loss"), 3)),
        ("perplejidad", lambda s: num(s.get("perplexity"), 2)),
        ("recall de ingredientes en la lista", lambda s: pct(s["recall_list"])),
        ("recall de ingredientes en los pasos", lambda s: pct(s["recall_steps"])),
        ("recetas con un ingrediente principal no pedido", lambda s: pct(s["unrequested_rate"])),
        (f"violaciones de la dieta (peticiones con dieta: {summaries['reference']['diet_requests']})",
         lambda s: pct(s["violation_rate"])),
    ]
    for c in DIETS:
        rows.append((f"· incumple «{c}» (n = {summaries['reference'][f'requests:{c}']})",
                     lambda s, c=c: pct(s[f"violation:{c}"])))
    rows += [
        ("formato válido (título, secciones, pasos numerados)", lambda s: pct(s["format_valid"])),
        ("sin token de fin (desbocadas)", lambda s: pct(s["no_end"])),
        *((label, lambda s, key=key: pct(s.get(key))) for label, key in COHERENCE_ROWS),
        ("4-gramas repetidos dentro de la respuesta", lambda s: pct(s["repeated_4gram"])),
        ("distinct-2 entre respuestas", lambda s: num(s["distinct_2"], 3)),
        ("copia: racha más larga con la receta de entrenamiento más cercana (palabras)",
         lambda s: num(s["copy_run"], 1)),
        ("copia: esa racha sobre la longitud de la respuesta", lambda s: pct(s["copy_fraction"])),
        ("longitud media (palabras)", lambda s: num(s["words"], 1)),
    ]
    lines = ["| métrica | " + " | ".join(headers[k] for k in SYSTEMS) + " |",
             "| --- |" + " ---: |" * len(SYSTEMS)]
    for label, cell in rows:
        lines.append(f"| {label} | " + " | ".join(cell(summaries[k]) for k in SYSTEMS) + " |")
    return "\n".join(lines)


def hand_table(summary, header="modelo"):
    """The hand-written requests' table: one column (the model), then the share fully right per kind."""
    rows = [
        ("peticiones", str(summary["requests"])),
        (f"ingredientes pedidos en la lista (grupos: {summary['groups']})", pct(summary["groups_list"])),
        ("ingredientes pedidos en los pasos", pct(summary["groups_steps"])),
        ("ingredientes pedidos en la lista y en los pasos", pct(summary["groups_used"])),
        ("peticiones del todo bien (todo lo pedido, nada excluido, dieta cumplida, formato válido)",
         pct(summary["fully_right"])),
        (f"usa algo que la petición excluye (peticiones con «sin ...»: {summary['forbidden_requests']})",
         pct(summary["forbidden_rate"])),
        (f"violaciones de la dieta (peticiones con dieta: {summary['diet_requests']})", pct(summary["violation_rate"])),
        ("formato válido (título, secciones, pasos numerados)", pct(summary["format_valid"])),
        ("sin token de fin (desbocadas)", pct(summary["no_end"])),
        *((label, pct(summary.get(key))) for label, key in COHERENCE_ROWS),
        ("longitud media (palabras)", num(summary["words"], 1)),
        ("del todo bien, por tipo de petición:", ""),
    ]
    for kind, k in summary["by_kind"].items():
        rows.append((f"· {HAND_KINDS.get(kind, kind)} (`{kind}`, n = {k['requests']})", pct(k["fully_right"])))
    lines = [f"| métrica | {header} |", "| --- | ---: |"]
    lines += [f"| {label} | {cell} |" for label, cell in rows]
    return "\n".join(lines)


def card_section(table, info, start=CARD_START, end=CARD_END, hand=None):
    """The model card's evaluation section (Markdown between the markers).

    `hand`: the hand-written requests' table (hand_table), added below the first one when given.
    """
    hand_part = "" if hand is None else f"""
### Hand-written requests

{info['hand_requests']} requests written by hand in `{info['hand_file']}`, typed the way people type them
(bare lists, one ingredient, generic names, plurals, capitals, no accents, typos, quantities, diets,
"para 4 personas", desserts, long lists, a greeting first, dish names). The generated requests above
are phrased like the training data; these are not. Same model and decoding, no baselines.
A request lists each thing asked for as a group of names (catalogue names and the cook's own word):
it is used when any of them is in the `Ingredientes:` list (and, separately, in the steps). Fully
right: every group in the list and in the steps, nothing the request excludes ("sin cebolla"), its
diet kept and the format valid.

{hand}
"""
    return f"""{start}
## Evaluation

`{info['command']}` on {info['requests']} held-out requests made by `generate_dataset.py` with seed
{info['seed']}: none shares an instruction or an ingredient combination with `{info['data']}`.
Decoding: {info['decoding']}, at most {info['max_new_tokens']} new tokens, through the chat template.
{info['model']}; baselines built from the same file: a token {info['ngram_order']}-gram
(interpolated Kneser-Ney over the model's tokenizer, same decoding) and a retriever returning the
training recipe whose ingredients overlap the request most. "Reference" is the generator's own recipe.

{table}

- Loss: mean negative log-likelihood of the reference response tokens (end token included) given
  the prompt, per token of the model's tokenizer for both the model and the n-gram model.
- Recall: share of requested ingredients named in the `Ingredientes:` list / in the steps.
  Main ingredient not requested: a catalogue ingredient that is not a pantry basic.
- Diet violations: among requests with that diet, recipes naming an ingredient it forbids.
- Incoherent: the recipe contradicts itself, whatever was asked: its steps use a main ingredient
  its list lacks, an ingredient is on two list items or twice in the title, or it announces a diet
  ("Receta vegana.") that its own ingredients break.
- Copy: longest run of words shared with the closest of the training recipes.
- {info['elapsed']:.0f} s on {info['hardware']}; every generation is in `{info['output_json']}`.
{hand_part}{end}"""


def replace_section(text, section, start=CARD_START, end=CARD_END):
    """The card with its marked section replaced by `section` (appended when absent)."""
    i, j = text.find(start), text.find(end)
    if i != -1 and j > i:
        return text[:i] + section + text[j + len(end):]
    return text.rstrip("\n") + "\n\n" + section + "\n"


CARD_REQUESTS_RE = re.compile(r"` on (\d+) held-out requests made by")


def card_requests(model_dir, start=CARD_START, end=CARD_END):
    """Requests behind the evaluation the model card shows now (None when it shows none)."""
    card = Path(model_dir) / "README.md"
    text = card.read_text(encoding="utf-8") if card.is_file() else ""
    if start not in text or end not in text:
        return None
    found = CARD_REQUESTS_RE.search(text[text.index(start):text.index(end)])
    return int(found.group(1)) if found else None


def update_card(model_dir, section, start=CARD_START, end=CARD_END):
    card = Path(model_dir) / "README.md"
    text = card.read_text(encoding="utf-8") if card.is_file() else f"# {MODEL_NAME}\n"
    atomic_write_text(card, replace_section(text, section, start, end))
    return card


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------
def parse_args(argv=None):
    parser = make_parser(
        description=f"Evalúa {MODEL_NAME} con peticiones nuevas (que no están en los datos de entrenamiento) "
        "y lo compara con un modelo de n-gramas, un recuperador de la receta más parecida y las recetas "
        "de referencia del generador. Escribe la tabla en la ficha del modelo (README.md) y todas las "
        "respuestas en un JSON.",
    )
    parser.add_argument("--model", type=Path, default=MODEL_DIR, help=f"carpeta del modelo (por defecto: {MODEL_DIR.name}/)")
    parser.add_argument("--gguf", type=Path, help="evalúa este fichero GGUF con llama-cpp-python en lugar de la carpeta")
    parser.add_argument("--data", type=Path, default=DATA_FILE,
                        help=f"JSONL de entrenamiento: base de las líneas base y de las exclusiones (por defecto: {DATA_FILE.name})")
    parser.add_argument("--num", type=int, default=NUM_REQUESTS, help="peticiones nuevas a evaluar (por defecto: %(default)s)")
    parser.add_argument("--seed", type=int, default=SEED, help="semilla del generador de peticiones y del muestreo (por defecto: %(default)s)")
    parser.add_argument("--temperature", type=float, default=0.0,
                        help="0 = voraz (por defecto); mayor que 0 muestrea como el chat")
    parser.add_argument("--top-p", type=float, help="al muestrear: masa de probabilidad (por defecto: la del modelo)")
    parser.add_argument("--top-k", type=int, help="al muestrear: k tokens más probables (por defecto: el del modelo)")
    parser.add_argument("--max-new-tokens", type=int, help="tope de tokens por receta (por defecto: el de generation_config.json)")
    parser.add_argument("--batch-size", type=int, help="peticiones generadas a la vez (por defecto: 64 en CPU, 256 en GPU)")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"],
                        help="dónde se ejecuta el modelo (por defecto: auto = CUDA, MPS o CPU)")
    parser.add_argument("--ngram-order", type=int, default=NGRAM_ORDER, help="orden del modelo de n-gramas (por defecto: %(default)s)")
    parser.add_argument("--output-json", type=Path, default=OUTPUT_JSON,
                        help=f"JSON con todas las respuestas (por defecto: {OUTPUT_JSON.name})")
    parser.add_argument("--hand-file", type=Path, default=HAND_FILE,
                        help=f"JSONL de peticiones escritas a mano, evaluadas después de las generadas "
                        f"(por defecto: {HAND_FILE.name})")
    parser.add_argument("--no-hand", action="store_true", help="no evaluar las peticiones escritas a mano")
    parser.add_argument("--card", action="store_true",
                        help="escribir las tablas en la tarjeta del modelo (su README.md); no se sustituye una "
                        "evaluación con más peticiones")
    args = parser.parse_args(argv)
    check_flag(args.num >= 1, "--num", "ser 1 o mayor")
    check_flag(args.temperature >= 0, "--temperature", "ser 0 o mayor")
    check_flag(args.top_p is None or 0 < args.top_p <= 1, "--top-p", "estar entre 0 (excluido) y 1")
    check_flag(args.max_new_tokens is None or args.max_new_tokens >= 1, "--max-new-tokens", "ser 1 o mayor")
    check_flag(args.batch_size is None or args.batch_size >= 1, "--batch-size", "ser 1 o mayor")
    check_flag(args.ngram_order >= 1, "--ngram-order", "ser 1 o mayor")
    return args


def decoding_settings(args):
    """Greedy by default; with --temperature the chat's top-k / top-p unless given."""
    from inference_scratch import generation_defaults

    defaults = generation_defaults(args.model)  # chef_common's defaults when the folder has none
    return {
        "temperature": args.temperature,
        "top_k": args.top_k if args.top_k is not None else defaults["top_k"],
        "top_p": args.top_p if args.top_p is not None else defaults["top_p"],
        "max_new_tokens": args.max_new_tokens or defaults["max_new_tokens"],
    }


def describe_decoding(s):
    if s["temperature"] <= 0:
        return "greedy"
    return f"sampled (temperature {s['temperature']:g}, top-k {s['top_k']}, top-p {s['top_p']:g})"


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------
def progress_bar(total, desc):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="receta", file=sys.stderr, mininterval=1.0, dynamic_ncols=True)


def main(argv=None):
    args = parse_args(argv)
    t_start = time.time()
    rows = read_jsonl(args.data)
    hand_requests = [] if args.no_hand else read_hand_requests(args.hand_file)
    if args.gguf:  # fail on a missing file before the slow work
        check_gguf(args.gguf)
    else:
        check_model_dir(args.model)
    check_writable(args.output_json)  # said now, not after minutes of generation
    if args.card:
        check_writable(Path(args.model) / "README.md")
    import_heavy()
    import torch

    from chef_common import pick_device
    from generate_dataset import INGREDIENTS, generate_examples, violates

    device = pick_device(args.device) if args.gguf is None else "cpu"
    settings = decoding_settings(args)

    # -- requests the training data never had --------------------------------------
    train_combos = training_combinations(rows, INGREDIENTS)
    requests = heldout_requests(rows, train_combos, args.num, args.seed, generate_examples)
    print(f"peticiones: {len(requests)} nuevas (semilla {args.seed}); entrenamiento: {len(rows)} recetas de {args.data}",
          file=sys.stderr)

    # -- the model -------------------------------------------------------------------
    model = GGUFModel(args.gguf) if args.gguf else HFModel.load(args.model, device)
    if model.render("x") != format_prompt("x"):
        print("aviso: la plantilla de chat del modelo no da el formato de entrenamiento", file=sys.stderr)
    prompts = [model.encode(model.render(r["instruction"])) for r in requests]
    examples = []
    for r, p in zip(requests, prompts):
        full = model.encode(model.render(r["instruction"], r["response"]))
        if full[:len(p)] != p or full[-1] != model.eos_id:
            raise ChefError("la plantilla de chat no tokeniza la petición como prefijo del ejemplo completo")
        examples.append((p, full[len(p):]))
    settings["max_new_tokens"] = min(settings["max_new_tokens"], model.context - max(map(len, prompts)))

    with progress_bar(len(examples), "pérdida (modelo)") as bar:
        model_losses = model.response_nll(examples, bar)
    batch_size = args.batch_size or BATCH_SIZE.get(device, 32)
    with progress_bar(len(prompts), "generando (modelo)") as bar:
        model_out = model.generate(prompts, settings, bar, batch_size, args.seed)

    # -- hand-written requests: the model only, same decoding ----------------------------
    hand_out = []
    if hand_requests:
        hand_prompts = [model.encode(model.render(r["request"])) for r in hand_requests]
        hand_settings = dict(settings, max_new_tokens=min(settings["max_new_tokens"],
                                                          model.context - max(map(len, hand_prompts))))
        with progress_bar(len(hand_prompts), "generando (a mano)") as bar:
            hand_out = model.generate(hand_prompts, hand_settings, bar, batch_size, args.seed)

    # -- baselines --------------------------------------------------------------------
    t0 = time.time()
    train_ids = [model.encode(model.render(r["instruction"], r["response"])) for r in rows]
    ngram = KneserNeyLM(train_ids, model.vocab_size, args.ngram_order, model.eos_id)
    print(f"n-gramas: orden {args.ngram_order} entrenado en {time.time() - t0:.1f} s", file=sys.stderr)
    generator = torch.Generator().manual_seed(args.seed)  # sampled like the chat, by sample_next
    ngram_losses, ngram_out = [], []
    with progress_bar(len(prompts), "n-gramas") as bar:
        for p, r in examples:
            ngram_losses.append((ngram.nll(r, p), len(r)))
            ngram_out.append(ngram.generate(p, settings["max_new_tokens"], model.eos_id, settings["temperature"],
                                            settings["top_k"], settings["top_p"], generator))
            bar.update(1)
    retrieved = [nearest_recipe(r["ingredients"], train_combos) for r in requests]

    # -- score every answer ------------------------------------------------------------
    copy_index = CopyIndex([r["response"] for r in rows])
    answers = {
        "model": [(model.decode(ids), ended, len(ids)) for ids, ended in model_out],
        "ngram": [(model.decode(ids), ended, len(ids)) for ids, ended in ngram_out],
        "retriever": [(rows[i]["response"], True, None) for i in retrieved],
        "reference": [(r["response"], True, None) for r in requests],
    }
    scored = {k: [] for k in SYSTEMS}
    with progress_bar(len(requests) * len(SYSTEMS), "puntuando") as bar:
        for system in SYSTEMS:
            for request, (text, ended, n_tokens) in zip(requests, answers[system]):
                s = score_answer(text, request, INGREDIENTS, violates, copy_index)
                s.update(coherence(text, INGREDIENTS, violates))
                scored[system].append(dict(s, reached_end=ended, tokens=n_tokens))
                bar.update(1)
    losses = {"model": model_losses, "ngram": ngram_losses}
    summaries = {k: summarize(scored[k], [t for t, _, _ in answers[k]], losses.get(k)) for k in SYSTEMS}
    hand_texts = [model.decode(ids) for ids, _ in hand_out]
    hand_scored = [dict(score_hand_answer(text, r, INGREDIENTS, violates), reached_end=ended, tokens=len(ids))
                   for r, text, (ids, ended) in zip(hand_requests, hand_texts, hand_out)]
    hand_summary = summarize_hand(hand_scored, hand_requests) if hand_requests else None

    # -- report --------------------------------------------------------------------------
    headers = {"model": "modelo", "ngram": f"{args.ngram_order}-grama", "retriever": "recuperador",
               "reference": "referencia"}
    table = markdown_table(summaries, headers)
    hand = hand_table(hand_summary, headers["model"]) if hand_summary else None
    elapsed = time.time() - t_start
    info = {
        "command": "python evaluate.py " + " ".join(map(str, sys.argv[1:] if argv is None else argv)),
        "requests": len(requests), "seed": args.seed, "data": Path(args.data).name,
        "decoding": describe_decoding(settings), "max_new_tokens": settings["max_new_tokens"],
        "model": f"Model: {model.name}", "ngram_order": args.ngram_order, "elapsed": elapsed,
        "hardware": hardware_name(device), "output_json": Path(args.output_json).name,
        "hand_file": None if args.no_hand else Path(args.hand_file).name, "hand_requests": len(hand_requests),
    }
    report = {
        "settings": {**info, "decoding": settings},
        "summary": summaries,
        "requests": [
            {"instruction": r["instruction"], "ingredients": r["ingredients"], "diet": r.get("diet"),
             "reference": r["response"], "retrieved_training_index": i,
             **{k: {"text": answers[k][n][0], **scored[k][n]} for k in SYSTEMS},
             "loss": {"model": model_losses[n][0] / model_losses[n][1], "ngram": ngram_losses[n][0] / ngram_losses[n][1]}}
            for n, (r, i) in enumerate(zip(requests, retrieved))
        ],
    }
    if hand_summary:
        report["hand"] = {
            "file": str(args.hand_file), "summary": hand_summary,
            "requests": [{**r, "model": {"text": text, **s}}
                         for r, text, s in zip(hand_requests, hand_texts, hand_scored)],
        }
    atomic_write_text(args.output_json, json.dumps(report, ensure_ascii=False, indent=1) + "\n")
    print(f"\n{table}\n")
    if hand:
        print(f"Peticiones escritas a mano ({info['hand_file']}):\n\n{hand}\n")
    markers = (CARD_START_GGUF, CARD_END_GGUF) if args.gguf else (CARD_START, CARD_END)
    shown = card_requests(args.model, *markers)
    if args.card and shown is not None and shown > len(requests):
        print(f"no escribo la tarjeta: muestra una evaluación de {shown} peticiones y esta tiene {len(requests)} "
              f"(usa --num {shown})")
    elif args.card:
        card = update_card(args.model, card_section(table, info, *markers, hand=hand), *markers)
        print(f"tabla escrita en {card}")
    print(f"respuestas en {args.output_json}; {elapsed:.0f} s en total.")


if __name__ == "__main__":
    run_main(main)
