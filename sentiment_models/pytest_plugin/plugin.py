"""pytest hooks and options of the sentiment benchmark; the work is in ``session`` and ``case``."""

from __future__ import annotations

import pytest

from sentiment_models.data.base import DataError
from sentiment_models.pytest_plugin.case import BenchCase
from sentiment_models.pytest_plugin.session import BenchSession
from sentiment_models.pytest_plugin.settings import OPTIONS, BenchSettings
from sentiment_models.variants import ParameterError, variant_names

SESSION_KEY = pytest.StashKey[BenchSession]()
FIXTURE = "bench_case"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("sentiment-bench", "sentiment model benchmark")
    for name, kwargs in OPTIONS:
        group.addoption(name, dest=name.lstrip("-").replace("-", "_"), **kwargs)


def pytest_configure(config: pytest.Config) -> None:
    get = lambda name: config.getoption(name.lstrip("-").replace("-", "_"))  # noqa: E731
    try:
        settings = BenchSettings.from_options(get, config.rootpath)
    except (DataError, ParameterError) as error:
        raise pytest.UsageError(str(error)) from None
    config.stash[SESSION_KEY] = BenchSession(settings, config.rootpath)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if FIXTURE in metafunc.fixturenames:
        names = variant_names()
        metafunc.parametrize(FIXTURE, names, indirect=True, ids=names)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Load and check the data once, before any case runs, if any bench case was selected."""
    if not any(FIXTURE in getattr(item, "fixturenames", ()) for item in items):
        return
    session = config.stash[SESSION_KEY]
    try:
        session.prepare()
    except DataError as error:
        raise pytest.UsageError(str(error)) from None
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(session.data_line())


@pytest.fixture
def bench_case(request: pytest.FixtureRequest) -> BenchCase:
    """The case of the variant this test is parametrized with (shared by its two phases)."""
    return request.config.stash[SESSION_KEY].case(request.param)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    bench = session.config.stash.get(SESSION_KEY, None)
    if bench is None:
        return
    interrupted = exitstatus == pytest.ExitCode.INTERRUPTED
    try:
        session.config.stash[_NOTES_KEY] = bench.finish(interrupted)
    finally:
        bench.cleanup()


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    notes = config.stash.get(_NOTES_KEY, [])
    if notes:
        terminalreporter.section("sentiment model comparison")
        for note in notes:
            terminalreporter.write_line(note)


_NOTES_KEY = pytest.StashKey[list[str]]()
