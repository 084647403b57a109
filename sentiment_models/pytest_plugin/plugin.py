"""pytest hooks and options of the sentiment benchmark; the work is in ``session`` and ``case``."""

from __future__ import annotations

import pytest

from sentiment_models.data.base import DataError
from sentiment_models.pytest_plugin.case import BenchCase
from sentiment_models.pytest_plugin.session import BenchSession
from sentiment_models.pytest_plugin.settings import OPTIONS, BenchSettings
from sentiment_models.tracking.uri import TrackingError
from sentiment_models.variants import ParameterError, variant_names

SESSION_KEY = pytest.StashKey[BenchSession]()
FIXTURE = "bench_case"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("sentiment-bench", "sentiment model benchmark")
    for name, kwargs in OPTIONS:
        group.addoption(name, dest=name.lstrip("-").replace("-", "_"), **kwargs)
    parser.addini("bench_profile", "default --bench-profile (quick or full)", default=None)


def pytest_configure(config: pytest.Config) -> None:
    get = lambda name: config.getoption(name.lstrip("-").replace("-", "_"))  # noqa: E731
    try:
        settings = BenchSettings.from_options(get, config.rootpath, config.getini("bench_profile"))
    except (DataError, ParameterError, TrackingError, ValueError) as error:
        raise pytest.UsageError(str(error)) from None
    config.stash[SESSION_KEY] = BenchSession(settings, config.rootpath)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if FIXTURE in metafunc.fixturenames:
        names = variant_names()
        metafunc.parametrize(FIXTURE, names, indirect=True, ids=names)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Load and check the data once, before any case runs, if any bench case was selected
    (after ``-k`` / ``-m`` deselection, so only the selected variants are checked)."""
    selected = list(
        dict.fromkeys(
            item.callspec.params[FIXTURE]
            for item in items
            if FIXTURE in getattr(item, "fixturenames", ())
        )
    )
    if not selected:
        return
    session = config.stash[SESSION_KEY]
    try:
        unavailable = session.preflight(selected)
        session.prepare()
        session.connect_tracking()
    except (DataError, TrackingError, ValueError) as error:
        raise pytest.UsageError(str(error)) from None
    for item in items:
        name = getattr(item, "callspec", None) and item.callspec.params.get(FIXTURE)
        if name in unavailable:
            item.add_marker(pytest.mark.skip(reason=f"{name}: {unavailable[name]}"))
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(session.data_line())
    if set(selected) - set(unavailable):
        session.start_tracking()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> pytest.TestReport:
    """After a phase's test body: hand the case to tracking once its last phase is done."""
    report = yield
    if call.when == "call" and FIXTURE in getattr(item, "fixturenames", ()):
        name = item.callspec.params[FIXTURE]
        phase = item.originalname.removeprefix("test_")
        item.config.stash[SESSION_KEY].phase_done(name, phase, item.nodeid, report.outcome)
    return report


@pytest.fixture
def bench_case(request: pytest.FixtureRequest) -> BenchCase:
    """The case of the variant this test is parametrized with (shared by its two phases)."""
    return request.config.stash[SESSION_KEY].case(request.param)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Write the tables (and log them) after pytest-benchmark has written its JSON."""
    bench = session.config.stash.get(SESSION_KEY, None)
    if bench is None:
        return
    interrupted = exitstatus == pytest.ExitCode.INTERRUPTED
    benchmark_json = session.config.getoption("benchmark_json", None)
    try:
        session.config.stash[_NOTES_KEY] = bench.finish(interrupted, benchmark_json)
    finally:
        bench.cleanup()
    if bench.tracker.failures and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    notes = config.stash.get(_NOTES_KEY, [])
    if notes:
        terminalreporter.section("sentiment model comparison")
        for note in notes:
            terminalreporter.write_line(note)


_NOTES_KEY = pytest.StashKey[list[str]]()
