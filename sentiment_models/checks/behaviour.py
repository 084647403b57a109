"""The behaviour suite (``--behaviour-tests``) on a trained model: each test's failure per
item, kept for intervals, paired comparisons and the gate; every failure described for the
tracking artifact."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from sentiment_models.behaviour import score_suite
from sentiment_models.results import BehaviourResult, encode_items

if TYPE_CHECKING:
    from sentiment_models.checks import CheckContext
    from sentiment_models.variants import SentimentVariant

EXAMPLES = 3
"""Failing items kept per test in ``results.json`` (the tracking artifact holds them all)."""


class BehaviourSuite:
    name: ClassVar[str] = "behaviour"

    def run(
        self, variant: SentimentVariant, context: CheckContext
    ) -> Mapping[str, BehaviourResult]:
        suite = context.behaviour
        if suite is None or not suite.tests:
            return {}
        context.progress(f"behaviour suite: {len(suite.tests)} tests, {len(suite.texts()):,} texts")
        outcomes, skipped = score_suite(suite, variant.predict_proba, list(variant.classes_))
        for name, why in skipped.items():
            context.progress(f"behaviour test {name} skipped: it {why}")
        results = {}
        for test in suite.tests:
            outcome = outcomes.get(test.name)
            if outcome is None:
                continue
            results[test.name] = BehaviourResult(
                title=test.title,
                kind=test.kind,
                capability=test.capability,
                digest=test.digest,
                items=len(test.items),
                failures=int(outcome.failed.sum()),
                failed=encode_items(outcome.failed),
                examples=outcome.failures[:EXAMPLES],
                every_failure=outcome.failures,
            )
        return results
