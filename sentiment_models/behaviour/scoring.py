"""Judging a model on the behaviour suite: one batch of predictions for every distinct text,
then, per test and item, passed or failed:

- minimum functionality: the predicted label is one of the expected labels;
- invariance: the changed text gets the same predicted label as the text;
- directional: the positive probability does not move the wrong way by more than the
  test's tolerance.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from sentiment_models.behaviour.spec import BehaviourItem, BehaviourTest, Suite


@dataclass(frozen=True)
class TestOutcome:
    """A model on one test: which items failed, and each failure described."""

    __test__ = False  # not a pytest test class

    failed: np.ndarray
    failures: tuple[str, ...]
    """Every failing item, in item order: the text(s), and what the model did."""

    @property
    def rate(self) -> float:
        return float(self.failed.mean()) if len(self.failed) else 0.0


def score_suite(
    suite: Suite, predict_proba: Callable[[list[str]], np.ndarray], classes: Sequence[str]
) -> tuple[dict[str, TestOutcome], dict[str, str]]:
    """The outcome of every test that applies to a model with ``classes``, and why the
    others were skipped."""
    classes = [str(label) for label in classes]
    skipped = {t.name: why for t in suite.tests if (why := t.not_applicable(classes))}
    tests = [test for test in suite.tests if test.name not in skipped]
    texts = list(
        dict.fromkeys(t for test in tests for i in test.items for t in (i.text, i.changed))
    )
    texts = [text for text in texts if text]
    row = {text: index for index, text in enumerate(texts)}
    proba = np.asarray(predict_proba(texts), dtype=float) if texts else np.zeros((0, len(classes)))
    judge = _Judge(proba, row, classes)
    return {test.name: judge(test) for test in tests}, skipped


class _Judge:
    def __init__(self, proba: np.ndarray, row: dict[str, int], classes: list[str]) -> None:
        self.proba, self.row, self.classes = proba, row, classes
        self.label = [classes[index] for index in np.argmax(proba, axis=1)]

    def __call__(self, test: BehaviourTest) -> TestOutcome:
        check = {"MFT": self._expected, "INV": self._invariant, "DIR": self._directional}
        verdicts = [check[test.kind](test, item) for item in test.items]
        failed = np.array([why is not None for why in verdicts], dtype=bool)
        return TestOutcome(failed, tuple(why for why in verdicts if why is not None))

    def _expected(self, test: BehaviourTest, item: BehaviourItem) -> str | None:
        at = self.row[item.text]
        got = self.label[at]
        if got in test.labels:
            return None
        expected = " or ".join(label for label in test.labels if label in self.classes)
        return f"{item.text!r}: expected {expected}, predicted {got} ({self._p(at, got):.2f})"

    def _invariant(self, test: BehaviourTest, item: BehaviourItem) -> str | None:
        before, after = self.row[item.text], self.row[item.changed]
        if self.label[before] == self.label[after]:
            return None
        return (
            f"{item.text!r} -> {item.changed!r}: {self.label[before]} "
            f"({self._p(before, self.label[before]):.2f}) became {self.label[after]} "
            f"({self._p(after, self.label[after]):.2f})"
        )

    def _directional(self, test: BehaviourTest, item: BehaviourItem) -> str | None:
        before = self._p(self.row[item.text], "positive")
        after = self._p(self.row[item.changed], "positive")
        if test.direction * (after - before) >= -test.tolerance:
            return None
        return f"{item.text!r} -> {item.changed!r}: P(positive) {before:.2f} -> {after:.2f}"

    def _p(self, at: int, label: str) -> float:
        return float(self.proba[at, self.classes.index(label)])
