"""Simulated runs for checking the statistics: a model of seeds x items correctness,
calibrated to a variant's stored runs, from which any number of new "seeds" can be drawn.

A store holds three seeds per variant: too few to resample seeds (every split of three
seeds into two sides is one of three fixed configurations, so a rate measured on them is
conditional on those seeds). The model draws fresh ones instead. Run ``s`` gets item ``i``
right with probability ``expit(base_i + b_s)``, ``b_s ~ N(0, tau²)`` a seed effect shared by
all items; ``base_i`` comes from the item's seed-averaged correctness, shrunk toward 1/2 just
enough that the simulated runs disagree on items as often as the stored ones do, and ``tau``
from the stored seed spread (``statistics.SeedSpread``). Items are drawn with replacement
from the stored ones (their labels with them), so the class balance is the store's."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sentiment_models.statistics import Runs, SeedSpread, weights

GAUSS_HERMITE_POINTS = 40


@dataclass(frozen=True)
class SeedModel:
    """Correctness of item i in a run with seed effect b: Bernoulli(expit(base[i] + b))."""

    base: np.ndarray
    tau: float
    labels: np.ndarray
    n_classes: int

    @classmethod
    def calibrated(cls, runs: Runs) -> SeedModel:
        """The model whose runs match ``runs``: per-item disagreement between seeds (by
        the shrinkage of the items' seed-averaged correctness) and the seed spread of
        accuracy (by ``tau``)."""
        from scipy.special import logit

        correct = runs.correct
        k = runs.seeds
        if k < 2:
            raise ValueError("calibrating a seed model needs two runs or more")
        mean = correct.mean(axis=0)
        observed = float(np.mean(np.var(correct, axis=0, ddof=1)))

        def disagreement(shrink: float) -> float:
            p = (k * mean + shrink) / (k + 2 * shrink)
            return float(np.mean(p * (1 - p)))

        low, high = 1e-9, 100.0
        for _ in range(80):  # bisection on a log scale: disagreement grows with shrink
            middle = math.sqrt(low * high)
            low, high = (middle, high) if disagreement(middle) < observed else (low, middle)
        p = (k * mean + low) / (k + 2 * low)
        weight = weights(runs.labels, "accuracy", runs.n_classes)
        spread = SeedSpread.of(correct, weight)
        seed_variance = 0.0
        if spread is not None:  # V - W, net of the item-by-seed noise (method of moments)
            size = len(runs.labels)
            seed_variance = max(0.0, (spread.between - spread.within(weight)) / (1 - 1 / size))
        slope = float(np.mean(p * (1 - p)))  # d accuracy / d seed effect, at b = 0
        tau = math.sqrt(seed_variance) / slope if slope > 0 else 0.0
        base = logit(np.clip(p, 1e-9, 1 - 1e-9))
        return cls(base, tau, runs.labels.copy(), runs.n_classes)

    def draw(
        self,
        seeds: int,
        items: np.ndarray,
        rng: np.random.Generator,
        dropped: np.ndarray | None = None,
        *,
        fixed: bool = False,
    ) -> Runs:
        """``seeds`` new runs on the items ``items`` (indices into the model's items);
        ``dropped`` items (positions in ``items``) are always wrong (a planted drop)."""
        from scipy.special import expit

        effects = rng.normal(0.0, self.tau, seeds)
        chance = expit(self.base[items][None, :] + effects[:, None])
        if dropped is not None:
            chance[:, dropped] = 0.0
        right = rng.random(chance.shape) < chance
        labels = self.labels[items]
        wrong = (labels + 1) % self.n_classes
        predicted = np.where(right, labels, wrong).astype(np.int16)
        return Runs(predicted, labels.astype(np.int16), self.n_classes, tuple(range(seeds)), fixed)

    def truth(self, metric: str, items: np.ndarray | None = None) -> float:
        """The expected metric over seeds on ``items`` (all the model's by default)."""
        from scipy.special import expit

        chosen = np.arange(len(self.base)) if items is None else items
        points, heights = np.polynomial.hermite_e.hermegauss(GAUSS_HERMITE_POINTS)
        chance = (
            sum(
                height * expit(self.base[chosen] + self.tau * point)
                for point, height in zip(points, heights, strict=True)
            )
            / heights.sum()
        )
        return float(chance @ weights(self.labels[chosen], metric, self.n_classes))

    def drop(self, share: float, items: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Positions in ``items`` to make wrong for an expected accuracy drop of ``share``:
        random items among those the model mostly gets right."""
        from scipy.special import expit

        chance = expit(self.base[items])
        likely = np.flatnonzero(chance > 0.9)
        count = round(share * len(items) / float(chance[likely].mean())) if len(likely) else 0
        return rng.permutation(likely)[:count]
