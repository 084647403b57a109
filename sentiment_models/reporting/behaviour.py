"""The behaviour suite in the results: each variant's failure rate per test with its 95%
interval over the test's items and the seeds, paired comparisons of the variants on each
test (one Holm family over every pair of every test), rank intervals drawn from them, and
the comparison page's "Behaviour" section and terminal line."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from tabulate import tabulate

from sentiment_models.behaviour.spec import KINDS
from sentiment_models.results import BehaviourResult, VariantRecord, decode_items
from sentiment_models.statistics import (
    CONFIDENCE,
    Estimate,
    PairTest,
    Runs,
    estimate,
    pair_family,
    rank_intervals,
)

EXAMPLES_SHOWN = 3


@dataclass(frozen=True)
class TestRow:
    """One behaviour test across the variants that ran it on the same items."""

    __test__ = False  # not a pytest test class

    name: str
    about: BehaviourResult
    """The test as the first variant recorded it (title, kind, capability, items)."""
    failure: Mapping[str, Estimate]
    """Variant -> failure rate over seeds (mean, interval over items and seeds)."""
    ranks: Mapping[str, tuple[int, int]]
    """Variant -> its possible ranks, 1 = fewest failures, from the paired tests."""
    pairs: tuple[PairTest, ...]


@dataclass(frozen=True)
class BehaviourAnalysis:
    tests: tuple[TestRow, ...]
    names: tuple[str, ...]
    alpha: float

    @property
    def family(self) -> int:
        return sum(len(row.pairs) for row in self.tests)

    def worst(self, name: str) -> TestRow | None:
        """The test ``name`` fails most often (by mean failure rate)."""
        rows = [row for row in self.tests if name in row.failure]
        return max(rows, key=lambda row: row.failure[name].mean, default=None)


def runs_of(record: VariantRecord, test: str, digest: str) -> Runs | None:
    """``record``'s seeds on behaviour ``test`` as runs (a pass is a correct item)."""
    found = [(run.seed, run.behaviour[test]) for run in record.runs if test in run.behaviour]
    found = [(seed, result) for seed, result in found if result.digest == digest and result.failed]
    if not found:
        return None
    passed = [1 - decode_items(result.failed).astype(np.int16) for _, result in found]
    labels = np.ones(len(passed[0]), dtype=np.int16)
    seeds = [seed for seed, _ in found]
    return Runs.of(passed, labels, 2, seeds, fixed=not record.description.trains_per_seed)


def analyse_behaviour(
    records: Mapping[str, VariantRecord], names: Sequence[str], alpha: float = 0.05
) -> BehaviourAnalysis:
    """Every behaviour test in the records, on the items most variants ran it on."""
    tests: dict[str, dict[str, BehaviourResult]] = {}
    for name in names:
        for run in records[name].runs:
            for test, result in run.behaviour.items():
                tests.setdefault(test, {}).setdefault(name, result)
    groups: dict[str, dict[str, Runs]] = {}
    about: dict[str, BehaviourResult] = {}
    for test, by_variant in tests.items():
        digests = [result.digest for result in by_variant.values()]
        common = max(set(digests), key=lambda digest: (digests.count(digest), digest))
        about[test] = next(r for r in by_variant.values() if r.digest == common)
        groups[test] = {
            name: runs
            for name in by_variant
            if (runs := runs_of(records[name], test, common)) is not None
        }
    order = sorted(groups, key=lambda test: _row_order(about[test], test))
    groups = {test: groups[test] for test in order}
    family = pair_family(groups, alpha=None)
    rows = []
    for test, runs in groups.items():
        failure = {name: failure_estimate(found) for name, found in runs.items()}
        pairs = tuple(family[test])
        ranks = rank_intervals(list(runs), pairs, alpha)
        rows.append(TestRow(test, about[test], failure, ranks, pairs))
    return BehaviourAnalysis(tuple(rows), tuple(n for n in names if n in _ran(groups)), alpha)


def _row_order(about: BehaviourResult, name: str) -> tuple[int, str, str]:
    """Rows by test type (MFT, INV, DIR), then capability, then name: the same order
    whether the records come from the session or from ``results.json``."""
    kinds = list(KINDS)
    kind = kinds.index(about.kind) if about.kind in kinds else len(kinds)
    return kind, about.capability, name


def _ran(groups: Mapping[str, Mapping[str, Runs]]) -> set[str]:
    return {name for runs in groups.values() for name in runs}


def failure_estimate(runs: Runs) -> Estimate:
    """The failure rate over seeds, its interval over the items and seeds (the t interval of
    ``statistics.estimate``, kept within [0, 1]). A variant that failed every item, or none,
    on every seed has no spread to measure: its interval is the exact (Clopper-Pearson)
    one of that count on one seed's items."""
    from statsmodels.stats.proportion import proportion_confint

    passed = estimate(runs, "accuracy")
    failed = 1 - runs.correct
    low, high = max(0.0, 1 - passed.high), min(1.0, 1 - passed.low)
    if failed.max() == failed.min():  # all failed, or all passed, on every seed
        n = failed.shape[1]
        count = int(failed[0].sum())
        low, high = proportion_confint(count, n, alpha=1 - CONFIDENCE, method="beta")
    return Estimate(
        mean=1 - passed.mean,
        sd=passed.sd,
        low=float(low),
        high=float(high),
        seeds=passed.seeds,
        error=passed.error,
        conditional=passed.conditional,
    )


# -- rendering --------------------------------------------------------------------------------
def render_behaviour(
    records: Mapping[str, VariantRecord],
    names: Sequence[str],
    found: BehaviourAnalysis | None = None,
) -> list[str]:
    """The comparison page's "Behaviour" section (nothing when no run holds the suite);
    ``found``: the records' analysis, when already made."""
    found = found or analyse_behaviour(records, names)
    if not found.tests:
        return []
    worst = {name: row.name for name in found.names if (row := found.worst(name))}
    table = []
    for row in found.tests:
        cells = [f"`{row.name}`", row.about.kind, row.about.capability, str(row.about.items)]
        for name in found.names:
            cells.append(_cell(row, name, worst.get(name) == row.name))
        table.append(cells)
    header = ["Test", "Kind", "Capability", "Items", *found.names]
    level = f"{CONFIDENCE:.0%}"
    lines = [
        "## Behaviour: failure rate per test",
        "",
        "Every trained model of every seed (and the variants that do not train) on the "
        "behaviour suite (`--behaviour-tests`; the tests: docs/behaviour.md): templated "
        "tweets in the spirit of CheckList. MFT: a label is expected; INV: a small change "
        "(a typo, a name swapped) must not change the label; DIR: an added phrase must not "
        "move P(positive) the wrong way by more than 0.1. Failure rate in % over seeds "
        f"[{level} interval over the test's items and the seeds]; **bold**: the variant's "
        "worst test; `#a-b`: its possible ranks on that test (1 = fewest failures) from "
        f"paired tests of every pair on every test, one Holm family of {found.family} tests "
        f"at alpha {found.alpha:g}. The items are not tweets the models were trained on: a "
        "rate says what a model does with one kind of phrase, not how often users write it.",
        "",
        tabulate(table, headers=header, tablefmt="github", disable_numparse=True),
        "",
    ]
    lines += _examples(records, found)
    return lines


def _cell(row: TestRow, name: str, worst: bool) -> str:
    found = row.failure.get(name)
    if found is None:
        return "-"
    low, high = row.ranks[name]
    rank = f"#{low}" if low == high else f"#{low}-{high}"
    text = f"{100 * found.mean:.1f} [{100 * found.low:.1f}, {100 * found.high:.1f}]"
    text += "*" if found.conditional else ""
    return f"**{text}** {rank}" if worst else f"{text} {rank}"


def _examples(records: Mapping[str, VariantRecord], found: BehaviourAnalysis) -> list[str]:
    lines = []
    for row in found.tests:
        shown = []
        for name in found.names:
            examples = next(
                (
                    run.behaviour[row.name].examples
                    for run in records[name].runs
                    if row.name in run.behaviour and run.behaviour[row.name].examples
                ),
                (),
            )
            shown += [f"- {name}: {_escape(text)}" for text in examples[:EXAMPLES_SHOWN]]
        if shown:
            lines += [
                "<details>",
                f"<summary><code>{row.name}</code> ({_escape(row.about.title)}): failing "
                "examples</summary>",
                "",
                *shown,
                "",
                "</details>",
                "",
            ]
    return lines


def _escape(text: str) -> str:
    return text.replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")


def behaviour_line(
    records: Mapping[str, VariantRecord],
    names: Sequence[str],
    found: BehaviourAnalysis | None = None,
) -> str | None:
    """The terminal's one line: each variant's worst behaviour test (``found``: the
    records' analysis, when already made)."""
    found = found or analyse_behaviour(records, names)
    if not found.tests:
        return None
    worst = [
        f"{name} {row.name} {100 * row.failure[name].mean:.0f}%"
        for name in found.names
        if (row := found.worst(name)) is not None
    ]
    return f"behaviour ({len(found.tests)} tests), worst test per variant: " + ", ".join(worst)
