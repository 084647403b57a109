"""Typed results: frozen dataclasses for a phase's and a case's results, and the one
serializer between them and ``results.json`` (:func:`to_json` / :func:`from_json`).

``to_json`` is also the project's one conversion of numpy values to JSON types. Field metadata
steers it: ``OMIT_NONE`` leaves a field out while it is None, ``NOT_STORED`` keeps a field in
memory only, and ``prefixed(p)`` flattens a mapping into its parent as ``p + key`` entries
(``precision_negative``), as ``results.json`` has always stored them.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from sentiment_models.variants.base import VariantDescription

T = TypeVar("T")
OMIT_NONE = {"omit_none": True}
NOT_STORED = {"stored": False}
FORMAT_VERSION = 1


def prefixed(prefix: str) -> dict[str, str]:
    return {"prefix": prefix}


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


# -- the serializer ------------------------------------------------------------------------------
def to_json(value: Any) -> Any:
    """Plain JSON types: dataclasses become dicts (per their field metadata), numpy scalars
    and arrays become Python numbers and lists, NaN becomes None, paths become strings."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for item in dataclasses.fields(value):
            meta = item.metadata
            content = getattr(value, item.name)
            if meta.get("stored", True) is False:
                continue
            if content is None and meta.get("omit_none"):
                continue
            if "prefix" in meta:
                out.update({f"{meta['prefix']}{key}": to_json(v) for key, v in content.items()})
            else:
                out[item.name] = to_json(content)
        return out
    if isinstance(value, Mapping):
        return {str(key): to_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    if isinstance(value, np.ndarray):
        return to_json(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value


def from_json(cls: type[T], data: Any) -> T:
    """The inverse of :func:`to_json` for dataclass ``cls``; unknown keys are ignored, so
    records written by older or newer versions still load."""
    return _build(cls, data)


def _build(hint: Any, data: Any) -> Any:
    if data is None:
        return None
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Union or origin is getattr(__import__("types"), "UnionType", None):
        inner = [arg for arg in args if arg is not type(None)]
        return _build(inner[0], data) if len(inner) == 1 else data
    if dataclasses.is_dataclass(hint):
        return _build_dataclass(hint, data)
    if origin is tuple:
        item = args[0] if args else Any
        return tuple(_build(item, value) for value in data)
    if origin in (Mapping, dict) or hint in (Mapping, dict):
        item = args[1] if len(args) == 2 else Any
        return {key: _build(item, value) for key, value in data.items()}
    if hint is float and isinstance(data, int):
        return float(data)
    return data


def _build_dataclass(cls: type, data: Mapping[str, Any]) -> Any:
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    consumed: set[str] = set()
    prefixed_fields = []
    for item in dataclasses.fields(cls):
        if item.metadata.get("stored", True) is False:
            continue
        if "prefix" in item.metadata:
            prefixed_fields.append(item)
        elif item.name in data:
            kwargs[item.name] = _build(hints[item.name], data[item.name])
            consumed.add(item.name)
    for item in prefixed_fields:
        prefix = item.metadata["prefix"]
        value_type = typing.get_args(hints[item.name])[1]
        kwargs[item.name] = {
            key.removeprefix(prefix): _build(value_type, value)
            for key, value in data.items()
            if key.startswith(prefix) and key not in consumed
        }
    return cls(**kwargs)
