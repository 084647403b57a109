"""Phase timings across xdist workers. pytest-benchmark switches itself off under xdist, so
each worker hands its phase's measured seconds and ``extra_info`` to the controller with the
test report, and the controller gives them to pytest-benchmark's own session as one-round
benchmarks: ``--benchmark-json``, ``--benchmark-autosave`` and ``pytest-benchmark compare``
then work as in a serial session."""

from __future__ import annotations

import re
from collections.abc import Callable, Generator
from types import SimpleNamespace
from typing import Any

import pytest

from sentiment_models.pytest_plugin.items import case_id, case_of, phase_of
from sentiment_models.results import to_json

ATTRIBUTE = "sentiment_bench_timing"
GROUP_SUFFIX = re.compile(r"@[^\[\]]*$")
OPTIONS = {
    "disable_gc": False,
    "timer": "perf_counter",
    "min_rounds": 1,
    "max_time": 0.0,
    "min_time": 0.0,
    "warmup": False,
}


def phase_timing(item: pytest.Item, seconds: float | None) -> dict[str, Any] | None:
    """What a worker sends for a timed phase: the benchmark's names, group, extra info and
    the phase's seconds (None when the phase did not finish)."""
    fixture = getattr(item, "funcargs", {}).get("benchmark")
    if fixture is None or seconds is None:
        return None
    return {
        "name": fixture.name,
        "fullname": GROUP_SUFFIX.sub("", fixture.fullname),
        "group": fixture.group,
        "param": fixture.param,
        "params": to_json(fixture.params),
        "extra_info": to_json(fixture.extra_info),
        "seconds": float(seconds),
    }


def add_benchmark(config: pytest.Config, timing: dict[str, Any]) -> bool:
    """On the controller: one worker phase as a one-round pytest-benchmark result. Returns
    False when pytest-benchmark is absent or was switched off by the user."""
    from pytest_benchmark.stats import Metadata

    session = getattr(config, "_benchmarksession", None)
    if session is None or (session.disabled and not session.xdist_warning):
        return False
    fixture = SimpleNamespace(
        name=timing["name"],
        fullname=timing["fullname"],
        group=timing["group"],
        param=timing["param"],
        params=timing["params"],
        extra_info=timing["extra_info"],
        cprofile_stats=None,
        has_error=False,
    )
    metadata = Metadata(fixture, iterations=1, options=dict(OPTIONS))
    metadata.update(timing["seconds"])
    session.benchmarks.append(metadata)
    return True


class WorkerTimings:
    """Registered on an xdist worker only: puts each passed phase's timing on its report."""

    NAME = "sentiment-bench-worker-timings"

    def __init__(self, seconds: Callable[[str, str], float | None]) -> None:
        self.seconds = seconds
        """``(case id, phase)`` -> the phase's measured seconds (the session's case book)."""

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        case = case_of(item)
        if call.when == "call" and case is not None and report.passed:
            seconds = self.seconds(case_id(*case), phase_of(item) or "")
            timing = phase_timing(item, seconds)
            if timing is not None:
                setattr(report, ATTRIBUTE, timing)
        return report
