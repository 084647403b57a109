"""A bench session: its parts wired together, in one of two roles chosen once when the plugin
is configured (as pytest-xdist chooses between its controller and its worker):

- ``ResultsSession``: a serial session or the xdist controller. It opens the tracking run,
  collects every case's outcome, writes the results and the baseline.
- ``WorkerSession``: an xdist worker. It runs its cases, joins the controller's tracking run
  and reports each case's outcome on its test report.

The parts: ``SessionSettings`` (derived from the configuration), ``Preparation`` (once, before
any case), ``CaseBook`` (the cases and their outcomes), ``ResultsWriter`` (results, recovery,
baseline) and the tracker."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from sentiment_models.pytest_plugin.casebook import CaseBook
from sentiment_models.pytest_plugin.preparation import Preparation
from sentiment_models.pytest_plugin.writer import ResultsWriter
from sentiment_models.tracking import NullTracker, Tracker
from sentiment_models.variants import variant_names

if TYPE_CHECKING:
    from sentiment_models.gates import Gate
    from sentiment_models.pytest_plugin.settings import SessionSettings


class BenchSession:
    """What both roles share: set-up, tracking, the end."""

    writes_results: ClassVar[bool]

    def __init__(self, settings: SessionSettings, tracker: Tracker | None = None) -> None:
        self.settings = settings
        self.tracker: Tracker = tracker or NullTracker()
        """Where the cases are logged (the plugin's ``pytest_bench_make_tracker`` hook)."""
        self.preparation = Preparation(settings)
        self.book = CaseBook(settings, self.preparation, self.tracker, self._gate())
        self.setup_error = ""
        """Why this process's checks before any case failed, when it goes on without them."""

    def begin(
        self,
        names: list[str],
        *,
        key: str,
        collect_only: bool = False,
        check_outputs: Callable[[], None] = lambda: None,
    ) -> dict[str, str]:
        """The one set-up sequence of every role: the checks and the data
        (``Preparation.run``), then the tracking run (tagged ``key``) unless only listing the
        cases. Raises BenchError; returns the variants that cannot run here, with the
        reason."""
        unavailable = self.preparation.run(
            names,
            writes_results=self.writes_results,
            collect_only=collect_only,
            check_outputs=check_outputs,
            connect=self.tracker.connect,
        )
        if collect_only:
            return unavailable
        self.announce()
        if set(names) - set(unavailable):
            self.start_tracking(key, [name for name in names if name not in unavailable])
        return unavailable

    def announce(self) -> None:
        """Say what the session runs on, once it is set up."""

    def tell(self, line: str) -> None:
        """A line for the user, from the process that has the terminal."""

    def refuse(self, error: Exception) -> None:
        """The set-up failed with ``error`` (a usage error): stop the session."""
        raise error

    def start_tracking(self, key: str = "", names: list[str] | None = None) -> None:
        """Open the session run (tagged ``key``) and, where the tracker groups a variant's
        seeds in a run of its own, the runs of variants ``names``; on an xdist worker, join
        the runs the controller opened."""
        if not self.tracker.enabled:
            return
        splits, provenance = self.preparation.splits, self.preparation.provenance()
        tags = {
            "git.commit": provenance.commit_full,
            "git.dirty": str(provenance.dirty).lower(),
            "date": provenance.date,
            **{f"package.{name}": version for name, version in provenance.packages.items()},
            **{f"machine.{name}": value for name, value in provenance.machine.items()},
        }
        parts = {
            "training": (splits.dataset, "train", splits.train),
            "validation": (splits.dataset, "validation", splits.validation),
            "evaluation": (splits.dataset, "test", splits.test),
            **{
                f"transfer-{name}": (name, "test", data)
                for name, data in splits.evaluations.items()
            },
        }
        datasets = {
            context: (f"{name}-{part}", data.texts, data.labels, data.digest)
            for context, (name, part, data) in parts.items()
        }
        facts = {**self.preparation.facts().flat(), **self.settings.options_summary()}
        self.tracker.start(facts=facts, tags=tags, datasets=datasets, key=key)
        if self.writes_results and names:
            self.tracker.open_variants(names)

    def finish(self, interrupted: bool, benchmark_json: str | None = None) -> list[str]:
        """Log the cases not yet logged, write what this role writes, then finish tracking
        (its runs are closed whatever happens to the results); returns lines for the
        terminal."""
        try:
            self.book.log_unlogged()
            # cases still being logged in the background go on while the tables are written
            notes, files, failed = self._write(interrupted)
        except BaseException:
            self.tracker.finish([], interrupted, failed=True)
            raise
        files += [Path(benchmark_json)] if benchmark_json else []
        return notes + self.tracker.finish(files, interrupted, failed=failed)

    def _write(self, interrupted: bool) -> tuple[list[str], list[Path], bool]:
        """What this role writes at the end: lines, files to log, and whether it failed."""
        return [], [], False

    @property
    def failed(self) -> bool:
        """Something the tests' outcomes do not show failed: tracking, a merge, a write."""
        return bool(self.tracker.failures or self.book.rejected)

    def cleanup(self) -> None:
        self.book.cleanup()

    def _gate(self) -> Gate | None:
        from sentiment_models.gates import Gate, baseline_history, read_floors

        gate = self.settings.config.gate
        if not gate.gate:
            return None
        path = self.settings.baseline_path
        return Gate(
            path,
            alpha=gate.gate_alpha,
            min_effect=gate.gate_min_effect,
            behaviour_min_effect=gate.gate_behaviour_min_effect,
            floors=read_floors(self.settings.rootdir / "pyproject.toml"),
            earlier=baseline_history(path, gate.gate_history) if gate.gate_history else (),
        )


class ResultsSession(BenchSession):
    """A serial session or the xdist controller: the process that writes the results."""

    writes_results = True

    def __init__(self, settings: SessionSettings, tracker: Tracker | None = None) -> None:
        super().__init__(settings, tracker)
        self.writer = ResultsWriter(settings, self.preparation, self.tracker)
        self.summary_failed = False
        """The job summary could not be appended (the results were written)."""

    def announce(self) -> None:
        self.settings.notify(self.preparation.data_line())

    def tell(self, line: str) -> None:
        self.settings.notify(line)

    def _write(self, interrupted: bool) -> tuple[list[str], list[Path], bool]:
        notes = self.writer.write(self.book, interrupted)
        return notes, list(self.writer.written), self.writer.failed

    def finish(self, interrupted: bool, benchmark_json: str | None = None) -> list[str]:
        """As every role, then what a CI job shows: the job summary and the annotations."""
        notes = super().finish(interrupted, benchmark_json)
        return notes + self._ci(notes)

    def _ci(self, notes: list[str]) -> list[str]:
        from sentiment_models.reporting.ci import (
            annotations,
            append_summary,
            job_summary,
            summary_path,
        )

        report = self.writer.report
        path = summary_path(self.settings.config.report.summary_file)
        lines = annotations(report.gate_failures or {}) if report is not None else []
        if report is None or path is None:
            return lines
        tracked = [note for note in notes if note.startswith("MLflow:")]
        try:
            append_summary(path, job_summary(report, variant_names(), tracked))
        except OSError as error:  # the results are written; only the summary is missing
            self.summary_failed = True
            return [*lines, f"job summary NOT written to {path}: {error}"]
        return [*lines, f"job summary appended to {path}"]

    @property
    def failed(self) -> bool:
        return super().failed or self.writer.failed or self.summary_failed


class WorkerSession(BenchSession):
    """An xdist worker: runs its cases and reports them; the controller writes the results."""

    writes_results = False

    def refuse(self, error: Exception) -> None:
        """The controller stops the session with this message after its own check; if its
        host passes the check (another machine), this worker's cases fail with it."""
        self.setup_error = str(error)
