"""The book of a session's cases: each case's runner (a variant and a seed), its phases'
outcomes, its gate verdict and its tracking, and the outcomes reported by every process
(the results are built from these)."""

from __future__ import annotations

import platform
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sentiment_models.errors import render_fields
from sentiment_models.pytest_plugin.items import case_id
from sentiment_models.tracking import CaseRun, Tracker

if TYPE_CHECKING:
    from sentiment_models.gates import Gate
    from sentiment_models.pytest_plugin.case import CaseRunner
    from sentiment_models.pytest_plugin.preparation import Preparation
    from sentiment_models.pytest_plugin.settings import SessionSettings
    from sentiment_models.results import CaseOutcome, GateCheck, SeedRun, VariantRecord

CHOSEN = "best_"
"""Hyper-parameters a variant chose itself (grid search): they belong to a seed's run."""


@dataclass
class CaseState:
    """What the session knows of one case (a variant and a seed): its runner, pytest
    outcomes, gate verdict."""

    name: str
    seed: int
    runner: CaseRunner
    node_ids: list[str] = field(default_factory=list)
    phase_outcomes: dict[str, str] = field(default_factory=dict)
    """Phase (``train``, ``evaluate``) -> pytest's outcome of it (``passed``, ...)."""
    gate_failures: list[str] = field(default_factory=list)
    gate_warnings: list[str] = field(default_factory=list)
    gate_checks: list[GateCheck] = field(default_factory=list)
    logged: bool = False
    reported_failures: int = 0
    """Tracking failures already handed on in an outcome."""


class CaseBook:
    """Every case of a session: created on first use, told each phase's outcome, gated once
    all of a variant's selected seeds are evaluated, logged, and reported as a typed
    ``CaseOutcome``."""

    def __init__(
        self,
        settings: SessionSettings,
        preparation: Preparation,
        tracker: Tracker,
        gate: Gate | None,
    ) -> None:
        self.settings = settings
        self.preparation = preparation
        self.tracker = tracker
        self.gate = gate
        self.cases: dict[str, CaseState] = {}
        self.selected: dict[str, list[int]] = {}
        """Variant -> the seeds whose evaluate phase runs in this process (after ``-k``)."""
        self.outcomes: dict[str, CaseOutcome] = {}
        """Case id -> what its process reported (the results are built from these)."""
        self.rejected: list[str] = []
        """Outcomes not merged (made on other data or code), and workers that died."""
        self.lost: dict[str, str] = {}
        """Case id -> a phase that failed where no outcome could be sent (its worker died):
        the case is failed whatever a later phase (on a replacement worker) reports."""
        self._workdir: Path | None = None

    def select(self, name: str, seed: int) -> None:
        """Seed ``seed`` of ``name`` will be evaluated here: its gate waits for it."""
        seeds = self.selected.setdefault(name, [])
        if seed not in seeds:
            seeds.append(seed)

    def runner(self, name: str, seed: int) -> CaseRunner:
        """The case runner of ``name`` for ``seed`` (shared by the case's two phases)."""
        key = case_id(name, seed)
        if key not in self.cases:
            from sentiment_models.pytest_plugin.case import CaseRunner

            settings = self.settings
            runner = CaseRunner(
                name,
                seed=seed,
                params=settings.params_for(name),
                splits=self.preparation.splits_for(seed),
                train_score_rows=settings.config.run.train_score_rows,
                phrases=settings.phrases,
                behaviour=settings.behaviour,
                model_dir=self._model_dir(key),
                progress=settings.progress,
            )
            self.cases[key] = CaseState(name, seed, runner)
        return self.cases[key].runner

    def check_gate(self, name: str, seed: int) -> list[str]:
        """After a successful evaluate phase: the gate's failures (empty when it passes).
        A variant is gated once, when the last of its selected seeds is evaluated (in any
        order), on all its seeds of the session."""
        if self.gate is None:
            return []
        states = [state for state in self.cases.values() if state.name == name]
        finished = {state.seed for state in states if "evaluate" in state.phase_outcomes}
        if set(self.selected.get(name, [seed])) - finished - {seed}:
            return []  # another seed is still to be evaluated: gate then
        runs = {
            state.seed: (self.preparation.splits_for(state.seed), result)
            for state in states
            if (result := state.runner.evaluate_result) is not None
        }
        if not runs:
            return []
        verdict = self.gate.check(name, self.settings.profile.name, runs)
        state = self.cases[case_id(name, seed)]
        state.gate_failures, state.gate_warnings = verdict.failures, verdict.warnings
        state.gate_checks = verdict.checks
        return verdict.failures

    def gate_error(self, name: str, seed: int, error: str) -> None:
        """The gate itself could not decide (e.g. its baseline changed during the session)."""
        self.cases[case_id(name, seed)].runner.errors["evaluate"] = f"gate: {error}"

    def phase_done(self, key: str, phase: str, node_id: str, outcome: str) -> CaseOutcome | None:
        """Called after each phase's test; a case is logged after evaluate, or a failed
        train. Returns what the case reports to the process that writes the results (after
        evaluate or a failure), else None."""
        state = self.cases.get(key)
        if state is None:  # failed before its runner existed (e.g. a fixture error)
            return None
        state.node_ids.append(node_id)
        state.phase_outcomes[phase] = outcome
        if phase == "evaluate" or outcome != "passed":
            self.log(key)
            return self.outcome(key)
        return None

    def phase_seconds(self, key: str, phase: str) -> float | None:
        """The measured seconds of a finished phase of case ``key``."""
        runner = self.cases[key].runner
        if phase == "train":
            return runner.train_result.seconds if runner.train_result else None
        return runner.evaluate_result.timing.seconds if runner.evaluate_result else None

    def seed_run(self, key: str) -> SeedRun | None:
        """The stored run of case ``key``: only when its evaluate phase passed, or failed on
        the gate alone (a case that failed otherwise keeps its stored run)."""
        from sentiment_models.results import Execution, SeedRun

        state = self.cases[key]
        runner = state.runner
        train, evaluated = runner.train_result, runner.evaluate_result
        if (
            runner.variant is None
            or runner.description is None
            or train is None
            or evaluated is None
            or runner.errors
        ):
            return None
        if state.phase_outcomes.get("evaluate") != "passed" and not state.gate_failures:
            return None
        status = "ok"
        if state.gate_failures:  # short in the table; the terminal has the whole message
            status = "gate failed: " + "; ".join(
                failure.split(": ", 1)[-1].split(" (")[0] for failure in state.gate_failures
            )
        return SeedRun(
            seed=state.seed,
            status=status,
            train=train,
            evaluate=evaluated.timing,
            test=evaluated.test,
            model_size_bytes=evaluated.model_size_bytes,
            test_digest=self.preparation.facts(state.seed).test_digest,
            predicted=evaluated.predicted,
            predictions=evaluated.predictions,
            transfer=evaluated.transfer,
            behaviour=evaluated.behaviour,
            check_seconds=evaluated.check_seconds,
            chosen={k: v for k, v in runner.hyperparameters.items() if k.startswith(CHOSEN)},
            execution=Execution(
                device=runner.variant.device,
                threads=runner.threads or self.settings.threads,
                worker=self.settings.process,
                host=platform.node(),
            ),
        )

    def outcome(self, key: str) -> CaseOutcome:
        """Case ``key`` as its process reports it: its one-seed record (when it is stored),
        errors, gate verdict and tracking references."""
        from sentiment_models.results import CaseOutcome, VariantRecord, class_indices, encode_items

        state = self.cases[key]
        runner, run = state.runner, self.seed_run(key)
        record = None
        if run is not None:
            facts, splits = self.preparation.facts(state.seed), runner.splits
            sets = {facts.test_digest: splits.test}
            sets.update({facts.transfer[name]: data for name, data in splits.evaluations.items()})
            record = VariantRecord(
                variant=state.name,
                profile=self.settings.profile.label(),
                description=runner.description,
                hyperparameters={
                    k: v for k, v in runner.hyperparameters.items() if not k.startswith(CHOSEN)
                },
                data=facts,
                provenance=self.preparation.provenance(),
                runs=(run,),
                classes=tuple(splits.classes),
                off_profile=tuple(
                    render_fields(line, self.settings.name_field)
                    for line in self.settings.profile_differences([state.name])
                ),
                items={
                    digest: encode_items(class_indices(data.labels, splits.classes))
                    for digest, data in sets.items()
                },
            )
        failures = self.tracker.failures[state.reported_failures :]
        state.reported_failures = len(self.tracker.failures)
        return CaseOutcome(
            variant=state.name,
            seed=state.seed,
            record=record,
            errors=dict(runner.errors),
            gate_failures=tuple(state.gate_failures),
            gate_warnings=tuple(state.gate_warnings),
            gate_checks=tuple(state.gate_checks),
            tracking=self.tracker.refs(state.name),
            tracking_failures=tuple(failures),
            worker=self.settings.process,
        )

    def collect(self, outcome: CaseOutcome) -> str | None:
        """Take a case's outcome (from this process or a worker) into the book, unless it
        was made on other data or code than this session's: then returns what differs, and
        the outcome is not merged."""
        from sentiment_models.results import origin_differences

        key = case_id(outcome.variant, outcome.seed)
        record = outcome.record
        if record is not None:
            expected = (self.preparation.facts(outcome.seed), self.preparation.provenance())
            differences = origin_differences(expected, (record.data, record.provenance))
            if differences:
                line = (
                    f"{key} from {outcome.worker}: results not merged, made on other data or "
                    "code: " + "; ".join(differences)
                )
                self.rejected.append(line)
                return line
        self.outcomes[key] = self._failed(outcome) if key in self.lost else outcome
        if outcome.worker != self.settings.process:  # a worker's case: what it logged
            self.tracker.adopt(outcome.variant, outcome.tracking, outcome.tracking_failures)
        return None

    def phase_lost(self, key: str, node_id: str, reason: str) -> None:
        """A phase of case ``key`` failed without an outcome (its worker died): the case is
        failed, and an outcome already taken for it is no longer stored as a run."""
        self.lost[key] = f"{node_id.rsplit('::', 1)[-1]}: {reason}"
        if key in self.outcomes:
            self.outcomes[key] = self._failed(self.outcomes[key])

    def _failed(self, outcome: CaseOutcome) -> CaseOutcome:
        from dataclasses import replace

        key = case_id(outcome.variant, outcome.seed)
        return replace(outcome, record=None, errors={**outcome.errors, "run": self.lost[key]})

    def worker_died(self, worker: str, error: str) -> None:
        self.rejected.append(
            f"worker {worker} died ({error.strip()[:200]}): the case it was running failed; "
            "every case that finished was kept"
        )

    def records(self) -> dict[str, VariantRecord]:
        """One record per variant with a stored run in this session, its seeds in order."""
        from sentiment_models.results import combine_seeds

        grouped: dict[str, list[VariantRecord]] = {}
        for outcome in self.outcomes.values():
            if outcome.record is not None:
                grouped.setdefault(outcome.variant, []).append(outcome.record)
        return {name: combine_seeds(records) for name, records in grouped.items()}

    def log(self, key: str) -> None:
        """Hand case ``key`` to the tracker (once; it logs in the background)."""
        state = self.cases[key]
        if not self.tracker.enabled or state.logged:
            return
        state.logged = True
        runner = state.runner
        failed = any(outcome != "passed" for outcome in state.phase_outcomes.values())
        evaluated = runner.evaluate_result
        self.tracker.log_case(
            CaseRun(
                name=state.name,
                seed=state.seed,
                outcome="failed" if failed else ("passed" if evaluated else "trained only"),
                node_ids=tuple(state.node_ids),
                started_ms=runner.started_ms,
                errors=dict(runner.errors),
                variant=runner.variant,
                train=runner.train_result,
                result=self.seed_run(key),
                model_dir=runner.model_dir if evaluated else None,
                test=runner.splits.test if evaluated else None,
                test_proba=evaluated.proba if evaluated else None,
            )
        )

    def log_unlogged(self) -> None:
        """At the end: log the cases that ran but were not logged (e.g. only the train phase
        was selected)."""
        for key, state in self.cases.items():
            if state.phase_outcomes:
                self.log(key)

    def cleanup(self) -> None:
        """Remove the cases' saved models (the tracker has logged what it keeps)."""
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)

    def _model_dir(self, name: str) -> Path:
        if self._workdir is None:
            self._workdir = Path(tempfile.mkdtemp(prefix="sentiment-bench-"))
        return self._workdir / "models" / name
