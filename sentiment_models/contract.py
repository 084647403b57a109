"""The variant contract as checks anyone can run: the built-in variants' tests use them, and a
team that registers its own variant runs the same ones in its own tests, one test id per
check (so that the first failure does not hide the others)::

    from sentiment_models.contract import parametrize_with_checks

    @parametrize_with_checks(["team-adapter"])
    def test_contract(key, check, tmp_path):
        check(trained_adapter, texts[:20], tmp_path)   # test_contract[team-adapter-odd-texts], ...

or all of them at once: ``check_contract(variant, texts, folder)``. Each check raises
``AssertionError`` with what is wrong. Only ``parametrize_with_checks`` needs pytest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sentiment_models.variants.base import SentimentVariant

ODD_TEXTS: tuple[str, ...] = (
    "",
    "   ",
    "\N{FACE WITH TEARS OF JOY}\N{FIRE}",
    "https://t.co/abc",
    "@someone",
    "a" * 10_000,
    "Привет мир",
    "こんにちは",
    "ok\x00\x07bell",
    "12345",
)
"""Strings every variant must answer (empty, emoji, URLs, very long, other scripts, controls)."""
NOT_TEXTS: tuple[object, ...] = (None, 42, 3.5, b"bytes")


def check_probabilities(variant: SentimentVariant, texts: Sequence[str]) -> None:
    """One row per text, one column per class in ``classes_`` order, rows summing to 1."""
    classes = list(variant.classes_)
    assert classes == sorted(classes) and len(classes) >= 2, f"classes_ {classes}: sorted, >= 2"
    proba = variant.predict_proba(list(texts))
    assert proba.shape == (len(texts), len(classes)), f"shape {proba.shape}"
    assert np.isfinite(proba).all() and (proba >= 0).all(), "probabilities must be finite, >= 0"
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    assert set(variant.predict(list(texts))) <= set(classes), "predict returns known labels"


def check_odd_texts(variant: SentimentVariant) -> None:
    """Every string gets an answer; an empty batch gets an empty answer."""
    check_probabilities(variant, ODD_TEXTS)
    assert variant.predict_proba([]).shape == (0, len(variant.classes_))


def check_non_texts_refused(variant: SentimentVariant) -> None:
    """Anything but a string is refused with its position and type."""
    for bad in NOT_TEXTS:
        try:
            variant.predict_proba(["fine", bad])  # type: ignore[list-item]
        except TypeError as error:
            assert "text 1 is a" in str(error) and "must be a string" in str(error), str(error)
        else:
            raise AssertionError(f"{bad!r} was not refused")


def check_description(variant: SentimentVariant) -> None:
    """``describe()`` fills the table's main rows; hyper-parameters are JSON scalars."""
    description = variant.describe()
    assert description.model and description.tokenizer, "describe(): model and tokenizer"
    assert description.preprocessing != "-", "describe(): say the pre-processing ('none' too)"
    for key, value in variant.hyperparameters().items():
        assert value is None or isinstance(value, bool | int | float | str), key


def check_save_and_load(variant: SentimentVariant, texts: Sequence[str], folder: Path) -> None:
    """A saved model loads into the same predictions, and nothing is pickled."""
    variant.save(folder)
    restored = type(variant).load(folder)
    sample = [*texts, *ODD_TEXTS]
    np.testing.assert_allclose(restored.predict_proba(sample), variant.predict_proba(sample))
    assert list(restored.classes_) == list(variant.classes_)
    pickled = [path.name for path in folder.rglob("*") if path.suffix in (".pkl", ".pickle")]
    assert not pickled, f"pickled files {pickled}: save in the framework's safe format"


@dataclass(frozen=True)
class ContractCheck:
    """One check of the contract, called as ``check(variant, texts, folder)`` on a trained
    variant, a few real texts and an empty folder it may write to."""

    name: str
    run: Callable[[SentimentVariant, Sequence[str], Path], None]

    def __call__(self, variant: SentimentVariant, texts: Sequence[str], folder: Path) -> None:
        self.run(variant, texts, folder)

    def __repr__(self) -> str:
        return self.name


CHECKS: tuple[ContractCheck, ...] = (
    ContractCheck(
        "probabilities", lambda variant, texts, folder: check_probabilities(variant, texts)
    ),
    ContractCheck("odd-texts", lambda variant, texts, folder: check_odd_texts(variant)),
    ContractCheck("non-texts", lambda variant, texts, folder: check_non_texts_refused(variant)),
    ContractCheck("description", lambda variant, texts, folder: check_description(variant)),
    ContractCheck("save-and-load", check_save_and_load),
)
"""The contract, check by check."""


def check_contract(variant: SentimentVariant, texts: Sequence[str], folder: Path) -> None:
    """Every check of ``CHECKS``, on a trained ``variant`` and a few real ``texts``."""
    for check in CHECKS:
        check(variant, texts, folder)


def parametrize_with_checks(keys: Iterable[str]) -> Any:
    """A ``pytest.mark.parametrize`` over ``key`` (each of ``keys``: a variant name, or any
    label the test maps to its trained variant) and ``check`` (each of ``CHECKS``), with ids
    ``KEY-CHECK``: one test per variant and check, selectable with ``-k``."""
    import pytest

    cases = [(key, check) for key in keys for check in CHECKS]
    return pytest.mark.parametrize(
        ("key", "check"), cases, ids=[f"{key}-{check.name}" for key, check in cases]
    )
