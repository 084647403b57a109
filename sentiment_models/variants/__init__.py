"""The variant registry: readable name -> "module:Class". Adding a variant is one module
plus one entry here; the harness imports the module only when the variant runs.

Variants from outside this package register themselves without a fork: an installed package
through the ``sentiment_bench.variants`` entry-point group (``name = "module:Class"``), a
``conftest.py`` through the plugin's ``pytest_bench_variants`` hook, or any code through
:func:`register_variant`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import import_module, metadata
from pathlib import Path
from typing import Any

from sentiment_models.variants.base import (
    ParameterError,
    Progress,
    SentimentVariant,
    VariantDescription,
    check_texts,
    read_meta,
)

REGISTRY: dict[str, str] = {
    "simple": "sentiment_models.variants.simple:SimpleVariant",
    "linear": "sentiment_models.variants.linear:LinearVariant",
    "lstm": "sentiment_models.variants.lstm:LstmVariant",
    "lstm-word2vec": "sentiment_models.variants.lstm_word2vec:LstmWord2VecVariant",
    "lstm-glove": "sentiment_models.variants.lstm_glove:LstmGloveVariant",
    "minilm-finetuned": "sentiment_models.variants.minilm_finetuned:MiniLmFinetunedVariant",
    "minilm-finetuned-int8": "sentiment_models.variants.minilm_int8:MiniLmInt8Variant",
    "roberta-tweeteval": "sentiment_models.variants.roberta_tweeteval:RobertaTweetEvalVariant",
    "vader": "sentiment_models.variants.vader:VaderVariant",
}


ENTRY_POINT_GROUP = "sentiment_bench.variants"


@dataclass(frozen=True)
class ParamOption:
    """A command-line option that sets one variant parameter (``--glove-path PATH`` sets
    ``lstm-glove.glove_path``); declared here, beside the registry, so the harness names no
    variant."""

    flag: str
    variant: str
    param: str
    metavar: str
    help: str


PARAM_OPTIONS: tuple[ParamOption, ...] = (
    ParamOption(
        "--glove-path",
        "lstm-glove",
        "glove_path",
        "PATH",
        "GloVe text file for lstm-glove (e.g. glove.6B.100d.txt; default: the embedded GloVe "
        "6B 50d vectors).",
    ),
    ParamOption(
        "--hf-model",
        "roberta-tweeteval",
        "model",
        "PATH|NAME",
        "checkpoint for roberta-tweeteval: a local model folder, or a hub name loaded from the "
        "Hugging Face cache or the hub (default: cardiffnlp/twitter-roberta-base-sentiment-latest; "
        "skipped with the reason when none of these has it).",
    ),
)

_SAFE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,40}$")


def check_variant_name(name: str) -> str:
    """Names become folder, file and run names: only lower-case letters, digits and '-'."""
    if not _SAFE_NAME.match(name):
        raise ParameterError(
            f"variant name {name!r}: use 1-41 lower-case letters, digits and '-' (no paths)"
        )
    return name


for _name in REGISTRY:
    check_variant_name(_name)

_EXTERNAL: dict[str, str | type[SentimentVariant]] = {}
_entry_points_loaded = False


def register_variant(name: str, target: str | type[SentimentVariant]) -> None:
    """Add a variant from outside this package: ``target`` is its class or "module:Class".
    It then runs, is tracked and tabled like the built-in ones (after them, in the tables)."""
    check_variant_name(name)
    if name in REGISTRY:
        raise ParameterError(f"variant {name!r} is built in; choose another name")
    if isinstance(target, str) and ":" not in target:
        raise ParameterError(f"variant {name!r}: {target!r} is not of the form 'module:Class'")
    if not isinstance(target, str) and not (
        isinstance(target, type) and issubclass(target, SentimentVariant)
    ):
        raise ParameterError(
            f"variant {name!r}: {target!r} is not a SentimentVariant subclass or 'module:Class'"
        )
    _EXTERNAL[name] = target


def _load_entry_points() -> None:
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    for entry in metadata.entry_points(group=ENTRY_POINT_GROUP):
        if entry.name not in _EXTERNAL:
            register_variant(entry.name, entry.value)


def variant_names() -> list[str]:
    """Registered variant names: the built-in ones in the registry's (and the tables')
    order, then the external ones in the order they were registered."""
    _load_entry_points()
    return [*REGISTRY, *_EXTERNAL]


def variant_class(name: str) -> type[SentimentVariant]:
    """Import and return the class registered under ``name``."""
    _load_entry_points()
    target = REGISTRY.get(name) or _EXTERNAL.get(name)
    if target is None:
        raise ParameterError(f"unknown variant {name!r}; registered: {variant_names()}")
    if not isinstance(target, str):
        return target
    module_name, _, class_name = target.partition(":")
    cls = getattr(import_module(module_name), class_name)
    if not (isinstance(cls, type) and issubclass(cls, SentimentVariant)):
        raise ParameterError(f"variant {name!r}: {target} is not a SentimentVariant subclass")
    return cls


def training_scope(name: str) -> str:
    """The variant whose trained models ``name`` uses: itself, or the registered variant it
    derives from (``derived_from``). Workers and shards keep a scope together."""
    try:
        derived_from = variant_class(name).derived_from
    except Exception:  # not importable here: its own scope (its case reports the error)
        return name
    return derived_from if derived_from in variant_names() else name


def parse_param_overrides(items: list[str]) -> dict[str, dict[str, str]]:
    """``["linear.C_grid=1|4"]`` -> ``{"linear": {"C_grid": "1|4"}}``, each checked against
    its variant (unknown variant or parameter, bad type or range: ParameterError)."""
    params: dict[str, dict[str, str]] = {}
    for item in items:
        target, sep, value = item.partition("=")
        variant, dot, key = target.partition(".")
        if not sep or not dot or not variant or not key:
            raise ParameterError(
                f"{{run.variant_params}} {item!r}: expected VARIANT.KEY=VALUE, e.g. "
                "linear.C_grid=1|4"
            )
        if variant not in variant_names():
            raise ParameterError(
                f"{{run.variant_params}} {item!r}: unknown variant {variant!r}; registered: "
                f"{variant_names()}"
            )
        params.setdefault(variant, {})[key] = value
    for variant, overrides in params.items():
        variant_class(variant).resolve_params(overrides)
    return params


def load_variant(folder: Path) -> SentimentVariant:
    """Load any saved variant: ``variant.json`` names its class."""
    return variant_class(read_meta(folder)["variant"]).load(folder)


def create_variant(
    name: str, *, seed: int = 0, progress: Progress | None = None, **params: Any
) -> SentimentVariant:
    """A fresh, untrained variant with hyper-parameter overrides."""
    return variant_class(name)(seed=seed, progress=progress, **params)


__all__ = [
    "ENTRY_POINT_GROUP",
    "PARAM_OPTIONS",
    "REGISTRY",
    "ParamOption",
    "ParameterError",
    "SentimentVariant",
    "VariantDescription",
    "check_texts",
    "check_variant_name",
    "create_variant",
    "load_variant",
    "parse_param_overrides",
    "register_variant",
    "variant_class",
    "variant_names",
]
