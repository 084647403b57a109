"""The statistics behind honest comparisons, for metrics measured on the same test items by
several runs (training seeds) of each variant.

A metric of one run is a weighted sum of its per-item correctness (weight 1/n for accuracy;
1/(classes x the item's class count) for macro recall), so the mean over seeds has two
sources of noise: the test items (a sample of the tweets the model will see) and the seeds
(a sample of the training runs the code can produce). Their variance is estimated by the
method of moments on the seeds x items correctness (a crossed random-effects design):

- ``V``: the variance across seeds of the run's metric (seed effect + item-by-seed noise);
- ``W``: the across-seed variance of each item's correctness, weighted by w²;
- ``I``: the item-sampling variance of the seed-averaged correctness (stratified by class
  for macro recall).

The variance of the seed mean is ``I - W/k + V/k`` (k seeds), of a difference between two
variants the same on the per-item differences with both variants' seed terms; its degrees of
freedom come from Satterthwaite's formula for a linear combination of mean squares, so that
a variance known from three seeds counts as known from two degrees of freedom. Intervals and
tests use Student's t (scipy); Holm's correction comes from statsmodels, McNemar's exact test
too (kept where each side is one fitted model). ``bench/measure_statistics.py`` measures
type-I error, power and coverage of these procedures by simulation; see docs/statistics.md.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

METRICS = ("accuracy", "macro_recall")
CONFIDENCE = 0.95
POWER = 0.8
"""The power at which a smallest detectable effect is quoted."""
TOLERANCE = 1e-12
"""Differences and standard errors below this are rounding: zero."""
LARGE_DF = 1000
"""Beyond these degrees of freedom the noncentral t is taken as normal (scipy's loses
precision there)."""


@dataclass(frozen=True)
class Runs:
    """A variant's per-item predictions on one test set: ``predicted`` is seeds x items
    (class indices), ``labels`` the items' true class indices. ``seed_ids`` name the rows
    (for seed-matched pairs); ``fixed`` says the training ignores the seed, so its seed
    variance is known to be zero even from one run."""

    predicted: np.ndarray
    labels: np.ndarray
    n_classes: int
    seed_ids: tuple[int, ...] = ()
    fixed: bool = False

    @classmethod
    def of(
        cls,
        predicted: Sequence[np.ndarray],
        labels: np.ndarray,
        n_classes: int,
        seed_ids: Sequence[int] = (),
        fixed: bool = False,
    ) -> Runs:
        stacked = np.vstack([np.asarray(row, dtype=np.int16) for row in predicted])
        if stacked.shape[1] != len(labels):
            raise ValueError(f"{stacked.shape[1]} predictions for {len(labels)} test items")
        if seed_ids and len(seed_ids) != stacked.shape[0]:
            raise ValueError(f"{len(seed_ids)} seed ids for {stacked.shape[0]} runs")
        return cls(stacked, np.asarray(labels, dtype=np.int16), n_classes, tuple(seed_ids), fixed)

    @property
    def seeds(self) -> int:
        return self.predicted.shape[0]

    @property
    def correct(self) -> np.ndarray:
        """Seeds x items, 1.0 where the run predicted the item's label."""
        return (self.predicted == self.labels).astype(float)

    def per_seed(self, metric: str) -> np.ndarray:
        """The metric of each seed on all the items."""
        return _scores(self.correct, weights(self.labels, metric, self.n_classes), metric)

    def select(self, rows: Sequence[int]) -> Runs:
        ids = tuple(self.seed_ids[row] for row in rows) if self.seed_ids else ()
        return Runs(self.predicted[list(rows)], self.labels, self.n_classes, ids, self.fixed)


# -- metrics and their variance -----------------------------------------------------------------
def weights(labels: np.ndarray, metric: str, n_classes: int) -> np.ndarray:
    """Each item's weight in ``metric`` (they sum to 1): 1/n for accuracy; for macro recall
    1/(classes present x the item's class count), the mean of the per-class recalls."""
    labels = np.asarray(labels, dtype=np.intp)
    if metric == "accuracy":
        return np.full(len(labels), 1.0 / max(len(labels), 1))
    if metric == "macro_recall":
        counts = np.bincount(labels, minlength=n_classes).astype(float)
        present = int((counts > 0).sum())
        return 1.0 / (present * counts[labels])
    raise ValueError(f"unknown metric {metric!r}; expected one of {METRICS}")


def _scores(correct: np.ndarray, weight: np.ndarray, metric: str) -> np.ndarray:
    """Each row's metric: a plain mean for accuracy (as scikit-learn sums it), else the
    weighted sum."""
    return correct.mean(axis=-1) if metric == "accuracy" else correct @ weight


def metric_of(predicted: np.ndarray, labels: np.ndarray, metric: str, n_classes: int) -> np.ndarray:
    """``metric`` of each row of ``predicted`` against the same row of ``labels``."""
    predicted = np.asarray(predicted)
    labels = np.broadcast_to(np.asarray(labels), predicted.shape)
    if predicted.ndim == 1:
        return np.float64((predicted == labels) @ weights(labels, metric, n_classes))
    return np.array(
        [
            float((p == t) @ weights(t, metric, n_classes))
            for p, t in zip(predicted, labels, strict=True)
        ]
    )


def _strata(labels: np.ndarray, metric: str) -> list[np.ndarray]:
    """The item groups of the item-sampling variance: all items for accuracy; each class
    for macro recall (each recall from its own items, the class counts as drawn)."""
    if metric == "accuracy":
        return [np.arange(len(labels))]
    return [np.flatnonzero(labels == label) for label in np.unique(labels)]


@dataclass(frozen=True)
class SeedSpread:
    """A variant's (or a seed-matched difference's) spread over seeds, on one metric:
    ``between`` (V) the variance of the run's metric across seeds, ``per_item`` each item's
    across-seed variance of correctness, ``df`` the seeds' degrees of freedom."""

    between: float
    per_item: np.ndarray
    df: int

    @classmethod
    def of(cls, correct: np.ndarray, weight: np.ndarray) -> SeedSpread | None:
        if correct.shape[0] < 2:
            return None
        per_item = np.var(correct, axis=0, ddof=1)
        return cls(float(np.var(correct @ weight, ddof=1)), per_item, correct.shape[0] - 1)

    @staticmethod
    def pooled(spreads: Sequence[SeedSpread]) -> SeedSpread | None:
        """One spread from several estimates of the same (a variant before and after a
        change, in the gate), weighted by their degrees of freedom."""
        if not spreads:
            return None
        df = sum(spread.df for spread in spreads)
        return SeedSpread(
            sum(s.between * s.df for s in spreads) / df,
            sum(s.per_item * s.df for s in spreads) / df,
            df,
        )

    def within(self, weight: np.ndarray) -> float:
        """W: the w²-weighted across-seed variance of the items (item-by-seed noise)."""
        return float(np.sum(weight**2 * self.per_item))

    def at_least_noise(self, weight: np.ndarray) -> SeedSpread:
        """V raised to W where it fell below: a run's metric varies across seeds at least
        by the item-by-seed noise it sums, unless items trade places exactly (a negative
        covariance the gate does not count on). With few runs and rare outcomes the seeds
        often agree on a count by chance (V = 0) while disagreeing on which items; a V of 0
        would then make any rise "certain" (measured: ``bench/measure_statistics.py``)."""
        return replace(self, between=max(self.between, self.within(weight)))


def _zero_spread(n_items: int) -> SeedSpread:
    """A training that ignores the seed: no seed variance."""
    return SeedSpread(0.0, np.zeros(n_items), 0)


@dataclass(frozen=True)
class Spread:
    """An estimate (a seed mean, or a difference of two) with its standard error and the
    degrees of freedom of its t distribution. ``conditional`` names the variants whose
    seed variance is unknown (one run): the error covers the test items only for them."""

    value: float
    error: float
    df: float
    conditional: tuple[str, ...] = ()
    planning_error: float | None = None
    """The error at which power is computed: the seed spreads at their median-unbiased
    value (a variance estimated on few degrees of freedom is more often below the truth
    than above it; quoting power at the estimate would overstate it, measured)."""

    def quantile(self, level: float) -> float:
        from scipy.stats import t

        return float(t.ppf(level, self.df)) if math.isfinite(self.df) else _normal(level)

    def interval(self, confidence: float = CONFIDENCE) -> tuple[float, float]:
        half = self.quantile(0.5 + confidence / 2) * self.error
        return self.value - half, self.value + half

    def p_two_sided(self) -> float:
        """p-value of "no difference"."""
        if not self._varies:
            return 0.0 if abs(self.value) > TOLERANCE else 1.0
        upper = self.p_above(0.0)
        return min(1.0, 2 * min(upper, 1 - upper))

    def p_above(self, margin: float) -> float:
        """One-sided p-value of "the true value is at most ``margin``"."""
        from scipy.stats import t

        if not self._varies:
            return 0.0 if self.value - margin > TOLERANCE else 1.0
        score = (self.value - margin) / self.error
        return float(t.sf(score, self.df)) if math.isfinite(self.df) else _normal_sf(score)

    def detectable(self, alpha: float, power: float = POWER, *, sided: int = 2) -> float:
        """The smallest true effect found with probability ``power`` at level ``alpha``:
        the noncentrality at which the noncentral t (scipy) passes the test's critical
        value that often, in standard errors (the normal's z_{1-alpha/sided} + z_power
        when the degrees of freedom are unbounded)."""
        from scipy.optimize import brentq
        from scipy.stats import nct

        error = self.error if self.planning_error is None else self.planning_error
        critical = self.quantile(1 - alpha / sided)
        if not math.isfinite(self.df) or self.df > LARGE_DF:  # the noncentral t is normal
            return (critical + self.quantile(power)) * error
        if error <= TOLERANCE:
            return 0.0

        def short(delta: float) -> float:
            return float(nct.sf(critical, self.df, delta)) - power

        upper = max(2 * critical, 1.0)
        while short(upper) < 0:
            if upper > 1e7:  # one degree of freedom at a tiny alpha: nothing is detectable
                return math.inf
            upper *= 4
        return float(brentq(short, 0.0, upper)) * error

    @property
    def _varies(self) -> bool:
        return self.error > TOLERANCE


def _normal(level: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(level))


def _normal_sf(score: float) -> float:
    from scipy.stats import norm

    return float(norm.sf(score))


def _combine(
    values: np.ndarray,
    labels: np.ndarray,
    metric: str,
    weight: np.ndarray,
    seeds: Sequence[tuple[SeedSpread, float]],
) -> tuple[float, float, float]:
    """Variance, degrees of freedom and planning variance (``Spread.planning_error``) of a
    seed mean (or a difference of seed means) whose
    per-item seed-averaged correctness is ``values``: the items' own share ``I - sum(c W)``
    plus the seeds' ``sum(c V)``, each seed spread with its coefficient ``c`` (1/k for a
    mean of k seeds).

    ``I`` is the item-sampling variance of ``sum(w * values)``; net of ``c W`` (the
    item-by-seed noise, which ``V`` already holds) it says how much the items themselves
    differ. It is a sum over items, so its standard error comes from the items' spread of
    their contributions. A variance cannot be negative: an own share below 0 counts as 0.
    The degrees of freedom follow Satterthwaite; an own share within two standard errors of
    0 is noise and stays out of them (it would widen them with noise and narrow the t
    distribution: type-I error above alpha, measured)."""
    used = [(spread, c) for spread, c in seeds if spread.df]
    noise = sum((c * spread.per_item for spread, c in used), np.zeros(len(values)))
    contributions = np.zeros(len(values))
    for members in _strata(labels, metric):
        size = len(members)
        if size < 2:
            continue
        centred = values[members] - values[members].mean()
        contributions[members] = weight[members] ** 2 * (
            centred**2 * size / (size - 1) - noise[members]
        )
    own = float(contributions.sum())
    own_variance = sum(
        len(members) * float(np.var(contributions[members], ddof=1))
        for members in _strata(labels, metric)
        if len(members) > 1
    )
    seed_terms = [(c * spread.between, spread.df) for spread, c in used]
    variance = max(own, 0.0) + sum(term for term, _ in seed_terms)
    # for the degrees of freedom, each V at its plausible upper end (a V small by chance
    # would otherwise raise them exactly when the error is underestimated)
    seed_terms = [(term * _upper_factor(df), df) for term, df in seed_terms]
    counted = list(seed_terms)
    denominator = sum(term * term / df for term, df in seed_terms if term)
    if own > 2 * math.sqrt(own_variance) or not used:
        counted.append((own, 0))
        denominator += own_variance / 2  # own² / its Satterthwaite df, 2 own² / var(own)
    reference = sum(term for term, _ in counted)
    df = reference * reference / denominator if denominator > 0 else math.inf
    planning = max(own, 0.0) + sum(
        c * spread.between * _median_factor(spread.df) for spread, c in used
    )
    return variance, max(df, 1.0), planning


def _median_factor(df: int) -> float:
    """df / the chi-square's median: a variance estimate on ``df`` degrees of freedom times
    this is as often above the truth as below it."""
    from scipy.stats import chi2

    return df / float(chi2.ppf(0.5, df))


def _upper_factor(df: int) -> float:
    """How far a variance estimated on ``df`` degrees of freedom may lie below the truth:
    df / the chi-square's lower quartile."""
    from scipy.stats import chi2

    return df / float(chi2.ppf(0.25, df))


def mean_spread(runs: Runs, metric: str, name: str = "") -> Spread:
    """The seed mean of ``metric`` with the variance over test items and seeds."""
    weight = weights(runs.labels, metric, runs.n_classes)
    correct = runs.correct
    n_items = len(runs.labels)
    seeds = _zero_spread(n_items) if runs.fixed else SeedSpread.of(correct, weight)
    parts = [] if seeds is None else [(seeds, 1.0 / runs.seeds)]
    variance, df, planning = _combine(correct.mean(axis=0), runs.labels, metric, weight, parts)
    unknown = () if seeds is not None else (name or "the variant",)
    mean = float(_scores(correct, weight, metric).mean())
    return Spread(mean, math.sqrt(variance), df, unknown, math.sqrt(planning))


def difference(
    first: Runs,
    second: Runs,
    metric: str,
    *,
    names: tuple[str, str] = ("first", "second"),
    matched: bool = False,
    same_variant: bool = False,
    noise_floor: bool = False,
) -> Spread:
    """``first``'s seed mean minus ``second``'s on the same items, with its variance.

    ``matched``: the runs pair by seed id (a derived variant and its source): the seed
    spread is that of the per-seed differences. ``same_variant``: both sides are runs of one
    variant (the gate: before and after a change), so one seed spread, pooled from both
    sides, applies to each (a side with one run borrows the other's)."""
    if len(first.labels) != len(second.labels) or np.any(first.labels != second.labels):
        raise ValueError("the variants were not tested on the same items")
    labels = first.labels
    n_items = len(labels)
    weight = weights(labels, metric, max(first.n_classes, second.n_classes))
    a, b = first.correct, second.correct
    parts: list[tuple[SeedSpread, float]]
    if matched:
        common = [seed for seed in first.seed_ids if seed in second.seed_ids]
        if not common:
            raise ValueError(f"{names[0]} and {names[1]} share no seed to match")
        a = a[[first.seed_ids.index(seed) for seed in common]]
        b = b[[second.seed_ids.index(seed) for seed in common]]
        paired = a - b
        fixed = first.fixed and second.fixed
        spread = _zero_spread(n_items) if fixed else SeedSpread.of(paired, weight)
        parts = [] if spread is None else [(spread, 1.0 / len(common))]
        unknown = names if spread is None else ()
        values = paired.mean(axis=0)
    else:
        spreads = [
            _zero_spread(n_items) if runs.fixed else SeedSpread.of(runs.correct, weight)
            for runs in (first, second)
        ]
        parts = [
            (spread, 1.0 / runs.seeds)
            for spread, runs in zip(spreads, (first, second), strict=True)
            if spread is not None
        ]
        unknown = tuple(name for name, s in zip(names, spreads, strict=True) if s is None)
        if same_variant:  # one estimate of one spread: a single term, 1/k1 + 1/k2 of it
            pooled = (
                _zero_spread(n_items)
                if first.fixed or second.fixed
                else SeedSpread.pooled([s for s in spreads if s is not None])
            )
            if noise_floor and pooled is not None:
                pooled = pooled.at_least_noise(weight)
            parts = [] if pooled is None else [(pooled, 1 / first.seeds + 1 / second.seeds)]
            unknown = names if pooled is None else ()
        values = a.mean(axis=0) - b.mean(axis=0)
    value = float(_scores(a, weight, metric).mean() - _scores(b, weight, metric).mean())
    variance, df, planning = _combine(values, labels, metric, weight, parts)
    return Spread(value, math.sqrt(variance), df, unknown, math.sqrt(planning))


# -- estimates, pairs, the comparison -----------------------------------------------------------
@dataclass(frozen=True)
class Estimate:
    """A metric over seeds: mean, standard deviation (None for one seed), the standard
    error of the mean and its 95% interval over test items and seeds."""

    mean: float
    sd: float | None
    low: float
    high: float
    seeds: int
    error: float = 0.0
    conditional: bool = False
    """One run of a training that depends on the seed: the interval covers the test items
    only, not the training's randomness."""

    def show(self, digits: int = 4) -> str:
        spread = f" ± {self.sd:.{digits}f}" if self.sd is not None else ""
        mark = "*" if self.conditional else ""
        return (
            f"{self.mean:.{digits}f}{spread} [{self.low:.{digits}f}, {self.high:.{digits}f}]{mark}"
        )


def estimate(runs: Runs, metric: str) -> Estimate:
    found = mean_spread(runs, metric)
    per_seed = runs.per_seed(metric)
    low, high = found.interval()
    return Estimate(
        mean=found.value,
        sd=float(per_seed.std(ddof=1)) if len(per_seed) > 1 else None,
        low=low,
        high=high,
        seeds=len(per_seed),
        error=found.error,
        conditional=bool(found.conditional),
    )


FIRST_BETTER, SECOND_BETTER, INCONCLUSIVE = "first better", "second better", "inconclusive"


@dataclass(frozen=True)
class PairTest:
    """Two variants compared on the same test items."""

    first: str
    second: str
    metric: str
    difference: float
    """Mean of ``first`` minus mean of ``second``."""
    p_value: float
    p_holm: float
    test: str
    error: float = 0.0
    """Standard error of the difference (test items and seeds)."""
    detectable: float = 0.0
    """The smallest true difference this test finds with 80% power at the family's
    strictest level (alpha / the number of tests, Holm's first step)."""
    conditional: tuple[str, ...] = ()
    """Variants with one run whose training randomness the test cannot see."""

    def significant(self, alpha: float) -> bool:
        return self.p_holm < alpha

    def verdict(self, alpha: float) -> str:
        """``first better``, ``second better`` or ``inconclusive``."""
        if not self.significant(alpha):
            return INCONCLUSIVE
        return FIRST_BETTER if self.difference > 0 else SECOND_BETTER

    def winner(self, alpha: float) -> str | None:
        verdict = self.verdict(alpha)
        return {FIRST_BETTER: self.first, SECOND_BETTER: self.second}.get(verdict)


@dataclass(frozen=True)
class Comparison:
    """Every pairwise test (one Holm family), the best variant, the variants the tests
    cannot tell from it, and rank intervals drawn from the verdicts."""

    estimates: Mapping[str, Estimate]
    """Accuracy per variant (the metric that names the best and its ties)."""
    pairs: tuple[PairTest, ...]
    best: str
    tied: tuple[str, ...]
    ranks: Mapping[str, tuple[int, int]]
    """Variant -> (best possible, worst possible) rank by accuracy: 1 + the variants
    significantly better, n - the variants significantly worse."""
    alpha: float

    @property
    def family(self) -> int:
        """The number of tests Holm's correction runs over: every pair, every metric."""
        return len(self.pairs)

    def pair(self, first: str, second: str, metric: str) -> PairTest | None:
        return _find(self.pairs, first, second, metric)


def mcnemar_p(first: Runs, second: Runs) -> float:
    """Exact McNemar test of equal accuracy of two fitted models (one run each) on the same
    items (statsmodels)."""
    from statsmodels.stats.contingency_tables import mcnemar

    if first.seeds != 1 or second.seeds != 1:
        raise ValueError("McNemar's test compares two fitted models: one run a side")
    a, b = first.correct[0] > 0, second.correct[0] > 0
    table = [
        [int(np.sum(a & b)), int(np.sum(a & ~b))],
        [int(np.sum(~a & b)), int(np.sum(~a & ~b))],
    ]
    return float(mcnemar(table, exact=True).pvalue)


def holm(p_values: Sequence[float]) -> list[float]:
    from statsmodels.stats.multitest import multipletests

    if not p_values:
        return []
    return [float(p) for p in multipletests(list(p_values), method="holm")[1]]


def _one_model(runs: Runs) -> Runs | None:
    """The single fitted model behind ``runs`` (one run, or a seed-ignoring training whose
    runs predicted the same), else None."""
    if runs.seeds == 1:
        return runs
    if runs.fixed and bool(np.all(runs.predicted == runs.predicted[0])):
        return runs.select([0])
    return None


def pair_test(
    first: str,
    second: str,
    runs: Mapping[str, Runs],
    metric: str,
    *,
    derived: Mapping[str, str] | None = None,
) -> tuple[Spread, float, str]:
    """The difference ``first - second`` on ``metric``, its two-sided p-value and the test's
    name: McNemar's exact test when each side is one fitted model (accuracy); otherwise the
    t test of the difference of seed means over test items and seeds, seed-matched when one
    variant derives from the other."""
    derived = derived or {}
    names = (first, second)
    matched = derived.get(first) == second or derived.get(second) == first
    a, b = runs[first], runs[second]
    if matched and not (a.seed_ids and set(a.seed_ids) & set(b.seed_ids)):
        matched = False
    found = difference(a, b, metric, names=names, matched=matched)
    single = (_one_model(a), _one_model(b))
    if metric == "accuracy" and single[0] is not None and single[1] is not None:
        return found, mcnemar_p(single[0], single[1]), "McNemar exact (one fitted model a side)"
    test = "seed-matched paired t" if matched else "paired t (items and seeds)"
    return found, found.p_two_sided(), test


def compare(
    runs: Mapping[str, Runs],
    *,
    alpha: float = 0.05,
    derived: Mapping[str, str] | None = None,
) -> tuple[dict[str, dict[str, Estimate]], Comparison | None]:
    """Estimates of both metrics for every variant; with two or more variants, a test of
    every pair on both metrics (one Holm family), the best variant by mean accuracy, the
    variants the tests cannot tell from it, and rank intervals from the verdicts.
    ``derived`` maps a variant to the one it derives from (seed-matched pairs)."""
    names = list(runs)
    found = {metric: {name: estimate(runs[name], metric) for name in names} for metric in METRICS}
    if len(names) < 2:
        return found, None
    family = pair_family({metric: runs for metric in METRICS}, derived=derived, alpha=alpha)
    pairs = tuple(test for tests in family.values() for test in tests)
    best = max(names, key=lambda name: found["accuracy"][name].mean)
    tied = tuple(
        name
        for name in names
        if name != best
        and (test := _find(pairs, best, name, "accuracy")) is not None
        and not test.significant(alpha)
    )
    comparison = Comparison(
        estimates=found["accuracy"],
        pairs=pairs,
        best=best,
        tied=tied,
        ranks=rank_intervals(names, pairs, alpha),
        alpha=alpha,
    )
    return found, comparison


def pair_family(
    groups: Mapping[str, Mapping[str, Runs]],
    *,
    derived: Mapping[str, str] | None = None,
    alpha: float | None = None,
) -> dict[str, list[PairTest]]:
    """Every pair of variants within each group, tested on the group's metric (a group is
    named by its metric: ``accuracy`` or ``macro_recall``; any other name, e.g. a behaviour
    test's, is a pass rate scored as accuracy), all in one Holm family. With ``alpha``, each
    test also gives the smallest difference it detects at the family's strictest level."""
    raw = []
    for group, runs in groups.items():
        metric = group if group in METRICS else "accuracy"
        names = list(runs)
        for i, first in enumerate(names):
            for second in names[i + 1 :]:
                spread, p, test = pair_test(first, second, runs, metric, derived=derived)
                raw.append((group, first, second, metric, spread, p, test))
    adjusted = holm([item[5] for item in raw])
    strictest = None if alpha is None else alpha / max(len(raw), 1)
    family: dict[str, list[PairTest]] = {group: [] for group in groups}
    for (group, first, second, metric, spread, p, test), p_holm in zip(raw, adjusted, strict=True):
        family[group].append(
            PairTest(
                first,
                second,
                metric,
                spread.value,
                p,
                p_holm,
                test,
                error=spread.error,
                detectable=0.0 if strictest is None else spread.detectable(strictest),
                conditional=spread.conditional,
            )
        )
    return family


def _find(pairs: Sequence[PairTest], a: str, b: str, metric: str) -> PairTest | None:
    return next((t for t in pairs if t.metric == metric and {t.first, t.second} == {a, b}), None)


def rank_intervals(
    names: Sequence[str], pairs: Sequence[PairTest], alpha: float, metric: str = "accuracy"
) -> dict[str, tuple[int, int]]:
    """Each variant's possible ranks (1 = best) given the verdicts: from 1 + the variants
    significantly better to n - the variants significantly worse. Deterministic, and never
    in conflict with the pairwise verdicts."""
    better = dict.fromkeys(names, 0)
    worse = dict.fromkeys(names, 0)
    for test in pairs:
        winner = test.winner(alpha) if test.metric == metric else None
        if winner is None:
            continue
        loser = test.second if winner == test.first else test.first
        better[loser] += 1
        worse[winner] += 1
    return {name: (1 + better[name], len(names) - worse[name]) for name in names}


# -- the gate ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class DropTest:
    """The gate's test of one metric: new runs against the baseline's, same items, asking
    whether the drop is confidently larger than ``margin``."""

    metric: str
    baseline: float
    value: float
    p_value: float
    error: float = 0.0
    """The standard error of the difference (items shared, one seed spread for both sides)."""
    df: float = math.inf
    margin: float = 0.0
    conditional: bool = False
    """Neither side has two runs: the training's randomness is not in the error."""
    planning_error: float | None = None
    """The error at which ``detectable`` computes power (``Spread.planning_error``)."""

    @property
    def drop(self) -> float:
        return self.baseline - self.value

    def detectable(self, alpha: float, power: float = POWER) -> float:
        """The smallest true drop this test finds with probability ``power``: the margin
        plus the noncentral-t shift of ``Spread.detectable`` (checked by simulation in
        ``tests/test_statistics.py`` and ``bench/measure_statistics.py``)."""
        spread = Spread(-self.drop, self.error, self.df, planning_error=self.planning_error)
        return self.margin + spread.detectable(alpha, power, sided=1)

    def describe(self) -> str:
        shown = "< 0.0001" if self.p_value < 1e-4 else f"= {self.p_value:.4f}"
        beyond = f" beyond {self.margin:g}" if self.margin else ""
        caveat = "; one run a side: the training's randomness is not measured" * bool(
            self.conditional
        )
        return (
            f"{self.metric} {self.value:.4f} vs baseline {self.baseline:.4f} (drop "
            f"{self.drop:+.4f} ± {self.error:.4f}; one-sided p of a drop{beyond} {shown}, t "
            f"test over the test items and seeds{caveat})"
        )


def drop_test(
    new: Runs, baseline: Runs, metric: str, margin: float = 0.0, *, noise_floor: bool = False
) -> DropTest:
    """One-sided test that ``new`` scores more than ``margin`` below ``baseline`` on
    ``metric`` (the same variant before and after a change: one seed spread, pooled from
    the sides with two runs or more, applies to both; ``noise_floor``: see ``difference``)."""
    found = difference(
        baseline, new, metric, names=("baseline", "new"), same_variant=True, noise_floor=noise_floor
    )  # baseline - new: the drop
    return DropTest(
        metric,
        baseline=float(baseline.per_seed(metric).mean()),
        value=float(new.per_seed(metric).mean()),
        p_value=found.p_above(margin),
        error=found.error,
        df=found.df,
        margin=margin,
        conditional=bool(found.conditional),
        planning_error=found.planning_error,
    )
