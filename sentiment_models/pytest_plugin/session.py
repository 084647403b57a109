"""What spans a bench session: the data split, the case runners, and everything decided across
cases: gates, the results store and its tables, the baseline, and tracking. Cases do not know
the session; it reads their typed results."""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sentiment_models.config import BenchConfig
from sentiment_models.errors import BenchError, render_fields
from sentiment_models.profiles import Profile, get_profile, profile_params
from sentiment_models.provenance import git_state, machine, package_versions, short_commit, utc_now
from sentiment_models.reporting.analysis import IN_DOMAIN
from sentiment_models.reporting.phrases import WRITEUP_PHRASES, read_phrases
from sentiment_models.runtime import default_threads
from sentiment_models.tracking import CaseRun, NullTracker, Tracker
from sentiment_models.variants import variant_class, variant_names

if TYPE_CHECKING:
    from collections.abc import Callable

    from sentiment_models.data import DatasetSplits
    from sentiment_models.gates import Gate
    from sentiment_models.pytest_plugin.case import CaseRunner
    from sentiment_models.reporting.analysis import Analysis
    from sentiment_models.reporting.tables import Row
    from sentiment_models.results import (
        CaseOutcome,
        DataFacts,
        Provenance,
        SeedRun,
        SessionInfo,
        VariantRecord,
    )


CHOSEN = "best_"
"""Hyper-parameters a variant chose itself (grid search): they belong to a seed's run."""


def case_id(name: str, seed: int) -> str:
    """The id of a variant's case for one seed, as pytest shows it: ``lstm-seed1``."""
    return f"{name}-seed{seed}"


CASE_NODE = re.compile(r"\[(?P<name>[^\[\]]+)-seed(?P<seed>\d+)\]$")
"""A bench case's node id, whatever its function's name: the inverse of ``case_id`` in the
brackets that end it."""


def shard_members(order: Sequence[str], shard: str) -> list[str]:
    """The variants of shard ``K/N``: the registry's variants dealt round-robin, so that every
    shard gets a fixed share whatever ``-k`` selects; a deployment variant goes with the
    variant it derives from (it reuses that variant's trained models)."""
    from sentiment_models.config import parse_shard
    from sentiment_models.variants import training_scope

    k, n = parse_shard(shard)
    scopes: dict[str, list[str]] = {}
    for name in order:
        scopes.setdefault(training_scope(name), []).append(name)
    dealt = [scope for index, scope in enumerate(scopes) if index % n == k - 1]
    return [name for scope in dealt for name in scopes[scope]]


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
    logged: bool = False
    reported_failures: int = 0
    """Tracking failures already handed on in an outcome."""


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
        worker: str = "main",
        workers: int = 1,
        tracker: Tracker | None = None,
    ) -> None:
        self.config = config
        self.rootdir = rootdir
        self.profile: Profile = get_profile(config.run.profile)
        self.variant_params = variant_params
        self.worker = worker
        """``main`` (serial or xdist controller), else the xdist worker id (``gw0``)."""
        self.workers = workers
        self.threads = config.run.threads or default_threads(workers)
        self.name_field = name_field
        self.extra_rows = tuple(extra_rows)
        self.results_dir = config.report.results_folder(rootdir, self.profile.name)
        self.baseline_path = config.gate.baseline_file(rootdir)
        self.phrases = (
            read_phrases(config.report.predict_file, max_chars=config.data.max_text_chars)
            if config.report.predict_file
            else WRITEUP_PHRASES
        )
        self.gate = self._gate() if config.gate.gate else None
        self.tracker: Tracker = tracker or NullTracker()
        """Where the cases are logged (the plugin's ``pytest_bench_make_tracker`` hook)."""
        self.started = utc_now()
        self.cases: dict[str, CaseState] = {}
        self.selected: dict[str, list[int]] = {}
        """Variant -> the seeds selected in this session (after ``-k``)."""
        self.skipped: dict[str, str] = {}
        self.written: list[Path] = []
        self._splits: DatasetSplits | None = None
        self._seed_splits: dict[int, DatasetSplits] = {}
        self.case_outcomes: dict[str, CaseOutcome] = {}
        """Case id -> what its process reported (the results are built from these)."""
        self.setup_error = ""
        """On an xdist worker: why its checks before any case failed (its cases fail with it)."""
        self.rejected: list[str] = []
        """Outcomes not merged: made on other data or code (what differs)."""
        self._workdir: Path | None = None
        self._provenance: Provenance | None = None
        self._facts: dict[int, DataFacts] = {}
        self.notify: Callable[[str], None] = lambda line: print(line, file=sys.stderr)
        """Where the session says what it waits for (the plugin shows it on the terminal)."""
        self.progress: Callable[[str], None] | None = None
        """Where the cases report progress (default: standard error, seen with ``-s``)."""
        self.write_failed = False
        """The results could not be written (they went to a recovery folder)."""

    # -- before any case ---------------------------------------------------------------------
    def params_for(self, variant: str) -> dict[str, Any]:
        """The variant's parameters: its profile settings, then the user's overrides."""
        return {
            **profile_params(variant_class(variant), self.profile),
            **self.variant_params.get(variant, {}),
        }

    @property
    def seeds(self) -> tuple[int, ...]:
        """The variants' seeds: ``--seeds``, else the profile's."""
        return self.config.run.seeds or self.profile.seeds

    def cases_of(self, names: Sequence[str]) -> list[tuple[str, int]]:
        """``(variant, seed)`` of every case: a variant that does not train runs once (on
        the first seed), unless the data is re-split per seed."""
        per_seed = self.config.split.split_per_seed
        return [
            (name, seed)
            for name in names
            for seed in (self.seeds if per_seed or variant_class(name).learns else self.seeds[:1])
        ]

    @property
    def sample_size(self) -> int | None:
        """Training rows: ``--sample-size`` (0 = all), else the profile's."""
        given = self.config.split.sample_size
        return (self.profile.sample_size if given is None else given) or None

    def in_shard(self, name: str) -> bool:
        """Whether variant ``name`` belongs to this session's ``--shard K/N``: the registry's
        variants dealt round-robin, so every shard gets a fixed share whatever ``-k`` says."""
        shard = self.config.run.shard
        return shard is None or name in shard_members(variant_names(), shard)

    def expected_seconds(self) -> dict[str, float]:
        """Each stored variant's seconds per seed (train + evaluate, mean over its stored
        seeds) times its seeds in this session: the workers take the longest first."""
        from sentiment_models.reporting.store import read_results

        try:
            stored = read_results(self.results_dir)
        except (BenchError, OSError):
            return {}  # no usable store: every variant is of unknown length
        expected = {}
        for name, record in stored.variants.items():
            seconds = [run.train.seconds + run.evaluate.seconds for run in record.runs]
            if seconds and name in variant_names():
                expected[name] = sum(seconds) / len(seconds) * len(self.cases_of([name]))
        return expected

    def preflight(self, names: list[str]) -> dict[str, str]:
        """Size this process's thread pools and check the device, then let each selected
        variant check its parameters (files, sizes) before training; returns the variants
        that cannot run here, with the reason (their cases are skipped)."""
        from sentiment_models import runtime

        runtime.check_device(self.config.run.device)
        runtime.configure(self.threads, self.config.run.device)
        for name in names:
            cls = variant_class(name)
            params = cls.resolve_params(self.params_for(name))
            cls.preflight(params)
            reason = cls.unavailable(params)
            if reason:
                self.skipped[name] = render_fields(reason, self.name_field)
        return dict(self.skipped)

    def set_up(
        self,
        names: list[str],
        *,
        writes_results: bool,
        collect_only: bool = False,
        check_outputs: Callable[[], None] = lambda: None,
    ) -> dict[str, str]:
        """Everything before the first case, in one place for every role: the parameters,
        then (unless only listing the cases) the stores (``writes_results``: the process
        that writes the results and the baseline, which also runs ``check_outputs``), the
        tracking store (checked while the data loads) and the data. Raises BenchError;
        returns the variants that cannot run here, with the reason."""
        unavailable = self.preflight(names)
        if collect_only:
            return unavailable
        self.check_stores(writes_results)
        if writes_results:
            check_outputs()
        self.connect_tracking(wait=False)
        self.prepare()
        self.connect_tracking()
        return unavailable

    def check_stores(self, writes_results: bool) -> None:
        """Before any training: the baseline (with ``--gate`` or ``--update-baseline``) is
        readable and finite; for the process that writes them (``writes_results``), the
        results folder can be written and its store read, and a run that does not match its
        profile may update the baseline only when told so explicitly."""
        from sentiment_models.gates import read_baseline
        from sentiment_models.reporting.store import check_results_folder, check_writable_folder

        if writes_results:
            check_results_folder(self.results_dir)
        gate = self.config.gate
        if gate.gate or gate.update_baseline:
            read_baseline(self.baseline_path)
        if gate.update_baseline and writes_results:
            check_writable_folder(self.baseline_path.parent, "{gate.baseline} folder")
            differences = self.profile_differences()
            if differences and not gate.force_baseline_update:
                raise BenchError(
                    f"{{gate.update_baseline}}: this run does not match the {self.profile.name} "
                    f"profile ({'; '.join(differences)}), and the gate would judge later "
                    f"{self.profile.name} runs against it; run with the profile's settings, or "
                    "add {gate.force_baseline_update} to write it anyway"
                )

    def profile_differences(self) -> list[str]:
        """How this session's sample, split and parameters differ from its profile's (another
        dataset needs no check: its test split's digest keeps the gate from pairing them)."""
        from sentiment_models.config import SplitConfig

        differences = []
        profile_rows = self.profile.sample_size or None
        if self.sample_size != profile_rows:
            differences.append(
                f"{{split.sample_size}} {self.config.split.sample_size} trains on "
                f"{self.sample_size or 'all the'} rows, the profile on {profile_rows or 'all the'}"
            )
        split = self.config.split
        for name in ("test_size", "val_size", "seed", "split_per_seed"):
            default = getattr(SplitConfig(), name)
            if getattr(split, name) != default:
                differences.append(f"{{split.{name}}} {getattr(split, name)} (default {default})")
        overrides = {
            variant: params
            for variant, params in self.variant_params.items()
            if variant in self.selected or not self.selected
        }
        if overrides:
            differences.append(
                "{run.variant_params} "
                + ", ".join(f"{v}.{k}={x}" for v, ps in overrides.items() for k, x in ps.items())
            )
        return differences

    def prepare(self) -> DatasetSplits:
        """Load and split the data, check the sample sizes (raises before any training); with
        ``--split-per-seed``, every seed's split too."""
        if self._splits is None:
            self._splits = self._load_split(self.config.split.seed)
            if self.config.split.split_per_seed:
                for seed in self.seeds:
                    self._seed_splits[seed] = self._load_split(seed)
        return self._splits

    def _load_split(self, seed: int) -> DatasetSplits:
        from dataclasses import replace

        from sentiment_models.data import load_splits
        from sentiment_models.data.splits import check_sample_size

        split = replace(self.config.split, seed=seed)
        splits = load_splits(self.config.data, split, self.sample_size, self.profile.test_rows)
        check_sample_size(
            splits.train, self.config.run.train_score_rows, field="run.train_score_rows"
        )
        counts = splits.train.class_counts()
        rarest = min(counts, key=counts.__getitem__)
        for name in self.selected or variant_names():
            cls = variant_class(name)
            needed, why = cls.min_class_rows(cls.resolve_params(self.params_for(name)))
            if counts[rarest] < needed:
                raise BenchError(
                    f"{{split.sample_size}} {self.sample_size or 'all'}: the training split has "
                    f"{counts[rarest]} row(s) of class {rarest!r}, and {name} needs {needed} for "
                    f"{why}; train on more rows, or lower that setting"
                )
        return splits

    @property
    def splits(self) -> DatasetSplits:
        return self.prepare()

    def splits_for(self, seed: int) -> DatasetSplits:
        """The split a seed's cases train and test on (the session's, unless re-split)."""
        self.prepare()
        return self._seed_splits.get(seed, self.splits)

    def connect_tracking(self, wait: bool = True) -> None:
        """Check the tracking store (``wait=False``: begin the check, see ``Tracker``)."""
        self.tracker.connect(wait)

    def start_tracking(self, key: str = "") -> None:
        """Open the session run (tagged ``key``); on an xdist worker, join the one the
        controller opened with that key."""
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
        facts = {**self.facts().flat(), **self.options_summary()}
        self.tracker.start(facts=facts, tags=tags, datasets=datasets, key=key)

    def options_summary(self) -> dict[str, object]:
        """The session's options as flat params for tracking."""
        return {
            "option.profile": self.profile.name,
            "option.test_size": self.config.split.test_size,
            "option.val_size": self.config.split.val_size,
            "option.sample_size": self.sample_size,
            "option.train_score_rows": self.config.run.train_score_rows,
            "option.seeds": ",".join(map(str, self.seeds)),
            "option.split_per_seed": self.config.split.split_per_seed,
            "option.threads": self.threads,
            "option.device": self.config.run.device,
            "option.workers": self.workers,
            "option.shard": self.config.run.shard or "",
            "option.variant_params": ";".join(
                f"{variant}.{key}={value}"
                for variant, params in sorted(self.variant_params.items())
                for key, value in sorted(params.items())
            ),
        }

    # -- cases ---------------------------------------------------------------------------------
    def runner(self, name: str, seed: int) -> CaseRunner:
        """The case runner of ``name`` for ``seed`` (shared by the case's two phases)."""
        key = case_id(name, seed)
        if key not in self.cases:
            from sentiment_models.pytest_plugin.case import CaseRunner

            runner = CaseRunner(
                name,
                seed=seed,
                params=self.params_for(name),
                splits=self.splits_for(seed),
                train_score_rows=self.config.run.train_score_rows,
                phrases=self.phrases,
                model_dir=self._model_dir(key),
                progress=self.progress,
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
            state.seed: (self.splits_for(state.seed), result)
            for state in states
            if (result := state.runner.evaluate_result) is not None
        }
        if not runs:
            return []
        verdict = self.gate.check(name, self.profile.name, runs)
        state = self.cases[case_id(name, seed)]
        state.gate_failures, state.gate_warnings = verdict.failures, verdict.warnings
        return verdict.failures

    def phase_done(self, key: str, phase: str, node_id: str, outcome: str) -> CaseOutcome | None:
        """Called after each phase's test; a case is logged after evaluate, or a failed
        train. Returns what the case reports to the session that writes the results (after
        evaluate or a failure), else None."""
        state = self.cases.get(key)
        if state is None:  # failed before its runner existed (e.g. a fixture error)
            return None
        state.node_ids.append(node_id)
        state.phase_outcomes[phase] = outcome
        if phase == "evaluate" or outcome != "passed":
            self._log(key)
            return self.outcome(key)
        return None

    def record(self, key: str) -> SeedRun | None:
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
            test_digest=self.facts(state.seed).test_digest,
            predicted=evaluated.predicted,
            predictions=evaluated.predictions,
            transfer=evaluated.transfer,
            chosen={k: v for k, v in runner.hyperparameters.items() if k.startswith(CHOSEN)},
            execution=Execution(
                device=runner.variant.device,
                threads=self.threads,
                worker=self.worker,
                host=platform.node(),
            ),
        )

    def phase_seconds(self, key: str, phase: str) -> float | None:
        """The measured seconds of a finished phase of case ``key``."""
        runner = self.cases[key].runner
        if phase == "train":
            return runner.train_result.seconds if runner.train_result else None
        return runner.evaluate_result.timing.seconds if runner.evaluate_result else None

    def outcome(self, key: str) -> CaseOutcome:
        """Case ``key`` as its process reports it: its one-seed record (when it is stored),
        errors, gate verdict and tracking references."""
        from sentiment_models.results import CaseOutcome, VariantRecord, class_indices, encode_items

        state = self.cases[key]
        runner, run = state.runner, self.record(key)
        record = None
        if run is not None:
            facts, splits = self.facts(state.seed), runner.splits
            sets = {facts.test_digest: splits.test}
            sets.update({facts.transfer[name]: data for name, data in splits.evaluations.items()})
            record = VariantRecord(
                variant=state.name,
                profile=self.profile.label(),
                description=runner.description,
                hyperparameters={
                    k: v for k, v in runner.hyperparameters.items() if not k.startswith(CHOSEN)
                },
                data=facts,
                provenance=self.provenance(),
                runs=(run,),
                classes=tuple(splits.classes),
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
            tracking=self.tracker.refs(state.name),
            tracking_failures=tuple(failures),
            worker=self.worker,
        )

    def collect(self, outcome: CaseOutcome) -> str | None:
        """Take a case's outcome (from this process or a worker) into the session's results,
        unless it was made on other data or code than this session's: then returns what
        differs, and the outcome is not merged."""
        from sentiment_models.results import origin_differences

        key = case_id(outcome.variant, outcome.seed)
        record = outcome.record
        if record is not None:
            expected = (self.facts(outcome.seed), self.provenance())
            differences = origin_differences(expected, (record.data, record.provenance))
            if differences:
                line = (
                    f"{key} from {outcome.worker}: results not merged, made on other data or "
                    "code: " + "; ".join(differences)
                )
                self.rejected.append(line)
                return line
        self.case_outcomes[key] = outcome
        failures = outcome.tracking_failures if outcome.worker != self.worker else ()
        self.tracker.adopt(outcome.variant, outcome.tracking, failures)
        return None

    def records(self) -> dict[str, VariantRecord]:
        """One record per variant with a stored run in this session, its seeds in order."""
        from sentiment_models.results import combine_seeds

        grouped: dict[str, list[VariantRecord]] = {}
        for outcome in self.case_outcomes.values():
            if outcome.record is not None:
                grouped.setdefault(outcome.variant, []).append(outcome.record)
        return {name: combine_seeds(records) for name, records in grouped.items()}

    def _log(self, key: str) -> None:
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
                result=self.record(key),
                model_dir=runner.model_dir if evaluated else None,
                test=runner.splits.test if evaluated else None,
                test_proba=evaluated.proba if evaluated else None,
            )
        )

    # -- provenance ---------------------------------------------------------------------------
    def facts(self, seed: int | None = None) -> DataFacts:
        """What every result records about the split of ``seed``'s cases (digests computed
        once per split)."""
        splits = self.splits if seed is None else self.splits_for(seed)
        key = splits.seed
        if key not in self._facts:
            self._facts[key] = splits.facts()
        return self._facts[key]

    def provenance(self) -> Provenance:
        if self._provenance is None:
            from sentiment_models.results import Provenance

            outputs = tuple(
                str(path.resolve().relative_to(self.rootdir.resolve()))
                for path in (self.results_dir, self.baseline_path)
                if path.resolve().is_relative_to(self.rootdir.resolve())
            )
            state = git_state(str(self.rootdir), outputs)
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
            f"{len(splits.validation):,} / test {len(splits.test):,} rows, split seed "
            f"{splits.seed}{' (re-split per seed)' if self.config.split.split_per_seed else ''}; "
            f"variant seeds {', '.join(map(str, self.seeds))}"
        )
        dropped = sum(splits.dropped.values())
        if dropped:
            line += f"; dropped on load: {dropped:,}"
        if splits.evaluations:
            line += "; also evaluated on " + ", ".join(
                f"{name} ({len(data):,} rows)" for name, data in splits.evaluations.items()
            )
        return line

    # -- the end ------------------------------------------------------------------------------
    def finish(self, interrupted: bool, benchmark_json: str | None = None) -> list[str]:
        """Write the results, then finish tracking; returns lines for the terminal. On an
        xdist worker only tracking is finished: the controller writes the results. Tracking
        is finished (its runs closed) whatever happens to the results."""
        try:
            for key, state in self.cases.items():  # e.g. only the train phase was selected
                if state.phase_outcomes:
                    self._log(key)
            # cases still being logged in the background go on while the tables are written
            notes = self._write_results(interrupted) if self.worker == "main" else []
        except BaseException:
            self.tracker.finish([], interrupted, failed=True)
            raise
        files = [*self.written, *([Path(benchmark_json)] if benchmark_json else [])]
        return notes + self.tracker.finish(files, interrupted, failed=self.write_failed)

    def _write_results(self, interrupted: bool) -> list[str]:
        from sentiment_models.reporting.render import rendered_files
        from sentiment_models.reporting.store import update_results
        from sentiment_models.reporting.tables import render_terminal, verdict_line
        from sentiment_models.results import ResultsStore, SessionInfo

        records = self.records()
        outcomes = sorted(
            self.case_outcomes.values(), key=lambda outcome: (outcome.variant, outcome.seed)
        )
        failed: dict[str, dict[str, str]] = {}
        for outcome in outcomes:
            for phase, error in outcome.errors.items():
                failed.setdefault(outcome.variant, {})[f"{phase} (seed {outcome.seed})"] = error
        skipped = [f"{name}: skipped: {why}" for name, why in sorted(self.skipped.items())]
        if not records and not failed:
            return skipped + self.rejected
        order = variant_names()
        analyses: list[Analysis] = []

        def render(store: ResultsStore) -> dict[str, str | bytes | None]:
            files, analysis = rendered_files(store, order, self.config.report, self.extra_rows)
            analyses.append(analysis)
            return files

        info = SessionInfo(self.started, interrupted, tuple(sorted(records)), failed)
        try:
            stored = update_results(self.results_dir, records, info, render, notify=self.notify)
        except Exception as error:  # a full disk, a lock never released, a broken store
            self.write_failed = True
            return self._recover(records, info, error) + skipped + self.rejected
        self.written = [
            self.results_dir / name
            for name in ("comparison.md", "predictions.md", "tradeoff.png", "results.json")
            if (self.results_dir / name).exists()
        ]
        notes: list[str] = []
        if records:
            notes.append(render_terminal(stored, order, records, analyses[-1]))
            notes.append(verdict_line(stored, order, analyses[-1]))
            self._log_summaries(records, analyses[-1])
        for outcome in outcomes:
            notes += outcome.gate_warnings
        for name, errors in failed.items():
            for phase, error in errors.items():
                notes.append(f"{name}: {phase} failed ({error}); its stored results were kept")
        for outcome in outcomes:
            notes += [f"GATE FAILED: {failure}" for failure in outcome.gate_failures]
        notes += skipped + self.rejected
        if self.config.gate.update_baseline:
            try:
                notes += self._update_baseline(records)
            except Exception as error:  # the results are written; the baseline is not
                self.write_failed = True
                headline = f"BASELINE NOT UPDATED in {self.baseline_path} (the results are)"
                notes += self._recover(records, info, error, headline)
        if interrupted:
            notes.append("session interrupted: the tables hold the cases that finished")
        notes.append("results written: " + ", ".join(str(path) for path in self.written))
        return notes

    def _recover(
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

        store = ResultsStore(variants=records, session=info, format=FORMAT_VERSION)
        document = json.dumps(to_json(store), indent=1, sort_keys=True) + "\n"
        name = f"sentiment-bench-recovery-{re.sub(r'[^0-9]', '', self.started)[:14]}-{os.getpid()}"
        folder = None
        for base in (self.rootdir / ".bench-recovery", Path(tempfile.gettempdir()), Path.home()):
            try:
                write_together({base / name / RESULTS_FILE: document})
            except OSError:
                continue
            folder = base / name
            break
        reason = (
            error.render(self.name_field) if isinstance(error, BenchError) else str(error)
        ) or type(error).__name__
        lines = [f"{headline or f'RESULTS NOT WRITTEN to {self.results_dir}'}: {reason}"]
        if folder is None:
            lines.append("the recovery file could not be written either; the records follow:")
            lines.append(document)
            return lines
        merge = f"python -m sentiment_models.reporting.merge {folder} --into {self.results_dir}"
        if self.config.gate.update_baseline:
            merge += f" --update-baseline {self.baseline_path}"
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
        provenance = self.provenance()
        update_baseline(
            self.baseline_path,
            self.profile.name,
            records,
            provenance={"commit": provenance.commit, "date": provenance.date},
            notify=self.notify,
        )
        return [
            f"baseline updated for the {self.profile.name} profile: "
            + ", ".join(
                f"{name} (seeds {', '.join(map(str, r.seeds))})"
                for name, r in sorted(records.items())
            )
            + f" in {self.baseline_path}"
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

        gate = self.config.gate
        return Gate(
            self.baseline_path,
            alpha=gate.gate_alpha,
            min_effect=gate.gate_min_effect,
            resamples=self.config.report.bootstrap_resamples,
            floors=read_floors(self.rootdir / "pyproject.toml"),
        )
