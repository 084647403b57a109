"""Progress of long phases: one live line under pytest's row on a terminal (a real
pseudo-terminal here), plain lines at least every ``--progress-every`` seconds in a log
whatever the variant reports, and pytest's progress row intact in both."""

from __future__ import annotations

import json
import os
import re
import select
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from sentiment_models.pytest_plugin.terminal import ERASE_LINE, UP_ONE, TerminalLines, elapsed

ROW = "bench/test_models.py .."


class _Output:
    def __init__(self, tty: bool) -> None:
        self.tty, self.texts = tty, []

    def write(self, text: str) -> None:
        self.texts.append(text)

    def isatty(self) -> bool:
        return self.tty

    def close(self) -> None:
        pass


def _lines(tty: bool, clock, tick: float = 3600.0) -> tuple[TerminalLines, _Output]:
    writer = SimpleNamespace(
        fullwidth=40, width_of_current_line=len(ROW), _current_line=ROW, flush=lambda: None
    )
    config = SimpleNamespace(
        pluginmanager=SimpleNamespace(get_plugin=lambda name: None),
        get_terminal_writer=lambda: writer,
    )
    output = _Output(tty)
    return TerminalLines(config, plain_interval=30, clock=clock, tick=tick, out=output), output


def test_elapsed_reads_as_seconds_then_minutes():
    assert [elapsed(s) for s in (0, 59.9, 60, 185)] == ["0 s", "59 s", "1 min 00 s", "3 min 05 s"]


def test_in_a_log_a_long_phase_prints_a_plain_line_every_interval_then_pytests_row():
    now = [0.0]
    lines, output = _lines(False, lambda: now[0])
    lines.phase_started("lstm-seed0 train")
    for second in range(0, 100, 5):
        now[0] = float(second)
        lines.progress(f"[lstm] epoch at {second} s")
    assert output.texts == [
        "\nlstm-seed0 train, 30 s: [lstm] epoch at 30 s\n",  # off pytest's row first
        "lstm-seed0 train, 1 min 00 s: [lstm] epoch at 60 s\n",
        "lstm-seed0 train, 1 min 30 s: [lstm] epoch at 90 s\n",
    ]
    lines.phase_finished()
    assert output.texts[-1] == ROW, "pytest's row is written again, its dots follow"
    lines.phase_started("vader-seed0 evaluate")  # a short phase prints nothing
    now[0] += 1
    lines.progress("[vader] quick")
    lines.phase_finished()
    assert len(output.texts) == 4


def test_under_xdist_a_heartbeat_line_starts_its_own_line_after_pytests_dots():
    now = [0.0]
    lines, output = _lines(False, lambda: now[0])
    writer = lines.config.get_terminal_writer()
    lines.watch(lambda: "lstm-seed0 (test_train) for 31 s")  # the controller's heartbeat
    for dots in (ROW, ROW, ROW + "."):  # pytest wrote a dot before the third line only
        writer.width_of_current_line = len(dots)
        now[0] += 31
        lines.progress("")  # as a beat does: a line when one is due
    lines.close()
    line = "sentiment-bench: running lstm-seed0 (test_train) for 31 s\n"
    assert output.texts == ["\n" + line, line, "\n" + line]


def test_in_a_log_the_heartbeat_prints_while_the_variant_reports_nothing():
    now = [0.0]
    lines, output = _lines(False, lambda: now[0], tick=0.01)
    lines.phase_started("simple-seed0 train")
    lines.progress("[simple] grid search over 20 candidates x 2 folds")
    now[0] = 31.0
    deadline = time.monotonic() + 10
    while not output.texts and time.monotonic() < deadline:
        time.sleep(0.01)
    lines.phase_finished()
    assert output.texts[0] == (
        "\nsimple-seed0 train, 31 s: [simple] grid search over 20 candidates x 2 folds\n"
    )


def test_on_a_terminal_one_live_line_under_the_row_is_redrawn_then_erased():
    now = [0.0]
    lines, output = _lines(True, lambda: now[0])
    lines.phase_started("minilm-seed0 train")
    for step in range(5):
        now[0] += 1
        lines.progress(f"[minilm] step {step} of 5 " + "." * 60)
    lines.phase_finished()
    first, *redraws, erase = output.texts
    assert first.startswith("\n") and len(redraws) == 4
    assert all(
        text.startswith(ERASE_LINE) and len(text) - len(ERASE_LINE) <= 39 for text in redraws
    )
    assert erase == f"{ERASE_LINE}{UP_ONE}\r\x1b[{len(ROW)}C", "back to the end of pytest's row"


SLOW_VARIANT = """
import time

from tests.helpers import Prior


class Slow(Prior):
    name = "slow"

    def _fit(self, texts, labels, validation=None):
        self.progress("step 1 of 2")
        time.sleep(3.5)  # a long step that reports nothing
        super()._fit(texts, labels, validation)


def pytest_bench_variants(config):
    return {"slow": Slow}
"""
ROOT = str(Path(__file__).resolve().parent.parent)
"""On the subprocesses' path, for ``tests.helpers``."""
SLOW_CASES = ("-k", "slow or vader", "--progress-every", "1")


def test_in_a_log_a_silent_step_still_prints_a_line_every_interval(
    pytester, bench_dir, monkeypatch
):
    """Output captured (no -s) and not a terminal, as in CI: the heartbeat speaks while the
    variant is silent, and ``--benchmark-json`` stays pytest-benchmark's own valid JSON."""
    pytester.makeconftest(SLOW_VARIANT)
    monkeypatch.setenv("PYTHONPATH", ROOT)
    result = pytester.runpytest_subprocess(*bench_dir, *SLOW_CASES, "--benchmark-json=b.json")
    result.assert_outcomes(passed=4)
    benchmarks = json.loads((pytester.path / "b.json").read_text())["benchmarks"]
    assert len(benchmarks) == 4 and all("slow-seed0 train" not in str(b) for b in benchmarks)
    beats = re.findall(
        r"^slow-seed0 train, (\d+) s: \[slow\] step 1 of 2$", result.stdout.str(), re.M
    )
    assert len(beats) >= 3 and len(set(beats)) == len(beats), result.stdout.str()[-3000:]


def _run_on_a_terminal(args: list[str], cwd, timeout: float = 600) -> str:
    """``args`` run in a real pseudo-terminal 120 columns wide; everything it wrote."""
    import fcntl
    import pty
    import struct
    import termios

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    process = subprocess.Popen(
        args, cwd=cwd, stdin=follower, stdout=follower, stderr=follower, close_fds=True
    )
    os.close(follower)
    chunks, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.5)
        if ready:
            try:
                data = os.read(leader, 65536)
            except OSError:  # the terminal closed with the process
                break
            if not data:
                break
            chunks.append(data)
        elif process.poll() is not None:
            break
    process.kill()
    process.wait()
    os.close(leader)
    return b"".join(chunks).decode("utf-8", errors="replace")


def test_on_a_terminal_the_live_line_keeps_pytests_row_intact(pytester, bench_dir, monkeypatch):
    pytester.makeconftest(SLOW_VARIANT)
    monkeypatch.setenv("PYTHONPATH", ROOT)
    screen = _run_on_a_terminal(
        [sys.executable, "-m", "pytest", *bench_dir, *SLOW_CASES, "-p", "no:randomly"],
        cwd=pytester.path,
    )
    assert re.search(r"slow-seed0 train, [3-9] s: \[slow\] step 1 of 2", screen), screen[-3000:]
    assert screen.count("test_models.py") == 1, "pytest's row was broken:\n" + screen[-3000:]
    assert re.search(r"4 passed", screen), screen[-3000:]
    column = len("test_models.py ")  # pytest's row, where the cursor goes back to
    assert f"{UP_ONE}\r\x1b[{column}C" in screen, "the live line gives the row back"


@pytest.mark.parametrize("every", ["0", "-1"])
def test_progress_every_below_a_second_is_refused(pytester, bench_dir, every):
    result = pytester.runpytest_inprocess(*bench_dir, "--progress-every", every)
    assert result.ret == 4
    result.stderr.fnmatch_lines([f"*--progress-every {float(every)}: expected 1 or more*"])


def test_under_xdist_the_controller_says_which_cases_run_every_interval(
    pytester, bench_dir, monkeypatch
):
    pytester.makeconftest(SLOW_VARIANT)
    monkeypatch.setenv("PYTHONPATH", ROOT)
    result = pytester.runpytest_subprocess(*bench_dir, *SLOW_CASES, "-n", "2")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["sentiment-bench: running *slow-seed0 (test_train) for *"])
