"""The layout the project promises a reader (issue 18): a small library, `chef/`, beside five thin scripts.

* No script imports another script: each reads top to bottom as its stage, and shared code lives in chef/.
* Each script fits in one sitting (at most 300 lines), no function is over 60 lines, and the whole
  (scripts and chef/, tests and bench excluded) stays under 4,500 lines.
* The pure-Python paths (the generator, the converter, reading a request, flag parsing) never import torch.
* Tests test behaviour: none calls a private (underscore) function of chef/ or of a script.

Pure Python and fast: it reads the source with `ast` and runs Python in subprocesses.
"""

import ast
import subprocess
import sys

import pytest
from conftest import REPO, TEST_ENV

SCRIPTS = sorted(REPO.glob("*.py"))
SCRIPT_NAMES = {path.stem for path in SCRIPTS}
LIBRARY = sorted((REPO / "chef").glob("*.py"))
BENCH = sorted((REPO / "bench").glob("*.py"))
TESTS = sorted((REPO / "tests").glob("*.py"))

MAX_SCRIPT_LINES = 300
MAX_FUNCTION_LINES = 60
MAX_TOTAL_LINES = 4500
# Modules that the pure-Python paths import: the generator, the converter, the chat's request reading.
PURE_MODULES = ["chef.cli", "chef.prompt", "chef.requests", "chef.dataset", "chef.metrics", "chef.gguf_export"]
HEAVY = ("torch", "transformers")


def parse(path):
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def line_count(path):
    return path.read_text(encoding="utf-8").count("\n")  # what `wc -l` says


def imported_modules(tree):
    """Every module a file imports, at its top or inside functions (importlib.import_module("x") too)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield node.module
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant)):
            yield node.args[0].value


def relative(path):
    return str(path.relative_to(REPO))


# ---------------------------------------------------------------------------
# Scripts are thin and stand alone
# ---------------------------------------------------------------------------
def test_the_five_scripts_are_there():
    assert SCRIPT_NAMES == {"generate_dataset", "train_from_scratch", "inference_scratch", "convert_to_gguf", "evaluate"}


@pytest.mark.parametrize("path", SCRIPTS + BENCH, ids=relative)
def test_no_script_imports_another_script(path):
    imported = {name.split(".")[0] for name in imported_modules(parse(path))}
    assert not imported & SCRIPT_NAMES, f"{relative(path)} imports the script(s) {sorted(imported & SCRIPT_NAMES)}"


@pytest.mark.parametrize("path", SCRIPTS, ids=relative)
def test_each_script_reads_in_one_sitting(path):
    assert line_count(path) <= MAX_SCRIPT_LINES


def test_no_long_functions():
    long = [
        f"{relative(path)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for path in SCRIPTS + LIBRARY
        for node in ast.walk(parse(path))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, "functions over {} lines:\n{}".format(MAX_FUNCTION_LINES, "\n".join(long))


def test_total_lines():
    counts = {relative(path): line_count(path) for path in SCRIPTS + LIBRARY}
    total = sum(counts.values())
    largest = ", ".join(f"{name} {n}" for name, n in sorted(counts.items(), key=lambda item: -item[1])[:5])
    assert total < MAX_TOTAL_LINES, f"{total} lines; the largest: {largest}"


# ---------------------------------------------------------------------------
# Pure-Python paths import no torch
# ---------------------------------------------------------------------------
def heavy_modules_after(code, *args):
    """Which of torch and transformers a fresh Python has loaded after running `code` (from the repo)."""
    probe = f"{code}\nimport sys\nprint(sorted(set({HEAVY!r}) & set(sys.modules)), file=sys.stderr)"
    proc = subprocess.run([sys.executable, "-c", probe, *map(str, args)], cwd=REPO, env=TEST_ENV,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stderr.strip().splitlines()[-1]


def run_script_code(script):
    """Code that runs a script as `python script args...` does; a failure stops before the probe."""
    return f"import runpy, sys\nsys.argv = [{script!r}, *sys.argv[1:]]\nrunpy.run_path({script!r}, run_name='__main__')"


def test_library_modules_of_the_pure_paths_import_no_torch():
    assert heavy_modules_after(f"import {', '.join(PURE_MODULES)}") == "[]"


def test_generating_a_dataset_imports_no_torch(tmp_path):
    output = tmp_path / "x.jsonl"
    assert heavy_modules_after(run_script_code("generate_dataset.py"), "--num", 5, "--output", output) == "[]"
    assert len(output.read_text(encoding="utf-8").splitlines()) == 5


def test_converting_the_committed_model_imports_no_torch(tmp_path):
    output = tmp_path / "x.gguf"  # about a second: numpy, safetensors and gguf only
    assert heavy_modules_after(run_script_code("convert_to_gguf.py"), "--output", output, "--no-modelfile") == "[]"
    assert output.stat().st_size > 0


# ---------------------------------------------------------------------------
# Tests test behaviour
# ---------------------------------------------------------------------------
def is_private(name):
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def is_ours(module):
    return module is not None and (module == "chef" or module.startswith("chef.") or module in SCRIPT_NAMES)


def dotted(node):
    """`a.b.c` for a chain of names and attributes; None for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = dotted(node.value)
        return head and f"{head}.{node.attr}"
    return None


def private_uses(tree):
    """Private names a test takes from chef/ or a script: imported by name, or read as module._name."""
    modules = set()  # names bound to our modules in this file
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {alias.asname or alias.name for alias in node.names if is_ours(alias.name)}
        elif isinstance(node, ast.ImportFrom) and is_ours(node.module):
            for alias in node.names:
                if is_private(alias.name):
                    yield f"from {node.module} import {alias.name}"
                elif node.module == "chef":  # from chef import decoding
                    modules.add(alias.asname or alias.name)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and is_private(node.attr) and dotted(node.value) in modules:
            yield f"{dotted(node.value)}.{node.attr}"


@pytest.mark.parametrize("path", TESTS, ids=relative)
def test_tests_call_no_private_function(path):
    uses = sorted(set(private_uses(parse(path))))
    assert not uses, f"{relative(path)} uses private names: {', '.join(uses)}"
