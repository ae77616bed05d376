"""Tests of the dataset generator (generate_dataset.py, chef.dataset and the tables in data/): catalogue,
aliases and dish names, diets, Spanish grammar, constraints, format, determinism, command line."""

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from chef.catalogue import (ALIASES, ANNOUNCED_DIETS, CATALOGUE_NAME_RE, DATA_DIR, DIET_NOTE, DIET_PHRASES,
                            DIET_WORDS, DIETS, DISH_NAMES, DISH_RECIPES, EXCLUSIONS, INGREDIENTS, NON_PANTRY,
                            WRITTEN_ALIASES, resolve_name, violates)
from chef.dataset import SIZE_WEIGHTS, generate_examples
from chef.dishes import DISH_LABEL, DISHES, PARTICIPLE_OF, ROLES
from chef.files import read_jsonl
from chef.prompt import SPECIAL_TOKENS
from chef.spanish import STRESSED_A, fix_conjunctions, fold, typed_without_accents

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "generate_dataset.py"
COMMITTED = REPO / "recetas_extended.jsonl"
DEFAULT_NUM, DEFAULT_SEED = 5000, 42  # a plain run writes the committed file (generate_dataset.py's docstring)

ARTICLES = {"el": ("m", "sg"), "la": ("f", "sg"), "los": ("m", "pl"), "las": ("f", "pl"),
            "un": ("m", "sg"), "una": ("f", "sg"), "unos": ("m", "pl"), "unas": ("f", "pl"),
            "del": ("m", "sg"), "al": ("m", "sg")}
ENDINGS = {"o": ("m", "sg"), "a": ("f", "sg"), "os": ("m", "pl"), "as": ("f", "pl")}
# Every stem that may follow an ingredient name and must agree with it.
PARTICIPLE_STEMS = {*PARTICIPLE_OF.values(), *(i.note for i in INGREDIENTS.values() if i.note), "median", "pequeñ"}
PARTICIPLE_RE = re.compile(r"\s+(" + "|".join(PARTICIPLE_STEMS) + r")(os|as|o|a)\b", re.IGNORECASE)
PREV_WORD_RE = re.compile(r"(\w+)\s+$")


def run_script(*args):
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, cwd=REPO,
                          timeout=60)


@pytest.fixture(scope="module")
def examples():
    return generate_examples(1500, 123)


def names_in(text):
    return [m.group(0).lower() for m in CATALOGUE_NAME_RE.finditer(text)]


# How each style reads (tú, usted, infinitive, nosotros): the closing tip's label, and the ending
# of the first step's verb ("Cortamos", "Cortar"; "Corta" and "Corte" have none to check).
STYLE_SIGNS = {"casero": ("Consejo", None), "formal": ("Recomendación", None), "esquema": ("Nota", "r"),
               "cercano": ("Truco", "mos")}


def sections(response):
    lines = response.split("\n")
    assert "Ingredientes:" in lines and "Preparación:" in lines, response
    i, p = lines.index("Ingredientes:"), lines.index("Preparación:")
    assert i < p, response
    ingredient_lines = [line for line in lines[i + 1:p] if line.strip()]
    steps = []
    for line in lines[p + 1:]:
        if not line.strip():
            break
        steps.append(line)
    return ingredient_lines, steps


# ---------------------------------------------------------------------------
# Catalogue and API
# ---------------------------------------------------------------------------


def test_catalogue_fields():
    for name, ing in INGREDIENTS.items():
        assert ing.name == name
        assert ing.gender in ("m", "f") and ing.number in ("sg", "pl")
        assert ing.per_person > 0 and ing.unit
        assert ing.pantry or ing.techniques, name
        assert not ing.meat or ing.animal
        assert not ing.fish or ing.animal
        assert not ing.dairy or ing.animal
    pantry = {n for n, i in INGREDIENTS.items() if i.pantry}
    assert {"sal", "aceite de oliva", "agua", "pimienta negra"} <= pantry
    for name in pantry:  # pantry basics go into any diet
        assert not any(violates(d, name) for d in DIETS)


def test_every_technique_has_a_step():
    for ing in NON_PANTRY:
        for tech in ing.techniques:
            roles = {r for phase in DISHES[tech].phases for r in phase.roles}
            assert ing.role in roles, (ing.name, tech)


def test_violates():
    assert violates("vegetariano", "chorizo") and violates("vegetariano", "merluza")
    assert not violates("vegetariano", "huevos")
    assert violates("vegano", "huevos") and violates("vegano", "miel") and violates("vegano", "leche")
    assert not violates("vegano", "tofu")
    assert violates("sin lactosa", "queso rallado") and not violates("sin lactosa", "leche de coco")
    assert violates("sin gluten", "espaguetis") and violates("sin gluten", "pan")
    assert not violates("sin gluten", "arroz redondo")
    with pytest.raises(ValueError):
        violates("paleo", "tofu")


def test_conjunction_rules():
    assert fix_conjunctions("pollo y hinojo") == "pollo e hinojo"
    assert fix_conjunctions("agua y hielo") == "agua y hielo"
    assert fix_conjunctions("pan y hierbabuena") == "pan y hierbabuena"
    assert fix_conjunctions("lima y higos") == "lima e higos"
    assert fix_conjunctions("siete o ocho") == "siete u ocho"


# ---------------------------------------------------------------------------
# The tables in data/
# ---------------------------------------------------------------------------
CSV_TABLES = {  # file: (header, the columns that hold "yes" or nothing)
    "ingredients.csv": (["name", "category", "gender", "number", "role", "unit", "per_person", "grams_per_unit",
                         "cook", "prep", "prep_tail", "note", "meat", "fish", "animal", "dairy", "gluten", "pantry",
                         "techniques", "piece"], ["meat", "fish", "animal", "dairy", "gluten", "pantry"]),
    "exclusions.csv": (["thing", "article", "allergy", "ingredients"], ["allergy"]),
    "aliases.csv": (["alias", "common", "ingredients"], ["common"]),
    "named_dishes.csv": (["names", "gender", "number", "dish_type", "core", "optional"], []),
    "diets.csv": (["diet", "phrase", "request", "understood", "recipe_note", "announced"],
                  ["request", "understood", "recipe_note", "announced"]),
    "roles.csv": (["role", "max_per_dish", "protein", "seasoning", "dish_extra"],
                  ["protein", "seasoning", "dish_extra"]),
    "verbs.csv": (["key", "tu", "usted", "infinitive", "nosotros", "participle"], []),
    "styles.csv": (["style", "verbs", "serving", "servings", "meta", "intro_m", "intro_f", "tip"], []),
}
JSON_TABLES = {"dish_types.json": set(DISHES),
               "request_templates.json": {"ingredient_requests", "dish_requests", "quick", "exclusions", "greetings"}}


@pytest.mark.parametrize("name", sorted(CSV_TABLES))
def test_csv_table_has_its_header_and_parses(name):
    header, flags = CSV_TABLES[name]
    with open(DATA_DIR / name, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == header
    assert len(rows) > 1 and all(len(row) == len(header) for row in rows), name
    table = [dict(zip(header, row)) for row in rows[1:]]
    assert all(row[header[0]] for row in table)  # the first column names the row
    assert len({row[header[0]] for row in table}) == len(table) or name == "diets.csv"
    for column in flags:
        assert {row[column] for row in table} <= {"yes", ""}, (name, column)


@pytest.mark.parametrize("name", sorted(JSON_TABLES))
def test_json_table_parses(name):
    assert set(json.loads((DATA_DIR / name).read_text(encoding="utf-8"))) == JSON_TABLES[name]


def test_every_role_is_in_the_roles_table():
    assert {ing.role for ing in INGREDIENTS.values()} <= set(ROLES)
    assert {role for dish in DISHES.values() for phase in dish.phases for role in phase.roles} <= set(ROLES)


def test_one_diet_table():
    assert DIETS == ("vegetariano", "vegano", "sin gluten", "sin lactosa")
    for diet in DIETS:
        understood = {phrase for phrase, d in DIET_WORDS.items() if d == diet}
        assert diet in understood and set(DIET_PHRASES[diet]) <= understood  # what the generator writes is read
        assert ANNOUNCED_DIETS[diet].search(f"Receta {DIET_NOTE[diet]}.")  # a recipe's own note announces it
        assert not any(ANNOUNCED_DIETS[other].search(DIET_NOTE[diet]) for other in DIETS if other != diet)


def test_fold_is_how_typed_text_is_compared():
    assert fold("  Ñoquis  con\tCHAMPIÑÓN y pingüino ") == "noquis con champinon y pinguino"
    assert typed_without_accents("¿Cómo hago ñoquis?") == "Como hago ñoquis?"  # how a cook types: ñ stays
    assert resolve_name("noquis") == resolve_name("ÑOQUIS") == ("ñoquis",)


# ---------------------------------------------------------------------------
# Generated examples
# ---------------------------------------------------------------------------


def test_unique_and_fields(examples):
    assert len(examples) == 1500
    assert len({ex["instruction"] for ex in examples}) == len(examples)
    assert len({ex["response"] for ex in examples}) == len(examples)
    # A dish asked for by name is its own request; two list requests, or two of one dish, never share a combination.
    assert len({(ex["dish_name"], frozenset(ex["ingredients"])) for ex in examples}) == len(examples)
    plain = [ex for ex in examples if ex["dish_name"] is None]
    assert len({frozenset(ex["ingredients"]) for ex in plain}) == len(plain)
    for ex in examples:
        assert set(ex) == {"instruction", "response", "ingredients", "aliases", "dish_name", "dish_type", "style",
                           "diet", "servings", "time_minutes", "excluded", "counts", "variants"}
        assert isinstance(ex["aliases"], dict) and (ex["dish_name"] is None or isinstance(ex["dish_name"], str))
        assert not (ex["aliases"] and ex["dish_name"])
        assert 1 <= len(ex["ingredients"]) <= 8
        assert len(set(ex["ingredients"])) == len(ex["ingredients"])
        assert all(n in INGREDIENTS and not INGREDIENTS[n].pantry for n in ex["ingredients"])
        tip, ending = STYLE_SIGNS[ex["style"]]  # the style field says how the text reads
        assert ex["response"].split("\n")[-1].startswith(f"{tip}: "), ex["response"]
        verb = sections(ex["response"])[1][0].split()[1]
        assert (verb.endswith("mos"), verb.endswith("r")) == (ending == "mos", ending == "r"), (ex["style"], verb)
        assert 1 <= ex["servings"] <= 6 and 5 <= ex["time_minutes"] <= 120
        for token in SPECIAL_TOKENS:
            assert token not in ex["instruction"] and token not in ex["response"]
        assert 60 <= len(ex["response"].split()) <= 350


def test_variety(examples):
    # The whole catalogue is asked for (an ingredient never requested is one the model never learns).
    assert {n for ex in examples for n in ex["ingredients"]} == {n for n, i in INGREDIENTS.items() if not i.pantry}
    assert len({ex["dish_type"] for ex in examples}) >= 12
    assert len({ex["style"] for ex in examples}) >= 4
    assert len({len(ex["ingredients"]) for ex in examples}) == 8
    assert any(ex["instruction"].isupper() for ex in examples)
    assert any("  " in ex["instruction"] for ex in examples)
    assert sum(bool(ex["diet"]) for ex in examples) > 200


def test_sections_and_steps(examples):
    for ex in examples:
        ingredient_lines, steps = sections(ex["response"])
        assert ingredient_lines and all(line.startswith("- ") for line in ingredient_lines), ex["response"]
        assert len(steps) >= 3, ex["response"]
        for number, step in enumerate(steps, 1):
            assert step.startswith(f"{number}. "), ex["response"]
        assert ex["response"].split("\n")[0].strip()  # a title


def test_ingredient_list_and_steps_use_every_ingredient(examples):
    for ex in examples:
        requested = set(ex["ingredients"])
        ingredient_lines, steps = sections(ex["response"])
        listed = []
        for line in ingredient_lines:
            found = names_in(line)
            assert len(found) == 1, line
            listed.append(found[0])
        assert len(listed) == len(set(listed)), ex["response"]
        assert requested <= set(listed), ex["response"]
        assert all(n in requested or INGREDIENTS[n].pantry for n in listed), ex["response"]
        assert requested <= set(names_in("\n".join(steps))), ex["response"]
        # No catalogue ingredient outside the list appears anywhere in the recipe.
        assert set(names_in(ex["response"])) <= set(listed), ex["response"]


def test_constraints(examples):
    for ex in examples:
        head = ex["response"].split("\nIngredientes:")[0]  # a recipe says which diets it follows
        assert [d for d in DIETS if ANNOUNCED_DIETS[d].search(head)] == ex["diet"], ex["response"]
        for diet in ex["diet"]:
            assert diet in DIETS
            assert not any(violates(diet, n) for n in ex["ingredients"]), ex
        if ex["dish_type"] == "postre":
            assert not any(INGREDIENTS[n].role == "aroma" for n in ex["ingredients"]), ex
        for name in ex["ingredients"]:
            assert ex["dish_type"].replace(" ", "_") in INGREDIENTS[name].techniques, (name, ex["dish_type"])


def grammar_errors(text):
    errors = []
    for m in CATALOGUE_NAME_RE.finditer(text):
        ing = INGREDIENTS[m.group(0).lower()]
        key = (ing.gender, ing.number)
        prev = PREV_WORD_RE.search(text[max(0, m.start() - 24):m.start()])  # a short window is enough
        expected = ("m", "sg") if ing.name in STRESSED_A else key  # "el agua"
        if prev and prev.group(1).lower() in ARTICLES and ARTICLES[prev.group(1).lower()] != expected:
            errors.append(f"{prev.group(1)} {m.group(0)}")
        nxt = PARTICIPLE_RE.match(text, m.end())
        if nxt and ENDINGS[nxt.group(2).lower()] != key:
            errors.append(f"{m.group(0)} {nxt.group(1)}{nxt.group(2)}")
    for pattern in (r"\bde el\b", r"\ba el\b", r"\by\s+h?[ií](?![aeouáéóú])", r"\bo\s+h?[oó]"):
        errors += re.findall(pattern, text, re.IGNORECASE)
    return errors


def test_grammar_of_generated_lines(examples):
    for ex in examples:
        for text in (ex["instruction"], ex["response"]):
            assert not grammar_errors(text), (grammar_errors(text), text)


def test_grammar_checker_catches_errors():
    assert grammar_errors("Pica el cebolla.") and grammar_errors("la cebolla picado")
    assert grammar_errors("Añade de el arroz") and grammar_errors("pollo y hinojo")
    assert not grammar_errors("Pica la cebolla picada y los garbanzos cocidos con agua y hielo.")


# ---------------------------------------------------------------------------
# Aliases and dish names
# ---------------------------------------------------------------------------
# Words cooks type that the alias table must know (issue #11).
COOK_WORDS = ("pollo", "patatas", "manzanas", "huevo", "tomates", "cebollas", "queso", "arroz", "pasta", "pescado",
              "pescado blanco", "marisco", "setas", "nata", "yogur", "atún", "pimiento", "alubias", "carne picada",
              "carne", "cerdo", "legumbres")
COOK_DISHES = ("tortilla de patatas", "paella", "paella de marisco", "crema de calabaza", "lentejas con chorizo")


def says(text, words):
    return re.search(rf"(?<!\w){re.escape(fold(words))}(?!\w)", fold(text)) is not None


def alias_errors(row):
    """What is wrong with the aliases of one row: each alias must be in the request, stand for its
    ingredient (and for no other one of the request), and that ingredient must be in the list and the steps."""
    errors = []
    ingredient_lines, steps = sections(row["response"])
    listed, cooked = set(names_in("\n".join(ingredient_lines))), set(names_in("\n".join(steps)))
    for name, alias in row["aliases"].items():
        family = set(resolve_name(alias))
        if name not in row["ingredients"]:
            errors.append(f"{name}: no está en ingredients")
        if alias in INGREDIENTS or name not in family:
            errors.append(f"«{alias}» no nombra {name}")
        if family & set(row["ingredients"]) - {name}:
            errors.append(f"«{alias}» nombra también {sorted(family & set(row['ingredients']) - {name})}")
        if not family & listed or name not in listed:
            errors.append(f"«{alias}»: {name} no está en la lista de ingredientes")
        if not family & cooked or name not in cooked:
            errors.append(f"«{alias}»: {name} no está en los pasos")
        if not says(row["instruction"], alias):
            errors.append(f"«{alias}» no está en la petición")
    return errors


def dish_errors(row):
    """What is wrong with a row that asks for a dish by name: its dish type, its core ingredients, at most
    one ingredient of its own that the request names, all of them in the list and the steps."""
    name = row["dish_name"]
    if name not in DISH_NAMES:
        return [f"plato desconocido: {name}"]
    dish, usual = DISH_NAMES[name]
    errors = []
    if row["dish_type"] != DISH_LABEL[dish]:
        errors.append(f"{name} no es {row['dish_type']}")
    for group in DISH_RECIPES[name].core:
        if not set(group) & set(row["ingredients"]):
            errors.append(f"{name} sin {'/'.join(group)}")
    extras = [n for n in row["ingredients"] if n not in usual]
    if len(extras) > 1 or any(not says(row["instruction"], n) for n in extras):
        errors.append(f"{name} con {extras} sin pedirlo")
    if not says(row["instruction"], name):
        errors.append(f"la petición no dice {name}")
    if not row["response"].split("\n")[0].lower().startswith(name):
        errors.append(f"el título no es {name}")
    ingredient_lines, steps = sections(row["response"])
    for where, text in (("la lista", ingredient_lines), ("los pasos", steps)):
        missing = set(row["ingredients"]) - set(names_in("\n".join(text)))
        if missing:
            errors.append(f"faltan en {where}: {sorted(missing)}")
    return errors


def test_aliases_stand_for_catalogue_names():
    for alias, family in ALIASES.items():
        assert alias == " ".join(alias.split()).lower() and alias not in INGREDIENTS, alias
        assert family and len(set(family)) == len(family), alias
        assert all(n in INGREDIENTS for n in family), (alias, family)
        assert resolve_name(alias) == family
    for word in COOK_WORDS:
        assert word in WRITTEN_ALIASES and not any(INGREDIENTS[n].pantry for n in ALIASES[word]), word
    assert resolve_name("pollo") == ("pechuga de pollo", "muslos de pollo", "alitas de pollo")
    assert resolve_name("patatas") == ("patata",) and resolve_name("huevo") == ("huevos",)
    assert set(resolve_name("queso")) >= {"queso rallado", "mozzarella", "queso curado"}
    # Every catalogue name and every written alias can be typed without accents.
    for name in list(INGREDIENTS) + list(WRITTEN_ALIASES):
        bare = typed_without_accents(name)
        assert bare in ALIASES or bare in INGREDIENTS, name
        assert resolve_name(bare) == resolve_name(name), name


def test_resolve_name_ignores_case_accents_and_spaces():
    for name in INGREDIENTS:  # a catalogue name stands for itself, however it is typed
        for typed in (name, name.upper(), typed_without_accents(name), f"  {name.title()}\t", name.replace(" ", "  ")):
            assert resolve_name(typed) == (name,), typed
    assert resolve_name("  PoLLo ") == resolve_name("pollo")
    assert resolve_name("ATÚN") == resolve_name("atun") == ("atún fresco", "atún en lata")
    assert resolve_name("Jamon   Serrano") == ("jamón serrano",)
    assert resolve_name("PLÁTANOS") == resolve_name("platanos") == ("plátano",)
    for unknown in ("", "   ", "gazpacho", "pollo asado", "lentejas con chorizo", "x"):
        assert resolve_name(unknown) == (), unknown


def test_dish_names_cook_with_their_dish_type():
    for name in COOK_DISHES:
        assert name in DISH_NAMES, name
    for name, (dish, usual) in DISH_NAMES.items():
        assert name == " ".join(name.split()).lower() and dish in DISHES, name
        assert usual and len(set(usual)) == len(usual), name
        for n in usual:
            assert n in INGREDIENTS and not INGREDIENTS[n].pantry, (name, n)
            assert dish in INGREDIENTS[n].techniques, (name, n)  # the dish type has a step for it
        recipe = DISH_RECIPES[name]
        assert recipe.core and {n for g in recipe.core + recipe.optional for n in g} == set(usual), name
        # A catalogue name inside the dish name ("lentejas con chorizo") is in every recipe of it.
        for n in names_in(name):
            assert (n,) in recipe.core, (name, n)


def test_generated_aliases_and_dish_names(examples):
    aliased = [ex for ex in examples if ex["aliases"]]
    named = [ex for ex in examples if ex["dish_name"]]
    assert 0.18 <= len(aliased) / len(examples) <= 0.28
    assert 0.03 <= len(named) / len(examples) <= 0.07
    for ex in aliased:
        assert not alias_errors(ex), (alias_errors(ex), ex)
    for ex in named:
        assert not dish_errors(ex), (dish_errors(ex), ex)


def test_alias_and_dish_checkers_catch_errors(examples):
    row = next(ex for ex in examples if len(ex["aliases"]) == 1)
    (name, alias), = row["aliases"].items()
    assert not alias_errors(row)
    wrong = "pescado" if name not in ALIASES["pescado"] else "queso"
    assert alias_errors(dict(row, aliases={name: wrong}))  # a word of another family
    assert alias_errors(dict(row, aliases={name: "pimientos verdes" if wrong == "queso" else alias + "x"}))
    lines = [line for line in row["response"].split("\n") if not (line.startswith("- ") and name in names_in(line))]
    assert alias_errors(dict(row, response="\n".join(lines)))  # the ingredient left out of the list
    dish = next(ex for ex in examples if ex["dish_name"])
    assert not dish_errors(dish)
    core = DISH_RECIPES[dish["dish_name"]].core[0]
    assert dish_errors(dict(dish, ingredients=[n for n in dish["ingredients"] if n not in core]))
    assert dish_errors(dict(dish, dish_type="batido" if dish["dish_type"] != "batido" else "sopa"))
    assert dish_errors(dict(dish, ingredients=dish["ingredients"] + ["chocolate negro"]))
    assert dish_errors(dict(dish, dish_name="paella" if dish["dish_name"] != "paella" else "escalivada"))


# ---------------------------------------------------------------------------
# Exclusions, counted quantities, further wordings (issue #19)
# ---------------------------------------------------------------------------
def word_re(phrase):
    """A phrase as whole words of folded text, singular or plural ("ajo", "ajos"; "tomate", "tomates cherry")."""
    return re.compile(rf"(?<!\w){re.escape(fold(phrase))}(?:e?s)?(?!\w)")


def exclusion_errors(row):
    """What is wrong with a row's exclusions: the request must say each thing, and neither the thing nor
    any ingredient it rules out may be anywhere in the recipe (title, list, steps, tip)."""
    errors = []
    for thing in row["excluded"]:
        if not says(row["instruction"], thing):
            errors.append(f"la petición no dice «{thing}»")
        for name in (thing, *EXCLUSIONS[thing]):
            if word_re(name).search(fold(row["response"])) or name in row["ingredients"]:
                errors.append(f"sin «{thing}», y la receta lleva {name}")
    return errors


def said(piece, count):
    """A regex for a count of a piece ("lata de atún|latas de atún") as a cook or a list writes it."""
    one, many = piece.split("|")
    return {0.5: f"medi[oa] {one}", 1: f"(?:una?|1) {one}"}.get(count, f"{count} {many}")


def count_errors(row):
    """What is wrong with a row's counts: the request must give each count, and the recipe's list use
    that amount: the count itself, or the grams it weighs with the count after them."""
    errors = []
    ingredient_lines, _ = sections(row["response"])
    for name, count in row["counts"].items():
        ing = INGREDIENTS[name]
        if not re.search(rf"(?<!\w){fold(said(ing.piece, count))}(?!\w)", fold(row["instruction"])):
            errors.append(f"la petición no dice {count} de {name}")
        line = next(line for line in ingredient_lines if name in names_in(line))
        if ing.unit == "g":
            first_words = "|".join(w.split()[0] for w in ing.piece.split("|"))
            weight = re.match(r"- (\d+(?:,\d)?) (k?g) de ", line)
            grams = float(weight.group(1).replace(",", ".")) * (1000 if weight.group(2) == "kg" else 1)
            right = abs(grams - count * ing.grams_per_unit) <= 0.1 * count * ing.grams_per_unit and \
                re.search(rf"\({said(first_words, count)}\)$", line)
        elif ing.unit == "diente" or ing.number == "pl":
            right = re.fullmatch(f"- {said(ing.piece, count)}", line)
        else:
            right = re.fullmatch(f"- {said(ing.piece.split('|')[0] + '|', count)}( \\w+)?", line) if count < 2 \
                else line.endswith(f"({count} unidades)")
        if not right:
            errors.append(f"{count} de {name}, y la lista dice «{line}»")
    return errors


def test_exclusions_rule_out_every_name_that_says_them():
    for thing, names in EXCLUSIONS.items():
        assert set(resolve_name(thing)) <= set(names), thing  # "sin pescado": at least what "pescado" names
        assert resolve_name(thing) or thing in DIET_WORDS or thing == "picante", thing  # words the chat reads
        for name in INGREDIENTS:  # "sin tomate" rules out tomate triturado and tomates cherry too
            assert not word_re(thing).search(fold(name)) or name in names, (thing, name)
        assert not any(INGREDIENTS[n].pantry for n in names), thing


def test_pieces_are_words_the_chat_reads():
    for ing in INGREDIENTS.values():
        if ing.piece:
            one, many = ing.piece.split("|")
            assert ing.unit in ("ud", "diente") or ing.unit == "g" and ing.grams_per_unit, ing.name
            assert {ing.name} <= set(resolve_name(many)) or " de " in one, ing.name  # "2 zanahorias"


def test_checkers_of_exclusions_and_counts_catch_errors():
    rows = read_jsonl(COMMITTED)
    row = next(r for r in rows if r["excluded"] and not r["dish_name"])
    assert not exclusion_errors(row)
    assert exclusion_errors(dict(row, response=row["response"] + "\nNota: " + EXCLUSIONS[row["excluded"][0]][0]))
    assert exclusion_errors(dict(row, instruction="pollo"))
    for row in [r for r in rows if r["counts"]][:40]:
        assert not count_errors(row)
        (name, count), *_ = row["counts"].items()
        assert count_errors(dict(row, counts={name: count + 2}))


def test_generated_exclusions_and_counts(examples):
    """Another seed than the committed file's: the rules hold by construction, not by luck."""
    assert any(ex["excluded"] for ex in examples) and any(ex["counts"] for ex in examples)
    for ex in examples:
        assert not exclusion_errors(ex) and not count_errors(ex), (exclusion_errors(ex), count_errors(ex), ex)


def test_committed_file_exclusions_counts_and_variants():
    rows = read_jsonl(COMMITTED)
    excluded = [r for r in rows if r["excluded"]]
    counted = [r for r in rows if r["counts"]]
    assert 0.06 <= len(excluded) / len(rows) <= 0.10 and 0.06 <= len(counted) / len(rows) <= 0.10
    assert {t for r in excluded for t in r["excluded"]} == set(EXCLUSIONS)  # each thing is left out somewhere
    assert any(r["diet"] for r in excluded) and any(r["dish_name"] for r in excluded)
    assert any(len(r["excluded"]) == 2 for r in excluded) and any(r["servings"] for r in counted)
    for row in excluded:
        assert not exclusion_errors(row), (exclusion_errors(row), row)
    for row in counted:
        assert not count_errors(row), (count_errors(row), row)
    for row in rows:
        variants = row["variants"]
        assert 2 <= len(variants) <= 4 and len(set(variants)) == len(variants), row
        assert row["instruction"] not in variants and all(v.strip() for v in variants), row
    wordings = [v for r in rows for v in r["variants"]]
    assert 0.15 <= sum(fold(v).startswith(("hola", "¡hola", "buenas")) for v in wordings) / len(wordings) <= 0.45
    # Another wording says the same request: mostly the same things left out and counted (a typo may hit one).
    kept = [says(v, t) for r in excluded for v in r["variants"] for t in r["excluded"]]
    assert sum(kept) / len(kept) > 0.9


# ---------------------------------------------------------------------------
# The file and the command line
# ---------------------------------------------------------------------------


def test_same_seed_same_bytes(tmp_path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    for out in (a, b):
        result = run_script("--num", "40", "--seed", "7", "--output", str(out))
        assert result.returncode == 0, result.stderr
    assert a.read_bytes() == b.read_bytes()
    c = tmp_path / "c.jsonl"
    assert run_script("--num", "40", "--seed", "8", "--output", str(c)).returncode == 0
    assert c.read_bytes() != a.read_bytes()
    lines = a.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 40
    for line in lines:
        json.loads(line)
        assert "\\u00" not in line  # not ASCII-escaped


def test_committed_file_matches_default_run(tmp_path):
    assert COMMITTED.is_file(), "falta recetas_extended.jsonl (python generate_dataset.py)"
    out = tmp_path / "default.jsonl"
    result = run_script("--output", str(out))
    assert result.returncode == 0, result.stderr
    assert COMMITTED.read_bytes() == out.read_bytes()
    assert len(read_jsonl(COMMITTED)) == DEFAULT_NUM
    # The summary: the path written, then one "what: how many" line per statistic.
    first, *stats = result.stdout.strip().splitlines()
    assert str(out) in first and len(stats) >= 10
    assert all(re.match(r"[^:]+: \S", line) for line in stats), result.stdout
    assert str(DEFAULT_NUM) in stats[0]


def test_committed_file_starts_as_a_regeneration_in_process():
    """The first examples of a plain run do not depend on how many follow: a quick check of the
    committed file without the command line."""
    head = COMMITTED.read_text(encoding="utf-8").splitlines()[:60]
    assert [json.dumps(ex, ensure_ascii=False) for ex in generate_examples(60, DEFAULT_SEED)] == head


def test_same_seed_same_examples_in_process():
    assert generate_examples(30, 3) == generate_examples(30, 3) != generate_examples(30, 4)


def test_committed_file_aliases_and_dish_names():
    rows = read_jsonl(COMMITTED)
    aliased = [r for r in rows if r["aliases"]]
    named = [r for r in rows if r["dish_name"]]
    assert 0.20 <= len(aliased) / len(rows) <= 0.25
    assert 0.04 <= len(named) / len(rows) <= 0.07
    for row in aliased:
        assert not row["dish_name"] and not alias_errors(row), (alias_errors(row), row)
    for row in named:
        assert not row["aliases"] and not dish_errors(row), (dish_errors(row), row)
    typed = {a for r in aliased for a in r["aliases"].values()}
    assert set(COOK_WORDS) - typed <= {"carne picada", "manzanas"}  # rare ingredients: not always drawn
    assert len({r["dish_name"] for r in named}) >= 40
    # Long requests (6 to 8 ingredients) keep the share SIZE_WEIGHTS gives them.
    nominal = sum(w for k, w in SIZE_WEIGHTS.items() if k >= 6) / sum(SIZE_WEIGHTS.values())
    assert abs(sum(len(r["ingredients"]) >= 6 for r in rows) / len(rows) - nominal) < 0.03


def test_committed_file_grammar_and_rules():
    rows = [json.loads(line) for line in COMMITTED.read_text(encoding="utf-8").splitlines()]
    assert len({r["instruction"] for r in rows}) == len(rows)
    assert len({r["response"] for r in rows}) == len(rows)
    for row in rows:
        for text in (row["instruction"], row["response"]):
            assert not grammar_errors(text), (grammar_errors(text), text)
        for diet in row["diet"]:
            assert not any(violates(diet, n) for n in row["ingredients"])


def test_help():
    result = run_script("--help")
    assert result.returncode == 0
    for flag in ("--num", "--seed", "--output"):
        assert flag in result.stdout


@pytest.mark.parametrize("args", [["--num", "0"], ["--num", "1000000"], ["--num", "abc"], ["--bogus"]])
def test_bad_flags_give_one_line_error(args, tmp_path):
    result = run_script(*args, "--output", str(tmp_path / "x.jsonl"))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not (tmp_path / "x.jsonl").exists()
