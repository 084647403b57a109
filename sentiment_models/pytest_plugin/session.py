"""What spans a bench session: the data split, the case runners, and everything decided across
cases: gates, the results store and its tables, the baseline, and tracking. Cases do not know
the session; it reads their typed results."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sentiment_models.config import BenchConfig
from sentiment_models.errors import render_fields
from sentiment_models.profiles import Profile, get_profile, profile_params
from sentiment_models.provenance import git_state, machine, package_versions, short_commit, utc_now
from sentiment_models.reporting.phrases import SEED_PHRASES, read_phrases
from sentiment_models.tracking import CaseRun, NullTracker, Tracker
from sentiment_models.variants import variant_class, variant_names

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from sentiment_models.data import DatasetSplits
    from sentiment_models.gates import Gate
    from sentiment_models.pytest_plugin.case import CaseRunner
    from sentiment_models.reporting.tables import Row
    from sentiment_models.results import CaseResult, DataFacts, Provenance


@dataclass
class CaseState:
    """What the session knows of one case: its runner, pytest outcomes, gate verdict."""

    runner: CaseRunner
    node_ids: list[str] = field(default_factory=list)
    outcomes: dict[str, str] = field(default_factory=dict)
    gate_failures: list[str] = field(default_factory=list)
    logged: bool = False


class BenchSession:
    """Created at ``pytest_configure``; data is loaded only when bench cases are selected."""

    def __init__(
        self,
        config: BenchConfig,
        rootdir: Path,
        *,
        variant_params: dict[str, dict[str, str]],
        name_field: Callable[[str], str] = lambda path: path,
        extra_rows: Sequence[Row] = (),
    ) -> None:
        self.config = config
        self.rootdir = rootdir
        self.profile: Profile = get_profile(config.run.profile)
        self.variant_params = variant_params
        self.name_field = name_field
        self.extra_rows = tuple(extra_rows)
        self.results_dir = config.report.results_folder(rootdir, self.profile.name)
        self.baseline_path = config.gate.baseline_file(rootdir)
        self.phrases = (
            read_phrases(config.report.predict_file) if config.report.predict_file else SEED_PHRASES
        )
        self.gate = self._gate() if config.gate.gate else None
        self.tracker: Tracker = self._tracker()
        self.started = utc_now()
        self.cases: dict[str, CaseState] = {}
        self.skipped: dict[str, str] = {}
        self.written: list[Path] = []
        self._splits: DatasetSplits | None = None
        self._workdir: Path | None = None
        self._provenance: Provenance | None = None
        self._facts: DataFacts | None = None

    # -- before any case ---------------------------------------------------------------------
    def params_for(self, variant: str) -> dict[str, Any]:
        """The variant's parameters: its profile settings, then the user's overrides."""
        return {
            **profile_params(variant_class(variant), self.profile),
            **self.variant_params.get(variant, {}),
        }

    @property
    def sample_size(self) -> int | None:
        """Training rows: ``--sample-size`` (0 = all), else the profile's."""
        given = self.config.split.sample_size
        return (self.profile.sample_size if given is None else given) or None

    def preflight(self, names: list[str]) -> dict[str, str]:
        """Let each selected variant check its parameters (files, sizes) before training;
        returns the variants that cannot run here, with the reason (their cases are skipped)."""
        for name in names:
            cls = variant_class(name)
            params = cls.resolve_params(self.params_for(name))
            cls.preflight(params)
            reason = cls.unavailable(params)
            if reason:
                self.skipped[name] = render_fields(reason, self.name_field)
        return dict(self.skipped)

    def prepare(self) -> DatasetSplits:
        """Load and split the data, check the sample sizes (raises before any training)."""
        if self._splits is None:
            from sentiment_models.data import load_splits
            from sentiment_models.data.splits import check_sample_size

            splits = load_splits(self.config.data, self.config.split, self.sample_size)
            check_sample_size(
                splits.train, self.config.run.train_score_rows, field="run.train_score_rows"
            )
            self._splits = splits
        return self._splits

    @property
    def splits(self) -> DatasetSplits:
        return self.prepare()

    def connect_tracking(self) -> None:
        self.tracker.connect()

    def start_tracking(self) -> None:
        if not self.tracker.enabled:
            return
        splits, provenance = self.splits, self.provenance()
        tags = {
            "git.commit": provenance.commit_full,
            "git.dirty": str(provenance.dirty).lower(),
            "date": provenance.date,
            **{f"package.{name}": version for name, version in provenance.packages.items()},
            **{f"machine.{key}": value for key, value in provenance.machine.items()},
        }
        parts = {
            "training": (splits.dataset, "train", splits.train),
            "validation": (splits.dataset, "validation", splits.validation),
            "evaluation": (splits.eval_dataset or splits.dataset, "test", splits.test),
        }
        datasets = {
            context: (f"{name}-{part}", data.texts, data.labels, data.digest)
            for context, (name, part, data) in parts.items()
        }
        self.tracker.start(
            facts={**self.facts().flat(), **self.options_summary()}, tags=tags, datasets=datasets
        )

    def options_summary(self) -> dict[str, object]:
        """The session's options as flat params for tracking."""
        return {
            "option.profile": self.profile.name,
            "option.test_size": self.config.split.test_size,
            "option.val_size": self.config.split.val_size,
            "option.sample_size": self.sample_size,
            "option.train_score_rows": self.config.run.train_score_rows,
            "option.variant_params": ";".join(
                f"{variant}.{key}={value}"
                for variant, params in sorted(self.variant_params.items())
                for key, value in sorted(params.items())
            ),
        }

    # -- cases ---------------------------------------------------------------------------------
    def runner(self, name: str) -> CaseRunner:
        """The case runner of ``name`` (one per variant, shared by its two phases)."""
        if name not in self.cases:
            from sentiment_models.pytest_plugin.case import CaseRunner

            runner = CaseRunner(
                name,
                params=self.params_for(name),
                splits=self.splits,
                train_score_rows=self.config.run.train_score_rows,
                phrases=self.phrases,
                model_dir=self._model_dir(name),
            )
            self.cases[name] = CaseState(runner)
        return self.cases[name].runner

    def check_gate(self, name: str) -> list[str]:
        """After a successful evaluate phase: the gate's failures (empty when it passes)."""
        state = self.cases[name]
        result = state.runner.evaluate_result
        if self.gate is None or result is None:
            return []
        state.gate_failures = self.gate.check(name, self.profile.name, result.test)
        return state.gate_failures

    def phase_done(self, name: str, phase: str, node_id: str, outcome: str) -> None:
        """Called after each phase's test; a case is logged after evaluate, or a failed train."""
        state = self.cases.get(name)
        if state is None:  # failed before its runner existed (e.g. a fixture error)
            return
        state.node_ids.append(node_id)
        state.outcomes[phase] = outcome
        if phase == "evaluate" or outcome != "passed":
            self._log(name)

    def record(self, name: str) -> CaseResult | None:
        """The results-store record of ``name``: only when its evaluate phase passed, or
        failed on the gate alone (a case that failed otherwise keeps its stored record)."""
        from sentiment_models.results import CaseResult

        state = self.cases[name]
        runner = state.runner
        train, evaluated = runner.train_result, runner.evaluate_result
        if runner.variant is None or train is None or evaluated is None or runner.errors:
            return None
        if state.outcomes.get("evaluate") != "passed" and not state.gate_failures:
            return None
        status = "gate failed: " + "; ".join(state.gate_failures) if state.gate_failures else "ok"
        return CaseResult(
            variant=name,
            status=status,
            profile=self.profile.label(),
            description=runner.variant.describe(),
            hyperparameters=runner.variant.hyperparameters(),
            train=train,
            evaluate=evaluated.timing,
            test=evaluated.test,
            model_size_bytes=evaluated.model_size_bytes,
            predictions=evaluated.predictions,
            data=self.facts(),
            provenance=self.provenance(),
        )

    def _log(self, name: str) -> None:
        state = self.cases[name]
        if not self.tracker.enabled or state.logged:
            return
        state.logged = True
        runner = state.runner
        failed = any(outcome != "passed" for outcome in state.outcomes.values())
        evaluated = runner.evaluate_result
        self.tracker.log_case(
            CaseRun(
                name=name,
                outcome="failed" if failed else ("passed" if evaluated else "trained only"),
                node_ids=tuple(state.node_ids),
                started_ms=runner.started_ms,
                errors=dict(runner.errors),
                variant=runner.variant,
                train=runner.train_result,
                result=self.record(name),
                model_dir=runner.model_dir if evaluated else None,
                test=self.splits.test if evaluated else None,
                test_proba=evaluated.proba if evaluated else None,
            )
        )

    # -- provenance ---------------------------------------------------------------------------
    def facts(self) -> DataFacts:
        """What every result records about the split (digests computed once)."""
        if self._facts is None:
            self._facts = self.splits.facts()
        return self._facts

    def provenance(self) -> Provenance:
        if self._provenance is None:
            from sentiment_models.results import Provenance

            state = git_state(str(self.rootdir))
            self._provenance = Provenance(
                commit=short_commit(state),
                commit_full=str(state["commit"]),
                dirty=bool(state["dirty"]),
                date=self.started,
                packages=package_versions(),
                machine=machine(),
            )
        return self._provenance

    def data_line(self) -> str:
        splits = self.splits
        line = (
            f"sentiment-bench: dataset {splits.dataset} (digest {splits.digest[:12]}), "
            f"classes {', '.join(splits.classes)}; train {len(splits.train):,} / validation "
            f"{len(splits.validation):,} / test {len(splits.test):,} rows, seed {splits.seed}"
        )
        dropped = sum(splits.dropped.values())
        if dropped:
            line += f"; dropped on load: {dropped:,}"
        if splits.eval_dataset:
            line += f"; evaluated on {splits.eval_dataset}"
        return line

    # -- the end ------------------------------------------------------------------------------
    def finish(self, interrupted: bool, benchmark_json: str | None = None) -> list[str]:
        """Write the results, then finish tracking; returns lines for the terminal."""
        for name, state in self.cases.items():  # e.g. only the train phase was selected
            if state.outcomes:
                self._log(name)
        notes = self._write_results(interrupted)
        files = [*self.written, *([Path(benchmark_json)] if benchmark_json else [])]
        return notes + self.tracker.finish(files, interrupted)

    def _write_results(self, interrupted: bool) -> list[str]:
        from sentiment_models.reporting.store import update_results
        from sentiment_models.reporting.tables import (
            render_comparison,
            render_predictions,
            render_terminal,
        )
        from sentiment_models.reporting.tradeoff import render_tradeoff
        from sentiment_models.results import SessionInfo

        records = {name: rec for name in self.cases if (rec := self.record(name))}
        failed = {
            name: dict(state.runner.errors)
            for name, state in sorted(self.cases.items())
            if state.runner.errors
        }
        skipped = [f"{name}: skipped: {why}" for name, why in sorted(self.skipped.items())]
        if not records and not failed:
            return skipped
        order = variant_names()
        stored = update_results(
            self.results_dir,
            records,
            SessionInfo(self.started, interrupted, tuple(sorted(records)), failed),
            lambda store: {
                "comparison.md": render_comparison(store, order, self.extra_rows),
                "predictions.md": render_predictions(store, order),
                "tradeoff.png": render_tradeoff(store, order),
            },
        )
        self.written = [
            self.results_dir / name
            for name in ("comparison.md", "predictions.md", "tradeoff.png", "results.json")
            if (self.results_dir / name).exists()
        ]
        notes: list[str] = []
        if records:
            notes.append(render_terminal(stored, order, records))
        for name, errors in failed.items():
            for phase, error in errors.items():
                notes.append(f"{name}: {phase} failed ({error}); its stored results were kept")
        for state in self.cases.values():
            notes += [f"GATE FAILED: {failure}" for failure in state.gate_failures]
        notes += skipped
        if self.config.gate.update_baseline:
            notes += self._update_baseline(records)
        if interrupted:
            notes.append("session interrupted: the tables hold the cases that finished")
        notes.append("results written: " + ", ".join(str(path) for path in self.written))
        return notes

    def _update_baseline(self, records: dict[str, CaseResult]) -> list[str]:
        from sentiment_models.gates import update_baseline

        if not records:
            return ["baseline not updated: no case was evaluated"]
        provenance = self.provenance()
        update_baseline(
            self.baseline_path,
            self.profile.name,
            {name: record.test for name, record in records.items()},
            provenance={"commit": provenance.commit, "date": provenance.date},
        )
        return [
            f"baseline updated for the {self.profile.name} profile: "
            f"{', '.join(sorted(records))} in {self.baseline_path}"
        ]

    def cleanup(self) -> None:
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)

    # -- parts ---------------------------------------------------------------------------------
    def _model_dir(self, name: str) -> Path:
        if self._workdir is None:
            self._workdir = Path(tempfile.mkdtemp(prefix="sentiment-bench-"))
        return self._workdir / "models" / name

    def _gate(self) -> Gate:
        from sentiment_models.gates import Gate, read_floors

        return Gate(
            self.baseline_path,
            self.config.gate.gate_tolerance,
            read_floors(self.rootdir / "pyproject.toml"),
        )

    def _tracker(self) -> Tracker:
        if self.config.tracking.no_mlflow:
            return NullTracker()
        from sentiment_models.tracking.mlflow_tracker import MlflowTracker
        from sentiment_models.tracking.uri import resolve_uri

        tracking = self.config.tracking
        return MlflowTracker(
            resolve_uri(tracking.mlflow_uri, self.rootdir),
            tracking.mlflow_experiment,
            register=tracking.mlflow_register,
        )
