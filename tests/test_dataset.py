"""Tests of generate_dataset.py: catalogue, Spanish grammar, constraints, format, determinism, CLI."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import chef_common
import generate_dataset as gd

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "generate_dataset.py"

ARTICLES = {"el": ("m", "sg"), "la": ("f", "sg"), "los": ("m", "pl"), "las": ("f", "pl"),
            "un": ("m", "sg"), "una": ("f", "sg"), "unos": ("m", "pl"), "unas": ("f", "pl"),
            "del": ("m", "sg"), "al": ("m", "sg")}
ENDINGS = {"o": ("m", "sg"), "a": ("f", "sg"), "os": ("m", "pl"), "as": ("f", "pl")}
NAMES = sorted(gd.INGREDIENTS, key=len, reverse=True)
# Longest name first, so "pechuga de pollo" wins over any shorter name inside it.
NAME_RE = re.compile(r"(?<!\w)(" + "|".join(re.escape(n) for n in NAMES) + r")(?!\w)", re.IGNORECASE)
PARTICIPLE_RE = re.compile(r"\s+(" + "|".join(gd.PARTICIPLE_STEMS) + r")(os|as|o|a)\b", re.IGNORECASE)
PREV_WORD_RE = re.compile(r"(\w+)\s+$")


def run_script(*args):
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, cwd=REPO,
                          timeout=60)


@pytest.fixture(scope="module")
def examples():
    return gd.generate_examples(1500, 123)


def names_in(text):
    return [m.group(1).lower() for m in NAME_RE.finditer(text)]


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


def test_catalogue_size_and_fields():
    assert len(gd.INGREDIENTS) >= 150
    assert len({ing.category for ing in gd.INGREDIENTS.values()}) >= 10
    for name, ing in gd.INGREDIENTS.items():
        assert ing.name == name
        assert ing.gender in ("m", "f") and ing.number in ("sg", "pl")
        assert ing.per_person > 0 and ing.unit
        assert ing.pantry or ing.techniques, name
        assert not ing.meat or ing.animal
        assert not ing.fish or ing.animal
        assert not ing.dairy or ing.animal
    pantry = {n for n, i in gd.INGREDIENTS.items() if i.pantry}
    assert {"sal", "aceite de oliva", "agua", "pimienta negra"} <= pantry
    for name in pantry:  # pantry basics go into any diet
        assert not any(gd.violates(d, name) for d in gd.DIETS)


def test_counts_of_phrasings_dishes_styles():
    assert len(set(gd.INSTRUCTION_TEMPLATES)) >= 40
    assert len(gd.DISH_TYPES) >= 12
    assert len(gd.STYLES) >= 4


def test_every_technique_has_a_step():
    for ing in gd.NON_PANTRY:
        for tech in ing.techniques:
            roles = {r for phase in gd.DISHES[tech].phases for r in phase.roles}
            assert ing.role in roles, (ing.name, tech)


def test_violates():
    assert gd.violates("vegetariano", "chorizo") and gd.violates("vegetariano", "merluza")
    assert not gd.violates("vegetariano", "huevos")
    assert gd.violates("vegano", "huevos") and gd.violates("vegano", "miel") and gd.violates("vegano", "leche")
    assert not gd.violates("vegano", "tofu")
    assert gd.violates("sin lactosa", "queso rallado") and not gd.violates("sin lactosa", "leche de coco")
    assert gd.violates("sin gluten", "espaguetis") and gd.violates("sin gluten", "pan")
    assert not gd.violates("sin gluten", "arroz redondo")
    with pytest.raises(ValueError):
        gd.violates("paleo", "tofu")


def test_conjunction_rules():
    assert gd.fix_conjunctions("pollo y hinojo") == "pollo e hinojo"
    assert gd.fix_conjunctions("agua y hielo") == "agua y hielo"
    assert gd.fix_conjunctions("pan y hierbabuena") == "pan y hierbabuena"
    assert gd.fix_conjunctions("lima y higos") == "lima e higos"
    assert gd.fix_conjunctions("siete o ocho") == "siete u ocho"


# ---------------------------------------------------------------------------
# Generated examples
# ---------------------------------------------------------------------------


def test_unique_and_fields(examples):
    assert len(examples) == 1500
    assert len({ex["instruction"] for ex in examples}) == len(examples)
    assert len({ex["response"] for ex in examples}) == len(examples)
    assert len({frozenset(ex["ingredients"]) for ex in examples}) == len(examples)
    for ex in examples:
        assert set(ex) == {"instruction", "response", "ingredients", "dish_type", "style", "diet", "servings",
                           "time_minutes"}
        assert 1 <= len(ex["ingredients"]) <= 8
        assert len(set(ex["ingredients"])) == len(ex["ingredients"])
        assert all(n in gd.INGREDIENTS and not gd.INGREDIENTS[n].pantry for n in ex["ingredients"])
        assert ex["style"] in gd.STYLES and ex["dish_type"] in gd.DISH_LABEL.values()
        assert 1 <= ex["servings"] <= 6 and 5 <= ex["time_minutes"] <= 120
        for token in chef_common.SPECIAL_TOKENS:
            assert token not in ex["instruction"] and token not in ex["response"]
        assert 60 <= len(ex["response"].split()) <= 350


def test_variety(examples):
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
        assert all(n in requested or gd.INGREDIENTS[n].pantry for n in listed), ex["response"]
        assert requested <= set(names_in("\n".join(steps))), ex["response"]
        # No catalogue ingredient outside the list appears anywhere in the recipe.
        assert set(names_in(ex["response"])) <= set(listed), ex["response"]


def test_constraints(examples):
    for ex in examples:
        for diet in ex["diet"]:
            assert diet in gd.DIETS
            assert not any(gd.violates(diet, n) for n in ex["ingredients"]), ex
        if ex["dish_type"] == "postre":
            assert not any(gd.INGREDIENTS[n].role == "aroma" for n in ex["ingredients"]), ex
        for name in ex["ingredients"]:
            assert gd.DISH_LABEL.get(ex["dish_type"].replace(" ", "_")) is not None
            assert ex["dish_type"].replace(" ", "_") in gd.INGREDIENTS[name].techniques, (name, ex["dish_type"])


def grammar_errors(text):
    errors = []
    for m in NAME_RE.finditer(text):
        ing = gd.INGREDIENTS[m.group(1).lower()] if m.group(1).lower() in gd.INGREDIENTS else None
        if ing is None:
            continue
        key = (ing.gender, ing.number)
        prev = PREV_WORD_RE.search(text[max(0, m.start() - 24):m.start()])  # a short window is enough
        expected = ("m", "sg") if ing.name in gd.STRESSED_A else key  # "el agua"
        if prev and prev.group(1).lower() in ARTICLES and ARTICLES[prev.group(1).lower()] != expected:
            errors.append(f"{prev.group(1)} {m.group(1)}")
        nxt = PARTICIPLE_RE.match(text, m.end())
        if nxt and ENDINGS[nxt.group(2).lower()] != key:
            errors.append(f"{m.group(1)} {nxt.group(1)}{nxt.group(2)}")
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
    committed = REPO / "recetas_extended.jsonl"
    assert committed.is_file(), "falta recetas_extended.jsonl (python generate_dataset.py)"
    out = tmp_path / "default.jsonl"
    result = run_script("--output", str(out))
    assert result.returncode == 0, result.stderr
    assert "ejemplos escritos: 5000" in result.stdout
    assert committed.read_bytes() == out.read_bytes()
    rows = chef_common.read_jsonl(committed)
    assert len(rows) == gd.DEFAULT_NUM


def test_committed_file_grammar_and_rules():
    committed = REPO / "recetas_extended.jsonl"
    rows = [json.loads(line) for line in committed.read_text(encoding="utf-8").splitlines()]
    assert len({r["instruction"] for r in rows}) == len(rows)
    assert len({r["response"] for r in rows}) == len(rows)
    for row in rows:
        for text in (row["instruction"], row["response"]):
            assert not grammar_errors(text), (grammar_errors(text), text)
        for diet in row["diet"]:
            assert not any(gd.violates(diet, n) for n in row["ingredients"])


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
