"""Behaviour tests (CheckList-style) for every trained model: the suite's objects (``spec``),
its loading from TOML data files (``suite``) and the drawing of its items (``drawing``), and
the judging of a model on it (``scoring``)."""

from sentiment_models.behaviour.scoring import TestOutcome, score_suite
from sentiment_models.behaviour.spec import (
    KINDS,
    BehaviourItem,
    BehaviourTest,
    Suite,
    SuiteError,
)
from sentiment_models.behaviour.suite import BUILTIN, load_suite

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
