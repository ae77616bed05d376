"""Drawing the training set: random requests (what a cook types) and the recipes that answer them.

generate_examples(num, seed) is the whole generator: the same seed gives the same examples. A request
lists ingredients (sometimes by a cook's own word, an alias, or counted: "2 zanahorias") or names a dish,
may leave something out ("sin cebolla"), and comes in several wordings; chef.recipes writes the answer.
Used by generate_dataset.py and by the evaluation (fresh requests with another seed).
"""

import functools
import json
import random
import re
from dataclasses import replace

from chef.catalogue import (COMMON_ALIASES, DATA_DIR, DIET_PHRASES, DIETS, DISH_NAMES, DISH_RECIPES, EXCLUSION_TABLE,
                            EXCLUSIONS, INGREDIENTS, NON_PANTRY, WRITTEN_ALIASES, Ingredient, violates)
from chef.cli import ChefError
from chef.dishes import DISH_LABEL, DISH_TYPES, DISHES, PROTEIN_ROLES, ROLES, roles_with
from chef.recipes import (STYLES, Request, count_phrase, dish_request_name, ingredient_amount, mass, quantity_phrase,
                          render_response)
from chef.spanish import (DEFINITE, INDEFINITE, capitalize, fix_conjunctions, fix_contractions, fold, join,
                          typed_without_accents)

MAX_NUM = 20000  # beyond this, unique instruction/combination draws get too slow
MAX_ATTEMPTS_PER_EXAMPLE = 40  # draws allowed per example before giving up


# --- Requests (instructions) -------------------------------------------------
# data/request_templates.json: requests that list ingredients ({ings} the names, {Ings} capitalized,
# {q} with quantities, {x} the constraints, {dish}/{bare} the dish type asked for), requests for a dish
# by name ({name}, {Name}, {a} "una paella", {the} "la paella"), and the ways to ask for a quick one.
_TEMPLATES = json.loads((DATA_DIR / "request_templates.json").read_text(encoding="utf-8"))
INSTRUCTION_TEMPLATES = _TEMPLATES["ingredient_requests"]
DISH_REQUEST_TEMPLATES = _TEMPLATES["dish_requests"]
QUICK_PHRASES = tuple(_TEMPLATES["quick"])
EXCLUSION_TEMPLATES = _TEMPLATES["exclusions"]  # {x}: the things, {the}: with their articles
GREETINGS = tuple(_TEMPLATES["greetings"])  # put before some wordings of a request


def exclusion_text(things: tuple, rng) -> str:
    """How a cook leaves things out: words for {x} ("sin ajo ni cebolla", "que no lleve ajo") or a sentence
    of its own ("No me gustan las setas.", "Soy alérgica al marisco." for one allergen)."""
    row = EXCLUSION_TABLE[things[0]]
    forms = ("inline", "dislike", "allergy") if len(things) == 1 and row["allergy"] else ("inline", "dislike")
    the = " ni ".join(f"{EXCLUSION_TABLE[t]['article']} {t}" for t in things)
    template = rng.choice(EXCLUSION_TEMPLATES[rng.choice(forms)])
    return fix_contractions(template.format(x=" ni ".join(things), the=the,
                                            gusta="gustan" if row["article"] in ("los", "las") else "gusta"))


def constraint_text(req: Request, rng) -> tuple:
    """(what {x} adds to a request: diets, quick, servings, "sin cebolla"; an exclusion said as a sentence)."""
    said = exclusion_text(req.excluded, rng) if req.excluded else ""
    parts = [rng.choice(DIET_PHRASES[d]) for d in req.diet] + ([said] if said[:1].islower() else [])
    if req.quick:
        parts.append(rng.choice(QUICK_PHRASES))
    if req.dish_asked and req.dish.key in ("al_horno", "postre"):
        parts.append("al horno" if req.dish.key == "al_horno" else "de postre")
    if req.servings_asked:
        parts.append("para una persona" if req.servings == 1 else f"para {req.servings} personas")
    rng.shuffle(parts)
    return (" " + join(parts)) if parts else "", "" if said[:1].islower() else said


def instruction_list(names: list, rng) -> str:
    style = rng.random()
    if style < 0.6 or len(names) == 1:
        return join(names)
    return " + ".join(names) if style >= 0.9 and len(names) < 5 else ", ".join(names)


def instruction_quantity(ing: Ingredient, amount: float, alias: str = None) -> str:
    if alias:  # the cook's own word: a weight or a volume reads well with any noun, a count may not
        return f"{mass(amount, 'g', 'kg') if ing.unit == 'g' else mass(amount, 'ml', 'l')} de {alias}" \
            if ing.unit in ("g", "ml") else alias
    if ing.unit == "una" or ing.unit == "ud" and ing.number == "sg" and amount <= 1.6:  # no size: "una cebolla"
        return count_phrase(f"{ing.name}|", 0.5 if ing.unit == "ud" and amount <= 0.6 else 1)
    return quantity_phrase(ing, amount) if ing.unit in ("g", "ml", "ud", "diente") else ing.name


def render_instruction(req: Request, amounts: dict, x: str, rng) -> str:
    dish_template = req.dish_asked and req.dish.key not in ("al_horno", "postre")
    template = rng.choice([t for t in INSTRUCTION_TEMPLATES if ("{dish}" in t or "{bare}" in t) == dish_template])
    counted = {ing.name: count_phrase(ing.piece, n) for ing in req.ingredients if (n := req.counts.get(ing.name))}
    names = [counted.get(ing.name) or req.aliases.get(ing.name, ing.name) for ing in req.ingredients]
    quantities = [counted.get(ing.name) or instruction_quantity(ing, amounts[ing.name], req.aliases.get(ing.name))
                  for ing in req.ingredients]
    ings = instruction_list(names, rng)
    return template.format(ings=ings, Ings=capitalize(ings), q=join(quantities), x=x, dish=req.dish.indef,
                           bare=req.dish.bare)


def render_request(req: Request, amounts: dict, rng, greeting: str = "") -> str:
    """One wording of a request: a template, its constraints, an exclusion maybe said apart, typing noise."""
    x, sentence = constraint_text(req, rng)
    if req.dish_name:
        name, recipe = dish_request_name(req), DISH_RECIPES[req.dish_name]
        key = (recipe.gender, recipe.number)
        text = rng.choice(DISH_REQUEST_TEMPLATES).format(
            name=name, Name=capitalize(name), a=f"{INDEFINITE[key]} {name}", the=f"{DEFINITE[key]} {name}", x=x)
    else:
        text = render_instruction(req, amounts, x, rng)
    text = fix_conjunctions(fix_contractions(text))
    greeted = fold(text).startswith(("hola", "¡hola"))
    if sentence:  # after the request, or before it but not before its greeting
        after = greeted or rng.random() < 0.5
        text = f"{text}{'' if text[-1] in '.?!' else '.'} {sentence}" if after else f"{sentence} {text}"
    if greeting and not greeted:
        text = greeting + text[:1].lower() + text[1:]
    return typing_noise(text, rng)


def variants(req: Request, amounts: dict, instruction: str, rng) -> list:
    """Other wordings of the same request: another order, template and aliases; some with a typo or a greeting."""
    texts = []
    for _ in range(NUM_VARIANTS):
        aliases = {n: a for n, a in pick_aliases(req.ingredients, rng).items() if n not in req.counts}
        other = replace(req, ingredients=rng.sample(req.ingredients, len(req.ingredients)), aliases=aliases)
        text = render_request(other, amounts, rng, rng.choice(GREETINGS) if rng.random() < 0.25 else "")
        texts.append(typo(text, rng) if rng.random() < 0.3 else text)
    return [text for text in dict.fromkeys(texts) if text != instruction]


def typo(text: str, rng) -> str:
    """One slip of the fingers in a longer word: two letters swapped, one left out or one doubled."""
    words = list(re.finditer(r"[^\W\d_]{5,}", text))
    if not words:
        return text
    word = rng.choice(words)
    i = word.start() + rng.randrange(1, len(word.group()) - 1)
    return rng.choice((text[:i] + text[i + 1] + text[i] + text[i + 2:],  # swapped
                       text[:i] + text[i + 1:], text[:i + 1] + text[i:]))  # left out, doubled


def typing_noise(text: str, rng) -> str:
    """How people type: some requests in capitals, without accents, in lower case, with stray spaces."""
    roll = rng.random()
    text = (text.upper() if roll < 0.07 else typed_without_accents(text) if roll < 0.15
            else text.lower() if roll < 0.20 else text)
    if rng.random() < 0.08:  # people type stray spaces
        words = text.split(" ")
        words[rng.randrange(len(words))] += " "
        text = rng.choice(("", " ")) + " ".join(words) + rng.choice(("", " "))
    return text


# --- Drawing one example -----------------------------------------------------
SIZE_WEIGHTS = {1: 4, 2: 12, 3: 20, 4: 22, 5: 16, 6: 12, 7: 8, 8: 6}  # ingredients per request
# Roles that make no sense twice in one dish (two rices, two sauces...): data/roles.csv.
ROLE_LIMITS = {role: int(row["max_per_dish"]) for role, row in ROLES.items()}
# About 22 % of the requests name some ingredients by a cook's word ("pollo", "patatas"):
ALIAS_RATE_COMMON = 0.13  # chance that an ingredient with a common alias is named by an alias
ALIAS_RATE_OTHER = 0.02  # the same for any other ingredient that has aliases
MAX_ALIASES = 3  # per request
DISH_NAME_SHARE = 0.055  # requests that ask for a dish by name ("quiero hacer una paella")
DISH_OPTIONAL_SHARE = 0.6  # chance of each optional ingredient of a named dish
DISH_EXTRA_SHARE = 0.3  # named dishes the cook adds one ingredient to ("tortilla de patatas con chorizo")
EXTRA_ROLES = roles_with("dish_extra")  # what a cook may add to a named dish
# ~8 % leave something out (each thing ~15 times in 5,000); named dishes more: "tortilla de patatas sin cebolla".
EXCLUSION_SHARE, DISH_EXCLUSION_SHARE = 0.075, 0.2
COUNT_SHARE = 0.12  # list requests that count some of what the cook has ("2 zanahorias", "una lata de atún")
NUM_VARIANTS = 4  # further wordings of each request, for a new surface form every epoch


@functools.lru_cache(maxsize=None)
def _pool(dish_key: str, diet: tuple) -> list:
    """The ingredients a dish type cooks that the diets allow, in catalogue order."""
    return [ing for ing in NON_PANTRY if dish_key in ing.techniques and _allowed(ing, diet)]


def _allowed(ing: Ingredient, diet: list) -> bool:
    return not any(violates(d, ing.name) for d in diet)


def _usable(names, diet: list, banned=()) -> list:
    """The ingredients of `names` that the diets allow and the cook did not leave out."""
    return [INGREDIENTS[n] for n in names if n not in banned and _allowed(INGREDIENTS[n], diet)]


def draw_exclusions(usual: set, core: tuple, diet: list, share: float, rng) -> tuple:
    """(what the cook leaves out, the catalogue names that rules out): most often nothing, else one or two
    things of data/exclusions.csv that rule out some of `usual`, none of the diets already rules out, and
    that leave an ingredient in each `core` group (the groups of a named dish)."""
    if rng.random() >= share:
        return (), set()
    fitting = [t for t, names in EXCLUSIONS.items() if usual & set(names) and len(_usable(names, diet)) == len(names)
               and all(_usable(group, diet, names) for group in core)]
    things = tuple(rng.sample(fitting, min(len(fitting), 1 if rng.random() < 0.8 else 2)))
    return things, {n for t in things for n in EXCLUSIONS[t]}


def _fits(ing: Ingredient, chosen: list) -> bool:
    if sum(1 for c in chosen if c.role == ing.role) >= ROLE_LIMITS[ing.role]:
        return False
    if {ing.role, *(c.role for c in chosen)} >= {"arroz", "grano"}:
        return False  # they cook in different times
    proteins = [c for c in chosen if c.role in PROTEIN_ROLES] if ing.role in PROTEIN_ROLES else []
    # At most two; tofu, tempeh and seitán stand in for meat, not beside it; meat and fish meet only in
    # a named paella mixta, never here.
    return len(proteins) < 2 and not any((c.role == "proteina_veg") != (ing.role == "proteina_veg")
                                         or c.meat and ing.fish or c.fish and ing.meat for c in proteins)


def draw_servings(dish, asked_share: float, rng) -> tuple:
    """(servings, whether the request says them): 2 or 4 when it does not; a batido serves at most 4."""
    asked = rng.random() < asked_share
    servings = rng.choice((1, 2, 2, 3, 4, 4, 5, 6)) if asked else rng.choice((2, 4, 4))
    return (min(servings, 4) if dish.key == "batido" else servings), asked


def draw_request(rng) -> Request:
    diet = [rng.choice(DIETS)] if rng.random() < 0.32 else []
    second = rng.choice(DIETS) if diet and rng.random() < 0.15 else None
    if second and second not in diet and {second, diet[0]} != {"vegetariano", "vegano"}:
        diet = sorted(diet + [second], key=DIETS.index)
    quick = rng.random() < 0.08
    keys = [k for k in DISH_TYPES if not quick or DISHES[k].quick]
    dish = DISHES[rng.choices(keys, weights=[DISHES[k].weight for k in keys])[0]]
    cooked = {ing.name for ing in _pool(dish.key, tuple(diet))}
    excluded, banned = draw_exclusions(cooked, (), diet, EXCLUSION_SHARE, rng)
    pool = [ing for ing in _pool(dish.key, tuple(diet)) if ing.name not in banned]
    anchors = [ing for ing in pool if ing.role in dish.anchors]
    if not anchors:
        return None
    size = rng.choices(list(SIZE_WEIGHTS), weights=list(SIZE_WEIGHTS.values()))[0]
    chosen = [rng.choice(anchors)]
    candidates = [ing for ing in pool if ing is not chosen[0]]
    rng.shuffle(candidates)
    for ing in candidates:
        if len(chosen) >= size:
            break
        if _fits(ing, chosen):
            chosen.append(ing)
    rng.shuffle(chosen)
    servings, servings_asked = draw_servings(dish, 0.25, rng)
    dish_asked = rng.random() < 0.18
    aliases = pick_aliases(chosen, rng)
    return Request(dish, chosen, diet, servings, servings_asked, quick, dish_asked, aliases, excluded=excluded)


# For each catalogue name, the hand-written aliases that include it, weighted: a common word
# 20, another generic word ("pechuga" for two cuts) 2, any other 1, so the words cooks use
# most ("pollo", "queso", "patatas") are the ones the model sees most.
ALIAS_OPTIONS = {}
for _alias, _family in WRITTEN_ALIASES.items():
    _weight = 20 if _alias in COMMON_ALIASES else 2 if len(_family) > 1 else 1
    for _name in _family:
        ALIAS_OPTIONS.setdefault(_name, []).append((_alias, _weight))


def pick_aliases(chosen: list, rng) -> dict:
    """{catalogue name: alias} for some of the chosen ingredients (most often none); never an alias that
    names another chosen one too ("pollo" for the pechuga when the muslos are asked for beside it)."""
    names = {ing.name for ing in chosen}
    aliases = {}
    for ing in chosen:
        usable = [(a, w) for a, w in ALIAS_OPTIONS.get(ing.name, ())
                  if not (set(WRITTEN_ALIASES[a]) - {ing.name}) & names]
        if not usable or len(aliases) == MAX_ALIASES:
            continue
        common = any(a in COMMON_ALIASES for a, _ in usable)
        if rng.random() < (ALIAS_RATE_COMMON if common else ALIAS_RATE_OTHER):
            words, weights = zip(*usable)
            aliases[ing.name] = rng.choices(words, weights=weights)[0]
    return aliases


# Each dish is drawn as often as any other, whatever its number of names.
DISH_SYNONYMS = sorted({r.names for r in DISH_RECIPES.values()})


def draw_dish_request(rng) -> Request:
    """A dish asked for by name: its core ingredients, some of its optional ones, maybe one more."""
    recipe = DISH_RECIPES[rng.choice(rng.choice(DISH_SYNONYMS))]
    dish = DISHES[recipe.dish]
    diet = []
    if rng.random() < 0.2:
        possible = [d for d in DIETS if all(_usable(group, [d]) for group in recipe.core)]
        if possible:
            diet = [rng.choice(possible)]
    usual = set(DISH_NAMES[recipe.name][1])
    excluded, banned = draw_exclusions(usual, recipe.core, diet, DISH_EXCLUSION_SHARE, rng)
    chosen = []
    for group in recipe.core:  # hand-picked: a paella mixta has meat and seafood, which _fits keeps apart
        chosen.append(rng.choice(_usable(group, diet, banned)))
    for group in recipe.optional:
        if rng.random() < DISH_OPTIONAL_SHARE and len(chosen) < max(SIZE_WEIGHTS):
            fitting = [ing for ing in _usable(group, diet, banned) if _fits(ing, chosen)]
            if fitting:
                chosen.append(rng.choice(fitting))
    extras = ()
    if rng.random() < DISH_EXTRA_SHARE and len(chosen) < max(SIZE_WEIGHTS):
        has_protein = any(ing.role in PROTEIN_ROLES for ing in chosen)  # no "dorada al horno con bacalao"
        fitting = [ing for ing in _pool(dish.key, tuple(diet)) if ing.role in EXTRA_ROLES
                   and ing.name not in usual | banned and not (has_protein and ing.role in PROTEIN_ROLES)
                   and _fits(ing, chosen)]
        if fitting:
            extras = (rng.choice(fitting),)
            chosen.append(extras[0])
    servings, servings_asked = draw_servings(dish, 0.35, rng)
    return Request(dish, chosen, diet, servings, servings_asked, False, False, {}, recipe.name, extras, excluded)


def draw_counts(req: Request, amounts: dict, rng) -> dict:
    """{catalogue name: how many the cook has} for a few countable ingredients of some list requests, near what
    the servings need ("media cebolla", "2 zanahorias", "3 huevos", "una lata de atún"); `amounts` become those."""
    countable = [ing for ing in req.ingredients if ing.piece and ing.name not in req.aliases]
    if req.dish_name or not countable or rng.random() >= COUNT_SHARE:
        return {}
    counts = {}
    for ing in rng.sample(countable, min(len(countable), rng.choice((1, 1, 2, 3)))):
        per_piece = ing.grams_per_unit if ing.unit == "g" else 1
        # never half an egg (recipes use two at least), a clove or a muslo
        least = {("ud", "pl"): 2, ("g", "pl"): 1, ("diente", "sg"): 1}.get((ing.unit, ing.number), 0.5)
        counts[ing.name] = max(least, round(amounts[ing.name] / per_piece * rng.uniform(0.7, 1.5)))
        amounts[ing.name] = counts[ing.name] * per_piece
    return counts


def make_example(rng):
    req = draw_dish_request(rng) if rng.random() < DISH_NAME_SHARE else draw_request(rng)
    if req is None:
        return None
    style = rng.choice(tuple(STYLES))
    proteins = sum(1 for ing in req.ingredients if ing.role in PROTEIN_ROLES)
    amounts = {ing.name: ingredient_amount(ing, req.servings, len(req.ingredients), req.dish.key, proteins)
               for ing in req.ingredients}
    req.counts = draw_counts(req, amounts, rng)
    response, minutes = render_response(req, style, amounts, rng)
    if req.quick and minutes > 30:
        return None
    instruction = render_request(req, amounts, rng)
    names = [ing.name for ing in req.ingredients]
    return {"instruction": instruction, "response": response, "ingredients": names,
            "aliases": {n: req.aliases[n] for n in names if n in req.aliases}, "dish_name": req.dish_name,
            "dish_type": DISH_LABEL[req.dish.key], "style": style, "diet": list(req.diet),
            "servings": req.servings, "time_minutes": minutes, "excluded": list(req.excluded), "counts": req.counts,
            "variants": variants(req, amounts, instruction, rng)}


def generate_examples(num: int, seed: int) -> list:
    """`num` examples with unique instructions, responses and ingredient combinations (a dish asked for
    by name may share a list request's combination, never another request for that dish's)."""
    if not 1 <= num <= MAX_NUM:
        raise ChefError(f"--num debe estar entre 1 y {MAX_NUM} (no se pueden generar más ejemplos únicos)")
    rng = random.Random(seed)
    examples, seen = [], set()
    for _ in range(num * MAX_ATTEMPTS_PER_EXAMPLE):
        example = make_example(rng)
        keys = example and {("instruction", example["instruction"].strip().lower()), ("response", example["response"]),
                            ("combination", example["dish_name"], frozenset(example["ingredients"]))}
        if keys and not keys & seen:
            seen |= keys
            examples.append(example)
            if len(examples) == num:
                return examples
    raise ChefError(f"solo se pudieron generar {len(examples)} ejemplos únicos de {num}")
