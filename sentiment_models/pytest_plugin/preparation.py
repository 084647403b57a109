"""What a session does once before any case: check the variants' parameters and the device,
check the stores it will write, load and split the data, and record the provenance (commit,
packages, machine) and the data's facts (digests) that every result carries."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from sentiment_models.errors import BenchError, render_fields
from sentiment_models.provenance import git_state, machine, package_versions, short_commit
from sentiment_models.variants import variant_class

if TYPE_CHECKING:
    from sentiment_models.data import DatasetSplits
    from sentiment_models.pytest_plugin.settings import SessionSettings
    from sentiment_models.results import DataFacts, Provenance


class Preparation:
    """The checks before any training, the data split and the session's provenance."""

    def __init__(self, settings: SessionSettings) -> None:
        self.settings = settings
        self.skipped: dict[str, str] = {}
        """Variant -> why it cannot run here (its cases are skipped)."""
        self._names: list[str] = []
        self._splits: DatasetSplits | None = None
        self._seed_splits: dict[int, DatasetSplits] = {}
        self._facts: dict[int, DataFacts] = {}
        self._provenance: Provenance | None = None

    def run(
        self,
        names: list[str],
        *,
        writes_results: bool,
        collect_only: bool = False,
        check_outputs: Callable[[], None] = lambda: None,
        connect: Callable[[bool], None] = lambda wait: None,
    ) -> dict[str, str]:
        """Everything before the first case, in this order: the parameters, then (unless
        only listing the cases) the stores (``writes_results``: the process that writes the
        results and the baseline, which also runs ``check_outputs``), the tracking store
        (``connect``, begun before the data loads and awaited after) and the data. Raises
        BenchError; returns the variants that cannot run here, with the reason."""
        self._names = list(names)
        unavailable = self.preflight(names)
        if collect_only:
            return unavailable
        self.check_stores(writes_results, names)
        if writes_results:
            check_outputs()
        connect(False)
        self.prepare()
        self.check_baseline([name for name in names if name not in unavailable])
        connect(True)
        return unavailable

    def preflight(self, names: Sequence[str]) -> dict[str, str]:
        """Size this process's thread pools and check the device, then let each variant
        check its parameters (files, sizes) before training; returns the variants that
        cannot run here, with the reason."""
        from sentiment_models import runtime

        settings = self.settings
        runtime.check_device(settings.config.run.device)
        runtime.configure(settings.threads, settings.config.run.device)
        for name in names:
            cls = variant_class(name)
            params = cls.resolve_params(settings.params_for(name))
            cls.preflight(params)
            reason = cls.unavailable(params)
            if reason:
                self.skipped[name] = render_fields(reason, settings.name_field)
        return dict(self.skipped)

    def check_stores(self, writes_results: bool, names: Sequence[str] = ()) -> None:
        """Before any training: the baseline (with ``--gate`` or ``--update-baseline``) is
        readable and finite; for the process that writes them (``writes_results``), the
        results folder can be written and its store read, and a run that does not match its
        profile may update the baseline only when told so explicitly."""
        from sentiment_models.gates import read_baseline
        from sentiment_models.reporting.store import check_results_folder, check_writable_folder

        settings = self.settings
        if writes_results:
            check_results_folder(settings.results_dir)
            summary = settings.config.report.summary_file
            if summary:
                check_writable_folder(
                    Path(summary).expanduser().resolve().parent, "{report.summary_file} folder"
                )
        gate = settings.config.gate
        if gate.gate or gate.update_baseline:
            read_baseline(settings.baseline_path)
        if gate.gate and settings.config.split.split_per_seed:
            raise BenchError(
                "{gate.gate} with {split.split_per_seed}: the baseline pairs every seed with "
                "one test split, and this run tests each seed on a split of its own; gate "
                "without {split.split_per_seed}"
            )
        if gate.update_baseline and writes_results:
            check_writable_folder(settings.baseline_path.parent, "{gate.baseline} folder")
            differences = settings.profile_differences(names)
            profile = settings.profile.name
            if differences and not gate.force_baseline_update:
                raise BenchError(
                    f"{{gate.update_baseline}}: this run does not match the {profile} "
                    f"profile ({'; '.join(differences)}), and the gate would judge later "
                    f"{profile} runs against it; run with the profile's settings, or "
                    "add {gate.force_baseline_update} to write it anyway"
                )

    def check_baseline(self, names: Sequence[str]) -> None:
        """With ``--gate``, once the data is split and before any training: every variant
        to gate has a baseline for this profile that pairs with this session's test items
        (``gates.entry_problem``); else the gate could only fail after training."""
        from sentiment_models.gates import entry_problem, read_baseline

        settings = self.settings
        gate = settings.config.gate
        if not (gate.gate or gate.update_baseline):
            return
        profile = settings.profile.name
        entries = read_baseline(settings.baseline_path).get(profile, {})
        splits = self.splits
        replaced = [
            f"{name} (digest {str(entries[name].get('test_digest'))[:12]}, this session's "
            f"{splits.test.digest[:12]})"
            for name in names
            if name in entries and entries[name].get("test_digest") != splits.test.digest
        ]
        if gate.update_baseline and replaced and not gate.force_baseline_update:
            raise BenchError(
                f"{{gate.update_baseline}}: the {profile} baseline in {settings.baseline_path} "
                f"was made on other test data for {', '.join(replaced)}; this run would replace "
                "it, and the gate would judge later runs on that data against this one. Use "
                "another {gate.baseline} file for this data, or add "
                "{gate.force_baseline_update} to replace it"
            )
        if not gate.gate:
            return
        problems = {
            name: problem
            for name in names
            if (problem := entry_problem(entries.get(name), splits.test.digest, splits.classes))
        }
        if not problems:
            return
        differences = settings.profile_differences(names)
        if differences:
            fix = (
                f"this run's settings differ from the {profile} profile's "
                f"({'; '.join(differences)}): gate with the profile's settings"
            )
        else:
            fix = (
                f"(re)build it with: pytest bench --bench-profile {profile} -k "
                f'"{" or ".join(problems)}" --update-baseline'
            )
        raise BenchError(
            f"{{gate.gate}}: the {profile} baseline in {settings.baseline_path} cannot gate "
            + "; ".join(f"{name}: {problem}" for name, problem in problems.items())
            + f"; {fix}"
        )

    def prepare(self) -> DatasetSplits:
        """Load and split the data, check the sample sizes (raises before any training); with
        ``--split-per-seed``, every seed's split too."""
        if self._splits is None:
            split = self.settings.config.split
            self._splits = self._load_split(split.seed)
            if split.split_per_seed:
                for seed in self.settings.seeds:
                    self._seed_splits[seed] = self._load_split(seed)
        return self._splits

    def _load_split(self, seed: int) -> DatasetSplits:
        from sentiment_models.data import load_splits
        from sentiment_models.data.splits import check_sample_size
        from sentiment_models.variants import variant_names

        settings = self.settings
        config = settings.config
        splits = load_splits(
            config.data,
            replace(config.split, seed=seed),
            settings.sample_size,
            settings.profile.test_rows,
        )
        check_sample_size(splits.train, config.run.train_score_rows, field="run.train_score_rows")
        counts = splits.train.class_counts()
        rarest = min(counts, key=counts.__getitem__)
        for name in self._names or variant_names():
            cls = variant_class(name)
            needed, why = cls.min_class_rows(cls.resolve_params(settings.params_for(name)))
            if counts[rarest] < needed:
                raise BenchError(
                    f"{{split.sample_size}} {settings.sample_size or 'all'}: the training split "
                    f"has {counts[rarest]} row(s) of class {rarest!r}, and {name} needs {needed} "
                    f"for {why}; train on more rows, or lower that setting"
                )
        return splits

    @property
    def splits(self) -> DatasetSplits:
        return self.prepare()

    def splits_for(self, seed: int) -> DatasetSplits:
        """The split a seed's cases train and test on (the session's, unless re-split)."""
        self.prepare()
        return self._seed_splits.get(seed, self.splits)

    def facts(self, seed: int | None = None) -> DataFacts:
        """What every result records about the split of ``seed``'s cases (digests computed
        once per split)."""
        splits = self.splits if seed is None else self.splits_for(seed)
        if splits.seed not in self._facts:
            self._facts[splits.seed] = splits.facts()
        return self._facts[splits.seed]

    def provenance(self) -> Provenance:
        """The commit (dirty unless only the session's own outputs changed), the packages,
        the machine and the date: recorded with every result."""
        if self._provenance is None:
            from sentiment_models.results import Provenance

            settings = self.settings
            root = settings.rootdir.resolve()
            outputs = tuple(
                str(path.resolve().relative_to(root))
                for path in (settings.results_dir, settings.baseline_path)
                if path.resolve().is_relative_to(root)
            )
            state = git_state(str(settings.rootdir), outputs)
            self._provenance = Provenance(
                commit=short_commit(state),
                commit_full=str(state["commit"]),
                dirty=bool(state["dirty"]),
                date=settings.started,
                packages=package_versions(),
                machine=machine(),
            )
        return self._provenance

    def data_line(self) -> str:
        """One line on the data a session runs on, for the terminal."""
        splits = self.splits
        per_seed = " (re-split per seed)" if self.settings.config.split.split_per_seed else ""
        line = (
            f"sentiment-bench: dataset {splits.dataset} (digest {splits.digest[:12]}), "
            f"classes {', '.join(splits.classes)}; train {len(splits.train):,} / validation "
            f"{len(splits.validation):,} / test {len(splits.test):,} rows, split seed "
            f"{splits.seed}{per_seed}; variant seeds {', '.join(map(str, self.settings.seeds))}"
        )
        dropped = sum(splits.dropped.values())
        if dropped:
            line += f"; dropped on load: {dropped:,}"
        if splits.evaluations:
            line += "; also evaluated on " + ", ".join(
                f"{name} ({len(data):,} rows)" for name, data in splits.evaluations.items()
            )
        return line
