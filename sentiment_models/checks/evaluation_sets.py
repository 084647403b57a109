"""The out-of-domain evaluation sets (``--eval-dataset``): each scored like the test split,
with its per-item predictions kept for paired comparisons."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from sentiment_models.metrics import score
from sentiment_models.results import Transfer, encode_items

if TYPE_CHECKING:
    from sentiment_models.checks import CheckContext
    from sentiment_models.variants import SentimentVariant


class EvaluationSets:
    name: ClassVar[str] = "evaluation-sets"

    def run(self, variant: SentimentVariant, context: CheckContext) -> Mapping[str, Transfer]:
        results = {}
        for name, data in context.splits.evaluations.items():
            context.progress(f"evaluating on {name} ({len(data):,} texts)")
            proba = variant.predict_proba(data.texts)
            results[name] = Transfer(
                score(data.labels, proba, variant.classes_),
                encode_items(context.class_indices(variant, proba)),
            )
        return results
