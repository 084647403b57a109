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
    "minilm-finetuned": "sentiment_models.variants.minilm_finetuned:MiniLmFinetunedVariant",
    "roberta-tweeteval": "sentiment_models.variants.roberta_tweeteval:RobertaTweetEvalVariant",
    "vader": "sentiment_models.variants.vader:VaderVariant",
}


_SAFE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,40}$")


def check_variant_name(name: str) -> str:
    """Names become folder, file and run names: only lower-case letters, digits and '-'."""
    if not _SAFE_NAME.match(name):
        raise ValueError(
            f"variant name {name!r}: use 1-41 lower-case letters, digits and '-' (no paths)"
        )
    return name


for _name in REGISTRY:
    check_variant_name(_name)


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
    "check_variant_name",
    "create_variant",
    "load_variant",
    "variant_class",
    "variant_names",
]
