"""What spans a bench session: the data split, the cases, and the tables written at the end."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from sentiment_models.data import DatasetSplits, load_splits
from sentiment_models.gates import update_baseline
from sentiment_models.provenance import git_state, machine, package_versions, short_commit, utc_now
from sentiment_models.pytest_plugin.case import BenchCase
from sentiment_models.pytest_plugin.settings import BenchSettings
from sentiment_models.reporting.store import update_results
from sentiment_models.reporting.tables import render_comparison, render_predictions, render_terminal
from sentiment_models.reporting.tradeoff import render_tradeoff
from sentiment_models.tracking import NullTracker
from sentiment_models.variants import variant_class, variant_names


class BenchSession:
    """Created at ``pytest_configure``; data is loaded only when bench cases are selected."""

    def __init__(self, settings: BenchSettings, rootdir: Path) -> None:
        self.settings = settings
        self.rootdir = rootdir
        self.cases: dict[str, BenchCase] = {}
        self._splits: DatasetSplits | None = None
        self._workdir: Path | None = None
        self.started = utc_now()
        self.written: list[Path] = []
        self.stored: dict[str, Any] | None = None
        self.tracker = _tracker(settings)
        self._logged: set[str] = set()
        self.skipped: dict[str, str] = {}

    # -- tracking -------------------------------------------------------------------------
    def connect_tracking(self) -> None:
        """Check the tracking store before any data is loaded (raises TrackingError)."""
        if self.tracker.enabled and not hasattr(self.tracker, "client"):
            self.tracker.connect()

    def start_tracking(self) -> None:
        if not self.tracker.enabled or self.tracker.parent_run_id is not None:
            return
        splits = self.splits
        provenance = self.provenance()
        tags = {
            "git.commit": str(provenance["commit_full"]),
            "git.dirty": str(provenance["dirty"]).lower(),
            "date": provenance["date"],
            **{f"package.{name}": version for name, version in provenance["packages"].items()},
            **{f"machine.{key}": value for key, value in provenance["machine"].items()},
        }
        datasets = {
            "training": (
                f"{splits.dataset}-train",
                splits.train.texts,
                splits.train.labels,
                splits.train.digest,
            ),
            "validation": (
                f"{splits.dataset}-validation",
                splits.validation.texts,
                splits.validation.labels,
                splits.validation.digest,
            ),
            "evaluation": (
                f"{splits.eval_dataset or splits.dataset}-test",
                splits.test.texts,
                splits.test.labels,
                splits.test.digest,
            ),
        }
        self.tracker.start(
            facts={**splits.summary(), **self.settings.options_summary()},
            tags=tags,
            datasets=datasets,
        )

    def phase_done(self, name: str, phase: str, node_id: str, outcome: str) -> None:
        """Called after each phase's test; a case is logged after evaluate, or a failed train."""
        case = self.case(name)
        case.node_ids.append(node_id)
        case.outcomes[phase] = outcome
        if phase == "evaluate" or outcome != "passed":
            self._log(case)

    def _log(self, case: BenchCase) -> None:
        if self.tracker.enabled and case.name not in self._logged:
            self._logged.add(case.name)
            self.tracker.log_case(case.to_log())

    @property
    def splits(self) -> DatasetSplits:
        if self._splits is None:
            self.prepare()
        return self._splits

    def prepare(self) -> DatasetSplits:
        """Load and split the data (raises DataError before any training on bad input)."""
        if self._splits is None:
            self._splits = load_splits(
                self.settings.data, self.settings.split, self.settings.evaluation
            )
        return self._splits

    def preflight(self, names: list[str]) -> dict[str, str]:
        """Let each selected variant check its parameters (files, sizes) before training;
        returns the variants that cannot run here, with the reason (their cases are skipped)."""
        for name in names:
            cls = variant_class(name)
            params = cls.resolve_params(self.settings.params_for(name))
            cls.preflight(params)
            reason = cls.unavailable(params)
            if reason:
                self.skipped[name] = reason
        return dict(self.skipped)

    def case(self, name: str) -> BenchCase:
        if name not in self.cases:
            self.cases[name] = BenchCase(name, self)
        return self.cases[name]

    def model_dir(self, name: str) -> Path:
        if self._workdir is None:
            self._workdir = Path(tempfile.mkdtemp(prefix="sentiment-bench-"))
        return self._workdir / "models" / name

    def provenance(self) -> dict[str, Any]:
        state = git_state(str(self.rootdir))
        return {
            "commit": short_commit(state),
            "commit_full": state["commit"],
            "dirty": state["dirty"],
            "date": self.started,
            "packages": package_versions(),
            "machine": machine(),
        }

    def data_line(self) -> str:
        splits = self.splits
        facts = splits.summary()
        line = (
            f"sentiment-bench: dataset {splits.dataset} (digest {splits.digest[:12]}), "
            f"classes {', '.join(splits.classes)}; train {len(splits.train):,} / validation "
            f"{len(splits.validation):,} / test {len(splits.test):,} rows, seed {splits.seed}"
        )
        if facts["dropped_rows"]:
            line += f"; dropped on load: {facts['dropped_rows']:,}"
        if splits.eval_dataset:
            line += f"; evaluated on {splits.eval_dataset}"
        return line

    def finish(self, interrupted: bool, benchmark_json: str | None = None) -> list[str]:
        """Write the results, then finish tracking; returns lines for the terminal."""
        for case in self.cases.values():  # e.g. only the train phase was selected
            if case.outcomes:
                self._log(case)
        notes = self._write_results(interrupted)
        files = [*self.written, *([Path(benchmark_json)] if benchmark_json else [])]
        return notes + self.tracker.finish(files, interrupted)

    def _write_results(self, interrupted: bool) -> list[str]:
        records = {name: rec for name, case in self.cases.items() if (rec := case.record())}
        failed = {name: case.errors for name, case in self.cases.items() if case.errors}
        skipped = [f"{name}: skipped: {why}" for name, why in sorted(self.skipped.items())]
        notes: list[str] = []
        if not records and not failed:
            return skipped
        session = {
            "date": self.started,
            "interrupted": interrupted,
            "updated": sorted(records),
            "failed": {name: errors for name, errors in sorted(failed.items())},
        }
        order = variant_names()
        self.stored = update_results(
            self.settings.results_dir,
            records,
            session,
            lambda store: {
                "comparison.md": render_comparison(store, order),
                "predictions.md": render_predictions(store, order),
                "tradeoff.png": render_tradeoff(store, order),
            },
        )
        self.written = [
            self.settings.results_dir / name
            for name in ("comparison.md", "predictions.md", "tradeoff.png", "results.json")
            if (self.settings.results_dir / name).exists()
        ]
        if records:
            notes.append(render_terminal(self.stored, order, records))
        for name, errors in sorted(failed.items()):
            for phase, error in errors.items():
                notes.append(f"{name}: {phase} failed ({error}); its stored results were kept")
        for case in self.cases.values():
            notes += [f"GATE FAILED: {failure}" for failure in case.gate_failures]
        notes += skipped
        if self.settings.update_baseline:
            notes += self._update_baseline()
        if interrupted:
            notes.append("session interrupted: the tables hold the cases that finished")
        notes.append("results written: " + ", ".join(str(path) for path in self.written))
        return notes

    def _update_baseline(self) -> list[str]:
        scores = {
            name: case.evaluate_result["test"]
            for name, case in self.cases.items()
            if case.evaluate_result is not None
        }
        if not scores:
            return ["baseline not updated: no case was evaluated"]
        provenance = self.provenance()
        update_baseline(
            self.settings.baseline_path,
            self.settings.profile.name,
            scores,
            provenance={"commit": provenance["commit"], "date": provenance["date"]},
        )
        return [
            f"baseline updated for the {self.settings.profile.name} profile: "
            f"{', '.join(sorted(scores))} in {self.settings.baseline_path}"
        ]

    def cleanup(self) -> None:
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)


def _tracker(settings: BenchSettings) -> Any:
    if settings.mlflow_uri is None:
        return NullTracker()
    from sentiment_models.tracking.mlflow_tracker import MlflowTracker

    return MlflowTracker(
        settings.mlflow_uri, settings.mlflow_experiment, register=settings.mlflow_register
    )
