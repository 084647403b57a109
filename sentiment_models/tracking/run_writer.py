"""Writes into MLflow runs with as few requests as MLflow's limits allow: params, tags and
metrics (with their per-epoch history) in batches, grid-search candidates as step metrics,
dataset inputs, and files a few at a time."""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

BATCH_LIMITS = {"metrics": 1000, "params": 100, "tags": 100}
"""The most of each that one ``log_batch`` request may carry (MLflow's limits)."""
UPLOADS = 4
"""Files uploaded at once."""


def is_number(value: Any) -> bool:
    """A finite JSON number (values come through ``to_json``)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and np.isfinite(value)


class RunWriter:
    """The requests that write into runs, on one ``MlflowClient``."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def candidates(self, run_id: str, rows: list[dict[str, Any]]) -> None:
        """Every grid-search candidate in one request: candidate ``i`` is step ``i`` of the
        ``cv_*`` metrics (scores, fit times, numeric parameter values); the whole table is the
        ``cv_results.csv`` artifact."""
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        points = [
            Metric(f"cv_{key}", float(value), now, step)
            for step, row in enumerate(rows)
            for key, value in row.items()
            if key != "params" and is_number(value)
        ]
        self.send(run_id, metrics=points)

    def upload(self, run_id: str, files: list[Path]) -> None:
        """The case's files, a few at a time (each is one request to a tracking server)."""
        if not files:
            return
        with ThreadPoolExecutor(UPLOADS, thread_name_prefix="mlflow-upload") as pool:
            for done in [pool.submit(self.client.log_artifact, run_id, str(f)) for f in files]:
                done.result()

    def batch(
        self,
        run_id: str,
        *,
        params: dict | None = None,
        tags: dict | None = None,
        metrics: dict | None = None,
        history: dict | None = None,
        model_id: str | None = None,
    ) -> None:
        from mlflow.entities import Metric, Param, RunTag

        now = int(time.time() * 1000)
        param_items = [Param(str(k)[:250], str(v)[:6000]) for k, v in (params or {}).items()]
        tag_items = [RunTag(str(k)[:250], str(v)[:5000]) for k, v in (tags or {}).items()]
        metric_items = [
            Metric(str(k), float(v), now, 0, model_id=model_id) for k, v in (metrics or {}).items()
        ]
        for key, values in (history or {}).items():
            metric_items += [
                Metric(f"epoch_{key}", float(v), now, step) for step, v in enumerate(values)
            ]
        self.send(run_id, metrics=metric_items, params=param_items, tags=tag_items)

    def send(self, run_id: str, **items: list[Any]) -> None:
        """As few ``log_batch`` requests as MLflow's per-request limits allow."""
        requests = max(-(-len(entries) // BATCH_LIMITS[kind]) for kind, entries in items.items())
        for index in range(requests):
            self.client.log_batch(
                run_id,
                **{
                    kind: entries[index * BATCH_LIMITS[kind] : (index + 1) * BATCH_LIMITS[kind]]
                    for kind, entries in items.items()
                },
            )

    def inputs(self, run_id: str, datasets: Sequence[tuple[Any, str]]) -> None:
        from mlflow.entities import DatasetInput, InputTag

        inputs = [
            DatasetInput(dataset._to_mlflow_entity(), [InputTag("mlflow.data.context", context)])
            for dataset, context in datasets
        ]
        if inputs:
            self.client.log_inputs(run_id, datasets=inputs)
