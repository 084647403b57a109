"""The variant registry: readable name -> "module:Class". Adding a variant is one module
plus one entry here; the harness imports the module only when the variant runs."""

from __future__ import annotations

import re
from importlib import import_module
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
}


_SAFE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,40}$")
for _name in REGISTRY:  # names become file and run names: keep them plain
    if not _SAFE_NAME.match(_name):
        raise ValueError(f"variant name {_name!r}: use lower-case letters, digits and '-'")


def variant_names() -> list[str]:
    """Registered variant names, in the registry's (and the tables') order."""
    return list(REGISTRY)


def variant_class(name: str) -> type[SentimentVariant]:
    """Import and return the class registered under ``name``."""
    try:
        target = REGISTRY[name]
    except KeyError:
        raise ParameterError(f"unknown variant {name!r}; registered: {variant_names()}") from None
    module_name, _, class_name = target.partition(":")
    return getattr(import_module(module_name), class_name)


def load_variant(folder: Path) -> SentimentVariant:
    """Load any saved variant: ``variant.json`` names its class."""
    return variant_class(read_meta(folder)["variant"]).load(folder)


def create_variant(
    name: str, *, seed: int = 0, progress: Progress | None = None, **params: Any
) -> SentimentVariant:
    """A fresh, untrained variant with hyper-parameter overrides."""
    return variant_class(name)(seed=seed, progress=progress, **params)


__all__ = [
    "REGISTRY",
    "ParameterError",
    "SentimentVariant",
    "VariantDescription",
    "check_texts",
    "create_variant",
    "load_variant",
    "variant_class",
    "variant_names",
]
