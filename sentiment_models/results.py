"""Typed results: frozen dataclasses for a phase's and a case's results and for the results
store; ``to_json`` / ``from_json`` (``sentiment_models.serialize``) convert them to and from
``results.json``."""

from __future__ import annotations

import base64
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from sentiment_models.serialize import NOT_STORED, OMIT_NONE, from_json, prefixed, to_json
from sentiment_models.variants.base import VariantDescription

FORMAT_VERSION = 2
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
class Transfer:
    """A trained model on an out-of-domain evaluation set."""

    test: TestScores
    predicted: str = ""
    """Predicted class per item (``encode_items``), for paired tests."""


@dataclass(frozen=True)
class EvaluateResult:
    """The evaluate phase: timing, scores on the test split, the saved model's size, the
    phrase predictions; the test probabilities stay in memory (for tracking)."""

    timing: Timing
    test: TestScores
    model_size_bytes: int
    predictions: tuple[PhrasePrediction, ...]
    predicted: str = ""
    """Predicted class index per test item (``encode_items``)."""
    transfer: Mapping[str, Transfer] = field(default_factory=dict)
    behaviour: Mapping[str, BehaviourResult] = field(default_factory=dict)
    check_seconds: Mapping[str, float] = field(default_factory=dict)
    """Seconds each per-model check took (untimed by pytest-benchmark)."""
    proba: np.ndarray | None = field(default=None, metadata=NOT_STORED, compare=False)


@dataclass(frozen=True)
class BehaviourResult:
    """A trained model on one behaviour test (``sentiment_models.behaviour``)."""

    title: str
    kind: str
    capability: str
    digest: str
    """The test's items and expectations (``BehaviourTest.digest``): equal digests, same test."""
    items: int
    failures: int
    failed: str = ""
    """1 per failing item, 0 per passing one (``encode_items``), for paired tests."""
    examples: tuple[str, ...] = ()
    """The first failing items, described."""
    every_failure: tuple[str, ...] = field(default=(), metadata=NOT_STORED, compare=False)
    """Every failing item (the tracking artifact)."""

    @property
    def rate(self) -> float:
        return self.failures / self.items if self.items else 0.0


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
    dropped: Mapping[str, int] = field(default_factory=dict, metadata=prefixed("dropped_"))
    transfer: Mapping[str, str] = field(default_factory=dict, metadata=prefixed("transfer_digest_"))
    """Evaluation set name -> its digest (``--eval-dataset``)."""
    max_text_chars: int | None = None
    truncated_texts: int = 0
    """Texts cut to ``max_text_chars`` characters on load (``--max-text-chars``)."""

    def flat(self) -> dict[str, Any]:
        """Flat facts for tracking params and the terminal."""
        return to_json(self)


@dataclass(frozen=True)
class Execution:
    """Where a case ran: the device, the thread budget, the xdist worker and its host."""

    device: str
    threads: int
    worker: str = "main"
    host: str = ""


@dataclass(frozen=True)
class SeedRun:
    """One seed of a variant: its phases' results and its per-item predictions."""

    seed: int
    status: str
    train: TrainResult
    evaluate: Timing
    test: TestScores
    model_size_bytes: int
    test_digest: str
    predicted: str = ""
    """Predicted class index per test item (``encode_items``; "" for records of format 1)."""
    predictions: tuple[PhrasePrediction, ...] = ()
    transfer: Mapping[str, Transfer] = field(default_factory=dict)
    behaviour: Mapping[str, BehaviourResult] = field(default_factory=dict)
    check_seconds: Mapping[str, float] = field(default_factory=dict)
    chosen: Mapping[str, Any] = field(default_factory=dict)
    """What this seed's model chose itself (e.g. ``best_C`` of a grid search)."""
    execution: Execution | None = field(default=None, metadata=OMIT_NONE)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass(frozen=True)
class VariantRecord:
    """One variant's record in ``results.json``: what it is, on what data, and one
    :class:`SeedRun` per seed."""

    variant: str
    profile: str
    description: VariantDescription
    hyperparameters: Mapping[str, Any]
    """The configured hyper-parameters (each seed's own choices are in its run)."""
    data: DataFacts
    provenance: Provenance
    runs: tuple[SeedRun, ...]
    classes: tuple[str, ...] = ()
    items: Mapping[str, str] = field(default_factory=dict)
    """Test set digest -> its true labels (``encode_items`` over ``classes``)."""
    off_profile: tuple[str, ...] = ()
    """How the run's settings differ from its profile's (data, split, sample, text limit,
    parameters); empty for the profile's own settings. Only such records make a baseline,
    unless forced."""

    @property
    def status(self) -> str:
        bad = [f"seed {run.seed}: {run.status}" for run in self.runs if not run.ok]
        return "; ".join(bad) if bad else "ok"

    @property
    def ok(self) -> bool:
        return all(run.ok for run in self.runs)

    @property
    def seeds(self) -> tuple[int, ...]:
        return tuple(run.seed for run in self.runs)

    @property
    def first(self) -> SeedRun:
        return self.runs[0]

    def merged(self, newer: VariantRecord) -> VariantRecord:
        """``newer``'s runs replace those of the same seed; the other stored seeds are kept
        when they were made on the same data, profile and parameters, and the training uses
        the seed (one that ignores it is trained once: its newest run is the record)."""
        same = (
            self.data.dataset_digest == newer.data.dataset_digest
            and self.data.test_digest == newer.data.test_digest
            and self.profile == newer.profile
            and self.hyperparameters == newer.hyperparameters
            and self.classes == newer.classes
            and self.off_profile == newer.off_profile
        )
        if not same or not newer.description.uses_seed:
            return newer
        fresh = {run.seed for run in newer.runs}
        runs = sorted([*newer.runs, *(r for r in self.runs if r.seed not in fresh)], key=_seed)
        return replace(newer, runs=tuple(runs), items={**self.items, **newer.items})


def _seed(run: SeedRun) -> int:
    return run.seed


def combine_seeds(records: Sequence[VariantRecord]) -> VariantRecord:
    """One variant's single-seed records of one session as one record: its runs in seed
    order, the test labels of every seed's split, the data of the first seed."""
    ordered = sorted(records, key=lambda record: record.first.seed)
    items: dict[str, str] = {}
    for record in ordered:
        items.update(record.items)
    runs = sorted((run for record in ordered for run in record.runs), key=_seed)
    return replace(ordered[0], runs=tuple(runs), items=items)


def origin_differences(
    expected: tuple[DataFacts, Provenance], found: tuple[DataFacts, Provenance]
) -> list[str]:
    """What differs between two results' data (digests, split) and code (commit, package
    versions): results are merged only when this is empty."""
    (data, code), (other_data, other_code) = expected, found
    checks = {
        "dataset digest": (data.dataset_digest, other_data.dataset_digest),
        "split seed": (data.seed, other_data.seed),
        "train split digest": (data.train_digest, other_data.train_digest),
        "test split digest": (data.test_digest, other_data.test_digest),
        "classes": (data.classes, other_data.classes),
        "evaluation sets": (dict(data.transfer), dict(other_data.transfer)),
        "git commit": (code.commit_full, other_code.commit_full),
    }
    found_lines = [
        f"{what}: {_short(mine)} here, {_short(theirs)} there"
        for what, (mine, theirs) in checks.items()
        if mine != theirs
    ]
    for name in sorted(set(code.packages) | set(other_code.packages)):
        mine, theirs = code.packages.get(name), other_code.packages.get(name)
        if mine != theirs:
            found_lines.append(
                f"package {name}: {mine or 'absent'} here, {theirs or 'absent'} there"
            )
    return found_lines


def _short(value: object) -> str:
    text = str(value)
    return text[:12] if len(text) >= 32 and " " not in text else text


@dataclass(frozen=True)
class GateCheck:
    """The gate's paired test of one variant's metric against its baseline."""

    variant: str
    metric: str
    value: float
    baseline: float
    p_value: float
    detectable: float
    """The smallest true drop the test would find with 80% power (its margin included)."""
    failed: bool
    against: str = ""
    """Which baseline: "" for the file's, else an earlier commit's (``--gate-history``)."""

    @property
    def drop(self) -> float:
        return self.baseline - self.value


@dataclass(frozen=True)
class CaseOutcome:
    """One case (a variant and a seed) as the process that ran it reports it to the session
    that writes the results: in-process, or from an xdist worker to the controller."""

    variant: str
    seed: int
    record: VariantRecord | None = None
    """This seed's run as one-seed record, when it is to be stored."""
    errors: Mapping[str, str] = field(default_factory=dict)
    """Phase -> its error, one line."""
    gate_failures: tuple[str, ...] = ()
    gate_warnings: tuple[str, ...] = ()
    gate_checks: tuple[GateCheck, ...] = ()
    tracking: Mapping[str, str] = field(default_factory=dict)
    """The tracker's references: the variant's run, a registered model version."""
    tracking_failures: tuple[str, ...] = ()
    worker: str = "main"


def class_indices(
    labels: Sequence[object], classes: Sequence[str], unknown: int | None = None
) -> np.ndarray:
    """Each label as its index in ``classes``; a label outside them is ``unknown``, or a
    KeyError when ``unknown`` is None."""
    position = {label: index for index, label in enumerate(classes)}
    if unknown is None:
        return np.asarray([position[str(label)] for label in labels], dtype=np.uint8)
    return np.asarray([position.get(str(label), unknown) for label in labels], dtype=np.uint8)


def encode_items(values: np.ndarray) -> str:
    """A compact, JSON-safe form of small non-negative integers (class indices) per item."""
    data = np.asarray(values, dtype=np.uint8).tobytes()
    return base64.b64encode(zlib.compress(data, 9)).decode("ascii")


def decode_items(text: str) -> np.ndarray:
    return np.frombuffer(zlib.decompress(base64.b64decode(text)), dtype=np.uint8)


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

    variants: Mapping[str, VariantRecord] = field(default_factory=dict)
    session: SessionInfo | None = None
    format: int = FORMAT_VERSION


RUN_FIELDS = ("status", "train", "evaluate", "test", "model_size_bytes", "predictions")


def upgrade_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """A record of format 1 (one run, no seeds) in the layout of format 2: its single run
    gets the split seed (the variants' seed then) and no per-item predictions."""
    if "runs" in record:
        return dict(record)
    upgraded = {key: value for key, value in record.items() if key not in RUN_FIELDS}
    data = record.get("data", {})
    run = {key: record[key] for key in RUN_FIELDS if key in record}
    run.update(seed=data.get("seed", 0), test_digest=data.get("test_digest", ""))
    params = record.get("hyperparameters", {})
    run["chosen"] = {key: value for key, value in params.items() if key.startswith("best_")}
    upgraded["hyperparameters"] = {k: v for k, v in params.items() if not k.startswith("best_")}
    upgraded["runs"] = [run]
    return upgraded
