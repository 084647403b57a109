"""Per-model checks: what runs on a trained model right after its evaluate phase (untimed),
beside the test split's scores. Each kind of check is one module with one class that follows
:class:`ModelCheck`, and one entry in ``MODEL_CHECKS``; the case runner runs every entry, so a
new kind of check changes neither the runner nor the session. ``evaluation_sets`` (the
out-of-domain sets of ``--eval-dataset``) and ``behaviour`` (the behaviour suite of
``--behaviour-tests``) are built in."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Protocol

from sentiment_models.registry import Registry

if TYPE_CHECKING:
    import numpy as np

    from sentiment_models.behaviour import Suite
    from sentiment_models.data import DatasetSplits
    from sentiment_models.results import BehaviourResult, Transfer
    from sentiment_models.variants import SentimentVariant


@dataclass(frozen=True)
class CheckContext:
    """What a check may use besides the trained variant: the session's split (with its
    evaluation sets), a way to say what it does, and the item encoding of the results."""

    splits: DatasetSplits
    progress: Callable[[str], None]
    class_indices: Callable[[SentimentVariant, np.ndarray], np.ndarray]
    """Each item's predicted class (an index into the split's classes) from probabilities."""
    behaviour: Suite | None = None
    """The behaviour tests of the session (``--behaviour-tests``)."""


class ModelCheck(Protocol):
    """One kind of check on a trained model."""

    name: ClassVar[str]

    def run(
        self, variant: SentimentVariant, context: CheckContext
    ) -> Mapping[str, Transfer | BehaviourResult]:
        """Score ``variant``; returns results by name: a ``Transfer`` per evaluation set, a
        ``BehaviourResult`` per behaviour test (the runner files each by its type)."""


MODEL_CHECKS: Registry[type[ModelCheck]] = Registry(
    "model check",
    {
        "evaluation-sets": "sentiment_models.checks.evaluation_sets:EvaluationSets",
        "behaviour": "sentiment_models.checks.behaviour:BehaviourSuite",
    },
    entry_points="sentiment_bench.model_checks",
)
"""Every kind of check, imported when a case is evaluated; more come from the entry-point
group ``sentiment_bench.model_checks`` or ``MODEL_CHECKS.register(name, Class)``."""


def model_checks() -> list[ModelCheck]:
    """An instance of every registered check, in registration order."""
    return [MODEL_CHECKS.get(name)() for name in MODEL_CHECKS.names()]
