"""chef.recipes"""

from dataclasses import dataclass, field

from chef.catalogue import CATALOGUE_NAME_RE, MASK_RE, PANTRY, PANTRY_RE, SALPIMENTAR_RE, Ingredient
from chef.dishes import PROTEIN_ROLES, ROLE_DISHES, SEASONING_ROLES, STYLE_INDEX, VERBS, Dish, Phase
from chef.spanish import agree, capitalize, fix_conjunctions, fix_contractions, format_number, join, with_article

# ---------------------------------------------------------------------------
# Quantities
# ---------------------------------------------------------------------------
UNIT_FORMS = {"diente": ("diente", "dientes"), "cucharada": ("cucharada", "cucharadas"),
              "cucharadita": ("cucharadita", "cucharaditas"), "pizca": ("pizca", "pizcas"),
              "rama": ("rama", "ramas"), "hoja": ("hoja", "hojas")}


def _round_grams(grams: float) -> int:
    step = 5 if grams < 50 else 10 if grams < 100 else 25 if grams < 1000 else 100
    return max(step, int(round(grams / step) * step))


def _mass(amount: float, small: str, big: str) -> str:
    value = _round_grams(amount)
    if value >= 1000:
        return f"{format_number(round(value / 1000, 1))} {big}"
    return f"{value} {small}"


def quantity_phrase(ing: Ingredient, amount: float) -> str:
    """'300 g de pechuga de pollo', '1 cebolla mediana', 'media cebolla', '2 dientes de ajo'."""
    if ing.unit == "g":
        return f"{_mass(amount, 'g', 'kg')} de {ing.name}" + (f" {agree(ing.note, ing)}" if ing.note else "")
    if ing.unit == "ml":
        return f"{_mass(amount, 'ml', 'l')} de {ing.name}"
    if ing.unit == "una":
        return f"1 {ing.name}"
    if ing.unit == "ud":
        if ing.number == "pl":  # huevos: whole numbers, at least two
            return f"{max(2, int(round(amount)))} {ing.name}"
        if amount <= 0.6:
            return f"{'media' if ing.gender == 'f' else 'medio'} {ing.name}"
        if amount <= 0.85:
            return f"1 {ing.name} {agree('pequeñ', ing)}"
        if amount <= 1.2:
            return f"1 {ing.name} {agree('median', ing)}"
        if amount <= 1.6:
            return f"1 {ing.name} grande"
        return f"{_round_grams(amount * ing.grams_per_unit)} g de {ing.name}"
    count = 1 if ing.unit == "pizca" else max(1, int(round(amount)))
    singular, plural = UNIT_FORMS[ing.unit]
    return f"{count} {singular if count == 1 else plural} de {ing.name}"


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
    roles = {ing.role for ing in requested}
    if name == "aceite de oliva":
        if dish == "tortilla" and "tuberculo" in roles:
            return "200 ml de aceite de oliva"
        if dish == "ensalada":
            return f"{3 + servings // 3} cucharadas de aceite de oliva"
        return f"{2 + servings // 3} cucharadas de aceite de oliva"
    if name == "caldo de verduras":
        per = 200 if dish == "arroz" else 250
        return f"{_mass(per * servings, 'ml', 'l')} de caldo de verduras"
    if name == "agua":
        return "2 l de agua" if dish in ("pasta", "ensalada") else "100 ml de agua"
    if name == "azúcar":
        count = 1 if dish == "batido" else 1 + (servings + 1) // 2
        unit = "cucharadita" if dish == "batido" else ("cucharada" if count == 1 else "cucharadas")
        return f"{count} {unit} de azúcar"
    if name == "vinagre":
        return f"{1 + servings // 3} cucharada{'s' if 1 + servings // 3 > 1 else ''} de vinagre"
    if name == "sal":
        return "1 cucharadita de sal" if dish in ("pasta", "ensalada", "guiso", "sopa", "crema", "arroz") else "1 pizca de sal"
    return f"1 pizca de {name}"


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


# ---------------------------------------------------------------------------
# Recipes (responses)
# ---------------------------------------------------------------------------
STYLE_TEXT = {
    "casero": {"meta": "Para {n} · {t} minutos", "intro": "Con esto te sale {dish} muy {rico}.", "tip": "Consejo"},
    "formal": {"meta": "Raciones: {k} | Tiempo total: {t} minutos", "intro": "Le propongo {dish} {sencillo} y {sabroso}.",
               "tip": "Recomendación"},
    "esquema": {"meta": "{n} · {t} min", "intro": "", "tip": "Nota"},
    "cercano": {"meta": "Sale para {n} y se hace en {t} minutos.", "intro": "¡Vamos a preparar {dish} {riquisimo}!",
                "tip": "Truco"},
}
DIET_NOTE = {"vegetariano": "vegetariana", "vegano": "vegana", "sin gluten": "sin gluten", "sin lactosa": "sin lactosa"}


def verb_forms(style: str) -> dict:
    index = STYLE_INDEX[style]
    return {key: forms[index] for key, forms in VERBS.items()}


def phase_active(phase: Phase, present_roles: set) -> bool:
    for req in phase.requires:
        if req.startswith("~") and req[1:] in present_roles:
            return False
    positive = [r for r in phase.requires if not r.startswith("~")]
    return not positive or any(r in present_roles for r in positive)


def phase_minutes(phase: Phase, items: list, req: Request, rng) -> int:
    if phase.minutes == "lead":  # head start so that it finishes with the vegetables
        later = [ing.cook for ing in req.ingredients if ing.role in ("tuberculo", "verdura", "aroma")]
        lead = max(ing.cook for ing in items) - max(later + [0])
        return max(5 if later else 15, int(round(lead / 5)) * 5)
    if phase.minutes == "side":  # per side on the griddle, whatever its stewing time
        longest = max(ing.cook for ing in items)
        return max(2, min(5, longest // 4 if longest > 8 else longest))
    if phase.minutes == "cook":
        relevant = items or req.ingredients
        longest = max([ing.cook for ing in relevant] + [0])
        if not items and req.dish.key == "guiso":
            longest = max(longest, 20)
        if not items and req.dish.key in ("sopa", "crema"):
            longest = max(longest, 15)
        if not items and req.dish.key == "arroz":
            longest = max(longest, 18)
        return max(longest, 3)
    if phase.minutes:
        return rng.randint(*phase.minutes)
    return 0


def prep_step(req: Request, verbs: dict) -> str:
    """'Pica la cebolla y el ajo. Corta el pimiento rojo en tiras.' grouped by action."""
    groups = {}
    for ing in req.ingredients:
        if ing.prep:
            groups.setdefault((ing.prep, ing.prep_tail), []).append(ing)
    sentences = []
    for (prep, tail), items in groups.items():
        verb = " y ".join(verbs[v] for v in prep)
        sentences.append(capitalize(f"{verb} {join(with_article(i) for i in items)}{tail}."))
    return " ".join(sentences)


def build_steps(req: Request, verbs: dict, rng) -> tuple:
    present = {ing.role for ing in req.ingredients}
    steps, minutes, used = [], 0, set()
    first = prep_step(req, verbs)
    if first:
        steps.append(first)
    for phase in req.dish.phases:
        items = [ing for ing in req.ingredients if ing.role in phase.roles and ing.name not in used]
        if phase.roles and not items or not phase_active(phase, present):
            continue
        if not phase.roles and not phase_active(phase, present):
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
    prep_minutes = min(15, 5 + 2 * sum(1 for ing in req.ingredients if ing.prep))
    total = prep_minutes + minutes
    return steps, int(-(-total // 5) * 5)


def shown_name(req: Request, ing: Ingredient) -> str:
    """The name a title gives an ingredient: the cook's word when it names no other ingredient."""
    alias = req.aliases.get(ing.name)
    if alias and set(CATALOGUE_NAME_RE.findall(alias)) <= {ing.name}:  # not "tomate cherry" for tomates cherry
        return alias
    return ing.name


def title(req: Request) -> str:
    if req.dish_name:
        return capitalize(dish_request_name(req))
    anchor = next(ing for ing in req.ingredients if ing.role in req.dish.anchors)
    others = [shown_name(req, i) for i in sorted(req.ingredients, key=_list_order)
              if i is not anchor and i.role not in SEASONING_ROLES][:2]
    key = req.dish.key
    if key in ("arroz", "pasta"):
        head = capitalize(shown_name(req, anchor))
        return f"{head} con {join(others)}" if others else f"{head} al estilo casero"
    if key == "al_horno":
        return f"{capitalize(shown_name(req, anchor))} al horno" + (f" con {join(others)}" if others else "")
    if key == "a_la_plancha":
        return f"{capitalize(shown_name(req, anchor))} a la plancha" + (f" con {join(others)}" if others else "")
    if key in ("tortilla", "revuelto") and not others:
        return "Tortilla francesa" if key == "tortilla" else "Huevos revueltos"
    head = {"postre": "Copa", "batido": "Batido"}.get(key, capitalize(req.dish.bare))
    ordered = sorted(req.ingredients, key=_list_order)
    main = ([shown_name(req, i) for i in ordered if i.role not in SEASONING_ROLES][:3]
            or [shown_name(req, i) for i in ordered][:3])
    return f"{head} de {join(main)}"


def intro_line(req: Request, style: str) -> str:
    template = STYLE_TEXT[style]["intro"]
    if not template:
        return ""
    d = req.dish
    adjectives = {"rico": "ric", "sencillo": "sencill", "sabroso": "sabros", "riquisimo": "riquísim"}
    ending = "o" if d.gender == "m" else "a"
    return template.format(dish=d.indef, **{k: v + ending for k, v in adjectives.items()})


LEAFY = ("lechuga", "rúcula", "canónigos", "escarola", "endivias", "espinacas")  # tips about leaves


def pick_tip(req: Request, rng) -> str:
    """A closing tip of the dish; tips written "role:text" only fit when that role is present."""
    present = {ing.role for ing in req.ingredients}
    if any(ing.name in LEAFY for ing in req.ingredients):
        present.add("hojas")
    tips = []
    for tip in req.dish.tips:
        role, sep, text = tip.partition(":")
        if sep and (role in ROLE_DISHES or role == "hojas"):
            if role in present:
                tips.append(text)
        else:
            tips.append(tip)
    return rng.choice(tips)


def render_response(req: Request, style: str, amounts: dict, rng) -> tuple:
    verbs = verb_forms(style)
    steps, total_minutes = build_steps(req, verbs, rng)
    tip = pick_tip(req, rng).format(**verbs)
    body = " ".join(steps) + " " + tip
    found = {m.lower() for m in PANTRY_RE.findall(MASK_RE.sub("#", body))}
    if SALPIMENTAR_RE.search(body):  # "salpimienta" uses both salt and pepper
        found.update(("sal", "pimienta negra"))
    pantry_used = [p for p in PANTRY if p.name in found]
    people = "1 persona" if req.servings == 1 else f"{req.servings} personas"
    if style == "esquema":
        people = "1 ración" if req.servings == 1 else f"{req.servings} raciones"
    lines = [title(req), STYLE_TEXT[style]["meta"].format(n=people, k=req.servings, t=total_minutes)]
    intro = intro_line(req, style)
    if req.diet:
        diet_note = "Receta " + join(DIET_NOTE[d] for d in req.diet) + "."
        intro = f"{intro} {diet_note}".strip()
    if intro:
        lines.append(intro)
    lines += ["", "Ingredientes:"]
    lines += [f"- {quantity_phrase(ing, amounts[ing.name])}" for ing in sorted(req.ingredients, key=_list_order)]
    lines += [f"- {pantry_amount(p.name, req.dish.key, req.servings, req.ingredients)}" for p in pantry_used]
    lines += ["", "Preparación:"]
    lines += [f"{i}. {step}" for i, step in enumerate(steps, 1)]
    lines += ["", f"{STYLE_TEXT[style]['tip']}: {capitalize(tip)}"]
    text = fix_conjunctions(fix_contractions("\n".join(lines)))
    return text, total_minutes


ROLE_ORDER = ["carne", "pescado", "proteina_veg", "arroz", "pasta", "grano", "legumbre", "huevo", "tuberculo",
              "verdura", "crudo", "aroma", "fruta", "fruta_cruda", "lacteo", "leche", "queso", "chocolate", "conserva", "liquido",
              "pan", "fruto_seco", "dulce", "especia", "condimento", "hierba"]


def _list_order(ing: Ingredient):
    """Main ingredients first in the list, seasonings last."""
    return (ROLE_ORDER.index(ing.role) if ing.role in ROLE_ORDER else 99, ing.name)


def dish_request_name(req: Request) -> str:
    """'tortilla de patatas', 'tortilla de patatas con chorizo', 'lentejas con chorizo y calabaza'."""
    if not req.extras:
        return req.dish_name
    return f"{req.dish_name} {'y' if ' con ' in req.dish_name else 'con'} {join(i.name for i in req.extras)}"
