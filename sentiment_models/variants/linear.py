"""``linear``: TF-IDF word and character n-grams + logistic regression, ``C`` tuned by grid
search. The strong classic baseline."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from sentiment_models.variants.base import AT_LEAST_ONE, POSITIVE, Range, VariantDescription
from sentiment_models.variants.sklearn_base import SklearnSearchVariant

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline


class LinearVariant(SklearnSearchVariant):
    """Word (1-2) and char_wb (2-5) TF-IDF, sublinear tf, + multinomial LogisticRegression."""

    name = "linear"
    default_params: ClassVar[dict[str, Any]] = {
        "word_ngram_max": 2,
        "char_ngram_min": 2,
        "char_ngram_max": 5,
        "min_df": 2,
        "C_grid": [0.5, 1.0, 2.0, 4.0],
        "class_weight": "",
        "solver": "saga",
        "tol": 0.001,
        "max_iter": 1000,
        "cv_folds": 3,
        "scoring": "accuracy",
        "stop_words": False,
        "normalizer": "",
    }
    profile_params: ClassVar[dict[str, dict[str, Any]]] = {
        "quick": {"C_grid": [1.0, 4.0], "cv_folds": 2},
        "tiny": {"C_grid": [1.0], "cv_folds": 2},
    }
    param_choices: ClassVar[dict[str, tuple[str, ...]]] = {
        **SklearnSearchVariant.param_choices,
        "class_weight": ("", "balanced"),
        "solver": ("saga", "lbfgs", "liblinear", "newton-cg", "sag"),
    }
    param_ranges: ClassVar[dict[str, Range]] = {
        "word_ngram_max": AT_LEAST_ONE,
        "char_ngram_min": AT_LEAST_ONE,
        "char_ngram_max": AT_LEAST_ONE,
        "min_df": AT_LEAST_ONE,
        "C_grid": POSITIVE,
        "tol": POSITIVE,
        "max_iter": AT_LEAST_ONE,
        "cv_folds": Range(2),
    }
    trusted_types = ("sentiment_models.preprocessing.TweetPreprocessor",)

    def build_pipeline(self) -> Pipeline:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import FeatureUnion, Pipeline

        params = self.params
        features = FeatureUnion(
            [
                (
                    "word",
                    TfidfVectorizer(
                        ngram_range=(1, params["word_ngram_max"]),
                        min_df=params["min_df"],
                        sublinear_tf=True,
                    ),
                ),
                (
                    "char",
                    TfidfVectorizer(
                        analyzer="char_wb",
                        min_df=params["min_df"],
                        ngram_range=(params["char_ngram_min"], params["char_ngram_max"]),
                        sublinear_tf=True,
                    ),
                ),
            ]
        )
        classifier = LogisticRegression(
            solver=params["solver"],
            tol=params["tol"],
            max_iter=params["max_iter"],
            class_weight=params["class_weight"] or None,
            random_state=self.seed,
        )
        return Pipeline([("features", features), ("clf", classifier)])

    def param_grid(self) -> dict[str, list[Any]]:
        return {"clf__C": list(self.params["C_grid"])}

    def describe(self) -> VariantDescription:
        dimensions = "-"
        if self.pipeline is not None:
            union = self.pipeline.named_steps["features"]
            sizes = [len(vectorizer.vocabulary_) for _, vectorizer in union.transformer_list]
            dimensions = f"{sum(sizes)} ({sizes[0]} word + {sizes[1]} char)"
        return VariantDescription(
            tokenizer="TfidfVectorizer (word 1-2 + char 2-5)",
            vector_type="Sparse",
            dimensions=dimensions,
            model_type="Linear",
            model="LogisticRegression",
            optimisation=f"Grid search: C in {self.params['C_grid']}, {self.params['cv_folds']}-fold CV",
            preprocessing=self.preprocessor.describe(),
        )
