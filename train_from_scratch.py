"""Train Chef-Bot from nothing: our own byte-level BPE tokenizer and a randomly initialised GPT-2.

Data -> tokens -> weights, in order:
  1. read recetas_extended.jsonl (instruction -> response examples) and hold out 5% (fixed seed);
  2. train a byte-level BPE tokenizer on the training texts, with the special tokens and the
     chat template from chef_common.py (so training text, apply_chat_template and the GGUF agree);
  3. build GPT2LMHeadModel(6 layers, 8 heads, 512 dims) with seeded random weights;
  4. train with the Hugging Face Trainer for 100 epochs, loss on the response tokens only,
     evaluating the held-out split a few times and checkpointing into a work folder;
  5. at each evaluation, answer the held-out requests greedily and score what users judge first
     (requested ingredients used, no unrequested main ingredient); write the best checkpoint by
     that score to chef-bot-scratch-final/ atomically, with generation_config.json, the
     tokenizer, training_report.json and a model card;
  6. print a greedy sample for one held-out instruction.

Commands:
  python train_from_scratch.py                        # full run (needs a GPU: minutes on one H100)
  python train_from_scratch.py --preset tiny          # CPU smoke run, under a minute (-> chef-bot-scratch-tiny/)
  python train_from_scratch.py --resume               # continue an interrupted run
  torchrun --nproc_per_node 2 train_from_scratch.py   # data parallel on 2 GPUs (or CPU processes)
"""

import hashlib
import json
import math
import os
import shutil
import sys
import time
from pathlib import Path

from chef_common import (
    ASSISTANT_TOKEN,
    CHAT_TEMPLATE,
    DATA_FILE,
    EOS_TOKEN,
    MODEL_DIR,
    MODEL_NAME,
    PAD_TOKEN,
    REPO_DIR,
    SAMPLING_DEFAULTS,
    SPECIAL_TOKENS,
    USER_TOKEN,
    WORK_DIR,
    ChefError,
    atomic_write_text,
    check_flag,
    check_writable,
    flops_per_token,
    format_example,
    format_prompt,
    hardware_name,
    import_heavy,
    make_parser,
    peak_flops,
    read_jsonl,
    run_main,
)

# ---------------------------------------------------------------------------
# Defaults (the full model of the project's specification)
# ---------------------------------------------------------------------------
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
    "tiny": dict(  # a toy model for CPU smoke runs and tests (< 1 minute on 2 cores)
        n_layer=2,
        n_head=2,
        n_embd=64,
        vocab_size=1024,
        epochs=6,
        batch_size=16,
        lr=3e-3,
        max_examples=240,
        evals=3,
    ),
}
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


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------
def split_examples(rows, seed, holdout_fraction):
    """Deterministic train / held-out split of the examples."""
    import random

    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    n_hold = max(1, round(len(rows) * holdout_fraction))
    held = sorted(order[:n_hold])
    train = sorted(order[n_hold:])
    return [rows[i] for i in train], [rows[i] for i in held]


def file_sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


# ---------------------------------------------------------------------------
# Tokenizer
# ---------------------------------------------------------------------------
def train_tokenizer(texts, vocab_size, model_max_length):
    """Byte-level BPE from scratch, set up so llama.cpp's `gpt-2` pre-tokenizer matches it exactly."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=SPECIAL_TOKENS,  # ids 0..3, fixed order
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),  # all 256 bytes: any text encodes
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer)
    return wrap_tokenizer(tok, model_max_length)


def wrap_tokenizer(tok, model_max_length):
    """A transformers tokenizer carrying our special tokens and chat template."""
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=EOS_TOKEN,
        eos_token=EOS_TOKEN,
        pad_token=PAD_TOKEN,
        additional_special_tokens=[USER_TOKEN, ASSISTANT_TOKEN],
        model_max_length=model_max_length,
        chat_template=CHAT_TEMPLATE,
        clean_up_tokenization_spaces=False,  # decode must give back the exact text
    )


def check_round_trip(tokenizer, texts):
    """The tokenizer must give back exactly the text it was given."""
    for text in texts:
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        back = tokenizer.decode(ids)
        if back != text:
            raise ChefError(f"el tokenizador no devuelve el mismo texto: {text[:60]!r} -> {back[:60]!r}")


def tokenizer_texts(rows):
    """The texts the tokenizer is trained on: every instruction and response."""
    return [t for r in rows for t in (r["instruction"], r["response"])]


def context_length(*datasets):
    """n_positions: the longest example rounded up to CONTEXT_MULTIPLE."""
    longest = max(len(x["input_ids"]) for ds in datasets for x in ds)
    return -(-longest // CONTEXT_MULTIPLE) * CONTEXT_MULTIPLE


def encode_example(tokenizer, instruction, response):
    """Token ids of one example and its labels (-100 on the prompt: loss on the response only)."""
    ids = tokenizer(format_example(instruction, response), add_special_tokens=False)["input_ids"]
    n_prompt = len(tokenizer(format_prompt(instruction), add_special_tokens=False)["input_ids"])
    labels = [-100] * n_prompt + ids[n_prompt:]
    return {"input_ids": ids, "labels": labels}


class PadCollator:
    """Right-pads a batch; no attention mask, so SDPA keeps its fast causal path.

    With right padding a real token never attends to a pad (pads come after it), and the
    pads carry label -100, so the loss is exactly that of the unpadded examples.
    """

    def __init__(self, pad_id, cuda):
        # On CPU every new sequence length costs PyTorch set-up time: few distinct widths
        # (multiples of 64) made the tiny run 10x faster. On a GPU, 8 keeps padding low.
        self.pad_id, self.multiple = pad_id, 8 if cuda else 64

    def __call__(self, features):
        import torch

        longest = max(len(f["input_ids"]) for f in features)
        width = -(-longest // self.multiple) * self.multiple
        ids = torch.full((len(features), width), self.pad_id, dtype=torch.long)
        labels = torch.full((len(features), width), -100, dtype=torch.long)
        for row, f in enumerate(features):
            n = len(f["input_ids"])
            ids[row, :n] = torch.tensor(f["input_ids"])
            labels[row, :n] = torch.tensor(f["labels"])
        return {"input_ids": ids, "labels": labels}


# ---------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------
def build_config(vocab_size, n_positions, preset="full", dropout=DROPOUT, tokenizer=None):
    """The GPT-2 config of a preset: the one place a GPT2Config is built (training, parameter count, benchmarks).

    EOS and PAD ids come from the tokenizer when given, else from their places in SPECIAL_TOKENS
    (the order the tokenizer is trained with).
    """
    from transformers import GPT2Config

    def token_id(token):
        return tokenizer.convert_tokens_to_ids(token) if tokenizer is not None else SPECIAL_TOKENS.index(token)

    sizes = PRESETS[preset]
    eos = token_id(EOS_TOKEN)
    return GPT2Config(
        vocab_size=vocab_size,
        n_positions=n_positions,
        n_embd=sizes["n_embd"],
        n_layer=sizes["n_layer"],
        n_head=sizes["n_head"],
        activation_function="gelu_pytorch_tanh",  # tanh GELU in one kernel: what llama.cpp computes
        resid_pdrop=dropout,
        embd_pdrop=dropout,
        attn_pdrop=dropout,
        bos_token_id=eos,
        eos_token_id=eos,
        pad_token_id=token_id(PAD_TOKEN),
        tie_word_embeddings=True,
    )


def build_model(config, seed):
    """GPT-2 with seeded random weights (nothing pretrained)."""
    from transformers import AutoModelForCausalLM, set_seed

    set_seed(seed)  # before building: the Trainer seeds only later
    return AutoModelForCausalLM.from_config(config, attn_implementation="sdpa")


def count_parameters(model):
    return sum(p.numel() for p in model.parameters())


def default_parameter_count(vocab_size=None, n_positions=512):
    """Parameters of the default architecture, built on the meta device (no memory, no training)."""
    import torch
    from transformers import GPT2LMHeadModel

    config = build_config(vocab_size or PRESETS["full"]["vocab_size"], n_positions)
    with torch.device("meta"):
        return count_parameters(GPT2LMHeadModel(config))


# ---------------------------------------------------------------------------
# Choosing the checkpoint by what users get
# ---------------------------------------------------------------------------
# Held-out loss bottoms out around epochs 40-60 and then rises, while greedy ingredient recall
# keeps rising and unrequested ingredients keep falling until epoch 100: loss picks a worse
# model. So every evaluation also answers the held-out requests greedily and scores them with
# evaluate.task_metrics; the checkpoint with the best `eval_score` is the one shipped.
# The held-out loss only breaks ties (a tiny model that never names an ingredient scores 0 throughout):
# scaled so it can never outweigh one ingredient of one request.
SELECTION_METRIC = "eval_selection"
TIE_BREAK_LOSS_WEIGHT = 1e-5
EVAL_KEYS = ("eval_loss", "eval_recall_list", "eval_recall_steps", "eval_unrequested_rate", "eval_score")


def make_trainer(task_requests, task_max_new_tokens, **kwargs):
    """A Hugging Face Trainer whose evaluate() adds the greedy task metrics (eval_recall_list, ...)."""
    from transformers import Trainer

    class ChefTrainer(Trainer):
        def evaluate(self, *args, **kw):
            metrics = super().evaluate(*args, **kw)
            if task_requests:
                import torch

                from evaluate import HFModel, task_metrics

                model = HFModel(self.model, self.processing_class, self.args.device, MODEL_NAME)
                task = task_metrics(model, task_requests, TASK_BATCH_SIZE[torch.cuda.is_available()],
                                    task_max_new_tokens)
                task = {f"eval_{k}": round(v, 4) for k, v in task.items()}
                task[SELECTION_METRIC] = task["eval_score"] - TIE_BREAK_LOSS_WEIGHT * metrics["eval_loss"]
                self.log(task)
                metrics.update(task)
            return metrics

    return ChefTrainer(**kwargs)


# ---------------------------------------------------------------------------
# Checkpoints and the output folder
# ---------------------------------------------------------------------------
def last_complete_checkpoint(work_dir):
    """Newest checkpoint-N folder with trainer_state.json (written last, so the save finished)."""
    work_dir = Path(work_dir)
    if not work_dir.is_dir():
        return None
    found = [(int(p.name.split("-")[1]), p) for p in work_dir.glob("checkpoint-*")
             if p.name.split("-")[1].isdigit() and (p / "trainer_state.json").is_file()]
    return str(max(found)[1]) if found else None


def write_model_folder(output_dir, model, tokenizer, gen_config, report, card):
    """Write everything into a temporary folder, then swap it in: never a half-written model."""
    import torch

    output_dir = Path(output_dir).resolve()
    tmp = output_dir.with_name(f"{output_dir.name}.tmp-{os.getpid()}")
    old = output_dir.with_name(f"{output_dir.name}.old-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    model = model.to(getattr(torch, SAVE_DTYPE))
    model.config.dtype = SAVE_DTYPE
    model.config.use_cache = True  # the Trainer switches the KV cache off; generation needs it
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    gen_config.save_pretrained(tmp)
    atomic_write_text(tmp / "training_report.json", json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    atomic_write_text(tmp / "README.md", card)
    umask = os.umask(0)
    os.umask(umask)
    for path in tmp.iterdir():  # safetensors writes 0600 files: give every file the usual permissions
        path.chmod(0o666 & ~umask)
    if output_dir.exists():
        os.replace(output_dir, old)
    os.replace(tmp, output_dir)
    shutil.rmtree(old, ignore_errors=True)


def model_card(report):
    from evaluate import pct

    rows = "\n".join(
        f"| {e['epoch']:.1f} | {e['step']} | {e['train_loss'] if e['train_loss'] is not None else '-'} | "
        f"{e['eval_loss']:.4f} | {pct(e.get('eval_recall_list'))} | {pct(e.get('eval_recall_steps'))} | "
        f"{pct(e.get('eval_unrequested_rate'))} |"
        for e in report["evaluations"]
    )
    chosen = ("highest greedy score on the held-out requests (mean ingredient recall minus the share "
              "of recipes with an unrequested main ingredient; held-out loss breaks ties)"
              if report["selection"] == SELECTION_METRIC
              else "lowest held-out loss")
    arch = report["architecture"]
    return f"""---
language: es
license: mit
library_name: transformers
pipeline_tag: text-generation
tags: [gpt2, from-scratch, cooking, spanish]
---
# {MODEL_NAME}

A GPT-2 trained **from random weights** on {report['data']['train_examples']} synthetic Spanish recipes
(`{report['data']['file']}`), with its own byte-level BPE tokenizer. Given ingredients, it writes a
recipe in Spanish. Made by `train_from_scratch.py` of the Chef-Bot project.

## Architecture
| | |
| --- | --- |
| layers / heads / width | {arch['n_layer']} / {arch['n_head']} / {arch['n_embd']} |
| context | {arch['n_positions']} tokens |
| vocabulary | {arch['vocab_size']} (byte-level BPE, trained on the data) |
| parameters | {report['parameters']:,} |
| weights stored as | {SAVE_DTYPE} |

## Training
| | |
| --- | --- |
| data | {report['data']['train_examples']} training / {report['data']['heldout_examples']} held-out examples (sha256 `{report['data']['sha256'][:12]}`) |
| epochs | {report['epochs']} ({report['steps']} steps of {report['batch_size']} x {report['world_size']} sequences) |
| learning rate | {report['lr']} peak, cosine, AdamW, weight decay {WEIGHT_DECAY}, dropout {report.get('dropout', DROPOUT)} |
| tokens seen | {report['tokens_seen']:,} (response-loss tokens: {report['loss_tokens_seen']:,}) |
| time | {report['train_seconds']:.0f} s on {report['hardware']} |
| throughput | {report['tokens_per_second']:,.0f} tokens/s{f", MFU {report['mfu']:.1%}" if report.get('mfu') else ""} |
| shipped checkpoint | step {report['shipped_step']} (epoch {report['shipped_epoch']:.1f}): {chosen} |

Loss is computed on the response tokens only. At each evaluation the {report['data']['heldout_examples']} held-out
requests are also answered greedily: share of requested ingredients in the list and in the steps,
and share of recipes naming a main ingredient nobody asked for.

| epoch | step | train loss | held-out loss | list recall | steps recall | unrequested |
| --- | --- | --- | --- | --- | --- | --- |
{rows}

## Use
```bash
python inference_scratch.py            # chat in the terminal
python convert_to_gguf.py              # export for llama.cpp / LM Studio
```

<!-- evaluation:start -->
Not evaluated yet: run `python evaluate.py`.
<!-- evaluation:end -->
"""


def get_tokenizer(args, targs, train_rows, data_sha, log=print):
    """Train the tokenizer (main process first; the others and --resume load its saved copy)."""
    from transformers import AutoTokenizer

    work_dir = Path(args.work_dir)
    tok_dir = work_dir / "tokenizer"
    is_main = targs.process_index == 0
    with targs.main_process_first(desc="tokenizer"):
        meta_file = tok_dir / "chef_meta.json"
        meta = json.loads(meta_file.read_text()) if meta_file.is_file() else None
        wanted = {"data_sha256": data_sha, "vocab_size": PRESETS[args.preset]["vocab_size"], "seed": args.seed,
                  "max_examples": args.max_examples}
        if args.resume and meta != wanted:
            raise ChefError(f"--resume: {work_dir} se entrenó con otros datos o ajustes; empieza sin --resume")
        if meta == wanted and (args.resume or not is_main):
            return AutoTokenizer.from_pretrained(tok_dir)
        t0 = time.time()
        texts = tokenizer_texts(train_rows)
        tokenizer = train_tokenizer(texts, PRESETS[args.preset]["vocab_size"], model_max_length=1 << 30)
        check_round_trip(tokenizer, texts[:200] + ["¿Qué tal?  ¡Añade 2½ tazas de piñones!\n\tÑandú"])
        if is_main:
            if not args.resume and work_dir.exists():
                shutil.rmtree(work_dir)  # a fresh run starts from an empty work folder
            tokenizer.save_pretrained(tok_dir)
            atomic_write_text(meta_file, json.dumps(wanted))
        log(f"tokenizador: BPE de {len(tokenizer)} tokens entrenado en {time.time() - t0:.1f} s")
        return tokenizer


def training_kwargs(args, work_dir, cuda, selection="eval_loss"):
    """TrainingArguments shared by the training run and the benchmark (steps set by the caller)."""
    import torch

    return dict(
        output_dir=str(work_dir),
        per_device_train_batch_size=args.batch_size,
        per_device_eval_batch_size=args.batch_size,
        learning_rate=args.lr,
        num_train_epochs=args.epochs,
        lr_scheduler_type="cosine",
        warmup_steps=WARMUP,
        weight_decay=WEIGHT_DECAY,
        max_grad_norm=1.0,
        optim="adamw_torch_fused" if cuda else "adamw_torch",
        # Without a GPU, say so: then torchrun runs data-parallel CPU processes over gloo.
        use_cpu=not cuda and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()),
        ddp_backend="gloo" if not cuda and int(os.environ.get("WORLD_SIZE", "1")) > 1 else None,
        bf16=cuda and torch.cuda.is_bf16_supported(),
        tf32=cuda,
        eval_strategy="steps",
        save_strategy="steps",
        save_total_limit=2,
        load_best_model_at_end=True,
        metric_for_best_model=selection,
        greater_is_better=selection != "eval_loss",
        prediction_loss_only=True,
        logging_nan_inf_filter=False,  # the filter syncs the GPU every step
        train_sampling_strategy="group_by_length",  # similar lengths per batch: little padding
        report_to="none",
        seed=args.seed,
        data_seed=args.seed,
        dataloader_pin_memory=cuda,
        disable_tqdm=not sys.stderr.isatty(),
        remove_unused_columns=False,
        ddp_find_unused_parameters=False,
    )


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------
def parse_args(argv=None):
    full, tiny = PRESETS["full"], PRESETS["tiny"]
    parser = make_parser(
        description="Entrena Chef-Bot desde cero: tokenizador BPE propio y GPT-2 con pesos aleatorios.",
        epilog="Ejemplos: python train_from_scratch.py | python train_from_scratch.py --preset tiny | "
        "python train_from_scratch.py --resume",
    )
    parser.add_argument("--data", type=Path, default=DATA_FILE, help="fichero JSONL de recetas (por defecto: %(default)s)")
    parser.add_argument("--output-dir", type=Path, default=None,
                        help=f"carpeta del modelo final (por defecto: {MODEL_DIR.name}/ o, con --preset tiny, {TINY_OUTPUT_DIR.name}/)")
    parser.add_argument("--work-dir", type=Path, default=None,
                        help=f"carpeta de checkpoints (por defecto: {WORK_DIR} o, con --preset tiny, {WORK_DIR}-tiny)")
    parser.add_argument("--preset", choices=sorted(PRESETS), default="full",
                        help="full: el modelo del proyecto (6 capas, 8 cabezas, 512 dims); tiny: modelo diminuto para probar en CPU")
    parser.add_argument("--epochs", type=float, default=None, help=f"épocas (por defecto: {full['epochs']}; tiny: {tiny['epochs']})")
    parser.add_argument("--batch-size", type=int, default=None, help=f"secuencias por paso y dispositivo (por defecto: {full['batch_size']}; tiny: {tiny['batch_size']})")
    parser.add_argument("--lr", type=float, default=None, help=f"tasa de aprendizaje máxima (por defecto: {full['lr']:g}; tiny: {tiny['lr']:g})")
    parser.add_argument("--dropout", type=float, default=DROPOUT, help="dropout en embeddings, atención y residuos (por defecto: %(default)s)")
    parser.add_argument("--seed", type=int, default=SEED, help="semilla de la partición, el tokenizador y los pesos (por defecto: %(default)s)")
    parser.add_argument("--max-examples", type=int, default=None, help=f"usar solo los N primeros ejemplos (por defecto: todos; tiny: {tiny['max_examples']})")
    parser.add_argument("--resume", action="store_true", help="continuar el entrenamiento interrumpido desde su último checkpoint completo")
    args = parser.parse_args(argv)
    preset = PRESETS[args.preset]
    for key in ("epochs", "batch_size", "lr", "max_examples"):
        if getattr(args, key) is None:
            setattr(args, key, preset[key])
    if args.work_dir is None:
        args.work_dir = WORK_DIR if args.preset == "full" else WORK_DIR.with_name(WORK_DIR.name + "-tiny")
    if args.output_dir is None:
        args.output_dir = MODEL_DIR if args.preset == "full" else TINY_OUTPUT_DIR
    check_flag(0 <= args.dropout < 1, "--dropout", "estar entre 0 y 1")
    for flag in ("epochs", "batch_size", "lr"):
        check_flag(getattr(args, flag) > 0, "--" + flag.replace("_", "-"), "ser positivo")
    check_flag(args.max_examples is None or args.max_examples >= 20, "--max-examples", "ser 20 o mayor")
    return args


# ---------------------------------------------------------------------------
# Main, step by step: data, schedule, tokenizer, model, training, report and model folder
# ---------------------------------------------------------------------------
def load_data(args):
    """The train / held-out split, the data's hash and the checkpoint to resume from.

    The folders the run writes are checked here, before torch loads and the run starts (not
    found out after the whole run).
    """
    rows = read_jsonl(args.data)
    if args.max_examples:
        rows = rows[: args.max_examples]
    train_rows, held_rows = split_examples(rows, args.seed, HOLDOUT_FRACTION)
    data_sha = file_sha256(args.data)
    work_dir = Path(args.work_dir)
    checkpoint = last_complete_checkpoint(work_dir) if args.resume else None
    if args.resume and checkpoint is None:
        raise ChefError(f"--resume: no hay ningún checkpoint completo en {work_dir}; empieza sin --resume")
    check_writable(args.output_dir, folder=True)
    check_writable(work_dir / "tokenizer", folder=True)
    return train_rows, held_rows, data_sha, checkpoint


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
    return {
        "world": world,
        "steps_per_epoch": steps_per_epoch,
        "total_steps": total_steps,
        "eval_every": max(1, math.ceil(total_steps / PRESETS[args.preset]["evals"])),  # also the checkpoints
        "log_every": max(1, min(100, total_steps // 50)),
    }


def encode_datasets(tokenizer, train_rows, held_rows):
    """Token ids of both splits; sets the context (n_positions) and gives the longest answer that fits it."""
    train_ds = [encode_example(tokenizer, r["instruction"], r["response"]) for r in train_rows]
    held_ds = [encode_example(tokenizer, r["instruction"], r["response"]) for r in held_rows]
    tokenizer.model_max_length = context_length(train_ds, held_ds)
    longest_prompt = max(x["labels"].count(-100) for x in train_ds + held_ds)
    max_new_tokens = min(SAMPLING_DEFAULTS["max_new_tokens"], tokenizer.model_max_length - longest_prompt)
    return train_ds, held_ds, max_new_tokens


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
    """training_report.json: data, architecture, schedule, speed, loss history and the shipped checkpoint.

    `run` holds what main measured: data_sha, train_ds, held_ds, n_params, schedule, selection,
    checkpoint (resumed from, or None) and train_seconds.
    """
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
        "model": MODEL_NAME,
        "preset": args.preset,
        "data": {"file": Path(args.data).name, "sha256": run["data_sha"], "train_examples": len(train_ds),
                 "heldout_examples": len(run["held_ds"]), "tokens_per_epoch": tokens_per_epoch,
                 "longest_example_tokens": max(len(x["input_ids"]) for x in train_ds + run["held_ds"])},
        "architecture": {k: getattr(config, k) for k in ("n_layer", "n_head", "n_embd", "n_positions", "vocab_size")},
        "parameters": run["n_params"],
        "epochs": args.epochs,
        "steps": state.global_step,
        "batch_size": args.batch_size,
        "world_size": world,
        "lr": args.lr,
        "dropout": args.dropout,
        "seed": args.seed,
        "tokens_seen": tokens_seen,
        "loss_tokens_seen": int(loss_tokens_per_epoch * args.epochs),
        "train_seconds": round(run["train_seconds"], 1),
        "resumed_from": checkpoint and Path(checkpoint).name,
        "tokens_per_second": round(tokens_per_second),
        "mfu": round(mfu, 4) if mfu else None,
        "hardware": hardware_name(),
        "software": {"torch": torch.__version__, "transformers": transformers.__version__},
        "final_train_loss": round(result.training_loss, 4),
        "train_loss_history": [{"step": s, "loss": l} for s, l in sorted(train_loss.items())],
        "evaluations": evaluations,
        "selection": run["selection"],
        "shipped": {k: round(v, 4) for k, v in final_eval.items() if k in EVAL_KEYS},
        "best_eval_loss": round(final_eval["eval_loss"], 4),
        "shipped_step": best_step,
        "shipped_epoch": round(best_step / run["schedule"]["steps_per_epoch"], 2),
    }


def generation_config(config, max_new_tokens):
    """generation_config.json: the chat's sampling defaults, and the longest answer that fits the context."""
    from transformers import GenerationConfig

    return GenerationConfig(
        eos_token_id=config.eos_token_id,
        pad_token_id=config.pad_token_id,
        bos_token_id=config.bos_token_id,
        do_sample=True,
        max_new_tokens=max_new_tokens,
        temperature=SAMPLING_DEFAULTS["temperature"],
        top_k=SAMPLING_DEFAULTS["top_k"],
        top_p=SAMPLING_DEFAULTS["top_p"],
        repetition_penalty=SAMPLING_DEFAULTS["repetition_penalty"],
    )


def greedy_sample(model_dir, instruction, max_new_tokens, device):
    """The written model's greedy answer to one request, loaded back as the chat loads it."""
    import torch

    from chef_common import load_model

    model, tokenizer = load_model(model_dir, device=device)
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": instruction}],
                                           add_generation_prompt=True, return_tensors="pt", return_dict=True)
    with torch.inference_mode():
        out = model.generate(prompt["input_ids"].to(device), do_sample=False,
                             max_new_tokens=max_new_tokens, pad_token_id=model.config.pad_token_id)
    return tokenizer.decode(out[0, prompt["input_ids"].shape[1]:], skip_special_tokens=True)


def main(argv=None):
    args = parse_args(argv)
    t_start = time.time()

    # -- data ------------------------------------------------------------------------
    train_rows, held_rows, data_sha, checkpoint = load_data(args)
    load_training_libraries()
    import torch
    from transformers import TrainingArguments

    cuda = torch.cuda.is_available()
    # Checkpoints are chosen by greedy answers to the held-out requests when the data says which
    # ingredients each one asked for (the generator's `ingredients`), else by held-out loss.
    selection = SELECTION_METRIC if all(isinstance(r.get("ingredients"), list) for r in held_rows) else "eval_loss"

    # -- schedule: TrainingArguments are built once and early, because under torchrun they set up
    # torch.distributed, so that the main process can train the tokenizer while the others wait.
    schedule = plan_schedule(args, len(train_rows))
    targs = TrainingArguments(eval_steps=schedule["eval_every"], save_steps=schedule["eval_every"],
                              logging_steps=schedule["log_every"],
                              **training_kwargs(args, Path(args.work_dir), cuda, selection))
    if max(1, targs.world_size) != schedule["world"]:
        raise RuntimeError(f"WORLD_SIZE={schedule['world']} pero el Trainer ve {targs.world_size} procesos")
    log = print if targs.process_index == 0 else (lambda *a, **k: None)
    log(f"datos: {args.data} ({len(train_rows)} de entrenamiento, {len(held_rows)} reservados)")

    # -- tokenizer (trained by the main process first, reused on resume) and tokens --------
    tokenizer = get_tokenizer(args, targs, train_rows, data_sha, log)
    train_ds, held_ds, max_new_tokens = encode_datasets(tokenizer, train_rows, held_rows)

    # -- model -------------------------------------------------------------------------
    config = build_config(len(tokenizer), tokenizer.model_max_length, args.preset, args.dropout, tokenizer)
    model = build_model(config, args.seed)
    n_params = count_parameters(model)
    log(f"modelo: GPT-2 {config.n_layer} capas, {config.n_head} cabezas, {config.n_embd} dims, "
        f"contexto {config.n_positions}, vocabulario {config.vocab_size}: {n_params:,} parámetros ({n_params / 1e6:.1f} M)")
    log(f"entrenamiento: {args.epochs:g} épocas, {schedule['total_steps']} pasos de {args.batch_size} x "
        f"{schedule['world']}, evaluación cada {schedule['eval_every']} pasos, en {hardware_name()}")

    # -- training ----------------------------------------------------------------------
    trainer = make_trainer(
        task_requests=held_rows if selection == SELECTION_METRIC else [],
        task_max_new_tokens=max_new_tokens,
        model=model,
        args=targs,
        train_dataset=train_ds,
        eval_dataset=held_ds,
        data_collator=PadCollator(tokenizer.pad_token_id, cuda),
        processing_class=tokenizer,
    )
    if checkpoint:
        log(f"reanudando desde {checkpoint}")
    t_train = time.time()
    result = trainer.train(resume_from_checkpoint=checkpoint)
    train_seconds = time.time() - t_train
    history = list(trainer.state.log_history)  # before the final evaluate() appends to it
    final_eval = trainer.evaluate()  # of the best checkpoint, reloaded by load_best_model_at_end
    if not trainer.is_world_process_zero():
        return

    # -- report and the model folder -----------------------------------------------------
    run = dict(data_sha=data_sha, train_ds=train_ds, held_ds=held_ds, n_params=n_params, schedule=schedule,
               selection=selection, checkpoint=checkpoint, train_seconds=train_seconds)
    report = training_report(args, run, config, trainer, result, history, final_eval)
    gen_config = generation_config(config, max_new_tokens)
    model = trainer.model
    model.generation_config = gen_config
    replaced = Path(args.output_dir).exists()
    write_model_folder(args.output_dir, model, tokenizer, gen_config, report, model_card(report))
    shipped, mfu = report["shipped"], report["mfu"]
    task = (f", recall {shipped['eval_recall_list']:.1%} en la lista, {shipped['eval_unrequested_rate']:.1%} con "
            f"ingredientes no pedidos" if "eval_recall_list" in shipped else "")
    log(f"modelo {'reemplazado' if replaced else 'guardado'} en {args.output_dir} (checkpoint del paso "
        f"{report['shipped_step']}, pérdida reservada {report['best_eval_loss']:.4f}{task}); {train_seconds:.0f} s "
        f"de entrenamiento, {report['tokens_per_second']:,.0f} tokens/s" + (f", MFU {mfu:.1%}" if mfu else ""))

    # -- check: a greedy sample for one held-out instruction ------------------------------
    instruction = held_rows[0]["instruction"]
    answer = greedy_sample(args.output_dir, instruction, max_new_tokens, "cuda" if cuda else "cpu")
    log(f"\nmuestra (greedy) para una petición reservada: {instruction!r}\n{answer}")
    log(f"\nlisto en {time.time() - t_start:.0f} s.")


if __name__ == "__main__":
    run_main(main)
