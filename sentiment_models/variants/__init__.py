"""The variant registry: readable name -> "module:Class". Adding a variant is one module
plus one entry here; the harness imports the module only when the variant runs.

Variants from outside this package register themselves without a fork: an installed package
through the ``sentiment_bench.variants`` entry-point group (``name = "module:Class"``), a
``conftest.py`` through the plugin's ``pytest_bench_variants`` hook, or any code through
:func:`register_variant`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sentiment_models.registry import Registry
from sentiment_models.variants.base import (
    ParameterError,
    Progress,
    SentimentVariant,
    VariantDescription,
    VariantOption,
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
    """A variant's own option (``VariantOption``) with the variant it belongs to."""

    variant: str
    option: VariantOption

    @property
    def flag(self) -> str:
        return self.option.flag

    @property
    def param(self) -> str:
        return self.option.param


VARIANTS: Registry[type[SentimentVariant]] = Registry(
    "variant", REGISTRY, base=SentimentVariant, entry_points=ENTRY_POINT_GROUP
)
"""Every variant: the built-in ones, entry points, and those registered at run time."""


def register_variant(name: str, target: str | type[SentimentVariant]) -> None:
    """Add a variant from outside this package: ``target`` is its class or "module:Class".
    It then runs, is tracked and tabled like the built-in ones (after them, in the tables)."""
    VARIANTS.register(name, target)


def variant_names() -> list[str]:
    """Registered variant names: the built-in ones in the registry's (and the tables')
    order, then the external ones in the order they were registered."""
    return VARIANTS.names()


def variant_class(name: str) -> type[SentimentVariant]:
    """Import and return the class registered under ``name``."""
    return VARIANTS.get(name)


def param_options() -> list[ParamOption]:
    """Every registered variant's own options (its module is imported: variant modules
    import their frameworks only when a variant is built). A variant that cannot be imported
    here has none (its cases report why)."""
    found = []
    for name in variant_names():
        try:
            cls = variant_class(name)
        except Exception:
            continue
        found += [ParamOption(name, option) for option in cls.options]
    return found


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
    "REGISTRY",
    "VARIANTS",
    "ParamOption",
    "ParameterError",
    "SentimentVariant",
    "VariantDescription",
    "VariantOption",
    "check_texts",
    "create_variant",
    "load_variant",
    "param_options",
    "parse_param_overrides",
    "register_variant",
    "variant_class",
    "variant_names",
]
