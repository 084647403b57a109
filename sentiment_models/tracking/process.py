"""Tracking in a process of its own: :class:`TrackingProcess` runs an ``MlflowTracker`` in a
child process (spawned, so that no framework state is inherited) and hands it the session's
calls one at a time, in order. What logging costs the CPU (importing MLflow, drawing the plots,
packaging the model, thousands of small HTTP requests) then runs on another core than the
bench, not in the bench's own interpreter, where it would compete with the cases for one lock.

The protocol and its promises are the tracker's: ``connect`` raises before any training (its
check runs while the session loads its data: the result is awaited before the session run
opens), ``flush`` waits for every case, and ``finish`` brings back the failures and the notes.
The child holds off its heavy steps while a timed phase runs here, as a thread would: the
marker of timed phases is an event both processes see (``runtime.share_untimed``). The child
ignores Ctrl-C and SIGTERM (the terminal or a CI runner sends them to both): the session ends
its run as killed itself. So the child is ended by a stop call, else killed (SIGKILL): never
by SIGTERM, which it would ignore while the session waits for it."""

from __future__ import annotations

import atexit
import contextlib
import importlib
import multiprocessing
import os
import pickle
import queue
import signal
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sentiment_models import runtime
from sentiment_models.errors import BenchError, TrackingError
from sentiment_models.tracking import CaseRun

SESSION_LINE = "MLflow: session run "
STOP = "stop"
"""The call that ends the child."""
STOP_WAIT = 30.0
"""Seconds ``finish`` gives the child to end after its last answer."""
QUIT_WAIT = 2.0
"""Seconds a child with nothing left to log (no session run, or refused) gets to stop."""
WARM_UP = (
    "matplotlib.pyplot",
    "mlflow.pyfunc",
    "sklearn.metrics",
    "skops.io",
    "sentiment_models.data",
    "sentiment_models.results",
    "sentiment_models.tracking.pyfunc",
    "sentiment_models.variants.base",
)
"""What the child imports before any case trains (see ``_warm_up``)."""

_tracker: Any = None
"""The child's ``MlflowTracker``."""


@dataclass(frozen=True)
class VariantSnapshot:
    """What the tracker reads of a trained variant, without the model itself (which stays in
    the bench's process: the child reads the saved model folder)."""

    name: str
    classes_: Any
    requirements: tuple[str, ...]
    search_results: list[dict[str, Any]] | None
    description: Any
    parameters: dict[str, Any]
    preprocessing: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, variant: Any) -> VariantSnapshot:
        """A variant that cannot describe itself (its case failed for it) is logged without
        its description or parameters."""
        return cls(
            name=variant.name,
            classes_=getattr(variant, "classes_", None),
            requirements=tuple(variant.requirements),
            search_results=variant.search_results,
            description=_taken(variant.describe, {}),
            parameters=_taken(variant.hyperparameters, {}),
            preprocessing=_taken(variant.preprocessing_config, {}),
        )

    def describe(self) -> Any:
        return self.description

    def hyperparameters(self) -> dict[str, Any]:
        return self.parameters

    def preprocessing_config(self) -> dict[str, Any]:
        return self.preprocessing


def _taken(method: Any, default: Any) -> Any:
    try:
        return method()
    except Exception:
        return default


class TrackingProcess:
    """The ``Tracker`` protocol, carried out by an ``MlflowTracker`` in a child process.

    Calls go down one queue and their answers come back, in the same order, up another;
    the session reads an answer only where it must wait (``connect``, ``flush``,
    ``finish``). A child that dies is a failure recorded, never a crash or a hang."""

    enabled = True

    def __init__(self, settings: Mapping[str, Any]) -> None:
        self.settings = dict(settings)
        """``MlflowTracker``'s arguments (``uri``, ``experiment``, ``register``, ...)."""
        self.seconds = 0.0
        """Time the session spent handing calls over and waiting for them."""
        self.failures: list[str] = []
        self._process: Any = None
        self._calls: Any = None
        self._answers: Any = None
        self._sent = 0
        self._answered = 0
        self._connect_call = 0
        self._started = False
        self._notes: list[str] = []

    # -- the protocol ---------------------------------------------------------------------
    def connect(self, wait: bool = True) -> None:
        """Start the child and its check of the store (it imports MLflow and what logging
        needs while the session loads its data); ``wait`` for the outcome."""
        if self._process is None:
            self._spawn()
            self._connect_call = self._send("connect")
        if wait:
            try:
                self._answer(self._connect_call)
            except BaseException:  # refused (or interrupted): nothing will be logged
                self._end(QUIT_WAIT)
                raise

    def start(self, **arguments: Any) -> None:
        self._answer(self._connect_call)
        self._started = True
        self._send("start", **arguments)  # its failures are recorded, like a case's

    def open_variants(self, names: Sequence[str]) -> None:
        self._send("open_variants", list(names))

    def refs(self, name: str) -> dict[str, str]:
        return {}  # this process's own cases: nothing to hand over

    def adopt(self, name: str, refs: Mapping[str, str], failures: Sequence[str]) -> None:
        if refs or failures:  # an xdist worker's case
            self._send("adopt", name, dict(refs), list(failures))

    def log_case(self, case: CaseRun) -> None:
        variant = VariantSnapshot.of(case.variant) if case.variant is not None else None
        self._send("log_case", replace(case, variant=variant))

    def flush(self) -> None:
        if self._process is not None:
            self._sync(self._answer(self._send("flush")))

    def log_summary(self, name: str, metrics: Mapping[str, float]) -> None:
        self._send("log_summary", name, dict(metrics))

    def finish(self, files: Sequence[Path], interrupted: bool, failed: bool = False) -> list[str]:
        """Close the session run and end the child; a child with no session run to close
        (the session stopped before its first case) is ended at once."""
        if self._process is None:
            return []
        if self._started:
            self._sync(self._answer(self._send("finish", list(files), interrupted, failed)))
            self._end(STOP_WAIT)
        else:
            self._end(QUIT_WAIT)
        return [
            f"{line}; logged by a separate process, the session waited {self.seconds:.1f} s "
            "for it in all"
            if line.startswith(SESSION_LINE)
            else line
            for line in self._notes
        ]

    # -- plumbing -------------------------------------------------------------------------
    def _spawn(self) -> None:
        started = time.perf_counter()
        context = multiprocessing.get_context("spawn")  # no framework state inherited
        self._calls, self._answers = context.Queue(), context.Queue()
        self._process = context.Process(
            target=_serve,
            args=(self._calls, self._answers, self.settings, runtime.share_untimed(context)),
            name="mlflow-tracking",
            daemon=True,  # ended with the session, whatever happens to it
        )
        self._process.start()
        # a session that never reaches finish (a crash, an error in another plugin) must not
        # wait at exit for a child that ignores SIGTERM (multiprocessing's own exit handler
        # terminates, then joins its children): end it first (atexit runs the last added first)
        atexit.register(self._end, 0.0)
        self.seconds += time.perf_counter() - started

    def _end(self, wait: float) -> None:
        """End the child: a stop call and ``wait`` seconds to take it (it may be busy with a
        call, e.g. a slow store's check), then SIGKILL. Idempotent."""
        process, self._process = self._process, None
        if process is None:
            return
        atexit.unregister(self._end)
        if process.is_alive():
            with contextlib.suppress(Exception):  # a queue already closed or broken
                self._calls.put((STOP, (), {}))
            process.join(timeout=wait)
        if process.is_alive():
            process.kill()
            process.join(timeout=QUIT_WAIT)
        with contextlib.suppress(Exception):
            self._calls.cancel_join_thread()  # a call the child never read is dropped
            self._calls.close()

    def _send(self, method: str, *arguments: Any, **named: Any) -> int:
        """Queue a call (pickled by the queue's own thread); returns its number."""
        if self._process is None:  # never connected: nothing to log to
            return 0
        if method != STOP and not self._process.is_alive():
            self._stopped()
            return 0
        self._calls.put((method, arguments, named))
        self._sent += 1
        return self._sent

    def _answer(self, call: int) -> Any:
        """Wait for call ``call``'s answer (the earlier ones are read on the way)."""
        started = time.perf_counter()
        answer = None
        try:
            while self._answered < call:
                try:
                    kind, answer = self._answers.get(timeout=1.0)
                except queue.Empty:
                    if self._process is None or not self._process.is_alive():
                        self._stopped()
                        return None
                    continue
                self._answered += 1
                if kind == "error" and self._answered == self._connect_call:
                    raise answer  # connect's TrackingError, raised in the child
                if kind == "error":
                    self.failures.append(str(answer))
        finally:
            self.seconds += time.perf_counter() - started
        return answer

    def _stopped(self) -> None:
        code = self._process.exitcode if self._process is not None else None
        line = f"the tracking process stopped (exit code {code}); what was left was not logged"
        if line not in self.failures:
            self.failures.append(line)
        self._answered = self._sent  # nothing more will come

    def _sync(self, state: dict[str, Any] | None) -> None:
        if state is None:
            self._notes = [f"MLflow: NOT logged: {line}" for line in self.failures]
            return
        known = [line for line in self.failures if line not in state["failures"]]
        self.failures = [*state["failures"], *known]
        self._notes = [*state["notes"], *(f"MLflow: NOT logged: {line}" for line in known)]


# -- in the child ---------------------------------------------------------------------------
def _serve(calls: Any, answers: Any, settings: dict[str, Any], untimed: Any) -> None:
    """The child: set up, then answer each call in order until told to stop. Signals are
    the session's to handle (it ends the run as killed)."""
    global _tracker
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, signal.SIG_IGN)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")  # its INFO lines are not the bench's
    runtime.share_untimed(event=untimed)
    from sentiment_models.tracking.mlflow_tracker import MlflowTracker

    _tracker = MlflowTracker(**settings, notify=_tell)
    parent = multiprocessing.parent_process()
    while True:
        try:
            method, arguments, named = calls.get(timeout=1.0)
        except queue.Empty:
            if parent is not None and not parent.is_alive():  # the session was killed
                os._exit(1)
            continue
        if method == STOP:
            break
        try:
            answers.put(("ok", _call(method, *arguments, **named)))
        except Exception as error:
            answers.put(("error", _portable(error)))
        else:
            if method == "connect":  # answered: the session goes on while this runs
                _warm_up()
    answers.close()
    answers.join_thread()
    sys.stdout.flush()
    sys.stderr.flush()
    # MLflow's own exit handlers have nothing left to do, and tearing down the interpreter
    # of a process that imported MLflow, scikit-learn and matplotlib takes seconds
    os._exit(0)


def _call(method: str, *arguments: Any, **named: Any) -> Any:
    """Run one tracker call; the state the session reads comes back with flush and finish."""
    answer = getattr(_tracker, method)(*arguments, **named)
    if method in ("flush", "finish"):
        return {"failures": list(_tracker.failures), "notes": answer or []}
    return None


def _warm_up() -> None:
    """Import, before the first case is logged, what logging it needs: the modules of the
    records it receives, the plots', MLflow's model packaging, what loads the models (MLflow
    checks that a logged model serves) and MLflow's map of installed packages. Each import
    waits while a timed phase runs, like the rest of the logging."""
    import matplotlib

    matplotlib.use("Agg")
    for module in WARM_UP:
        runtime.wait_untimed()
        with contextlib.suppress(Exception):  # only a head start: logging imports it anyway
            importlib.import_module(module)
    runtime.wait_untimed()
    with contextlib.suppress(Exception):  # a private helper: a later MLflow may lack it
        from mlflow.utils.requirements_utils import _init_packages_to_modules_map

        _init_packages_to_modules_map()


def _portable(error: Exception) -> Exception:
    """``error`` itself when it survives pickling (connect's TrackingError is raised again
    in the session as it was), else a TrackingError with its message."""
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        if isinstance(error, BenchError) and error.args:
            return TrackingError(error.args[0])
        return TrackingError(f"{type(error).__name__}: {error}".splitlines()[0][:300])
    return error


def _tell(line: str) -> None:
    print(line, file=sys.__stderr__, flush=True)  # the terminal, even while MLflow's is quiet
