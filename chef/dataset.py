"""Drawing the training set: random requests (what a cook types) and the recipes that answer them.

generate_examples(num, seed) is the whole generator: the same seed gives the same examples. A request
lists ingredients (sometimes by a cook's own word, an alias) or names a dish; chef.recipes writes the
answer. Used by generate_dataset.py and by the evaluation (fresh requests with another seed).
"""

import functools
import json
import random
import re

from chef.catalogue import (COMMON_ALIASES, DATA_DIR, DIET_PHRASES, DIETS, DISH_NAMES, DISH_RECIPES, INGREDIENTS,
                            NON_PANTRY, WRITTEN_ALIASES, Ingredient, violates)
from chef.cli import ChefError
from chef.dishes import DISH_LABEL, DISH_TYPES, DISHES, PROTEIN_ROLES, ROLES, roles_with
from chef.recipes import STYLES, Request, dish_request_name, ingredient_amount, mass, quantity_phrase, render_response
from chef.spanish import (DEFINITE, INDEFINITE, capitalize, fix_conjunctions, fix_contractions, join,
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


def constraint_text(req: Request, rng) -> str:
    parts = [rng.choice(DIET_PHRASES[d]) for d in req.diet]
    if req.quick:
        parts.append(rng.choice(QUICK_PHRASES))
    if req.dish_asked and req.dish.key in ("al_horno", "postre"):
        parts.append("al horno" if req.dish.key == "al_horno" else "de postre")
    if req.servings_asked:
        parts.append("para una persona" if req.servings == 1 else f"para {req.servings} personas")
    rng.shuffle(parts)
    return (" " + join(parts)) if parts else ""


def instruction_list(names: list, rng) -> str:
    style = rng.random()
    if style < 0.6 or len(names) == 1:
        return join(names)
    if style < 0.9:
        return ", ".join(names)
    return " + ".join(names) if len(names) < 5 else ", ".join(names)


def instruction_quantity(ing: Ingredient, amount: float, alias: str = None) -> str:
    if alias:  # the cook's own word: a weight or a volume reads well with any noun, a count may not
        return f"{mass(amount, 'g', 'kg') if ing.unit == 'g' else mass(amount, 'ml', 'l')} de {alias}" \
            if ing.unit in ("g", "ml") else alias
    if ing.unit in ("ud", "una") and ing.number == "sg":
        phrase = quantity_phrase(ing, amount)
        return re.sub(r"^1 (\S+(?: \S+)*?)( (?:pequeñ|median)[oa]| grande)?$",
                      lambda m: ("una " if ing.gender == "f" else "un ") + m.group(1), phrase)
    if ing.unit in ("g", "ml", "ud", "diente"):
        return quantity_phrase(ing, amount)
    return ing.name


def render_instruction(req: Request, amounts: dict, rng) -> str:
    dish_template = req.dish_asked and req.dish.key not in ("al_horno", "postre")
    pool = [t for t in INSTRUCTION_TEMPLATES if ("{dish}" in t or "{bare}" in t) == dish_template]
    template = rng.choice(pool)
    names = [req.aliases.get(ing.name, ing.name) for ing in req.ingredients]
    quantities = [instruction_quantity(ing, amounts[ing.name], req.aliases.get(ing.name)) for ing in req.ingredients]
    ings = instruction_list(names, rng)
    text = template.format(ings=ings, Ings=capitalize(ings), q=join(quantities), x=constraint_text(req, rng),
                           dish=req.dish.indef, bare=req.dish.bare)
    return typing_noise(fix_conjunctions(text), rng)


def render_dish_instruction(req: Request, rng) -> str:
    recipe = DISH_RECIPES[req.dish_name]
    name = dish_request_name(req)
    key = (recipe.gender, recipe.number)
    text = rng.choice(DISH_REQUEST_TEMPLATES).format(
        name=name, Name=capitalize(name), a=f"{INDEFINITE[key]} {name}", the=f"{DEFINITE[key]} {name}",
        x=constraint_text(req, rng))
    return typing_noise(fix_conjunctions(fix_contractions(text)), rng)


def typing_noise(text: str, rng) -> str:
    """How people type: some requests in capitals, without accents, in lower case, with stray spaces."""
    roll = rng.random()
    if roll < 0.07:
        text = text.upper()
    elif roll < 0.15:
        text = typed_without_accents(text)
    elif roll < 0.20:
        text = text.lower()
    if rng.random() < 0.08:  # people type stray spaces
        words = text.split(" ")
        pos = rng.randrange(len(words))
        words[pos] = words[pos] + " "
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


@functools.lru_cache(maxsize=None)
def _pool(dish_key: str, diet: tuple) -> list:
    """The ingredients a dish type cooks that the diets allow, in catalogue order."""
    return [ing for ing in NON_PANTRY if dish_key in ing.techniques and _allowed(ing, diet)]


def _allowed(ing: Ingredient, diet: list) -> bool:
    return not any(violates(d, ing.name) for d in diet)


def _fits(ing: Ingredient, chosen: list) -> bool:
    same_role = sum(1 for c in chosen if c.role == ing.role)
    if same_role >= ROLE_LIMITS[ing.role]:
        return False
    proteins = [c for c in chosen if c.role in PROTEIN_ROLES]
    if {ing.role, *(c.role for c in chosen)} >= {"arroz", "grano"}:
        return False  # they cook in different times
    if ing.role in PROTEIN_ROLES:
        if len(proteins) >= 2:
            return False
        # tofu, tempeh and seitán stand in for meat; they do not go with it
        if any((c.role == "proteina_veg") != (ing.role == "proteina_veg") for c in proteins):
            return False
        # meat and fish together only in a rice (paella mixta)
        if any((c.meat and ing.fish) or (c.fish and ing.meat) for c in proteins):
            return False
    return True


def draw_servings(dish, asked_share: float, rng) -> tuple:
    """(servings, whether the request says them): 2 or 4 when it does not; a batido serves at most 4."""
    asked = rng.random() < asked_share
    servings = rng.choice((1, 2, 2, 3, 4, 4, 5, 6)) if asked else rng.choice((2, 4, 4))
    return (min(servings, 4) if dish.key == "batido" else servings), asked


def draw_request(rng) -> Request:
    diet = []
    if rng.random() < 0.32:
        diet = [rng.choice(DIETS)]
        if rng.random() < 0.15:
            second = rng.choice(DIETS)
            if second not in diet and {second, diet[0]} != {"vegetariano", "vegano"}:
                diet.append(second)
        diet.sort(key=DIETS.index)
    quick = rng.random() < 0.08
    keys = [k for k in DISH_TYPES if not quick or DISHES[k].quick]
    dish = DISHES[rng.choices(keys, weights=[DISHES[k].weight for k in keys])[0]]
    pool = _pool(dish.key, tuple(diet))
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
    return Request(dish, chosen, diet, servings, servings_asked, quick, dish_asked, aliases)


# For each catalogue name, the hand-written aliases that include it, weighted: a common word
# 20, another generic word ("pechuga" for two cuts) 2, any other 1, so the words cooks use
# most ("pollo", "queso", "patatas") are the ones the model sees most.
ALIAS_OPTIONS = {}
for _alias, _family in WRITTEN_ALIASES.items():
    _weight = 20 if _alias in COMMON_ALIASES else 2 if len(_family) > 1 else 1
    for _name in _family:
        ALIAS_OPTIONS.setdefault(_name, []).append((_alias, _weight))


def pick_aliases(chosen: list, rng) -> dict:
    """{catalogue name: alias} for some of the chosen ingredients (most often none).

    An alias whose family holds another chosen ingredient is not used: "pollo" for the
    pechuga would also name the muslos asked for beside it.
    """
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
        possible = [d for d in DIETS if all(any(not violates(d, n) for n in group) for group in recipe.core)]
        if possible:
            diet = [rng.choice(possible)]
    chosen = []
    for group in recipe.core:  # hand-picked: a paella mixta has meat and seafood, which _fits keeps apart
        chosen.append(INGREDIENTS[rng.choice([n for n in group if _allowed(INGREDIENTS[n], diet)])])
    for group in recipe.optional:
        if rng.random() < DISH_OPTIONAL_SHARE and len(chosen) < max(SIZE_WEIGHTS):
            fitting = [INGREDIENTS[n] for n in group if _allowed(INGREDIENTS[n], diet) and _fits(INGREDIENTS[n], chosen)]
            if fitting:
                chosen.append(rng.choice(fitting))
    extras = ()
    if rng.random() < DISH_EXTRA_SHARE and len(chosen) < max(SIZE_WEIGHTS):
        usual = set(DISH_NAMES[recipe.name][1])
        has_protein = any(ing.role in PROTEIN_ROLES for ing in chosen)  # no "dorada al horno con bacalao"
        fitting = [ing for ing in _pool(dish.key, tuple(diet)) if ing.role in EXTRA_ROLES and ing.name not in usual
                   and not (has_protein and ing.role in PROTEIN_ROLES) and _fits(ing, chosen)]
        if fitting:
            extras = (rng.choice(fitting),)
            chosen.append(extras[0])
    servings, servings_asked = draw_servings(dish, 0.35, rng)
    return Request(dish, chosen, diet, servings, servings_asked, False, False, {}, recipe.name, extras)


def make_example(rng):
    named = rng.random() < DISH_NAME_SHARE
    req = draw_dish_request(rng) if named else draw_request(rng)
    if req is None:
        return None
    style = rng.choice(tuple(STYLES))
    n = len(req.ingredients)
    proteins = sum(1 for ing in req.ingredients if ing.role in PROTEIN_ROLES)
    amounts = {ing.name: ingredient_amount(ing, req.servings, n, req.dish.key, proteins) for ing in req.ingredients}
    response, minutes = render_response(req, style, amounts, rng)
    if req.quick and minutes > 30:
        return None
    instruction = render_dish_instruction(req, rng) if named else render_instruction(req, amounts, rng)
    names = [ing.name for ing in req.ingredients]
    return {"instruction": instruction, "response": response, "ingredients": names,
            "aliases": {n: req.aliases[n] for n in names if n in req.aliases}, "dish_name": req.dish_name,
            "dish_type": DISH_LABEL[req.dish.key], "style": style, "diet": list(req.diet),
            "servings": req.servings, "time_minutes": minutes}


def generate_examples(num: int, seed: int) -> list:
    """`num` examples with unique instructions, responses and ingredient combinations.

    A dish asked for by name is its own request: "paella" may use the combination of a
    plain list request, but two requests for a paella never share one.
    """
    if not 1 <= num <= MAX_NUM:
        raise ChefError(f"--num debe estar entre 1 y {MAX_NUM} (no se pueden generar más ejemplos únicos)")
    rng = random.Random(seed)
    examples, instructions, responses, combos = [], set(), set(), set()
    attempts = 0
    while len(examples) < num:
        attempts += 1
        if attempts > num * MAX_ATTEMPTS_PER_EXAMPLE:
            raise ChefError(f"solo se pudieron generar {len(examples)} ejemplos únicos de {num}")
        example = make_example(rng)
        if example is None:
            continue
        combo = (example["dish_name"], frozenset(example["ingredients"]))
        key = example["instruction"].strip().lower()
        if key in instructions or example["response"] in responses or combo in combos:
            continue
        instructions.add(key)
        responses.add(example["response"])
        combos.add(combo)
        examples.append(example)
    return examples
