"""Drawing a test's items from its templates and lexicons: seeded by the test's name
(Python's ``random.Random``, whose choices are stable across Python versions), without
duplicates, until the test's size is reached (or the file is refused, saying how many
distinct items its templates and lexicons can give)."""

from __future__ import annotations

import random
import re
import string
import zlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sentiment_models.behaviour.spec import NAME, BehaviourItem, BehaviourTest, SuiteError

ATTEMPTS_PER_ITEM = 50
SLOT = re.compile(r"_\d+$")
PERTURBATIONS = ("typo", "upper", "punctuation")


def strings(at: str, spec: Mapping[str, Any], key: str) -> list[str]:
    values = spec.get(key)
    if not (isinstance(values, list) and values and all(isinstance(v, str) for v in values)):
        raise SuiteError(f"{at}: {key!r} must be a non-empty list of strings")
    return values


class ItemDrawer:
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
        templates = strings(self.at, spec, "templates")
        groups = strings(self.at, spec, "swap")
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
        sources = strings(self.at, spec, "from")
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
    def _draw(
        self, size: int, make: Callable[[int], BehaviourItem], limit: int | None = None
    ) -> tuple[BehaviourItem, ...]:
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
