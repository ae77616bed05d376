"""train_from_scratch.py: tokenizer, model size, the tiny run, resume, torchrun and bad input."""

import json
import os
import signal
import subprocess
import sys
import time
from types import SimpleNamespace

import pytest
from conftest import REPO, TEST_ENV, run_script

from chef.files import read_jsonl
from chef.prompt import (ASSISTANT_TOKEN, DATA_FILE, EOS_TOKEN, MODEL_DIR, SPECIAL_TOKENS, USER_TOKEN, WORK_DIR,
                         format_prompt)
from chef.tokenizer import tokenizer_texts, train_tokenizer
from chef.training import (
    HOLDOUT_FRACTION,
    PRESETS,
    SEED,
    SELECTION_METRIC,
    SHOW_VARIANTS,
    TIE_BREAK_LOSS_WEIGHT,
    TINY_OUTPUT_DIR,
    PadCollator,
    build_config,
    build_model,
    default_folders,
    encode_datasets,
    encode_example,
    last_complete_checkpoint,
    load_training_libraries,
    make_trainer,
    plan_schedule,
    split_examples,
    training_arguments,
    training_kwargs,
)


SPANISH = [
    "¿Qué preparo con piñones, ñoras y jamón? ¡Fácil!",
    "Añade 2 cucharadas de aceite de oliva.\n\n3. Hornea a 180 ºC durante 25 minutos.",
    "ÁÉÍÓÚ áéíóú ü Ü ñ Ñ ç  «comillas»  —guion— 1/2 ½ 0,5 kg",
    "  espacios   repetidos\ty tabuladores\r\n",
    "MAYÚSCULAS SIN ACENTOS: CANA DE LOMO, ARROZ, CEBOLLA",
    "emoji 🍳🥘 y símbolos €%&@#",
]


def report(model_dir):
    return json.loads((model_dir / "training_report.json").read_text())


def test_tiny_preset_trains_fast_and_loss_falls(tiny_run, tiny_data):
    model_dir, _, proc = tiny_run
    r = report(model_dir)
    assert r["train_seconds"] < 60, r["train_seconds"]
    assert r["variants"] is SHOW_VARIANTS
    losses = [h["loss"] for h in r["train_loss_history"]]
    assert len(losses) >= 5 and losses[-1] < 0.7 * losses[0], losses
    evals = [e["eval_loss"] for e in r["evaluations"]]
    assert len(evals) >= 3 and evals[-1] < evals[0], evals
    # The run ends with a sample: the answer to one of the requests, shown quoted.
    assert any(repr(r["instruction"]) in proc.stdout for r in read_jsonl(tiny_data))


def test_shipped_checkpoint_is_the_best_by_greedy_score(tiny_run):
    """Every evaluation answered the held-out requests; the shipped step has the best selection
    score (task score, held-out loss breaking ties), and the card shows the per-evaluation figures."""
    model_dir, _, proc = tiny_run
    r = report(model_dir)
    assert r["selection"] == SELECTION_METRIC
    evals = r["evaluations"]
    for e in evals:
        assert {"eval_recall_list", "eval_recall_steps", "eval_unrequested_rate", "eval_incoherent_rate",
                "eval_score"} <= set(e), e
        assert e["eval_score"] == pytest.approx((e["eval_recall_list"] + e["eval_recall_steps"]) / 2
                                                - e["eval_unrequested_rate"] - e["eval_incoherent_rate"], abs=3e-4)
    key = lambda e: e["eval_score"] - TIE_BREAK_LOSS_WEIGHT * e["eval_loss"]  # noqa: E731
    best = max(evals, key=key)
    assert r["shipped_step"] == best["step"], (r["shipped_step"], evals)
    # The final evaluation measured the shipped weights again: the same figures.
    assert r["shipped"]["eval_loss"] == pytest.approx(best["eval_loss"], abs=1e-3)
    assert r["shipped"]["eval_score"] == pytest.approx(best["eval_score"], abs=1e-3)
    card = (model_dir / "README.md").read_text()
    assert "| list recall | steps recall | unrequested |" in card and "highest greedy score" in card


def test_prompt_format_spaces_and_lower_cases_the_request():
    assert format_prompt("POLLO Y ARROZ") == f"{USER_TOKEN} pollo y arroz{ASSISTANT_TOKEN}"
    assert format_prompt("CALABACÍN, ÑORA, PIÑA, ÜÑ") == f"{USER_TOKEN} calabacín, ñora, piña, üñ{ASSISTANT_TOKEN}"
    assert format_prompt("Ça À") == f"{USER_TOKEN} Ça À{ASSISTANT_TOKEN}"  # only ASCII and Spanish capitals
    # The first word of a request gets the token it has everywhere else.
    tok = train_tokenizer(["huevos, patatas y huevos fritos"] * 50, 300, model_max_length=64)
    first = tok(format_prompt("huevos, patatas"), add_special_tokens=False)["input_ids"][1]
    assert tok.convert_ids_to_tokens(first) == "Ġhuevos"


def test_tiny_preset_never_replaces_the_shipped_model():
    tiny_model, tiny_work = default_folders("tiny")
    assert tiny_model == TINY_OUTPUT_DIR != MODEL_DIR and tiny_work != WORK_DIR
    assert default_folders("full") == (MODEL_DIR, WORK_DIR)


def test_output_folder_is_complete_and_atomic(tiny_model):
    names = {p.name for p in tiny_model.iterdir()}
    for name in ("model.safetensors", "config.json", "generation_config.json", "tokenizer.json",
                 "tokenizer_config.json", "training_report.json", "README.md"):
        assert name in names
    assert not [p for p in tiny_model.parent.iterdir() if ".tmp-" in p.name or ".old-" in p.name]
    modes = {p.name: p.stat().st_mode & 0o777 for p in tiny_model.iterdir()}
    assert len(set(modes.values())) == 1 and modes["model.safetensors"] & 0o044, modes  # readable, like the rest
    card = (tiny_model / "README.md").read_text()
    assert "held-out loss" in card and "tokens seen" in card


def test_default_configuration_has_20_to_30m_parameters():
    import torch
    from transformers import GPT2LMHeadModel

    rows = read_jsonl(DATA_FILE)
    train_rows, _ = split_examples(rows, SEED, HOLDOUT_FRACTION)
    tok = train_tokenizer(tokenizer_texts(train_rows), PRESETS["full"]["vocab_size"], model_max_length=512)
    with torch.device("meta"):  # no memory, no training
        n = sum(p.numel() for p in GPT2LMHeadModel(build_config(len(tok), 512)).parameters())
    assert 20e6 <= n <= 30e6, n


# --- A new wording of every request each epoch (the JSONL's `variants`) ---
def epochs_of(dataset, n):
    """What the Trainer reads in epochs 0..n-1: n lists of examples."""
    out = []
    for epoch in range(n):
        dataset.epoch = epoch
        out.append([dataset[i] for i in range(len(dataset))])
    return out


def wording_tokenizer(rows):
    return train_tokenizer(tokenizer_texts(rows), 512, model_max_length=512)


def test_each_epoch_shows_each_recipe_in_another_wording():
    rows = read_jsonl(DATA_FILE)[:40]
    assert all(r["variants"] for r in rows)
    tok = wording_tokenizer(rows)
    train, held, _ = encode_datasets(tok, rows[:36], rows[36:], True, SEED)
    epochs = epochs_of(train, 5)
    for i, row in enumerate(rows[:36]):
        truth = {tuple(encode_example(tok, w, row["response"])["input_ids"]) for w in [row["instruction"], *row["variants"]]}
        seen = [e[i] for e in epochs]
        assert {tuple(x["input_ids"]) for x in seen} == truth  # every wording, and only those
        # The loss still falls on the response only, the same ids after every wording.
        response = encode_example(tok, row["instruction"], row["response"])["labels"]
        assert all([t for t in x["labels"] if t != -100] == [t for t in response if t != -100] for x in seen)
        assert all(x["input_ids"][x["labels"].count(-100):] == x["labels"][x["labels"].count(-100):] for x in seen)
        if len(truth) == 1 + len(row["variants"]):  # consecutive epochs differ
            assert all(a != b for a, b in zip(seen, seen[1:]))
    # Held-out requests keep the memoria's instruction.
    assert held == [encode_example(tok, r["instruction"], r["response"]) for r in rows[36:]]
    # Deterministic from the seed, and another seed gives another schedule.
    assert epochs_of(encode_datasets(tok, rows[:36], rows[36:], True, SEED)[0], 5) == epochs
    assert epochs_of(encode_datasets(tok, rows[:36], rows[36:], True, SEED + 1)[0], 5) != epochs


def test_without_variants_every_epoch_is_the_instructions():
    rows = read_jsonl(DATA_FILE)[:20]
    tok = wording_tokenizer(rows)
    instructions = [encode_example(tok, r["instruction"], r["response"]) for r in rows[:18]]
    off, _, _ = encode_datasets(tok, rows[:18], rows[18:], False, SEED)
    older = [{k: v for k, v in r.items() if k != "variants"} for r in rows[:18]]  # a file from before variants
    old, _, _ = encode_datasets(tok, older, rows[18:], True, SEED)
    assert epochs_of(off, 3) == epochs_of(old, 3) == [instructions] * 3
    assert "--no-variants" in run_script(["train_from_scratch.py", "--help"]).stdout


def train_recording(rows, work_dir, resume=None):
    """A tiny Trainer run as train_from_scratch.py builds it (4 epochs of 8 steps; checkpoints at steps 11,
    22 and 32), resumed from `resume` if given. Returns {(response, epoch): prompt} of every training
    example its collator received, the epoch counted from the steps (the Trainer's, not the dataset's)."""
    load_training_libraries()
    seen = []

    class Recording(PadCollator):
        def __call__(self, features):
            seen.append([(tuple(f["input_ids"]), f["labels"].count(-100)) for f in features])
            return super().__call__(features)

    train_rows, held_rows = split_examples(rows, SEED, HOLDOUT_FRACTION)
    tok = wording_tokenizer(train_rows)
    train, held, _ = encode_datasets(tok, train_rows, held_rows, True, SEED)
    args = SimpleNamespace(preset="tiny", epochs=4, batch_size=8, lr=3e-3, seed=SEED, work_dir=work_dir, compile=False)
    schedule = plan_schedule(args, len(train))
    model = build_model(build_config(len(tok), tok.model_max_length, "tiny", tokenizer=tok), SEED)
    trainer = make_trainer([], 0, model=model, args=training_arguments(args, schedule, False, "eval_loss"),
                           train_dataset=train, eval_dataset=held, data_collator=Recording(tok.pad_token_id, False),
                           processing_class=tok)
    trainer.train(resume_from_checkpoint=resume)
    held = {tuple(x["input_ids"]) for x in held}
    batches = [b for b in seen if not {ids for ids, _ in b} <= held]  # not the evaluations'
    first = trainer.state.global_step - len(batches)  # steps trained before the resume
    return {(ids[n:], step // schedule["steps_per_epoch"]): ids[:n]
            for step, batch in enumerate(batches, first) for ids, n in batch}


@pytest.mark.slow  # two short training runs
def test_training_uses_the_wordings_and_a_resumed_run_keeps_their_schedule(tmp_path):
    rows = read_jsonl(DATA_FILE)[:60]  # 57 to train on
    seen = train_recording(rows, tmp_path)
    assert len(seen) == 4 * 57  # every recipe once an epoch
    wordings = {}
    for (response, _), prompt in seen.items():
        wordings.setdefault(response, set()).add(prompt)
    assert sum(len(w) >= 3 for w in wordings.values()) > 0.9 * 57  # in 4 epochs, 3 or 4 wordings of each
    resumed = train_recording(rows, tmp_path, resume=str(tmp_path / "checkpoint-22"))  # epoch 2.75
    assert {epoch for _, epoch in resumed} == {2, 3}
    assert all(seen[key] == prompt for key, prompt in resumed.items())


def test_tokenizer_round_trips_spanish(tiny_model):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model)
    for text in SPANISH:
        assert tok.decode(tok(text, add_special_tokens=False)["input_ids"]) == text
    # Special tokens are single ids, in the fixed order of SPECIAL_TOKENS.
    assert tok.convert_tokens_to_ids(SPECIAL_TOKENS) == list(range(len(SPECIAL_TOKENS)))


def test_saved_folder_loads_and_chat_template_matches_training(tiny_model, tiny_data):
    from transformers import AutoModelForCausalLM, AutoTokenizer, pipeline

    tok = AutoTokenizer.from_pretrained(tiny_model)
    model = AutoModelForCausalLM.from_pretrained(tiny_model)
    assert model.config.eos_token_id == tok.eos_token_id == tok.convert_tokens_to_ids(EOS_TOKEN)
    for row in read_jsonl(tiny_data)[:20]:
        trained = encode_example(tok, row["instruction"], row["response"])["input_ids"]
        msgs = [{"role": "user", "content": row["instruction"]}, {"role": "assistant", "content": row["response"]}]
        assert tok.apply_chat_template(msgs, tokenize=True, return_dict=True)["input_ids"] == trained
        prompt = tok.apply_chat_template(msgs[:1], add_generation_prompt=True, tokenize=True, return_dict=True)
        assert trained[: len(prompt["input_ids"])] == prompt["input_ids"]
    # A system message and earlier turns render as the single-turn training prompt.
    ins = "pollo, arroz"
    many = [{"role": "system", "content": "Eres un chef."}, {"role": "user", "content": "hola"},
            {"role": "assistant", "content": "¿Qué tienes?"}, {"role": "user", "content": ins}]
    assert tok.apply_chat_template(many, add_generation_prompt=True, tokenize=False) == format_prompt(ins)
    gen = pipeline("text-generation", model=str(tiny_model), device="cpu")
    out = gen([{"role": "user", "content": ins}], max_new_tokens=8, do_sample=False)
    assert out[0]["generated_text"][-1]["role"] == "assistant"


def test_resume_after_kill_ends_at_same_step(tiny_run, tiny_data, tmp_path):
    model_dir, work_dir = tmp_path / "model", tmp_path / "work"
    cmd = [sys.executable, "train_from_scratch.py", "--preset", "tiny", "--data", str(tiny_data),
           "--output-dir", str(model_dir), "--work-dir", str(work_dir)]
    proc = subprocess.Popen(cmd, cwd=REPO, env=TEST_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while last_complete_checkpoint(work_dir) is None and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_at = last_complete_checkpoint(work_dir)
    assert killed_at is not None, "no checkpoint was written"
    assert not model_dir.exists(), "the run finished before it could be killed"
    resumed = run_script(cmd[1:] + ["--resume"], timeout=300)
    assert killed_at in resumed.stdout  # it says which checkpoint it resumed from
    r = report(model_dir)
    assert r["resumed_from"] == os.path.basename(killed_at)
    assert r["steps"] == report(tiny_run[0])["steps"]


def test_resume_without_checkpoint_is_a_clean_error(tiny_data, tmp_path):
    proc = run_script(["train_from_scratch.py", "--preset", "tiny", "--data", tiny_data,
                       "--work-dir", tmp_path / "none", "--output-dir", tmp_path / "m", "--resume"], check=False)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().count("\n") == 0 and "--resume" in proc.stderr


@pytest.mark.parametrize("content, where", [
    ('{"instruction": "a", "response": "b"}\n{"instruction": "c", "response": "d"}\n{roto\n', ":3:"),
    ('{"instruction": "a", "response": "b"}\n["no es un objeto"]\n', ":2:"),
    ('{"instruction": "a"}\n', ":1:"),
])
def test_malformed_dataset_line_is_reported_by_number(tmp_path, content, where):
    data = tmp_path / "bad.jsonl"
    data.write_text(content, encoding="utf-8")
    proc = run_script(["train_from_scratch.py", "--preset", "tiny", "--data", data,
                       "--output-dir", tmp_path / "m", "--work-dir", tmp_path / "w"], check=False)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().count("\n") == 0, proc.stderr
    assert f"bad.jsonl{where}" in proc.stderr
    assert not (tmp_path / "m").exists()


def test_missing_dataset_is_one_line(tmp_path):
    proc = run_script(["train_from_scratch.py", "--data", tmp_path / "nada.jsonl"], check=False)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "nada.jsonl" in proc.stderr and proc.stderr.strip().count("\n") == 0


def test_torchrun_two_cpu_processes(tiny_data, tmp_path):
    model_dir = tmp_path / "model"
    proc = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29517",
         "train_from_scratch.py", "--preset", "tiny", "--data", str(tiny_data), "--epochs", "2",
         "--output-dir", str(model_dir), "--work-dir", str(tmp_path / "work")],
        cwd=REPO, env=TEST_ENV, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    r = report(model_dir)
    assert r["world_size"] == 2
    assert "x 2" in proc.stdout  # the schedule line shows two processes


# --- Training curves: a picture in the model folder, shown by its card (issue 20, item 5) ---
def assert_card_shows_curves(folder):
    from chef.card import CURVES_FILE

    png = (folder / CURVES_FILE).read_bytes()
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")  # the IHDR chunk
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000 and width > height > 100
    card = (folder / "README.md").read_text(encoding="utf-8")
    assert card.count(f"]({CURVES_FILE})") == 1
    assert card.index(f"]({CURVES_FILE})") < card.index("| epoch | step |")  # above the table


def test_training_curves_without_matplotlib_leave_the_card_without_a_link(tmp_path, monkeypatch, capsys):
    from chef.card import CURVES_FILE, NO_CURVES, model_card, write_curves

    report = json.loads((MODEL_DIR / "training_report.json").read_text(encoding="utf-8"))
    (tmp_path / "README.md").write_text(model_card(report), encoding="utf-8")
    with monkeypatch.context() as m:
        m.setitem(sys.modules, "matplotlib.figure", None)  # as if matplotlib were not installed
        write_curves(tmp_path, report)
    assert capsys.readouterr().out.strip() == NO_CURVES
    assert not (tmp_path / CURVES_FILE).exists() and CURVES_FILE not in (tmp_path / "README.md").read_text(encoding="utf-8")
    write_curves(tmp_path, report)  # with matplotlib (a test requirement)
    assert_card_shows_curves(tmp_path)


def test_tiny_model_folder_holds_the_training_curves(tiny_model):
    assert_card_shows_curves(tiny_model)


# --- Faster steps: static shapes (--buckets), torch.compile, no per-step host synchronisation ---
def bucket_batches():
    """Six real examples, a tiny fp32 model without dropout, and the batch padded as today on a GPU
    (longest rounded to 8) and to a bucket of 64 tokens and 8 rows."""
    rows = read_jsonl(DATA_FILE)[:6]
    tok = train_tokenizer(tokenizer_texts(rows), 1024, model_max_length=1024)
    features = [encode_example(tok, r["instruction"], r["response"]) for r in rows]
    model = build_model(build_config(len(tok), 1024, "tiny", dropout=0.0, tokenizer=tok), SEED).eval()
    plain = PadCollator(tok.pad_token_id, True)(features)
    bucketed = PadCollator(tok.pad_token_id, True, bucket=64, rows=8)(features)
    return tok, features, model, plain, bucketed


def test_buckets_give_static_shapes_and_the_same_loss():
    import torch

    tok, features, model, plain, bucketed = bucket_batches()
    longest = max(len(f["input_ids"]) for f in features)
    assert plain["input_ids"].shape == (6, -(-longest // 8) * 8)
    assert bucketed["input_ids"].shape == (8, -(-longest // 64) * 64)
    # Response-only labels unchanged: -100 on the prompt, as encoded, and on all padding (and the empty rows).
    width = plain["labels"].shape[1]
    assert torch.equal(bucketed["labels"][:6, :width], plain["labels"])
    assert (bucketed["labels"][:, width:] == -100).all() and (bucketed["labels"][6:] == -100).all()
    for row, f in enumerate(features):
        n, prompt = len(f["labels"]), f["labels"].count(-100)
        assert bucketed["labels"][row, :n].tolist() == f["labels"] and prompt > 0
        assert (bucketed["input_ids"][row, n:] == tok.pad_token_id).all()
    with torch.no_grad():
        assert abs(model(**bucketed).loss.item() - model(**plain).loss.item()) < 1e-5


def test_compiled_forward_of_a_bucketed_batch_gives_the_plain_loss(tmp_path):
    """Through the Trainer's torch_compile, as --buckets 64 --compile trains (one inductor compile, ~40 s)."""
    import shutil

    import torch
    from accelerate.utils import is_compiled_module
    from transformers import Trainer, TrainingArguments

    if not (shutil.which("gcc") or shutil.which("cc")):
        pytest.skip("inductor needs a C compiler (gcc) to compile on CPU")
    load_training_libraries()
    tok, features, model, plain, _ = bucket_batches()
    with torch.no_grad():
        expected = model(**plain).loss.item()
    args = SimpleNamespace(batch_size=8, lr=3e-3, epochs=1, seed=SEED, compile=True)
    trainer = Trainer(model=model, args=TrainingArguments(**training_kwargs(args, tmp_path, False)),
                      eval_dataset=features, data_collator=PadCollator(tok.pad_token_id, False, bucket=64, rows=8))
    try:
        loss = trainer.evaluate()["eval_loss"]
    except torch._dynamo.exc.BackendCompilerFailed as err:
        pytest.skip(f"inductor cannot compile on this machine: {str(err).splitlines()[0]}")
    assert is_compiled_module(trainer.model_wrapped)
    assert abs(loss - expected) < 1e-5


def test_no_host_synchronisation_per_step_on_a_gpu():
    from transformers import TrainingArguments

    args = SimpleNamespace(batch_size=128, lr=1e-3, epochs=100, seed=SEED, compile=False)
    gpu = training_kwargs(args, "/tmp/chef-never-written", cuda=True)  # the arguments a CUDA run gets
    assert gpu["optim"] == "adamw_torch_fused" and gpu["dataloader_pin_memory"]
    assert gpu["logging_nan_inf_filter"] is False and not gpu["torch_compile"]
    cpu = TrainingArguments(**training_kwargs(args, "/tmp/chef-never-written", cuda=False))
    assert cpu.logging_nan_inf_filter is False and cpu.include_num_input_tokens_seen == "no"
    assert training_kwargs(SimpleNamespace(**{**vars(args), "compile": True}), "/tmp/x", cuda=True)["torch_compile"]


@pytest.mark.parametrize("flags", [["--compile"], ["--buckets", "100"], ["--buckets", "-64"]])
def test_compile_needs_buckets_that_divide_the_context(flags):
    proc = run_script(["train_from_scratch.py", "--preset", "tiny", *flags], check=False)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().count("\n") == 0 and flags[0] in proc.stderr
