"""The per-case runner: one variant's train and evaluate phases, each timed once with
pytest-benchmark and scored. It receives what it needs (the split, the parameters, a place for
the model) and returns typed results; it knows nothing of the session, gates or tracking."""

from __future__ import annotations

import shutil
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from sentiment_models.behaviour import Suite
from sentiment_models.checks import CheckContext, model_checks
from sentiment_models.data import DatasetSplits
from sentiment_models.data.splits import subsample
from sentiment_models.metrics import score
from sentiment_models.results import (
    BehaviourResult,
    EvaluateResult,
    PhrasePrediction,
    Timing,
    TrainResult,
    Transfer,
    class_indices,
    encode_items,
    to_json,
)
from sentiment_models.variants import SentimentVariant, create_variant
from sentiment_models.variants.base import VariantDescription

HEADLINE = ("accuracy", "macro_f1", "macro_recall", "log_loss", "roc_auc")


class CaseRunner:
    """What the ``bench_case`` fixture hands to a benchmark test: ``train(benchmark)`` and
    ``evaluate(benchmark)``. ``benchmark`` is pytest-benchmark's fixture (or None: untimed)."""

    def __init__(
        self,
        name: str,
        *,
        seed: int = 0,
        params: dict[str, Any],
        splits: DatasetSplits,
        train_score_rows: int,
        phrases: Sequence[str],
        model_dir: Path,
        behaviour: Suite | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.name = name
        self.seed = seed
        self.params = params
        self.splits = splits
        self.train_score_rows = train_score_rows
        self.phrases = list(phrases)
        self.behaviour = behaviour
        self.model_dir = model_dir
        self.progress = progress or self._print
        self.variant: SentimentVariant | None = None
        self.train_result: TrainResult | None = None
        self.evaluate_result: EvaluateResult | None = None
        self.description: VariantDescription | None = None
        self.hyperparameters: dict[str, Any] = {}
        """The trained variant's description and parameters, taken inside the evaluate phase
        (a variant that cannot describe itself fails that phase, not the session)."""
        self.errors: dict[str, str] = {}
        self.started_ms = int(time.time() * 1000)
        self.threads: int | None = None
        """The threads this process had when the train phase began (``cores`` may widen
        them between phases)."""

    @property
    def test_rows(self) -> int:
        return len(self.splits.test)

    # -- phases -----------------------------------------------------------------------------
    def train(self, benchmark: Any) -> TrainResult:
        """Fit the variant exactly once under ``benchmark``; score it on the training split."""
        benchmark.group = "train"
        from sentiment_models.runtime import current

        self.threads = current().threads
        with _PhaseGuard(self.errors, "train"):
            result = self._train(benchmark)
        benchmark.extra_info.update({"variant": self.name, "seed": self.seed, **to_json(result)})
        return result

    def evaluate(self, benchmark: Any) -> EvaluateResult:
        """Predict the test split once under ``benchmark``; score, predict phrases, save the
        model and size it."""
        benchmark.group = "evaluate"
        if "train" in self.errors:
            raise RuntimeError(
                f"{self.name}: not evaluated, training failed: {self.errors['train']}"
            )
        with _PhaseGuard(self.errors, "evaluate"):
            if self.variant is None:  # evaluate selected alone: train first, outside the timing
                self._train(None)
            result = self._evaluate(benchmark)
        test = to_json(result.test)
        benchmark.extra_info.update(
            {
                "variant": self.name,
                "seed": self.seed,
                **{key: test.get(key) for key in HEADLINE},
                "seconds": result.timing.seconds,
                "throughput": result.timing.throughput,
                "model_size_bytes": result.model_size_bytes,
                "test": test,
                "transfer": {
                    name: to_json(transfer.test) for name, transfer in result.transfer.items()
                },
                "predictions": to_json(result.predictions),
                "behaviour_failure_rate": {
                    name: round(found.rate, 6) for name, found in result.behaviour.items()
                },
            }
        )
        return result

    # -- work -------------------------------------------------------------------------------
    def _train(self, benchmark: Any | None) -> TrainResult:
        splits = self.splits
        variant = create_variant(self.name, seed=self.seed, progress=self._tell, **self.params)
        validation = (splits.validation.texts, splits.validation.labels)
        self._tell(f"training on {len(splits.train):,} texts")
        started = time.perf_counter()
        _timed(
            benchmark, variant.fit, splits.train.texts, splits.train.labels, validation=validation
        )
        seconds = time.perf_counter() - started
        self.variant = variant
        sample = subsample(
            splits.train, self.train_score_rows, seed=splits.seed, field="run.train_score_rows"
        )
        scored = score(sample.labels, variant.predict_proba(sample.texts), variant.classes_)
        samples = variant.training_samples or len(splits.train)
        history = {key: tuple(values) for key, values in variant.history.items()}
        self.train_result = TrainResult(
            seconds=seconds,
            samples=samples,
            # no training (a pretrained model or a lexicon): the phase only loads it
            throughput=samples / seconds if seconds > 0 and variant.learns else None,
            accuracy=scored.accuracy,
            macro_f1=scored.macro_f1,
            macro_recall=scored.macro_recall,
            scored_rows=len(sample),
            epochs=len(next(iter(history.values()))) if history else None,
            val_accuracy=getattr(variant, "validation_accuracy", None),
            history=history,
        )
        self._tell(f"trained in {seconds:.1f} s, train accuracy {scored.accuracy:.4f}")
        return self.train_result

    def _evaluate(self, benchmark: Any) -> EvaluateResult:
        variant, test = self.variant, self.splits.test
        started = time.perf_counter()
        proba = _timed(benchmark, variant.predict_proba, test.texts)
        seconds = time.perf_counter() - started
        metrics = score(test.labels, proba, variant.classes_)
        transfer, behaviour, check_seconds = self._checks(variant)
        self.description = replace(variant.describe(), uses_seed=variant.uses_seed)
        self.hyperparameters = variant.hyperparameters()
        shutil.rmtree(self.model_dir, ignore_errors=True)
        variant.save(self.model_dir)
        size = sum(path.stat().st_size for path in self.model_dir.rglob("*") if path.is_file())
        self.evaluate_result = EvaluateResult(
            timing=Timing(seconds, len(test) / seconds if seconds > 0 else None),
            test=metrics,
            model_size_bytes=size,
            predictions=self._phrase_predictions(variant),
            predicted=encode_items(self._class_indices(variant, proba)),
            transfer=transfer,
            behaviour=behaviour,
            check_seconds=check_seconds,
            proba=proba,
        )
        self._tell(f"test accuracy {metrics.accuracy:.4f}, macro recall {metrics.macro_recall:.4f}")
        return self.evaluate_result

    def _checks(
        self, variant: SentimentVariant
    ) -> tuple[dict[str, Transfer], dict[str, BehaviourResult], dict[str, float]]:
        """Every per-model check, untimed (after the test split's timed predictions): its
        results filed by type, and the seconds each took."""
        context = CheckContext(self.splits, self._tell, self._class_indices, self.behaviour)
        transfer, behaviour, seconds = {}, {}, {}
        for check in model_checks():
            started = time.perf_counter()
            for name, result in check.run(variant, context).items():
                if isinstance(result, BehaviourResult):
                    behaviour[name] = result
                elif isinstance(result, Transfer):
                    transfer[name] = result
                else:
                    raise TypeError(
                        f"model check {check.name!r} returned {type(result).__name__} for "
                        f"{name!r}; expected Transfer or BehaviourResult"
                    )
            seconds[check.name] = round(time.perf_counter() - started, 3)
        if behaviour:
            worst = max(behaviour.items(), key=lambda pair: pair[1].rate)
            self._tell(
                f"behaviour: {len(behaviour)} tests in {seconds.get('behaviour', 0):.1f} s, "
                f"worst {worst[0]} ({worst[1].rate:.0%} failing)"
            )
        return transfer, behaviour, seconds

    def _class_indices(self, variant: SentimentVariant, proba: np.ndarray) -> np.ndarray:
        """Each item's predicted class as an index into the split's classes."""
        return class_indices(variant.classes_, self.splits.classes, unknown=255)[
            np.argmax(proba, axis=1)
        ]

    def _phrase_predictions(self, variant: SentimentVariant) -> tuple[PhrasePrediction, ...]:
        proba = variant.predict_proba(self.phrases)
        best = np.argmax(proba, axis=1)
        return tuple(
            PhrasePrediction(phrase, str(variant.classes_[index]), float(row[index]))
            for phrase, row, index in zip(self.phrases, proba, best, strict=True)
        )

    def _tell(self, message: str) -> None:
        self.progress(f"[{self.name}] {message}")

    @staticmethod
    def _print(message: str) -> None:
        print(message, file=sys.stderr, flush=True)


def _timed(benchmark: Any | None, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run ``function`` once: under ``benchmark`` (one round, no warm-up; background
    logging holds off meanwhile) or untimed."""
    if benchmark is None:
        return function(*args, **kwargs)
    from sentiment_models.runtime import timed_phase

    with timed_phase():
        return benchmark.pedantic(
            function, args=args, kwargs=kwargs, rounds=1, iterations=1, warmup_rounds=0
        )


class _PhaseGuard:
    """Remembers a phase's error (one line) so that the session can report it."""

    def __init__(self, errors: dict[str, str], phase: str) -> None:
        self.errors, self.phase = errors, phase

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type | None, error: BaseException | None, tb: Any) -> bool:
        if error is not None and not isinstance(error, KeyboardInterrupt):
            self.errors[self.phase] = traceback.format_exception_only(kind, error)[-1].strip()
        return False
