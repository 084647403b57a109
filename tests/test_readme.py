"""The README's bench commands, run as written (by bash, in a copy of the project's layout)
against tiny real data: ``PYTEST_ADDOPTS`` gives the tiny profile and data, two seeds and,
where a command selects no variant itself, ``-k "simple or vader"``; a command's own options
come after and win; ``~`` is the test's folder, where ``~/models/twitter-roberta`` holds a
tiny real RoBERTa checkpoint. Commands that need what a test machine lacks (a server on port
5000, every variant on the full profile) are covered elsewhere (tests/test_tracking*.py)."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

pytestmark = pytest.mark.integration


def readme_commands() -> list[str]:
    """Every ``pytest bench`` line of the README's code blocks, as written."""
    blocks = re.findall(r"```bash\n(.*?)```", README.read_text(), re.S)
    return [
        line for block in blocks for line in block.splitlines() if line.startswith("pytest bench")
    ]


def _checks() -> dict[str, object]:
    """What each runnable README command must show (keyed by the command, comment cut)."""
    return {
        "pytest bench -k simple": lambda out, folder: "2 passed" in out,  # ignores the seed
        'pytest bench -k "lstm and seed1"': lambda out, folder: (
            "6 passed" in out and "seed0" not in out
        ),
        "pytest bench -k roberta --hf-model ~/models/twitter-roberta": lambda out, folder: (
            "2 passed" in out and "roberta-tweeteval" in out
        ),
        'pytest bench -k "evaluate and linear"': lambda out, folder: "2 passed" in out,
        "pytest bench -s": lambda out, folder: "[simple] grid search" in out,
        "pytest bench -n 2": lambda out, folder: "4 passed" in out and "[gw" in out,
        "pytest bench --shard 1/2 --results-dir out/1": lambda out, folder: (
            set(json.loads((folder / "out/1/results.json").read_text())["variants"]) == {"simple"}
        ),
        "pytest bench --benchmark-json=bench.json": lambda out, folder: all(
            {"accuracy", "macro_recall", "roc_auc"} <= set(b["extra_info"])
            for b in json.loads((folder / "bench.json").read_text())["benchmarks"]
            if b["name"].startswith("test_evaluate")
        ),
    }


def _command(line: str) -> str:
    return shlex.join(shlex.split(line, comments=True)) if "#" in line else line.strip()


def test_every_readme_bench_command_is_run_or_said_why_not():
    runnable = set(_checks())
    elsewhere = {
        "pytest bench -k lstm",  # the three LSTMs, every seed: "lstm and seed1" runs them
        "pytest bench --seeds 0,1,2,3,4",  # every variant: the session tests cover --seeds
        "pytest bench --mlflow-uri=http://127.0.0.1:5000",  # port 5000: test_tracking_server
    }
    commands = {_normal(line) for line in readme_commands()}
    assert commands - {_normal(c) for c in runnable | elsewhere} == set()
    assert {_normal(c) for c in runnable} <= commands, "a checked command left the README"


def _normal(line: str) -> str:
    return " ".join(shlex.split(line, comments=True))


@pytest.mark.parametrize("command", list(_checks()))
def test_readme_command_runs_as_written(command, pytester, tiny_rows, tmp_path, request):
    from tests.helpers import write_csv

    if "~/models/twitter-roberta" in command:  # the checkpoint where the README says
        (tmp_path / "models").mkdir()
        shutil.copytree(
            request.getfixturevalue("tiny_roberta"), tmp_path / "models" / "twitter-roberta"
        )

    (pytester.path / "bench").mkdir()
    shutil.copy(ROOT / "bench" / "test_models.py", pytester.path / "bench")
    shutil.copy(ROOT / "conftest.py", pytester.path)
    (pytester.path / "pytest.ini").write_text("[pytest]\n")
    data = write_csv(tmp_path / "tiny.csv", tiny_rows)
    line = next(line for line in readme_commands() if _normal(line) == _normal(command))
    extra = "" if " -k " in line else ' -k "simple or vader"'
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(tmp_path),  # ~/models/... is read where the test says
        "PYTEST_ADDOPTS": f"--bench-profile tiny --dataset csv --data-path {data} "
        f"--seeds 0,1 --no-mlflow -p no:cacheprovider{extra}",
    }
    done = subprocess.run(
        ["bash", "-c", line],
        cwd=pytester.path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert _checks()[command](output, pytester.path), output[-3000:]
