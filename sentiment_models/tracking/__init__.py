"""Experiment tracking. ``MlflowTracker`` logs a session and its cases; ``NullTracker`` is
used with ``--no-mlflow``. Both take plain :class:`CaseLog` records, never pytest objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np


@dataclass
class CaseLog:
    """Everything one case hands to a tracker."""

    name: str
    outcome: str
    node_ids: list[str]
    description: dict[str, Any] = field(default_factory=dict)
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    preprocessing: dict[str, Any] = field(default_factory=dict)
    train: dict[str, Any] = field(default_factory=dict)
    evaluate: dict[str, Any] = field(default_factory=dict)
    test_metrics: dict[str, Any] = field(default_factory=dict)
    history: dict[str, list[float]] = field(default_factory=dict)
    search_results: list[dict[str, Any]] | None = None
    model_dir: Path | None = None
    requirements: list[str] = field(default_factory=list)
    test_texts: np.ndarray | None = None
    test_labels: np.ndarray | None = None
    test_proba: np.ndarray | None = None
    classes: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    started_ms: int | None = None


class NullTracker:
    """Tracking turned off: every call is a no-op."""

    enabled = False
    seconds = 0.0
    failures: list[str] = []  # noqa: RUF012 - never mutated

    def start(self, **facts: Any) -> None:
        return None

    def log_case(self, case: CaseLog) -> None:
        return None

    def finish(self, files: list[Path], interrupted: bool) -> list[str]:
        return []


__all__ = ["CaseLog", "NullTracker"]
