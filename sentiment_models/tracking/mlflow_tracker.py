"""MLflow tracking: one parent run per session, one run per variant with a child run per seed
(grid-search candidates as step metrics of it, in one batch), the model itself as a raw-text
pyfunc, optional registration with a ``champion`` alias. Every call is guarded: a store that
fails is reported, never fatal. The variant runs are opened with the session run, before any
case runs, by the process that owns it, so that xdist workers log each seed under its
variant's one run, whichever worker runs the seed.

Cases are logged in the background, one at a time and in order, while the session goes on
(a round trip to a tracking server costs milliseconds each; a case makes dozens); its
CPU-heavy steps (plots, packaging the model) hold off while a timed phase runs, so that they
do not slow what is measured. ``flush``
waits for them, and the session flushes before it writes its tables and closes its run, so
nothing is lost and every failure is reported. An xdist worker logs in the foreground: the
controller learns the case's runs and model versions from its outcome. The session's own
tracker runs in a child process (``tracking.process``), so that none of this competes with the
cases for the session's interpreter lock."""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from sentiment_models import runtime
from sentiment_models.errors import BenchError, TrackingError
from sentiment_models.results import to_json
from sentiment_models.tracking import CaseRun
from sentiment_models.tracking.console import quiet
from sentiment_models.tracking.run_writer import RunWriter, is_number
from sentiment_models.tracking.uri import check_reachable, mask, mask_text

T = TypeVar("T")
CHAMPION = "champion"
PARENT = "mlflow.parentRunId"
SESSION_KEY = "bench.session_key"
JOIN_TIMEOUT = 60.0
CONNECT_TIMEOUT = 10.0
"""Seconds the store's first answers may take (``/health``, the experiment) before the
session is refused; MLflow's own timeout and retries apply to every later call."""
BASE_REQUIREMENTS = ("mlflow", "pandas", "numpy", "scikit-learn")


class MlflowTracker:
    """Logs a bench session to the tracking store at ``uri``."""

    enabled = True

    def __init__(
        self,
        uri: str,
        experiment: str,
        *,
        register: bool = False,
        primary_metric: str = "accuracy",
        source: str = "{tracking.mlflow_uri}",
        notify: Callable[[str], None] | None = None,
        console_log: str | None = None,
    ) -> None:
        self.uri = uri
        self.console_log = console_log
        """Where MLflow's console output goes (None: the terminal, as with ``pytest -v``)."""
        self.source = source
        """What set the URI, for messages: the option, MLFLOW_TRACKING_URI or the default."""
        self.notify = notify
        self.experiment = experiment
        self.register = register
        self.primary_metric = primary_metric
        self.seconds = 0.0
        self.failures: list[str] = []
        self.logged: list[str] = []
        self.parent_run_id: str | None = None
        self.versions: dict[str, tuple[str, str, float]] = {}
        self.variant_runs: dict[str, str] = {}
        """Variant -> its run (under the session run), opened by this process; each seed is a
        child run of it."""
        self.adopted: dict[str, str] = {}
        """Variant -> its run, opened by an xdist worker (its figures over seeds go there)."""
        self._failed_variants: set[str] = set()
        self._broken = False
        self._owns_parent = True
        self._facts: dict[str, Any] = {}
        self._tags: dict[str, str] = {}
        self._datasets: list[tuple[Any, str]] = []
        self.client: Any = None
        self.writer: RunWriter = RunWriter(None)
        self.experiment_id: str | None = None
        self.waited = 0.0
        """Time the session waited for background logging at its flush points."""
        self.held = 0.0
        """Time background logging held off while timed phases ran (not tracking work)."""
        self._background: ThreadPoolExecutor | None = None
        self._pending: list[Future[None]] = []

    # -- session --------------------------------------------------------------------------
    def connect(self, wait: bool = True) -> None:
        """Check the store and select the experiment; raises TrackingError before any training.
        Connects once: later calls do nothing (and ``wait=False`` waits for the next one)."""
        if self.client is not None or not wait:
            return
        os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
        os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "30")
        started = time.perf_counter()
        check_reachable(self.uri, timeout=CONNECT_TIMEOUT, source=self.source)
        import mlflow

        mlflow.set_tracking_uri(self.uri)
        try:
            # one process at a time creates the schema; a store that does not answer is
            # refused in seconds, not after the retries that later calls are allowed
            with _store_lock(self.uri, self.notify), _quick_requests():
                self.client = mlflow.MlflowClient(self.uri)
                self.writer = RunWriter(self.client)
                self.experiment_id = self._experiment_id()
        except TrackingError:
            raise
        except Exception as error:
            detail = (
                error.render()
                if isinstance(error, BenchError)
                else _http_reason(str(error)) or f"{type(error).__name__}: {error}".splitlines()[0]
            )
            raise TrackingError(
                f"{self.source} {mask(self.uri)}: cannot open experiment {self.experiment!r} "
                f"({mask_text(detail, self.uri)[:300]})"
            ) from None
        self.seconds += time.perf_counter() - started

    def _experiment_id(self) -> str:
        """The experiment's id, created if missing (by whichever process comes first)."""
        experiment = self.client.get_experiment_by_name(self.experiment)
        if experiment is not None and experiment.lifecycle_stage == "deleted":
            raise TrackingError(
                f"{{tracking.mlflow_experiment}} {self.experiment}: the experiment is deleted "
                f"(id {experiment.experiment_id}, in {mask(self.uri)}); restore it with "
                f"`mlflow experiments restore --experiment-id {experiment.experiment_id}`, "
                "or log into another experiment"
            )
        if experiment is not None:
            return experiment.experiment_id
        try:
            return self.client.create_experiment(
                self.experiment, artifact_location=_artifact_location(self.uri, self.experiment)
            )
        except Exception:  # created meanwhile by another process (xdist worker, session)
            experiment = self.client.get_experiment_by_name(self.experiment)
            if experiment is None:
                raise
            return experiment.experiment_id

    def start(
        self,
        *,
        facts: dict[str, Any],
        tags: dict[str, str],
        datasets: dict[str, Any],
        key: str = "",
    ) -> None:
        """Open the parent run with the session's parameters, tags and datasets."""
        self._remember(facts, tags)
        tags = {**tags, **({SESSION_KEY: key} if key else {})}

        def start() -> None:
            run_id = os.environ.get("MLFLOW_RUN_ID")  # set by `mlflow run`: that run is the parent
            if run_id:
                self._owns_parent = False
                self.experiment_id = self.client.get_run(run_id).info.experiment_id
                self.experiment = self.client.get_experiment(self.experiment_id).name
            else:
                run_id = self.client.create_run(
                    self.experiment_id,
                    run_name=f"bench {tags.get('date', '')}".strip(),
                    tags={"mlflow.source.type": "LOCAL", **_git_tags(tags)},
                ).info.run_id
            self.parent_run_id = run_id
            self._datasets = _datasets(datasets)
            self.writer.batch(run_id, params=self._facts, tags={**tags, "bench.role": "session"})
            self.writer.inputs(run_id, self._datasets)

        self._attempt("start the session run", start)

    def open_variants(self, names: Sequence[str]) -> None:
        """Open the run of each variant the session will run, under the session run, before
        any case runs (the runs of a variant's seeds may be logged by several workers)."""
        if self.parent_run_id is None or not names:
            return
        now = int(time.time() * 1000)
        self._attempt("open the variant runs", lambda: [self._variant_run(n, now) for n in names])

    def refs(self, name: str) -> dict[str, str]:
        run = self.variant_runs.get(name) or self.adopted.get(name)
        refs = {"variant_run": run} if run else {}
        if name in self._failed_variants:
            refs["variant_failed"] = "true"
        if name in self.versions:
            model, version, value = self.versions[name]
            refs.update(model=model, version=version, value=repr(value))
        return refs

    def adopt(self, name: str, refs: Mapping[str, str], failures: Sequence[str]) -> None:
        """Take an xdist worker's references of its case of ``name`` (never this process's
        own cases)."""
        self.failures += failures
        run = refs.get("variant_run")
        if run is None:
            return  # nothing logged
        if refs.get("variant_failed"):
            self._failed_variants.add(name)
        if self.variant_runs.get(name) != run:
            self.adopted[name] = run  # a run the worker opened itself
        if not failures:  # the case's run was logged whole
            self.logged.append(name)
        if "version" in refs:
            value = float(refs["value"])
            known = self.versions.get(name)
            if known is None or not value <= known[2]:
                self.versions[name] = (refs["model"], refs["version"], value)

    def _remember(self, facts: Mapping[str, Any], tags: Mapping[str, str]) -> None:
        self._facts = {
            f"data.{key}" if not key.startswith("option.") else key: value
            for key, value in facts.items()
        }
        self._tags = dict(tags)

    def finish(self, files: list[Path], interrupted: bool, failed: bool = False) -> list[str]:
        """Log the session's files, point ``champion`` at the best variant, close the run.
        On a worker: close its variants' runs only."""
        self.flush()
        if self._background is not None:
            self._background.shutdown()
            self._background = None
        if self.parent_run_id is None:
            return self.notes()

        def finish() -> None:
            self._close_variant_runs()
            for path in files:
                if path.is_file():
                    self.client.log_artifact(self.parent_run_id, str(path))
            if self.versions:
                self._crown_champion()
            if self._owns_parent:
                status = (
                    "KILLED"
                    if interrupted
                    else ("FAILED" if failed or self.failures else "FINISHED")
                )
                self.client.set_terminated(self.parent_run_id, status=status)

        self._attempt("finish the session run", finish)
        return self.notes()

    def _close_variant_runs(self) -> None:
        for name, run_id in self.variant_runs.items():
            broken = name in self._failed_variants
            self.client.set_terminated(run_id, status="FAILED" if broken else "FINISHED")

    def notes(self) -> list[str]:
        lines = []
        if self.parent_run_id:
            lines.append(
                f"MLflow: session run {self.parent_run_id} in experiment {self.experiment!r} at "
                f"{mask(self.uri)}; {len(self.logged)} case(s) logged, "
                f"{self.seconds - self.held:.1f} s spent tracking, {self.waited:.1f} s of it "
                "waited for"
            )
        if self.parent_run_id and self.experiment_id and self.uri.startswith(("http:", "https:")):
            lines.append(
                f"MLflow: open {mask(self.uri).rstrip('/')}/#/experiments/{self.experiment_id}"
                f"/runs/{self.parent_run_id}"
            )
        for model, version, value in sorted(self.versions.values()):
            lines.append(
                f"MLflow: registered {model} version {version} ({self.primary_metric} {value:.4f})"
            )
        lines += [f"MLflow: NOT logged: {failure}" for failure in self.failures]
        if self.console_log and self.parent_run_id and Path(self.console_log).is_file():
            lines.append(f"MLflow: its console output is in {self.console_log} (shown with -v)")
        return lines

    # -- cases ----------------------------------------------------------------------------
    def log_case(self, case: CaseRun) -> None:
        """One run per seed, a child of its variant's run: params, metrics, tags, datasets,
        artifacts and the model."""
        label = f"{case.name}-seed{case.seed}"
        if self.parent_run_id is None:
            self.failures.append(f"case {label}: skipped, the session run could not be opened")
            return
        if case.outcome != "passed":
            self._failed_variants.add(case.name)

        def log() -> None:
            if self._attempt(f"case {label}", lambda: self._log_case(case)) is not None:
                self.logged.append(label)

        self._submit(log)

    def _submit(self, log: Callable[[], None]) -> None:
        """Log in the background, one case at a time, in order (``flush`` waits)."""
        if self._background is None:
            self._background = ThreadPoolExecutor(1, thread_name_prefix="mlflow-logging")
        self._pending.append(self._background.submit(log))

    def flush(self) -> None:
        """Wait for the cases logged in the background (failures are recorded, not raised)."""
        started = time.perf_counter()
        while self._pending:
            self._pending.pop(0).result()
        self.waited += time.perf_counter() - started

    def log_summary(self, name: str, metrics: Mapping[str, float]) -> None:
        """The variant's figures over its seeds (mean, sd, interval) on its run."""
        self.flush()
        run_id = self.variant_runs.get(name) or self.adopted.get(name)
        if run_id is not None and metrics:
            self._attempt(
                f"summary of {name}", lambda: self.writer.batch(run_id, metrics=dict(metrics))
            )

    def _variant_run(self, name: str, started_ms: int) -> str:
        if name in self.adopted:
            return self.adopted[name]
        if name not in self.variant_runs:
            self.variant_runs[name] = self.client.create_run(
                self.experiment_id,
                start_time=started_ms,
                run_name=name,
                tags={PARENT: self.parent_run_id, "variant": name, "bench.role": "variant"},
            ).info.run_id
        return self.variant_runs[name]

    def _log_case(self, case: CaseRun) -> bool:
        run = self.client.create_run(
            self.experiment_id,
            start_time=case.started_ms,
            run_name=f"{case.name}-seed{case.seed}",
            tags={PARENT: self._variant_run(case.name, case.started_ms), "seed": str(case.seed)},
        )
        run_id = run.info.run_id
        variant = case.variant
        description = to_json(variant.describe()) if variant is not None else {}
        params = {
            **(variant.hyperparameters() if variant is not None else {}),
            **{
                f"preprocess.{k}": v
                for k, v in (variant.preprocessing_config() if variant else {}).items()
            },
            **self._facts,
        }
        tags = {
            **self._tags,
            "variant": case.name,
            "seed": str(case.seed),
            "outcome": case.outcome,
            "pytest.nodeids": " ".join(case.node_ids),
            "estimator_name": str(description.get("model", "")),
            **{f"describe.{k}": str(v) for k, v in description.items() if k != "extra"},
            **{f"error.{phase}": error for phase, error in case.errors.items()},
        }
        history = case.train.history if case.train is not None else {}
        self.writer.batch(run_id, params=params, tags=tags)
        self.writer.inputs(run_id, self._datasets)
        model_id = None
        if case.model_dir is not None and case.result is not None and case.outcome == "passed":
            self._hold()  # the longest steps wait for the timed phase to end
            model_id = self._log_model(run_id, case)
        # after the model: MLflow links a run's metrics to a model logged later by reading
        # back every metric's history (a request each); given here, they are linked at once
        self.writer.batch(
            run_id,
            metrics=_case_metrics(case),
            history=history,
            tags={"model_uri": f"runs:/{run_id}/model"} if model_id else None,
            model_id=model_id,
        )
        self._hold()
        with tempfile.TemporaryDirectory(prefix="bench-artifacts-") as folder:
            self.writer.upload(run_id, _case_files(Path(folder), case))
        if variant is not None and variant.search_results:
            self.writer.candidates(run_id, variant.search_results)
        self.client.set_terminated(
            run_id, status="FINISHED" if case.outcome == "passed" else "FAILED"
        )
        return True

    def _hold(self) -> None:
        """Wait until no timed phase runs; the wait is not counted as time spent tracking."""
        started = time.perf_counter()
        runtime.wait_untimed()
        self.held += time.perf_counter() - started

    def _log_model(self, run_id: str, case: CaseRun) -> str | None:
        """Log the case's model; returns its MLflow model id."""
        import mlflow

        import sentiment_models
        from sentiment_models.tracking import model_code
        from sentiment_models.tracking.pyfunc import signature

        example = pd.DataFrame({"text": ["I love this airline", "my flight was delayed again"]})
        with mlflow.start_run(run_id=run_id):
            info = mlflow.pyfunc.log_model(
                name="model",
                python_model=model_code.__file__,
                artifacts={"variant": str(case.model_dir)},
                code_paths=[str(Path(sentiment_models.__file__).parent)],
                signature=signature([str(label) for label in case.variant.classes_]),
                input_example=example,
                pip_requirements=_pinned([*BASE_REQUIREMENTS, *case.variant.requirements]),
            )
        if self.register:
            name = f"{self.experiment}-{case.name}"
            version = mlflow.register_model(
                f"runs:/{run_id}/model", name, await_registration_for=60
            )
            value = case.result.test.get(self.primary_metric)
            value = float("nan") if value is None else float(value)
            known = self.versions.get(case.name)
            if known is None or not value <= known[2]:  # the variant's best seed
                self.versions[case.name] = (name, str(version.version), value)
        return getattr(info, "model_id", None)

    def _crown_champion(self) -> None:
        ranked = sorted(self.versions.items(), key=lambda item: -np.nan_to_num(item[1][2], nan=-1))
        winner, (model, version, _) = ranked[0]
        self.client.set_registered_model_alias(model, CHAMPION, version)
        for _, (other, _, _) in ranked[1:]:
            with contextlib.suppress(Exception):  # it may hold no alias to remove
                self.client.delete_registered_model_alias(other, CHAMPION)
        self.client.set_tag(self.parent_run_id, "champion", f"{winner} ({model} v{version})")

    # -- plumbing -------------------------------------------------------------------------
    def _attempt(self, what: str, action: Callable[[], T]) -> T | None:
        if self._broken:
            self.failures.append(f"{what}: skipped, the tracking store stopped answering")
            return None
        started = time.perf_counter()
        try:
            with quiet(self.console_log):
                return action()
        except Exception as error:
            message = mask_text(f"{type(error).__name__}: {error}", self.uri).splitlines()[0][:300]
            self.failures.append(f"{what}: {message}")
            try:
                check_reachable(self.uri, timeout=5, source=self.source)
            except TrackingError:
                self._broken = True
            return None
        finally:
            self.seconds += time.perf_counter() - started


def _sqlite_file(uri: str) -> Path | None:
    return Path(uri.removeprefix("sqlite:///")) if uri.startswith("sqlite:///") else None


def _store_lock(
    uri: str, notify: Callable[[str], None] | None = None
) -> contextlib.AbstractContextManager[object]:
    """A file lock beside a SQLite store: MLflow creates or migrates its schema on first use,
    and two processes doing that at once break the store. A folder where the lock (and so
    the database) cannot be created is an error at once."""
    database = _sqlite_file(uri)
    if database is None:
        return contextlib.nullcontext()
    from sentiment_models.errors import StoreError
    from sentiment_models.reporting.store import held_lock

    try:
        database.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StoreError(
            f"{database.parent}: cannot create the folder of the SQLite store ({error.strerror})"
        ) from None
    if database.exists() and not database.is_file():
        raise StoreError(f"{database}: not a file; give the path of a SQLite database file")
    return held_lock(Path(f"{database}.lock"), notify=notify, wait=300)


class MlflowWorkerTracker(MlflowTracker):
    """An xdist worker's tracker: it logs its cases under the session run the controller
    owns (found by its ``bench.session_key`` tag when the first case is logged: the
    controller opens it once every worker has collected its cases), each under the variant
    run the controller opened with it (found by its ``variant`` tag), in the foreground, so
    that the outcome the worker sends next carries the case's runs. It closes only a variant
    run it had to open itself (the controller opened none), never the session run."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._owns_parent = False
        self._key = ""
        self._datasets_spec: dict[str, Any] = {}
        self._looked_up = False
        self._variants_opened = True
        """False once a variant run was waited for in vain: the controller opened none (it
        could not, or it is another tool's session), so no later variant is waited for."""

    def start(
        self,
        *,
        facts: dict[str, Any],
        tags: dict[str, str],
        datasets: dict[str, Any],
        key: str = "",
    ) -> None:
        """Remember what the session run is tagged with; it is looked up with the first case."""
        self._remember(facts, tags)
        self._key, self._datasets_spec = key, datasets

    def log_case(self, case: CaseRun) -> None:
        if not self._looked_up:
            self._looked_up = True
            self._attempt("join the session run", self._find_session_run)
        super().log_case(case)

    def _submit(self, log: Callable[[], None]) -> None:
        log()

    def _find_session_run(self) -> None:
        query = f"tags.`{SESSION_KEY}` = '{self._key}'"
        found = self._search(query, f"session runs tagged {SESSION_KEY}={self._key}")
        if not found:
            raise LookupError(
                f"no session run tagged {SESSION_KEY}={self._key} in experiment "
                f"{self.experiment!r}; expected the controller's one"
            )
        self.parent_run_id = found
        self._datasets = _datasets(self._datasets_spec)

    def _variant_run(self, name: str, started_ms: int) -> str:
        """The variant run the controller opened; one of this worker's own if the controller
        opened none (it could not, or it is another tool's session)."""
        if name not in self.adopted and name not in self.variant_runs:
            query = (
                f"tags.`{PARENT}` = '{self.parent_run_id}' and tags.`bench.role` = 'variant' "
                f"and tags.`variant` = '{name}'"
            )
            what = f"variant runs of {name} in session {self.parent_run_id}"
            found = self._search(query, what, wait=self._variants_opened)
            if found:
                self.adopted[name] = found
            else:
                self._variants_opened = False
        return super()._variant_run(name, started_ms)

    def _search(self, query: str, what: str, wait: bool = True) -> str | None:
        """The one run matching ``query``, waited for while the controller opens it (None
        after ``JOIN_TIMEOUT``, at once without ``wait``); more than one is an error."""
        deadline = time.monotonic() + (JOIN_TIMEOUT if wait else 0.0)
        while True:
            found = self.client.search_runs([self.experiment_id], query, max_results=2)
            if len(found) > 1:
                raise LookupError(f"{len(found)} {what} in experiment {self.experiment!r}")
            if found:
                return found[0].info.run_id
            if time.monotonic() > deadline:
                return None
            time.sleep(0.5)

    def finish(self, files: list[Path], interrupted: bool, failed: bool = False) -> list[str]:
        """Close the variant runs this worker opened (the controller closes the session run
        and the variant runs it opened)."""
        if self.parent_run_id is not None:
            self._attempt("close the variant runs", self._close_variant_runs)
        return self.notes()


def _http_reason(message: str) -> str:
    """What an MLflow request's failure message says of the server, in a few words (its own
    message is a long chain of urllib3 errors); empty when it is not an HTTP failure."""
    if (status := re.search(r"too many (\d{3}) error responses", message)) is not None:
        return f"the server answered HTTP {status.group(1)}; see its log"
    if "ReadTimeout" in message or "Read timed out" in message:
        return f"the server did not answer within {CONNECT_TIMEOUT:g} s"
    return ""


@contextlib.contextmanager
def _quick_requests():
    """MLflow's HTTP calls inside: one try each, ``CONNECT_TIMEOUT`` seconds (MLflow reads
    these variables at every request)."""
    names = ("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "MLFLOW_HTTP_REQUEST_TIMEOUT")
    before = {name: os.environ.get(name) for name in names}
    os.environ.update(dict(zip(names, ("0", f"{CONNECT_TIMEOUT:g}"), strict=True)))
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _artifact_location(uri: str, experiment: str) -> str | None:
    """For a SQLite store, keep artifacts in ``mlruns/`` beside the database file."""
    parts = urlsplit(uri)
    if parts.scheme != "sqlite":
        return None
    database = _sqlite_file(uri)
    if database is None:
        return None
    return (database.parent.absolute() / "mlruns" / experiment).as_uri()


def _git_tags(tags: dict[str, str]) -> dict[str, str]:
    commit = tags.get("git.commit")
    return {"mlflow.source.git.commit": commit} if commit and commit != "unknown" else {}


def _datasets(splits: dict[str, Any]) -> list[tuple[Any, str]]:
    import mlflow.data

    built = []
    for context, (name, texts, labels, digest) in splits.items():
        frame = pd.DataFrame({"text": list(texts), "label": list(labels)})
        dataset = mlflow.data.from_pandas(frame, name=name, targets="label", digest=digest[:32])
        built.append((dataset, context))
    return built


def _case_metrics(case: CaseRun) -> dict[str, float]:
    sections: list[tuple[str, Any]] = [("train_", case.train)]
    if case.result is not None:
        evaluate = {
            **to_json(case.result.evaluate),
            "model_size_bytes": case.result.model_size_bytes,
        }
        sections += [("evaluate_", evaluate), ("test_", case.result.test)]
        sections += [
            (f"transfer_{name}_", transfer.test) for name, transfer in case.result.transfer.items()
        ]
        sections.append(("check_seconds_", case.result.check_seconds))
    metrics: dict[str, float] = {}
    for prefix, values in sections:
        for key, value in (to_json(values) or {}).items():
            if is_number(value):
                metrics[f"{prefix}{key}"] = float(value)
    if case.result is not None:
        for name, found in case.result.behaviour.items():
            metrics[f"behaviour_{name}_failure_rate"] = found.rate
    return metrics


def _case_files(folder: Path, case: CaseRun) -> list[Path]:
    from sklearn.metrics import classification_report

    from sentiment_models.tracking.plots import evaluation_images

    written: list[Path] = []
    variant = case.variant
    if variant is not None and variant.search_results:
        path = folder / "cv_results.csv"
        pd.DataFrame(variant.search_results).to_csv(path, index=False)
        written.append(path)
    if case.result is not None and case.result.behaviour:
        path = folder / "behaviour_failures.json"
        failures = {
            name: {
                "title": found.title,
                "kind": found.kind,
                "capability": found.capability,
                "items": found.items,
                "failure_rate": found.rate,
                "failures": list(found.every_failure or found.examples),
            }
            for name, found in case.result.behaviour.items()
        }
        path.write_text(json.dumps(failures, indent=1, ensure_ascii=False), encoding="utf-8")
        written.append(path)
    if case.test_proba is None or case.test is None or variant is None:
        return written
    classes = [str(label) for label in variant.classes_]
    predicted = np.asarray(classes, dtype=object)[np.argmax(case.test_proba, axis=1)]
    report = classification_report(
        case.test.labels, predicted, labels=classes, digits=4, zero_division=0
    )
    (folder / "classification_report.txt").write_text(report)
    samples = pd.DataFrame(
        {
            "text": case.test.texts,
            "label": case.test.labels,
            "prediction": predicted,
            "score": case.test_proba.max(axis=1),
            **{f"score_{label}": case.test_proba[:, i] for i, label in enumerate(classes)},
        }
    )
    samples.to_csv(folder / "test_samples.csv", index=False)
    written += [folder / "classification_report.txt", folder / "test_samples.csv"]
    written += evaluation_images(folder, case.test.labels, case.test_proba, classes, case.name)
    return written


def _pinned(names: list[str]) -> list[str]:
    from importlib import metadata

    pinned = []
    for name in dict.fromkeys(names):
        try:
            pinned.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            pinned.append(name)
    return pinned
