"""Behaviour tests (CheckList-style) for every trained model: the suite's generation from
TOML data files (``suite``) and the judging of a model on it (``scoring``)."""

from sentiment_models.behaviour.scoring import TestOutcome, score_suite
from sentiment_models.behaviour.suite import (
    BUILTIN,
    KINDS,
    BehaviourItem,
    BehaviourTest,
    Suite,
    SuiteError,
    load_suite,
)

__all__ = [
    "BUILTIN",
    "KINDS",
    "BehaviourItem",
    "BehaviourTest",
    "Suite",
    "SuiteError",
    "TestOutcome",
    "load_suite",
    "score_suite",
]
