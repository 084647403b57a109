"""``lstm-word2vec``: the LSTM whose embedding starts from a Word2Vec model trained with gensim
on the training split's pre-processed tweets (as the write-up trained its own)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from sentiment_models.embeddings import train_word2vec
from sentiment_models.variants.base import AT_LEAST_ONE, Range
from sentiment_models.variants.keras_base import KerasLstmVariant


class LstmWord2VecVariant(KerasLstmVariant):
    name = "lstm-word2vec"
    default_params: ClassVar[dict[str, Any]] = {
        **KerasLstmVariant.default_params,
        "w2v_epochs": 10,
        "w2v_window": 5,
        "w2v_min_count": 2,
    }
    profile_params: ClassVar[dict[str, dict[str, Any]]] = {
        **KerasLstmVariant.profile_params,
        "tiny": {**KerasLstmVariant.profile_params["tiny"], "w2v_epochs": 2},
    }
    param_ranges: ClassVar[dict[str, Range]] = {
        **KerasLstmVariant.param_ranges,
        "w2v_epochs": AT_LEAST_ONE,
        "w2v_window": AT_LEAST_ONE,
        "w2v_min_count": AT_LEAST_ONE,
    }

    def initial_embedding(self, vocabulary: list[str], tokens: list[list[str]]) -> np.ndarray:
        params = self.params
        self.progress(
            f"training Word2Vec ({params['embedding_dim']}d, {params['w2v_epochs']} epochs)"
        )
        vectors = train_word2vec(
            tokens,
            dim=params["embedding_dim"],
            seed=self.seed,
            epochs=params["w2v_epochs"],
            min_count=params["w2v_min_count"],
            window=params["w2v_window"],
        )
        return self.start_from(vectors, vocabulary, tokens)

    def embedding_label(self) -> tuple[str, str]:
        words = self.embedding_facts.get("embedding_words")
        trainable = "fine-tuned" if self.params["trainable_embeddings"] else "frozen"
        return (f"Word2Vec on the training split ({trainable})", f"{words:,}" if words else "-")
