"""Scores over commits (``reporting.history``) and the gate against the best of the last
baselines (``--gate-history``), on real git repositories the tests build."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sentiment_models.errors import StoreError
from sentiment_models.gates import Gate, baseline_history, update_baseline
from sentiment_models.reporting.history import git_snapshots, git_versions, render_history
from sentiment_models.reporting.store import update_results
from sentiment_models.results import SessionInfo
from tests.helpers import make_result, make_seeds_result
from tests.test_gates import _baseline_record, _runs


def _git(folder: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=folder,
        check=True,
        capture_output=True,
    )


def _commit(repo: Path, message: str) -> None:
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", message)


def _store(folder: Path, accuracy: float, test_digest: str = "s" * 64) -> None:
    records = {
        "lstm": make_seeds_result("lstm", accuracy, test_digest=test_digest),
        "simple": make_result("simple", 0.62, seeds=(0, 1, 2), test_digest=test_digest),
    }
    update_results(folder, records, SessionInfo("now"), lambda store: {})


@pytest.fixture
def repo(tmp_path):
    """A git repository whose results folder was committed four times: lstm at 0.75, 0.76
    (noise), 0.60 (a drop), then on other test items; and a broken store between."""
    repo = tmp_path / "project"
    results = repo / "results"
    results.mkdir(parents=True)
    _git(repo, "init", "-q")
    for accuracy, message in ((0.75, "first"), (0.76, "noise"), (0.60, "a drop")):
        _store(results, accuracy)
        _commit(repo, message)
    (results / "results.json").write_text("{broken")
    _commit(repo, "broken | store")
    (results / "results.json").unlink()
    _store(results, 0.60, test_digest="o" * 64)
    _commit(repo, "other test items")
    return repo


def test_history_marks_significant_changes_and_breaks_only(repo):
    snapshots = git_snapshots(repo / "results", None)
    assert [s.subject for s in snapshots] == [
        "other test items",
        "broken | store",
        "a drop",
        "noise",
        "first",
    ]
    assert "not read" in snapshots[1].problem
    page = render_history(snapshots, ["simple", "lstm"])
    accuracy = page.split("## Test accuracy", 1)[1].split("##", 1)[0]
    rows = {line.split("|")[3].strip(): line for line in accuracy.splitlines() if "`" in line}
    assert "▼" in rows["a drop"].split("|")[5], "0.60 after 0.76: intervals apart"
    assert "▲" not in rows["noise"] and "▼" not in rows["noise"], "0.76 vs 0.75 is noise"
    assert "‖" in rows["other test items"] and "▼" not in rows["other test items"]
    assert "`" in page.split("## Snapshots not shown", 1)[1]
    assert "broken \\| store" not in accuracy  # a broken snapshot is listed apart


def test_history_adds_the_working_tree_when_it_differs_and_limits_commits(repo):
    _store(repo / "results", 0.77, test_digest="o" * 64)
    snapshots = git_snapshots(repo / "results", 2)
    assert next(s.label for s in snapshots) == "uncommitted" and len(snapshots) == 3


@pytest.mark.integration  # a subprocess that draws with matplotlib
def test_history_command_writes_both_files_and_refuses_a_folder_outside_git(repo, tmp_path):
    command = [sys.executable, "-m", "sentiment_models.reporting.history"]
    done = subprocess.run(
        [*command, str(repo / "results")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (repo / "results" / "history.md").read_text().startswith("# Scores over commits")
    assert (repo / "results" / "history.png").read_bytes()[:4] == b"\x89PNG"
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "results.json").write_text("{}")
    refused = subprocess.run(
        [*command, str(outside)], capture_output=True, text=True, timeout=120, check=False
    )
    assert refused.returncode == 2 and "error: git rev-parse in" in refused.stderr
    assert "not a git repository" in refused.stderr
    assert not (outside / "history.md").exists()


def test_gate_history_compares_with_the_best_of_the_last_baselines(tmp_path):
    """Two drops, each within the noise of the baseline before it, pile up: against the file
    alone (0.80) the run passes; against the best of the last baselines (0.85) it fails."""
    repo = tmp_path / "project"
    repo.mkdir()
    _git(repo, "init", "-q")
    path = repo / "baseline.json"
    for accuracy in (0.85, 0.80):
        path.unlink(missing_ok=True)
        update_baseline(path, "quick", {"lstm": _baseline_record(accuracy)})
        _commit(repo, f"baseline {accuracy}")
    new = _runs(0.79, seeds=(3, 4, 5))
    alone = Gate(path, alpha=0.01, min_effect=0.005).check("lstm", "quick", new)
    assert not [f for f in alone.failures if ": accuracy" in f]
    earlier = baseline_history(path, 5)
    assert [label.split()[0] for label, _ in earlier] == [line.split()[0] for line in _log(repo)]
    best = Gate(path, alpha=0.01, min_effect=0.005, earlier=earlier).check("lstm", "quick", new)
    (failure,) = [f for f in best.failures if ": accuracy" in f]
    assert "vs baseline 0.8500" in failure and "the best of the last baselines" in failure


def _log(repo: Path) -> list[str]:
    return subprocess.run(
        ["git", "log", "--format=%h"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.split()


def test_gate_history_outside_git_is_a_clear_error(tmp_path):
    path = tmp_path / "baseline.json"
    update_baseline(path, "quick", {"lstm": _baseline_record(0.8)})
    with pytest.raises(StoreError, match=r"gate_history\W* 3: git rev-parse .*not a git"):
        baseline_history(path, 3)
    _git(tmp_path, "init", "-q")
    (tmp_path / "README").write_text("a project")
    _git(tmp_path, "add", "README")
    _git(tmp_path, "commit", "-q", "-m", "first")
    with pytest.raises(StoreError, match=r"baseline\.json: no committed version in git"):
        git_versions(path)
