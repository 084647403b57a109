"""The statistics of a results store, per evaluation set: each variant's estimates over its
seeds (with intervals over test items and seeds) and the paired comparison of the variants
that were tested on the same items. The tables, the terminal line and the plot read it; nothing else
computes statistics."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sentiment_models.reporting.behaviour import BehaviourAnalysis, analyse_behaviour
from sentiment_models.results import ResultsStore, SeedRun, VariantRecord, decode_items
from sentiment_models.statistics import Comparison, Estimate, Runs, compare
from sentiment_models.variants.base import DEPLOYMENT

IN_DOMAIN = "test"
"""The key of the in-domain test split among the evaluation sets."""


def ordered_names(records: Mapping[str, Any], order: Iterable[str]) -> list[str]:
    """Registry order first, then any other stored variant alphabetically."""
    known = [name for name in order if name in records]
    return known + sorted(set(records) - set(known))


@dataclass(frozen=True)
class SetAnalysis:
    """One evaluation set: estimates per metric and variant, and the paired comparison."""

    name: str
    estimates: dict[str, dict[str, Estimate]] = field(default_factory=dict)
    comparison: Comparison | None = None
    excluded: dict[str, str] = field(default_factory=dict)
    """Variants left out of the paired tests, and why."""


@dataclass(frozen=True)
class Analysis:
    sets: dict[str, SetAnalysis]
    alpha: float
    behaviour: BehaviourAnalysis | None = None
    """The behaviour suite's failure rates and comparisons (``reporting.behaviour``)."""

    @property
    def test(self) -> SetAnalysis:
        return self.sets[IN_DOMAIN]

    def estimate(self, variant: str, metric: str, on: str = IN_DOMAIN) -> Estimate | None:
        found = self.sets.get(on)
        return found.estimates.get(metric, {}).get(variant) if found else None


def analyse(store: ResultsStore, order: Iterable[str], *, alpha: float = 0.05) -> Analysis:
    """Analyse the in-domain test split and every transfer set of the stored records."""
    records = store.variants
    names = ordered_names(records, order)
    transfer_sets = sorted({key for name in names for key in records[name].data.transfer})
    sets = {key: _analyse_set(key, records, names, alpha) for key in (IN_DOMAIN, *transfer_sets)}
    return Analysis(sets, alpha, analyse_behaviour(records, names, alpha))


def _analyse_set(
    key: str, records: dict[str, VariantRecord], names: list[str], alpha: float
) -> SetAnalysis:
    runs: dict[str, Runs] = {}
    digests: dict[str, str] = {}
    excluded: dict[str, str] = {}
    for name in names:
        found = runs_on(records[name], key)
        if isinstance(found, str):
            if found:
                excluded[name] = found
            continue
        runs[name], digests[name] = found
    if not runs:
        return SetAnalysis(key, excluded=excluded)
    # the paired tests need the same items: keep the digest most variants were tested on
    common = max(set(digests.values()), key=lambda d: (list(digests.values()).count(d), d))
    paired = {name: item for name, item in runs.items() if digests[name] == common}
    for name in runs.keys() - paired.keys():
        excluded[name] = "tested on other items (another split or dataset)"
    derived = {
        name: source
        for name in paired
        if (source := records[name].description.extra.get(DEPLOYMENT)) in paired
    }
    estimates, comparison = compare(paired, alpha=alpha, derived=derived)
    for name in runs.keys() - paired.keys():  # their own intervals, no pairing
        alone, _ = compare({name: runs[name]}, alpha=alpha)
        for metric, values in alone.items():
            estimates[metric].update(values)
    return SetAnalysis(key, estimates, comparison, excluded)


def runs_on(record: VariantRecord, key: str) -> tuple[Runs, str] | str:
    """The record's runs on evaluation set ``key`` with their items' digest, or why there
    are none ("" when the set simply was not evaluated)."""
    digest = record.data.test_digest if key == IN_DOMAIN else record.data.transfer.get(key)
    if digest is None:
        return ""
    chosen: list[SeedRun] = [
        run for run in record.runs if key != IN_DOMAIN or run.test_digest == digest
    ]
    predicted = [_predicted(run, key) for run in chosen]
    if not chosen or not all(predicted) or digest not in record.items:
        return "no per-item predictions stored (a record of an older format)"
    labels = decode_items(record.items[digest])
    rows = [decode_items(text) for text in predicted]
    seeds = [run.seed for run in chosen]
    return Runs.of(
        rows, labels, len(record.classes), seeds, fixed=not record.description.trains_per_seed
    ), digest


def _predicted(run: SeedRun, key: str) -> str:
    if key == IN_DOMAIN:
        return run.predicted
    transfer = run.transfer.get(key)
    return transfer.predicted if transfer is not None else ""
