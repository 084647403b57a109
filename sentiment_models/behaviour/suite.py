"""The behaviour suite: tests of what a sentiment model does with negation, intensity, emoji,
contrast, noise and names (CheckList's capabilities x test types: minimum functionality,
invariance, directional), generated deterministically from the templates and lexicons of
TOML files: ``suite.toml`` in this package, and a team's own (``--behaviour-suite``).

Generation is seeded by each test's name (Python's ``random.Random``, whose choices are
stable across Python versions), so a test's items, and its digest, change only when its
file does. Format and an example: docs/behaviour.md.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sentiment_models.behaviour.drawing import ItemDrawer, strings
from sentiment_models.behaviour.spec import (
    DEFAULT_TOLERANCE,
    KINDS,
    NAME,
    BehaviourTest,
    Suite,
    SuiteError,
)

BUILTIN = Path(__file__).with_name("suite.toml")
DIRECTIONS = {"up": 1, "down": -1}
MAX_SIZE = 5000
KEYS = {
    "name", "title", "capability", "kind", "size", "label", "labels", "templates", "from",
    "perturb", "append", "swap", "swap_slot", "pairs", "direction", "tolerance",
}  # fmt: skip


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
    maker = ItemDrawer(at, name, lexicon)
    labels: tuple[str, ...] = ()
    direction = 0
    if kind == "MFT":
        labels = tuple(spec.get("labels") or ([spec["label"]] if "label" in spec else []))
        if not labels or not all(isinstance(label, str) for label in labels):
            raise SuiteError(f"{at}: a minimum functionality test needs 'label' or 'labels'")
        items = maker.filled(strings(at, spec, "templates"), size)
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
