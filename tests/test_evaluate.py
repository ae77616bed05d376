"""evaluate.py and its library (chef.metrics, chef.evaluation, chef.baselines, chef.card): every
metric on hand-made answers with known values, the held-out requests, the baselines, batched
decoding, the model card, and the script end to end on the tiny model."""

import json
import math
import re
import shutil

import pytest
from conftest import run_script

from chef.baselines import KneserNeyLM, nearest_recipe
from chef.card import (CARD_END, CARD_START, CARD_START_GGUF, COHERENCE_ROWS, hand_table, markdown_table,
                       replace_section, write_evaluation)
from chef.catalogue import DIETS, INGREDIENTS, violates
from chef.cli import ChefError
from chef.dataset import generate_examples
from chef.evaluation import (HAND_KINDS, SYSTEMS, HFModel, hand_sample, heldout_requests, read_hand_requests,
                             training_combinations)
from chef.files import read_jsonl
from chef.metrics import (
    CopyIndex,
    announced_diets,
    broken_announced_diets,
    coherence,
    coherence_summary,
    copy_metrics,
    diet_violations,
    distinct_n,
    format_check,
    group_hits,
    longest_common_run,
    name_matcher,
    repeated_ingredients,
    repeated_ngram_rate,
    score_answer,
    score_hand_answer,
    summarize,
    summarize_hand,
    unlisted_in_steps,
    unrequested_main,
    words,
)
from chef.prompt import REPO_DIR, format_prompt
from chef.spanish import fold

HAND_FILE = REPO_DIR / "peticiones_a_mano.jsonl"  # evaluate.py's default hand-written set
SEED = 20261126  # evaluate.py's default seed of the held-out requests
INCOHERENT_ROW = COHERENCE_ROWS[0][0]  # the table's row of incoherent recipes


# A recipe in the generator's format, written by hand: 3 ingredients asked, 2 used.
MISSING_ONE = """Revuelto de setas variadas
Para 2 personas · 15 minutos

Ingredientes:
- 200 g de setas variadas
- 4 huevos
- 1 pizca de sal

Preparación:
1. Limpia y corta las setas variadas en trozos.
2. Bate los huevos con la sal.
3. Saltea las setas variadas 4 minutos, vierte el huevo batido y remueve hasta que cuaje.

Consejo: Sirve enseguida; también queda bien con espinacas."""

# Vegetarian request answered with chorizo (in the list and in the steps).
WITH_CHORIZO = """Tortilla de patata y chorizo
Para 2 personas · 30 minutos

Ingredientes:
- 1 patata mediana
- 4 huevos
- 50 g de chorizo
- 200 ml de aceite de oliva

Preparación:
1. Pela y corta la patata en dados. Corta el chorizo en rodajas.
2. Pocha la patata con el aceite de oliva 20 minutos.
3. Bate los huevos, mezcla con la patata y el chorizo y cuaja la tortilla."""

# What a model stuck in a loop writes: no sections, the same sentence again and again.
RUNAWAY = "Tortilla de patata\n" + "Añade la sal y remueve bien. " * 40


def score(text, ingredients, diet=(), index=None):
    request = {"ingredients": list(ingredients), "diet": list(diet)}
    return score_answer(text, request, INGREDIENTS, violates, index or CopyIndex(["una receta cualquiera"]))


# ---------------------------------------------------------------------------
# Metrics on hand-made answers
# ---------------------------------------------------------------------------
def test_reference_recipes_score_perfectly():
    index = CopyIndex(["nada que ver"])
    for ex in generate_examples(40, 5):
        s = score(ex["response"], ex["ingredients"], ex["diet"], index)
        assert s["format_valid"], ex["response"]
        assert (s["recall_list"], s["recall_steps"]) == (1.0, 1.0)
        assert s["unrequested"] == [] and s["violations"] == {} and not s["incoherent"]


def test_an_excluded_ingredient_in_the_answer_is_counted():
    """A generated request that leaves something out ("sin chorizo", "sin picante"): using it counts."""
    request = {"ingredients": ["patata", "huevos"], "diet": [], "excluded": ["chorizo", "picante"]}
    index = CopyIndex(["una receta cualquiera"])
    used = score_answer(WITH_CHORIZO, request, INGREDIENTS, violates, index)
    clean = WITH_CHORIZO.replace("- 50 g de chorizo\n", "").replace(" Corta el chorizo en rodajas.", "")
    clean = score_answer(clean.replace(" y el chorizo", ""), request, INGREDIENTS, violates, index)
    assert used["excluded_used"] == ["chorizo"] and clean["excluded_used"] == []
    plain = score(WITH_CHORIZO, ["patata", "huevos"])  # no exclusion asked: nothing counted
    summary = summarize([dict(s, reached_end=True) for s in (used, clean, plain)], [WITH_CHORIZO] * 3)
    assert summary["exclusion_requests"] == 2 and summary["exclusion_rate"] == 0.5
    for ex in generate_examples(300, 11):  # the generator's own recipes never use what they exclude
        if ex.get("excluded"):
            assert score_answer(ex["response"], ex, INGREDIENTS, violates, index)["excluded_used"] == [], ex


def test_missing_ingredient_lowers_recall():
    s = score(MISSING_ONE, ["setas variadas", "huevos", "espinacas"])
    assert s["recall_list"] == pytest.approx(2 / 3) and s["recall_steps"] == pytest.approx(2 / 3)
    assert s["missing_list"] == ["espinacas"] == s["missing_steps"]  # the tip's mention does not count
    assert s["unrequested"] == [] and s["format_valid"]
    only_list = MISSING_ONE.replace("2. Bate los huevos con la sal.", "2. Bate con la sal.")
    only_list = only_list.replace("vierte el huevo batido", "vierte la mezcla")
    s = score(only_list, ["setas variadas", "huevos"])
    assert (s["recall_list"], s["recall_steps"]) == (1.0, 0.5)


def test_vegetarian_answer_with_chorizo_is_a_violation():
    s = score(WITH_CHORIZO, ["patata", "huevos"], ["vegetariano"])
    assert s["violations"] == {"vegetariano": ["chorizo"]}
    assert s["unrequested"] == ["chorizo"]
    assert s["constraints_checked"] == ["vegetariano"]
    assert s["format_valid"] and (s["recall_list"], s["recall_steps"]) == (1.0, 1.0)
    # Without the chorizo the same request is clean; "sin gluten" has nothing to object to.
    clean = WITH_CHORIZO.replace("- 50 g de chorizo\n", "").replace(" Corta el chorizo en rodajas.", "")
    assert score(clean.replace(" y el chorizo", ""), ["patata", "huevos"], ["vegetariano", "sin gluten"])["violations"] == {}


@pytest.mark.parametrize("diet, name, bad", [
    ("vegano", "huevos", True), ("vegano", "miel", True), ("vegetariano", "huevos", False),
    ("sin lactosa", "queso rallado", True), ("sin lactosa", "leche de coco", False),  # longest name wins
    ("sin gluten", "espaguetis", True), ("sin gluten", "fideos de arroz", False),
])
def test_each_diet(diet, name, bad):
    text = f"Plato\n\nIngredientes:\n- 100 g de {name}\n\nPreparación:\n1. Cocina {name}."
    assert bool(diet_violations(text, [diet], INGREDIENTS, violates)[diet]) is bad


def test_pantry_basics_are_not_unrequested_main_ingredients():
    text = "Plato\n\nIngredientes:\n- 1 patata\n- sal\n- aceite de oliva\n- caldo de verduras\n\nPreparación:\n1. Cuece la patata."
    assert unrequested_main(text, ["patata"], INGREDIENTS) == []
    assert unrequested_main(text.replace("- sal", "- tomate triturado"), ["patata"], INGREDIENTS) == ["tomate triturado"]


def test_format_checks():
    assert format_check(MISSING_ONE)["valid"]
    no_title = MISSING_ONE.split("\n", 2)[2].lstrip()
    assert not format_check("Ingredientes:" + no_title.split("Ingredientes:")[1])["title"]
    out_of_order = MISSING_ONE.replace("3. Saltea", "4. Saltea")
    assert not format_check(out_of_order)["steps_numbered"] and not format_check(out_of_order)["valid"]
    swapped = "Plato\nPreparación:\n1. Corta.\nIngredientes:\n- 1 patata"
    assert format_check(swapped) == {"title": True, "ingredients": True, "steps": True,
                                       "sections_in_order": False, "steps_numbered": True, "valid": False}
    assert not format_check(MISSING_ONE.split("Preparación:")[0])["steps"]


def test_runaway_answer():
    s = score(RUNAWAY, ["patata"])
    assert not s["format_valid"] and s["recall_list"] == 0.0
    assert s["repeated_4gram"] > 0.9  # 6 words x 40: all but the first few 4-grams repeat
    assert repeated_ngram_rate(MISSING_ONE) < 0.05
    # A generation cut at max_new_tokens counts as "never reached the end token".
    scored = [dict(s, reached_end=False), dict(score(MISSING_ONE, ["huevos"]), reached_end=True)]
    summary = summarize(scored, [RUNAWAY, MISSING_ONE])
    assert summary["no_end"] == 0.5 and summary["format_valid"] == 0.5


def test_distinct_2():
    assert distinct_n(["corta la patata", "corta la patata"]) == 0.5
    assert distinct_n(["corta la patata", "bate los huevos"]) == 1.0
    assert distinct_n([]) == 0.0


def test_copy_of_a_training_recipe():
    training = [ex["response"] for ex in generate_examples(30, 11)]
    index = CopyIndex(training)
    copy = copy_metrics(training[17], index)
    assert copy["closest_training"] == 17 and copy["copy_fraction"] == 1.0
    assert copy["copy_run"] == len(words(training[17]))
    # Half a training recipe pasted into new text: the run is that half.
    half = words(training[3])[: len(words(training[3])) // 2]
    mixed = "pulpo gallego con cachelos " + " ".join(half) + " zumo de naranja recién exprimido"
    copy = copy_metrics(mixed, index)
    assert copy["closest_training"] == 3 and copy["copy_run"] >= len(half)
    assert copy["copy_fraction"] < 1.0
    assert longest_common_run("a b c d e".split(), "x b c d y".split()) == 3
    assert longest_common_run([], ["a"]) == 0


def test_model_card_section_is_replaced_or_appended(tmp_path):
    card = f"# Modelo\n\ntexto\n\n{CARD_START}\nvieja\n{CARD_END}\n\nfinal\n"
    new = replace_section(card, f"{CARD_START}\nnueva\n{CARD_END}")
    assert "vieja" not in new and "nueva" in new and new.endswith("final\n") and new.count(CARD_START) == 1
    appended = replace_section("# Modelo\n", f"{CARD_START}\nnueva\n{CARD_END}")
    assert appended == f"# Modelo\n\n{CARD_START}\nnueva\n{CARD_END}\n"


def test_a_smaller_evaluation_never_replaces_the_card(tmp_path):
    scored = [dict(score(MISSING_ONE, ["huevos"]), reached_end=True)]
    summaries = {k: summarize(scored, [MISSING_ONE]) for k in SYSTEMS}
    table = markdown_table(summaries, {k: k for k in SYSTEMS})
    assert INCOHERENT_ROW in table and table.splitlines()[0] == "| métrica | " + " | ".join(SYSTEMS) + " |"
    info = {"command": "python evaluate.py", "requests": 6, "seed": 1, "data": "d.jsonl", "decoding": "greedy",
            "max_new_tokens": 8, "model": "Model: x", "ngram_order": 3, "elapsed": 1.0, "hardware": "CPU",
            "output_json": "x.json"}
    (tmp_path / "README.md").write_text("# Modelo\n", encoding="utf-8")
    write_evaluation(tmp_path, table, info)
    card = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert card.startswith("# Modelo\n") and card.count(CARD_START) == 1 and table in card
    message = write_evaluation(tmp_path, "otra tabla", dict(info, requests=3))
    assert "--num 6" in message and (tmp_path / "README.md").read_text(encoding="utf-8") == card
    write_evaluation(tmp_path, "otra tabla", info, gguf=True)  # a GGUF's results go to a section of their own
    card = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert table in card and "otra tabla" in card and card.count(CARD_START_GGUF) == 1


# ---------------------------------------------------------------------------
# Coherence: a recipe that contradicts itself
# ---------------------------------------------------------------------------
def coherent(text):
    return coherence(text, INGREDIENTS, violates)


def test_generated_recipes_are_coherent():
    for ex in generate_examples(60, 21):
        c = coherent(ex["response"])
        assert not c["incoherent"], (c, ex["response"])
    assert not coherent(MISSING_ONE)["incoherent"] and not coherent(RUNAWAY)["incoherent"]


def test_steps_using_an_unlisted_ingredient():
    bad = MISSING_ONE.replace("2. Bate los huevos con la sal.", "2. Abre los mejillones al vapor y bate los huevos.")
    assert unlisted_in_steps(bad, INGREDIENTS) == ["mejillones"]
    assert coherent(bad)["incoherent_kinds"] == ["unlisted"] and coherent(bad)["incoherent"]
    assert unlisted_in_steps(MISSING_ONE, INGREDIENTS) == []  # the tip's espinacas do not count
    # Pantry basics may go unlisted; a listed "cebolla morada" makes "la cebolla" of a step fine.
    pantry = MISSING_ONE.replace("con la sal.", "con la sal y un chorrito de aceite de oliva.")
    assert unlisted_in_steps(pantry, INGREDIENTS) == []
    onion = "Ensalada\n\nIngredientes:\n- 1 cebolla morada\n- 1 tomate\n\nPreparación:\n1. Corta la cebolla y el tomate."
    assert unlisted_in_steps(onion, INGREDIENTS) == []
    assert unlisted_in_steps(onion.replace("y el tomate", "y el pepino"), INGREDIENTS) == ["pepino"]


def test_ingredient_repeated_in_the_list_or_the_title():
    twice = MISSING_ONE.replace("- 4 huevos\n", "- 4 huevos\n- 2 huevos\n")
    assert repeated_ingredients(twice, INGREDIENTS) == {"list": ["huevos"], "title": []}
    assert coherent(twice)["incoherent_kinds"] == ["repeated"]
    soup = ("Sopa de chorizo, chorizo y lentejas\n\nIngredientes:\n- 80 g de chorizo\n- 140 g de lentejas\n\n"
            "Preparación:\n1. Sofríe el chorizo.\n2. Añade las lentejas y cuece 10 minutos.")
    assert repeated_ingredients(soup, INGREDIENTS) == {"list": [], "title": ["chorizo"]}
    assert coherent(soup)["title_repeats"] == ["chorizo"] and coherent(soup)["incoherent"]
    fine = soup.replace("Sopa de chorizo, chorizo y lentejas", "Ensalada de tomate y tomates cherry")
    assert repeated_ingredients(fine, INGREDIENTS) == {"list": [], "title": []}
    assert repeated_ingredients(MISSING_ONE, INGREDIENTS) == {"list": [], "title": []}


def test_announced_diet_broken_by_its_own_ingredients():
    vegan = WITH_CHORIZO.replace("Para 2 personas · 30 minutos", "Para 2 personas · 30 minutos\nReceta vegana.")
    assert announced_diets(vegan) == ["vegano"]
    assert broken_announced_diets(vegan, INGREDIENTS, violates) == {"vegano": ["chorizo", "huevos"]}
    assert coherent(vegan)["incoherent_kinds"] == ["diet_announced"]
    # Announced and kept: nothing to object to. "sin gluten" holds for patata, huevos and chorizo.
    assert broken_announced_diets(vegan.replace("vegana", "sin gluten"), INGREDIENTS, violates) == {}
    assert not coherent(vegan.replace("vegana", "sin gluten"))["incoherent"]
    assert announced_diets(vegan.replace("vegana", "vegetariana y sin lactosa")) == ["vegetariano", "sin lactosa"]
    # A closing tip suggesting a variation announces nothing.
    tip = WITH_CHORIZO + "\n\nConsejo: para una versión vegana, cambia el chorizo por tofu."
    assert announced_diets(tip) == [] and not coherent(tip)["incoherent"]


def test_coherence_in_the_summary():
    scored = [dict(coherent(MISSING_ONE), reached_end=True),
              dict(coherent(MISSING_ONE.replace("- 4 huevos\n", "- 4 huevos\n- 2 huevos\n")), reached_end=True)]
    summary = coherence_summary(scored)
    assert summary == {"incoherent": 0.5, "incoherent:unlisted": 0.0, "incoherent:repeated": 0.5,
                       "incoherent:diet_announced": 0.0}
    assert coherence_summary([{"format_valid": True}]) == {}  # scored without coherence: no rows


# ---------------------------------------------------------------------------
# Hand-written requests (peticiones_a_mano.jsonl)
# ---------------------------------------------------------------------------
def test_hand_file_is_sound():
    rows = read_hand_requests(HAND_FILE)
    assert len(rows) >= 260  # 174 of the first kinds, then 93 of those the data lacked (issue 19)
    assert len({" ".join(r["request"].lower().split()) for r in rows}) == len(rows)  # no request twice
    kinds = {}
    for r in rows:
        kinds[r["kind"]] = kinds.get(r["kind"], 0) + 1
        assert r["must_use"] or r["must_not"], r
        for group in r["must_use"]:
            # A group is tied to the catalogue; the cook's own words are plain words ("pollo",
            # "patatas") or part of a catalogue name ("carne picada"), so a misspelt name fails.
            assert any(name in INGREDIENTS for name in group), r
        for name in [n for g in r["must_use"] for n in g] + r["must_not"]:
            plain = re.fullmatch(r"[a-záéíóúüñ]+", name) or any(name_matcher([name]).search(c) for c in INGREDIENTS)
            assert name in INGREDIENTS or plain, (name, r["request"])
        assert set(r["diet"]) <= set(DIETS)
    assert set(kinds) <= set(HAND_KINDS), kinds  # every kind has its label in the table
    assert min(kinds.values()) >= 8, kinds


def test_every_kind_has_requests():
    assert {r["kind"] for r in read_hand_requests(HAND_FILE)} == set(HAND_KINDS)


def test_hand_sample_takes_the_first_of_each_kind():
    rows = read_hand_requests(HAND_FILE)
    first = {}
    for r in rows:
        first.setdefault(r["kind"], r)
    assert hand_sample(rows, 10) == [r for r in rows if r is first[r["kind"]]]  # 1 of each kind, in file order
    two = hand_sample(rows, len(HAND_KINDS) + 1)  # ceil(19 / 18) = 2 of each kind
    assert len(two) == 2 * len(HAND_KINDS) and two == hand_sample(rows, len(HAND_KINDS) + 1)
    most = max(sum(r["kind"] == k for r in rows) for k in HAND_KINDS)
    assert hand_sample(rows, most * len(HAND_KINDS)) == rows  # enough for every kind: the whole set, in order


def test_hand_file_errors_name_the_request(tmp_path):
    path = tmp_path / "a_mano.jsonl"
    path.write_text('{"request": "pollo", "must_use": [["pollo"]], "kind": "single"}\n'
                    '{"request": "tofu", "must_use": ["tofu"], "kind": "single"}\n', encoding="utf-8")
    with pytest.raises(ChefError, match="petición 2: 'must_use'"):
        read_hand_requests(path)
    path.write_text('{"request": "tofu", "must_use": [["tofu"]], "diet": ["keto"], "kind": "diet"}\n', encoding="utf-8")
    with pytest.raises(ChefError, match="'diet'"):
        read_hand_requests(path)
    with pytest.raises(ChefError, match="--no-hand"):
        read_hand_requests(tmp_path / "no-existe.jsonl")


# "sin lactosa: pollo, champiñones y nata": the cream should stay out.
CREAMY_CHICKEN = """Pollo con champiñones
Para 2 personas · 25 minutos

Ingredientes:
- 300 g de pechuga de pollo
- 200 g de champiñones
- 100 ml de nata para cocinar
- 1 pizca de sal

Preparación:
1. Corta la pechuga de pollo en dados y lamina los champiñones.
2. Dora el pollo, añade los champiñones y saltea 6 minutos.
3. Vierte la nata para cocinar y deja reducir 3 minutos."""
CHICKEN_REQUEST = {"request": "sin lactosa: pollo, champiñones y nata", "kind": "diet", "diet": ["sin lactosa"],
                   "must_use": [["pechuga de pollo", "muslos de pollo", "pollo"], ["champiñones"]], "must_not": ["nata"]}


def hand_score(text, request=CHICKEN_REQUEST):
    return score_hand_answer(text, request, INGREDIENTS, violates)


def test_hand_request_scoring():
    s = hand_score(CREAMY_CHICKEN)
    assert (s["groups"], s["groups_list"], s["groups_steps"], s["groups_used"]) == (2, 2, 2, 2)
    assert s["forbidden"] == ["nata"] and s["violations"] == {"sin lactosa": ["nata para cocinar"]}
    assert s["format_valid"] and not s["fully_right"]
    # Without the cream it is fully right: the generic "pollo" of step 2 and the catalogue name both count.
    clean = CREAMY_CHICKEN.replace("- 100 ml de nata para cocinar\n", "").replace(
        "3. Vierte la nata para cocinar y deja reducir 3 minutos.", "3. Sirve caliente.")
    s = hand_score(clean)
    assert s["fully_right"] and s["forbidden"] == [] and s["violations"] == {} and s["missing"] == []
    # Mushrooms only in the steps: the group is not used; a bad format is never fully right either.
    no_list = clean.replace("- 200 g de champiñones\n", "")
    s = hand_score(no_list)
    assert (s["groups_list"], s["groups_steps"], s["groups_used"]) == (1, 2, 1)
    assert s["missing"] == ["champiñones"] and not s["fully_right"]
    assert not hand_score(clean.replace("Preparación:", "Pasos:"))["fully_right"]
    # Whole words only: "pollo" is not found in "repollo".
    assert group_hits("Plato\n\nIngredientes:\n- repollo\n\nPreparación:\n1. Cuece el repollo.", [["pollo"]]) == [(False, False)]


def test_hand_summary_and_table():
    requests = [CHICKEN_REQUEST, dict(CHICKEN_REQUEST, kind="list", diet=[], must_not=[])]
    clean = CREAMY_CHICKEN.replace("- 100 ml de nata para cocinar\n", "").replace(
        "3. Vierte la nata para cocinar y deja reducir 3 minutos.", "3. Sirve caliente.")
    scored = [dict(hand_score(CREAMY_CHICKEN, requests[0]), reached_end=True),
              dict(hand_score(clean, requests[1]), reached_end=False)]
    summary = summarize_hand(scored, requests)
    assert summary["fully_right"] == 0.5 and summary["groups_used"] == 1.0
    assert summary["forbidden_rate"] == 1.0 and summary["forbidden_requests"] == 1
    assert summary["violation_rate"] == 1.0 and summary["diet_requests"] == 1
    assert summary["no_end"] == 0.5 and summary["incoherent"] == 0.0
    assert summary["by_kind"] == {"diet": {"requests": 1, "fully_right": 0.0, "incoherent": 0.0},
                                  "list": {"requests": 1, "fully_right": 1.0, "incoherent": 0.0}}
    table = hand_table(summary)
    assert table.startswith("| métrica | modelo |")
    assert "| peticiones | 2 |" in table and f"| {HAND_KINDS['list']} (`list`) | 1 | 100.0 % | 0.0 % |" in table
    assert f"| {INCOHERENT_ROW} | 0.0 % |" in table
    # Per kind, the incoherent share too: a recipe listing the chicken twice is incoherent.
    twice = dict(hand_score(clean.replace("- 1 pizca de sal", "- 1 pechuga de pollo"), requests[1]), reached_end=True)
    assert summarize_hand([twice], requests[1:])["by_kind"]["list"]["incoherent"] == 1.0


# ---------------------------------------------------------------------------
# Held-out requests and baselines
# ---------------------------------------------------------------------------
def test_heldout_requests_are_new(tiny_data):
    rows = read_jsonl(tiny_data)
    combos = training_combinations(rows, INGREDIENTS)
    # Seed 7 made the training file: its first 400 requests are all excluded, yet 30 new ones come.
    for seed in (7, SEED):
        requests = heldout_requests(rows, combos, 30, seed)
        assert len(requests) == 30
        assert not {fold(r["instruction"]) for r in requests} & {fold(r["instruction"]) for r in rows}
        assert not {frozenset(r["ingredients"]) for r in requests} & set(combos)
        assert len({frozenset(r["ingredients"]) for r in requests}) == 30
    # Combinations are read from the recipe when a file has no `ingredients` field.
    bare = [{"instruction": r["instruction"], "response": r["response"]} for r in rows[:50]]
    assert training_combinations(bare, INGREDIENTS) == combos[:50]


def test_kneser_ney_is_a_distribution():
    seqs = [[4, 5, 6, 7, 0], [4, 5, 8, 7, 0], [4, 9, 6, 7, 0]]
    lm = KneserNeyLM(seqs, vocab_size=12, order=3, pad_id=0)
    for history in ([], [4], [4, 5], [11, 11], [4, 5, 6, 7]):
        probs = [lm.prob(t, history) for t in range(12)]
        assert sum(probs) == pytest.approx(1.0) and min(probs) > 0
        assert lm.distribution(history).tolist() == pytest.approx(probs)
    assert lm.prob(6, [4, 5]) > lm.prob(8, [4, 5]) > lm.prob(3, [4, 5])
    tokens, ended = lm.generate([4], max_new_tokens=10, eos_id=0)
    assert ended and tokens[-1] == 0
    assert lm.nll([5, 6], [4]) == pytest.approx(-math.log(lm.prob(5, [4])) - math.log(lm.prob(6, [4, 5])))


def test_nearest_recipe():
    combos = [frozenset({"pollo"}), frozenset({"arroz redondo", "tomate", "chorizo"}), frozenset({"arroz redondo", "tomate"})]
    assert nearest_recipe(["arroz redondo", "tomate", "ajo"], combos) == 2  # same overlap, fewer extras
    assert nearest_recipe(["pollo", "ajo"], combos) == 0


def test_batched_decoding_matches_one_by_one(tiny_model):
    from chef.decoding import generate_tokens

    model = HFModel.load(tiny_model, "cpu")
    requests = generate_examples(6, 3)
    prompts = [model.prompt_ids(r["instruction"]) for r in requests]
    assert len({len(p) for p in prompts}) > 1  # left padding is really exercised
    assert prompts[0] == model.encode(format_prompt(requests[0]["instruction"]))  # the training format

    class Bar:
        def update(self, n):
            pass

    settings = {"temperature": 0.0, "top_k": 0, "top_p": 1.0, "max_new_tokens": 40}
    batched = model.generate(prompts, settings, batch_size=4, seed=0)
    for prompt, (tokens, ended) in zip(prompts, batched):
        alone = list(generate_tokens(model.model, prompt, max_new_tokens=40, eos_token_id=model.eos_id))
        assert tokens == alone and ended == (alone[-1] == model.eos_id)
    # The reference loss counts the response tokens and the end token, nothing of the prompt.
    full = model.prompt_ids(requests[0]["instruction"], requests[0]["response"])
    response = full[len(prompts[0]):]
    assert response[-1] == model.eos_id and model.decode(response) == requests[0]["response"]
    (nll, n), = model.response_nll([(prompts[0], response)], Bar())
    assert n == len(response) and 0 < nll / n < math.log(model.vocab_size) * 2


# ---------------------------------------------------------------------------
# The script
# ---------------------------------------------------------------------------
@pytest.fixture
def model_copy(tiny_model, tmp_path):
    """The card is rewritten: work on a copy of the shared tiny model."""
    return shutil.copytree(tiny_model, tmp_path / "model")


def test_end_to_end(model_copy, tiny_data, tmp_path):
    out = tmp_path / "gen.json"
    args = ["evaluate.py", "--model", model_copy, "--data", tiny_data, "--num", 6, "--max-new-tokens", 48,
            "--output-json", out, "--no-hand"]
    before = (model_copy / "README.md").read_text(encoding="utf-8")
    run_script(args)
    assert (model_copy / "README.md").read_text(encoding="utf-8") == before  # the card only with --card
    args.append("--card")
    proc = run_script(args)
    assert "| métrica | modelo | 3-grama | recuperador | referencia |" in proc.stdout
    assert INCOHERENT_ROW in proc.stdout
    assert "| peticiones |" not in proc.stdout  # --no-hand: no table of hand-written requests
    assert "generando (modelo)" in proc.stderr  # the progress bar
    report = json.loads(out.read_text(encoding="utf-8"))
    assert len(report["requests"]) == 6
    for r in report["requests"]:
        assert {"model", "ngram", "retriever", "reference"} <= set(r) and isinstance(r["model"]["text"], str)
    summary = report["summary"]
    assert summary["reference"]["recall_list"] == 1.0 and summary["reference"]["format_valid"] == 1.0
    assert summary["retriever"]["copy_fraction"] == 1.0  # it returns training recipes verbatim
    assert math.isfinite(summary["model"]["loss"]) and math.isfinite(summary["ngram"]["loss"])
    card = (model_copy / "README.md").read_text(encoding="utf-8")
    assert card.count(CARD_START) == 1 and "| métrica |" in card and "Not evaluated yet" not in card
    # A quicker run never replaces the card's evaluation; one of as many requests does.
    proc = run_script(args + ["--num", 3])
    assert "--num 6" in proc.stdout  # the card is left alone, and says how to replace it
    assert (model_copy / "README.md").read_text(encoding="utf-8") == card
    run_script(args + ["--temperature", "0.7", "--top-p", "0.9"])
    card = (model_copy / "README.md").read_text(encoding="utf-8")
    assert card.count(CARD_START) == 1 and "sampled (temperature 0.7" in card
    assert "hand" not in json.loads(out.read_text(encoding="utf-8")) and "Hand-written" not in card


def small_hand_file(path, n, per_kind=1):
    """The first per_kind requests of each of n kinds of the hand-written set, as a file of its own
    (the first of each kind first); returns the path and the requests."""
    rows = {}
    for r in read_jsonl(HAND_FILE, required=("request",)):
        rows.setdefault(r["kind"], []).append(r)
    kept = [group[i] for i in range(per_kind) for group in list(rows.values())[:n]]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept), encoding="utf-8")
    return path, kept


def test_end_to_end_with_hand_requests(model_copy, tiny_data, tmp_path):
    # 2 requests of each of 5 kinds; --num 5 (a quick look) answers the first of each kind only.
    (hand, rows), out = small_hand_file(tmp_path / "a_mano.jsonl", 5, per_kind=2), tmp_path / "gen.json"
    proc = run_script(["evaluate.py", "--model", model_copy, "--data", tiny_data, "--num", 5, "--max-new-tokens", 48,
                       "--output-json", out, "--hand-file", hand, "--card"])
    print(proc.stdout)  # both tables, for reading with pytest -s
    assert "| métrica | modelo | 3-grama | recuperador | referencia |" in proc.stdout
    assert "(a_mano.jsonl):" in proc.stdout and "| métrica | modelo |" in proc.stdout
    assert "| peticiones | 5 |" in proc.stdout and "(`list`) | 1 |" in proc.stdout
    assert "generando (a mano)" in proc.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    assert len(report["requests"]) == 5
    assert [r["request"] for r in report["hand"]["requests"]] == [r["request"] for r in rows[:5]]
    assert set(report["hand"]["summary"]["by_kind"]["list"]) == {"requests", "fully_right", "incoherent"}
    for r in report["hand"]["requests"]:
        assert isinstance(r["model"]["text"], str) and {"fully_right", "groups_used", "incoherent"} <= set(r["model"])
    assert report["hand"]["summary"]["requests"] == 5 and report["summary"]["reference"]["incoherent"] == 0.0
    card = (model_copy / "README.md").read_text(encoding="utf-8")
    start, end = card.index(CARD_START), card.index(CARD_END)
    section = card[start:end]
    assert section.count("| métrica |") == 2 and "### Hand-written requests" in section and "`a_mano.jsonl`" in section


def test_gguf_end_to_end(model_copy, tiny_data, tmp_path):
    pytest.importorskip("llama_cpp")
    gguf = tmp_path / "tiny.gguf"
    run_script(["convert_to_gguf.py", "--model", model_copy, "--output", gguf, "--outtype", "f16"])
    out = tmp_path / "gen.json"
    hand, _ = small_hand_file(tmp_path / "a_mano.jsonl", 3)
    proc = run_script(["evaluate.py", "--model", model_copy, "--gguf", gguf, "--data", tiny_data, "--num", 3,
                       "--max-new-tokens", 32, "--output-json", out, "--hand-file", hand, "--card"])
    assert "| métrica |" in proc.stdout and "| peticiones | 3 |" in proc.stdout
    report = json.loads(out.read_text(encoding="utf-8"))
    assert len(report["requests"]) == 3 and math.isfinite(report["summary"]["model"]["loss"])
    assert len(report["hand"]["requests"]) == 3
    assert CARD_START_GGUF in (model_copy / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("flag, what", [("--model", "carpeta del modelo"), ("--data", "fichero de datos"),
                                        ("--gguf", "fichero GGUF"), ("--hand-file", "peticiones a mano")])
def test_missing_files_fail_in_one_line(flag, what, tiny_model, tiny_data, tmp_path):
    args = {"--model": tiny_model, "--data": tiny_data}
    args[flag] = tmp_path / "no-existe"
    cmd = ["evaluate.py", "--num", 2, "--output-json", tmp_path / "x.json"]
    for key, value in args.items():
        cmd += [key, value]
    proc = run_script(cmd, check=False)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and what in lines[0], proc.stderr
