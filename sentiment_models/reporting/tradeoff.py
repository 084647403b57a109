"""``tradeoff.png``: test accuracy against training time, one labelled point per variant, the
Pareto front (no other variant is both faster and more accurate) marked."""

from __future__ import annotations

import io
from collections.abc import Iterable

from sentiment_models.reporting.tables import ordered_names
from sentiment_models.results import ResultsStore


def pareto_front(points: dict[str, tuple[float, float]]) -> list[str]:
    """Names on the front of (time, accuracy): lower time and higher accuracy are better."""
    front = []
    for name, (time, accuracy) in points.items():
        dominated = any(
            (other_time <= time and other_accuracy >= accuracy)
            and (other_time < time or other_accuracy > accuracy)
            for other, (other_time, other_accuracy) in points.items()
            if other != name
        )
        if not dominated:
            front.append(name)
    return sorted(front, key=lambda name: points[name][0])


def render_tradeoff(store: ResultsStore, order: Iterable[str]) -> bytes | None:
    """The PNG bytes, or None when no variant has both a training time and a test accuracy."""
    records = store.variants
    points = {
        name: (max(float(records[name].train.seconds), 1e-3), float(records[name].test.accuracy))
        for name in ordered_names(records, order)
    }
    if not points:
        return None
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    front = pareto_front(points)
    figure, axes = plt.subplots(figsize=(7, 4.5))
    for name, (time, accuracy) in points.items():
        on_front = name in front
        axes.scatter(
            time, accuracy, s=60 if on_front else 35, color="C3" if on_front else "C0", zorder=3
        )
        axes.annotate(name, (time, accuracy), textcoords="offset points", xytext=(6, 4), fontsize=9)
    xs = [points[name][0] for name in front]
    ys = [points[name][1] for name in front]
    axes.step(xs, ys, where="post", color="C3", linestyle="--", label="Pareto front")
    axes.set_xscale("log")
    axes.margins(x=0.15, y=0.08)
    axes.set_xlabel("training time (s, log scale)")
    axes.set_ylabel("test accuracy")
    axes.set_title("Accuracy against training time")
    axes.grid(True, alpha=0.3)
    axes.legend(loc="lower right")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    plt.close(figure)
    return buffer.getvalue()
