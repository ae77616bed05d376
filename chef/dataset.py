"""chef.dataset"""

import functools
import random
import re

from chef.catalogue import (
    COMMON_ALIASES,
    DIETS,
    DISH_NAMES,
    DISH_RECIPES,
    INGREDIENTS,
    NON_PANTRY,
    WRITTEN_ALIASES,
    Ingredient,
    violates,
)
from chef.cli import ChefError
from chef.dishes import DISH_LABEL, DISH_TYPES, DISH_WEIGHTS, DISHES, PROTEIN_ROLES, ROLE_LIMITS, STYLES
from chef.recipes import Request, _mass, dish_request_name, ingredient_amount, quantity_phrase, render_response
from chef.spanish import DEFINITE, INDEFINITE, capitalize, fix_conjunctions, fix_contractions, join, strip_accents

MAX_NUM = 20000  # beyond this, unique instruction/combination draws get too slow
MAX_ATTEMPTS_PER_EXAMPLE = 40  # draws allowed per example before giving up


# ---------------------------------------------------------------------------
# Requests (instructions)
# ---------------------------------------------------------------------------
INSTRUCTION_TEMPLATES = [
    "{ings}{x}", "{Ings}{x}", "Tengo {ings}. ¿Qué puedo cocinar{x}?", "Tengo {ings}, ¿qué preparo{x}?",
    "¿Qué hago con {ings}{x}?", "¿Qué puedo hacer con {ings}{x}?", "¿Qué cocino con {ings}{x}?",
    "¿Qué receta me recomiendas con {ings}{x}?", "¿Me das una receta con {ings}{x}?", "¿Alguna idea con {ings}{x}?",
    "¿Se te ocurre algo con {ings}{x}?", "¿Qué plato puedo preparar con {ings}{x}?", "Dame una receta con {ings}{x}",
    "Dame una receta con {ings}{x}, por favor", "Dime una receta con {ings}{x}", "Quiero cocinar con {ings}{x}",
    "Quiero una receta con {ings}{x}", "Necesito una receta con {ings}{x}", "Busco una receta con {ings}{x}",
    "Propón una receta con {ings}{x}", "Hazme una receta con {ings}{x}", "Receta con {ings}{x}", "receta {ings}{x}",
    "Ingredientes: {ings}{x}", "ingredientes: {ings}. ¿Qué hago{x}?", "Solo tengo {ings}{x}. ¿Qué cocino?",
    "En la nevera tengo {ings}. ¿Qué hago{x}?", "Tengo en casa {ings}. ¿Qué me recomiendas{x}?",
    "Hola, tengo {ings}. ¿Qué puedo cocinar{x}?", "¡Hola! Tengo {ings}, ¿alguna receta{x}?",
    "Ayúdame a cocinar algo con {ings}{x}", "Idea para cenar con {ings}{x}", "¿Qué hago de cena con {ings}{x}?",
    "¿Qué como hoy? Tengo {ings}{x}", "Quiero aprovechar {ings}{x}", "¿Cómo puedo aprovechar {ings}{x}?",
    "Cocina algo con {ings}{x}", "Prepárame algo con {ings}{x}", "Sugiéreme un plato con {ings}{x}",
    "Receta fácil con {ings}{x}", "Algo rico con {ings}{x}, ¿qué me sugieres?", "Con {ings}, ¿qué puedo hacer{x}?",
    "Con {ings}{x}, ¿qué hago?", "{Ings}. ¿Qué cocino{x}?", "Tengo {ings} y no sé qué hacer{x}",
    "Tengo {q}, ¿qué preparo{x}?", "tengo {q}{x}", "En casa tengo {q}. ¿Qué cocino{x}?",
    "Con {q}, ¿qué receta me das{x}?", "Dispongo de {q}. ¿Qué puedo preparar{x}?",
    "Quiero hacer {dish} con {ings}{x}", "¿Cómo hago {dish} con {ings}{x}?", "Receta de {bare} con {ings}{x}",
    "Dame {dish} con {ings}{x}", "Me apetece {dish} con {ings}{x}", "Prepárame {dish} con {ings}{x}",
]
DIET_PHRASES = {"vegetariano": ("para vegetarianos", "sin carne ni pescado"),
                "vegano": ("para veganos", "sin productos animales"),
                "sin gluten": ("sin gluten", "para celíacos"),
                "sin lactosa": ("sin lactosa", "para intolerantes a la lactosa")}
QUICK_PHRASES = ("rápido", "en menos de 30 minutos", "en poco tiempo")


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
        return f"{_mass(amount, 'g', 'kg') if ing.unit == 'g' else _mass(amount, 'ml', 'l')} de {alias}" \
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


DISH_REQUEST_TEMPLATES = [
    "{name}{x}", "{Name}{x}", "Receta de {name}{x}", "receta {name}{x}", "Receta fácil de {name}{x}",
    "Quiero hacer {a}{x}", "Quiero preparar {a}{x}", "Me gustaría hacer {a}{x}", "Hoy quiero cocinar {a}{x}",
    "¿Cómo se hace {a}{x}?", "¿Cómo hago {a}{x}?", "¿Cómo preparo {a}{x}?", "¿Cómo se prepara {the}{x}?",
    "Hola, ¿cómo se hace {a}{x}?", "¿Me das la receta de {the}{x}?", "Dame la receta de {the}{x}",
    "Necesito la receta de {the}{x}", "Dime cómo hacer {a}{x}", "Enséñame a hacer {a}{x}",
    "Quiero aprender a hacer {a}{x}", "Me apetece {a}{x}", "Tengo ganas de {a}{x}", "Hazme {a}{x}",
    "Prepárame {a}{x}", "¿Qué necesito para hacer {a}{x}?",
]


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
        text = strip_accents(text)
    elif roll < 0.20:
        text = text.lower()
    if rng.random() < 0.08:  # people type stray spaces
        words = text.split(" ")
        pos = rng.randrange(len(words))
        words[pos] = words[pos] + " "
        text = rng.choice(("", " ")) + " ".join(words) + rng.choice(("", " "))
    return text


# ---------------------------------------------------------------------------
# Drawing one example
# ---------------------------------------------------------------------------
SIZE_WEIGHTS = {1: 4, 2: 12, 3: 20, 4: 22, 5: 16, 6: 12, 7: 8, 8: 6}
# About 22 % of the requests name some ingredients by a cook's word ("pollo", "patatas"):
ALIAS_RATE_COMMON = 0.13  # chance that an ingredient with a starred alias is named by an alias
ALIAS_RATE_OTHER = 0.02  # the same for any other ingredient that has aliases
MAX_ALIASES = 3  # per request
DISH_NAME_SHARE = 0.055  # requests that ask for a dish by name ("quiero hacer una paella")
DISH_OPTIONAL_SHARE = 0.6  # chance of each optional ingredient of a named dish
DISH_EXTRA_SHARE = 0.3  # named dishes the cook adds one ingredient to ("tortilla de patatas con chorizo")
EXTRA_ROLES = ("carne", "pescado", "proteina_veg", "verdura", "tuberculo", "legumbre", "queso", "crudo",
               "fruta", "fruta_cruda", "conserva", "fruto_seco")
COMPATIBLE_CACHE = {key: [ing for ing in NON_PANTRY if key in ing.techniques] for key in DISHES}


@functools.lru_cache(maxsize=None)
def _pool(dish_key: str, diet: tuple) -> list:
    return [ing for ing in COMPATIBLE_CACHE[dish_key] if _allowed(ing, diet)]


def _allowed(ing: Ingredient, diet: list) -> bool:
    return not any(violates(d, ing.name) for d in diet)


def _fits(ing: Ingredient, chosen: list) -> bool:
    same_role = sum(1 for c in chosen if c.role == ing.role)
    if same_role >= ROLE_LIMITS.get(ing.role, 4):
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


def draw_request(rng) -> Request:
    diet = []
    roll = rng.random()
    if roll < 0.32:
        diet = [rng.choice(DIETS)]
        if rng.random() < 0.15:
            second = rng.choice(DIETS)
            if second not in diet and {second, diet[0]} != {"vegetariano", "vegano"}:
                diet.append(second)
        diet.sort(key=DIETS.index)
    quick = rng.random() < 0.08
    keys = [k for k in DISH_TYPES if not quick or DISHES[k].quick]
    dish = DISHES[rng.choices(keys, weights=[DISH_WEIGHTS[k] for k in keys])[0]]
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
    servings_asked = rng.random() < 0.25
    servings = rng.choice((1, 2, 2, 3, 4, 4, 5, 6)) if servings_asked else rng.choice((2, 4, 4))
    if dish.key == "batido":
        servings = min(servings, 4)
    dish_asked = rng.random() < 0.18
    aliases = pick_aliases(chosen, rng)
    return Request(dish, chosen, diet, servings, servings_asked, quick, dish_asked, aliases)


# For each catalogue name, the hand-written aliases that include it, weighted: a starred word
# 20, another generic word ("pechuga" for two cuts) 2, any other 1, so the words cooks use
# most ("pollo", "queso", "patatas") are the ones the model sees most.
ALIAS_OPTIONS = {}
for _alias, _family in WRITTEN_ALIASES.items():
    for _name in _family:
        _weight = 20 if _alias in COMMON_ALIASES else 2 if len(_family) > 1 else 1
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
    servings_asked = rng.random() < 0.35
    servings = rng.choice((1, 2, 2, 3, 4, 4, 5, 6)) if servings_asked else rng.choice((2, 4, 4))
    if dish.key == "batido":
        servings = min(servings, 4)
    return Request(dish, chosen, diet, servings, servings_asked, False, False, {}, recipe.name, extras)


def make_example(rng):
    named = rng.random() < DISH_NAME_SHARE
    req = draw_dish_request(rng) if named else draw_request(rng)
    if req is None:
        return None
    style = rng.choice(STYLES)
    n = len(req.ingredients)
    proteins = sum(1 for ing in req.ingredients if ing.role in PROTEIN_ROLES)
    amounts = {ing.name: ingredient_amount(ing, req.servings, n, req.dish.key, proteins) for ing in req.ingredients}
    response, minutes = render_response(req, style, amounts, rng)
    if req.quick and minutes > 30:
        return None
    instruction = render_dish_instruction(req, rng) if named else render_instruction(req, amounts, rng)
    names = [ing.name for ing in req.ingredients]
    return {
        "instruction": instruction,
        "response": response,
        "ingredients": names,
        "aliases": {n: req.aliases[n] for n in names if n in req.aliases},
        "dish_name": req.dish_name,
        "dish_type": DISH_LABEL[req.dish.key],
        "style": style,
        "diet": list(req.diet),
        "servings": req.servings,
        "time_minutes": minutes,
    }


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
