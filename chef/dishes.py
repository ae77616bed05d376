"""The dish types a recipe can be (guiso, salteado, ensalada...) and the verbs their steps are written with.

Each dish type (data/dish_types.json) is a list of step templates (phases) that cook the requested
ingredients by role, plus closing tips; each verb of the steps (data/verbs.csv) has the forms the
writing styles use. Used by chef.recipes (writing a recipe) and chef.dataset (drawing one).
"""

import json
from dataclasses import dataclass

from chef.catalogue import DATA_DIR, read_table

# The roles an ingredient plays (data/roles.csv), in the order a recipe lists them: main ingredients
# first. Columns: max_per_dish, protein, seasoning (kept out of titles), dish_extra (a cook may add
# it to a named dish: "tortilla de patatas con chorizo").
ROLES = {row["role"]: row for row in read_table("roles.csv")}


def roles_with(column: str) -> tuple:
    """The roles marked yes in one column of data/roles.csv."""
    return tuple(role for role, row in ROLES.items() if row[column] == "yes")


PROTEIN_ROLES = roles_with("protein")
VERB_FORMS = ("tu", "usted", "infinitive", "nosotros")  # columns of data/verbs.csv; each style uses one
_VERB_ROWS = read_table("verbs.csv")
# Steps write {anade}; a style's form makes it "añade" or "añadimos": {form: {verb key: verb}}.
VERBS = {form: {row["key"]: row[form] for row in _VERB_ROWS} for form in VERB_FORMS}
# Participles written after an ingredient name ("la cebolla picada"): prep verb -> stem.
PARTICIPLE_OF = {row["key"]: row["participle"] for row in _VERB_ROWS if row["participle"]}


@dataclass(frozen=True)
class Phase:
    """One step of a dish: cooks the requested ingredients of `roles` ({X}; {Xp} adds participles).

    Written when it has no roles or one of them is requested, and `requires` allows it (one of its
    roles present; "~role": that role absent). `minutes` fills {m}: a (low, high) range, "cook" the
    longest cook time of its ingredients, "lead" a head start on the vegetables, "side" per side.
    """

    roles: list
    text: str
    minutes: object = None
    requires: list = ()


@dataclass(frozen=True)
class Dish:
    key: str  # dish_type value
    indef: str  # "un guiso"
    bare: str  # "guiso"
    gender: str  # of the dish noun, for the opening line ("muy rico", "muy rica")
    anchors: list  # at least one requested ingredient must have one of these roles
    phases: tuple
    tips: list
    quick: bool  # fits a "rápido" request
    weight: int  # how often the generator draws it, relative to the others
    leaf_tips: list = ()  # tips only for a dish with salad leaves


# data/dish_types.json: {dish type: {field of Dish: value}}, each phase {field of Phase: value}.
DISHES = {key: Dish(key, **dict(spec, phases=tuple(Phase(**phase) for phase in spec["phases"])))
          for key, spec in json.loads((DATA_DIR / "dish_types.json").read_text(encoding="utf-8")).items()}
DISH_TYPES = tuple(DISHES)
DISH_LABEL = {key: key.replace("_", " ") for key in DISHES}  # "al_horno" -> "al horno"
