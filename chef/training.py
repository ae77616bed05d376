"""Training Chef-Bot: the presets and settings, the data split and encoding, the GPT-2 config,
the Hugging Face Trainer that keeps the checkpoint with the best greedy answers, the report,
and a greedy sample of the written model.

Used by train_from_scratch.py (in that order), bench/bench_train.py and the tests. Torch and
transformers are imported inside the functions, so reading the presets stays instant.
"""

import math
import os
import random
import sys
from pathlib import Path

from chef.cli import import_heavy
from chef.decoding import cap_new_tokens, generate_tokens
from chef.hardware import flops_per_token, hardware_name, mps_available, peak_flops
from chef.model_folder import load_model
from chef.prompt import (EOS_TOKEN, MODEL_DIR, MODEL_NAME, PAD_TOKEN, REPO_DIR, SAMPLING_DEFAULTS, SPECIAL_TOKENS,
                         WORK_DIR, format_prompt, render_prompt)

# --- Settings (the full preset is the model of the project's specification) ---
PRESETS = {
    "full": dict(
        n_layer=6,  # transformer blocks
        n_head=8,  # attention heads per block
        n_embd=512,  # embedding / hidden width
        vocab_size=8192,  # BPE vocabulary cap (our data stops at ~3.5k tokens: 21.0M parameters)
        epochs=100,  # full passes over the training split
        batch_size=128,  # sequences per step (per device)
        lr=1e-3,  # peak AdamW learning rate (cosine decay after a short warm-up)
        max_examples=None,  # use the whole dataset
        evals=10,  # held-out evaluations (and checkpoints) during training
    ),
    # a toy model for CPU smoke runs and tests (< 1 minute on 2 cores)
    "tiny": dict(n_layer=2, n_head=2, n_embd=64, vocab_size=1024, epochs=6, batch_size=16, lr=3e-3,
                 max_examples=240, evals=3),
}
RUN_FLAGS = ("epochs", "batch_size", "lr", "max_examples")  # flags whose default is the preset's
SEED = 1234  # data split, tokenizer, weight initialisation and batch order
HOLDOUT_FRACTION = 0.05  # share of the examples kept out of training to measure generalisation
WARMUP = 0.02  # fraction of the steps spent warming the learning rate up
WEIGHT_DECAY = 0.1
# Against overfitting 5,000 recipes seen 100 times. Measured at epoch 100 (H200, 300 held-out
# requests): dropout 0.1 / 0.2 / 0.3 gave list recall 97.1 / 96.9 / 98.2 % and unrequested main
# ingredients in 6.3 / 4.3 / 3.3 % of the recipes.
DROPOUT = 0.3
SAVE_DTYPE = "float16"  # weights of the final folder: 16 bits halve the size, lossless for inference
CONTEXT_MULTIPLE = 256  # n_positions is rounded up to this (llama.cpp rounds the context too)
TINY_OUTPUT_DIR = REPO_DIR / "chef-bot-scratch-tiny"  # --preset tiny never replaces the shipped model
TASK_BATCH_SIZE = {True: 256, False: 64}  # held-out requests answered together (GPU, CPU)
# Each epoch, each recipe under another wording. Harmless on CPU (tiny, 1,000 recipes, 8 epochs): held-out loss
SHOW_VARIANTS = True  # 1.770 against 1.784 without; bench/gpu_call.py's `nowordings` compares them on the GPU


def default_folders(preset):
    """(model folder, work folder) a preset writes to: a tiny run never replaces the shipped model."""
    if preset == "full":
        return MODEL_DIR, WORK_DIR
    return TINY_OUTPUT_DIR, WORK_DIR.with_name(WORK_DIR.name + "-tiny")


# --- Data: split, tokens, batches --------------------------------------------
def split_examples(rows, seed, holdout_fraction):
    """Deterministic train / held-out split of the examples."""
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    n_hold = max(1, round(len(rows) * holdout_fraction))
    held = sorted(order[:n_hold])
    train = sorted(order[n_hold:])
    return [rows[i] for i in train], [rows[i] for i in held]


def context_length(*datasets):
    """n_positions: the longest example rounded up to CONTEXT_MULTIPLE."""
    longest = max(len(x["input_ids"]) for ds in datasets for x in ds)
    return -(-longest // CONTEXT_MULTIPLE) * CONTEXT_MULTIPLE


def encode_wordings(tokenizer, wordings, response):
    """Token ids and labels (-100 on the prompt: loss on the response only) of one example per wording of a
    request. The special token before the response splits the text there: its ids are the same after any prompt."""
    prompts = tokenizer([format_prompt(w) for w in wordings], add_special_tokens=False)["input_ids"]
    answer = tokenizer(response + EOS_TOKEN, add_special_tokens=False)["input_ids"]
    return [{"input_ids": p + answer, "labels": [-100] * len(p) + answer} for p in prompts]


def encode_example(tokenizer, instruction, response):
    return encode_wordings(tokenizer, [instruction], response)[0]


class Wordings:
    """The training examples as the Trainer reads them: row i in epoch e in its wording (e + offset_i) mod n_i
    (its instruction, then its `variants`), the offsets drawn from the seed. make_trainer sets `epoch` from
    the Trainer's state as each epoch begins, so a resumed run sees the wordings of an uninterrupted one."""

    def __init__(self, wordings, seed):
        rng = random.Random(seed)
        self.wordings, self.offsets, self.epoch = wordings, [rng.randrange(len(w)) for w in wordings], 0

    def __len__(self):
        return len(self.wordings)

    def __getitem__(self, i):
        return self.wordings[i][(self.epoch + self.offsets[i]) % len(self.wordings[i])]


def encode_datasets(tokenizer, train_rows, held_rows, variants, seed):
    """Token ids of both splits (the held-out requests in their instruction only); sets the context
    (n_positions) and gives the longest answer that fits it."""
    train_ds = Wordings([encode_wordings(tokenizer, [r["instruction"], *(r.get("variants", []) if variants else [])],
                                         r["response"]) for r in train_rows], seed)
    held_ds = [encode_example(tokenizer, r["instruction"], r["response"]) for r in held_rows]
    every = [x for w in train_ds.wordings for x in w] + held_ds
    tokenizer.model_max_length = context_length(every)
    longest_prompt = max(x["labels"].count(-100) for x in every)
    max_new_tokens = cap_new_tokens(SAMPLING_DEFAULTS["max_new_tokens"], tokenizer.model_max_length, longest_prompt)
    return train_ds, held_ds, max_new_tokens


class PadCollator:
    """Right-pads a batch; no attention mask, so SDPA keeps its fast causal path: with right padding a real token
    never attends to a pad (pads come after it), and pads carry label -100, so the loss is the unpadded examples'."""

    def __init__(self, pad_id, cuda, bucket=0, rows=0):
        # On CPU every new sequence length costs PyTorch set-up time: few distinct widths
        # (multiples of 64) made the tiny run 10x faster. On a GPU, 8 keeps padding low. A bucket (--buckets)
        # pads to its multiples and adds empty rows up to `rows`: a handful of static shapes for torch.compile.
        self.pad_id, self.multiple, self.rows = pad_id, bucket or (8 if cuda else 64), rows

    def __call__(self, features):
        import torch

        longest = max(len(f["input_ids"]) for f in features)
        shape = (max(len(features), self.rows), -(-longest // self.multiple) * self.multiple)
        ids = torch.full(shape, self.pad_id, dtype=torch.long)
        labels = torch.full(shape, -100, dtype=torch.long)
        for row, f in enumerate(features):
            n = len(f["input_ids"])
            ids[row, :n] = torch.tensor(f["input_ids"])
            labels[row, :n] = torch.tensor(f["labels"])
        return {"input_ids": ids, "labels": labels}


# --- Model -------------------------------------------------------------------
def build_config(vocab_size, n_positions, preset="full", dropout=DROPOUT, tokenizer=None):
    """The GPT-2 config of a preset, the one place a GPT2Config is built. EOS and PAD ids come from the
    tokenizer when given, else from their places in SPECIAL_TOKENS (the order the tokenizer is trained with)."""
    from transformers import GPT2Config

    def token_id(token):
        return tokenizer.convert_tokens_to_ids(token) if tokenizer is not None else SPECIAL_TOKENS.index(token)

    sizes = PRESETS[preset]
    eos = token_id(EOS_TOKEN)
    return GPT2Config(
        vocab_size=vocab_size, n_positions=n_positions,
        n_embd=sizes["n_embd"], n_layer=sizes["n_layer"], n_head=sizes["n_head"],
        activation_function="gelu_pytorch_tanh",  # tanh GELU in one kernel: what llama.cpp computes
        resid_pdrop=dropout, embd_pdrop=dropout, attn_pdrop=dropout,
        bos_token_id=eos, eos_token_id=eos, pad_token_id=token_id(PAD_TOKEN), tie_word_embeddings=True,
    )


def build_model(config, seed):
    """GPT-2 with seeded random weights (nothing pretrained)."""
    from transformers import AutoModelForCausalLM, set_seed

    set_seed(seed)  # before building: the Trainer seeds only later
    return AutoModelForCausalLM.from_config(config, attn_implementation="sdpa")


# --- The run: libraries, schedule, Trainer settings, checkpoints, the Trainer ---
def load_training_libraries():
    """Import torch and the Trainer; our own lines say what happens, so transformers' chatter stays out."""
    import_heavy("transformers.trainer")
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def plan_schedule(args, n_train):
    """Steps of the run. They depend on the number of examples only, not on their tokens, so they
    are known before the tokenizer exists."""
    world = int(os.environ.get("WORLD_SIZE", "1"))  # processes under torchrun (checked against TrainingArguments)
    steps_per_epoch = math.ceil(n_train / (args.batch_size * world))
    total_steps = math.ceil(steps_per_epoch * args.epochs)
    return {"world": world, "steps_per_epoch": steps_per_epoch, "total_steps": total_steps,
            "eval_every": max(1, math.ceil(total_steps / PRESETS[args.preset]["evals"])),  # also the checkpoints
            "log_every": max(1, min(100, total_steps // 50))}


def training_kwargs(args, work_dir, cuda, selection="eval_loss"):
    """TrainingArguments shared by the training run and the benchmark (steps set by the caller)."""
    import torch

    return dict(
        output_dir=str(work_dir), per_device_train_batch_size=args.batch_size,
        per_device_eval_batch_size=args.batch_size, learning_rate=args.lr, num_train_epochs=args.epochs,
        lr_scheduler_type="cosine", warmup_steps=WARMUP, weight_decay=WEIGHT_DECAY, max_grad_norm=1.0,
        optim="adamw_torch_fused" if cuda else "adamw_torch",
        # Without a GPU, say so: then torchrun runs data-parallel CPU processes over gloo.
        use_cpu=not cuda and not mps_available(),
        ddp_backend="gloo" if not cuda and int(os.environ.get("WORLD_SIZE", "1")) > 1 else None,
        bf16=cuda and torch.cuda.is_bf16_supported(), tf32=cuda,
        eval_strategy="steps", save_strategy="steps", save_total_limit=2,
        load_best_model_at_end=True, metric_for_best_model=selection, greater_is_better=selection != "eval_loss",
        prediction_loss_only=True, torch_compile=args.compile,  # with --buckets only: each new shape recompiles
        # No host sync per step (the GPU runs ahead): the NaN filter and token counting read each step, fused AdamW doesn't
        logging_nan_inf_filter=False, include_num_input_tokens_seen=False,
        train_sampling_strategy="group_by_length",  # similar lengths per batch: little padding
        report_to=getattr(args, "report_to", "none"), seed=args.seed, data_seed=args.seed, dataloader_pin_memory=cuda,
        disable_tqdm=not sys.stderr.isatty(), remove_unused_columns=False, ddp_find_unused_parameters=False,
    )


def training_arguments(args, schedule, cuda, selection):
    """The run's TrainingArguments: evaluations (also the checkpoints) and logging at the schedule's steps.
    Built early: under torchrun they set up torch.distributed, so the main process can train the tokenizer
    while the others wait."""
    from transformers import TrainingArguments

    targs = TrainingArguments(eval_steps=schedule["eval_every"], save_steps=schedule["eval_every"],
                              logging_steps=schedule["log_every"],
                              **training_kwargs(args, Path(args.work_dir), cuda, selection))
    if max(1, targs.world_size) != schedule["world"]:
        raise RuntimeError(f"WORLD_SIZE={schedule['world']} pero el Trainer ve {targs.world_size} procesos")
    return targs


def last_complete_checkpoint(work_dir):
    """Newest checkpoint-N folder with trainer_state.json (written last, so the save finished)."""
    found = [(int(p.name.split("-")[1]), p) for p in Path(work_dir).glob("checkpoint-*")
             if p.name.split("-")[1].isdigit() and (p / "trainer_state.json").is_file()]
    return str(max(found)[1]) if found else None


# Choosing the checkpoint by what users get. Held-out loss bottoms out around epochs 40-60 and
# then rises, while greedy ingredient recall keeps rising and unrequested ingredients keep falling
# until epoch 100: loss picks a worse model. So every evaluation also answers the held-out requests
# greedily and scores them with chef.metrics.task_metrics (recall, minus unrequested and incoherent
# recipes); the checkpoint with the best `eval_score` is shipped. The held-out loss only breaks ties (a
# tiny model that never names an ingredient scores 0): scaled never to outweigh one ingredient of one request.
SELECTION_METRIC = "eval_selection"
TIE_BREAK_LOSS_WEIGHT = 1e-5
EVAL_KEYS = ("eval_loss", "eval_recall_list", "eval_recall_steps", "eval_unrequested_rate", "eval_incoherent_rate",
             "eval_score")


def make_trainer(task_requests, task_max_new_tokens, **kwargs):
    """A Hugging Face Trainer that tells its train_dataset (Wordings) the epoch; evaluate() adds the task metrics."""
    from transformers import Trainer, TrainerCallback

    class NextWording(TrainerCallback):
        def on_epoch_begin(self, args, state, control, **kw):  # state.epoch: restored on resume
            kwargs["train_dataset"].epoch = int(state.epoch)

    class ChefTrainer(Trainer):
        def evaluate(self, *args, **kw):
            metrics = super().evaluate(*args, **kw)
            if task_requests:
                import torch

                from chef.evaluation import HFModel
                from chef.metrics import task_metrics

                self.model.eval()  # no dropout while answering (already so after evaluate; training_step undoes it)
                model = HFModel(self.model, self.processing_class, self.args.device, MODEL_NAME)
                task = task_metrics(model, task_requests, TASK_BATCH_SIZE[torch.cuda.is_available()],
                                    task_max_new_tokens)
                task = {f"eval_{k}": round(v, 4) for k, v in task.items()}
                task[SELECTION_METRIC] = task["eval_score"] - TIE_BREAK_LOSS_WEIGHT * metrics["eval_loss"]
                self.log(task)
                metrics.update(task)
            return metrics

    return ChefTrainer(callbacks=[NextWording()], **kwargs)


# --- The report and the shipped model ----------------------------------------
def loss_history(history):
    """Train loss by step, and one entry per evaluation with what was measured then
    (loss and task metrics are logged apart)."""
    train_loss = {h["step"]: round(h["loss"], 4) for h in history if "loss" in h}
    evaluations = {}  # step -> measurements
    for h in history:
        measured = {k: round(v, 4) for k, v in h.items() if k in EVAL_KEYS}
        if measured:
            near = [s for s in train_loss if s <= h["step"]]
            evaluations.setdefault(h["step"], {"step": h["step"], "epoch": round(h["epoch"], 2),
                                               "train_loss": train_loss[max(near)] if near else None}).update(measured)
    return train_loss, list(evaluations.values())


def training_report(args, run, config, trainer, result, history, final_eval):
    """training_report.json: data, architecture, schedule, speed, loss history and the shipped checkpoint
    (`run`: what main measured, its checkpoint the one resumed from, or None)."""
    import torch
    import transformers

    state = trainer.state
    train_ds, world, checkpoint = run["train_ds"], run["schedule"]["world"], run["checkpoint"]
    # The state's history includes the steps before a resume (restored from the checkpoint).
    train_loss, evaluations = loss_history(history)
    best_step = int(Path(state.best_model_checkpoint).name.split("-")[1]) if state.best_model_checkpoint else state.global_step
    tokens_per_epoch = sum(len(x["input_ids"]) for x in train_ds)
    loss_tokens_per_epoch = sum(sum(1 for t in x["labels"] if t != -100) for x in train_ds)
    tokens_seen = int(tokens_per_epoch * args.epochs)
    steps_run = state.global_step - (int(Path(checkpoint).name.split("-")[1]) if checkpoint else 0)
    tokens_per_second = tokens_seen * steps_run / max(1, state.global_step) / run["train_seconds"]
    peak = peak_flops()
    mfu = tokens_per_second * flops_per_token(config, tokens_per_epoch / len(train_ds)) / (peak * world) if peak else None
    return {
        "model": MODEL_NAME, "preset": args.preset,
        "data": {"file": Path(args.data).name, "sha256": run["data_sha"], "train_examples": len(train_ds),
                 "heldout_examples": len(run["held_ds"]), "tokens_per_epoch": tokens_per_epoch,
                 "longest_example_tokens": max(len(x["input_ids"]) for w in [*train_ds.wordings, run["held_ds"]] for x in w)},
        "architecture": {k: getattr(config, k) for k in ("n_layer", "n_head", "n_embd", "n_positions", "vocab_size")},
        "parameters": run["n_params"], "epochs": args.epochs, "steps": state.global_step,
        "batch_size": args.batch_size, "world_size": world, "lr": args.lr, "dropout": args.dropout, "seed": args.seed,
        "variants": args.variants, "tokens_seen": tokens_seen, "loss_tokens_seen": int(loss_tokens_per_epoch * args.epochs),
        "train_seconds": round(run["train_seconds"], 1), "resumed_from": checkpoint and Path(checkpoint).name,
        "tokens_per_second": round(tokens_per_second), "mfu": round(mfu, 4) if mfu else None,
        "hardware": hardware_name(), "software": {"torch": torch.__version__, "transformers": transformers.__version__},
        "final_train_loss": round(result.training_loss, 4),
        "train_loss_history": [{"step": s, "loss": l} for s, l in sorted(train_loss.items())],
        "evaluations": evaluations, "selection": run["selection"],
        "shipped": {k: round(v, 4) for k, v in final_eval.items() if k in EVAL_KEYS},
        "best_eval_loss": round(final_eval["eval_loss"], 4), "shipped_step": best_step,
        "shipped_epoch": round(best_step / run["schedule"]["steps_per_epoch"], 2),
    }


def ship_model(model, max_new_tokens):
    """The trained model as it is saved: 16-bit weights, KV cache on, and generation_config.json with
    the chat's sampling defaults and the longest answer that fits the context."""
    import torch
    from transformers import GenerationConfig

    model = model.to(getattr(torch, SAVE_DTYPE))
    model.config.dtype = SAVE_DTYPE
    model.config.use_cache = True  # the Trainer switches the KV cache off; generation needs it
    ids = {k: getattr(model.config, k) for k in ("eos_token_id", "pad_token_id", "bos_token_id")}
    sampling = {k: SAMPLING_DEFAULTS[k] for k in ("temperature", "top_k", "top_p", "repetition_penalty")}
    model.generation_config = GenerationConfig(**ids, do_sample=True, max_new_tokens=max_new_tokens, **sampling)
    return model


def greedy_sample(model_dir, instruction, max_new_tokens, device):
    """The written model's greedy answer to one request, loaded back and decoded as the chat does."""
    model, tokenizer = load_model(model_dir, device=device)
    tokens = generate_tokens(model, render_prompt(tokenizer, instruction), max_new_tokens,
                             eos_token_id=model.config.eos_token_id)
    return tokenizer.decode(list(tokens), skip_special_tokens=True)
