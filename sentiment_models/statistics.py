"""The statistics behind honest comparisons: estimates over seeds with bootstrap confidence
intervals, paired tests between variants (McNemar for accuracy, a paired bootstrap for macro
recall, Holm-corrected), rank intervals, and the one-sided paired test of the gate.

Every variant is a set of runs (one per seed) that predicted the same test items. The
bootstrap resamples both sources of noise at once: the test items (the same draw for every
variant, so comparisons are paired) and the seeds (drawn per variant). ``scipy.stats.bootstrap``
resamples one level only, so the two-level draw is made here with numpy; the tests come from
statsmodels (``mcnemar``, ``multipletests``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

METRICS = ("accuracy", "macro_recall")
CONFIDENCE = 0.95
POWER = 0.8
"""The power at which a smallest detectable effect is quoted."""


@dataclass(frozen=True)
class Runs:
    """A variant's per-item predictions on one test set: ``predicted`` is seeds x items
    (class indices), ``labels`` the items' true class indices."""

    predicted: np.ndarray
    labels: np.ndarray
    n_classes: int

    @classmethod
    def of(cls, predicted: Sequence[np.ndarray], labels: np.ndarray, n_classes: int) -> Runs:
        stacked = np.vstack([np.asarray(row, dtype=np.int16) for row in predicted])
        if stacked.shape[1] != len(labels):
            raise ValueError(f"{stacked.shape[1]} predictions for {len(labels)} test items")
        return cls(stacked, np.asarray(labels, dtype=np.int16), n_classes)

    @property
    def seeds(self) -> int:
        return self.predicted.shape[0]

    def per_seed(self, metric: str) -> np.ndarray:
        """The metric of each seed on all the items."""
        return metric_of(
            self.predicted,
            np.broadcast_to(self.labels, self.predicted.shape),
            metric,
            self.n_classes,
        )


@dataclass(frozen=True)
class Estimate:
    """A metric over seeds: mean, standard deviation (None for one seed) and a bootstrap
    confidence interval over test items and seeds."""

    mean: float
    sd: float | None
    low: float
    high: float
    seeds: int

    def show(self, digits: int = 4) -> str:
        spread = f" ± {self.sd:.{digits}f}" if self.sd is not None else ""
        return f"{self.mean:.{digits}f}{spread} [{self.low:.{digits}f}, {self.high:.{digits}f}]"


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

    def significant(self, alpha: float) -> bool:
        return self.p_holm < alpha


@dataclass(frozen=True)
class Comparison:
    """Every pairwise test, the best variant, the variants tied with it and rank intervals."""

    estimates: Mapping[str, Estimate]
    """Accuracy per variant (the metric that names the best and its ties)."""
    pairs: tuple[PairTest, ...]
    best: str
    tied: tuple[str, ...]
    ranks: Mapping[str, tuple[float, int, int]]
    """Variant -> (mean rank, low, high) over the bootstrap draws (1 = best)."""
    alpha: float
    resamples: int

    def pair(self, first: str, second: str, metric: str) -> PairTest | None:
        return _find(self.pairs, first, second, metric)


# -- metrics on arrays -------------------------------------------------------------------------
def metric_of(predicted: np.ndarray, labels: np.ndarray, metric: str, n_classes: int) -> np.ndarray:
    """``metric`` of each row of ``predicted`` against the same row of ``labels``."""
    correct = predicted == labels
    if metric == "accuracy":
        return correct.mean(axis=-1)
    if metric == "macro_recall":
        recalls = []
        for label in range(n_classes):
            members = labels == label
            count = members.sum(axis=-1)
            hits = (correct & members).sum(axis=-1)
            recalls.append(np.where(count > 0, hits / np.maximum(count, 1), np.nan))
        return np.nanmean(np.vstack(recalls), axis=0)
    raise ValueError(f"unknown metric {metric!r}; expected one of {METRICS}")


def bootstrap_draws(
    runs: Mapping[str, Runs], metric: str, resamples: int, seed: int = 0
) -> dict[str, np.ndarray]:
    """``resamples`` draws of each variant's metric: the same test items for all variants
    (paired), a seed drawn per variant and draw. All ``runs`` must share their items.

    Each draw's metric is a weighted sum of the drawn items' hits (weight 1 / items for
    accuracy; 1 / (classes present x the item's class count in the draw) for macro recall,
    the mean of the per-class recalls), the weights computed once per draw for every variant.
    """
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; expected one of {METRICS}")
    rng = np.random.default_rng(seed)
    sizes = {len(item.labels) for item in runs.values()}
    if len(sizes) != 1:
        raise ValueError("the variants were not tested on the same items")
    n_items = sizes.pop()
    labels = next(iter(runs.values())).labels
    n_classes = max(item.n_classes for item in runs.values())
    hits = {name: item.predicted == item.labels for name, item in runs.items()}
    draws = {name: np.empty(resamples) for name in runs}
    chunk = max(1, 4_000_000 // max(n_items, 1))  # bound memory: chunk x items indices
    for start in range(0, resamples, chunk):
        size = min(chunk, resamples - start)
        items = rng.integers(0, n_items, size=(size, n_items))
        weights = _draw_weights(labels[items], metric, n_classes)
        for name, item in runs.items():
            seeds = rng.integers(0, item.seeds, size=size)
            drawn = hits[name][seeds[:, None], items]
            if weights is None:
                draws[name][start : start + size] = drawn.mean(axis=1)
            else:
                draws[name][start : start + size] = np.where(drawn, weights, 0.0).sum(axis=1)
    return draws


def _draw_weights(truth: np.ndarray, metric: str, n_classes: int) -> np.ndarray | None:
    """Per drawn item, its weight in the draw's macro recall (None for accuracy: the mean)."""
    if metric == "accuracy":
        return None
    counts = np.stack([(truth == label).sum(axis=1) for label in range(n_classes)], axis=1)
    present = (counts > 0).sum(axis=1, keepdims=True)
    per_class = 1.0 / (np.maximum(counts, 1) * present)
    return np.take_along_axis(per_class, truth.astype(np.intp), axis=1)


def estimate(runs: Runs, metric: str, draws: np.ndarray) -> Estimate:
    per_seed = runs.per_seed(metric)
    tail = (1 - CONFIDENCE) / 2
    low, high = np.quantile(draws, [tail, 1 - tail])
    return Estimate(
        mean=float(per_seed.mean()),
        sd=float(per_seed.std(ddof=1)) if len(per_seed) > 1 else None,
        low=float(low),
        high=float(high),
        seeds=len(per_seed),
    )


# -- tests ----------------------------------------------------------------------------------
def mcnemar_p(first: Runs, second: Runs) -> float:
    """Exact McNemar test of equal accuracy on the same items, for each seed pairing (seeds
    matched in order; a single run pairs with every seed of the other); the largest p-value
    is returned: a difference counts only when every seed shows it."""
    from statsmodels.stats.contingency_tables import mcnemar

    worst = 0.0
    for index in range(max(first.seeds, second.seeds)):
        a = first.predicted[index % first.seeds] == first.labels
        b = second.predicted[index % second.seeds] == second.labels
        table = [
            [int(np.sum(a & b)), int(np.sum(a & ~b))],
            [int(np.sum(~a & b)), int(np.sum(~a & ~b))],
        ]
        worst = max(worst, float(mcnemar(table, exact=True).pvalue))
    return worst


def bootstrap_z(observed: float, draws: np.ndarray) -> float:
    """The observed difference in units of its bootstrap standard error (±inf when the
    draws do not vary and the difference is not 0; 0 when both are 0)."""
    error = float(np.std(draws, ddof=1))
    if error == 0:
        return 0.0 if observed == 0 else math.copysign(math.inf, observed)
    return observed / error


def bootstrap_p(observed: float, draws: np.ndarray) -> float:
    """Two-sided p-value of "no difference": the observed difference over its paired
    bootstrap standard error, against the normal distribution (p-values are not limited to
    multiples of 1 / resamples, which Holm's correction would inflate)."""
    from scipy.stats import norm

    return float(2 * norm.sf(abs(bootstrap_z(observed, draws))))


def holm(p_values: Sequence[float]) -> list[float]:
    from statsmodels.stats.multitest import multipletests

    if not p_values:
        return []
    return [float(p) for p in multipletests(list(p_values), method="holm")[1]]


def compare(
    runs: Mapping[str, Runs], *, alpha: float = 0.05, resamples: int = 2000
) -> tuple[dict[str, dict[str, Estimate]], Comparison | None]:
    """Estimates of both metrics for every variant; with two or more variants, paired tests
    between every two (McNemar for accuracy, a paired bootstrap for macro recall; Holm
    within each metric), the best variant by mean accuracy, the variants that the tests
    cannot tell from it, and rank intervals."""
    names = list(runs)
    draws = {
        metric: bootstrap_draws(runs, metric, resamples, seed=index)
        for index, metric in enumerate(METRICS)
    }
    found = {
        metric: {name: estimate(runs[name], metric, draws[metric][name]) for name in names}
        for metric in METRICS
    }
    if len(names) < 2:
        return found, None
    pairs: list[PairTest] = []
    for metric in METRICS:
        raw = []
        for i, first in enumerate(names):
            for second in names[i + 1 :]:
                diff = found[metric][first].mean - found[metric][second].mean
                if metric == "accuracy":
                    p, test = mcnemar_p(runs[first], runs[second]), "McNemar exact"
                else:
                    p = bootstrap_p(diff, draws[metric][first] - draws[metric][second])
                    test = "paired bootstrap"
                raw.append((first, second, diff, p, test))
        adjusted = holm([item[3] for item in raw])
        for (first, second, diff, p, test), p_holm in zip(raw, adjusted, strict=True):
            pairs.append(PairTest(first, second, metric, diff, p, p_holm, test))
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
        pairs=tuple(pairs),
        best=best,
        tied=tied,
        ranks=rank_intervals(draws["accuracy"]),
        alpha=alpha,
        resamples=resamples,
    )
    return found, comparison


def _find(pairs: Sequence[PairTest], a: str, b: str, metric: str) -> PairTest | None:
    return next((t for t in pairs if t.metric == metric and {t.first, t.second} == {a, b}), None)


def rank_intervals(draws: Mapping[str, np.ndarray]) -> dict[str, tuple[float, int, int]]:
    """Each variant's rank (1 = best) in every bootstrap draw: mean and 95% interval."""
    from scipy.stats import rankdata

    names = list(draws)
    matrix = np.vstack([draws[name] for name in names])  # variants x draws
    ranks = rankdata(-matrix, axis=0, method="min")
    tail = (1 - CONFIDENCE) / 2
    return {
        name: (
            float(ranks[i].mean()),
            math.floor(float(np.quantile(ranks[i], tail))),
            math.ceil(float(np.quantile(ranks[i], 1 - tail))),
        )
        for i, name in enumerate(names)
    }


@dataclass(frozen=True)
class DropTest:
    """The gate's test of one metric: new runs against the baseline's, same items."""

    metric: str
    baseline: float
    value: float
    p_value: float
    resamples: int
    error: float = 0.0
    """The bootstrap standard error of the difference (items shared, seeds per side)."""

    @property
    def drop(self) -> float:
        return self.baseline - self.value

    def detectable(self, alpha: float, margin: float = 0.0, power: float = POWER) -> float:
        """The smallest true drop this test would find with probability ``power``: the
        margin plus (z_{1-alpha} + z_power) standard errors (the normal approximation the
        test itself makes; ``tests/test_statistics.py`` checks the power by simulation)."""
        from scipy.stats import norm

        return margin + (float(norm.ppf(1 - alpha)) + float(norm.ppf(power))) * self.error

    def describe(self) -> str:
        shown = "< 0.0001" if self.p_value < 1e-4 else f"= {self.p_value:.4f}"
        return (
            f"{self.metric} {self.value:.4f} vs baseline {self.baseline:.4f} (drop "
            f"{self.drop:+.4f}; one-sided p {shown}, paired bootstrap over the test items and "
            f"seeds, {self.resamples} resamples)"
        )


def drop_test(new: Runs, baseline: Runs, metric: str, resamples: int = 2000) -> DropTest:
    """One-sided paired test that ``new`` scores lower than ``baseline`` on ``metric``: the
    observed difference over its bootstrap standard error (items shared, seeds drawn per
    side), against the normal distribution."""
    from scipy.stats import norm

    draws = bootstrap_draws({"new": new, "baseline": baseline}, metric, resamples)
    value = float(new.per_seed(metric).mean())
    base = float(baseline.per_seed(metric).mean())
    differences = draws["new"] - draws["baseline"]
    z = bootstrap_z(value - base, differences)
    return DropTest(
        metric,
        baseline=base,
        value=value,
        p_value=float(norm.cdf(z)),
        resamples=resamples,
        error=float(np.std(differences, ddof=1)),
    )
