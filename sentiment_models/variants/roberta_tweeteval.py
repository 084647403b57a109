"""``roberta-tweeteval``: the write-up's pretrained tweet-sentiment RoBERTa
(``cardiffnlp/twitter-roberta-base-sentiment-latest``), used without training.

``--hf-model`` picks the checkpoint: a local folder, a name in the Hugging Face cache, or a hub
name downloaded when the hub is reachable. Where none has it, the case is skipped with the
reason (see ``unavailable``), never faked. The model's labels are mapped onto the dataset's
classes by name.
"""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlparse

from sentiment_models.variants.base import VariantDescription, VariantOption
from sentiment_models.variants.transformer_base import (
    TransformerVariant,
    check_model_folder,
    map_labels,
)

DEFAULT_MODEL = "cardiffnlp/twitter-roberta-base-sentiment-latest"
_HUB_NAME = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")
_USER = re.compile(r"(^|\s)@\w+")
_LINK = re.compile(r"https?://\S+|www\.\S+")


def tweet_placeholders(text: str) -> str:
    """The cardiffnlp models' own pre-processing: @mentions -> @user, links -> http."""
    return _LINK.sub("http", _USER.sub(r"\1@user", text))


def is_local(model: str) -> bool:
    """A model reference that names a path rather than a hub repository."""
    return (
        Path(model).expanduser().exists()
        or model.startswith((".", "/", "~"))
        or os.sep in model.replace("/", "", 1)
        or not _HUB_NAME.match(model)
    )


def hub_unreachable(timeout: float = 3.0) -> str | None:
    """Why the Hugging Face hub cannot be reached now, or None if it can."""
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on"):
        return "HF_HUB_OFFLINE is set"
    endpoint = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    host, port = endpoint.hostname or "huggingface.co", endpoint.port or 443
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as error:
        return f"{host}:{port} cannot be reached ({error})"
    return None


class RobertaTweetEvalVariant(TransformerVariant):
    name = "roberta-tweeteval"
    options = (
        VariantOption(
            "--hf-model",
            "model",
            "PATH|NAME",
            "checkpoint for roberta-tweeteval: a local model folder, or a hub name loaded from "
            "the Hugging Face cache or the hub (default: "
            "cardiffnlp/twitter-roberta-base-sentiment-latest; skipped with the reason when "
            "none of these has it).",
        ),
    )
    learns = False
    default_params: ClassVar[dict[str, Any]] = {
        "model": DEFAULT_MODEL,
        "max_length": 128,
        "tweet_placeholders": True,
    }

    @classmethod
    def preflight(cls, params: dict[str, Any]) -> None:
        """A --hf-model that names a path must be a model folder (before any training)."""
        model = params["model"]
        if is_local(model):
            check_model_folder(model, "{roberta-tweeteval.model}")

    @classmethod
    def unavailable(cls, params: dict[str, Any]) -> str | None:
        """Why the checkpoint cannot be loaded here (-> the case is skipped), or None."""
        model = params["model"]
        if is_local(model) or _cached(model):
            return None
        reason = hub_unreachable()
        if reason is None:
            return None
        return (
            f"{model} is not a local folder, not in the Hugging Face cache, and the hub is "
            f"unreachable: {reason}. Download it where the hub is reachable "
            "(huggingface-cli download NAME) or pass {roberta-tweeteval.model} PATH"
        )

    def _fit(self, texts, labels, validation=None) -> None:
        """No training: load the checkpoint and map its labels onto the dataset's classes."""
        model = self.params["model"]
        local = is_local(model)
        source = Path(model).expanduser() if local else model
        self.load_pretrained(source, local_only=local or _cached(model))
        self.columns = map_labels(
            self.model_labels(), list(self.classes_), f"{{roberta-tweeteval.model}} {model}"
        )
        self.progress(
            f"loaded {model} ({self.model.num_parameters():,} parameters), no training; "
            f"labels {dict(zip(self.classes_.tolist(), self.columns, strict=True))}"
        )

    def encode(self, texts: list[str]) -> list[list[int]]:
        if self.params["tweet_placeholders"]:
            texts = [tweet_placeholders(text) for text in texts]
        return super().encode(texts)

    def describe(self) -> VariantDescription:
        config = getattr(self.model, "config", None)
        return VariantDescription(
            tokenizer=f"byte-level BPE, max {self.params['max_length']} tokens",
            vector_type="Dense (contextual)",
            dimensions=str(getattr(config, "hidden_size", 768)),
            model_type="Transformer",
            model=f"{getattr(config, 'model_type', 'roberta')} sequence classifier (pretrained)",
            embedding=f"pretrained {self.params['model']}",
            embedding_vocabulary=f"{getattr(self.tokenizer, 'vocab_size', 50265):,} tokens",
            trained=self.learns,
            optimisation="none: used as published",
            preprocessing=(
                "@mentions -> @user, links -> http"
                if self.params["tweet_placeholders"]
                else "none (raw text)"
            ),
        )


def _cached(model: str) -> bool:
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return False
    return isinstance(try_to_load_from_cache(model, "config.json"), str)
