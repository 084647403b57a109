"""The results' side of a session, wherever its cases run. Every case's outcome and phase
timing travel on its test report: in a serial session they are read in the same process;
under pytest-xdist the controller reads the reports its workers send. The controller also hands
its session key to each worker, opens the one MLflow session run once the workers have
collected their cases (before any case runs), shows each finished case, and says when a
worker died (its running case fails; every finished case is kept)."""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING, Any

import pytest

from sentiment_models.errors import BenchError
from sentiment_models.pytest_plugin.items import CASE_NODE, case_id
from sentiment_models.pytest_plugin.safety import check_benchmark_outputs
from sentiment_models.pytest_plugin.session import ResultsSession
from sentiment_models.pytest_plugin.terminal import elapsed
from sentiment_models.pytest_plugin.timings import ATTRIBUTE as TIMING
from sentiment_models.pytest_plugin.timings import add_benchmark
from sentiment_models.variants import variant_names

if TYPE_CHECKING:
    from sentiment_models.pytest_plugin.terminal import TerminalLines

OUTCOME = "sentiment_bench_outcome"
"""Report attribute carrying a case's outcome (pytest serializes it from xdist workers)."""
WORKER_INPUT = "sentiment_bench_key"
WORKERS_HERE = "sentiment_bench_workers_here"
"""How many workers share the worker's machine (its threads default to its cores over that)."""
LOOPBACK = ("127.0.0.1", "localhost", "::1")
SCHEDULED = ("load", "loadgroup")
"""The ``--dist`` modes (``-n`` alone means load) in which the bench deals its own scopes: a
case's two phases (with ``--gate``: a variant's every case) share a worker."""


class ResultsCollector:
    """Registered on the process that writes the results (never on an xdist worker)."""

    NAME = "sentiment-bench-results"

    def __init__(
        self, config: pytest.Config, session: ResultsSession, key: str, lines: TerminalLines
    ) -> None:
        self.config = config
        self.session = session
        self.key = key
        self.lines = lines
        self.distributed = config.getoption("dist", "no") != "no"
        self.started = False
        self.paths_as_given: pytest.MonkeyPatch | None = None
        self.running: dict[str, tuple[str, float]] = {}
        """Node id -> (case and phase, when it started) of the cases workers are running."""
        self.local_up: set[str] = set()
        """The workers up on this machine, sharing its cores (``cores``)."""

    def _write(self, line: str) -> None:
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.ensure_newline()
            reporter.write_line(line)

    # -- every session ---------------------------------------------------------------------
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        payload = getattr(report, OUTCOME, None)
        if payload is not None:
            from sentiment_models.results import CaseOutcome, from_json

            outcome = from_json(CaseOutcome, payload)
            rejected = self.session.book.collect(outcome)
            if self.distributed:
                self._write(rejected or _progress_line(outcome))
        elif report.failed and self.distributed and (found := CASE_NODE.search(report.nodeid)):
            # no outcome came: the worker died in this phase (a replacement may run the next)
            lines = [line for line in report.longreprtext.splitlines() if line.strip()]
            said = [line for line in lines if "crashed" in line] or lines[-1:] or ["failed"]
            reason = said[0].strip()[:200]
            self.session.book.phase_lost(
                case_id(found["name"], int(found["seed"])), report.nodeid, reason
            )
        timing = getattr(report, TIMING, None)
        if timing is not None:
            add_benchmark(self.config, timing)

    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        if self.distributed and (found := CASE_NODE.search(nodeid)):
            case = case_id(found["name"], int(found["seed"]))
            test = nodeid.rsplit("::", 1)[-1].split("[", 1)[0]
            self.running[nodeid] = (f"{case} ({test})", time.monotonic())

    def pytest_runtest_logfinish(self, nodeid: str, location: Any) -> None:
        self.running.pop(nodeid, None)

    def running_cases(self) -> str:
        """The cases the workers are running, for the controller's heartbeat."""
        now = time.monotonic()
        return "; ".join(
            f"{label} for {elapsed(now - started)}" for label, started in self.running.values()
        )

    # -- the xdist controller (optional hooks: pytest-xdist defines them) ----------------------
    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput[WORKER_INPUT] = self.key
        node.workerinput[WORKERS_HERE] = _workers_on_host(self.config, node.gateway.spec)
        if not _remote(node.gateway.spec):
            self.local_up.add(node.gateway.id)
            self._record_cores()

    def _record_cores(self) -> None:
        from sentiment_models.pytest_plugin.cores import record_running

        with contextlib.suppress(OSError):  # unwritten, the workers keep their size
            record_running(self.session.settings.rootdir, self.key, len(self.local_up))

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_setupnodes(self, config: pytest.Config, specs: list[Any]) -> None:
        """Remote workers (``--tx socket=...`` / ``ssh=...``, or any ``//chdir=``) run the
        project installed where they run, in their ``//chdir`` folder. pytest-xdist's rsync
        (deprecated, gone in xdist 4) would copy this process's ``pytest`` and ``_pytest``
        into that folder, and it refuses a path argument (``pytest bench``) outside its rsync
        roots. Copy nothing; hand the arguments over as given: each worker reads them where
        it runs."""
        if not any(_remote(spec) for spec in specs):
            return
        from xdist import workermanage

        manager = getattr(config.pluginmanager.get_plugin("dsession"), "nodemanager", None)
        if manager is None or not hasattr(workermanage, "make_reltoroot"):
            return  # another pytest-xdist: its own rules apply
        manager.roots = []
        self.paths_as_given = pytest.MonkeyPatch()
        self.paths_as_given.setattr(workermanage, "make_reltoroot", _as_given)

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if self.paths_as_given is not None:
            self.paths_as_given.undo()
        if self.local_up or self.distributed:
            from sentiment_models.pytest_plugin.cores import forget

            forget(self.session.settings.rootdir, self.key)

    @pytest.hookimpl(optionalhook=True, tryfirst=True)
    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> Any:
        if config.getvalue("dist") not in SCHEDULED:
            return None  # the user chose another mode: xdist's own scheduler
        from sentiment_models.pytest_plugin.scheduling import VariantScheduling, expected_seconds

        settings = self.session.settings
        by_seed = settings.scope_by_seed
        costs = expected_seconds(settings, by_seed)
        return VariantScheduling(config, log, costs=costs, by_seed=by_seed)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        """Once, when the first worker has collected bench cases (workers have checked the
        options, data and store in their collection): load the data here too, for the
        digests every worker's results must match, and open the session run."""
        if self.started:
            return
        known = set(variant_names())
        names = list(
            dict.fromkeys(
                found["name"]
                for node_id in ids
                if (found := CASE_NODE.search(node_id)) and found["name"] in known
            )
        )
        if not names:
            return
        self.started = True
        session = self.session
        try:
            session.begin(
                names,
                key=self.key,
                check_outputs=lambda: check_benchmark_outputs(self.config),
            )
        except BenchError as error:  # stops the session as in a serial run, workers and all
            from sentiment_models.pytest_plugin.options import usage_error

            session.refuse(usage_error(error))
        settings = session.settings
        self.lines.watch(self.running_cases)
        unit = "a seed" if settings.scope_by_seed else "a variant and all its seeds (--gate)"
        self._write(
            f"sentiment-bench: {len(names)} variant(s) over {settings.workers} xdist worker(s), "
            f"{unit} at a time per worker, {settings.threads} thread(s) per worker"
        )

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object | None) -> None:
        if node.gateway.id in self.local_up:  # its cores go to the workers still running
            self.local_up.discard(node.gateway.id)
            self._record_cores()
        if error:
            self.session.book.worker_died(node.gateway.id, str(error))


def _remote(spec: Any) -> bool:
    """Whether xdist treats a gateway as remote: it runs in a folder of its own."""
    return not spec.popen or bool(spec.chdir)


def _as_given(roots: Any, args: list[str]) -> list[str]:
    """The arguments a remote worker gets: as given on the command line."""
    return list(args)


def check_gateways(config: pytest.Config) -> None:
    """Refuse ``--tx`` without ``--dist`` (xdist would ignore it) and a remote gateway
    without a working folder (xdist would start it in ``pyexecnetcache`` under the remote
    user's home, where the project is not)."""
    if config.getoption("dist", "no") == "no":
        if config.getoption("tx", None):
            raise pytest.UsageError(
                "--tx starts no worker without --dist: add --dist load (pytest-xdist would "
                "otherwise run every case here, in one process)"
            )
        return
    from execnet import XSpec
    from xdist.workermanage import parse_tx_spec_config

    for text in parse_tx_spec_config(config):
        spec = XSpec(text)
        if not spec.popen and not spec.chdir:
            raise pytest.UsageError(
                f"--tx {text}: a remote worker needs the folder of the project's checkout on "
                f"its host; add //chdir=DIR (for example --tx {text}//chdir=/srv/bench). The "
                "project, at this commit, must be installed there: nothing is copied to it."
            )


def _host(spec: Any) -> str:
    """The machine an execnet gateway spec runs on (``local`` for popen and loopback)."""
    if spec.ssh:
        return str(spec.ssh)
    if spec.socket:
        host = str(spec.socket).rsplit(":", 1)[0].strip("[]")
        return "local" if host in LOOPBACK else host
    return "local"


def _workers_on_host(config: pytest.Config, spec: Any) -> int:
    from execnet import XSpec
    from xdist.workermanage import parse_tx_spec_config

    hosts = [_host(XSpec(text)) for text in parse_tx_spec_config(config)]
    return max(1, hosts.count(_host(spec)))


def _progress_line(outcome: Any) -> str:
    key = case_id(outcome.variant, outcome.seed)
    record = outcome.record
    if record is None:
        errors = "; ".join(f"{phase}: {error}" for phase, error in outcome.errors.items())
        return f"[{outcome.worker}] {key}: failed ({errors or 'see the test report'})"
    run = record.first
    return (
        f"[{outcome.worker}] {key}: test accuracy {run.test.accuracy:.4f}, trained in "
        f"{run.train.seconds:.1f} s, evaluated in {run.evaluate.seconds:.1f} s"
    )
