"""The writer of a session's results: the results store and its tables, the baseline, and,
when either cannot be written, a recovery folder and the command that merges it back."""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sentiment_models.errors import BenchError
from sentiment_models.gates import BEHAVIOUR_CHECK, behaviour_summary
from sentiment_models.reporting.analysis import IN_DOMAIN
from sentiment_models.variants import variant_names

if TYPE_CHECKING:
    from sentiment_models.pytest_plugin.casebook import CaseBook
    from sentiment_models.pytest_plugin.preparation import Preparation
    from sentiment_models.pytest_plugin.settings import SessionSettings
    from sentiment_models.reporting.analysis import Analysis
    from sentiment_models.reporting.ci import SessionReport
    from sentiment_models.results import (
        CaseOutcome,
        GateCheck,
        ResultsStore,
        SessionInfo,
        VariantRecord,
    )
    from sentiment_models.tracking import Tracker

FILES = ("comparison.md", "predictions.md", "tradeoff.png", "results.json")


def gate_lines(checks: Sequence[GateCheck]) -> list[str]:
    """One terminal line per gated variant: passed or failed, and per metric the smallest
    drop its test could have detected (80% power)."""
    by_variant: dict[str, list[GateCheck]] = {}
    for check in checks:
        by_variant.setdefault(check.variant, []).append(check)
    lines = []
    for variant, found in sorted(by_variant.items()):
        verdict = "FAILED" if any(check.failed for check in found) else "passed"
        could = [
            f"{check.metric} {check.value:.4f} vs {check.baseline:.4f}, could detect a drop "
            f"of {check.detectable:.4f} or more"
            for check in found
            if not check.metric.startswith(BEHAVIOUR_CHECK)
        ]
        behaviour = behaviour_summary(found)
        lines.append(
            f"gate {verdict} {variant}: {'; '.join([*could, behaviour] if behaviour else could)}"
        )
    return lines


class ResultsWriter:
    """Writes what a session's cases reported; never loses it (see ``recover``)."""

    def __init__(
        self, settings: SessionSettings, preparation: Preparation, tracker: Tracker
    ) -> None:
        self.settings = settings
        self.preparation = preparation
        self.tracker = tracker
        self.written: list[Path] = []
        self.report: SessionReport | None = None
        """What the CI job summary is made of (once the results are written)."""
        self.failed = False
        """The results or the baseline could not be written (they went to a recovery folder)."""

    def write(self, book: CaseBook, interrupted: bool) -> list[str]:
        """The results store and its tables, then the baseline (``--update-baseline``);
        returns lines for the terminal."""
        from sentiment_models.reporting.analysis import ordered_names
        from sentiment_models.reporting.behaviour import behaviour_line
        from sentiment_models.reporting.render import rendered_files
        from sentiment_models.reporting.store import update_results
        from sentiment_models.reporting.tables import render_terminal, verdict_line
        from sentiment_models.results import SessionInfo

        settings = self.settings
        records = book.records()
        outcomes = sorted(
            book.outcomes.values(), key=lambda outcome: (outcome.variant, outcome.seed)
        )
        failed: dict[str, dict[str, str]] = {}
        for outcome in outcomes:
            for phase, error in outcome.errors.items():
                failed.setdefault(outcome.variant, {})[f"{phase} (seed {outcome.seed})"] = error
        skipped = [
            f"{name}: skipped: {why}" for name, why in sorted(self.preparation.skipped.items())
        ]
        if not records and not failed:
            return skipped + book.rejected
        order = variant_names()
        analyses: list[Analysis] = []

        def render(store: ResultsStore) -> dict[str, str | bytes | None]:
            files, analysis = rendered_files(
                store, order, settings.config.report, settings.extra_rows
            )
            analyses.append(analysis)
            return files

        info = SessionInfo(settings.started, interrupted, tuple(sorted(records)), failed)
        try:
            stored = update_results(
                settings.results_dir, records, info, render, notify=settings.notify
            )
        except Exception as error:  # a full disk, a lock never released, a broken store
            self.failed = True
            return self.recover(records, info, error) + skipped + book.rejected
        self.written = [
            settings.results_dir / name for name in FILES if (settings.results_dir / name).exists()
        ]
        notes: list[str] = []
        if records:
            notes.append(render_terminal(stored, order, records, analyses[-1]))
            notes.append(verdict_line(stored, order, analyses[-1]))
            names = ordered_names(stored.variants, order)
            behaviour = behaviour_line(stored.variants, names, analyses[-1].behaviour)
            notes += [behaviour] if behaviour else []
            self._log_summaries(records, analyses[-1])
            self.report = self._report(stored, analyses[-1], records, outcomes)
            notes += gate_lines(self.report.checks)
        for outcome in outcomes:
            notes += outcome.gate_warnings
        for name, errors in failed.items():
            for phase, error in errors.items():
                notes.append(f"{name}: {phase} failed ({error}); its stored results were kept")
        for outcome in outcomes:
            notes += [f"GATE FAILED: {failure}" for failure in outcome.gate_failures]
        notes += skipped + book.rejected
        if settings.config.gate.update_baseline:
            try:
                notes += self._update_baseline(records)
            except Exception as error:  # the results are written; the baseline is not
                self.failed = True
                headline = f"BASELINE NOT UPDATED in {settings.baseline_path} (the results are)"
                notes += self.recover(records, info, error, headline)
        if interrupted:
            notes.append("session interrupted: the tables hold the cases that finished")
        notes.append("results written: " + ", ".join(str(path) for path in self.written))
        return notes

    def _report(
        self,
        stored: ResultsStore,
        analysis: Analysis,
        records: dict[str, VariantRecord],
        outcomes: list[CaseOutcome],
    ) -> SessionReport:
        from sentiment_models.reporting.ci import SessionReport

        settings = self.settings
        gated = settings.config.gate.gate
        failures: dict[str, tuple[str, ...]] = {}
        for outcome in outcomes:
            failures[outcome.variant] = failures.get(outcome.variant, ()) + outcome.gate_failures
        return SessionReport(
            stored,
            analysis,
            tuple(sorted(records)),
            tuple(check for outcome in outcomes for check in outcome.gate_checks),
            failures if gated else None,
            str(settings.results_dir),
            settings.profile.name,
        )

    def recover(
        self,
        records: dict[str, VariantRecord],
        info: SessionInfo,
        error: Exception,
        headline: str = "",
    ) -> list[str]:
        """The results could not be written: save this session's records in a recovery
        folder (the shape of a results folder) and say how to merge them back."""
        from sentiment_models.reporting.store import RESULTS_FILE, write_together
        from sentiment_models.results import FORMAT_VERSION, ResultsStore, to_json

        settings = self.settings
        store = ResultsStore(variants=records, session=info, format=FORMAT_VERSION)
        document = json.dumps(to_json(store), indent=1, sort_keys=True) + "\n"
        stamp = re.sub(r"[^0-9]", "", settings.started)[:14]
        name = f"sentiment-bench-recovery-{stamp}-{os.getpid()}"
        folder = None
        for base in (
            settings.rootdir / ".bench-recovery",
            Path(tempfile.gettempdir()),
            Path.home(),
        ):
            try:
                write_together({base / name / RESULTS_FILE: document})
            except OSError:
                continue
            folder = base / name
            break
        reason = (
            error.render(settings.name_field) if isinstance(error, BenchError) else str(error)
        ) or type(error).__name__
        lines = [f"{headline or f'RESULTS NOT WRITTEN to {settings.results_dir}'}: {reason}"]
        if folder is None:
            lines.append("the recovery file could not be written either; the records follow:")
            lines.append(document)
            return lines
        merge = f"python -m sentiment_models.reporting.merge {folder} --into {settings.results_dir}"
        if settings.config.gate.update_baseline:
            merge += f" --update-baseline {settings.baseline_path}"
        lines.append(
            f"this session's results ({', '.join(sorted(records)) or 'no variant'}) are saved in "
            f"{folder / RESULTS_FILE}; once the problem is fixed, merge them with: {merge}"
        )
        return lines

    def _log_summaries(self, records: dict[str, VariantRecord], analysis: Analysis) -> None:
        """Each variant's estimates over its seeds, on its tracking run."""
        for name in records:
            metrics = {}
            for key, found in analysis.sets.items():
                prefix = "" if key == IN_DOMAIN else f"transfer_{key}_"
                for metric, estimates in found.estimates.items():
                    if (estimate := estimates.get(name)) is not None:
                        metrics[f"{prefix}{metric}_mean"] = estimate.mean
                        metrics[f"{prefix}{metric}_ci_low"] = estimate.low
                        metrics[f"{prefix}{metric}_ci_high"] = estimate.high
                        if estimate.sd is not None:
                            metrics[f"{prefix}{metric}_sd"] = estimate.sd
            self.tracker.log_summary(name, metrics)

    def _update_baseline(self, records: dict[str, VariantRecord]) -> list[str]:
        from sentiment_models.gates import update_baseline

        if not records:
            return ["baseline not updated: no case was evaluated"]
        settings = self.settings
        provenance = self.preparation.provenance()
        return update_baseline(
            settings.baseline_path,
            settings.profile.name,
            records,
            provenance={"commit": provenance.commit, "date": provenance.date},
            notify=settings.notify,
            force=settings.config.gate.force_baseline_update,
        )
