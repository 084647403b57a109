"""The variant contract as checks anyone can run: the built-in variants' tests use them, and a
team that registers its own variant runs the same ones in its own tests::

    from sentiment_models.contract import check_contract

    def test_my_variant(tmp_path):
        check_contract(MyVariant(seed=0).fit(texts, labels), texts[:20], tmp_path)

Each check raises ``AssertionError`` with what is wrong. None needs pytest.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

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


def check_contract(variant: SentimentVariant, texts: Sequence[str], folder: Path) -> None:
    """Every check above, on a trained ``variant`` and a few real ``texts``."""
    check_probabilities(variant, texts)
    check_odd_texts(variant)
    check_non_texts_refused(variant)
    check_description(variant)
    check_save_and_load(variant, texts, folder)
