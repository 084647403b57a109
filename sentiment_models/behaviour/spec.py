"""The behaviour suite's objects: an item, a test (its items and what passes), the suite."""

from __future__ import annotations

import fnmatch
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sentiment_models.errors import BenchError

KINDS = {"MFT": "minimum functionality", "INV": "invariance", "DIR": "directional"}
DEFAULT_TOLERANCE = 0.1
"""How far a directional test lets the positive probability move the wrong way (CheckList's
sentiment tests used 0.1)."""
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,40}$")


class SuiteError(BenchError):
    """A behaviour suite file that cannot be used: which file, which test, what to do."""


@dataclass(frozen=True)
class BehaviourItem:
    """One item: a text, and for invariance and directional tests the changed text."""

    text: str
    changed: str = ""


@dataclass(frozen=True)
class BehaviourTest:
    name: str
    title: str
    capability: str
    kind: str
    items: tuple[BehaviourItem, ...]
    labels: tuple[str, ...] = ()
    """Minimum functionality: the labels that pass."""
    direction: int = 0
    """Directional: +1, the positive probability must not fall; -1, must not rise."""
    tolerance: float = DEFAULT_TOLERANCE
    source: str = ""

    @property
    def digest(self) -> str:
        """What the test asks, item by item: equal digests, comparable failure rates."""
        parts = [self.kind, ",".join(self.labels), str(self.direction), repr(self.tolerance)]
        parts += [f"{item.text}\x1f{item.changed}" for item in self.items]
        return hashlib.sha256("\x1e".join(parts).encode("utf-8")).hexdigest()[:16]

    def not_applicable(self, classes: Sequence[str]) -> str | None:
        """Why the test cannot judge a model with these classes, or None."""
        if self.kind == "MFT" and not set(self.labels) & set(classes):
            return f"expects {' or '.join(self.labels)}, not among the classes"
        if self.kind == "DIR" and "positive" not in classes:
            return "moves the positive probability; the classes have no 'positive'"
        return None


@dataclass(frozen=True)
class Suite:
    tests: tuple[BehaviourTest, ...]
    sources: tuple[str, ...] = ()

    def texts(self) -> list[str]:
        """Every distinct text of the suite, in order of first use."""
        found = dict.fromkeys(
            text for test in self.tests for item in test.items for text in (item.text, item.changed)
        )
        found.pop("", None)
        return list(found)

    def select(self, patterns: Sequence[str]) -> Suite:
        """The tests whose name matches one of ``patterns`` (globs; ``all``; ``none``)."""
        wanted = [pattern.strip() for pattern in patterns if pattern.strip()]
        if any(pattern.lower() == "none" for pattern in wanted):
            return Suite((), self.sources)
        if not wanted or any(pattern.lower() == "all" for pattern in wanted):
            return self
        unmatched = [p for p in wanted if not any(fnmatch.fnmatch(t.name, p) for t in self.tests)]
        if unmatched:
            raise SuiteError(
                f"{{run.behaviour_tests}} {', '.join(unmatched)}: no behaviour test of that name; "
                f"the tests are: {', '.join(test.name for test in self.tests)}"
            )
        chosen = tuple(t for t in self.tests if any(fnmatch.fnmatch(t.name, p) for p in wanted))
        return Suite(chosen, self.sources)
