"""How good are the comparison's and the gate's statistics? Measured by simulation from the
per-item predictions a results store holds, for every variant with two seeds or more:

- **type-I error**: two "variants" made of the same variant's runs (its seeds split between
  them, the split turning with each replicate) on a bootstrap resample of the test items;
  the share of replicates in which a test calls them different (target: at most alpha);
- **power**: the same, with a drop planted in the first side (items right in all its seeds
  made wrong, a share ``--drops`` of the items); the share of replicates that find it;
- **coverage**: the share of 95% intervals, computed on a resample of half the items, that
  hold the variant's accuracy on all the items and seeds (target 93 to 97%). Seeds are not
  resampled (a store has a few): this covers the test items' sampling only.

    python bench/measure_statistics.py [RESULTS_DIR] [--replicates N] [--resamples N]
        [--variants NAME ...] [--drops 0.005,0.01,0.02] [--seed N]

Procedures measured: McNemar's exact test of accuracy as ``comparison.md`` applies it (seeds
paired by position, the largest p kept), the paired bootstrap of macro recall
(``statistics.compare``), and the gate's one-sided test (``statistics.drop_test``, alpha
0.01). Each rate is printed with its Monte Carlo standard error."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tabulate import tabulate

from sentiment_models.reporting.analysis import IN_DOMAIN, runs_on
from sentiment_models.reporting.store import read_results
from sentiment_models.statistics import Runs, bootstrap_draws, bootstrap_p, compare, drop_test
from sentiment_models.statistics import mcnemar_p as mcnemar

ROOT = Path(__file__).resolve().parent.parent
COMPARE_ALPHA, GATE_ALPHA = 0.05, 0.01


@dataclass(frozen=True)
class Rate:
    """How often something happened in ``replicates`` tries."""

    procedure: str
    variant: str
    sides: str
    hits: int
    replicates: int
    target: str

    @property
    def rate(self) -> float:
        return self.hits / self.replicates

    def row(self) -> list[str]:
        error = np.sqrt(self.rate * (1 - self.rate) / self.replicates)
        return [
            self.procedure,
            self.variant,
            self.sides,
            str(self.replicates),
            f"{self.rate:.3f} ± {error:.3f}",
            self.target,
        ]


def _pick(runs: Runs, seeds: Sequence[int], items: np.ndarray) -> Runs:
    return Runs(runs.predicted[np.asarray(seeds)][:, items], runs.labels[items], runs.n_classes)


def _planted(runs: Runs, share: float, rng: np.random.Generator) -> Runs:
    """``runs`` with a share of the items that every seed gets right made wrong."""
    right = np.all(runs.predicted == runs.labels, axis=0)
    chosen = rng.permutation(np.flatnonzero(right))[: round(share * runs.predicted.shape[1])]
    predicted = runs.predicted.copy()
    predicted[:, chosen] = (runs.labels[chosen] + 1) % runs.n_classes
    return Runs(predicted, runs.labels, runs.n_classes)


def _macro_recall_p(first: Runs, second: Runs, resamples: int, seed: int) -> float:
    draws = bootstrap_draws({"a": first, "b": second}, "macro_recall", resamples, seed=seed)
    observed = float(first.per_seed("macro_recall").mean() - second.per_seed("macro_recall").mean())
    return bootstrap_p(observed, draws["a"] - draws["b"])


Test = Callable[[Runs, Runs, int], bool]


def tests(resamples: int) -> dict[str, tuple[Test, float]]:
    """Each procedure: whether it calls ``first`` different from (or, for the gate, lower
    than) ``second``, and its alpha."""
    return {
        "McNemar, accuracy (comparison.md)": (
            lambda a, b, seed: mcnemar(a, b) < COMPARE_ALPHA,
            COMPARE_ALPHA,
        ),
        "paired bootstrap, macro recall (comparison.md)": (
            lambda a, b, seed: _macro_recall_p(a, b, resamples, seed) < COMPARE_ALPHA,
            COMPARE_ALPHA,
        ),
        "gate, accuracy drop (drop_test)": (
            lambda a, b, seed: drop_test(a, b, "accuracy", resamples).p_value < GATE_ALPHA,
            GATE_ALPHA,
        ),
    }


def measure(
    name: str,
    runs: Runs,
    replicates: int,
    resamples: int,
    drops: Sequence[float],
    rng: np.random.Generator,
) -> list[Rate]:
    seeds, n_items = runs.seeds, runs.predicted.shape[1]
    procedures = tests(resamples)
    rates: list[Rate] = []
    for drop in (0.0, *drops):
        hits = dict.fromkeys(procedures, 0)
        for replicate in range(replicates):
            apart = replicate % seeds  # the second side's seed turns with each replicate
            first_seeds = [s for s in range(seeds) if s != apart]
            items = rng.integers(0, n_items, n_items)
            first = _pick(runs, first_seeds, items)
            second = _pick(runs, [apart], items)
            if drop:
                first = _planted(first, drop, rng)
            for label, (test, _) in procedures.items():
                hits[label] += bool(test(first, second, replicate))
        sides = f"{seeds - 1} vs 1"
        for label, (_, alpha) in procedures.items():
            if drop:
                rates.append(
                    Rate(
                        f"power at a drop of {drop:g}: {label}",
                        name,
                        sides,
                        hits[label],
                        replicates,
                        "high",
                    )
                )
            else:
                rates.append(
                    Rate(
                        f"type-I error: {label}",
                        name,
                        sides,
                        hits[label],
                        replicates,
                        f"≤ {alpha:g}",
                    )
                )
    truth = float(runs.per_seed("accuracy").mean())
    covered = 0
    for _ in range(replicates):
        half = _pick(runs, list(range(seeds)), rng.integers(0, n_items, n_items // 2))
        found, _ = compare({name: half}, resamples=resamples)
        estimate = found["accuracy"][name]
        covered += estimate.low <= truth <= estimate.high
    rates.append(
        Rate(
            "coverage of the 95% accuracy interval (items only)",
            name,
            f"{seeds} seeds",
            covered,
            replicates,
            "0.93 to 0.97",
        )
    )
    return rates


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", type=Path, default=ROOT / "results")
    parser.add_argument("--replicates", type=int, default=100)
    parser.add_argument("--resamples", type=int, default=500)
    parser.add_argument("--variants", nargs="*", default=None)
    parser.add_argument("--drops", default="0.005,0.01,0.02")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    drops = [float(part) for part in args.drops.split(",") if part.strip()]
    store = read_results(args.folder)
    rng = np.random.default_rng(args.seed)
    rows = []
    for name, record in store.variants.items():
        if args.variants and name not in args.variants:
            continue
        found = runs_on(record, IN_DOMAIN)
        if isinstance(found, str) or found[0].seeds < 2:
            print(
                f"{name}: left out ({found or 'one seed'})"
                if isinstance(found, str)
                else f"{name}: left out (one seed)",
                file=sys.stderr,
            )
            continue
        for rate in measure(name, found[0], args.replicates, args.resamples, drops, rng):
            rows.append(rate.row())
            print(" | ".join(rows[-1]), file=sys.stderr, flush=True)  # progress
    print(
        tabulate(
            rows,
            headers=["procedure", "variant", "seeds", "replicates", "rate", "target"],
            tablefmt="github",
            disable_numparse=True,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
