"""Shared code for scikit-learn variants: clean once, grid-search, keep one raw-text Pipeline,
save with skops (no pickle)."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from sentiment_models.errors import ModelError
from sentiment_models.serialize import to_json
from sentiment_models.variants.base import SentimentVariant

if TYPE_CHECKING:  # scikit-learn is imported when a variant is built, not when it is listed
    from sklearn.pipeline import Pipeline

    from sentiment_models.preprocessing import TweetPreprocessor

MODEL_FILE = "model.skops"
VOCABULARY_FILE = "vocabularies.json"


FIXED_FOLDS_SEED = 0
"""The cross-validation folds' seed of a variant whose training ignores the seed."""


class SklearnSearchVariant(SentimentVariant):
    """A text Pipeline tuned by ``GridSearchCV``; subclasses build the Pipeline and the grid.

    The texts are cleaned once before the search (cleaning has no fitted state), then the
    pre-processor is put in front of the best Pipeline, so the saved model takes raw text.
    """

    trusted_types: ClassVar[tuple[str, ...]] = ()
    param_choices: ClassVar[dict[str, tuple[str, ...]]] = {
        "normalizer": ("", "lemma", "stem"),
        "scoring": ("accuracy", "balanced_accuracy", "f1_macro", "recall_macro", "neg_log_loss"),
    }
    requirements: ClassVar[tuple[str, ...]] = ("scikit-learn", "skops", "nltk", "simplemma")

    @classmethod
    def min_class_rows(cls, params: dict[str, Any]) -> tuple[int, str]:
        """Stratified CV needs a row of every class in every fold."""
        return int(params["cv_folds"]), f"its {params['cv_folds']} CV folds ({cls.name}.cv_folds)"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.preprocessor = self.build_preprocessor()
        self.pipeline: Pipeline | None = None
        self.best_params_: dict[str, Any] = {}
        self.best_score_: float | None = None

    def build_preprocessor(self) -> TweetPreprocessor:
        from sentiment_models.preprocessing import TweetPreprocessor

        return TweetPreprocessor(
            stop_words=self.params.get("stop_words", False),
            normalizer=self.params.get("normalizer") or None,
        )

    def build_pipeline(self) -> Pipeline:
        raise NotImplementedError

    def param_grid(self) -> dict[str, list[Any]]:
        raise NotImplementedError

    def _fit(self, texts, labels, validation=None) -> None:
        from sklearn.model_selection import GridSearchCV, StratifiedKFold
        from sklearn.pipeline import Pipeline

        cleaned = self.preprocessor.fit().transform(texts)
        grid = self.param_grid()
        # a variant that ignores the seed draws its folds with a fixed one (seed 0's folds)
        folds = StratifiedKFold(
            self.params["cv_folds"],
            shuffle=True,
            random_state=self.seed if self.uses_seed else FIXED_FOLDS_SEED,
        )
        pipeline = self.build_pipeline()
        with tempfile.TemporaryDirectory(prefix=f"{self.name}-cache-") as cache:
            if all(key.startswith(f"{pipeline.steps[-1][0]}__") for key in grid):
                # the candidates differ in the last step only: each fold's fitted transformers
                # (vectorizers) are computed once and reused by every candidate
                pipeline.memory = cache
            search = self._search(GridSearchCV, pipeline, grid, folds, cleaned, labels)
        best = search.best_estimator_
        best.memory = None
        _drop_stop_words_attribute(best)
        self.pipeline = Pipeline([("preprocess", self.preprocessor), *best.steps])
        self.progress(
            f"best {self.best_params_} cv {self.params['scoring']} {self.best_score_:.4f}"
        )

    def _search(self, search_cls, pipeline, grid, folds, cleaned, labels) -> Any:
        candidates = int(np.prod([len(values) for values in grid.values()]))
        jobs = self.params.get("n_jobs", 1)
        scoring: Any = self.params["scoring"]
        if jobs == 1:  # in this process: every fit reports its step and the time left
            scoring = _CountedScorer(scoring, candidates * folds.n_splits, self.progress)
        search = search_cls(
            pipeline,
            grid,
            cv=folds,
            scoring=scoring,
            n_jobs=jobs,
            refit=True,
            error_score="raise",
        )
        self.progress(
            f"grid search over {candidates} candidates x {folds.n_splits} folds "
            f"on {len(cleaned):,} texts"
        )
        search.fit(cleaned, labels)
        self.search_results = _cv_results(search.cv_results_)
        self.best_params_ = to_json(search.best_params_)
        self.best_score_ = float(search.best_score_)
        return search

    def _predict_proba(self, texts: list[str]) -> np.ndarray:
        return self.pipeline.predict_proba(np.asarray(texts, dtype=object))

    def hyperparameters(self) -> dict[str, Any]:
        params = super().hyperparameters()
        params.update(
            {f"best_{key.split('__')[-1]}": value for key, value in self.best_params_.items()}
        )
        return params

    def save_model(self, folder: Path) -> None:
        import skops.io

        vectorizers = {
            path: vectorizer
            for path, vectorizer in _vectorizers(self.pipeline)
            if hasattr(vectorizer, "vocabulary_")
        }
        vocabularies = {
            path: _terms(vectorizer.vocabulary_) for path, vectorizer in vectorizers.items()
        }
        # skops writes every dict entry with its own schema (135k terms -> 110 MB): store the
        # terms as one JSON list per vectorizer instead, and the rest of the Pipeline with skops.
        try:
            for vectorizer in vectorizers.values():
                del vectorizer.vocabulary_
            skops.io.dump(self.pipeline, folder / MODEL_FILE)
        finally:
            for path, vectorizer in vectorizers.items():
                vectorizer.vocabulary_ = _vocabulary(vocabularies[path])
        (folder / VOCABULARY_FILE).write_text(json.dumps(vocabularies), encoding="utf-8")

    def load_model(self, folder: Path) -> None:
        import skops.io

        untrusted = skops.io.get_untrusted_types(file=folder / MODEL_FILE)
        unexpected = sorted(set(untrusted) - set(self.trusted_types))
        if unexpected:
            raise ModelError(f"{folder / MODEL_FILE}: refusing unexpected types {unexpected}")
        self.pipeline = skops.io.load(folder / MODEL_FILE, trusted=untrusted)
        vocabularies = json.loads((folder / VOCABULARY_FILE).read_text(encoding="utf-8"))
        found = dict(_vectorizers(self.pipeline))
        missing = sorted(set(vocabularies) - set(found))
        if missing:
            raise ModelError(
                f"{folder / VOCABULARY_FILE}: vocabularies for {missing}, "
                f"but the model's vectorizers are {sorted(found)}"
            )
        for path, terms in vocabularies.items():
            found[path].vocabulary_ = _vocabulary(terms)


def _vectorizers(estimator: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(path, vectorizer) for every text vectorizer in a Pipeline / FeatureUnion tree."""
    if hasattr(estimator, "build_analyzer"):
        yield prefix or "root", estimator
    for name, child in getattr(estimator, "steps", []) + getattr(estimator, "transformer_list", []):
        yield from _vectorizers(child, f"{prefix}/{name}" if prefix else name)


def _terms(vocabulary: dict[str, int]) -> list[str]:
    terms = [""] * len(vocabulary)
    for term, index in vocabulary.items():
        terms[index] = term
    return terms


def _vocabulary(terms: list[str]) -> dict[str, int]:
    return {term: index for index, term in enumerate(terms)}


def _drop_stop_words_attribute(estimator: Any) -> None:
    """Fitted vectorizers keep every pruned term in ``stop_words_``, only for introspection:
    scikit-learn advises deleting it before saving (it made the linear model 110 MiB)."""
    if hasattr(estimator, "stop_words_"):
        del estimator.stop_words_
    for child in getattr(estimator, "steps", []) + getattr(estimator, "transformer_list", []):
        _drop_stop_words_attribute(child[1])


def _cv_results(results: dict[str, Any]) -> list[dict[str, Any]]:
    """``cv_results_`` as JSON-clean rows, one per candidate."""
    rows = []
    for index in range(len(results["params"])):
        row: dict[str, Any] = {}
        for key, values in results.items():
            if key == "params":
                continue
            value = values[index]
            row[key] = to_json(value)
        rows.append(row)
    return rows


class _CountedScorer:
    """A scikit-learn scorer that also reports the grid search's progress: it is called once
    per fit (a candidate on a fold), so it knows the step and, from the time so far, about
    how long the rest takes. The scores are the named scorer's own."""

    def __init__(self, name: str, fits: int, progress: Any) -> None:
        import time

        from sklearn.metrics import get_scorer

        self.scorer, self.fits, self.progress = get_scorer(name), fits, progress
        self.done, self.started, self.clock = 0, time.monotonic(), time.monotonic

    def __call__(self, estimator: Any, texts: Any, labels: Any) -> float:
        score = self.scorer(estimator, texts, labels)
        self.done += 1
        elapsed = self.clock() - self.started
        left = elapsed / self.done * (self.fits - self.done)
        step = f"grid search: fit {self.done}/{self.fits}"
        if self.done < self.fits:
            self.progress(f"{step}, about {left:.0f} s left")
        else:
            self.progress(f"{step} in {elapsed:.0f} s; refitting the best candidate on all rows")
        return score
