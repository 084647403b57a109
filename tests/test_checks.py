"""Per-model checks (``sentiment_models.checks``): the case runner runs every registered check
after the evaluate phase, so a new kind of check is one module and one registry entry."""

from __future__ import annotations

from typing import ClassVar

import pytest

from sentiment_models.behaviour import load_suite
from sentiment_models.checks import MODEL_CHECKS, CheckContext, model_checks
from sentiment_models.config import DataConfig, SplitConfig
from sentiment_models.data import load_splits
from sentiment_models.errors import ParameterError
from sentiment_models.metrics import score
from sentiment_models.pytest_plugin.case import CaseRunner
from sentiment_models.results import BehaviourResult, Transfer, decode_items, encode_items
from tests.helpers import write_csv


class Untimed:
    """pytest-benchmark's fixture as the runner uses it, running the function once."""

    group = ""
    extra_info: ClassVar[dict] = {}

    def pedantic(self, function, args=(), kwargs=None, **_):
        return function(*args, **(kwargs or {}))


class ShoutedTestSplit:
    """A check of another kind: the test split in capitals (a robustness check)."""

    name: ClassVar[str] = "shouted"

    def run(self, variant, context: CheckContext):
        test = context.splits.test
        context.progress("shouting")
        proba = variant.predict_proba([text.upper() for text in test.texts])
        return {
            "shouted": Transfer(
                score(test.labels, proba, variant.classes_),
                encode_items(context.class_indices(variant, proba)),
            )
        }


def _runner(tiny_csv, tmp_path, eval_datasets=()) -> CaseRunner:
    other = write_csv(tmp_path / "other.csv", [("good day", "positive"), ("awful", "negative")])
    data = DataConfig(
        dataset="csv",
        data_path=str(tiny_csv),
        eval_datasets=tuple(f"csv={other}" for _ in eval_datasets),
    )
    return CaseRunner(
        "vader",
        params={},
        splits=load_splits(data, SplitConfig()),
        train_score_rows=50,
        phrases=["I am sleepy"],
        model_dir=tmp_path / "model",
        progress=lambda line: None,
    )


def test_the_registered_checks_are_built_by_name():
    assert [check.name for check in model_checks()] == MODEL_CHECKS.names()


def test_the_evaluation_sets_are_a_check(tiny_csv, tmp_path):
    runner = _runner(tiny_csv, tmp_path, eval_datasets=["other"])
    runner.train(Untimed())
    result = runner.evaluate(Untimed())
    assert list(result.transfer) == ["csv:other.csv"]
    assert len(decode_items(result.transfer["csv:other.csv"].predicted)) == 2


def test_a_new_kind_of_check_is_one_class_and_one_entry(tiny_csv, tmp_path, monkeypatch):
    monkeypatch.setattr(MODEL_CHECKS, "_added", {})
    MODEL_CHECKS.register("shouted", f"{__name__}:ShoutedTestSplit")
    runner = _runner(tiny_csv, tmp_path)
    runner.train(Untimed())
    result = runner.evaluate(Untimed())
    shouted = result.transfer["shouted"]
    assert shouted.test.rows == runner.test_rows
    assert len(decode_items(shouted.predicted)) == runner.test_rows
    # VADER reads capitals as emphasis: the shouted split is scored on its own probabilities
    assert shouted.test.log_loss != pytest.approx(result.test.log_loss)


def test_a_check_registered_under_another_name_is_refused(monkeypatch):
    monkeypatch.setattr(MODEL_CHECKS, "_added", {})
    MODEL_CHECKS.register("loud", f"{__name__}:ShoutedTestSplit")
    with pytest.raises(ParameterError, match="calls itself 'shouted'; register it under"):
        model_checks()
    with pytest.raises(ParameterError, match="calls itself 'shouted'"):
        MODEL_CHECKS.register("louder", ShoutedTestSplit)


class EmphaticQuestions:
    """A team's own behaviour check written as code: a question mark must not change the
    label (an invariance test a template file could hold too)."""

    name: ClassVar[str] = "emphatic"

    def run(self, variant, context: CheckContext):
        import numpy as np

        texts = [str(text) for text in context.splits.test.texts]
        proba = variant.predict_proba(texts + [f"{text}?" for text in texts])
        labels = np.argmax(proba, axis=1)
        failed = labels[: len(texts)] != labels[len(texts) :]
        return {
            "question-mark": BehaviourResult(
                title="a question mark appended",
                kind="INV",
                capability="robustness",
                digest="q1",
                items=len(texts),
                failures=int(failed.sum()),
                failed=encode_items(failed),
            )
        }


class Wrong:
    name: ClassVar[str] = "wrong"

    def run(self, variant, context):
        return {"x": 0.5}


def test_a_check_may_return_behaviour_results_and_nothing_else(tiny_csv, tmp_path, monkeypatch):
    monkeypatch.setattr(MODEL_CHECKS, "_added", {})
    MODEL_CHECKS.register("emphatic", f"{__name__}:EmphaticQuestions")
    runner = _runner(tiny_csv, tmp_path)
    runner.behaviour = load_suite(patterns=["negated-positive"])
    runner.train(Untimed())
    result = runner.evaluate(Untimed())
    assert list(result.behaviour) == ["negated-positive", "question-mark"]
    assert result.behaviour["question-mark"].items == runner.test_rows
    assert set(result.check_seconds) == {"evaluation-sets", "behaviour", "emphatic"}
    MODEL_CHECKS.register("wrong", f"{__name__}:Wrong")
    fresh = _runner(tiny_csv, tmp_path)
    fresh.train(Untimed())
    said = "model check 'wrong' returned float for 'x'; expected Transfer or BehaviourResult"
    with pytest.raises(TypeError, match=said):
        fresh.evaluate(Untimed())
    assert said in fresh.errors["evaluate"]
