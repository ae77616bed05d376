"""Shared fixtures: a small generated dataset and a tiny model trained from it, once per session.

Everything runs on CPU in temporary folders, with no network. The tiny model is the real
pipeline (generate_dataset.py -> train_from_scratch.py --preset tiny) at toy size.

Two speeds (see pytest.ini):
    pytest                  # everything: what CI runs (8-15 min on 2 CPU cores)
    pytest -m "not slow"    # day-to-day subset (under a minute): no tiny model, llama.cpp or committed model
A test is marked `slow` here, by rule, so the test files need no markers of their own: it needs the
tiny model (a fixture in SLOW_FIXTURES, or one built on it: the GGUFs, llama.cpp, the Jinja engines),
or its name has a part in SLOW_NAME_PARTS. `@pytest.mark.slow` on a test works too.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest


REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

# Torch on one thread, in this process and in the scripts the tests run. On 2 shared cores the
# default (a thread per core) was 12x slower: the committed model's test took 252 s, 21 s on one
# thread. Set here, before any test module loads, so torch reads it whenever (if ever) it is
# imported: pure-Python tests never import torch.
os.environ["OMP_NUM_THREADS"] = "1"
TEST_ENV = dict(os.environ, TOKENIZERS_PARALLELISM="false", PYTHONUNBUFFERED="1")

# ---------------------------------------------------------------------------
# The `slow` marker
# ---------------------------------------------------------------------------
# Fixtures that make a test slow: training the tiny model (about a minute, once per session)
# and everything built on it; the two template engines are built or installed on first use.
SLOW_FIXTURES = {"tiny_run", "tiny_model", "llama_cpp_jinja", "jinja_js"}
# Slow without those fixtures, by a part of the test's name: the shipped 21M model (greedy
# recipes, parity with llama.cpp: 20-50 s each on one thread) and the two-process torchrun training.
SLOW_NAME_PARTS = ("committed_model", "torchrun")


def is_slow(item):
    if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):  # fixturenames: the whole closure
        return True
    return any(part in item.name for part in SLOW_NAME_PARTS)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if is_slow(item):
            item.add_marker(pytest.mark.slow)


def run_script(args, timeout=300, check=True, **kwargs):
    """Run one of the repo's scripts with this Python; returns the CompletedProcess."""
    proc = subprocess.run(
        [sys.executable, *map(str, args)],
        cwd=REPO,
        env=kwargs.pop("env", TEST_ENV),
        capture_output=True,
        text=True,
        timeout=timeout,
        **kwargs,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"{args} exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory):
    """A JSONL of 400 generated recipes (the generator's own default format)."""
    path = tmp_path_factory.mktemp("data") / "recetas_tiny.jsonl"
    run_script(["generate_dataset.py", "--num", 400, "--seed", 7, "--output", path])
    return path


@pytest.fixture(scope="session")
def tiny_run(tiny_data, tmp_path_factory):
    """Train the tiny preset once; returns (model_dir, work_dir, completed process)."""
    root = tmp_path_factory.mktemp("tiny")
    model_dir, work_dir = root / "model", root / "work"
    proc = run_script(
        ["train_from_scratch.py", "--preset", "tiny", "--data", tiny_data,
         "--output-dir", model_dir, "--work-dir", work_dir],
        timeout=600,
    )
    return model_dir, work_dir, proc


@pytest.fixture(scope="session")
def tiny_model(tiny_run):
    """Path to the tiny model folder (config, safetensors, tokenizer, generation config)."""
    return tiny_run[0]
