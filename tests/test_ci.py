"""The CI workflows (linted by actionlint, zizmor and the GitHub workflow schema, and
checked to call the project's own make targets), the job summary and the annotations."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sentiment_models.reporting.ci import _escape, annotations

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: it is in the dev extra (make setup)")
    return found


def _lint(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [_tool(command[0]), *command[1:]], capture_output=True, text=True, timeout=300, check=False
    )


LINTERS = {
    "actionlint": ("actionlint",),
    "zizmor": ("zizmor", "--offline", "--no-progress"),
    "schema": ("check-jsonschema", "--builtin-schema", "vendor.github-workflows"),
}


@pytest.mark.parametrize("linter", list(LINTERS))
def test_the_workflows_pass_the_linters(linter):
    assert [path.name for path in WORKFLOWS] == ["bench.yml", "gate.yml"]
    done = _lint(*LINTERS[linter], *map(str, WORKFLOWS))
    assert done.returncode == 0, done.stdout + done.stderr


INSECURE = """
name: insecure
on: pull_request
jobs:
  x:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.pull_request.title }}"
      - run: echo ${{ steps.nothing.outputs.value }}
"""
MALFORMED = INSECURE + "    timeout-minutes: soon\n"


@pytest.mark.parametrize(
    ("linter", "workflow", "finding"),
    [
        ("actionlint", INSECURE, 'property "nothing" is not defined'),
        ("zizmor", INSECURE, "template-injection"),
        ("zizmor", INSECURE, "unpinned-uses"),
        ("schema", MALFORMED, "timeout-minutes"),
    ],
)
def test_the_linters_catch_a_broken_workflow(linter, workflow, finding, tmp_path):
    """Each check can fail: an unpinned action, a pull-request title expanded into a shell,
    an undefined step output, a malformed timeout."""
    broken = tmp_path / ".github" / "workflows" / "broken.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(workflow)
    done = _lint(*LINTERS[linter], str(broken))
    assert done.returncode != 0 and finding in done.stdout + done.stderr, done.stdout


def _workflow(name: str) -> dict:
    return yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())


def _runs(job: dict) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def test_the_workflows_run_the_projects_own_commands():
    gate = _workflow("gate.yml")["jobs"]["gate"]
    assert "make gate" in _runs(gate) and "make setup" in _runs(gate)
    bench = _workflow("bench.yml")
    shards = bench["jobs"]["shard"]["strategy"]["matrix"]["shard"]
    assert shards == list(range(1, int(bench["env"]["SHARDS"]) + 1))
    assert "--shard $SHARD/$SHARDS" in _runs(bench["jobs"]["shard"])
    merge = _runs(bench["jobs"]["merge"])
    assert "sentiment_models.reporting.merge --into results out/shard-*" in merge
    # the baseline only through the guarded path, and only when asked for by hand
    assert merge.count("--update-baseline") == 1 and 'if [ "$UPDATE_BASELINE" = "true" ]' in merge
    for workflow in (_workflow("gate.yml"), bench):
        assert workflow["permissions"] == {"contents": "read"}
    assert "GATE_TRACKING ?= --no-mlflow" in (ROOT / "Makefile").read_text()


def test_annotations_only_on_github_and_escaped(monkeypatch):
    failures = {"lstm": ["lstm: accuracy 0.70 vs baseline 0.75 (drop +0.05; p = 0.001)\nmore"]}
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    assert annotations(failures) == []
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert annotations(failures) == [
        "::error title=accuracy gate%3A lstm::lstm: accuracy 0.70 vs baseline 0.75 "
        "(drop +0.05; p = 0.001)%0Amore"
    ]
    assert _escape("100% done\r\n", property_value=True) == "100%25 done%0D%0A"
    assert _escape("a:b,c", property_value=True) == "a%3Ab%2Cc"


@pytest.mark.integration
def test_a_gated_run_writes_the_job_summary_and_annotates_its_failure(
    pytester, bench_dir, monkeypatch
):
    """A tiny bench: a baseline, then a planted regression gated as on GitHub Actions."""
    baseline, summary = pytester.path / "baseline.json", pytester.path / "summary.md"
    args = [*bench_dir, "-k", "linear", f"--baseline={baseline}"]
    pytester.runpytest_subprocess(*args, "--seeds", "0,1", "--update-baseline").assert_outcomes(
        passed=4
    )
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(pytester.path / "elsewhere.md"))
    weakened = pytester.runpytest_subprocess(
        *args, "--gate", "--variant-param", "linear.C_grid=0.00001", f"--summary-file={summary}"
    )
    weakened.assert_outcomes(passed=1, failed=1)
    weakened.stdout.re_match_lines(
        [
            r"^::error title=accuracy gate%3A linear::linear: macro_recall 0\.\d+ vs baseline "
            r"0\.\d+ \(drop \+0\.\d+ ± 0\.\d+; one-sided p .*a drop significantly larger"
        ]
    )
    weakened.stdout.fnmatch_lines(["gate FAILED linear: *could detect a drop of 0.* or more*"])
    text = summary.read_text()
    assert text.startswith("### sentiment-bench: tiny profile, 1 variant(s)")
    row = next(line for line in text.splitlines() if line.startswith("| linear"))
    assert "❌ macro recall drop 0." in row and "detects accuracy ≥ 0." in row
    assert "full tables:" in text and not (pytester.path / "elsewhere.md").exists()
    stored = json.loads((pytester.path / "results" / "results.json").read_text())
    assert "linear" in stored["variants"]
