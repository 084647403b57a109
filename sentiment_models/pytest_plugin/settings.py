"""What a bench session derives from its configuration once, at ``pytest_configure``: the
profile, seeds, sample size, threads, the variants' parameters, where results and the baseline
live, and which cases exist. Read-only for everything after it."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sentiment_models.behaviour.suite import load_suite
from sentiment_models.config import BenchConfig
from sentiment_models.profiles import Profile, get_profile, profile_params
from sentiment_models.provenance import utc_now
from sentiment_models.reporting.phrases import WRITEUP_PHRASES, read_phrases
from sentiment_models.runtime import default_threads
from sentiment_models.variants import variant_class, variant_names

if TYPE_CHECKING:
    from sentiment_models.reporting.tables import Row

MAIN = "main"
"""The id of the process that writes the results: a serial session or the xdist controller."""


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


class SessionSettings:
    """The session's settings, derived from its configuration (``BenchConfig``)."""

    def __init__(
        self,
        config: BenchConfig,
        rootdir: Path,
        *,
        variant_params: dict[str, dict[str, str]],
        process: str = MAIN,
        workers: int = 1,
        name_field: Callable[[str], str] = lambda path: path,
        extra_rows: Sequence[Row] = (),
        notify: Callable[[str], None] | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.config = config
        self.rootdir = rootdir
        self.profile: Profile = get_profile(config.run.profile)
        self.variant_params = variant_params
        self.process = process
        """``main`` (serial or xdist controller), else the xdist worker id (``gw0``)."""
        self.workers = workers
        """Processes that share this machine's cores (xdist workers on this host)."""
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
        self.behaviour = load_suite(config.run.behaviour_suites, config.run.behaviour_tests)
        """The behaviour tests run on every trained model (``--behaviour-tests``)."""
        self.started = utc_now()
        self.notify = notify or _stderr
        """Where the session says what it waits for (the plugin shows it on the terminal)."""
        self.progress = progress
        """Where the cases report progress (default: standard error, seen with ``-s``)."""

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

    @property
    def sample_size(self) -> int | None:
        """Training rows: ``--sample-size`` (0 = all), else the profile's."""
        given = self.config.split.sample_size
        return (self.profile.sample_size if given is None else given) or None

    @property
    def scope_by_seed(self) -> bool:
        """Whether xdist hands out a seed of a variant at a time (with the cases derived from
        it), else a variant and all its seeds: ``--gate`` tests a variant's seeds together,
        in the process that ran them."""
        return not self.config.gate.gate

    def cases_of(self, names: Sequence[str]) -> list[tuple[str, int]]:
        """``(variant, seed)`` of every case: a variant that does not train, or whose
        training ignores the seed, runs once (on the first seed), unless the data is
        re-split per seed."""
        per_seed = self.config.split.split_per_seed

        def seeded(name: str) -> bool:
            return per_seed or variant_class(name).trains_per_seed()

        return [
            (name, seed)
            for name in names
            for seed in (self.seeds if seeded(name) else self.seeds[:1])
        ]

    def in_shard(self, name: str) -> bool:
        """Whether variant ``name`` belongs to this session's ``--shard K/N``."""
        shard = self.config.run.shard
        return shard is None or name in shard_members(variant_names(), shard)

    def shard_of(self, name: str) -> str:
        """The ``--shard K/N`` that holds variant ``name`` (N of this session's shard)."""
        from sentiment_models.config import parse_shard

        _, n = parse_shard(self.config.run.shard or "1/1")
        order = variant_names()
        return next(f"{k}/{n}" for k in range(1, n + 1) if name in shard_members(order, f"{k}/{n}"))

    def profile_differences(self, names: Sequence[str] = ()) -> list[str]:
        """How this session's sample, split, text limit and parameters (of the variants
        ``names``; all when empty) differ from its profile's. Another dataset is not a
        difference: a baseline made on other data is never replaced (see
        ``gates.update_baseline``)."""
        from sentiment_models.config import MAX_TEXT_CHARS, SplitConfig

        differences = []
        limit = self.config.data.max_text_chars
        if limit != MAX_TEXT_CHARS:
            differences.append(f"{{data.max_text_chars}} {limit} (default {MAX_TEXT_CHARS})")
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
            if variant in names or not names
        }
        if overrides:
            differences.append(
                "{run.variant_params} "
                + ", ".join(f"{v}.{k}={x}" for v, ps in overrides.items() for k, x in ps.items())
            )
        return differences

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


def _stderr(line: str) -> None:
    print(line, file=sys.stderr)
