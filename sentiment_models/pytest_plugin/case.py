"""One benchmark case: a variant's train and evaluate phases, each timed once with
pytest-benchmark and scored; the result is kept for the session's tables."""

from __future__ import annotations

import shutil
import sys
import time
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sentiment_models.data.splits import subsample
from sentiment_models.metrics import score
from sentiment_models.tracking import CaseLog
from sentiment_models.variants import SentimentVariant, create_variant

if TYPE_CHECKING:
    from sentiment_models.pytest_plugin.session import BenchSession


class BenchCase:
    """The per-variant object the ``bench_case`` fixture hands to a benchmark test."""

    def __init__(self, name: str, session: BenchSession) -> None:
        self.name = name
        self.session = session
        self.variant: SentimentVariant | None = None
        self.train_result: dict[str, Any] | None = None
        self.evaluate_result: dict[str, Any] | None = None
        self.errors: dict[str, str] = {}
        self.model_dir: Path | None = None
        self.node_ids: list[str] = []
        self.outcomes: dict[str, str] = {}
        self.test_proba: np.ndarray | None = None
        self.started_ms = int(time.time() * 1000)
        self.gate_failures: list[str] = []

    # -- phases ---------------------------------------------------------------------------
    def train(self, benchmark: Any) -> dict[str, Any]:
        """Fit the variant exactly once under ``benchmark``; score it on the training split."""
        benchmark.group = "train"
        with self._phase("train"):
            self._train(benchmark)
        benchmark.extra_info.update(_json_clean({"variant": self.name, **self.train_result}))
        return self.train_result

    def evaluate(self, benchmark: Any) -> dict[str, Any]:
        """Predict the test split once under ``benchmark``; score, predict phrases, size the model."""
        benchmark.group = "evaluate"
        if "train" in self.errors:
            raise RuntimeError(
                f"{self.name}: not evaluated, training failed: {self.errors['train']}"
            )
        if self.variant is None:  # evaluate selected alone: train first, outside the timing
            self._train(None)
        with self._phase("evaluate"):
            self._evaluate(benchmark)
            self._check_gate()
        headline = {
            key: self.evaluate_result["test"].get(key)
            for key in ("accuracy", "macro_f1", "macro_recall", "log_loss", "roc_auc")
        }
        benchmark.extra_info.update(
            _json_clean({"variant": self.name, **headline, **self.evaluate_result})
        )
        return self.evaluate_result

    # -- work -----------------------------------------------------------------------------
    def _train(self, benchmark: Any | None) -> None:
        splits = self.session.splits
        variant = create_variant(
            self.name,
            seed=splits.seed,
            progress=self._progress,
            **self.session.settings.params_for(self.name),
        )
        validation = (splits.validation.texts, splits.validation.labels)
        self._progress(f"training on {len(splits.train):,} texts")
        started = time.perf_counter()
        if benchmark is None:
            variant.fit(splits.train.texts, splits.train.labels, validation=validation)
        else:
            benchmark.pedantic(
                variant.fit,
                args=(splits.train.texts, splits.train.labels),
                kwargs={"validation": validation},
                rounds=1,
                iterations=1,
                warmup_rounds=0,
            )
        seconds = time.perf_counter() - started
        self.variant = variant
        scored = self._train_scores(variant)
        samples = variant.training_samples or len(splits.train)
        self.train_result = {
            "seconds": seconds,
            "samples": samples,
            # no training (a pretrained model or a lexicon): the phase only loads it
            "throughput": samples / seconds if seconds > 0 and variant.learns else None,
            **scored,
        }
        if variant.history:
            self.train_result["history"] = variant.history
            self.train_result["epochs"] = len(next(iter(variant.history.values())))
        if getattr(variant, "validation_accuracy", None) is not None:
            self.train_result["val_accuracy"] = variant.validation_accuracy
        self._progress(f"trained in {seconds:.1f} s, train accuracy {scored['accuracy']:.4f}")

    def _train_scores(self, variant: SentimentVariant) -> dict[str, Any]:
        splits = self.session.splits
        limit = self.session.settings.train_score_rows
        sample = subsample(splits.train, limit or None, seed=splits.seed)
        metrics = score(sample.labels, variant.predict_proba(sample.texts), variant.classes_)
        return {
            "accuracy": metrics["accuracy"],
            "macro_f1": metrics["macro_f1"],
            "macro_recall": metrics["macro_recall"],
            "scored_rows": len(sample),
        }

    def _evaluate(self, benchmark: Any) -> None:
        variant, test = self.variant, self.session.splits.test
        started = time.perf_counter()
        proba = benchmark.pedantic(
            variant.predict_proba, args=(test.texts,), rounds=1, iterations=1, warmup_rounds=0
        )
        seconds = time.perf_counter() - started
        metrics = score(test.labels, proba, variant.classes_)
        self.test_proba = proba
        self.model_dir = self.session.model_dir(self.name)
        shutil.rmtree(self.model_dir, ignore_errors=True)
        variant.save(self.model_dir)
        size = sum(path.stat().st_size for path in self.model_dir.rglob("*") if path.is_file())
        self.evaluate_result = {
            "seconds": seconds,
            "throughput": len(test) / seconds if seconds > 0 else None,
            "model_size_bytes": size,
            "test": metrics,
            "predictions": self._phrase_predictions(variant),
        }
        self._progress(
            f"test accuracy {metrics['accuracy']:.4f}, macro recall {metrics['macro_recall']:.4f}"
        )

    def _check_gate(self) -> None:
        settings = self.session.settings
        if settings.gate is None:
            return
        failures = settings.gate.check(
            self.name, settings.profile.name, self.evaluate_result["test"]
        )
        self.gate_failures = failures
        if failures:
            import pytest

            pytest.fail("\n".join(failures), pytrace=False)

    def _phrase_predictions(self, variant: SentimentVariant) -> list[dict[str, Any]]:
        phrases = list(self.session.settings.phrases)
        proba = variant.predict_proba(phrases)
        best = np.argmax(proba, axis=1)
        return [
            {"phrase": phrase, "label": str(variant.classes_[index]), "score": float(row[index])}
            for phrase, row, index in zip(phrases, proba, best, strict=True)
        ]

    # -- bookkeeping ----------------------------------------------------------------------
    def record(self) -> dict[str, Any] | None:
        """The results-store record, or None when this case was not evaluated."""
        if self.evaluate_result is None or self.variant is None:
            return None
        description = self.variant.describe().as_dict()
        train = {k: v for k, v in (self.train_result or {}).items() if k != "history"}
        status = "ok" if not self.gate_failures else "gate failed: " + "; ".join(self.gate_failures)
        return _json_clean(
            {
                "variant": self.name,
                "status": status,
                "profile": self.session.settings.profile.label(),
                "description": description,
                "hyperparameters": self.variant.hyperparameters(),
                "train": train,
                "evaluate": {k: self.evaluate_result[k] for k in ("seconds", "throughput")},
                "test": self.evaluate_result["test"],
                "model_size_bytes": self.evaluate_result["model_size_bytes"],
                "predictions": self.evaluate_result["predictions"],
                "data": self.session.splits.summary(),
                "provenance": self.session.provenance(),
            }
        )

    def to_log(self) -> CaseLog:
        """What tracking needs of this case (whatever phases ran)."""
        variant, test = self.variant, self.session.splits.test
        failed = any(outcome != "passed" for outcome in self.outcomes.values())
        evaluated = self.evaluate_result is not None
        log = CaseLog(
            name=self.name,
            outcome="failed" if failed else ("passed" if evaluated else "trained only"),
            node_ids=list(self.node_ids),
            errors=dict(self.errors),
            started_ms=self.started_ms,
        )
        if variant is None:
            return log
        log.description = variant.describe().as_dict()
        log.hyperparameters = variant.hyperparameters()
        log.preprocessing = variant.preprocessing_config()
        log.history = dict(variant.history)
        log.search_results = variant.search_results
        log.requirements = list(variant.requirements)
        log.classes = [str(label) for label in variant.classes_]
        log.train = {k: v for k, v in (self.train_result or {}).items() if k != "history"}
        if evaluated:
            log.evaluate = {
                k: self.evaluate_result[k] for k in ("seconds", "throughput", "model_size_bytes")
            }
            log.test_metrics = {
                k: v for k, v in self.evaluate_result["test"].items() if k != "confusion_matrix"
            }
            log.model_dir = self.model_dir
            log.test_texts, log.test_labels, log.test_proba = (
                test.texts,
                test.labels,
                self.test_proba,
            )
        return log

    def _phase(self, phase: str) -> _PhaseGuard:
        return _PhaseGuard(self, phase)

    def _progress(self, message: str) -> None:
        print(f"[{self.name}] {message}", file=sys.stderr, flush=True)


class _PhaseGuard:
    """Remembers a phase's error (one line) so that the session can report it."""

    def __init__(self, case: BenchCase, phase: str) -> None:
        self.case, self.phase = case, phase

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type | None, error: BaseException | None, tb: Any) -> bool:
        if (
            error is not None
            and not isinstance(error, KeyboardInterrupt)
            and not self.case.gate_failures
        ):
            line = traceback.format_exception_only(kind, error)[-1].strip()
            self.case.errors[self.phase] = line
        return False


def _json_clean(value: Any) -> Any:
    """Plain JSON types only: numpy scalars become Python numbers, NaN becomes None."""
    if isinstance(value, dict):
        return {str(key): _json_clean(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_clean(item) for item in value]
    if isinstance(value, np.ndarray):
        return _json_clean(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value
