"""Tracking in a process of its own (``TrackingProcess``): the calls are carried out in
order and their outcome comes back, a store that cannot be reached stops the session as it
did in-process, a child that dies or a session that is killed leaves nothing hanging, and
the marker of timed phases is seen across the two processes."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sentiment_models import runtime
from sentiment_models.errors import TrackingError
from sentiment_models.tracking import CaseRun
from sentiment_models.tracking.process import TrackingProcess
from tests.mlflow_server import free_port

pytestmark = pytest.mark.integration


def _settings(uri: str, experiment: str = "process") -> dict[str, object]:
    return {"uri": uri, "experiment": experiment, "source": "{tracking.mlflow_uri}"}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie has exited
        return stat.read().split(")")[-1].split()[0] != "Z"


def test_calls_run_in_order_in_the_child_and_their_outcome_comes_back(tmp_path):
    import mlflow

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    tracker = TrackingProcess(_settings(uri))
    tracker.connect(wait=False)  # returns at once: the child checks the store meanwhile
    child = tracker._process.pid
    assert child != os.getpid() and _alive(child)
    tracker.connect()
    tracker.start(facts={"rows": 3}, tags={"date": "today"}, datasets={})
    for name in ("first", "second"):
        tracker.log_case(CaseRun(name, 0, "failed", (f"test[{name}-seed0]",), 0))
    tracker.log_summary("first", {"accuracy_mean": 0.5})
    notes = tracker.finish([], interrupted=False)
    assert tracker.failures == []
    assert "2 case(s) logged" in notes[0] and "logged by a separate process" in notes[0]
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(child)
    client = mlflow.MlflowClient(uri)
    experiment = client.get_experiment_by_name("process")
    runs = {run.info.run_name: run for run in client.search_runs([experiment.experiment_id])}
    assert {"first-seed0", "second-seed0", "first", "second"} <= set(runs)
    assert runs["first"].data.metrics["accuracy_mean"] == 0.5
    session = next(run for name, run in runs.items() if name.startswith("bench"))
    assert session.info.status == "FINISHED"  # everything was logged
    assert runs["first"].info.status == "FAILED"  # the variant's case failed
    assert runs["first-seed0"].data.tags["mlflow.parentRunId"] == runs["first"].info.run_id


def test_a_store_that_cannot_be_reached_stops_the_session_with_the_same_message():
    uri = f"http://bob:hunter2@127.0.0.1:{free_port()}"
    tracker = TrackingProcess(_settings(uri))
    tracker.connect(wait=False)
    child = tracker._process.pid
    started = time.monotonic()
    with pytest.raises(TrackingError) as error:
        tracker.connect()
    message = str(error.value)
    assert "bob:***@127.0.0.1" in message and "hunter2" not in message
    assert "tracking.no_mlflow" in message  # still a field reference: the plugin shows its flag
    assert tracker._process is None and not _alive(child)  # refused: the child is ended at once
    assert tracker.finish([], interrupted=False) == []
    assert time.monotonic() - started < 30


def test_a_session_that_stops_before_its_first_case_ends_the_child_at_once(tmp_path):
    tracker = TrackingProcess(_settings(f"sqlite:///{tmp_path / 'mlflow.db'}"))
    tracker.connect(wait=False)
    child = tracker._process.pid
    started = time.monotonic()
    assert tracker.finish([], interrupted=False) == []
    assert time.monotonic() - started < 5
    time.sleep(0.5)
    assert not _alive(child)


def test_a_connected_child_with_no_session_run_ends_although_it_ignores_sigterm(tmp_path):
    """Connected (its SIGTERM handler set, warming up): a session refused now, e.g. by its
    data, ends the child with a stop call or SIGKILL, not SIGTERM, which it ignores."""
    tracker = TrackingProcess(_settings(f"sqlite:///{tmp_path / 'mlflow.db'}"))
    tracker.connect()
    child = tracker._process.pid
    started = time.monotonic()
    assert tracker.finish([], interrupted=False) == []
    assert time.monotonic() - started < 10
    assert not _alive(child)


@pytest.mark.parametrize("started", [False, True], ids=["connected", "session run open"])
def test_an_interpreter_that_exits_without_finish_does_not_wait_for_the_child(tmp_path, started):
    """A session that never reaches ``finish`` (a crash, another plugin's error) still exits:
    the child is ended at exit, before multiprocessing would wait for it."""
    script = (
        "from sentiment_models.tracking.process import TrackingProcess\n"
        f"t = TrackingProcess({{'uri': 'sqlite:///{tmp_path / 'm.db'}', 'experiment': 'x'}})\n"
        "t.connect()\n"
        + ("t.start(facts={}, tags={}, datasets={})\n" if started else "")
        + "print(t._process.pid, flush=True)\n"
    )
    begun = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert time.monotonic() - begun < 60
    assert not _alive(int(done.stdout.split()[0]))


def test_a_child_that_dies_is_a_failure_reported_not_a_hang(tmp_path):
    tracker = TrackingProcess(_settings(f"sqlite:///{tmp_path / 'mlflow.db'}"))
    tracker.connect()
    tracker.start(facts={}, tags={}, datasets={})
    os.kill(tracker._process.pid, signal.SIGKILL)
    tracker._process.join(10)
    tracker.log_case(CaseRun("lost", 0, "failed", ("test[lost-seed0]",), 0))
    started = time.monotonic()
    notes = tracker.finish([], interrupted=False)
    assert time.monotonic() - started < 10
    assert any("the tracking process stopped (exit code -9)" in line for line in tracker.failures)
    assert any(
        line.startswith("MLflow: NOT logged: the tracking process stopped") for line in notes
    )


def test_the_child_ends_when_the_session_is_killed(tmp_path):
    script = (
        "import os, signal\n"
        "from sentiment_models.tracking.process import TrackingProcess\n"
        f"t = TrackingProcess({{'uri': 'sqlite:///{tmp_path / 'm.db'}', 'experiment': 'x'}})\n"
        "t.connect()\n"
        "print(t._process.pid, flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr[-2000:]
    child = int(done.stdout.split()[0])
    deadline = time.monotonic() + 15
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(child), "the tracking process outlived the session"


def _report_when_untimed(event, reported) -> None:
    runtime.share_untimed(event=event)
    runtime.wait_untimed()
    reported.put(time.monotonic())


def test_the_child_sees_the_timed_phases_of_the_session():
    context = multiprocessing.get_context("spawn")
    shared = runtime.share_untimed(context)
    reported = context.Queue()
    try:
        with runtime.timed_phase():
            child = context.Process(target=_report_when_untimed, args=(shared, reported))
            child.start()
            time.sleep(2.0)
            assert reported.empty(), "background work ran during a timed phase"
            ended = time.monotonic()
        assert reported.get(timeout=30) >= ended
        child.join(10)
    finally:
        runtime.share_untimed(event=_threading_event())


def _threading_event():
    import threading

    event = threading.Event()
    event.set()
    return event


def test_a_variant_that_cannot_describe_itself_is_still_logged(pytester, bench_dir, tmp_path):
    import mlflow

    from tests.test_faults import BROKEN_VARIANT

    pytester.makeconftest(BROKEN_VARIANT)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    args = bench_dir.tracked()
    result = pytester.runpytest_subprocess(*args, "-k", "broken", "--mlflow-uri", uri)
    result.assert_outcomes(passed=1, failed=1)
    output = result.stdout.str() + result.stderr.str()
    assert "INTERNALERROR" not in output and "NOT logged" not in output
    client = mlflow.MlflowClient(uri)
    experiment = client.get_experiment_by_name("sentiment-bench")
    runs = client.search_runs([experiment.experiment_id], "attributes.run_name = 'broken-seed0'")
    assert [run.data.tags["outcome"] for run in runs] == ["failed"]
    assert "cannot describe myself" in runs[0].data.tags["error.evaluate"]
