"""Training throughput of the default Chef-Bot configuration, and of the choices around it.

Runs the real Trainer set-up of train_from_scratch.py through chef.training (same data, tokenizer, model, arguments)
for a fixed number of steps per variant and reports tokens/s (real tokens, padding excluded),
ms per step, and on a GPU the model FLOPs utilisation (MFU, against the dense bf16 peak).
The first --warmup steps of each variant (CUDA start-up, torch.compile) are not timed.

  python bench/bench_train.py                       # all variants (needs a GPU to mean much)
  python bench/bench_train.py --variants default batch64 --steps 20
  python bench/bench_train.py --preset tiny --steps 10   # CPU smoke run
  python bench/bench_train.py --variants default --profile 10   # where the time of a step goes

The variants (VARIANTS below) are listed by --help.
"""

import json
import sys
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chef.cli import make_parser, run_main  # noqa: E402
from chef.files import read_jsonl  # noqa: E402
from chef.hardware import flops_per_token, hardware_name, peak_flops  # noqa: E402
from chef.prompt import DATA_FILE  # noqa: E402
from chef.tokenizer import tokenizer_texts, train_tokenizer  # noqa: E402
from chef.training import (HOLDOUT_FRACTION, PRESETS, SEED, PadCollator, build_config, build_model,  # noqa: E402
                           context_length, encode_example, split_examples, training_kwargs)

# name -> (TrainingArguments overrides, train_from_scratch.py flags (RUN_OPTIONS) or packing; what it changes).
# The compiled ones come last: bench/gpu_call.py measures them in what is left of its time.
VARIANTS = {
    "default": ({}, "relleno a la derecha, lotes agrupados por longitud, AdamW fusionado en GPU, sin "
                    "sincronizar la GPU en cada paso (lo que hace train_from_scratch.py)"),
    "batch64": ({"batch_size": 64}, "lotes de 64 secuencias"),
    "batch256": ({"batch_size": 256}, "lotes de 256 secuencias"),
    "unfused": ({"optim": "adamw_torch"}, "AdamW por tensores (foreach) en lugar del kernel fusionado"),
    "nanfilter": ({"logging_nan_inf_filter": True}, "logging_nan_inf_filter=True (lo que hace el Trainer "
                  "por defecto: una sincronización de la GPU por paso)"),
    "packing": ({"packing": True}, "ejemplos concatenados en bloques de n_positions tokens (sin relleno)"),
    "nonblocking": ({"accelerator_config": {"non_blocking": True}}, "copias de los lotes a la GPU sin esperar "
                    "(memoria fijada + non_blocking: sin sincronizar en cada paso)"),
    "buckets": ({"buckets": 64}, "formas fijas (--buckets 64): longitudes múltiplos de 64 y siempre lotes completos"),
    "buckets_compile": ({"buckets": 64, "compile": True}, "formas fijas y torch.compile (--buckets 64 --compile)"),
    "buckets_graphs": ({"buckets": 64, "compile": True, "torch_compile_mode": "reduce-overhead"},
                       "formas fijas, torch.compile y CUDA graphs (modo reduce-overhead: un grafo por forma)"),
    "compile": ({"torch_compile": True}, "torch_compile=True sin formas fijas (recompila con cada longitud nueva)"),
}
RUN_OPTIONS = ("batch_size", "buckets", "compile")  # variant keys that are train_from_scratch.py flags


class PackedCollator:
    """Stacks fixed-size blocks cut from the concatenated examples (no padding)."""

    def __call__(self, features):
        import torch

        return {"input_ids": torch.tensor([f["input_ids"] for f in features]),
                "labels": torch.tensor([f["labels"] for f in features])}


def pack(dataset, block):
    ids = [t for x in dataset for t in x["input_ids"]]
    labels = [t for x in dataset for t in x["labels"]]
    return [{"input_ids": ids[i:i + block], "labels": labels[i:i + block]}
            for i in range(0, len(ids) - block + 1, block)]


# Kernel and operator names -> the part of a training step they belong to (first match wins).
PROFILE_PARTS = [
    ("optimizer (AdamW, grad clipping)", r"adam|foreach|multi_tensor|clip_grad|norm_kernel|_amp_"),
    # attention's own softmax runs inside the SDPA kernels: any other softmax is the loss's
    ("loss: 3k-way softmax + cross entropy", r"softmax|nll_loss|cross_entropy"),
    ("attention (SDPA kernels)", r"flash|fmha|attention|sdpa|efficient_attention|cutlass.*(attn|fmha)"),
    ("matrix products (GEMM)", r"gemm|matmul|sm90_xmma|cutlass|cublas|addmm|\bmm\b|bmm|linear"),
    ("LayerNorm", r"layer_norm|layernorm"),
    ("GELU", r"gelu"),
    ("dropout", r"dropout|bernoulli|fused_dropout|masked_scale"),
    ("embedding", r"embedding|index_select|indexing_backward|index_put"),
    ("casts and copies", r"copy|cast|to_copy|convert|fill"),
    ("other elementwise / reductions", r"elementwise|vectorized|reduce|add|mul|div|sum|where"),
]


def profile_table(prof, cuda):
    """Self time per part of the step, from a torch.profiler run (device time on a GPU)."""
    import re
    from collections import Counter

    parts, total = Counter(), 0.0
    for event in prof.key_averages():
        t = (getattr(event, "self_device_time_total", None) or getattr(event, "self_cuda_time_total", 0)) if cuda \
            else event.self_cpu_time_total
        if not t:
            continue
        total += t
        name = event.key.lower()
        part = next((label for label, pattern in PROFILE_PARTS if re.search(pattern, name)), "other")
        parts[part] += t
    lines = [f"| part of the step | {'GPU' if cuda else 'CPU'} time | share |", "| --- | ---: | ---: |"]
    lines += [f"| {part} | {t / 1e3:.1f} ms | {t / total:.1%} |" for part, t in parts.most_common()]
    return "\n".join(lines)


def step_callbacks(warmup, steps, profile_steps, cuda):
    """(marks, profiler, callbacks): the clock times steps warmup..warmup+steps into marks; the
    profiler (None unless profile_steps) runs profile_steps steps after them, not to disturb the timing."""
    import torch
    from transformers import TrainerCallback

    marks, prof = {}, None
    if profile_steps:
        from torch.profiler import ProfilerActivity, profile

        prof = profile(activities=[ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else []))

    class Clock(TrainerCallback):
        def on_step_end(self, _a, state, _c, **_):
            if state.global_step in (warmup, warmup + steps):
                if cuda:
                    torch.cuda.synchronize()
                marks[state.global_step] = time.perf_counter()
            if prof is not None and state.global_step == warmup + steps:
                prof.start()
            elif prof is not None and state.global_step == warmup + steps + profile_steps:
                if cuda:
                    torch.cuda.synchronize()
                prof.stop()

    return marks, prof, [Clock()]


def run_variant(name, overrides, base, steps, warmup, profile_steps=0):
    import torch
    from transformers import Trainer, TrainingArguments

    args, tokenizer, train_ds, config = base
    cuda = torch.cuda.is_available()
    overrides = dict(overrides)
    packing = overrides.pop("packing", False)
    args = SimpleNamespace(**{**vars(args), **{k: overrides.pop(k) for k in RUN_OPTIONS if k in overrides}})
    kwargs = training_kwargs(args, "/tmp/chef-bench", cuda)
    kwargs.update(eval_strategy="no", save_strategy="no", load_best_model_at_end=False, disable_tqdm=True,
                  logging_steps=10**6, **overrides)
    targs = TrainingArguments(max_steps=warmup + steps + profile_steps, **kwargs)
    if packing:
        data, collator = pack(train_ds, config.n_positions), PackedCollator()
        targs.train_sampling_strategy = "random"
    else:
        data, collator = train_ds, PadCollator(tokenizer.pad_token_id, cuda, args.buckets, args.batch_size)

    counted = []  # real (non-padding) tokens of each batch, in order

    def counting_collator(features):
        batch_out = collator(features)
        counted.append(int((batch_out["input_ids"] != tokenizer.pad_token_id).sum()))
        return batch_out

    marks, prof, callbacks = step_callbacks(warmup, steps, profile_steps, cuda)
    model = build_model(config, args.seed)
    trainer = Trainer(model=model, args=targs, train_dataset=data, data_collator=counting_collator,
                      callbacks=callbacks)
    t0 = time.perf_counter()
    trainer.train()
    seconds = marks[warmup + steps] - marks[warmup]
    tps = sum(counted[warmup:warmup + steps]) / seconds
    mean_len = sum(len(x["input_ids"]) for x in train_ds) / len(train_ds)
    peak = peak_flops()
    result = {"variant": name, "batch": args.batch_size, "ms_per_step": round(1000 * seconds / steps, 2),
              "tokens_per_s": round(tps), "warmup_s": round(marks[warmup] - t0, 1),
              "mfu": round(tps * flops_per_token(config, mean_len) / peak, 4) if peak else None}
    if prof is not None:
        result["profile"] = profile_table(prof, cuda)
        sort = "self_cuda_time_total" if cuda else "self_cpu_time_total"
        result["top_ops"] = prof.key_averages().table(sort_by=sort, row_limit=20)
    del trainer, model
    if cuda:
        torch.cuda.empty_cache()
    return result


def main():
    variants = "; ".join(f"{name}: {text}" for name, (_, text) in VARIANTS.items())
    parser = make_parser("Mide el rendimiento del entrenamiento (tokens/s, MFU).", epilog=f"Variantes: {variants}.")
    parser.add_argument("--data", type=Path, default=DATA_FILE, help="fichero JSONL (por defecto: %(default)s)")
    parser.add_argument("--preset", choices=sorted(PRESETS), default="full", help="configuración (por defecto: full)")
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS), metavar="VARIANTE",
                        help=f"variantes a medir, entre {', '.join(VARIANTS)} (por defecto: todas; abajo qué cambia cada una)")
    parser.add_argument("--steps", type=int, default=40, help="pasos medidos por variante (por defecto: %(default)s)")
    parser.add_argument("--warmup", type=int, default=10, help="pasos de calentamiento sin medir (por defecto: %(default)s)")
    parser.add_argument("--json", type=Path, help="guardar los resultados en este fichero JSON")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="perfila N pasos más con torch.profiler y dice en qué se va el tiempo (por defecto: no)")
    cli = parser.parse_args()

    import torch

    # The settings train_from_scratch.py runs the preset with (its flags left at their defaults).
    args = SimpleNamespace(preset=cli.preset, seed=SEED, buckets=0, compile=False, **PRESETS[cli.preset])
    rows = read_jsonl(cli.data)[: args.max_examples]
    train_rows, _ = split_examples(rows, args.seed, HOLDOUT_FRACTION)
    tokenizer = train_tokenizer(tokenizer_texts(train_rows), PRESETS[args.preset]["vocab_size"],
                                  model_max_length=1 << 30)
    train_ds = [encode_example(tokenizer, r["instruction"], r["response"]) for r in train_rows]
    n_pos = context_length(train_ds)
    config = build_config(len(tokenizer), n_pos, args.preset, tokenizer=tokenizer)
    tokens_epoch = sum(len(x["input_ids"]) for x in train_ds)
    print(f"hardware: {hardware_name()}; torch {torch.__version__}; "
          f"{len(train_ds)} examples, {tokens_epoch:,} tokens/epoch, context {n_pos}")

    results = []
    for name in cli.variants:
        r = run_variant(name, VARIANTS[name][0], (args, tokenizer, train_ds, config), cli.steps, cli.warmup, cli.profile)
        r["full_run_estimate_s"] = round(tokens_epoch * args.epochs / r["tokens_per_s"])
        results.append(r)
        print(json.dumps({k: v for k, v in r.items() if k not in ("profile", "top_ops")}), flush=True)
        if "profile" in r:
            print(f"\n{name}: {cli.profile} pasos perfilados\n{r['profile']}\n\n{r['top_ops']}", flush=True)

    print(f"\n| variant | batch | ms/step | tokens/s | MFU | {args.epochs:g}-epoch estimate |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in results:
        mfu = f"{r['mfu']:.1%}" if r["mfu"] else "-"
        print(f"| {r['variant']} | {r['batch']} | {r['ms_per_step']} | {r['tokens_per_s']:,} | {mfu} | {r['full_run_estimate_s']} s |")
    if cli.json:
        cli.json.write_text(json.dumps({"hardware": hardware_name(), "results": results}, indent=2))


if __name__ == "__main__":
    run_main(main)
