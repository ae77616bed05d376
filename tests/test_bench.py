"""bench/: the step benchmark's options and the prepared GPU call, proven by its dry run on CPU."""

import io
import json
import re
import subprocess
import tarfile
import time

import pytest
from conftest import REPO, run_script


def help_text(script):
    return run_script([script, "--help"]).stdout


def listed_variants(text):
    """The variant names the help's --variants line offers ("entre a, b, c (por defecto...")."""
    flat = " ".join(text.split())
    return re.search(r"entre (.+?) \(por defecto", flat).group(1).split(", ")


def test_bench_train_help_lists_every_variant_with_what_it_changes():
    text = help_text("bench/bench_train.py")
    names = listed_variants(text)
    assert "default" in names and len(names) >= 5, names
    epilog = " ".join(text.split("Variantes:")[1].split())
    for name in names:
        assert re.search(rf"(^|; ){re.escape(name)}: \S", epilog), (name, epilog)
    for flag in ("--data", "--preset", "--variants", "--steps", "--warmup", "--json", "--profile"):
        assert flag in text


def test_gpu_call_help_lists_its_variants_and_flags():
    text = " ".join(help_text("bench/gpu_call.py").split())
    assert "Variantes: default:" in text
    # Its step benchmark measures every option bench_train.py has.
    options = re.search(r"all, es decir (.+?);", text).group(1).split(", ")
    assert options == listed_variants(help_text("bench/bench_train.py"))
    for flag in ("--variants", "--dry-run", "--budget", "--bench", "--jobs", "--train-args", "--data"):
        assert flag in text


@pytest.mark.parametrize("flags", [["--variants", "no-such-variant"], ["--bench", "no-such-option"],
                                   ["--variants", "default,default"], ["--budget", "5"]])
def test_gpu_call_rejects_bad_flags_in_one_line_before_writing(tmp_path, flags):
    out = tmp_path / "out"
    proc = run_script(["bench/gpu_call.py", out, "--dry-run", *flags], check=False)
    assert proc.returncode == 1 and proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1, proc.stderr
    assert not out.exists()


def test_gpu_call_refuses_a_folder_with_files(tmp_path):
    (tmp_path / "old.txt").write_text("x")
    proc = run_script(["bench/gpu_call.py", tmp_path, "--dry-run"], check=False)
    assert proc.returncode == 1 and str(tmp_path) in proc.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["old.txt"]


def git_status():
    """`git status` entries, Python sources left out: the call writes none, and in a shared working tree
    someone else may be editing one meanwhile."""
    out = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=REPO, capture_output=True,
                         text=True, check=True).stdout
    return {line for line in out.splitlines() if not line.endswith(".py")}


def joined(out, archive):
    """An archive the call cut into parts, put back together (what `cat NAME.part* > NAME` does)."""
    return b"".join(p.read_bytes() for p in sorted(out.glob(archive + ".part*")))


@pytest.mark.slow
def test_gpu_call_dry_run_leaves_a_table_reports_and_a_loadable_model(tmp_path):
    from chef.card import CARD_END, CARD_START, shown_requests
    from chef.model_folder import load_model

    out, before = tmp_path / "out", git_status()
    start = time.monotonic()
    proc = run_script(["bench/gpu_call.py", out, "--dry-run", "--variants", "default,dropout02"], timeout=400)
    seconds = time.monotonic() - start
    assert seconds < 180, seconds
    assert git_status() == before  # nothing written into the repository

    # What comes back from the device: at most 8 files, none in a folder.
    files = sorted(p.name for p in out.iterdir())
    assert len(files) <= 8 and all(p.is_file() for p in out.iterdir()), files
    table = (out / "comparison.md").read_text()
    assert table.strip() in proc.stdout  # printed as written
    summary = json.loads((out / "summary.json").read_text())
    assert all(run["status"] == "ok" for run in summary["runs"].values()), summary["runs"]
    rows = [line for line in table.splitlines() if re.match(r"\| \d+ \| ", line)]  # ranked rows
    assert [row.split(" | ")[1] for row in rows] == summary["ranking"]
    assert sorted(summary["ranking"]) == ["default", "dropout02"]
    assert "sampled" in summary["runs"][summary["ranking"][0]], "the best is evaluated sampled too"
    assert summary["env"]["torch"] and summary["bench"], summary["env"]

    # Every report in one archive: each variant's training report (with the coherence figure) and evaluation.
    with tarfile.open(fileobj=io.BytesIO(joined(out, "reports.tar.gz"))) as tar:
        names = set(tar.getnames())
        for variant in ("default", "dropout02"):
            assert {f"runs/{variant}/model/training_report.json", f"runs/{variant}/eval_greedy.json",
                    f"runs/{variant}/train.log"} <= names, names
        report = json.load(tar.extractfile("runs/default/model/training_report.json"))
    assert "eval_incoherent_rate" in report["shipped"]

    # The parts, put back together, are the best model's folder, and it loads.
    best = summary["ranking"][0]
    assert summary["parts"] == [p.name for p in sorted(out.glob(f"chef-bot-scratch-{best}.tar.gz.part*"))] != []
    assert all(p.stat().st_size <= 15_000_000 for p in out.iterdir())
    with tarfile.open(fileobj=io.BytesIO(joined(out, f"chef-bot-scratch-{best}.tar.gz"))) as tar:
        tar.extractall(tmp_path / "back", filter="data")
    folder = tmp_path / "back" / f"chef-bot-scratch-{best}"
    model, tokenizer = load_model(folder)
    assert model.config.vocab_size == len(tokenizer)
    card = (folder / "README.md").read_text()
    assert shown_requests(card, CARD_START, CARD_END) == summary["runs"][best]["greedy"]["requests"]


@pytest.mark.slow
def test_gpu_call_kills_a_step_past_the_deadline_and_still_writes_what_it_has(tmp_path):
    out, before = tmp_path / "out", git_status()
    start = time.monotonic()
    proc = run_script(["bench/gpu_call.py", out, "--dry-run", "--budget", "40", "--bench", "none",
                       "--train-args=--epochs 50"], check=False, timeout=200)  # 50 tiny epochs: minutes
    assert time.monotonic() - start < 40 + 15
    assert proc.returncode == 1 and proc.stderr.startswith("error: "), proc.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["runs"]["default"]["status"].startswith("timeout"), summary["runs"]
    assert summary["runs"]["dropout02"]["status"].startswith("skipped"), summary["runs"]
    assert sorted(p.name for p in out.iterdir()) == ["comparison.md", "reports.tar.gz.part00", "summary.json"]
    assert "| 1 | default |" in (out / "comparison.md").read_text()
    assert git_status() == before
