"""pytest hooks of the sentiment benchmark: options, the ``bench_case`` fixture, and hand-off to
the session (``session``), the per-case runner (``case``), the options (``options``) and, under
pytest-xdist, the controller's side (``distributed``) and the phase timings (``timings``)."""

from __future__ import annotations

import sys
import uuid
import warnings
from typing import TYPE_CHECKING

import pytest

from sentiment_models.errors import BenchError
from sentiment_models.pytest_plugin import hookspecs
from sentiment_models.pytest_plugin.distributed import (
    OUTCOME,
    WORKER_INPUT,
    WORKERS_HERE,
    ResultsCollector,
)
from sentiment_models.pytest_plugin.options import add_options, flag_name, read_config, usage_error
from sentiment_models.pytest_plugin.safety import (
    BENCHMARK_PROBLEM_KEY,
    check_benchmark_outputs,
    restore_sigterm,
    stop_on_sigterm,
    survive_benchmark_storage_errors,
)
from sentiment_models.pytest_plugin.session import BenchSession, case_id
from sentiment_models.pytest_plugin.terminal import TerminalLines
from sentiment_models.pytest_plugin.timings import ATTRIBUTE as TIMING
from sentiment_models.pytest_plugin.timings import phase_timing
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
FIXTURE = "bench_case"
PHASE_MARKER = "bench_phase"
PHASES = ("train", "evaluate")
XDIST_WARNING = "Benchmarks are automatically disabled because xdist plugin is active"


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def _workers(config: pytest.Config) -> tuple[str, int]:
    """This process's xdist worker id (``main`` when not a worker) and how many workers
    share its machine."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:  # the workers on its machine share its cores
        here = workerinput.get(WORKERS_HERE, workerinput["workercount"])
        return str(workerinput["workerid"]), int(here)
    if config.getoption("dist", "no") != "no":
        from xdist.workermanage import parse_tx_spec_config

        return "main", len(parse_tx_spec_config(config))
    return "main", 1


@pytest.hookimpl(tryfirst=True)  # before pytest-benchmark warns about xdist on a worker
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{PHASE_MARKER}(name): the phase a {FIXTURE} test times: 'train' (fit the variant) or "
        "'evaluate' (predict the test split; the gate decides after it)",
    )
    worker, workers = _workers(config)
    workerinput = getattr(config, "workerinput", {})
    config.stash[RUN_KEY] = workerinput.get(WORKER_INPUT) or uuid.uuid4().hex
    if worker != "main":  # its phase timings reach pytest-benchmark on the controller
        config.addinivalue_line("filterwarnings", f"ignore:{XDIST_WARNING}")
        warnings.filterwarnings("ignore", message=XDIST_WARNING)  # also at its unconfigure
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
        tracker = config.hook.pytest_bench_make_tracker(
            config=config, tracking=values.tracking, worker=worker != "main"
        )
        session = BenchSession(
            values,
            config.rootpath,
            variant_params=parse_param_overrides(option_params + list(values.run.variant_params)),
            name_field=flag_name,
            extra_rows=extra_rows,
            worker=worker,
            workers=workers,
            tracker=tracker,
        )
    except BenchError as error:
        raise usage_error(error) from None
    config.stash[SESSION_KEY] = session
    stop_on_sigterm(config)
    if worker == "main":
        lines = config.stash[LINES_KEY] = TerminalLines(config)
        session.notify = lines.notice
        if config.getoption("capture", "fd") != "no":  # with -s the runner prints itself
            session.progress = lines.progress
        config.pluginmanager.register(
            ResultsCollector(config, session, config.stash[RUN_KEY]), ResultsCollector.NAME
        )


@pytest.hookimpl(trylast=True)
def pytest_bench_make_tracker(
    config: pytest.Config, tracking: TrackingConfig, worker: bool
) -> Tracker:
    """MLflow, unless ``--no-mlflow`` (another plugin's or a conftest's tracker comes first)."""
    from sentiment_models.tracking.factory import default_tracker

    return default_tracker(tracking, config.rootpath, worker=worker, notify=_stderr)


def _stderr(line: str) -> None:
    print(line, file=sys.stderr)


def pytest_sessionstart(session: pytest.Session) -> None:
    survive_benchmark_storage_errors(session.config)  # pytest-benchmark is configured now


def pytest_unconfigure(config: pytest.Config) -> None:
    restore_sigterm(config)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    lines = item.config.stash.get(LINES_KEY, None)
    if lines is not None:
        lines.phase_started()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One case per variant and seed, ``test_train[lstm-seed1]``: ``-k lstm`` selects every
    seed of lstm, ``-k "lstm and seed1"`` one."""
    if FIXTURE in metafunc.fixturenames:
        cases = metafunc.config.stash[SESSION_KEY].cases_of(variant_names())
        ids = [case_id(name, seed) for name, seed in cases]
        metafunc.parametrize(FIXTURE, cases, indirect=True, ids=ids)


def _case(item: pytest.Item) -> tuple[str, int] | None:
    callspec = getattr(item, "callspec", None)
    return callspec.params.get(FIXTURE) if callspec is not None else None


def _phase(item: pytest.Item) -> str | None:
    """The ``bench_phase`` marker's phase of a bench case (checked at collection)."""
    marker = item.get_closest_marker(PHASE_MARKER)
    return marker.args[0] if marker is not None and marker.args else None


def _check_phases(items: list[pytest.Item]) -> None:
    """Every bench case says its phase: ordering, gating and the tables depend on it."""
    for item in items:
        if _case(item) is not None and _phase(item) not in PHASES:
            raise pytest.UsageError(
                f"{item.nodeid}: a {FIXTURE} test needs @pytest.mark.{PHASE_MARKER}('train') or "
                f"@pytest.mark.{PHASE_MARKER}('evaluate') (found "
                f"{item.get_closest_marker(PHASE_MARKER) or 'no marker'})"
            )


def _variant(item: pytest.Item) -> str | None:
    case = _case(item)
    return case[0] if case else None


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep this ``--shard``'s variants; check the parameters, the data and the tracking store
    once, before any case runs, if any bench case was selected (after ``-k`` / ``-m``: only
    the selected variants). ``--collect-only`` checks the parameters only."""
    session = config.stash[SESSION_KEY]
    if session.config.run.shard is not None:
        outside = [
            item for item in items if (name := _variant(item)) and not session.in_shard(name)
        ]
        if outside:
            config.hook.pytest_deselected(items=outside)
            items[:] = [item for item in items if item not in outside]
    selected = list(dict.fromkeys(name for item in items if (name := _variant(item))))
    if not selected:
        return
    _check_phases(items)
    _case_by_case(items)
    for item in items:  # the seeds whose evaluate phase runs: the gate waits for them all
        if (case := _case(item)) is not None and _phase(item) == "evaluate":
            seeds = session.selected.setdefault(case[0], [])
            if case[1] not in seeds:
                seeds.append(case[1])
    collect_only = config.option.collectonly  # listing cases: no data, no tracking store
    try:
        unavailable = session.set_up(
            selected,
            writes_results=session.worker == "main",
            collect_only=collect_only,
            check_outputs=lambda: check_benchmark_outputs(config),
        )
    except BenchError as error:
        if session.worker == "main":
            raise usage_error(error) from None
        # an xdist worker: the controller stops the session with this message after its own
        # check; if its host passes the check (another machine), these cases fail with it
        session.setup_error = str(usage_error(error))
        return
    for item in items:
        name = _variant(item)
        if name in unavailable:
            item.add_marker(pytest.mark.skip(reason=f"{name}: {unavailable[name]}"))
    if collect_only:
        return
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and session.worker == "main":
        reporter.write_line(session.data_line())
    if set(selected) - set(unavailable):
        session.start_tracking(config.stash[RUN_KEY])


def _case_by_case(items: list[pytest.Item]) -> None:
    """Run each case's evaluate phase right after its train phase (pytest collects every
    train phase first), so that a case is logged to MLflow in the background while the next
    case runs, not all at the end. Other tests keep their places; the cases their order."""
    slots = [index for index, item in enumerate(items) if _case(item) is not None]
    cases = [items[index] for index in slots]
    first = {}
    for position, item in enumerate(cases):
        first.setdefault(_case(item), position)
    ordered = sorted(
        cases,
        key=lambda item: (first[_case(item)], _phase(item) != "train"),
    )
    for index, item in zip(slots, ordered, strict=True):
        items[index] = item


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """A phase that stops on bad input (a BenchError: a file, a row, a setting) fails with
    that one message, not a traceback; after an evaluate phase's body, the session's gate
    decides whether it passes."""
    case = _case(item)
    try:
        result = yield
    except BenchError as error:
        if case is None:
            raise
        pytest.fail(error.render(flag_name), pytrace=False)
    if case is not None and _phase(item) == "evaluate":
        session = item.config.stash[SESSION_KEY]
        try:
            failures = session.check_gate(*case)
        except (BenchError, OSError) as error:  # e.g. a baseline changed during the session
            session.runner(*case).errors["evaluate"] = f"gate: {error}"
            pytest.fail(f"gate: {error}", pytrace=False)
        if failures:
            pytest.fail("\n".join(failures), pytrace=False)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> pytest.TestReport:
    """After a phase's test body: hand the case to tracking once its last phase is done."""
    report = yield
    lines = item.config.stash.get(LINES_KEY, None)
    if lines is not None and call.when == "call":
        lines.phase_finished()  # erase the live progress line before pytest reports
    case = _case(item)
    if call.when == "call" and case is not None:
        from sentiment_models.results import to_json

        session = item.config.stash[SESSION_KEY]
        phase = _phase(item)
        key = case_id(*case)
        outcome = session.phase_done(key, phase, item.nodeid, report.outcome)
        if outcome is not None:
            setattr(report, OUTCOME, to_json(outcome))
        if session.worker != "main" and report.passed:
            timing = phase_timing(item, session.phase_seconds(key, phase))
            if timing is not None:
                setattr(report, TIMING, timing)
    return report


@pytest.fixture
def bench_case(request: pytest.FixtureRequest) -> CaseRunner:
    """The case runner of the variant and seed this test is parametrized with (shared by its
    two phases)."""
    name, seed = request.param
    session = request.config.stash[SESSION_KEY]
    if session.setup_error:
        pytest.fail(f"not run on {session.worker}: {session.setup_error}", pytrace=False)
    return session.runner(name, seed)


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
    failed = bench.tracker.failures or bench.rejected or bench.write_failed or problem
    if failed and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    notes = config.stash.get(NOTES_KEY, [])
    if notes:
        terminalreporter.section("sentiment model comparison")
        for note in notes:
            terminalreporter.write_line(note)
