"""Typed results: frozen dataclasses for a phase's and a case's results and for the results
store; ``to_json`` / ``from_json`` (``sentiment_models.serialize``) convert them to and from
``results.json``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sentiment_models.serialize import NOT_STORED, OMIT_NONE, from_json, prefixed, to_json
from sentiment_models.variants.base import VariantDescription

FORMAT_VERSION = 1
__all__ = ["from_json", "to_json"]  # the serializer, re-exported with the types it serves


# -- phase results ---------------------------------------------------------------------------
@dataclass(frozen=True)
class TestScores:
    """Every metric of one evaluation (see ``sentiment_models.metrics.score``)."""

    __test__ = False  # not a pytest test class

    accuracy: float
    accuracy_stderr: float
    macro_f1: float
    macro_recall: float
    rows: int
    confusion_matrix: tuple[tuple[int, ...], ...] = ()
    log_loss: float | None = field(default=None, metadata=OMIT_NONE)
    roc_auc: float | None = field(default=None, metadata=OMIT_NONE)
    precision: Mapping[str, float] = field(default_factory=dict, metadata=prefixed("precision_"))
    recall: Mapping[str, float] = field(default_factory=dict, metadata=prefixed("recall_"))
    support: Mapping[str, int] = field(default_factory=dict, metadata=prefixed("support_"))

    def get(self, metric: str) -> float | None:
        """A headline metric by name (``accuracy``, ``macro_recall``, ...), or None."""
        value = getattr(self, metric, None)
        return value if isinstance(value, int | float) else None


@dataclass(frozen=True)
class TrainResult:
    """The train phase: timing, size, and scores on (a sample of) the training split."""

    seconds: float
    samples: int
    throughput: float | None
    accuracy: float
    macro_f1: float
    macro_recall: float
    scored_rows: int
    epochs: int | None = field(default=None, metadata=OMIT_NONE)
    val_accuracy: float | None = field(default=None, metadata=OMIT_NONE)
    history: Mapping[str, tuple[float, ...]] = field(default_factory=dict, metadata=NOT_STORED)


@dataclass(frozen=True)
class Timing:
    seconds: float
    throughput: float | None


@dataclass(frozen=True)
class PhrasePrediction:
    phrase: str
    label: str
    score: float


@dataclass(frozen=True)
class EvaluateResult:
    """The evaluate phase: timing, scores on the test split, the saved model's size, the
    phrase predictions; the test probabilities stay in memory (for tracking)."""

    timing: Timing
    test: TestScores
    model_size_bytes: int
    predictions: tuple[PhrasePrediction, ...]
    proba: np.ndarray | None = field(default=None, metadata=NOT_STORED, compare=False)


# -- a case ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Provenance:
    """What makes a result reproducible."""

    commit: str
    commit_full: str
    dirty: bool
    date: str
    packages: Mapping[str, str] = field(default_factory=dict)
    machine: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DataFacts:
    """The data a case was trained and tested on (``DatasetSplits.facts()``)."""

    dataset: str
    dataset_origin: str
    dataset_digest: str
    seed: int
    classes: str
    train_rows: int
    validation_rows: int
    test_rows: int
    train_digest: str
    test_digest: str
    dropped_rows: int = 0
    eval_dataset: str | None = field(default=None, metadata=OMIT_NONE)
    eval_digest: str | None = field(default=None, metadata=OMIT_NONE)
    dropped: Mapping[str, int] = field(default_factory=dict, metadata=prefixed("dropped_"))

    def flat(self) -> dict[str, Any]:
        """Flat facts for tracking params and the terminal."""
        return to_json(self)


@dataclass(frozen=True)
class CaseResult:
    """One variant's record in ``results.json``: what it is, how it did, on what data."""

    variant: str
    status: str
    profile: str
    description: VariantDescription
    hyperparameters: Mapping[str, Any]
    train: TrainResult
    evaluate: Timing
    test: TestScores
    model_size_bytes: int
    predictions: tuple[PhrasePrediction, ...]
    data: DataFacts
    provenance: Provenance

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass(frozen=True)
class SessionInfo:
    """What the last session that wrote a results store did."""

    date: str
    interrupted: bool = False
    updated: tuple[str, ...] = ()
    failed: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class ResultsStore:
    """``results.json``: one record per variant, and the last session's summary."""

    variants: Mapping[str, CaseResult] = field(default_factory=dict)
    session: SessionInfo | None = None
    format: int = FORMAT_VERSION
