"""What a CI job shows of a session: a short Markdown job summary (appended to
``--summary-file``, by default ``$GITHUB_STEP_SUMMARY`` on GitHub Actions) and one GitHub
annotation per gate failure (a workflow command on stdout, when ``$GITHUB_ACTIONS`` is
``true``). The full tables stay in the results folder."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from sentiment_models.gates import BEHAVIOUR_CHECK, behaviour_summary
from sentiment_models.reporting.analysis import Analysis, ordered_names
from sentiment_models.reporting.tables import markdown_table, verdict_text
from sentiment_models.results import GateCheck, ResultsStore

SUMMARY_VARIABLE = "GITHUB_STEP_SUMMARY"


@dataclass(frozen=True)
class SessionReport:
    """What the summary is made of, gathered when the session's results are written."""

    store: ResultsStore
    analysis: Analysis
    updated: tuple[str, ...]
    """The variants this session ran (the others are stored from earlier sessions)."""
    checks: tuple[GateCheck, ...] = ()
    gate_failures: Mapping[str, tuple[str, ...]] | None = None
    """Variant -> its gate failures; None when the session did not gate."""
    results_dir: str = "results"
    profile: str = ""


def summary_path(option: str | None) -> Path | None:
    """Where the summary goes: ``--summary-file``, else ``$GITHUB_STEP_SUMMARY``, else none."""
    chosen = option or os.environ.get(SUMMARY_VARIABLE)
    return Path(chosen) if chosen else None


def job_summary(report: SessionReport, order: Iterable[str], tracking: Sequence[str] = ()) -> str:
    """The Markdown summary: per variant run here, accuracy and macro recall with their 95%
    intervals and the gate's verdict with what it could detect; the comparison's verdict;
    the tracking lines; where the full tables are."""
    names = [n for n in ordered_names(report.store.variants, order) if n in report.updated]
    gated = report.gate_failures is not None
    header = ["variant", "accuracy [95% CI]", "macro recall [95% CI]"]
    rows = []
    for name in names:
        row = [name]
        for metric in ("accuracy", "macro_recall"):
            found = report.analysis.estimate(name, metric)
            row.append(f"{found.mean:.4f} [{found.low:.4f}, {found.high:.4f}]" if found else "-")
        if gated:
            row.append(_gate_cell(name, report))
        rows.append(row)
    if gated:
        header.append("gate")
    lines = [
        f"### sentiment-bench: {report.profile} profile, {len(names)} variant(s)",
        "",
        markdown_table(header, rows),
        "",
    ]
    comparison = report.analysis.test.comparison
    if comparison is not None:
        lines += [verdict_text(comparison), ""]
    if gated:
        lines += [
            "Gate: a variant fails for a drop significantly larger than the smallest effect "
            "(one-sided paired t test over the test items and seeds, p under alpha); *detects* "
            "is the smallest drop it would find with 80% power.",
            "",
        ]
    lines += [f"- {line}" for line in tracking]
    lines += [f"- full tables: `{report.results_dir}/comparison.md`", ""]
    return "\n".join(lines)


def _gate_cell(name: str, report: SessionReport) -> str:
    failures = (report.gate_failures or {}).get(name, ())
    every = [check for check in report.checks if check.variant == name]
    checks = [check for check in every if not check.metric.startswith(BEHAVIOUR_CHECK)]
    detects = ", ".join(f"{_metric(c.metric)} ≥ {c.detectable:.3f}" for c in checks)
    behaviour = behaviour_summary(every)
    detects += f"; {behaviour}" if behaviour else ""
    if failures:
        worst = [c for c in every if c.failed]
        if worst:
            said = "; ".join(_failed(check) for check in worst)
        else:
            said = failures[0].split(": ", 1)[-1][:120]
        return f"❌ {said}" + (f" (detects {detects})" if detects else "")
    if not checks:
        return "not gated"
    return "✅ passed" + (f" (detects {detects})" if detects else "")


def _failed(check: GateCheck) -> str:
    if check.metric.startswith(BEHAVIOUR_CHECK):
        test = check.metric.removeprefix(BEHAVIOUR_CHECK)
        return f"behaviour {test}: failure rate rose {check.drop:.4f}, p {_p(check.p_value)}"
    return f"{_metric(check.metric)} drop {check.drop:.4f}, p {_p(check.p_value)}"


def _metric(metric: str) -> str:
    return metric.replace("_", " ")


def _p(value: float) -> str:
    return "< 0.0001" if value < 1e-4 else f"{value:.4f}"


def append_summary(path: Path, text: str) -> None:
    """Append ``text`` to the summary file (GitHub concatenates a job's steps' summaries)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text.rstrip("\n") + "\n\n")


def annotations(gate_failures: Mapping[str, Sequence[str]]) -> list[str]:
    """One ``::error`` workflow command per gate failure, on GitHub Actions only."""
    if os.environ.get("GITHUB_ACTIONS") != "true":
        return []
    lines = []
    for variant, failures in sorted(gate_failures.items()):
        for failure in failures:
            title = _escape(f"accuracy gate: {variant}", property_value=True)
            lines.append(f"::error title={title}::{_escape(failure)}")
    return lines


def _escape(text: str, property_value: bool = False) -> str:
    """GitHub's workflow-command escaping (``%``, CR and LF; in properties also ``:`` and
    ``,``), so that a message can neither end the command nor start another."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property_value:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text
