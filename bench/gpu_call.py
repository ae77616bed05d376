"""The one prepared GPU call: environment, step benchmark, training variants, their evaluations and one
comparison table, under a hard time budget, leaving under OUT_DIR only what comes back from the device.

The device command (one H100/H200; torch 2.11, transformers 5.17, no network). The working tree sent
is capped at 64 MiB and the shipped model folder is 41 MB, so move it out of the tree first, here:

    mv chef-bot-scratch-final /tmp/        # here, before the call; `mv /tmp/chef-bot-scratch-final .` after
    run(timeout_s=600, command="PYTHONUNBUFFERED=1 python3 bench/gpu_call.py $OUT --variants default,dropout02")

Time budget (--budget, default 540 s: the 600 s command limit less a minute of margin). Today's code on
an H200: checks ~15 s; step benchmark at most --bench-seconds (90 s; torch.compile is measured last, as
its compile may not fit); one full training run ~270 s (142 s of steps, ~100 s of in-training greedy
evaluations, start-up); its evaluation (evaluate.py, greedy, ~1 min) runs beside the next training; the
best model sampled at T 0.7 ~1 min; packing ~5 s. So today ONE variant fits per call, with or without
the benchmark (15 + 90 + 270 + 60 + 60 + 15 = 510 s); once a run with its evaluations takes ~75 s, four
fit beside the benchmark and six without it. A variant whose training and evaluation would not end
before the deadline (judged by the runs before it) is skipped, not started; a step past its timeout is
killed; what was measured is written whatever happens.

Steps (each a subprocess with a timeout, all under one deadline):
  1. env.json: versions (python, torch, transformers, tokenizers, safetensors, accelerate), the GPU, the
     data's hash; the Hugging Face libraries run offline (HF_HUB_OFFLINE=1): nothing is downloaded;
  2. the step options: bench/bench_train.py, default vs each of --bench, a few steps each;
  3. training, one variant after another (VARIANTS below: train_from_scratch.py flags) into
     OUT_DIR/runs/<name>/model. One after another: three runs started together on one H200 took
     426 s each against 155 s alone, no gain, and under a deadline finished runs are what count
     (--jobs N runs N at once);
  4. each trained variant's evaluation as soon as it is trained (evaluate.py, greedy: generated
     held-out requests and the hand-written set; the tables go into its model card), beside the
     next training; then the best variant again, sampled at temperature 0.7;
  5. comparison.md, printed too: one table ranked by the hand-written set's fully-right share, then
     the incoherent share (both sets' answers), then the generated requests' mean recall;
  6. OUT_DIR keeps at most 8 files (what comes back from the device): comparison.md, summary.json,
     reports.tar.gz (every training report, model card, evaluation JSON and log) and the best model
     folder as chef-bot-scratch-<variant>.tar.gz, each cut into .partNN files of at most 15 MB.
     Reassemble with `cat chef-bot-scratch-<variant>.tar.gz.part* | tar -xz` (and the same for reports).

  python bench/gpu_call.py OUT_DIR --dry-run      # every step on CPU, tiny preset: about 2 minutes on 2 cores

--dry-run regenerates a small dataset into OUT_DIR, trains the tiny preset for 3 epochs and evaluates
20 generated requests (and the hand-written set) with answers cut at 120 tokens; nothing in the
repository is written (chef-bot-scratch-final/ and recetas_extended.jsonl are only read, if at all).
"""

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from chef.cli import ChefError, check_flag, make_parser, run_main  # noqa: E402
from chef.files import file_sha256  # noqa: E402
from chef.prompt import DATA_FILE  # noqa: E402

# name -> train_from_scratch.py flags (the preset, data and folders are added by the call). Add a line
# for a new training option; names are letters, digits, '.', '_' and '-' (they name files that come back).
VARIANTS = {
    "default": "",
    "dropout0": "--dropout 0",
    "dropout01": "--dropout 0.1",
    "dropout02": "--dropout 0.2",
    "batch64": "--batch-size 64",
    "batch256": "--batch-size 256 --lr 2e-3",
    "lr5e-4": "--lr 5e-4",
    "lr2e-3": "--lr 2e-3",
    "epochs50": "--epochs 50",
    "epochs150": "--epochs 150",
    "seed2": "--seed 2",
    "nowordings": "--no-variants",  # the instruction only, every epoch (default: another wording each epoch)
    "buckets": "--buckets 64",  # static shapes: lengths in multiples of 64 (5 on today's data), full batches
    "buckets_compile": "--buckets 64 --compile",  # the same, compiled by torch.compile
}
BENCH_VARIANTS = ("default", "batch64", "batch256", "unfused", "nanfilter", "packing", "nonblocking", "buckets",
                  "buckets_compile", "buckets_graphs", "compile")  # bench_train.py's, compiled ones last

# What changes between the real call and the dry run.
MODES = {
    "gpu": dict(preset="full", budget=540, bench="all", bench_seconds=90, bench_steps=20, bench_warmup=5,
                train_args="", eval_args=""),
    "dry": dict(preset="tiny", budget=170, bench="default,packing", bench_seconds=40, bench_steps=2, bench_warmup=1,
                train_args="--epochs 3", eval_args="--num 20 --max-new-tokens 120"),
}
PACK_SECONDS = 15  # kept free at the end for the table and the archives
SAMPLED_TEMPERATURE = 0.7
PART_BYTES = 15 * 1000 * 1000  # what comes back: files of at most 16 MiB
MAX_FILES_BACK = 8
PYTHON = sys.executable
REPORT_FILES = ("training_report.json", "README.md")  # of a model folder, kept in reports.tar.gz

ENV_CHECK = """
import json, os, platform
info = {"python": platform.python_version(), "cpus": os.cpu_count()}
for name in ("torch", "transformers", "tokenizers", "safetensors", "accelerate", "numpy"):
    try:
        info[name] = __import__(name).__version__
    except ImportError as err:
        info[name] = f"falta: {err}"
import torch
if torch.cuda.is_available():
    p = torch.cuda.get_device_properties(0)
    info.update(gpu=p.name, gpus=torch.cuda.device_count(), gpu_memory_gib=round(p.total_memory / 2**30, 1),
                cuda=torch.version.cuda, bf16=torch.cuda.is_bf16_supported())
print(json.dumps(info))
"""


# --- Command line ------------------------------------------------------------
def parse_args(argv=None):
    parser = make_parser(
        "La llamada preparada a la GPU: comprueba el entorno, mide las opciones del paso de entrenamiento, "
        "entrena y evalúa las variantes y deja una tabla comparativa y el mejor modelo en OUT_DIR, en un "
        "tiempo máximo.",
        epilog="Variantes: " + "; ".join(f"{name}: {flags or '(los valores por defecto)'}"
                                         for name, flags in VARIANTS.items()) + ".")
    parser.add_argument("out_dir", type=Path, metavar="OUT_DIR", help="carpeta de resultados (vacía o nueva)")
    parser.add_argument("--variants", default="default,dropout02",
                        help="variantes a entrenar, separadas por comas, en orden (por defecto: %(default)s)")
    parser.add_argument("--dry-run", action="store_true",
                        help="todo en CPU con el preset tiny y datos pequeños regenerados en OUT_DIR (unos 2 minutos)")
    parser.add_argument("--budget", type=float, help="segundos para toda la llamada (por defecto: 540; --dry-run: 170)")
    parser.add_argument("--bench", help="variantes de bench_train.py a medir, separadas por comas, 'all' o 'none' "
                        f"(por defecto: all, es decir {', '.join(BENCH_VARIANTS)}; --dry-run: default,packing)")
    parser.add_argument("--bench-seconds", type=float, help="tope de la medida de pasos (por defecto: 90; --dry-run: 40)")
    parser.add_argument("--jobs", type=int, default=1, help="entrenamientos a la vez (por defecto: %(default)s)")
    parser.add_argument("--train-args", help="opciones de train_from_scratch.py para todas las variantes, tras las "
                        "suyas, con '=': --train-args='--epochs 50' (por defecto: ninguna; --dry-run: --epochs 3)")
    parser.add_argument("--data", type=Path, help=f"datos de entrenamiento (por defecto: {DATA_FILE.name}; "
                        "--dry-run: 400 recetas generadas en OUT_DIR)")
    args = parser.parse_args(argv)
    mode = MODES["dry" if args.dry_run else "gpu"]
    for key in ("budget", "bench", "bench_seconds", "train_args"):
        if getattr(args, key) is None:
            setattr(args, key, mode[key])
    args.preset, args.eval_args = mode["preset"], mode["eval_args"]
    args.bench_steps, args.bench_warmup = mode["bench_steps"], mode["bench_warmup"]
    args.variants = [v for v in args.variants.split(",") if v]
    args.bench = {"all": list(BENCH_VARIANTS), "none": []}.get(args.bench, [b for b in args.bench.split(",") if b])
    unknown = [v for v in args.variants if v not in VARIANTS] + [b for b in args.bench if b not in BENCH_VARIANTS]
    check_flag(not unknown, "--variants/--bench", f"nombrar variantes conocidas (desconocidas: {', '.join(unknown)})")
    check_flag(bool(args.variants) and len(set(args.variants)) == len(args.variants), "--variants",
               "nombrar al menos una variante, sin repetir")
    check_flag(args.budget > 2 * PACK_SECONDS, "--budget", f"ser mayor que {2 * PACK_SECONDS} segundos")
    check_flag(args.jobs >= 1, "--jobs", "ser 1 o mayor")
    return args


# --- Steps as subprocesses, each with its own timeout, all under one deadline ---
class Clock:
    """The call's deadline: every step's timeout is cut to what is left of the budget."""

    def __init__(self, budget):
        self.start = time.monotonic()
        self.deadline = self.start + budget

    def elapsed(self):
        return time.monotonic() - self.start

    def left(self):
        return self.deadline - time.monotonic()


class Step:
    """One step run as a subprocess: its output goes to a log file; past its timeout it is killed
    with every process it started (its own process group)."""

    def __init__(self, name, cmd, log, timeout, env):
        self.name, self.log, self.started = name, Path(log), time.monotonic()
        self.timeout, self.status, self.seconds = max(1.0, timeout), None, None
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "w") as out:
            self.proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)

    def poll(self):
        """'ok', 'failed (exit N)' or 'timeout (N s)' once finished; None while it runs."""
        if self.status is None:
            code = self.proc.poll()
            if code is None and time.monotonic() - self.started > self.timeout:
                self.kill()
                self.status = f"timeout ({self.timeout:.0f} s)"
            elif code is not None:
                self.status = "ok" if code == 0 else f"failed (exit {code})"
            if self.status:
                self.seconds = time.monotonic() - self.started
        return self.status

    def kill(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:  # it ended just now
            pass
        self.proc.wait()

    def wait(self):
        while self.poll() is None:
            time.sleep(0.2)
        return self.status


class Call:
    """What the call has done so far: its folders, clock, child environment and timeline."""

    def __init__(self, args):
        self.args, self.clock = args, Clock(args.budget)
        self.out = args.out_dir.resolve()
        self.scratch = Path(tempfile.mkdtemp(prefix="chef-gpu-call-"))  # checkpoints: never sent back
        self.env = dict(os.environ, PYTHONUNBUFFERED="1", TOKENIZERS_PARALLELISM="false", HF_HUB_OFFLINE="1",
                        TRANSFORMERS_OFFLINE="1", HF_DATASETS_OFFLINE="1")
        if args.dry_run:  # CPU only, one thread per process: the trainings and evaluations share 2 cores
            self.env.update(CUDA_VISIBLE_DEVICES="")
            self.env.setdefault("OMP_NUM_THREADS", "1")
        self.timeline, self.steps = [], []  # (step, seconds, status); every Step started

    def start(self, name, cmd, log, timeout):
        timeout = min(timeout, self.clock.left() - PACK_SECONDS)
        print(f"[{self.clock.elapsed():5.0f} s] {name}: empieza (tope {timeout:.0f} s)", flush=True)
        self.steps.append(Step(name, [str(c) for c in cmd], log, timeout, self.env))
        return self.steps[-1]

    def stop_all(self):
        """Kill the steps still running (after an error or Ctrl-C: none is left behind)."""
        for step in self.steps:
            if step.proc.poll() is None:
                step.kill()

    def finished(self, step):
        self.timeline.append((step.name, round(step.seconds, 1), step.status))
        print(f"[{self.clock.elapsed():5.0f} s] {step.name}: {step.status} en {step.seconds:.0f} s"
              + ("" if step.status == "ok" else f" (registro: {step.log.relative_to(self.out)})"), flush=True)
        return step.status

    def run(self, name, cmd, log, timeout):
        step = self.start(name, cmd, log, timeout)
        step.wait()
        return self.finished(step), step

    def skipped(self, name, why):
        self.timeline.append((name, 0, f"skipped: {why}"))
        print(f"[{self.clock.elapsed():5.0f} s] {name}: no se hace ({why})", flush=True)


# --- 1. The environment, the data, the step benchmark -------------------------
def check_environment(call):
    """env.json: versions and GPU as a child process sees them; the real call stops without a GPU."""
    status, step = call.run("environment", [PYTHON, "-c", ENV_CHECK], call.out / "logs" / "environment.log", 120)
    lines = step.log.read_text().strip().splitlines()
    env = json.loads(lines[-1]) if status == "ok" and lines else {"error": status}
    env.update(mode="dry-run" if call.args.dry_run else "gpu", commit=git_commit(), budget_s=call.args.budget)
    (call.out / "env.json").write_text(json.dumps(env, indent=1) + "\n")
    print("entorno: " + ", ".join(f"{k} {v}" for k, v in env.items()), flush=True)
    if not call.args.dry_run and not env.get("gpu"):
        raise ChefError("no hay ninguna GPU CUDA a la vista: esta llamada es para una GPU (en CPU usa --dry-run)")
    return env


def git_commit():
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True,
                              timeout=10).stdout.strip() or None
    except (OSError, subprocess.TimeoutExpired):
        return None


def training_data(call, env):
    """The data the variants train on: --data, the committed file, or (dry run) a small generated one."""
    data = call.args.data
    if data is None and call.args.dry_run:
        data = call.out / "data" / "recetas.jsonl"
        status, _ = call.run("data", [PYTHON, "generate_dataset.py", "--num", 400, "--seed", 7, "--output", data],
                             call.out / "logs" / "data.log", 60)
        if status != "ok":
            raise ChefError(f"no se pudieron generar los datos de prueba ({status})")
    data = Path(data or DATA_FILE)
    env.update(data=data.name, data_sha256=file_sha256(data))
    (call.out / "env.json").write_text(json.dumps(env, indent=1) + "\n")
    return data


def bench_steps(call, data):
    """bench_train.py's variants, a few steps each; the results printed so far survive a timeout."""
    args = call.args
    if not args.bench:
        call.skipped("bench", "--bench none")
        return []
    cmd = [PYTHON, "bench/bench_train.py", "--preset", args.preset, "--data", data, "--variants", *args.bench,
           "--steps", args.bench_steps, "--warmup", args.bench_warmup]
    _, step = call.run("bench", cmd, call.out / "logs" / "bench.log", args.bench_seconds)
    results = [json.loads(line) for line in step.log.read_text().splitlines() if line.startswith('{"variant"')]
    (call.out / "bench.json").write_text(json.dumps(results, indent=1) + "\n")
    return results


# --- 2. Training and evaluating the variants -----------------------------------
def train_command(call, name, data):
    flags = shlex.split(VARIANTS[name]) + shlex.split(call.args.train_args)  # the call's own flags win
    return [PYTHON, "train_from_scratch.py", "--preset", call.args.preset, "--data", data,
            "--output-dir", call.out / "runs" / name / "model", "--work-dir", call.scratch / name, *flags]


def eval_command(call, name, data, temperature=0.0):
    run = call.out / "runs" / name
    how = ["--card", "--output-json", run / "eval_greedy.json"] if temperature == 0 else \
        ["--temperature", temperature, "--output-json", run / "eval_sampled.json"]
    return [PYTHON, "evaluate.py", "--model", run / "model", "--data", data, *how, *shlex.split(call.args.eval_args)]


def estimate(runs, key, default):
    """The longest a finished step of this kind took: what the next one is expected to take."""
    seconds = [r[key] for r in runs.values() if r.get(key)]
    return max(seconds) if seconds else default


def start_training(call, name, data, runs):
    """The variant's training, if it and its evaluation fit before the deadline (else skipped: None)."""
    train_s, eval_s = estimate(runs, "train_s", 0), estimate(runs, "eval_s", 0.1 * call.args.budget)
    if call.clock.left() - PACK_SECONDS < train_s + eval_s:
        runs[name]["status"] = "skipped: no time"
        call.skipped(f"train {name}", f"quedan {call.clock.left():.0f} s; una variante tarda ~{train_s + eval_s:.0f} s")
        return None
    return call.start(f"train {name}", train_command(call, name, data), call.out / "runs" / name / "train.log",
                      call.clock.left() - PACK_SECONDS - eval_s)


def train_and_evaluate(call, data, runs):
    """Train the variants (--jobs at a time, in order) and evaluate each as soon as it is trained."""
    queue, training, evaluating = list(call.args.variants), {}, {}
    while queue or training or evaluating:
        for name, step in list(training.items()):
            if step.poll():
                del training[name]
                runs[name].update(status=call.finished(step), train_s=round(step.seconds, 1))
                # The model folder is written whole or not at all: one killed in the last sample is complete.
                if (call.out / "runs" / name / "model" / "training_report.json").is_file():
                    evaluating[name] = call.start(f"evaluate {name}", eval_command(call, name, data),
                                                  call.out / "runs" / name / "eval.log", call.clock.left())
        for name, step in list(evaluating.items()):
            if step.poll():
                del evaluating[name]
                status = call.finished(step)
                trained = "" if runs[name]["status"] == "ok" else f" (training: {runs[name]['status']})"
                runs[name].update(status=("ok" if status == "ok" else f"evaluation: {status}") + trained,
                                  eval_s=round(step.seconds, 1))
        while queue and len(training) < call.args.jobs:
            name = queue.pop(0)
            step = start_training(call, name, data, runs)
            if step:
                training[name] = step
        time.sleep(0.2)


def read_results(call, runs):
    """Each run's training report and greedy evaluation, as the table needs them."""
    for name, run in runs.items():
        folder = call.out / "runs" / name
        report, greedy = read_json(folder / "model" / "training_report.json"), read_json(folder / "eval_greedy.json")
        if report:
            run.update(train_seconds=report["train_seconds"], tokens_per_second=report["tokens_per_second"],
                       mfu=report["mfu"], shipped_epoch=report["shipped_epoch"], shipped=report["shipped"])
        if greedy:
            run["greedy"] = eval_figures(greedy)


def read_json(path):
    return json.loads(path.read_text()) if path.is_file() else None


def eval_figures(result):
    """The figures the table compares, from an evaluate.py JSON (generated and hand-written requests)."""
    gen, hand = result["summary"]["model"], (result.get("hand") or {}).get("summary") or {}
    n_gen, n_hand = gen["requests"], hand.get("requests", 0)
    incoherent = (gen["incoherent"] * n_gen + hand.get("incoherent", 0) * n_hand) / (n_gen + n_hand)
    return {"fully_right": hand.get("fully_right"), "incoherent": incoherent, "recall_list": gen["recall_list"],
            "recall_steps": gen["recall_steps"], "recall": (gen["recall_list"] + gen["recall_steps"]) / 2,
            "unrequested": gen["unrequested_rate"], "loss": gen.get("loss"), "requests": n_gen, "hand_requests": n_hand}


def best_variant(runs):
    return next((name for name in ranked(runs) if runs[name].get("greedy")), None)


def ranked(runs):
    """Variant names, best first: hand-written fully right, then fewer incoherent, then recall; unevaluated last."""
    def key(name):
        g = runs[name].get("greedy")
        return (0, -(g["fully_right"] or 0), g["incoherent"], -g["recall"]) if g else (1, 0, 0, 0)
    return sorted(runs, key=key)


def sample_best(call, data, runs, best):
    """The best variant's answers sampled as the chat does (temperature 0.7), when time is left."""
    if best is None:
        return
    need = runs[best].get("eval_s", 0)
    if call.clock.left() - PACK_SECONDS < need:
        call.skipped(f"sampled {best}", f"quedan {call.clock.left():.0f} s; la evaluación tarda ~{need:.0f} s")
        return
    status, _ = call.run(f"sampled {best}", eval_command(call, best, data, SAMPLED_TEMPERATURE),
                         call.out / "runs" / best / "eval_sampled.log", call.clock.left())
    if status == "ok":
        runs[best]["sampled"] = eval_figures(read_json(call.out / "runs" / best / "eval_sampled.json"))


# --- 3. The table and what comes back ----------------------------------------
def pct(x):
    return "—" if x is None else f"{100 * x:.1f} %"


def comparison_table(runs, order):
    """One Markdown table, best first; the sampled answers of the best in a last row."""
    lines = ["| rank | variant | flags | status | run s | train s | tokens/s | shipped epoch | hand-written fully right "
             "| incoherent | recall (list / steps) | unrequested | held-out loss |",
             "| ---: | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    rows = [(str(i), name, runs[name], runs[name].get("greedy") or {}) for i, name in enumerate(order, 1)]
    if order and runs[order[0]].get("sampled"):  # the same model: its training columns left empty
        rows.append(("", f"{order[0]}, sampled T {SAMPLED_TEMPERATURE}", {"flags": runs[order[0]]["flags"],
                     "status": "ok"}, runs[order[0]]["sampled"]))
    for rank, label, r, g in rows:
        tokens = f"{r['tokens_per_second']:,}" if r.get("tokens_per_second") else ""
        loss = "—" if g.get("loss") is None else f"{g['loss']:.3f}"
        lines.append(f"| {rank} | {label} | `{r['flags'] or '-'}` | {r['status']} | {r.get('train_s', '')} | "
                     f"{r.get('train_seconds', '')} | {tokens} | {r.get('shipped_epoch', '')} | "
                     f"{pct(g.get('fully_right'))} | {pct(g.get('incoherent'))} | {pct(g.get('recall_list'))} / "
                     f"{pct(g.get('recall_steps'))} | {pct(g.get('unrequested'))} | {loss} |")
    return "\n".join(lines)


def bench_table(results):
    lines = ["| step option | batch | ms/step | tokens/s | MFU | full-run estimate (steps only) |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    lines += [f"| {r['variant']} | {r['batch']} | {r['ms_per_step']} | {r['tokens_per_s']:,} | {pct(r.get('mfu'))} | "
              f"{r.get('full_run_estimate_s', '—')} s |" for r in results]
    return "\n".join(lines)


def write_comparison(call, env, bench, runs, order, parts):
    """comparison.md (printed too) and summary.json."""
    first = runs[order[0]].get("greedy") if order else None
    sets = f"{first['requests']} generated held-out requests, {first['hand_requests']} hand-written" if first else "—"
    text = [f"# Chef-Bot variants: {env.get('gpu') or 'CPU (dry run)'}, {call.args.preset} preset, "
            f"commit {env.get('commit')}\n",
            f"Ranked by the hand-written set's fully-right share, then the incoherent share (both sets), then the "
            f"generated requests' mean recall. Greedy ({sets}). run s: the whole train_from_scratch.py; "
            f"train s: its trainer.train(), in-training evaluations included.\n",
            comparison_table(runs, order), "", "Step options (bench/bench_train.py):", "",
            bench_table(bench) if bench else "(not measured)", "", "Timeline:", ""]
    text += [f"- {name}: {status}, {seconds:.0f} s" for name, seconds, status in call.timeline]
    text += ["", f"Total {call.clock.elapsed():.0f} s of {call.args.budget:.0f} s."]
    if parts:
        text += [f"Best model: `cat {parts[0].rsplit('.part', 1)[0]}.part* | tar -xz` gives its folder "
                 f"({len(parts)} part(s)); every report: `cat reports.tar.gz.part* | tar -xz`."]
    (call.out / "comparison.md").write_text("\n".join(text) + "\n")
    summary = {"env": env, "bench": bench, "runs": runs, "ranking": order, "parts": parts,
               "timeline": call.timeline, "seconds": round(call.clock.elapsed(), 1)}
    (call.out / "summary.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False) + "\n")
    print("\n" + "\n".join(text), flush=True)


def split_into_parts(archive, out):
    """Cut a file into out/<its name>.partNN of at most PART_BYTES (cat joins them back); returns their names."""
    parts = []
    with open(archive, "rb") as whole:
        while chunk := whole.read(PART_BYTES):
            parts.append(f"{archive.name}.part{len(parts):02d}")
            (out / parts[-1]).write_bytes(chunk)
    return parts


def pack_model(call, best):
    """The best model folder as chef-bot-scratch-<best>.tar.gz.partNN; returns the parts' names."""
    if best is None or not (call.out / "runs" / best / "model").is_dir():
        return []
    name = f"chef-bot-scratch-{best}"
    with tarfile.open(call.scratch / f"{name}.tar.gz", "w:gz", compresslevel=1) as tar:  # fp16 barely compresses
        tar.add(call.out / "runs" / best / "model", arcname=name)
    return split_into_parts(call.scratch / f"{name}.tar.gz", call.out)


def pack_reports(call):
    """reports.tar.gz.partNN: every report, model card, evaluation and log (no weights, no data); then the
    working folders go, so OUT_DIR holds only what comes back."""
    back = lambda path: path.name in ("comparison.md", "summary.json") or re.search(r"\.part\d+$", path.name)  # noqa: E731
    with tarfile.open(call.scratch / "reports.tar.gz", "w:gz") as tar:
        for path in sorted(call.out.rglob("*")):
            rel = path.relative_to(call.out)
            weights = rel.parts[0] == "runs" and len(rel.parts) > 3 and path.name not in REPORT_FILES
            if path.is_file() and rel.parts[0] != "data" and not weights and not back(path):
                tar.add(path, arcname=str(rel))
    for path in call.out.iterdir():
        if not back(path):
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    split_into_parts(call.scratch / "reports.tar.gz", call.out)


# --- The call ----------------------------------------------------------------
def prepare_out(out):
    out.mkdir(parents=True, exist_ok=True)
    if any(out.iterdir()):
        raise ChefError(f"{out} no está vacía: la llamada deja ahí solo lo que vuelve del dispositivo")


def main(argv=None):
    args = parse_args(argv)
    prepare_out(args.out_dir)
    call = Call(args)
    env, bench, runs = {}, [], {name: {"flags": VARIANTS[name], "status": "not started"} for name in args.variants}
    try:
        env = check_environment(call)
        data = training_data(call, env)
        bench = bench_steps(call, data)
        train_and_evaluate(call, data, runs)
        read_results(call, runs)
        sample_best(call, data, runs, best_variant(runs))
    finally:  # whatever happened (a step over its time, an error, Ctrl-C), write what was measured
        call.stop_all()
        read_results(call, runs)
        best = best_variant(runs)
        parts = pack_model(call, best)
        write_comparison(call, env, bench, runs, ranked(runs), parts)
        pack_reports(call)
        shutil.rmtree(call.scratch, ignore_errors=True)
        back = sorted(p.name for p in call.out.iterdir())
        print(f"en {call.out}: {', '.join(back)}" + ("" if len(back) <= MAX_FILES_BACK else
              f" (¡más de {MAX_FILES_BACK} ficheros: no volverán todos!)"), flush=True)
    if best is None:
        raise ChefError("ninguna variante terminó su entrenamiento y su evaluación")


if __name__ == "__main__":
    run_main(main)
