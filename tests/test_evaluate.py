"""evaluate.py: every metric on hand-made answers with known values, the held-out requests,
the baselines, batched decoding, and the script end to end on the tiny model."""

import json
import math
import shutil

import pytest
from conftest import run_script

import evaluate as E
from chef_common import read_jsonl
from generate_dataset import INGREDIENTS, generate_examples, violates

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
    return E.score_answer(text, request, INGREDIENTS, violates, index or E.CopyIndex(["una receta cualquiera"]))


# ---------------------------------------------------------------------------
# Metrics on hand-made answers
# ---------------------------------------------------------------------------
def test_reference_recipes_score_perfectly():
    index = E.CopyIndex(["nada que ver"])
    for ex in generate_examples(40, 5):
        s = score(ex["response"], ex["ingredients"], ex["diet"], index)
        assert s["format_valid"], ex["response"]
        assert (s["recall_list"], s["recall_steps"]) == (1.0, 1.0)
        assert s["unrequested"] == [] and s["violations"] == {}


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
    assert bool(E.diet_violations(text, [diet], INGREDIENTS, violates)[diet]) is bad


def test_pantry_basics_are_not_unrequested_main_ingredients():
    text = "Plato\n\nIngredientes:\n- 1 patata\n- sal\n- aceite de oliva\n- caldo de verduras\n\nPreparación:\n1. Cuece la patata."
    assert E.unrequested_main(text, ["patata"], INGREDIENTS) == []
    assert E.unrequested_main(text.replace("- sal", "- tomate triturado"), ["patata"], INGREDIENTS) == ["tomate triturado"]


def test_format_checks():
    assert E.format_check(MISSING_ONE)["valid"]
    no_title = MISSING_ONE.split("\n", 2)[2].lstrip()
    assert not E.format_check("Ingredientes:" + no_title.split("Ingredientes:")[1])["title"]
    out_of_order = MISSING_ONE.replace("3. Saltea", "4. Saltea")
    assert not E.format_check(out_of_order)["steps_numbered"] and not E.format_check(out_of_order)["valid"]
    swapped = "Plato\nPreparación:\n1. Corta.\nIngredientes:\n- 1 patata"
    assert E.format_check(swapped) == {"title": True, "ingredients": True, "steps": True,
                                       "sections_in_order": False, "steps_numbered": True, "valid": False}
    assert not E.format_check(MISSING_ONE.split("Preparación:")[0])["steps"]


def test_runaway_answer():
    s = score(RUNAWAY, ["patata"])
    assert not s["format_valid"] and s["recall_list"] == 0.0
    assert s["repeated_4gram"] > 0.9  # 6 words x 40: all but the first few 4-grams repeat
    assert E.repeated_ngram_rate(MISSING_ONE) < 0.05
    # A generation cut at max_new_tokens counts as "never reached the end token".
    scored = [dict(s, reached_end=False), dict(score(MISSING_ONE, ["huevos"]), reached_end=True)]
    summary = E.summarize(scored, [RUNAWAY, MISSING_ONE])
    assert summary["no_end"] == 0.5 and summary["format_valid"] == 0.5


def test_distinct_2():
    assert E.distinct_n(["corta la patata", "corta la patata"]) == 0.5
    assert E.distinct_n(["corta la patata", "bate los huevos"]) == 1.0
    assert E.distinct_n([]) == 0.0


def test_copy_of_a_training_recipe():
    training = [ex["response"] for ex in generate_examples(30, 11)]
    index = E.CopyIndex(training)
    copy = E.copy_metrics(training[17], index)
    assert copy["closest_training"] == 17 and copy["copy_fraction"] == 1.0
    assert copy["copy_run"] == len(E.words(training[17]))
    # Half a training recipe pasted into new text: the run is that half.
    half = E.words(training[3])[: len(E.words(training[3])) // 2]
    mixed = "pulpo gallego con cachelos " + " ".join(half) + " zumo de naranja recién exprimido"
    copy = E.copy_metrics(mixed, index)
    assert copy["closest_training"] == 3 and copy["copy_run"] >= len(half)
    assert copy["copy_fraction"] < 1.0
    assert E.longest_common_run("a b c d e".split(), "x b c d y".split()) == 3
    assert E.longest_common_run([], ["a"]) == 0


def test_model_card_section_is_replaced_or_appended(tmp_path):
    card = "# Modelo\n\ntexto\n\n<!-- evaluation:start -->\nvieja\n<!-- evaluation:end -->\n\nfinal\n"
    new = E.replace_section(card, f"{E.CARD_START}\nnueva\n{E.CARD_END}")
    assert "vieja" not in new and "nueva" in new and new.endswith("final\n") and new.count(E.CARD_START) == 1
    appended = E.replace_section("# Modelo\n", f"{E.CARD_START}\nnueva\n{E.CARD_END}")
    assert appended == f"# Modelo\n\n{E.CARD_START}\nnueva\n{E.CARD_END}\n"


# ---------------------------------------------------------------------------
# Held-out requests and baselines
# ---------------------------------------------------------------------------
def test_heldout_requests_are_new(tiny_data):
    rows = read_jsonl(tiny_data)
    combos = E.training_combinations(rows, INGREDIENTS)
    # Seed 7 made the training file: its first 400 requests are all excluded, yet 30 new ones come.
    for seed in (7, E.SEED):
        requests = E.heldout_requests(rows, combos, 30, seed, generate_examples)
        assert len(requests) == 30
        assert not {E.same_text(r["instruction"]) for r in requests} & {E.same_text(r["instruction"]) for r in rows}
        assert not {frozenset(r["ingredients"]) for r in requests} & set(combos)
        assert len({frozenset(r["ingredients"]) for r in requests}) == 30
    # Combinations are read from the recipe when a file has no `ingredients` field.
    bare = [{"instruction": r["instruction"], "response": r["response"]} for r in rows[:50]]
    assert E.training_combinations(bare, INGREDIENTS) == combos[:50]


def test_kneser_ney_is_a_distribution():
    seqs = [[4, 5, 6, 7, 0], [4, 5, 8, 7, 0], [4, 9, 6, 7, 0]]
    lm = E.KneserNeyLM(seqs, vocab_size=12, order=3, pad_id=0)
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
    assert E.nearest_recipe(["arroz redondo", "tomate", "ajo"], combos) == 2  # same overlap, fewer extras
    assert E.nearest_recipe(["pollo", "ajo"], combos) == 0


@pytest.fixture
def one_thread():
    """In-process torch work on one thread, like the scripts the tests run (see conftest.TEST_ENV)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_batched_decoding_matches_one_by_one(tiny_model, one_thread):
    from inference_scratch import generate_tokens

    model = E.HFModel(tiny_model, "cpu")
    requests = generate_examples(6, 3)
    prompts = [model.encode(model.render(r["instruction"])) for r in requests]
    assert len({len(p) for p in prompts}) > 1  # left padding is really exercised

    class Bar:
        def update(self, n):
            pass

    settings = {"temperature": 0.0, "top_k": 0, "top_p": 1.0, "max_new_tokens": 40}
    batched = model.generate(prompts, settings, Bar(), batch_size=4, seed=0)
    for prompt, (tokens, ended) in zip(prompts, batched):
        alone = list(generate_tokens(model.model, prompt, max_new_tokens=40, eos_token_id=model.eos_id))
        assert tokens == alone and ended == (alone[-1] == model.eos_id)
    # The reference loss counts the response tokens and the end token, nothing of the prompt.
    full = model.encode(model.render(requests[0]["instruction"], requests[0]["response"]))
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
            "--output-json", out]
    proc = run_script(args)
    assert "| métrica | modelo | 3-grama | recuperador | referencia |" in proc.stdout
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
    assert card.count(E.CARD_START) == 1 and "| métrica |" in card and "Not evaluated yet" not in card
    # A second run with sampling replaces the section instead of adding one.
    run_script(args + ["--temperature", "0.7", "--top-p", "0.9", "--num", 3])
    card = (model_copy / "README.md").read_text(encoding="utf-8")
    assert card.count(E.CARD_START) == 1 and "sampled (temperature 0.7" in card


def test_gguf_end_to_end(model_copy, tiny_data, tmp_path):
    pytest.importorskip("llama_cpp")
    gguf = tmp_path / "tiny.gguf"
    run_script(["convert_to_gguf.py", "--model", model_copy, "--output", gguf, "--outtype", "f16"])
    out = tmp_path / "gen.json"
    proc = run_script(["evaluate.py", "--model", model_copy, "--gguf", gguf, "--data", tiny_data, "--num", 3,
                       "--max-new-tokens", 32, "--output-json", out])
    assert "| métrica |" in proc.stdout
    report = json.loads(out.read_text(encoding="utf-8"))
    assert len(report["requests"]) == 3 and math.isfinite(report["summary"]["model"]["loss"])
    assert E.CARD_START_GGUF in (model_copy / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("flag, what", [("--model", "carpeta del modelo"), ("--data", "fichero de datos"),
                                        ("--gguf", "fichero GGUF")])
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
