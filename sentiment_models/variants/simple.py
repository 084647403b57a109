"""``simple``: the write-up's TF-IDF + GaussianNB, ``var_smoothing`` tuned by grid search."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from sentiment_models.variants.base import AT_LEAST_ONE, Range, VariantDescription
from sentiment_models.variants.sklearn_base import SklearnSearchVariant

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline


def to_dense(matrix: Any) -> np.ndarray:
    """GaussianNB needs dense input: the feature cap keeps this array bounded."""
    return matrix.toarray() if hasattr(matrix, "toarray") else np.asarray(matrix)


class SimpleVariant(SklearnSearchVariant):
    """TF-IDF (at most ``max_features`` terms, densified as float32) + GaussianNB."""

    name = "simple"
    uses_seed = False  # TF-IDF, GaussianNB and CV folds of a fixed seed: no randomness
    default_params: ClassVar[dict[str, Any]] = {
        "max_features": 2500,
        "ngram_max": 1,
        "var_smoothing_grid": 20,
        "cv_folds": 3,
        "scoring": "accuracy",
        "stop_words": False,
        "normalizer": "",
    }
    profile_params: ClassVar[dict[str, dict[str, Any]]] = {
        "quick": {"var_smoothing_grid": 8, "cv_folds": 2},
        "tiny": {"var_smoothing_grid": 3, "cv_folds": 2},
    }
    param_ranges: ClassVar[dict[str, Range]] = {
        "max_features": AT_LEAST_ONE,
        "ngram_max": AT_LEAST_ONE,
        "var_smoothing_grid": AT_LEAST_ONE,
        "cv_folds": Range(2),
    }
    trusted_types = (
        "sentiment_models.preprocessing.TweetPreprocessor",
        "sentiment_models.variants.simple.to_dense",
    )

    def build_pipeline(self) -> Pipeline:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.naive_bayes import GaussianNB
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import FunctionTransformer

        return Pipeline(
            [
                (
                    "tfidf",
                    TfidfVectorizer(
                        max_features=self.params["max_features"],
                        ngram_range=(1, self.params["ngram_max"]),
                        dtype=np.float32,
                    ),
                ),
                ("dense", FunctionTransformer(to_dense, accept_sparse=True)),
                ("nb", GaussianNB()),
            ]
        )

    def param_grid(self) -> dict[str, list[Any]]:
        return {"nb__var_smoothing": list(np.logspace(0, -9, self.params["var_smoothing_grid"]))}

    def describe(self) -> VariantDescription:
        vocabulary = (
            len(self.pipeline.named_steps["tfidf"].vocabulary_)
            if self.pipeline is not None
            else self.params["max_features"]
        )
        return VariantDescription(
            tokenizer="TfidfVectorizer",
            vector_type="Sparse (densified)",
            dimensions=str(vocabulary),
            model_type="Linear",
            model="GaussianNB",
            optimisation=(
                f"Grid search: var_smoothing x{self.params['var_smoothing_grid']}, "
                f"{self.params['cv_folds']}-fold CV"
            ),
            preprocessing=self.preprocessor.describe(),
        )
