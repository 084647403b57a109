"""The behaviour suite: tests of what a sentiment model does with negation, intensity, emoji,
contrast, noise and names (CheckList's capabilities x test types: minimum functionality,
invariance, directional), generated deterministically from the templates and lexicons of
TOML files: ``suite.toml`` in this package, and a team's own (``--behaviour-suite``).

Generation is seeded by each test's name (Python's ``random.Random``, whose choices are
stable across Python versions), so a test's items, and its digest, change only when its
file does. Format and an example: docs/behaviour.md.
"""

from __future__ import annotations

import fnmatch
import hashlib
import random
import re
import string
import tomllib
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sentiment_models.errors import BenchError

BUILTIN = Path(__file__).with_name("suite.toml")
KINDS = {"MFT": "minimum functionality", "INV": "invariance", "DIR": "directional"}
DIRECTIONS = {"up": 1, "down": -1}
DEFAULT_TOLERANCE = 0.1
"""How far a directional test lets the positive probability move the wrong way (CheckList's
sentiment tests used 0.1)."""
MAX_SIZE = 5000
ATTEMPTS_PER_ITEM = 50
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,40}$")
SLOT = re.compile(r"_\d+$")
PERTURBATIONS = ("typo", "upper", "punctuation")
KEYS = {
    "name", "title", "capability", "kind", "size", "label", "labels", "templates", "from",
    "perturb", "append", "swap", "swap_slot", "pairs", "direction", "tolerance",
}  # fmt: skip


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


def load_suite(extra: Iterable[str | Path] = (), patterns: Sequence[str] = ("all",)) -> Suite:
    """The built-in suite plus the tests of ``extra`` files, narrowed to ``patterns``."""
    lexicon: dict[str, list[str]] = {}
    specs: list[tuple[str, dict[str, Any]]] = []
    files = [BUILTIN, *map(Path, extra)]
    for path in files:
        document = _read(path)
        where = str(path)
        for key, words in document.get("lexicon", {}).items():
            if key in lexicon:
                raise SuiteError(f"{where}: lexicon {key!r} is defined twice; choose another name")
            if not (isinstance(words, list) and words and all(isinstance(w, str) for w in words)):
                raise SuiteError(f"{where}: lexicon {key!r} must be a non-empty list of strings")
            lexicon[key] = words
        tests = document.get("test", [])
        if not isinstance(tests, list):
            raise SuiteError(f"{where}: 'test' must be an array of tables ([[test]])")
        if not all(isinstance(spec, dict) for spec in tests):
            raise SuiteError(f"{where}: every 'test' must be a table ([[test]] with its keys)")
        specs += [(where, spec) for spec in tests]
    first_seen: dict[object, str] = {}
    for where, spec in specs:
        name = spec.get("name")
        if name in first_seen:
            raise SuiteError(
                f"{where}: test {name!r} is defined twice (also in {first_seen[name]}); rename one"
            )
        first_seen[name] = where
    built: dict[str, BehaviourTest] = {}
    for where, spec in sorted(specs, key=lambda pair: "from" in pair[1]):  # sources first
        built[str(spec.get("name"))] = _build(where, spec, lexicon, built)
    order = [str(spec.get("name")) for _, spec in specs]
    suite = Suite(tuple(built[name] for name in order), tuple(map(str, files)))
    return suite.select(patterns)


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SuiteError(
            f"{{run.behaviour_suites}} {path}: no such file; give a TOML file of behaviour tests "
            "(format: docs/behaviour.md)"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise SuiteError(f"{{run.behaviour_suites}} {path}: cannot be read ({error})") from None
    except tomllib.TOMLDecodeError as error:
        raise SuiteError(f"{{run.behaviour_suites}} {path}: not valid TOML ({error})") from None


def _build(
    where: str, spec: Mapping[str, Any], lexicon: Mapping[str, list[str]], built: Mapping[str, Any]
) -> BehaviourTest:
    name = str(spec.get("name", ""))
    at = f"{where}, test {name or '(no name)'}"
    if not NAME.match(name):
        raise SuiteError(f"{at}: 'name' must be 1-41 lower-case letters, digits, '-' or '_'")
    unknown = sorted(set(spec) - KEYS)
    if unknown:
        raise SuiteError(f"{at}: unknown key(s) {', '.join(unknown)}; the keys are {sorted(KEYS)}")
    kind = spec.get("kind")
    if kind not in KINDS:
        raise SuiteError(f"{at}: 'kind' must be one of {', '.join(KINDS)}, not {kind!r}")
    size = spec.get("size")
    if not isinstance(size, int) or not 1 <= size <= MAX_SIZE:
        raise SuiteError(f"{at}: 'size' must be a whole number from 1 to {MAX_SIZE:,}")
    maker = _Maker(at, name, lexicon)
    labels: tuple[str, ...] = ()
    direction = 0
    if kind == "MFT":
        labels = tuple(spec.get("labels") or ([spec["label"]] if "label" in spec else []))
        if not labels or not all(isinstance(label, str) for label in labels):
            raise SuiteError(f"{at}: a minimum functionality test needs 'label' or 'labels'")
        items = maker.filled(_strings(at, spec, "templates"), size)
    else:
        if kind == "DIR":
            if spec.get("direction") not in DIRECTIONS:
                raise SuiteError(f"{at}: 'direction' must be 'up' or 'down'")
            direction = DIRECTIONS[spec["direction"]]
        if "pairs" in spec:
            items = maker.paired(spec["pairs"], size)
        elif "swap" in spec:
            items = maker.swapped(spec, size)
        elif "from" in spec:
            items = maker.changed(spec, built, size)
        else:
            raise SuiteError(
                f"{at}: an {kind} test needs 'from' (with 'perturb' or 'append'), 'pairs', or "
                "'templates' with 'swap'"
            )
    tolerance = spec.get("tolerance", DEFAULT_TOLERANCE)
    if not isinstance(tolerance, int | float) or not 0 <= tolerance < 1:
        raise SuiteError(f"{at}: 'tolerance' must be a number from 0 to 1 (exclusive)")
    return BehaviourTest(
        name=name,
        title=str(spec.get("title", name)),
        capability=str(spec.get("capability", "other")),
        kind=kind,
        items=items,
        labels=labels,
        direction=direction,
        tolerance=float(tolerance),
        source=Path(where).name,
    )


def _strings(at: str, spec: Mapping[str, Any], key: str) -> list[str]:
    values = spec.get(key)
    if not (isinstance(values, list) and values and all(isinstance(v, str) for v in values)):
        raise SuiteError(f"{at}: {key!r} must be a non-empty list of strings")
    return values


class _Maker:
    """Draws a test's items, seeded by its name, without duplicates."""

    def __init__(self, at: str, name: str, lexicon: Mapping[str, list[str]]) -> None:
        self.at, self.lexicon = at, lexicon
        self.rng = random.Random(zlib.crc32(name.encode("utf-8")))

    def filled(self, templates: list[str], size: int) -> tuple[BehaviourItem, ...]:
        return self._draw(
            size, lambda i: BehaviourItem(self._fill([templates[i % len(templates)]])[0][0])
        )

    def paired(self, pairs: object, size: int) -> tuple[BehaviourItem, ...]:
        if not (isinstance(pairs, list) and pairs and all(_is_pair(pair) for pair in pairs)):
            raise SuiteError(f"{self.at}: 'pairs' must be a list of [text, changed] templates")
        return self._draw(size, lambda i: BehaviourItem(*self._fill(pairs[i % len(pairs)])[0]))

    def swapped(self, spec: Mapping[str, Any], size: int) -> tuple[BehaviourItem, ...]:
        templates = _strings(self.at, spec, "templates")
        groups = _strings(self.at, spec, "swap")
        slot = spec.get("swap_slot", groups[0])
        for group in groups:
            self._words(group)
        if not all(f"{{{slot}}}" in template for template in templates):
            raise SuiteError(f"{self.at}: every template must hold the swapped slot {{{slot}}}")

        def item(i: int) -> BehaviourItem:
            template = templates[i % len(templates)]
            first, second = self.rng.sample(groups, 2) if len(groups) > 1 else groups * 2
            original = self.rng.choice(self._words(first))
            others = [word for word in self._words(second) if word != original]
            texts, values = self._fill([template], {slot: original})
            values[slot] = self.rng.choice(others)
            return BehaviourItem(texts[0], template.format_map(values))

        return self._draw(size, item)

    def changed(
        self, spec: Mapping[str, Any], built: Mapping[str, BehaviourTest], size: int
    ) -> tuple[BehaviourItem, ...]:
        sources = _strings(self.at, spec, "from")
        missing = [name for name in sources if name not in built or built[name].kind != "MFT"]
        if missing:
            raise SuiteError(
                f"{self.at}: 'from' names {', '.join(missing)}, not minimum functionality tests "
                "of the loaded files"
            )
        pool = [item.text for name in sources for item in built[name].items]
        perturb, append = spec.get("perturb"), spec.get("append")
        if (perturb is None) == (append is None):
            raise SuiteError(f"{self.at}: give one of 'perturb' ({PERTURBATIONS}) or 'append'")
        if perturb is not None and perturb not in PERTURBATIONS:
            raise SuiteError(f"{self.at}: 'perturb' must be one of {', '.join(PERTURBATIONS)}")
        words = self._words(append) if append is not None else []
        order = self.rng.sample(pool, len(pool))

        def item(i: int) -> BehaviourItem:
            text = order[i % len(order)]
            if append is not None:
                return BehaviourItem(text, f"{text} {self.rng.choice(words)}")
            return BehaviourItem(text, _perturb(str(perturb), text, self.rng))

        return self._draw(size, item, limit=len(order) * 4)

    # -- drawing ----------------------------------------------------------------------------
    def _draw(self, size: int, make: Any, limit: int | None = None) -> tuple[BehaviourItem, ...]:
        seen: dict[BehaviourItem, None] = {}
        attempts = limit or size * ATTEMPTS_PER_ITEM
        for attempt in range(attempts):
            item = make(attempt)
            if item.changed != item.text:
                seen.setdefault(item)
            if len(seen) == size:
                return tuple(seen)
        raise SuiteError(
            f"{self.at}: only {len(seen)} distinct items after {attempts:,} draws, {size} asked; "
            f"lower its size to {len(seen)} or add words to its lexicons"
        )

    def _fill(
        self, templates: Sequence[str], values: dict[str, str] | None = None
    ) -> tuple[list[str], dict[str, str]]:
        """The templates with one word per slot (slots of one lexicon take distinct words),
        and the words chosen."""
        values = dict(values or {})
        slots = [s for t in templates for s in _slots(t, self.at) if s not in values]
        by_lexicon: dict[str, list[str]] = {}
        for slot in dict.fromkeys(slots):
            by_lexicon.setdefault(SLOT.sub("", slot), []).append(slot)
        for key, names in by_lexicon.items():
            words = self._words(key)
            if len(names) > len(words):
                raise SuiteError(f"{self.at}: lexicon {key!r} has fewer words than slots")
            values.update(zip(names, self.rng.sample(words, len(names)), strict=True))
        return [template.format_map(values) for template in templates], values

    def _words(self, key: str) -> list[str]:
        if key not in self.lexicon:
            raise SuiteError(
                f"{self.at}: no lexicon {key!r}; the lexicons are {', '.join(sorted(self.lexicon))}"
            )
        return self.lexicon[key]


def _is_pair(pair: object) -> bool:
    return isinstance(pair, list) and len(pair) == 2 and all(isinstance(t, str) for t in pair)


def _slots(template: str, at: str) -> list[str]:
    try:
        names = [field for _, field, _, _ in string.Formatter().parse(template) if field]
    except ValueError as error:
        raise SuiteError(f"{at}: template {template!r}: {error}") from None
    bad = [name for name in names if not NAME.match(name)]
    if bad:
        raise SuiteError(f"{at}: template {template!r}: bad slot {bad[0]!r}")
    return names


def _perturb(kind: str, text: str, rng: random.Random) -> str:
    if kind == "upper":
        return text.upper()
    if kind == "punctuation":
        return text + text[-1] * 2 if text[-1] in ".!?" else text + "!!!"
    words = [m for m in re.finditer(r"[A-Za-z]{4,}", text)]
    if not words:
        return text
    word = rng.choice(words)
    at = rng.randrange(word.start() + 1, word.end() - 2)
    return text[:at] + text[at + 1] + text[at] + text[at + 2 :]
