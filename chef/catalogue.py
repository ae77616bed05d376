"""The tables every recipe is made of, read from data/: ingredients, aliases, named dishes, diets.

Ingredients know their gender and number, units, dish types and diet flags; aliases are the words cooks
type for them ("pollo"); named dishes are what a cook may ask for by name ("paella"); diets.csv says how
each diet is written. The generator, the chat and the evaluation all read them from here.
"""

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from chef.spanish import fold, typed_without_accents

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


def read_table(filename: str) -> list:
    with open(DATA_DIR / filename, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def whole_words_re(phrases) -> re.Pattern:
    """One regex for any of the phrases as whole words, ignoring case; longest first, so that
    "pimiento rojo" is read before "pimiento"."""
    alternatives = "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


# --- Diets: data/diets.csv, one row per phrase, a column per use (yes or empty): ---
# request (the generator writes it in requests), understood (the chat reads it in a request),
# recipe_note (the recipe's "Receta vegana."), announced (a recipe that says it follows the diet).
DIET_TABLE = read_table("diets.csv")
DIETS = tuple(dict.fromkeys(row["diet"] for row in DIET_TABLE))  # the order the generator draws them in


def diet_phrases(diet: str, use: str) -> tuple:
    """The phrases of a diet marked for one use (a column of data/diets.csv), in table order."""
    return tuple(row["phrase"] for row in DIET_TABLE if row["diet"] == diet and row[use] == "yes")


DIET_PHRASES = {d: diet_phrases(d, "request") for d in DIETS}  # chef.dataset, chef.requests
DIET_WORDS = {phrase: d for d in DIETS for phrase in diet_phrases(d, "understood")}  # chef.requests
DIET_NOTE = {d: diet_phrases(d, "recipe_note")[0] for d in DIETS}  # chef.recipes: "Receta vegetariana."
ANNOUNCED_DIETS = {d: whole_words_re(diet_phrases(d, "announced")) for d in DIETS}  # chef.metrics


# --- The ingredient catalogue: data/ingredients.csv, one row per ingredient, a column per field ---
@dataclass(frozen=True)
class Ingredient:
    name: str  # canonical name, as written in recipes
    category: str
    gender: str  # 'm' / 'f'
    number: str  # 'sg' / 'pl'
    role: str  # what it does in a dish (data/roles.csv): the dish types' phases cook by role
    unit: str  # g, ml, ud (countable), diente, cucharada, cucharadita, pizca, rama, hoja, una
    per_person: float  # amount of `unit` per serving
    grams_per_unit: int  # grams of one piece: a countable's, or a counted container's ("lata de atún")
    techniques: tuple  # dish types it fits
    prep: tuple  # verb keys of its preparation, e.g. ("pela", "corta")
    prep_tail: str  # how it is cut, after the verb and the names: "en dados"
    note: str  # participle stem always written after it in the list ("cocid" -> garbanzos cocidos)
    cook: int  # minutes it needs to cook through
    meat: bool = False
    fish: bool = False
    animal: bool = False  # any animal product: meat, fish, dairy, eggs, honey
    dairy: bool = False
    gluten: bool = False
    pantry: bool = False  # a basic every kitchen has (sal, aceite de oliva): never asked for
    piece: str = ""  # what a cook counts, singular|plural: "zanahoria|zanahorias", "lata de atún|latas de atún"

    @property
    def key(self):
        return (self.gender, self.number)


def _ingredient(row: dict) -> Ingredient:
    """One row of data/ingredients.csv, whose columns are the fields."""
    flags = {flag: row[flag] == "yes" for flag in ("meat", "fish", "animal", "dairy", "gluten", "pantry")}
    words = {column: tuple(row[column].split()) for column in ("techniques", "prep")}
    return Ingredient(**{**row, **flags, **words, "per_person": float(row["per_person"]), "cook": int(row["cook"]),
                         "grams_per_unit": int(row["grams_per_unit"] or 0)})


INGREDIENTS = {row["name"]: _ingredient(row) for row in read_table("ingredients.csv")}
NON_PANTRY = [ing for ing in INGREDIENTS.values() if not ing.pantry]
PANTRY = [ing for ing in INGREDIENTS.values() if ing.pantry]
# Whole catalogue names inside a text, longest first ("pipas de calabaza" before "calabaza").
CATALOGUE_NAME_RE = whole_words_re(INGREDIENTS)
# The flags a diet rules out.
RULED_OUT = {"vegetariano": ("meat", "fish"), "vegano": ("animal",), "sin gluten": ("gluten",),
             "sin lactosa": ("dairy",)}


def violates(diet: str, ingredient_name: str) -> bool:
    ing = INGREDIENTS[ingredient_name]
    if diet not in RULED_OUT:
        raise ValueError(f"dieta desconocida: {diet}")
    return any(getattr(ing, flag) for flag in RULED_OUT[diet])


def _names(cell: str, sep: str = ";") -> tuple:
    """The catalogue names a table cell lists ("pechuga de pollo; muslos de pollo"); an unknown one is an error."""
    names = tuple(name.strip() for name in cell.split(sep) if name.strip())
    unknown = [n for n in names if n not in INGREDIENTS]
    if unknown:
        raise ValueError(f"{cell}: no están en el catálogo: {', '.join(unknown)}")
    return names


# --- Aliases: data/aliases.csv, one row per word a cook types that the catalogue does not have. ---
# An alias stands for any of its ingredients (a generic word such as "pollo" or "queso" stands
# for several); a catalogue name is never an alias, it is itself. `common` marks the words cooks
# type all the time: the generator uses them most.
_ALIAS_ROWS = read_table("aliases.csv")
# Hand-written aliases: the words the generator puts in requests.
WRITTEN_ALIASES = {row["alias"]: _names(row["ingredients"]) for row in _ALIAS_ROWS}
COMMON_ALIASES = {row["alias"] for row in _ALIAS_ROWS if row["common"] == "yes"}


# ALIASES: the written ones plus every catalogue name and alias as typed without accents ("jamon", "atun");
# the tests check that no spelling stands for two families.
ALIASES = dict(WRITTEN_ALIASES)
for _name, _family in [(n, (n,)) for n in INGREDIENTS] + list(WRITTEN_ALIASES.items()):
    if typed_without_accents(_name) not in INGREDIENTS:
        ALIASES.setdefault(typed_without_accents(_name), _family)
_RESOLVE = {fold(n): (n,) for n in INGREDIENTS}
_RESOLVE.update({fold(a): f for a, f in ALIASES.items()})


def resolve_name(text: str) -> tuple:
    """The catalogue names one ingredient word or phrase stands for; () when unknown.

    resolve_name("Pollo") -> ("pechuga de pollo", "muslos de pollo", "alitas de pollo");
    resolve_name(" ATUN en lata") -> ("atún en lata",).
    """
    return _RESOLVE.get(fold(text), ())


# --- Named dishes: data/named_dishes.csv, one row per dish ("paella; paella valenciana"). ---
# `core` and `optional` list groups separated by ";", each group alternatives separated by "/":
# one of each core group is always used, an optional group maybe. Only dishes that the dish
# types really cook are listed: no gazpacho (no dish type makes a cold soup).
@dataclass(frozen=True)
class DishRecipe:
    name: str
    names: tuple  # every name of the dish ("paella", "paella valenciana")
    gender: str  # of the dish name, for articles in requests ("unas lentejas con chorizo")
    number: str
    dish: str  # key of chef.dishes.DISHES
    core: tuple  # groups of alternatives, one of each is always used
    optional: tuple  # groups of alternatives, each used or not


def _groups(cell: str) -> tuple:
    """'arroz bomba / arroz redondo; gambas' -> (('arroz bomba', 'arroz redondo'), ('gambas',))."""
    return tuple(_names(group, "/") for group in cell.split(";") if group.strip())


def _load_named_dishes() -> dict:
    """{name: DishRecipe}, every name of a dish a key (the tests check each against the catalogue)."""
    recipes = {}
    for row in read_table("named_dishes.csv"):
        names = tuple(name.strip() for name in row["names"].split(";"))
        core, optional = _groups(row["core"]), _groups(row["optional"])
        for name in names:
            recipes[name] = DishRecipe(name, names, row["gender"], row["number"], row["dish_type"], core, optional)
    return recipes


DISH_RECIPES = _load_named_dishes()
# What a cook may leave out ("sin cebolla"), data/exclusions.csv: article, allergen or not, the names it rules out.
EXCLUSION_TABLE = {row["thing"]: row for row in read_table("exclusions.csv")}
EXCLUSIONS = {thing: _names(row["ingredients"]) for thing, row in EXCLUSION_TABLE.items()}
# dish name -> (dish type, the catalogue ingredients the dish usually has)
DISH_NAMES = {name: (r.dish, tuple(n for group in r.core + r.optional for n in group))
              for name, r in DISH_RECIPES.items()}
