"""Shared fixtures: a small generated dataset and a tiny model trained from it, once per session.

Everything runs on CPU in temporary folders, with no network. The tiny model is the real
pipeline (generate_dataset.py -> train_from_scratch.py --preset tiny) at toy size.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

# One thread keeps the tiny runs predictable on a 2-core machine shared with other work.
TEST_ENV = dict(os.environ, OMP_NUM_THREADS="1", TOKENIZERS_PARALLELISM="false", PYTHONUNBUFFERED="1")


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
