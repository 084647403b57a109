"""The variant contract: scikit-learn style ``fit`` / ``predict_proba`` / ``classes_``,
plus ``describe()`` for the comparison table and ``save`` / ``load`` for the model itself."""

from __future__ import annotations

import json
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from sentiment_models.errors import ParameterError, read_json
from sentiment_models.serialize import to_json

META_FILE = "variant.json"

Progress = Callable[[str], None]


DEPLOYMENT = "Deployment of"
"""The ``VariantDescription.extra`` key naming the variant a deployment variant transforms."""


@dataclass(frozen=True)
class VariantDescription:
    """What the comparison table says about a variant (the write-up's section 3 rows)."""

    tokenizer: str
    vector_type: str
    dimensions: str
    model_type: str
    model: str
    embedding: str = "-"
    embedding_vocabulary: str = "-"
    trained: bool = True
    optimisation: str = "-"
    preprocessing: str = "-"
    extra: dict[str, str] = field(default_factory=dict)
    uses_seed: bool = True
    """False when the training gives the same model whatever the seed: it runs once."""

    @property
    def trains_per_seed(self) -> bool:
        """Whether each seed gives its own model (it trains, and its training uses the seed)."""
        return self.trained and self.uses_seed


@dataclass(frozen=True)
class Range:
    """The allowed range of a numeric parameter (of each item, for a list parameter)."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def problem(self, value: float) -> str | None:
        if not math.isfinite(value):
            return "expected a finite number"
        too_low = self.low is not None and (
            value < self.low or (self.low_open and value == self.low)
        )
        too_high = self.high is not None and (
            value > self.high or (self.high_open and value == self.high)
        )
        return f"expected {self.describe()}" if too_low or too_high else None

    def describe(self) -> str:
        parts = []
        if self.low is not None:
            parts.append(f"{'>' if self.low_open else '>='} {self.low:g}")
        if self.high is not None:
            parts.append(f"{'<' if self.high_open else '<='} {self.high:g}")
        return "a number " + " and ".join(parts)


POSITIVE = Range(0, low_open=True)
AT_LEAST_ONE = Range(1)
SHARE = Range(0, 1, high_open=True)
""" A share such as dropout: 0 <= value < 1."""


@dataclass(frozen=True)
class VariantOption:
    """A command-line option (and ini key) of a variant's own that sets one of its
    parameters: ``--glove-path PATH`` sets ``lstm-glove.glove_path``."""

    flag: str
    param: str
    metavar: str
    help: str


class SentimentVariant(ABC):
    """Base class of every model variant.

    Subclasses set ``name`` and ``default_params`` (hyper-parameter defaults whose types
    also coerce overrides given as strings) and implement ``fit``, ``predict_proba``,
    ``describe``, ``save`` and ``load``. After ``fit``, ``classes_`` holds the labels in
    the column order of ``predict_proba``.
    """

    name: ClassVar[str]
    options: ClassVar[tuple[VariantOption, ...]] = ()
    """Options of this variant's own (``--glove-path``); ``--variant-param`` sets any."""
    default_params: ClassVar[Mapping[str, Any]] = {}
    learns: ClassVar[bool] = True
    """False for pretrained models and lexicons: ``fit`` only loads and maps labels."""
    uses_seed: ClassVar[bool] = True
    """False when ``fit`` gives the same model whatever the seed (a deterministic search):
    the bench trains it once, on the first seed, and the tables say so."""

    @classmethod
    def trains_per_seed(cls) -> bool:
        """Whether each seed gives this variant its own model (it learns, and its training
        uses the seed): the bench runs it once per seed, else once."""
        return cls.learns and cls.uses_seed

    derived_from: ClassVar[str | None] = None
    """For a deployment variant (e.g. a quantised model), the variant whose trained model it
    transforms: the tables compare the two, and workers run them together."""
    requirements: ClassVar[tuple[str, ...]] = ()
    """Packages the saved model needs at load time (pinned when logged to MLflow)."""
    profile_params: ClassVar[Mapping[str, Mapping[str, Any]]] = {}
    """Parameter overrides per bench profile, e.g. ``{"quick": {"epochs": 3}}``."""
    param_choices: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    """The allowed values of string parameters that take one of a few, checked on resolve."""
    param_ranges: ClassVar[Mapping[str, Range]] = {}
    """The allowed range of numeric parameters (each item of a list), checked on resolve:
    a bad value is a usage error before any training."""
    legacy_params: ClassVar[Mapping[str, Any]] = {}
    """Values of parameters added later, for models saved before they existed (so an old
    model loads with the behaviour it was trained with, not with today's default)."""

    classes_: np.ndarray

    def __init__(self, *, seed: int = 0, progress: Progress | None = None, **params: Any) -> None:
        self.seed = seed
        self.progress: Progress = progress or (lambda message: None)
        self.params = self.resolve_params(params)
        self.search_results: list[dict[str, Any]] | None = None
        self.history: dict[str, list[float]] = {}
        self.training_samples = 0

    @property
    def device(self) -> str:
        """Where the model computes (the "Device" row): the CPU unless a variant says more."""
        return "cpu"

    @classmethod
    def resolve_params(cls, overrides: Mapping[str, Any]) -> dict[str, Any]:
        """Defaults updated by ``overrides``; strings are coerced to the default's type."""
        unknown = sorted(set(overrides) - set(cls.default_params))
        if unknown:
            raise ParameterError(
                f"variant {cls.name!r} has no parameter {', '.join(unknown)}; "
                f"its parameters are {sorted(cls.default_params)}"
            )
        params = dict(cls.default_params)
        for key, value in overrides.items():
            params[key] = _coerce(cls.name, key, value, cls.default_params[key])
        for key, allowed in cls.param_choices.items():
            if params[key] not in allowed:
                raise ParameterError(
                    f"variant {cls.name!r}, parameter {key}={params[key]!r}: "
                    f"choose one of {', '.join(allowed)}"
                )
        for key, value in params.items():
            limits = cls.param_ranges.get(key)
            values = value if isinstance(value, list | tuple) else [value]
            for item in values:
                if not isinstance(item, int | float) or isinstance(item, bool):
                    continue
                problem = (limits or Range()).problem(item)
                if problem:
                    raise ParameterError(
                        f"variant {cls.name!r}, parameter {key}="
                        f"{'|'.join(map(str, value)) if isinstance(value, list | tuple) else value!r}"
                        f": {problem}"
                    )
            if isinstance(value, list | tuple) and not value:
                raise ParameterError(
                    f"variant {cls.name!r}, parameter {key}: expected at least one value"
                )
        return params

    @classmethod
    def preflight(cls, params: dict[str, Any]) -> None:
        """Check resolved parameters that need I/O (files, sizes) before any training."""
        return None

    @classmethod
    def min_class_rows(cls, params: dict[str, Any]) -> tuple[int, str]:
        """The fewest training rows of each class this variant can train on, and why (checked
        against the training split before any training)."""
        return 1, "training"

    @classmethod
    def unavailable(cls, params: dict[str, Any]) -> str | None:
        """Why this variant cannot run on this machine (the case is then skipped with this
        reason, e.g. a checkpoint that is neither local nor reachable), or None."""
        return None

    def fit(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        validation: tuple[Sequence[str], Sequence[str]] | None = None,
    ) -> SentimentVariant:
        """Train on raw texts and string labels; ``validation`` is for early stopping.

        The template every variant shares: checks the inputs, sets ``classes_`` (the sorted
        labels), runs ``preflight`` once, then calls the variant's ``_fit``."""
        checked = check_texts(texts)
        targets = check_labels(labels, len(checked), what="labels")
        classes = sorted(set(targets.tolist()))
        if len(classes) < 2:
            raise ParameterError(
                f"variant {self.name!r}: the training labels hold {len(classes)} class(es) "
                f"({classes}); a classifier needs at least two"
            )
        checked_validation = None
        if validation is not None:
            validation_texts = check_texts(validation[0])
            checked_validation = (
                validation_texts,
                check_labels(validation[1], len(validation_texts), what="validation labels"),
            )
        self.classes_ = np.asarray(classes, dtype=object)
        self.training_samples = len(checked)
        type(self).preflight(self.params)
        self._fit(checked, targets, checked_validation)
        return self

    @abstractmethod
    def _fit(
        self,
        texts: list[str],
        labels: np.ndarray,
        validation: tuple[list[str], np.ndarray] | None,
    ) -> None:
        """Train on checked inputs; ``classes_`` is set and ``preflight`` has passed."""

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Class probabilities, shape (n_texts, n_classes), columns in ``classes_`` order.

        Every string gets an answer (empty ones too); anything else is refused.
        """
        if getattr(self, "classes_", None) is None:
            raise RuntimeError(f"variant {self.name!r} is not trained: call fit first")
        checked = check_texts(texts)
        if not checked:
            return np.zeros((0, len(self.classes_)))
        proba = np.asarray(self._predict_proba(checked), dtype=np.float64)
        return proba / proba.sum(axis=1, keepdims=True)

    @abstractmethod
    def _predict_proba(self, texts: list[str]) -> np.ndarray:
        """Probabilities for a non-empty list of strings (normalised by ``predict_proba``)."""

    @abstractmethod
    def describe(self) -> VariantDescription:
        """The comparison-table description of this variant as configured (and trained)."""

    @abstractmethod
    def save_model(self, folder: Path) -> None:
        """Write the trained model's files into ``folder`` in its framework's own safe format."""

    @abstractmethod
    def load_model(self, folder: Path) -> None:
        """Read the files written by ``save_model`` into this (untrained) instance."""

    def save(self, folder: Path) -> None:
        """Save the model and ``variant.json`` (name, seed, parameters, classes) into ``folder``."""
        folder.mkdir(parents=True, exist_ok=True)
        self.save_model(folder)
        meta = {
            "variant": self.name,
            "seed": self.seed,
            "params": {key: _json_scalar(value) for key, value in self.params.items()},
            "classes": [str(label) for label in self.classes_],
        }
        (folder / META_FILE).write_text(json.dumps(meta, indent=2))

    @classmethod
    def load(cls, folder: Path) -> SentimentVariant:
        """Read a model written by ``save``."""
        meta = read_meta(folder)
        variant = cls(seed=meta["seed"], **{**cls.legacy_params, **meta["params"]})
        variant.load_model(folder)
        variant.classes_ = np.asarray(meta["classes"], dtype=object)
        return variant

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """The most probable label of each text."""
        return self.classes_[np.argmax(self.predict_proba(texts), axis=1)]

    def preprocessing_config(self) -> dict[str, Any]:
        """The text pre-processing settings this variant uses (empty if none)."""
        preprocessor = getattr(self, "preprocessor", None)
        return preprocessor.get_params() if preprocessor is not None else {}

    def hyperparameters(self) -> dict[str, Any]:
        """The hyper-parameters as JSON-clean scalars, for tables and tracking."""
        return {key: _json_scalar(value) for key, value in self.params.items()}


def read_meta(folder: Path) -> dict[str, Any]:
    """The ``variant.json`` of a saved model folder, checked: a variant name, an integer
    seed, parameters, and the classes as ``fit`` set them (distinct, sorted). Classes in
    another order would put the wrong label on every prediction, so they are refused."""
    path = folder / META_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path}: missing; {folder} is not a saved sentiment model")
    fix = "save the model again (variant.save) or restore the file"
    meta = read_json(path, ParameterError, fix)
    if not isinstance(meta, dict) or not isinstance(meta.get("variant"), str):
        raise ParameterError(f"{path}: no 'variant' name; {fix}")
    if not isinstance(meta.get("seed"), int) or not isinstance(meta.get("params"), dict):
        raise ParameterError(f"{path}: 'seed' must be an integer and 'params' an object; {fix}")
    classes = meta.get("classes")
    if (
        not isinstance(classes, list)
        or len(classes) < 2
        or not all(isinstance(label, str) and label for label in classes)
    ):
        raise ParameterError(f"{path}: 'classes' must list two or more labels; {fix}")
    if classes != sorted(set(classes)):
        raise ParameterError(
            f"{path}: 'classes' {classes} are not the distinct, sorted labels the model was "
            f"trained with ({sorted(set(classes))}): its outputs would get the wrong names; {fix}"
        )
    return meta


def check_texts(texts: Iterable[object]) -> list[str]:
    """Every input must be a string; anything else is refused with its position."""
    checked = list(texts)
    for position, text in enumerate(checked):
        if not isinstance(text, str):
            raise TypeError(
                f"text {position} is a {type(text).__name__} ({text!r:.40}); "
                "every input must be a string"
            )
    return checked


def check_labels(labels: Iterable[object], expected: int, *, what: str) -> np.ndarray:
    """Labels as an object array of strings, one per text, or a clear error."""
    array = np.asarray(list(labels), dtype=object)
    if len(array) != expected:
        raise ParameterError(f"{len(array)} {what} for {expected} texts: expected one per text")
    for position, label in enumerate(array):
        if not isinstance(label, str) or not label:
            raise ParameterError(
                f"{what[:-1]} {position} is {label!r}; every label must be a non-empty string"
            )
    return array


def _coerce(variant: str, key: str, value: Any, default: Any) -> Any:
    if not isinstance(value, str) or isinstance(default, str):
        return value
    try:
        if isinstance(default, bool):
            if value.lower() in ("1", "true", "yes", "on"):
                return True
            if value.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(value)
        if isinstance(default, int):
            return int(value)
        if isinstance(default, float):
            return float(value)
        if isinstance(default, list | tuple):
            return type(default)(
                _coerce(variant, key, item, default[0]) for item in value.split("|")
            )
        if default is None:
            return None if value.lower() in ("none", "") else value
    except (ValueError, IndexError, ParameterError):  # an item of a list, too
        raise ParameterError(
            f"variant {variant!r}, parameter {key}={value!r}: expected a "
            f"{type(default).__name__} like {default!r}"
        ) from None
    return value


def _json_scalar(value: Any) -> Any:
    """A parameter as one JSON scalar: lists joined with ``|`` (as ``--variant-param``
    writes them), anything else that is not a scalar as its text."""
    value = to_json(value)
    if isinstance(value, list):
        return "|".join(str(item) for item in value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
