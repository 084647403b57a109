"""``tradeoff.png``, two views, each with error bars (standard deviation over seeds), the
Pareto front computed on the means and labels placed by adjustText so none overlaps:

- test accuracy against training time. A deployment variant (e.g. int8) is charged its
  source's training too (``reporting.costs``): its own phase is only the conversion. Variants
  that do not train (a lexicon, a pretrained model) are shown apart, so their load time does
  not stretch the time axis;
- test accuracy against inference throughput (the evaluate phase, texts/s), every variant:
  where deployment variants belong."""

from __future__ import annotations

import io
import statistics
from collections.abc import Iterable
from typing import Any

from sentiment_models.reporting.analysis import ordered_names
from sentiment_models.reporting.costs import charged_seconds, source_of
from sentiment_models.results import ResultsStore, VariantRecord

LABEL_ITERATIONS = 300
"""adjustText's iterations: a fixed number (its default is one second's worth, so the same
results drew a different plot on a faster or busier machine)."""


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


def _spread(values: list[float]) -> tuple[float, float]:
    """Mean and standard deviation (0 for one value: no error bar is drawn)."""
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def _point(record: VariantRecord, seconds: list[float]) -> tuple[float, float, float, float]:
    time, time_sd = _spread([max(value, 1e-3) for value in seconds])
    accuracy, accuracy_sd = _spread([run.test.accuracy for run in record.runs])
    return time, time_sd, accuracy, accuracy_sd


def _inference(record: VariantRecord) -> tuple[float, float, float, float] | None:
    speeds = [run.evaluate.throughput for run in record.runs if run.evaluate.throughput]
    if not speeds:
        return None
    speed, speed_sd = _spread(speeds)
    accuracy, accuracy_sd = _spread([run.test.accuracy for run in record.runs])
    return speed, speed_sd, accuracy, accuracy_sd


def render_tradeoff(store: ResultsStore, order: Iterable[str]) -> bytes | None:
    """The PNG bytes, or None when no variant has a test accuracy."""
    records = store.variants
    names = ordered_names(records, order)
    if not names:
        return None
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    charged = {name: charged_seconds(records[name], records) for name in names}
    trained = [
        name
        for name in names
        if records[name].description.trained is not False and charged[name] is not None
    ]
    fixed = [name for name in names if records[name].description.trained is False]
    points = {
        name: _point(
            records[name], charged[name] or [run.train.seconds for run in records[name].runs]
        )
        for name in names
    }
    widths = [4, 1] if trained and fixed else [1]
    figure = plt.figure(figsize=(9, 10))
    grid = figure.add_gridspec(2, len(widths), width_ratios=widths)
    axes = figure.add_subplot(grid[0, 0])
    panels = [[axes, *([figure.add_subplot(grid[0, 1], sharey=axes)] if len(widths) > 1 else [])]]
    if trained:
        shown = {name: f"{name}*" if source_of(records[name]) else name for name in trained}
        labels = _points_and_front(
            axes, {name: points[name] for name in trained}, shown, lower_x_better=True
        )
        axes.set_xscale("log")
        plain = matplotlib.ticker.FuncFormatter(lambda value, _: f"{value:g}")
        axes.xaxis.set_major_locator(matplotlib.ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
        axes.xaxis.set_major_formatter(plain)
        axes.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        axes.margins(x=0.2, y=0.15)
        derived = [name for name in trained if source_of(records[name])]
        axes.set_xlabel(
            "training time (s, log scale; mean ± sd over seeds)"
            + ("\n* a deployment variant, charged its source's training" if derived else "")
        )
        axes.legend(loc="lower right", fontsize=8)
        _place_labels(labels, axes)
    axes.set_ylabel("test accuracy (mean ± sd over seeds)")
    axes.set_title("Trained variants: accuracy against training time")
    axes.grid(True, alpha=0.3)
    if fixed:
        side = panels[0][-1] if trained else axes
        for index, name in enumerate(fixed):
            _, _, accuracy, accuracy_sd = points[name]
            side.errorbar(index, accuracy, yerr=accuracy_sd or None, fmt="s", color="C2", capsize=3)
        side.set_xticks(range(len(fixed)), fixed, rotation=30, ha="right", fontsize=9)
        side.set_xlim(-0.7, len(fixed) - 0.3)
        side.set_title("Not trained", fontsize=10)
        side.grid(True, axis="y", alpha=0.3)
    _inference_view(figure.add_subplot(grid[1, :]), records, names)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    plt.close(figure)
    return buffer.getvalue()


def _inference_view(axes: Any, records: dict[str, VariantRecord], names: list[str]) -> None:
    """Test accuracy against inference throughput, every variant with a measured evaluate
    phase; the front: no other variant both faster and more accurate."""
    import matplotlib.ticker

    points = {name: point for name in names if (point := _inference(records[name])) is not None}
    if not points:
        axes.set_axis_off()
        return
    labels = _points_and_front(axes, points, {name: name for name in points}, lower_x_better=False)
    axes.set_xscale("log")
    axes.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda value, _: f"{value:g}"))
    axes.margins(x=0.2, y=0.15)
    axes.set_xlabel("inference throughput (test texts/s, log scale; mean ± sd over seeds)")
    axes.set_ylabel("test accuracy (mean ± sd over seeds)")
    axes.set_title("Every variant: accuracy against inference speed")
    axes.legend(loc="lower left", fontsize=8)
    axes.grid(True, alpha=0.3)
    _place_labels(labels, axes)


def _place_labels(labels: list[Any], axes: Any) -> None:
    """Move the labels apart (adjustText, a fixed number of steps) with a line to each point."""
    from adjustText import adjust_text

    adjust_text(
        labels,
        ax=axes,
        expand=(1.3, 1.6),
        arrowprops={"arrowstyle": "-", "color": "0.5", "lw": 0.6},
        iter_lim=LABEL_ITERATIONS,
    )


def _points_and_front(
    axes: Any,
    points: dict[str, tuple[float, float, float, float]],
    shown: dict[str, str],
    *,
    lower_x_better: bool,
) -> list[Any]:
    """Each variant's mean (x, accuracy) with its error bars, the Pareto front of the means
    (a larger accuracy is better; a lower x when ``lower_x_better``, else a larger) drawn as
    a step line, red on the front; returns the labels, for adjustText."""
    means = {name: (x if lower_x_better else 1 / x, y) for name, (x, _, y, _) in points.items()}
    front = pareto_front(means)
    labels = []
    for name, (x, x_sd, y, y_sd) in points.items():
        on_front = name in front
        axes.errorbar(
            x,
            y,
            xerr=x_sd or None,
            yerr=y_sd or None,
            fmt="o",
            markersize=8 if on_front else 6,
            color="C3" if on_front else "C0",
            capsize=3,
            zorder=3,
        )
        labels.append(axes.text(x, y, shown[name], fontsize=9))
    axes.step(
        [points[name][0] for name in front],
        [points[name][2] for name in front],
        where="post",
        color="C3",
        linestyle="--",
        label="Pareto front (means)",
    )
    return labels
