"""Scores over commits: every committed ``results.json`` is a snapshot of the bench. From git
history (and from an MLflow experiment's session runs when given one), ``history.md`` holds
each variant's test accuracy and macro recall with their 95% intervals (over test items and
seeds, as in ``comparison.md``) and its training time per seed, snapshot by snapshot, and
``history.png`` draws them; both are written beside the comparison::

    python -m sentiment_models.reporting.history results
    python -m sentiment_models.reporting.history results/quick --last 20 \\
        --mlflow-uri http://127.0.0.1:5000 --mlflow-experiment sentiment-bench

A change between two snapshots is marked only when they were made on the same test items and
profile and their intervals do not overlap (then the difference is significant at well under
5%); a change of test data or profile is marked as a break, never as a change of score."""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sentiment_models.errors import StoreError
from sentiment_models.reporting.analysis import IN_DOMAIN, ordered_names, runs_on
from sentiment_models.reporting.costs import charged_seconds
from sentiment_models.reporting.store import RESULTS_FILE, atomic_write, parse_results
from sentiment_models.results import ResultsStore
from sentiment_models.statistics import compare
from sentiment_models.variants import variant_names

METRICS = ("accuracy", "macro_recall")
TITLES = {"accuracy": "Test accuracy", "macro_recall": "Macro recall (test)"}


@dataclass(frozen=True)
class Version:
    """A file as committed: the commit, its date (ISO) and subject, and the file's text."""

    commit: str
    date: str
    subject: str
    text: str


@dataclass(frozen=True)
class Score:
    """A metric over seeds: mean and 95% interval (None without per-item predictions)."""

    mean: float
    low: float | None = None
    high: float | None = None

    def show(self) -> str:
        if self.low is None or self.high is None:
            return f"{self.mean:.4f}"
        return f"{self.mean:.4f} [{self.low:.4f}, {self.high:.4f}]"

    def apart_from(self, other: Score) -> int:
        """+1 / -1 when both intervals exist and this one lies above / below the other's."""
        if None in (self.low, self.high, other.low, other.high):
            return 0
        if self.low > other.high:  # type: ignore[operator]
            return 1
        if self.high < other.low:  # type: ignore[operator]
            return -1
        return 0


@dataclass(frozen=True)
class Point:
    """One variant in one snapshot."""

    scores: dict[str, Score]
    train_seconds: float | None
    seeds: int
    basis: str
    """What the scores were measured on: the profile and the test items' digest."""


@dataclass(frozen=True)
class Snapshot:
    """The bench at one commit (or one MLflow session run)."""

    label: str
    date: str
    subject: str
    points: dict[str, Point] = field(default_factory=dict)
    problem: str = ""


# -- sources ------------------------------------------------------------------------------------
def git_versions(path: Path, limit: int | None = None) -> list[Version]:
    """The committed versions of ``path``, newest first (a StoreError when git cannot say)."""
    folder = path.resolve().parent
    root = _git(folder, "rev-parse", "--show-toplevel").strip()
    relative = path.resolve().relative_to(Path(root).resolve()).as_posix()
    log = _git(
        Path(root),
        "log",
        "--format=%H%x1f%cI%x1f%s",
        *([f"-n{limit}"] if limit else []),
        "--",
        relative,
    )
    versions = []
    for line in log.splitlines():
        commit, date, subject = line.split("\x1f", 2)
        try:
            text = _git(Path(root), "show", f"{commit}:{relative}")
        except StoreError:  # the commit deleted the file
            continue
        versions.append(Version(commit, date, subject, text))
    if not versions:
        raise StoreError(f"{path}: no committed version in git; commit it first")
    return versions


def _git(folder: Path, *args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=folder, capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise StoreError(f"git {args[0]} in {folder}: {error}; is git installed?") from None
    if done.returncode != 0:
        said = (done.stderr.strip().splitlines() or ["failed"])[-1]
        raise StoreError(f"git {args[0]} in {folder}: {said}")
    return done.stdout


def snapshot_of(store: ResultsStore, label: str, date: str, subject: str) -> Snapshot:
    points = {}
    for name, record in store.variants.items():
        ok = [run for run in record.runs if run.status == "ok"] or list(record.runs)
        if not ok:
            continue
        scores = {}
        for metric in METRICS:  # a metric a run did not measure is left out, never taken as 0
            values = [value for run in ok if (value := run.test.get(metric)) is not None]
            if values:
                scores[metric] = Score(sum(values) / len(values))
        found = runs_on(record, IN_DOMAIN)
        if not isinstance(found, str):
            estimates, _ = compare({name: found[0]})
            scores = {
                metric: Score(
                    estimates[metric][name].mean,
                    estimates[metric][name].low,
                    estimates[metric][name].high,
                )
                for metric in METRICS
            }
        charged = charged_seconds(record, store.variants) if record.description.trained else None
        points[name] = Point(
            scores,
            sum(charged) / len(charged) if charged else None,
            len(ok),
            f"{record.profile}, test {record.data.test_digest[:8]}",
        )
    return Snapshot(label, date, subject, points)


def git_snapshots(folder: Path, limit: int | None) -> list[Snapshot]:
    """One snapshot per commit of ``folder/results.json`` (newest first), then the working
    tree's file when it differs from the last commit's."""
    path = folder / RESULTS_FILE
    versions = git_versions(path, limit)
    snapshots = []
    if path.is_file() and path.read_text() != versions[0].text:
        snapshots.append(_parsed(path.read_text(), "uncommitted", "", "working tree"))
    for version in versions:
        snapshots.append(
            _parsed(version.text, version.commit[:7], version.date[:10], version.subject)
        )
    return snapshots


def _parsed(text: str, label: str, date: str, subject: str) -> Snapshot:
    try:
        store = parse_results(json.loads(text), f"{RESULTS_FILE} at {label}")
    except (StoreError, ValueError) as error:
        return Snapshot(label, date, subject, problem=f"not read: {error}")
    return snapshot_of(store, label, date or store.session.date[:10], subject)


def mlflow_snapshots(uri: str, experiment: str) -> list[Snapshot]:
    """One snapshot per session run of ``experiment`` (newest first), from the figures the
    bench logged on each variant's run (``accuracy_mean``, ``accuracy_ci_low``, ...) and the
    training seconds of its seed runs."""
    import mlflow

    from sentiment_models.tracking.console import quiet

    with quiet(None):
        client = mlflow.MlflowClient(uri)
        found = client.get_experiment_by_name(experiment)
        if found is None:
            raise StoreError(f"--mlflow-experiment {experiment}: no such experiment at {uri}")
        runs = _all_runs(client, found.experiment_id)
    children: dict[str, list[Any]] = {}
    for run in runs:
        parent = run.data.tags.get("mlflow.parentRunId")
        if parent:
            children.setdefault(parent, []).append(run)
    snapshots = []
    sessions = [run for run in runs if run.data.tags.get("bench.role") == "session"]
    for session in sorted(sessions, key=lambda run: run.info.start_time, reverse=True):
        tags = session.data.tags
        points = {}
        for variant in children.get(session.info.run_id, []):
            metrics, name = variant.data.metrics, variant.data.tags.get("variant", "?")
            if "accuracy_mean" not in metrics:
                continue
            seeds = children.get(variant.info.run_id, [])
            seconds = [
                s.data.metrics["train_seconds"] for s in seeds if "train_seconds" in s.data.metrics
            ]
            points[name] = Point(
                {
                    metric: Score(
                        metrics[f"{metric}_mean"],
                        metrics.get(f"{metric}_ci_low"),
                        metrics.get(f"{metric}_ci_high"),
                    )
                    for metric in METRICS
                    if f"{metric}_mean" in metrics
                },
                sum(seconds) / len(seconds) if seconds else None,
                len(seeds),
                f"{session.data.params.get('option.profile', '?')}, test "
                f"{session.data.params.get('data.test_digest', '?')[:8]}",
            )
        commit = tags.get("git.commit", "unknown")[:7]
        snapshots.append(
            Snapshot(
                f"mlflow {session.info.run_id[:8]} ({commit})",
                tags.get("date", "")[:10],
                session.info.run_name or "",
                points,
            )
        )
    return snapshots


def _all_runs(client: Any, experiment_id: str) -> list[Any]:
    runs, token = [], None
    while True:
        page = client.search_runs([experiment_id], max_results=1000, page_token=token)
        runs += list(page)
        token = page.token
        if not token:
            return runs


# -- rendering ------------------------------------------------------------------------------------
def render_history(snapshots: Sequence[Snapshot], order: Iterable[str]) -> str:
    """``history.md``: per metric, snapshots as rows (newest first) and variants as columns."""
    names = ordered_names({n: 0 for s in snapshots for n in s.points}, order)
    lines = [
        "# Scores over commits",
        "",
        "Each row is a snapshot: a commit of `results.json` (or an MLflow session run), newest "
        "first. A cell is the mean over seeds with its 95% interval over test items and seeds "
        "(none for a record without per-item predictions). **▲ / ▼**: the interval lies wholly "
        "above / below the one of the next older snapshot made on the same profile and test "
        "items (a significant change); **‖**: the profile or test items changed, the scores "
        "are not comparable with the row below. Regenerate with `python -m "
        "sentiment_models.reporting.history <results folder>`.",
        "",
    ]
    for metric in METRICS:
        lines += [f"## {TITLES[metric]}", "", _table(snapshots, names, metric), ""]
    lines += [
        "## Training time per seed (s)",
        "",
        "A deployment variant is charged its source's training too (as in `comparison.md`). "
        "Times depend on the machine and its load: read them as a trend, not a test.",
        "",
        _table(snapshots, names, None),
        "",
    ]
    problems = [f"- `{s.label}`: {s.problem}" for s in snapshots if s.problem]
    if problems:
        lines += ["## Snapshots not shown", "", *problems, ""]
    return "\n".join(lines)


def _table(snapshots: Sequence[Snapshot], names: list[str], metric: str | None) -> str:
    from sentiment_models.reporting.tables import markdown_table

    shown = [s for s in snapshots if not s.problem]
    rows = []
    for index, snapshot in enumerate(shown):
        older = shown[index + 1 :]
        row = [f"`{snapshot.label}`", snapshot.date, _short(snapshot.subject)]
        for name in names:
            point = snapshot.points.get(name)
            if point is None:
                row.append("")
                continue
            previous = next((s.points[name] for s in older if name in s.points), None)
            row.append(_cell(point, previous, metric))
        rows.append(row)
    return markdown_table(["snapshot", "date", "what", *names], rows)


def _cell(point: Point, previous: Point | None, metric: str | None) -> str:
    broke = previous is not None and previous.basis != point.basis
    if metric is None:
        text = f"{point.train_seconds:,.1f}" if point.train_seconds is not None else "-"
    else:
        score = point.scores.get(metric)
        if score is None:
            return "-"
        text = score.show()
        if previous is not None and not broke and metric in previous.scores:
            text += {1: " ▲", -1: " ▼", 0: ""}[score.apart_from(previous.scores[metric])]
    return text + (" ‖" if broke else "")


def _short(text: str, limit: int = 48) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_history_plot(snapshots: Sequence[Snapshot], order: Iterable[str]) -> bytes | None:
    """``history.png``: each variant's accuracy with its interval and its training time,
    oldest snapshot on the left; a dotted line where the profile or test items changed."""
    shown = [s for s in reversed(snapshots) if not s.problem and s.points]
    if not shown:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = ordered_names({n: 0 for s in shown for n in s.points}, order)
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(12.5, 8), sharex=True)
    for name in names:
        xs, means, errors, seconds_x, seconds = [], [], [[], []], [], []
        for x, snapshot in enumerate(shown):
            point = snapshot.points.get(name)
            if point is None or "accuracy" not in point.scores:
                continue
            score = point.scores["accuracy"]
            xs.append(x)
            means.append(score.mean)
            errors[0].append(score.mean - (score.low if score.low is not None else score.mean))
            errors[1].append((score.high if score.high is not None else score.mean) - score.mean)
            if point.train_seconds:
                seconds_x.append(x)
                seconds.append(point.train_seconds)
        line = top.errorbar(xs, means, yerr=errors, marker="o", capsize=3, label=name)
        if seconds:
            bottom.plot(seconds_x, seconds, marker="o", color=line[0].get_color(), label=name)
    for x in range(1, len(shown)):
        bases = {n: p.basis for n, p in shown[x].points.items()}
        before = {n: p.basis for n, p in shown[x - 1].points.items()}
        if any(n in before and before[n] != basis for n, basis in bases.items()):
            for axis in (top, bottom):
                axis.axvline(x - 0.5, color="grey", linestyle=":", linewidth=1)
    top.set_ylabel("test accuracy (95% interval)")
    top.set_title("Scores over commits (dotted: profile or test items changed)")
    top.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    top.grid(alpha=0.3)
    bottom.set_yscale("log")
    bottom.set_ylabel("training time per seed (s)")
    bottom.grid(alpha=0.3, which="both")
    bottom.set_xticks(range(len(shown)))
    bottom.set_xticklabels(
        [f"{s.label}\n{s.date}" for s in shown], rotation=45, ha="right", fontsize=7
    )
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
    plt.close(figure)
    return buffer.getvalue()


# -- the command ------------------------------------------------------------------------------------
def build_history(
    folder: Path,
    *,
    limit: int | None = None,
    mlflow_uri: str | None = None,
    experiment: str = "sentiment-bench",
) -> list[Path]:
    """Write ``history.md`` and ``history.png`` into ``folder``; returns the files written."""
    snapshots = git_snapshots(folder, limit)
    if mlflow_uri:
        snapshots += mlflow_snapshots(mlflow_uri, experiment)
    order = variant_names()
    written = []
    atomic_write(folder / "history.md", render_history(snapshots, order))
    written.append(folder / "history.md")
    plot = render_history_plot(snapshots, order)
    if plot is not None:
        atomic_write(folder / "history.png", plot)
        written.append(folder / "history.png")
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sentiment_models.reporting.history",
        description="Write history.md and history.png (each variant's scores with their "
        "intervals and its training time over commits) into a results folder, from the git "
        "history of its results.json and, if given, an MLflow experiment's session runs.",
    )
    parser.add_argument("folder", type=Path, help="the results folder, e.g. results")
    parser.add_argument(
        "--last",
        type=int,
        default=None,
        metavar="N",
        help="only the last N commits of results.json (default: all)",
    )
    parser.add_argument(
        "--mlflow-uri",
        default=None,
        metavar="URI",
        help="also read the session runs of an MLflow experiment",
    )
    parser.add_argument(
        "--mlflow-experiment",
        default="sentiment-bench",
        metavar="NAME",
        help="the experiment with --mlflow-uri (default: sentiment-bench)",
    )
    args = parser.parse_args(argv)
    if args.last is not None and args.last < 1:
        parser.error(f"--last {args.last}: expected 1 or more")
    from sentiment_models.reporting.render import report_written

    return report_written(
        lambda: build_history(
            args.folder,
            limit=args.last,
            mlflow_uri=args.mlflow_uri,
            experiment=args.mlflow_experiment,
        )
    )


if __name__ == "__main__":
    sys.exit(main())
