"""How good are the comparison's and the gate's statistics? Measured by simulation, for
every variant of a results store with two seeds or more, from a model of its runs
calibrated to the stored per-item predictions (``sentiment_models.simulation.SeedModel``:
fresh seeds drawn with the stored seed spread and item disagreement; test items drawn with
replacement from the stored ones):

- **type-I error**: two "variants" drawn from the same model; the share of replicates in
  which a test calls them different (target: at most alpha, within its Monte Carlo error);
- **power**: the same, with a drop planted in the first side (a share ``--drops`` of
  accuracy: items it mostly gets right made always wrong); the share that find it;
- **coverage**: the share of 95% intervals of the seed mean that hold the model's expected
  metric over its seeds and all the items (target 93 to 97%).

    python bench/measure_statistics.py [RESULTS_DIR] [--replicates N] [--variants NAME ...]
        [--drops 0.005,0.01,0.02] [--seed N] [--behaviour [TEST ...]] [--margin M]
        [--new-seeds N]

Procedures measured, as the product applies them: the comparison's paired t test over
items and seeds (``statistics.difference``; comparison.md, three seeds a side, alpha 0.05
before Holm, which only lowers the rate); McNemar's exact test on one run a side (what a
one-seed comparison can do); the gate's one-sided test (``statistics.drop_test``, alpha
0.01, one new seed against three baseline seeds, as in CI, and three against three), with
and without the default smallest effect of 0.005. Each rate is printed with its Monte Carlo
standard error.

``--behaviour`` measures the behaviour suite's procedures instead, from each variant's
per-item failures on each behaviour test: the comparison's paired t test of failure rates
and its power at planted rises (``--drops``: items it mostly passes made to fail), the
coverage of the failure-rate interval as the tables show it
(``reporting.behaviour.failure_estimate``: kept within [0, 1], exact when every item passed
or failed), and the gate's decision on the variant as the product makes it
(``gates.behaviour_rises``, over every behaviour test of the variant, at ``--margin``,
default the gate's; ``--new-seeds`` new runs against three): its type-I error, and its power
at each of ``--drops`` planted in each test named after ``--behaviour``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from tabulate import tabulate

from sentiment_models.config import BEHAVIOUR_MIN_EFFECT
from sentiment_models.gates import Member, behaviour_rises
from sentiment_models.reporting.analysis import IN_DOMAIN, runs_on
from sentiment_models.reporting.behaviour import failure_estimate, runs_of
from sentiment_models.reporting.store import read_results
from sentiment_models.results import VariantRecord
from sentiment_models.simulation import SeedModel
from sentiment_models.statistics import (
    Runs,
    difference,
    drop_test,
    estimate,
    mcnemar_p,
)

ROOT = Path(__file__).resolve().parent.parent
COMPARE_ALPHA, GATE_ALPHA, MIN_EFFECT = 0.05, 0.01, 0.005


@dataclass(frozen=True)
class Rate:
    """How often something happened in ``replicates`` tries."""

    measure: str
    procedure: str
    variant: str
    hits: int
    replicates: int
    target: str

    @property
    def rate(self) -> float:
        return self.hits / self.replicates

    def row(self) -> list[str]:
        error = np.sqrt(self.rate * (1 - self.rate) / self.replicates)
        return [
            self.measure,
            self.procedure,
            self.variant,
            str(self.replicates),
            f"{self.rate:.3f} ± {error:.3f}",
            self.target,
        ]


@dataclass(frozen=True)
class Procedure:
    """A test as the product applies it: its sides' seeds, whether it calls ``first``
    lower than / different from ``second``, and its alpha."""

    name: str
    seeds: tuple[int, int]
    rejects: Callable[[Runs, Runs], bool]
    alpha: float


PROCEDURES = (
    Procedure(
        "comparison t test, accuracy, 3 vs 3 seeds",
        (3, 3),
        lambda a, b: difference(a, b, "accuracy").p_two_sided() < COMPARE_ALPHA,
        COMPARE_ALPHA,
    ),
    Procedure(
        "comparison t test, macro recall, 3 vs 3 seeds",
        (3, 3),
        lambda a, b: difference(a, b, "macro_recall").p_two_sided() < COMPARE_ALPHA,
        COMPARE_ALPHA,
    ),
    Procedure(
        "McNemar, accuracy, 1 vs 1 seed",
        (1, 1),
        lambda a, b: mcnemar_p(a, b) < COMPARE_ALPHA,
        COMPARE_ALPHA,
    ),
    Procedure(
        "gate, accuracy, 1 new vs 3 baseline seeds",
        (1, 3),
        lambda new, base: drop_test(new, base, "accuracy").p_value < GATE_ALPHA,
        GATE_ALPHA,
    ),
    Procedure(
        f"gate, accuracy, 1 vs 3 seeds, min effect {MIN_EFFECT:g}",
        (1, 3),
        lambda new, base: drop_test(new, base, "accuracy", MIN_EFFECT).p_value < GATE_ALPHA,
        GATE_ALPHA,
    ),
    Procedure(
        "gate, accuracy, 3 new vs 3 baseline seeds",
        (3, 3),
        lambda new, base: drop_test(new, base, "accuracy").p_value < GATE_ALPHA,
        GATE_ALPHA,
    ),
)


BEHAVIOUR_PROCEDURES = (  # a pass rate is scored as accuracy: the same test, renamed
    replace(PROCEDURES[0], name="behaviour comparison t test, failure rate, 3 vs 3 seeds"),
)


@dataclass(frozen=True)
class Coverage:
    """An interval as the product computes it, and the truth it should hold."""

    label: str
    interval: Callable[[Runs], tuple[float, float]]
    truth: Callable[[SeedModel], float]


COVERAGE = tuple(
    Coverage(
        metric.replace("_", " "),
        lambda runs, metric=metric: (
            (found := estimate(runs, metric)).low,
            found.high,
        ),
        lambda model, metric=metric: model.truth(metric),
    )
    for metric in ("accuracy", "macro_recall")
)
BEHAVIOUR_COVERAGE = (
    Coverage(
        "behaviour failure rate",
        lambda runs: ((found := failure_estimate(runs)).low, found.high),
        lambda model: 1 - model.truth("accuracy"),
    ),
)


def measure(
    name: str,
    runs: Runs,
    replicates: int,
    drops: Sequence[float],
    rng: np.random.Generator,
    procedures: Sequence[Procedure] = PROCEDURES,
    coverage: Sequence[Coverage] = (),
) -> list[Rate]:
    model = SeedModel.calibrated(runs)
    n_items = len(runs.labels)
    rates: list[Rate] = []
    for drop in (0.0, *drops):
        hits = dict.fromkeys(procedures, 0)
        for _ in range(replicates):
            items = rng.integers(0, n_items, n_items)
            dropped = model.drop(drop, items, rng) if drop else None
            for procedure in procedures:
                first_seeds, second_seeds = procedure.seeds
                first = model.draw(first_seeds, items, rng, dropped, fixed=runs.fixed)
                second = model.draw(second_seeds, items, rng, fixed=runs.fixed)
                hits[procedure] += bool(procedure.rejects(first, second))
        for procedure in procedures:
            measure_name = f"power at a drop of {drop:g}" if drop else "type-I error"
            target = "high" if drop else f"≤ {procedure.alpha:g}"
            rates.append(
                Rate(measure_name, procedure.name, name, hits[procedure], replicates, target)
            )
    for check in coverage or COVERAGE:
        truth = check.truth(model)
        for seeds in (3, 1):
            covered = 0
            for _ in range(replicates):
                items = rng.integers(0, n_items, n_items)
                low, high = check.interval(model.draw(seeds, items, rng, fixed=runs.fixed))
                covered += low <= truth <= high
            rates.append(
                Rate(
                    "coverage",
                    f"95% interval of the mean, {check.label}, {seeds} seed{'s' * (seeds > 1)}",
                    name,
                    covered,
                    replicates,
                    "0.93 to 0.97",
                )
            )
    return rates


def gate_family(
    name: str,
    family: Sequence[tuple[str, str, Runs]],
    replicates: int,
    rng: np.random.Generator,
    planted: str = "",
    share: float = 0.0,
    margin: float = BEHAVIOUR_MIN_EFFECT,
    new_seeds: int = 1,
) -> Rate:
    """The gate's decision on a variant's behaviour as the product makes it
    (``gates.behaviour_rises``: each test's rise beyond ``margin``, ``new_seeds`` new runs
    against three, Holm over the tests); the share of replicates in which any test fails it:
    with no change anywhere (type-I error), or with a drop of ``share`` planted in the test
    ``planted`` (power). ``family``: (test, capability, runs) of every test of the variant;
    a test whose runs all agree item for item (nothing to model) is redrawn as stored."""
    models = [SeedModel.calibrated(runs) if _modelled(runs) else None for *_, runs in family]
    failed = 0
    for _ in range(replicates):
        members: list[Member] = []
        for (test, _, runs), model in zip(family, models, strict=True):
            items = rng.integers(0, len(runs.labels), len(runs.labels))
            if model is None:
                new, base = (_as_stored(runs, seeds, items) for seeds in (new_seeds, 3))
            else:
                dropped = model.drop(share, items, rng) if test == planted else None
                new = model.draw(new_seeds, items, rng, dropped, fixed=runs.fixed)
                base = model.draw(3, items, rng, fixed=runs.fixed)
            members.append((test, new, base))
        rises = behaviour_rises(members, margin)
        failed += any(rise.p_value < GATE_ALPHA for rise in rises)
    procedure = (
        f"behaviour gate, Holm over the variant's {len(family)} tests, {new_seeds} vs 3 seeds, "
        f"min effect {margin:g}"
    )
    if planted:
        return Rate(
            f"power at a drop of {share:g} in {planted}",
            procedure,
            name,
            failed,
            replicates,
            "high",
        )
    return Rate("type-I error", procedure, name, failed, replicates, f"≤ {GATE_ALPHA:g}")


def _modelled(runs: Runs) -> bool:
    return runs.seeds > 1 and runs.correct.min() != runs.correct.max()


def _as_stored(runs: Runs, seeds: int, items: np.ndarray) -> Runs:
    """``seeds`` runs equal to the stored first one, on ``items``."""
    return Runs(
        runs.predicted[[0] * seeds][:, items],
        runs.labels[items],
        runs.n_classes,
        tuple(range(seeds)),
        runs.fixed,
    )


def _family(record: VariantRecord) -> list[tuple[str, str, Runs]]:
    """Every behaviour test of a variant with two seeds or more: name, capability, runs."""
    found = {}
    for run in record.runs:
        for test, result in run.behaviour.items():
            found.setdefault(test, (result.capability, result.digest))
    family = []
    for test, (capability, digest) in sorted(found.items()):
        runs = runs_of(record, test, digest)
        if runs is not None and runs.seeds > 1:
            family.append((test, capability, runs))
    return family


BEHAVIOUR = {"procedures": BEHAVIOUR_PROCEDURES, "coverage": BEHAVIOUR_COVERAGE}


def _sides(
    name: str, record: VariantRecord, behaviour: Sequence[str] | None
) -> list[tuple[str, Runs | None, str]]:
    """What to measure of a variant: its test-split runs, or its runs on each behaviour
    test; each with why it is left out (None runs)."""
    if behaviour is None:
        found = runs_on(record, IN_DOMAIN)
        if isinstance(found, str):
            return [(name, None, found or "not evaluated")]
        return [(name, found[0], "") if found[0].seeds > 1 else (name, None, "one seed")]
    tests = {test: result.digest for run in record.runs for test, result in run.behaviour.items()}
    sides = []
    for test, digest in tests.items():
        if behaviour and test not in behaviour:
            continue
        runs = runs_of(record, test, digest)
        label = f"{name} / {test}"
        if runs is None or runs.seeds < 2:
            sides.append((label, None, "one seed"))
        elif runs.correct.min() == runs.correct.max():
            sides.append((label, None, "no item ever failed, or every one did: nothing to model"))
        else:
            sides.append((label, runs, ""))
    return sides


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", type=Path, default=ROOT / "results")
    parser.add_argument("--replicates", type=int, default=400)
    parser.add_argument("--variants", nargs="*", default=None)
    parser.add_argument("--drops", default="0.005,0.01,0.02")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--margin",
        type=float,
        default=BEHAVIOUR_MIN_EFFECT,
        help=f"the behaviour gate's smallest rise that counts (default {BEHAVIOUR_MIN_EFFECT:g})",
    )
    parser.add_argument(
        "--new-seeds",
        type=int,
        default=1,
        help="the behaviour gate's new runs against the baseline's three: 1 as `make gate` "
        "runs it, 3 for a gate run with --seeds 0,1,2 (default 1)",
    )
    parser.add_argument(
        "--behaviour",
        nargs="*",
        default=None,
        metavar="TEST",
        help="measure the behaviour suite's procedures instead, on these tests (default: "
        "every stored test) of the variants with two seeds or more",
    )
    args = parser.parse_args(argv)
    if args.replicates < 1:
        parser.error(f"--replicates {args.replicates}: expected 1 or more")
    if args.new_seeds < 1:
        parser.error(f"--new-seeds {args.new_seeds}: expected 1 or more")
    try:
        drops = [float(part) for part in args.drops.split(",") if part.strip()]
    except ValueError:
        parser.error(f"--drops {args.drops!r}: expected numbers separated by commas")
    if any(not 0 < drop < 1 for drop in drops):
        parser.error(f"--drops {args.drops}: each drop is a share of accuracy in (0, 1)")
    store = read_results(args.folder)
    rng = np.random.default_rng(args.seed)
    rows = []
    for name, record in store.variants.items():
        if args.variants and name not in args.variants:
            continue
        for label, runs, why in _sides(name, record, args.behaviour):
            if runs is None:
                print(f"{label}: left out ({why})", file=sys.stderr)
                continue
            extra = {} if args.behaviour is None else BEHAVIOUR
            for rate in measure(label, runs, args.replicates, drops, rng, **extra):
                rows.append(rate.row())
                print(" | ".join(rows[-1]), file=sys.stderr, flush=True)  # progress
        family = _family(record) if args.behaviour is not None else []
        if family:  # the gate's decision, over all the variant's tests as the product makes it
            planted = [("", 0.0)] + [
                (test, drop)
                for test in args.behaviour
                for drop in drops
                if any(name == test and _modelled(runs) for name, _, runs in family)
            ]
            for test, share in planted:
                rate = gate_family(
                    name, family, args.replicates, rng, test, share, args.margin, args.new_seeds
                )
                rows.append(rate.row())
                print(" | ".join(rows[-1]), file=sys.stderr, flush=True)
    print(
        tabulate(
            rows,
            headers=["measure", "procedure", "variant", "replicates", "rate", "target"],
            tablefmt="github",
            disable_numparse=True,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
