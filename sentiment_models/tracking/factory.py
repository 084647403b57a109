"""The default tracker of a session: none with ``--no-mlflow``, else MLflow (the session's
own logging in a child process; an xdist worker's in the foreground, under the controller's
session run). The plugin's ``pytest_bench_make_tracker`` hook may supply another."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sentiment_models.config import TrackingConfig
from sentiment_models.tracking import NullTracker, Tracker


def default_tracker(
    tracking: TrackingConfig,
    rootdir: Path,
    *,
    worker: bool,
    notify: Callable[[str], None],
    console_log: str | None = None,
) -> Tracker:
    """The tracker for these settings; ``worker``: for an xdist worker; ``console_log``:
    where MLflow's console output goes (None: the terminal)."""
    if tracking.no_mlflow:
        return NullTracker()
    from sentiment_models.tracking.uri import resolve_uri, uri_source

    settings = {
        "uri": resolve_uri(tracking.mlflow_uri, rootdir),
        "experiment": tracking.mlflow_experiment,
        "register": tracking.mlflow_register,
        "source": uri_source(tracking.mlflow_uri),
        "console_log": console_log,
    }
    if worker:  # its case's outcome carries the runs to the controller
        from sentiment_models.tracking.mlflow_tracker import MlflowWorkerTracker

        return MlflowWorkerTracker(**settings, notify=notify)
    from sentiment_models.tracking.process import TrackingProcess  # logging on another core

    return TrackingProcess(settings)
