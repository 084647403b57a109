"""pytest hooks of the sentiment benchmark: options, the ``bench_case`` fixture, and hand-off
to the session (``session``: a ``ResultsSession`` or an xdist ``WorkerSession``, chosen once
here), the per-case runner (``case``), the options (``options``), the bench cases among the
items (``items``) and, under pytest-xdist, the controller's side (``distributed``) and the
phase timings (``timings``)."""

from __future__ import annotations

import sys
import uuid
import warnings
from typing import TYPE_CHECKING

import pytest

from sentiment_models import runtime
from sentiment_models.errors import BenchError
from sentiment_models.pytest_plugin import hookspecs
from sentiment_models.pytest_plugin.distributed import (
    OUTCOME,
    WORKER_INPUT,
    WORKERS_HERE,
    ResultsCollector,
    check_gateways,
)
from sentiment_models.pytest_plugin.items import (
    FIXTURE,
    MARKER_HELP,
    case_by_case,
    case_id,
    case_of,
    check_phases,
    phase_of,
    variant_of,
)
from sentiment_models.pytest_plugin.options import add_options, flag_name, read_config, usage_error
from sentiment_models.pytest_plugin.safety import (
    BENCHMARK_PROBLEM_KEY,
    check_benchmark_outputs,
    restore_sigterm,
    stop_on_sigterm,
    survive_benchmark_storage_errors,
)
from sentiment_models.pytest_plugin.session import BenchSession, ResultsSession, WorkerSession
from sentiment_models.pytest_plugin.settings import MAIN, SessionSettings
from sentiment_models.pytest_plugin.terminal import TerminalLines
from sentiment_models.pytest_plugin.timings import WorkerTimings
from sentiment_models.tracking import lacks
from sentiment_models.variants import parse_param_overrides, register_variant, variant_names

if TYPE_CHECKING:
    from sentiment_models.config import TrackingConfig
    from sentiment_models.pytest_plugin.case import CaseRunner
    from sentiment_models.tracking import Tracker

SESSION_KEY = pytest.StashKey[BenchSession]()
NOTES_KEY = pytest.StashKey[list[str]]()
LINES_KEY = pytest.StashKey[TerminalLines]()
RUN_KEY = pytest.StashKey[str]()
"""This session's key: tags its MLflow session run, handed to every xdist worker."""
XDIST_WARNING = "Benchmarks are automatically disabled because xdist plugin is active"


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def _role(config: pytest.Config) -> tuple[type[BenchSession], str, int]:
    """The one place the role is decided: an xdist worker (with its id), else the process
    that writes the results (a serial session or the xdist controller, id ``main``); and how
    many processes share this machine's cores."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:  # the workers on its machine share its cores
        here = workerinput.get(WORKERS_HERE, workerinput["workercount"])
        return WorkerSession, str(workerinput["workerid"]), int(here)
    if config.getoption("dist", "no") != "no":
        from xdist.workermanage import parse_tx_spec_config

        return ResultsSession, MAIN, len(parse_tx_spec_config(config))
    return ResultsSession, MAIN, 1


@pytest.hookimpl(tryfirst=True)  # before pytest-benchmark warns about xdist on a worker
def pytest_configure(config: pytest.Config) -> None:
    """Build the session of this process's role and register that role's plugin: the
    results collector (serial or controller) or the worker's timings."""
    config.addinivalue_line("markers", MARKER_HELP)
    role, process, workers = _role(config)
    workerinput = getattr(config, "workerinput", {})
    key = config.stash[RUN_KEY] = workerinput.get(WORKER_INPUT) or uuid.uuid4().hex
    if role is WorkerSession:  # its phase timings reach pytest-benchmark on the controller
        config.addinivalue_line("filterwarnings", f"ignore:{XDIST_WARNING}")
        warnings.filterwarnings("ignore", message=XDIST_WARNING)  # also at its unconfigure
        session = _session(config, role, process, workers)
        config.pluginmanager.register(WorkerTimings(session.book.phase_seconds), WorkerTimings.NAME)
        if session.settings.config.run.threads is None:
            runtime.on_resize(lambda: _widen(config))
    else:
        check_gateways(config)
        session = _session(config, role, process, workers)
        lines = config.stash[LINES_KEY]
        config.pluginmanager.register(
            ResultsCollector(config, session, key, lines), ResultsCollector.NAME
        )
    stop_on_sigterm(config)


def _session(
    config: pytest.Config,
    role: type[BenchSession],
    process: str,
    workers: int,
) -> BenchSession:
    """The session of ``role``, its variants registered and its options read (a bad option
    is a usage error), kept in the configuration's stash; the process that writes the
    results also shows progress (``TerminalLines``, in the stash too)."""
    try:
        for variants in config.hook.pytest_bench_variants(config=config):
            for name, target in (variants or {}).items():
                register_variant(name, target)
        values, option_params = read_config(config)
        extra_rows = [
            row
            for rows in config.hook.pytest_bench_comparison_rows(config=config)
            for row in rows or ()
        ]
        lines = None
        if role is ResultsSession:
            lines = config.stash[LINES_KEY] = TerminalLines(
                config, plain_interval=values.run.progress_every
            )
        shown = lines is not None and config.getoption("capture", "fd") != "no"
        settings = SessionSettings(
            values,
            config.rootpath,
            variant_params=parse_param_overrides(option_params + list(values.run.variant_params)),
            process=process,
            workers=workers,
            name_field=flag_name,
            extra_rows=extra_rows,
            notify=lines.notice if lines is not None else None,
            progress=lines.progress if shown else None,  # with -s the runner prints itself
        )
        tracker = config.hook.pytest_bench_make_tracker(
            config=config, tracking=values.tracking, worker=role is WorkerSession
        )
        _check_tracker(tracker)
        session = config.stash[SESSION_KEY] = role(settings, tracker)
    except BenchError as error:
        raise usage_error(error) from None
    return session


def _check_tracker(tracker: object) -> None:
    """Refuse a tracker from ``pytest_bench_make_tracker`` that lacks part of the protocol,
    before any training (it would fail mid-session, where results are at stake)."""
    if missing := lacks(tracker):
        kind = type(tracker)
        raise BenchError(
            f"the tracker from pytest_bench_make_tracker ({kind.__module__}.{kind.__qualname__})"
            f" lacks {', '.join(missing)}: a tracker needs every method and attribute of "
            "sentiment_models.tracking.Tracker (docs/variants.md, 'Another tracker')"
        )


@pytest.hookimpl(trylast=True)
def pytest_bench_make_tracker(
    config: pytest.Config, tracking: TrackingConfig, worker: bool
) -> Tracker:
    """MLflow, unless ``--no-mlflow`` (another plugin's or a conftest's tracker comes first);
    its console output goes to a log file unless ``-v``."""
    from sentiment_models.tracking.console import default_log
    from sentiment_models.tracking.factory import default_tracker

    console_log = None if config.getoption("verbose", 0) > 0 else default_log(config.rootpath)
    return default_tracker(
        tracking, config.rootpath, worker=worker, notify=_stderr, console_log=console_log
    )


def _stderr(line: str) -> None:
    print(line, file=sys.stderr)


def pytest_sessionstart(session: pytest.Session) -> None:
    survive_benchmark_storage_errors(session.config)  # pytest-benchmark is configured now


def pytest_unconfigure(config: pytest.Config) -> None:
    restore_sigterm(config)
    runtime.on_resize(None)
    lines = config.stash.get(LINES_KEY, None)
    if lines is not None:
        lines.close()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    lines = item.config.stash.get(LINES_KEY, None)
    if lines is not None:
        case, phase = case_of(item), phase_of(item)
        lines.phase_started(f"{case_id(*case)} {phase}" if case and phase else None)
    if hasattr(item.config, "workerinput") and case_of(item) is not None:
        _widen(item.config)


def _widen(config: pytest.Config) -> None:
    """On an xdist worker, before each phase and between the steps of a long fit
    (``runtime.resize_point``): take the share of the cores that finished workers freed."""
    from sentiment_models.pytest_plugin.cores import widen

    settings = config.stash[SESSION_KEY].settings
    run = settings.config.run
    widen(
        settings.rootdir,
        config.stash[RUN_KEY],
        settings.threads,
        given=run.threads is not None,
        device=run.device,
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One case per variant and seed, ``test_train[lstm-seed1]``: ``-k lstm`` selects every
    seed of lstm, ``-k "lstm and seed1"`` one."""
    if FIXTURE in metafunc.fixturenames:
        settings = metafunc.config.stash[SESSION_KEY].settings
        cases = settings.cases_of(variant_names())
        ids = [case_id(name, seed) for name, seed in cases]
        metafunc.parametrize(FIXTURE, cases, indirect=True, ids=ids)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep this ``--shard``'s variants; then, if any bench case was selected (after ``-k`` /
    ``-m``), set the session up (parameters, stores, data, tracking) once, before any case
    runs. ``--collect-only`` checks the parameters only."""
    session = config.stash[SESSION_KEY]
    outside = [
        item for item in items if (name := variant_of(item)) and not session.settings.in_shard(name)
    ]
    if outside:
        config.hook.pytest_deselected(items=outside)
        items[:] = [item for item in items if item not in outside]
    selected = list(dict.fromkeys(name for item in items if (name := variant_of(item))))
    if not selected:
        if outside:  # e.g. `--shard 2/2 -k simple`: pytest alone would say "N deselected"
            names = dict.fromkeys(name for item in outside if (name := variant_of(item)))
            settings = session.settings
            session.tell(
                f"sentiment-bench: --shard {settings.config.run.shard} holds none of the "
                "selected variants ("
                + ", ".join(f"{name} is in shard {settings.shard_of(name)}" for name in names)
                + "); nothing to run here"
            )
        return
    check_phases(items)
    case_by_case(items)
    for item in items:  # the seeds whose evaluate phase runs: the gate waits for them all
        if (case := case_of(item)) is not None and phase_of(item) == "evaluate":
            session.book.select(*case)
    try:
        unavailable = session.begin(
            selected,
            key=config.stash[RUN_KEY],
            collect_only=config.option.collectonly,  # listing cases: no data, no store
            check_outputs=lambda: check_benchmark_outputs(config),
        )
    except BenchError as error:
        session.refuse(usage_error(error))
        return
    for item in items:
        name = variant_of(item)
        if name in unavailable:
            item.add_marker(pytest.mark.skip(reason=f"{name}: {unavailable[name]}"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """A phase that stops on bad input (a BenchError: a file, a row, a setting) fails with
    that one message, not a traceback; after an evaluate phase's body, the session's gate
    decides whether it passes."""
    case = case_of(item)
    try:
        result = yield
    except BenchError as error:
        if case is None:
            raise
        pytest.fail(error.render(flag_name), pytrace=False)
    if case is not None and phase_of(item) == "evaluate":
        book = item.config.stash[SESSION_KEY].book
        try:
            failures = book.check_gate(*case)
        except (BenchError, OSError) as error:  # e.g. a baseline changed during the session
            book.gate_error(*case, str(error))
            pytest.fail(f"gate: {error}", pytrace=False)
        if failures:
            pytest.fail("\n".join(failures), pytrace=False)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> pytest.TestReport:
    """After a phase's test body: hand the case to tracking once its last phase is done, and
    its outcome to the process that writes the results (on the report)."""
    report = yield
    lines = item.config.stash.get(LINES_KEY, None)
    if lines is not None and call.when == "call":
        lines.phase_finished()  # erase the live progress line before pytest reports
    case = case_of(item)
    if call.when == "call" and case is not None:
        from sentiment_models.results import to_json

        book = item.config.stash[SESSION_KEY].book
        outcome = book.phase_done(case_id(*case), phase_of(item) or "", item.nodeid, report.outcome)
        if outcome is not None:
            setattr(report, OUTCOME, to_json(outcome))
    return report


@pytest.fixture
def bench_case(request: pytest.FixtureRequest) -> CaseRunner:
    """The case runner of the variant and seed this test is parametrized with (shared by its
    two phases)."""
    name, seed = request.param
    session = request.config.stash[SESSION_KEY]
    if session.setup_error:
        pytest.fail(f"not run on {session.settings.process}: {session.setup_error}", pytrace=False)
    return session.book.runner(name, seed)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Write the tables (and log them) after pytest-benchmark has written its JSON."""
    bench = session.config.stash.get(SESSION_KEY, None)
    if bench is None:
        return
    interrupted = exitstatus == pytest.ExitCode.INTERRUPTED
    benchmark_json = session.config.getoption("benchmark_json", None)
    problem = session.config.stash.get(BENCHMARK_PROBLEM_KEY, "")
    try:
        notes = bench.finish(interrupted, benchmark_json)
        session.config.stash[NOTES_KEY] = [*notes, *([problem] if problem else [])]
    finally:
        bench.cleanup()
    if (bench.failed or problem) and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    notes = config.stash.get(NOTES_KEY, [])
    if notes:
        terminalreporter.section("sentiment model comparison")
        for note in notes:
            terminalreporter.write_line(note)
