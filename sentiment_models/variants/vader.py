"""``vader``: the VADER lexicon and rules (``vaderSentiment``), no training at all; the
reference for "no machine learning".

The label follows the usual thresholds on the compound score: >= +0.05 positive, <= -0.05
negative, in between neutral (a dataset without a neutral class splits at 0). The class scores
are smooth functions of the compound score whose largest entry is always that label, so log
loss and ROC AUC can be computed; they are scores, not calibrated probabilities (``sharpness``
2 keeps them mild: on the default split, 5, 10 and 20 gave log loss 1.39, 2.16, 3.89 vs 1.11).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from sentiment_models.variants.base import (
    POSITIVE,
    SHARE,
    ParameterError,
    Range,
    SentimentVariant,
    VariantDescription,
)

KNOWN = ("negative", "neutral", "positive")


def compound_scores(compound: np.ndarray, threshold: float, sharpness: float) -> np.ndarray:
    """(negative, neutral, positive) scores: each is a logistic of the distance to its region,
    so each is above 0.5 exactly inside the region the thresholds give it."""

    def logistic(x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-sharpness * x))

    return np.column_stack(
        [
            logistic(-compound - threshold),
            logistic(threshold - np.abs(compound)),
            logistic(compound - threshold),
        ]
    )


class VaderVariant(SentimentVariant):
    name = "vader"
    learns = False
    requirements: ClassVar[tuple[str, ...]] = ("vaderSentiment",)
    default_params: ClassVar[dict[str, Any]] = {"threshold": 0.05, "sharpness": 2.0}
    param_ranges: ClassVar[dict[str, Range]] = {"threshold": SHARE, "sharpness": POSITIVE}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._analyzer: Any = None

    @property
    def analyzer(self) -> Any:
        if self._analyzer is None:
            from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

            self._analyzer = SentimentIntensityAnalyzer()
        return self._analyzer

    def _fit(self, texts, labels, validation=None) -> None:
        """No training: only check that the dataset's classes are VADER's."""
        classes = self.classes_.tolist()
        unknown = [label for label in classes if str(label).lower() not in KNOWN]
        if unknown or len(classes) < 2:
            raise ParameterError(
                f"vader scores negative / neutral / positive; the dataset's classes {classes} "
                "cannot be mapped by name (use {data.label_map} to rename them)"
            )

    def compound(self, texts: list[str]) -> np.ndarray:
        return np.asarray([self.analyzer.polarity_scores(text)["compound"] for text in texts])

    def _predict_proba(self, texts: list[str]) -> np.ndarray:
        threshold = self.params["threshold"]
        names = [str(label).lower() for label in self.classes_]
        if "neutral" not in names:
            threshold = 0.0  # two classes: the sign of the compound score decides
        scores = compound_scores(self.compound(texts), threshold, self.params["sharpness"])
        return scores[:, [KNOWN.index(name) for name in names]]

    def describe(self) -> VariantDescription:
        return VariantDescription(
            tokenizer="VADER rules (punctuation, capitals, negation, emoticons)",
            vector_type="-",
            dimensions="-",
            model_type="Lexicon",
            model="VADER compound score",
            embedding="-",
            embedding_vocabulary=f"{len(self.analyzer.lexicon):,} lexicon entries",
            trained=self.learns,
            optimisation=f"none: thresholds +-{self.params['threshold']:g} on the compound score",
            preprocessing="none (raw text)",
        )

    def save_model(self, folder: Path) -> None:
        """Nothing to save: the lexicon ships with vaderSentiment (its version is recorded)."""

    def load_model(self, folder: Path) -> None:
        return None
