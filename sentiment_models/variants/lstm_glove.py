"""``lstm-glove``: the LSTM whose embedding starts from pretrained GloVe 6B vectors (the
embedded 50d package by default, or a GloVe text file such as glove.6B.100d.txt)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from sentiment_models.embeddings import (
    EmbeddingError,
    WordVectors,
    check_glove_file,
    embedded_glove,
    glove_file,
)
from sentiment_models.variants.base import Range, VariantOption
from sentiment_models.variants.keras_base import TINY_LSTM, KerasLstmVariant


class LstmGloveVariant(KerasLstmVariant):
    name = "lstm-glove"
    options = (
        VariantOption(
            "--glove-path",
            "glove_path",
            "PATH",
            "GloVe text file for lstm-glove (e.g. glove.6B.100d.txt; default: the embedded "
            "GloVe 6B 50d vectors).",
        ),
    )
    default_params: ClassVar[dict[str, Any]] = {
        **KerasLstmVariant.default_params,
        "embedding_dim": 0,  # 0: the vectors' own size; else it must match them
        "glove_path": "",
    }

    profile_params: ClassVar[dict[str, dict[str, Any]]] = {
        **KerasLstmVariant.profile_params,
        "tiny": TINY_LSTM,  # the vectors fix the embedding's size
    }
    param_ranges: ClassVar[dict[str, Range]] = {
        **KerasLstmVariant.param_ranges,
        "embedding_dim": Range(0),
    }

    @classmethod
    def preflight(cls, params: dict[str, Any]) -> None:
        """Check a --glove-path (exists, GloVe format, dimensions) before any training."""
        if params["glove_path"]:  # read whole (once per session): a bad line stops it here
            check_glove_file(params["glove_path"], params["embedding_dim"] or None)
            glove_file(params["glove_path"])
        elif params["embedding_dim"] not in (0, 50):
            raise EmbeddingError(
                f"lstm-glove.embedding_dim is {params['embedding_dim']} but the embedded GloVe "
                "vectors are 50-dimensional; give a matching file with --glove-path"
            )

    def load_vectors(self) -> WordVectors:
        path = self.params["glove_path"]
        return glove_file(path) if path else embedded_glove()

    def initial_embedding(self, vocabulary: list[str], tokens: list[list[str]]) -> np.ndarray:
        return self.start_from(self.load_vectors(), vocabulary, tokens)

    def embedding_label(self) -> tuple[str, str]:
        source = self.embedding_facts.get("embedding_source", "GloVe 6B")
        trainable = "fine-tuned" if self.params["trainable_embeddings"] else "frozen"
        words = self.embedding_facts.get("embedding_words")
        coverage = self.embedding_facts.get("coverage_vocabulary")
        vocabulary = f"{words:,}" if words else "-"
        if coverage is not None:
            vocabulary += (
                f" (covers {coverage:.1%} of the vocabulary, "
                f"{self.embedding_facts['coverage_tokens']:.1%} of tokens)"
            )
        return f"{source} ({trainable})", vocabulary
