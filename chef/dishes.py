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

    roles: tuple
    text: str
    minutes: object = None
    requires: tuple = ()


@dataclass(frozen=True)
class Dish:
    key: str  # dish_type value
    indef: str  # "un guiso"
    bare: str  # "guiso"
    gender: str  # of the dish noun, for the opening line ("muy rico", "muy rica")
    anchors: tuple  # at least one requested ingredient must have one of these roles
    phases: tuple
    tips: tuple
    leaf_tips: tuple  # tips only for a dish with salad leaves
    quick: bool  # fits a "rápido" request
    weight: int  # how often the generator draws it, relative to the others


def _phase(spec: dict) -> Phase:
    minutes = spec.get("minutes")  # [low, high], "cook", "lead", "side" or absent
    return Phase(tuple(spec["roles"]), spec["text"], tuple(minutes) if isinstance(minutes, list) else minutes,
                 tuple(spec.get("requires", ())))


def _dish(key: str, spec: dict) -> Dish:
    """One dish type of data/dish_types.json; its keys are the fields of Dish (leaf_tips may be absent)."""
    return Dish(key, spec["indef"], spec["bare"], spec["gender"], tuple(spec["anchors"]),
                tuple(_phase(p) for p in spec["phases"]), tuple(spec["tips"]), tuple(spec.get("leaf_tips", ())),
                spec["quick"], spec["weight"])


DISHES = {key: _dish(key, spec)
          for key, spec in json.loads((DATA_DIR / "dish_types.json").read_text(encoding="utf-8")).items()}
DISH_TYPES = tuple(DISHES)
DISH_LABEL = {key: key.replace("_", " ") for key in DISHES}  # "al_horno" -> "al horno"
