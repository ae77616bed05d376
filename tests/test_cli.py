"""What a user can do wrong on the command line, through the real scripts (subprocesses).

* Flags are parsed and checked before torch and transformers load: run with a `torch` and a
  `transformers` that raise when imported, every script still answers a bad flag in Spanish.
* Ctrl-C at any moment, the seconds of `import torch` included, is one line and exit 130,
  however the script was started (a shell starts background jobs with SIGINT ignored).
* An output path that cannot be written is one line, before the slow work.
* A broken model folder names the file at fault, in Spanish, before torch loads.
* A recipe that stops before its end token says why.
* Following the README leaves `git status` clean: every default output is gitignored.

The messages are checked by their shape (one line, Spanish, the exit code) and by what they must
name (the flag, the value, the file, the line and column), not copied word for word.
"""

import json
import re
import runpy
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import REPO, TEST_ENV, run_script

import chef.dataset
from chef.chat import CAPPED, CUT_AT_CAP, CUT_AT_LIMIT, CUT_BY_CONTEXT, Chef
from chef.cli import INTERRUPTED
from chef.decoding import MIN_PROMPT_TOKENS


SCRIPTS = ["inference_scratch.py", "train_from_scratch.py", "evaluate.py", "generate_dataset.py", "convert_to_gguf.py"]
TORCH_SCRIPTS = ["inference_scratch.py", "train_from_scratch.py", "evaluate.py"]  # they load torch at all
REQUEST = "pechuga de pollo, arroz redondo"
LINUX = pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="reads /proc (Linux)")


# argparse's and Python's own English, which a message in Spanish never shows.
ENGLISH = {"argument", "arguments", "invalid", "expected", "required", "unrecognized", "choose", "usage",
           "the", "must", "is", "not", "traceback", "file", "line"}


def script(name):
    """A script's functions and constants, from running its file (scripts are run, never imported)."""
    return runpy.run_path(str(REPO / f"{name}.py"))


def names(line, thing):
    """True if the line names `thing` as a whole: "config.json" is not named by "tokenizer_config.json"."""
    return re.search(rf"(?<![\w/.-]){re.escape(str(thing))}(?!\w)", line) is not None


def says(line, *things):
    """A one-line message in Spanish that names all of `things`."""
    words = set(re.findall(r"[a-z]+", re.sub(r"\S*/\S*", "", line.lower())))  # paths left out
    assert "\n" not in line.strip() and not words & ENGLISH, line
    missing = [str(thing) for thing in things if not names(line, thing)]
    assert not missing, f"{line!r} does not name {missing}"
    return True


def one_line_error(proc, *things):
    """A clean failure: exit 1, nothing on stdout, one `error: ...` line in Spanish naming `things`."""
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert proc.stdout == ""
    return says(lines[0], *things)


def interrupted(code, err):
    """Ctrl-C's notice alone on stderr, and exit 130."""
    return (code, err.strip()) == (130, INTERRUPTED.strip())


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
    assert one_line_error(proc, "--bogus", "--help")


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


# The arguments, and what the one-line error must name.
CHECKED_BEFORE_TORCH = [
    (["inference_scratch.py", "--temperature", "-1"], ["--temperature", "-1.0"]),
    (["inference_scratch.py", "--max-new-tokens", "0"], ["--max-new-tokens", "0"]),
    (["inference_scratch.py", "--top-k", "muchos"], ["--top-k", "'muchos'"]),
    (["inference_scratch.py", "--device", "tpu"], ["--device", "tpu", "auto", "cpu", "cuda", "mps"]),
    (["inference_scratch.py", "-p", "   "], ["-p"]),
    (["inference_scratch.py", "--model", "{tmp}/no-existe"], ["{tmp}/no-existe"]),
    (["inference_scratch.py", "--model", "{broken}"], ["config.json", "{broken}", "línea 4, columna 1"]),
    (["train_from_scratch.py", "--dropout", "2"], ["--dropout", "0", "1"]),
    (["train_from_scratch.py", "--preset", "enorme"], ["--preset", "'enorme'", "'full'", "'tiny'"]),
    (["train_from_scratch.py", "--data", "{tmp}/nada.jsonl"], ["{tmp}/nada.jsonl"]),
    (["train_from_scratch.py", "--preset", "tiny", "--output-dir", "{tmp}/fichero"], ["{tmp}/fichero", "carpeta"]),
    (["evaluate.py", "--num", "0"], ["--num", "1"]),
    (["evaluate.py", "--model", "{broken}"], ["config.json", "{broken}", "línea 4, columna 1"]),
    (["evaluate.py", "--output-json", "{tmp}"], ["{tmp}", "fichero"]),
    (["generate_dataset.py", "--num", "0"], ["--num", "1", chef.dataset.MAX_NUM]),
    (["generate_dataset.py", "--output", "{tmp}"], ["{tmp}", "fichero"]),
]


@pytest.mark.parametrize("args, things", CHECKED_BEFORE_TORCH, ids=[" ".join(a) for a, _ in CHECKED_BEFORE_TORCH])
def test_values_are_checked_before_torch(args, things, no_torch_env, broken_config_dir, tmp_path):
    (tmp_path / "fichero").write_text("")
    fill = dict(tmp=tmp_path, broken=broken_config_dir)
    proc = run_script([a.format(**fill) for a in args], check=False, env=no_torch_env)
    assert one_line_error(proc, *(str(t).format(**fill) for t in things))


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
    assert interrupted(code, err), (code, out, err)
    assert not (tmp_path / "m").exists() and not (tmp_path / "eval.json").exists()


@LINUX
def test_ctrl_c_while_generating_the_dataset(tmp_path):
    out_file = tmp_path / "x.jsonl"
    code, out, err = interrupt(["generate_dataset.py", "--num", 20000, "--output", out_file],
                               signal.SIG_IGN, catches_sigint)
    assert interrupted(code, err), (code, out, err)
    assert list(tmp_path.iterdir()) == []  # nothing half-written


@LINUX
def test_ctrl_c_while_converting(tmp_path):
    code, out, err = interrupt(["convert_to_gguf.py", "--output", tmp_path / "x.gguf"], signal.SIG_IGN,
                               catches_sigint)
    assert interrupted(code, err), (code, out, err)


# The real chat, each decoding step slowed down so that Ctrl-C lands in the middle of a one-shot recipe.
SLOW_ONE_SHOT = """
import runpy, sys, time
import chef.decoding
fast = chef.decoding.decode
def slow(*args, **kwargs):
    for step in fast(*args, **kwargs):
        time.sleep(0.02)
        yield step
chef.decoding.decode = slow
sys.argv[0] = "inference_scratch.py"
runpy.run_path("inference_scratch.py", run_name="__main__")
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
    assert interrupted(proc.returncode, err), err
    assert out.endswith("\n")  # the recipe's line is ended before the notice


# ---------------------------------------------------------------------------
# Output paths that cannot be written
# ---------------------------------------------------------------------------
def bad_outputs(tmp_path):
    """--output values that cannot be written, and what the error must name."""
    (tmp_path / "fichero").write_text("no soy una carpeta")
    cases = {
        "carpeta": (tmp_path, [tmp_path, "carpeta"]),
        "fichero como carpeta": (tmp_path / "fichero" / "x.jsonl", [tmp_path / "fichero" / "x.jsonl", "fichero"]),
        "fichero más arriba": (tmp_path / "fichero" / "sub" / "x.jsonl", [tmp_path / "fichero" / "sub" / "x.jsonl", "fichero"]),
        "vacío": ("", ["--output"]),
    }
    if sys.platform.startswith("linux"):  # sysfs refuses new files, to root too
        cases["sin permiso"] = (Path("/sys/chef/x.jsonl"), ["/sys/chef/x.jsonl", "permiso"])
    return cases


@pytest.mark.parametrize("case", ["carpeta", "fichero como carpeta", "fichero más arriba", "vacío", "sin permiso"])
def test_generate_dataset_output_that_cannot_be_written(case, tmp_path):
    cases = bad_outputs(tmp_path)
    if case not in cases:
        pytest.skip("needs Linux's /sys")
    output, things = cases[case]
    before = sorted(tmp_path.rglob("*"))
    proc = run_script(["generate_dataset.py", "--num", 5, "--output", output], check=False)
    assert one_line_error(proc, *things)
    assert sorted(tmp_path.rglob("*")) == before  # no temporary file left behind


def run_generator(output, monkeypatch):
    """`python generate_dataset.py --output OUTPUT` in this process, with the examples never drawn."""
    def never(*args, **kwargs):
        raise AssertionError("examples drawn")

    monkeypatch.setattr(chef.dataset, "generate_examples", never)  # before the script imports it
    monkeypatch.setattr(sys, "argv", ["generate_dataset.py", "--output", str(output)])
    runpy.run_path(str(REPO / "generate_dataset.py"), run_name="__main__")


def test_output_is_checked_before_the_examples_are_drawn(tmp_path, monkeypatch, capsys):
    with pytest.raises(SystemExit) as exit:
        run_generator(tmp_path, monkeypatch)  # a folder
    assert exit.value.code == 1 and says(capsys.readouterr().err, tmp_path)
    with pytest.raises(AssertionError, match="examples drawn"):  # a good path does draw them
        run_generator(tmp_path / "x.jsonl", monkeypatch)


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


# How each folder is broken, and what the error must name ({dir}: the folder).
BROKEN_FOLDERS = {
    "config.json roto": (write("config.json", '{\n  "model_type": "gpt2",\n  "n_layer" 2\n}\n'),
                         ["config.json", "{dir}", "JSON", "línea 3, columna 13"]),
    "config.json vacío": (write("config.json", ""), ["config.json", "{dir}", "vacío"]),
    "config.json lista": (write("config.json", "[]"), ["config.json", "{dir}", "objeto JSON"]),
    "sin n_layer": (edit_json("config.json", n_layer=None), ["config.json", "{dir}", "n_layer"]),
    "n_layer texto": (edit_json("config.json", n_layer="dos"), ["config.json", "{dir}", "n_layer", '"dos"']),
    "otra arquitectura": (edit_json("config.json", model_type="llama"), ["config.json", "{dir}", '"llama"', '"gpt2"']),
    "capas de más": (edit_json("config.json", n_layer=3), ["model.safetensors", "{dir}", "2 capas", "n_layer=3"]),
    "tokenizer.json roto": (write("tokenizer.json", '{"model": {"vocab": {"a": 0,}}}'),
                            ["tokenizer.json", "{dir}", "línea 1, columna 29"]),
    "tokenizer.json sin modelo": (write("tokenizer.json", '{"version": "1.0"}'), ["tokenizer.json", "{dir}", '"model"']),
    "tokenizer_config.json roto": (write("tokenizer_config.json", "{ups"),
                                   ["tokenizer_config.json", "{dir}", "línea 1, columna 2"]),
    "generation_config.json roto": (write("generation_config.json", '{"top_k": 40 "top_p": 0.9}'),
                                    ["generation_config.json", "{dir}", "línea 1, columna 14"]),
    "temperatura texto": (edit_json("generation_config.json", temperature="alta"),
                          ["generation_config.json", "{dir}", "temperature", '"alta"']),
    "pesos cortados": (cut_weights, ["model.safetensors", "{dir}", "100,000 bytes"]),
    "pesos basura": (write("model.safetensors", "esto no son pesos"),
                     ["model.safetensors", "{dir}", "safetensors", "python train_from_scratch.py"]),
}


@pytest.mark.parametrize("case", BROKEN_FOLDERS)
def test_broken_model_folder_names_the_file(case, tiny_model, tmp_path, no_torch_env):
    edit, things = BROKEN_FOLDERS[case]
    folder = tmp_path / "modelo"
    shutil.copytree(tiny_model, folder)
    edit(folder)
    proc = run_script(["inference_scratch.py", "--model", folder, "-p", REQUEST], check=False, env=no_torch_env)
    assert one_line_error(proc, *(t.format(dir=folder) for t in things))


# ---------------------------------------------------------------------------
# A recipe that stops before its end token says why
# ---------------------------------------------------------------------------
def test_token_limit_is_said(tiny_model):
    proc = run_script(["inference_scratch.py", "--model", tiny_model, "-p", REQUEST, "--temperature", 0,
                       "--max-new-tokens", 5], timeout=120)
    assert proc.stdout.strip()
    assert proc.stderr.splitlines() == [CUT_AT_LIMIT.format(limit=5)]


def test_context_limit_is_said(tiny_model):
    proc = run_script(["inference_scratch.py", "--model", tiny_model, "-p", "huevos", "--temperature", 0,
                       "--max-new-tokens", 100000], timeout=300)
    context = json.loads((tiny_model / "config.json").read_text())["n_positions"]
    room = context - MIN_PROMPT_TOKENS
    assert proc.stderr.splitlines() == [  # said before the recipe, and after it
        CAPPED.format(asked=100000, context=context, limit=room),
        CUT_AT_CAP.format(limit=room),
    ]


def test_stop_reasons():
    """The three notes, for a model of 512 positions (no weights needed)."""
    model = SimpleNamespace(config=SimpleNamespace(max_position_embeddings=512))
    chef = Chef(model, None, {"max_new_tokens": 448}, seed=0)
    assert chef.stop_reason(20, 448) == CUT_AT_LIMIT.format(limit=448)
    assert chef.stop_reason(64, 448) == CUT_BY_CONTEXT.format(context=512)
    capped = Chef(model, None, {"max_new_tokens": 5000}, seed=0)
    assert capped.stop_reason(10, 496) == CUT_AT_CAP.format(limit=496)


# ---------------------------------------------------------------------------
# Following the README leaves `git status` clean
# ---------------------------------------------------------------------------
def test_default_outputs_are_gitignored():
    if subprocess.run(["git", "rev-parse"], cwd=REPO, capture_output=True).returncode != 0:
        pytest.skip("not a git checkout")
    train, evaluate = script("train_from_scratch"), script("evaluate")
    tiny = train["parse_args"](["--preset", "tiny"])
    full = train["parse_args"]([])
    paths = [
        tiny.output_dir / "config.json",  # python train_from_scratch.py --preset tiny
        tiny.output_dir.with_name(f"{tiny.output_dir.name}.tmp-123") / "config.json",  # its folder being written
        tiny.work_dir / "checkpoint-10" / "trainer_state.json",
        full.work_dir / "tokenizer" / "tokenizer.json",  # python train_from_scratch.py
        full.output_dir.with_name(f"{full.output_dir.name}.tmp-123") / "config.json",
        full.output_dir.with_name(f"{full.output_dir.name}.old-123") / "config.json",
        evaluate["parse_args"](["--num", "5"]).output_json,  # python evaluate.py --num 5
        REPO / ".recetas_extended.jsonl.a1b2c3.tmp",  # atomic_write_text's temporary file
    ]
    relative = [str(Path(p).relative_to(REPO)) for p in paths]
    proc = subprocess.run(["git", "check-ignore", "--no-index", *relative], cwd=REPO, capture_output=True, text=True)
    assert sorted(proc.stdout.split()) == sorted(relative)
