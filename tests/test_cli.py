"""What a user can do wrong on the command line, through the real scripts (subprocesses).

* Flags are parsed and checked before torch and transformers load: run with a `torch` and a
  `transformers` that raise when imported, every script still answers a bad flag in Spanish.
* Ctrl-C at any moment, the seconds of `import torch` included, is one line and exit 130,
  however the script was started (a shell starts background jobs with SIGINT ignored).
* An output path that cannot be written is one line, before the slow work.
* A broken model folder names the file at fault, in Spanish, before torch loads.
* A recipe that stops before its end token says why.
* Following the README leaves `git status` clean: every default output is gitignored.
"""

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import REPO, TEST_ENV, run_script

import generate_dataset as gd
import inference_scratch as chat
from chef.cli import ChefError
from chef.decoding import MIN_PROMPT_TOKENS


SCRIPTS = ["inference_scratch.py", "train_from_scratch.py", "evaluate.py", "generate_dataset.py", "convert_to_gguf.py"]
TORCH_SCRIPTS = ["inference_scratch.py", "train_from_scratch.py", "evaluate.py"]  # they load torch at all
REQUEST = "pechuga de pollo, arroz redondo"
LINUX = pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="reads /proc (Linux)")


def one_line_error(proc):
    """The single `error: ...` line of a clean failure (exit 1, no traceback, nothing on stdout)."""
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert proc.stdout == ""
    return lines[0]


# ---------------------------------------------------------------------------
# Flags are checked before the heavy imports
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def no_torch_env(tmp_path_factory):
    """TEST_ENV with a `torch` and a `transformers` that raise as soon as they are imported."""
    shim = tmp_path_factory.mktemp("no_torch")
    for name in ("torch", "transformers"):
        (shim / f"{name}.py").write_text(f"raise RuntimeError('{name} imported before the arguments were checked')\n")
    return dict(TEST_ENV, PYTHONPATH=str(shim))


@pytest.mark.parametrize("script", SCRIPTS)
def test_bad_flag_is_answered_without_torch(script, no_torch_env):
    proc = run_script([script, "--bogus"], check=False, env=no_torch_env)
    assert one_line_error(proc) == "error: opciones no reconocidas: --bogus (usa --help para ver las opciones)"


@pytest.mark.parametrize("script", SCRIPTS)
def test_help_without_torch(script, no_torch_env):
    proc = run_script([script, "--help"], env=no_torch_env)
    assert proc.stdout.startswith("uso: ") and "opciones:" in proc.stdout and proc.stderr == ""


@pytest.fixture(scope="module")
def broken_config_dir(tmp_path_factory):
    """A model folder whose config.json is cut off (the other files are never read)."""
    folder = tmp_path_factory.mktemp("roto")
    for name in ("model.safetensors", "tokenizer.json", "tokenizer_config.json"):
        (folder / name).write_text("{}")
    (folder / "config.json").write_text('{\n  "model_type": "gpt2",\n  "n_layer": 2,\n')
    return folder


CHECKED_BEFORE_TORCH = [
    (["inference_scratch.py", "--temperature", "-1"], "--temperature -1.0: debe ser 0 o mayor (0 = voraz)"),
    (["inference_scratch.py", "--max-new-tokens", "0"], "--max-new-tokens 0: debe ser 1 o mayor"),
    (["inference_scratch.py", "--top-k", "muchos"], "--top-k necesita un número entero (recibido: 'muchos')"),
    (["inference_scratch.py", "--device", "tpu"], "--device tpu: usa auto, cpu, cuda, mps"),
    (["inference_scratch.py", "-p", "   "], "la petición de -p está vacía."),
    (["inference_scratch.py", "--model", "{tmp}/no-existe"], "no encuentro la carpeta del modelo {tmp}/no-existe"),
    (["inference_scratch.py", "--model", "{broken}"], "config.json de {broken} no es un JSON válido (línea 4, columna 1)"),
    (["train_from_scratch.py", "--dropout", "2"], "--dropout debe estar entre 0 y 1"),
    (["train_from_scratch.py", "--preset", "enorme"], "--preset: valor no válido: 'enorme'"),
    (["train_from_scratch.py", "--data", "{tmp}/nada.jsonl"], "no existe el fichero de datos {tmp}/nada.jsonl"),
    (["train_from_scratch.py", "--preset", "tiny", "--output-dir", "{tmp}/fichero"],
     "{tmp}/fichero es un fichero: indica la ruta de una carpeta"),
    (["evaluate.py", "--num", "0"], "--num debe ser 1 o mayor"),
    (["evaluate.py", "--model", "{broken}"], "config.json de {broken} no es un JSON válido (línea 4, columna 1)"),
    (["evaluate.py", "--output-json", "{tmp}"], "{tmp} es una carpeta: indica la ruta de un fichero"),
    (["generate_dataset.py", "--num", "0"], "--num debe estar entre 1 y 20000"),
    (["generate_dataset.py", "--output", "{tmp}"], "{tmp} es una carpeta: indica la ruta de un fichero"),
]


@pytest.mark.parametrize("args, message", CHECKED_BEFORE_TORCH, ids=[" ".join(a) for a, _ in CHECKED_BEFORE_TORCH])
def test_values_are_checked_before_torch(args, message, no_torch_env, broken_config_dir, tmp_path):
    (tmp_path / "fichero").write_text("")
    fill = dict(tmp=tmp_path, broken=broken_config_dir)
    proc = run_script([a.format(**fill) for a in args], check=False, env=no_torch_env)
    assert one_line_error(proc).startswith("error: " + message.format(**fill)), proc.stderr


# ---------------------------------------------------------------------------
# Ctrl-C at any moment, the seconds of `import torch` included
# ---------------------------------------------------------------------------
def catches_sigint(pid):
    """True once the process has a handler for SIGINT (run_main has started)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) >> (signal.SIGINT - 1) & 1)
    return False


def loading_torch(pid):
    """True once torch's shared libraries are mapped: `import torch` is under way (or done)."""
    return "libtorch" in Path(f"/proc/{pid}/maps").read_text()


def interrupt(args, start, ready):
    """Start a script with SIGINT set to `start`, wait until ready(pid), press Ctrl-C; the result."""
    proc = subprocess.Popen(
        [sys.executable, *map(str, args)], cwd=REPO, env=TEST_ENV, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, start),  # kept across exec (SIG_DFL or SIG_IGN)
    )
    try:
        deadline = time.monotonic() + 120
        while proc.poll() is None:
            try:
                if ready(proc.pid):
                    break
            except OSError:  # it has just exited: poll() says so
                continue
            assert time.monotonic() < deadline, "the script never got there"
            time.sleep(0.005)
        assert proc.poll() is None, f"the script ended first:\n{proc.communicate()}"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, out, err


def started_and_loading_torch(start):
    if start == signal.SIG_IGN:  # wait for run_main: before it a Ctrl-C is ignored, as the shell asked
        return lambda pid: catches_sigint(pid) and loading_torch(pid)
    return loading_torch


CTRL_C_CASES = {
    "inference_scratch.py": ["-p", REQUEST, "--max-new-tokens", "5"],
    "train_from_scratch.py": ["--preset", "tiny", "--max-examples", "40", "--output-dir", "{tmp}/m", "--work-dir", "{tmp}/w"],
    "evaluate.py": ["--num", "2", "--output-json", "{tmp}/eval.json"],
}
STARTS = pytest.mark.parametrize("start", [signal.SIG_DFL, signal.SIG_IGN], ids=["sigint-default", "sigint-ignored"])


@LINUX
@STARTS
@pytest.mark.parametrize("script", TORCH_SCRIPTS)
def test_ctrl_c_while_torch_loads(script, start, tmp_path):
    args = [script, *(a.format(tmp=tmp_path) for a in CTRL_C_CASES[script])]
    code, out, err = interrupt(args, start, started_and_loading_torch(start))
    assert (code, err.strip()) == (130, "interrumpido."), (code, out, err)
    assert not (tmp_path / "m").exists() and not (tmp_path / "eval.json").exists()


@LINUX
def test_ctrl_c_while_generating_the_dataset(tmp_path):
    out_file = tmp_path / "x.jsonl"
    code, out, err = interrupt(["generate_dataset.py", "--num", 20000, "--output", out_file],
                               signal.SIG_IGN, catches_sigint)
    assert (code, err.strip()) == (130, "interrumpido."), (code, out, err)
    assert list(tmp_path.iterdir()) == []  # nothing half-written


@LINUX
def test_ctrl_c_while_converting(tmp_path):
    code, out, err = interrupt(["convert_to_gguf.py", "--output", tmp_path / "x.gguf"], signal.SIG_IGN,
                               catches_sigint)
    assert (code, err.strip()) == (130, "interrumpido."), (code, out, err)


# The real chat, each token slowed down so that Ctrl-C lands in the middle of a one-shot recipe.
SLOW_ONE_SHOT = """
import time
import inference_scratch as chat
from chef.cli import run_main
fast = sample_next
def slow(*args, **kwargs):
    time.sleep(0.02)
    return fast(*args, **kwargs)
sample_next = slow
run_main(chat.main)
"""


@LINUX
def test_ctrl_c_during_a_one_shot_recipe(tiny_model, tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_ONE_SHOT, "--model", str(tiny_model), "-p", REQUEST, "--temperature", "0",
         "--max-new-tokens", "300"],
        cwd=REPO, env=TEST_ENV, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert proc.stdout.read(3)  # the recipe has started streaming
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert (proc.returncode, err.strip()) == (130, "interrumpido."), err
    assert out.endswith("\n")  # the recipe's line is ended before the notice


# ---------------------------------------------------------------------------
# Output paths that cannot be written
# ---------------------------------------------------------------------------
def bad_outputs(tmp_path):
    (tmp_path / "fichero").write_text("no soy una carpeta")
    cases = {
        "carpeta": (tmp_path, f"{tmp_path} es una carpeta: indica la ruta de un fichero"),
        "fichero como carpeta": (tmp_path / "fichero" / "x.jsonl", f"no puedo escribir {tmp_path}/fichero/x.jsonl: "
                                 "una parte de la ruta es un fichero, no una carpeta"),
        "fichero más arriba": (tmp_path / "fichero" / "sub" / "x.jsonl", f"no puedo escribir {tmp_path}/fichero/sub/"
                               "x.jsonl: una parte de la ruta es un fichero, no una carpeta"),
        "vacío": ("", "--output debe ser la ruta de un fichero"),
    }
    if sys.platform.startswith("linux"):  # sysfs refuses new files, to root too
        cases["sin permiso"] = (Path("/sys/chef/x.jsonl"), "no puedo escribir /sys/chef/x.jsonl: sin permiso de escritura")
    return cases


@pytest.mark.parametrize("case", ["carpeta", "fichero como carpeta", "fichero más arriba", "vacío", "sin permiso"])
def test_generate_dataset_output_that_cannot_be_written(case, tmp_path):
    cases = bad_outputs(tmp_path)
    if case not in cases:
        pytest.skip("needs Linux's /sys")
    output, message = cases[case]
    before = sorted(tmp_path.rglob("*"))
    proc = run_script(["generate_dataset.py", "--num", 5, "--output", output], check=False)
    assert one_line_error(proc) == f"error: {message}"
    assert sorted(tmp_path.rglob("*")) == before  # no temporary file left behind


def test_output_is_checked_before_the_examples_are_drawn(tmp_path, monkeypatch):
    def never(*args):
        raise AssertionError("examples drawn before the output path was checked")

    monkeypatch.setattr(gd, "generate_examples", never)
    with pytest.raises(ChefError, match="es una carpeta"):
        gd.main(["--output", str(tmp_path)])


# ---------------------------------------------------------------------------
# A broken model folder names the file at fault (before torch loads)
# ---------------------------------------------------------------------------
def edit_json(name, **changes):
    def edit(folder):
        data = json.loads((folder / name).read_text(encoding="utf-8"))
        for key, value in changes.items():
            if value is None:
                del data[key]
            else:
                data[key] = value
        (folder / name).write_text(json.dumps(data, indent=2), encoding="utf-8")
    return edit


def write(name, text):
    return lambda folder: (folder / name).write_text(text, encoding="utf-8")


def cut_weights(folder):
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100_000])  # a cut-off download


BROKEN_FOLDERS = {
    "config.json roto": (write("config.json", '{\n  "model_type": "gpt2",\n  "n_layer" 2\n}\n'),
                         "config.json de {dir} no es un JSON válido (línea 3, columna 13)"),
    "config.json vacío": (write("config.json", ""), "config.json de {dir} está vacío"),
    "config.json lista": (write("config.json", "[]"), "config.json de {dir} no es un objeto JSON"),
    "sin n_layer": (edit_json("config.json", n_layer=None), "a config.json de {dir} le falta n_layer"),
    "n_layer texto": (edit_json("config.json", n_layer="dos"),
                      'config.json de {dir}: n_layer debe ser un número entero positivo (es "dos")'),
    "otra arquitectura": (edit_json("config.json", model_type="llama"),
                          'config.json de {dir}: model_type es "llama", se esperaba "gpt2"'),
    "capas de más": (edit_json("config.json", n_layer=3),
                     "model.safetensors de {dir} no corresponde a su config.json: tiene 2 capas y config.json dice n_layer=3"),
    "tokenizer.json roto": (write("tokenizer.json", '{"model": {"vocab": {"a": 0,}}}'),
                            "tokenizer.json de {dir} no es un JSON válido (línea 1, columna 29)"),
    "tokenizer.json sin modelo": (write("tokenizer.json", '{"version": "1.0"}'),
                                  'a tokenizer.json de {dir} le falta el modelo del tokenizador (la clave "model")'),
    "tokenizer_config.json roto": (write("tokenizer_config.json", "{ups"),
                                   "tokenizer_config.json de {dir} no es un JSON válido (línea 1, columna 2)"),
    "generation_config.json roto": (write("generation_config.json", '{"top_k": 40 "top_p": 0.9}'),
                                    "generation_config.json de {dir} no es un JSON válido (línea 1, columna 14)"),
    "temperatura texto": (edit_json("generation_config.json", temperature="alta"),
                          'generation_config.json de {dir}: temperature debe ser un número (es "alta")'),
    "pesos cortados": (cut_weights, "model.safetensors de {dir} está incompleto: tiene 100,000 bytes de "),
    "pesos basura": (write("model.safetensors", "esto no son pesos"),
                     "model.safetensors de {dir} está dañado: no es un fichero safetensors "
                     "(créalo con: python train_from_scratch.py)"),
}


@pytest.mark.parametrize("case", BROKEN_FOLDERS)
def test_broken_model_folder_names_the_file(case, tiny_model, tmp_path, no_torch_env):
    edit, message = BROKEN_FOLDERS[case]
    folder = tmp_path / "modelo"
    shutil.copytree(tiny_model, folder)
    edit(folder)
    proc = run_script(["inference_scratch.py", "--model", folder, "-p", REQUEST], check=False, env=no_torch_env)
    assert one_line_error(proc).startswith("error: " + message.format(dir=folder))


# ---------------------------------------------------------------------------
# A recipe that stops before its end token says why
# ---------------------------------------------------------------------------
def test_token_limit_is_said(tiny_model):
    proc = run_script(["inference_scratch.py", "--model", tiny_model, "-p", REQUEST, "--temperature", 0,
                       "--max-new-tokens", 5], timeout=120)
    assert proc.stdout.strip()
    assert proc.stderr.splitlines() == ["[receta cortada: límite de 5 tokens; súbelo con --max-new-tokens]"]


def test_context_limit_is_said(tiny_model):
    proc = run_script(["inference_scratch.py", "--model", tiny_model, "-p", "huevos", "--temperature", 0,
                       "--max-new-tokens", 100000], timeout=300)
    context = json.loads((tiny_model / "config.json").read_text())["n_positions"]
    room = context - MIN_PROMPT_TOKENS
    assert proc.stderr.splitlines() == [
        f"aviso: 100000 tokens nuevos no caben en el contexto del modelo ({context} tokens); la receta tendrá "
        f"como mucho {room}.",
        f"[receta cortada: límite de {room} tokens, el máximo que cabe en el contexto del modelo]",
    ]


def test_stop_reasons():
    """The three lines, for a model of 512 positions (no weights needed)."""
    model = SimpleNamespace(config=SimpleNamespace(max_position_embeddings=512))
    chef = chat.Chef(model, None, {"max_new_tokens": 448}, seed=0)
    assert chef.stop_reason(20, 448) == "[receta cortada: límite de 448 tokens; súbelo con --max-new-tokens]"
    assert chef.stop_reason(64, 448) == "[receta cortada: se llenó el contexto del modelo (512 tokens entre petición y receta)]"
    capped = chat.Chef(model, None, {"max_new_tokens": 5000}, seed=0)
    assert capped.stop_reason(10, 496) == \
        "[receta cortada: límite de 496 tokens, el máximo que cabe en el contexto del modelo]"


# ---------------------------------------------------------------------------
# Following the README leaves `git status` clean
# ---------------------------------------------------------------------------
def test_default_outputs_are_gitignored():
    if subprocess.run(["git", "rev-parse"], cwd=REPO, capture_output=True).returncode != 0:
        pytest.skip("not a git checkout")
    import evaluate
    import train_from_scratch as train

    tiny = train.parse_args(["--preset", "tiny"])
    full = train.parse_args([])
    paths = [
        tiny.output_dir / "config.json",  # python train_from_scratch.py --preset tiny
        tiny.output_dir.with_name(f"{tiny.output_dir.name}.tmp-123") / "config.json",  # its folder being written
        tiny.work_dir / "checkpoint-10" / "trainer_state.json",
        full.work_dir / "tokenizer" / "tokenizer.json",  # python train_from_scratch.py
        full.output_dir.with_name(f"{full.output_dir.name}.tmp-123") / "config.json",
        full.output_dir.with_name(f"{full.output_dir.name}.old-123") / "config.json",
        evaluate.parse_args(["--num", "5"]).output_json,  # python evaluate.py --num 5
        REPO / ".recetas_extended.jsonl.a1b2c3.tmp",  # atomic_write_text's temporary file
    ]
    relative = [str(Path(p).relative_to(REPO)) for p in paths]
    proc = subprocess.run(["git", "check-ignore", "--no-index", *relative], cwd=REPO, capture_output=True, text=True)
    assert sorted(proc.stdout.split()) == sorted(relative)
