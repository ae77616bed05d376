"""Writing a recipe: the answer to a request, in one of four styles.

A Request (the dish type, the ingredients and what the cook asked for) becomes a title, a servings line,
the ingredient list with quantities, numbered steps from the dish type's phases, and a closing tip.
Used by chef.dataset to write the training set.
"""

import re
from dataclasses import dataclass, field

from chef.catalogue import CATALOGUE_NAME_RE, DIET_NOTE, INGREDIENTS, PANTRY, Ingredient, read_table, whole_words_re
from chef.dishes import DISH_LABEL, PARTICIPLE_OF, PROTEIN_ROLES, ROLES, VERBS, Dish, Phase, roles_with
from chef.spanish import (DEFINITE, STRESSED_A, agree, capitalize, fix_conjunctions, fix_contractions,
                          format_number, join)

# The writing styles (data/styles.csv): the verb forms of the steps (a column of data/verbs.csv), the
# word for a serving, the servings line ({n} servings, {k} their number, {t} minutes), the opening
# line for a masculine or a feminine dish noun ({dish}: "un guiso", "una crema"), the tip's label.
STYLES = {row["style"]: row for row in read_table("styles.csv")}
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}  # the order of the ingredient list
SEASONING_ROLES = roles_with("seasoning")  # kept out of titles
COOK_MINIMUM = {"guiso": 20, "sopa": 15, "crema": 15, "arroz": 18}
LEAFY = ("lechuga", "rúcula", "canónigos", "escarola", "endivias", "espinacas")  # salad leaves: leaf tips fit
# Pantry basics a recipe uses are found in its text; names that contain one ("vinagre balsámico")
# are masked first, and "salpimienta" uses both salt and pepper.
PANTRY_RE = whole_words_re(p.name for p in PANTRY)
MASK_RE = whole_words_re(name for name in INGREDIENTS if not INGREDIENTS[name].pantry and PANTRY_RE.search(name))
SALPIMENTAR_RE = re.compile(r"\bsalpim", re.IGNORECASE)


@dataclass
class Request:
    dish: Dish
    ingredients: list  # in the order the person wrote them
    diet: list
    servings: int
    servings_asked: bool
    quick: bool
    dish_asked: bool
    aliases: dict = field(default_factory=dict)  # catalogue name -> the word the cook typed for it
    dish_name: str = None  # set when the cook asked for a dish by name ("tortilla de patatas")
    extras: tuple = ()  # what the cook added to a named dish ("... con chorizo")
    excluded: tuple = ()  # things of chef.catalogue.EXCLUSIONS the cook asked to leave out ("sin cebolla")
    counts: dict = field(default_factory=dict)  # catalogue name -> how many the cook has ("2 zanahorias")


# --- Quantities --------------------------------------------------------------
UNIT_FORMS = {unit: (unit, unit + "s") for unit in ("diente", "cucharada", "cucharadita", "pizca", "rama", "hoja")}


def _round_grams(grams: float) -> int:
    step = 5 if grams < 50 else 10 if grams < 100 else 25 if grams < 1000 else 100
    return max(step, int(round(grams / step) * step))


def mass(amount: float, small: str, big: str) -> str:
    """'300 g', '1,5 kg' (small and big: the two units' symbols)."""
    value = _round_grams(amount)
    if value >= 1000:
        return f"{format_number(round(value / 1000, 1))} {big}"
    return f"{value} {small}"


def quantity_phrase(ing: Ingredient, amount: float) -> str:
    """'300 g de pechuga de pollo', '1 cebolla mediana', 'media cebolla', '2 dientes de ajo'."""
    if ing.unit == "g":
        return f"{mass(amount, 'g', 'kg')} de {ing.name}" + (f" {agree(ing.note, ing)}" if ing.note else "")
    if ing.unit == "ml":
        return f"{mass(amount, 'ml', 'l')} de {ing.name}"
    if ing.unit == "una":
        return f"1 {ing.name}"
    if ing.unit == "ud":
        if ing.number == "pl":  # huevos: whole numbers, at least two
            return f"{max(2, int(round(amount)))} {ing.name}"
        if amount <= 0.6:
            return f"{'media' if ing.gender == 'f' else 'medio'} {ing.name}"
        for most, size in ((0.85, agree("pequeñ", ing)), (1.2, agree("median", ing)), (1.6, "grande")):
            if amount <= most:
                return f"1 {ing.name} {size}"
        return f"{_round_grams(amount * ing.grams_per_unit)} g de {ing.name}"
    count = 1 if ing.unit == "pizca" else max(1, int(round(amount)))
    singular, plural = UNIT_FORMS[ing.unit]
    return f"{count} {singular if count == 1 else plural} de {ing.name}"


def count_phrase(piece: str, count) -> str:
    """'media cebolla', 'un puerro', '2 latas de atún' (piece: the counted word, singular|plural)."""
    one, many = piece.split("|")
    if count >= 2:
        return f"{count} {many}"
    feminine = one.split()[0].endswith("a")  # lata, pechuga, cebolla; bote, diente, puerro
    return f"{('una' if feminine else 'un') if count == 1 else ('media' if feminine else 'medio')} {one}"


def listed_quantity(req: Request, ing: Ingredient, amount: float) -> str:
    """An ingredient's list line; a weighed one that the cook counted says the count too: '120 g de atún en
    lata (2 latas)', '160 g de zanahoria (2 unidades)'."""
    count, text = req.counts.get(ing.name, 0), quantity_phrase(ing, amount)
    if ing.unit == "g" and count:
        return f"{text} ({count_phrase(re.sub(r' [^|]*', '', ing.piece), count)})"  # "lata|latas"
    return f"{text} ({count} unidades)" if ing.unit == "ud" and ing.number == "sg" and count >= 2 else text


def ingredient_amount(ing: Ingredient, servings: int, n_requested: int, dish: str, n_proteins: int = 1) -> float:
    amount = ing.per_person * servings
    if ing.unit in ("g", "ml", "ud") and n_requested > 3 and ing.role not in ("huevo", "arroz", "pasta"):
        amount *= 0.75  # many ingredients share the plate
    if ing.role in PROTEIN_ROLES and n_proteins > 1:
        amount *= 0.6  # two proteins share the plate
    if dish == "crema" and ing.role in ("liquido", "leche"):
        amount *= 0.4  # just enough to make it creamy
    return amount


def pantry_amount(name: str, dish: str, servings: int, requested: list) -> str:
    if name == "aceite de oliva":
        if dish == "tortilla" and any(ing.role == "tuberculo" for ing in requested):
            return "200 ml de aceite de oliva"  # to confit the potatoes
        return f"{(3 if dish == 'ensalada' else 2) + servings // 3} cucharadas de aceite de oliva"
    if name == "caldo de verduras":
        return f"{mass((200 if dish == 'arroz' else 250) * servings, 'ml', 'l')} de caldo de verduras"
    if name == "agua":
        return "2 l de agua" if dish in ("pasta", "ensalada") else "100 ml de agua"
    if name == "azúcar":
        return "1 cucharadita de azúcar" if dish == "batido" else f"{1 + (servings + 1) // 2} cucharadas de azúcar"
    if name == "vinagre":
        return f"{1 + servings // 3} cucharada{'s' if 1 + servings // 3 > 1 else ''} de vinagre"
    if name == "sal":
        return "1 cucharadita de sal" if dish in ("pasta", "ensalada", "guiso", "sopa", "crema", "arroz") else "1 pizca de sal"
    return f"1 pizca de {name}"


def pantry_used(text: str) -> list:
    """The pantry basics a recipe's steps and tip use, in catalogue order."""
    found = {m.lower() for m in PANTRY_RE.findall(MASK_RE.sub("#", text))}
    if SALPIMENTAR_RE.search(text):
        found.update(("sal", "pimienta negra"))
    return [p for p in PANTRY if p.name in found]


# --- Steps: the dish type's phases, filled with the requested ingredients ----
def phase_active(phase: Phase, present_roles: set) -> bool:
    """Whether a phase is written: no "~role" it names is present, and one of its other roles is, if any."""
    absent = [r[1:] for r in phase.requires if r.startswith("~")]
    needed = [r for r in phase.requires if not r.startswith("~")]
    return not any(r in present_roles for r in absent) and (not needed or any(r in present_roles for r in needed))


def phase_minutes(phase: Phase, items: list, req: Request, rng) -> int:
    """The {m} of a phase that cooks `items` (see Phase.minutes)."""
    if phase.minutes == "lead":  # head start so that it finishes with the vegetables
        later = [ing.cook for ing in req.ingredients if ing.role in ("tuberculo", "verdura", "aroma")]
        lead = max(ing.cook for ing in items) - max(later + [0])
        return max(5 if later else 15, int(round(lead / 5)) * 5)
    if phase.minutes == "side":  # per side on the griddle, whatever its stewing time
        longest = max(ing.cook for ing in items)
        return max(2, min(5, longest // 4 if longest > 8 else longest))
    if phase.minutes == "cook":  # an "everything" phase lasts at least the dish type's minimum
        return max([ing.cook for ing in items or req.ingredients] + [3 if items else COOK_MINIMUM.get(req.dish.key, 3)])
    return rng.randint(*phase.minutes) if phase.minutes else 0


def with_article(ing: Ingredient, participle: bool = False, juice: bool = False) -> str:
    """'la cebolla', 'el ajo picado' (participle), 'el zumo del limón' (juice, for what is squeezed)."""
    text = f"{'el' if ing.name in STRESSED_A else DEFINITE[ing.key]} {ing.name}"
    if juice and ing.prep == ("exprime",):
        text = fix_contractions(f"el zumo de {text}")
    if participle and ing.prep and ing.role in ("aroma", "hierba", "queso", "fruto_seco"):
        text += " " + agree(PARTICIPLE_OF[ing.prep[-1]], ing)
    return text


def prep_step(req: Request, verbs: dict) -> str:
    """'Pica la cebolla y el ajo. Corta el pimiento rojo en tiras.' grouped by action."""
    groups = {}
    for ing in (ing for ing in req.ingredients if ing.prep):
        groups.setdefault((" y ".join(verbs[v] for v in ing.prep), ing.prep_tail), []).append(ing)
    return " ".join(capitalize(f"{verb} {join(with_article(i) for i in items)}{' ' + tail if tail else ''}.")
                    for (verb, tail), items in groups.items())


def build_steps(req: Request, verbs: dict, rng) -> tuple:
    """(the steps' texts: preparation, then each phase that applies; total minutes, rounded up to 5)."""
    present = {ing.role for ing in req.ingredients}
    first, minutes, used = prep_step(req, verbs), 0, set()
    steps = [first] if first else []
    for phase in req.dish.phases:
        items = [ing for ing in req.ingredients if ing.role in phase.roles and ing.name not in used]
        if phase.roles and not items or not phase_active(phase, present):
            continue
        m = phase_minutes(phase, items, req, rng)
        minutes += m
        used.update(ing.name for ing in items)
        text = phase.text.format(X=join(with_article(i, juice=True) for i in items),
                                 Xp=join(with_article(i, participle=True, juice=True) for i in items), m=m, **verbs)
        steps.append(capitalize(text.replace(" 1 minutos", " 1 minuto")))
    missing = [ing.name for ing in req.ingredients if ing.name not in used]
    if missing:
        raise AssertionError(f"{req.dish.key}: sin paso para {missing}")
    total = min(15, 5 + 2 * sum(1 for ing in req.ingredients if ing.prep)) + minutes  # preparing, then cooking
    return steps, int(-(-total // 5) * 5)


# --- Title, closing tip, and the whole recipe --------------------------------
def _list_order(ing: Ingredient):
    """Main ingredients first in the list, seasonings last."""
    return (ROLE_RANK[ing.role], ing.name)


def dish_request_name(req: Request) -> str:
    """'tortilla de patatas', 'tortilla de patatas con chorizo', 'lentejas con chorizo y calabaza'."""
    if not req.extras:
        return req.dish_name
    return f"{req.dish_name} {'y' if ' con ' in req.dish_name else 'con'} {join(i.name for i in req.extras)}"


def shown_name(req: Request, ing: Ingredient) -> str:
    """The name a title gives an ingredient: the cook's word when it names no other ingredient."""
    alias = req.aliases.get(ing.name)
    if alias and set(CATALOGUE_NAME_RE.findall(alias)) <= {ing.name}:  # not "tomate cherry" for tomates cherry
        return alias
    return ing.name


def title(req: Request) -> str:
    """"Pollo al horno con patata", "Guiso de garbanzos, espinacas y tomate", or the dish asked for."""
    if req.dish_name:
        return capitalize(dish_request_name(req))
    anchor = next(ing for ing in req.ingredients if ing.role in req.dish.anchors)
    ordered = sorted(req.ingredients, key=_list_order)
    others = [shown_name(req, i) for i in ordered if i is not anchor and i.role not in SEASONING_ROLES][:2]
    key = req.dish.key
    if key in ("arroz", "pasta"):
        head = capitalize(shown_name(req, anchor))
        return f"{head} con {join(others)}" if others else f"{head} al estilo casero"
    if key in ("al_horno", "a_la_plancha"):
        return f"{capitalize(shown_name(req, anchor))} {DISH_LABEL[key]}" + (f" con {join(others)}" if others else "")
    if key in ("tortilla", "revuelto") and not others:
        return "Tortilla francesa" if key == "tortilla" else "Huevos revueltos"
    head = {"postre": "Copa", "batido": "Batido"}.get(key, capitalize(req.dish.bare))
    main = ([shown_name(req, i) for i in ordered if i.role not in SEASONING_ROLES][:3]
            or [shown_name(req, i) for i in ordered][:3])
    return f"{head} de {join(main)}"


def render_response(req: Request, style: str, amounts: dict, rng) -> tuple:
    """(the recipe's text, its total minutes) for a request written in one style."""
    wording = STYLES[style]
    verbs = VERBS[wording["verbs"]]
    steps, total_minutes = build_steps(req, verbs, rng)
    leafy = any(ing.name in LEAFY for ing in req.ingredients)
    tip = rng.choice([*req.dish.leaf_tips, *req.dish.tips] if leafy else req.dish.tips).format(**verbs)
    people = f"1 {wording['serving']}" if req.servings == 1 else f"{req.servings} {wording['servings']}"
    intro = wording[f"intro_{req.dish.gender}"].format(dish=req.dish.indef)
    if req.diet:
        intro = f"{intro} Receta {join(DIET_NOTE[d] for d in req.diet)}.".strip()
    lines = [title(req), wording["meta"].format(n=people, k=req.servings, t=total_minutes)] + ([intro] if intro else [])
    lines += ["", "Ingredientes:"]
    lines += [f"- {listed_quantity(req, ing, amounts[ing.name])}" for ing in sorted(req.ingredients, key=_list_order)]
    lines += [f"- {pantry_amount(p.name, req.dish.key, req.servings, req.ingredients)}"
              for p in pantry_used(" ".join(steps) + " " + tip)]
    lines += ["", "Preparación:"]
    lines += [f"{i}. {step}" for i, step in enumerate(steps, 1)]
    lines += ["", f"{wording['tip']}: {capitalize(tip)}"]
    return fix_conjunctions(fix_contractions("\n".join(lines))), total_minutes
