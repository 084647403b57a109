"""Shared code of the Keras LSTM variants: Keras text vectorisation fitted on the training
split, an embedding (learnt, or started from word vectors), an LSTM and a softmax, trained
with early stopping on validation loss and class weights. TensorFlow is imported here only."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from sentiment_models.embeddings import WordVectors, embedding_matrix
from sentiment_models.memo import remembered
from sentiment_models.variants.base import (
    AT_LEAST_ONE,
    POSITIVE,
    SHARE,
    Range,
    SentimentVariant,
    VariantDescription,
)

TINY_LSTM = {
    "epochs": 2,
    "lstm_units": 8,
    "max_tokens": 800,
    "sequence_length": 16,
    "batch_size": 64,
}
"""The ``tiny`` profile (tests): a network that trains in seconds."""
MODEL_FILE = "model.keras"
VOCABULARY_FILE = "vocabulary.json"
_KERAS_PUNCTUATION = re.compile(r"[!\"#$%&()\*\+,\-\./:;<=>?@\[\\\]^_`{|}~']")


def import_keras() -> Any:
    """Keras on the TensorFlow backend (as in the write-up), quiet, deterministic ops."""
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    tf.config.experimental.enable_op_determinism()
    return keras


class KerasLstmVariant(SentimentVariant):
    """Subclasses choose the starting embedding in ``initial_embedding``."""

    requirements: ClassVar[tuple[str, ...]] = ("tensorflow-cpu", "keras", "nltk", "simplemma")

    @property
    def device(self) -> str:
        """TensorFlow's choice: its first GPU when it sees one, else the CPU."""
        from sentiment_models.runtime import tensorflow_device

        return tensorflow_device()

    default_params: ClassVar[dict[str, Any]] = {
        "max_tokens": 20000,
        "sequence_length": 32,
        "embedding_dim": 128,
        "trainable_embeddings": True,
        "lstm_units": 64,
        "bidirectional": False,
        "dropout": 0.3,
        "recurrent_dropout": 0.0,
        "epochs": 8,
        "batch_size": 128,
        "patience": 2,
        "learning_rate": 0.002,
        "class_weight": "balanced",
        "punctuation": "tokens",
        "normalizer": "",
    }

    profile_params: ClassVar[dict[str, dict[str, Any]]] = {
        "quick": {"epochs": 5, "max_tokens": 10000},
        "tiny": {**TINY_LSTM, "embedding_dim": 16},
    }
    param_choices: ClassVar[dict[str, tuple[str, ...]]] = {
        "class_weight": ("balanced", "sqrt", "none"),
        "punctuation": ("tokens", "strip"),
        "normalizer": ("", "lemma", "stem"),
    }
    param_ranges: ClassVar[dict[str, Range]] = {
        "max_tokens": Range(3),
        "sequence_length": AT_LEAST_ONE,
        "embedding_dim": AT_LEAST_ONE,
        "lstm_units": AT_LEAST_ONE,
        "dropout": SHARE,
        "recurrent_dropout": SHARE,
        "epochs": AT_LEAST_ONE,
        "batch_size": AT_LEAST_ONE,
        "patience": Range(0),
        "learning_rate": POSITIVE,
    }
    legacy_params: ClassVar[dict[str, Any]] = {"punctuation": "strip"}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        from sentiment_models.preprocessing import TweetPreprocessor

        self.preprocessor = TweetPreprocessor(normalizer=self.params["normalizer"] or None).fit()
        self.vocabulary: list[str] = []
        self.model: Any = None
        self.vectorizer: Any = None
        self.epochs_run = 0
        self.validation_accuracy: float | None = None
        self.embedding_facts: dict[str, Any] = {}

    # -- hooks ----------------------------------------------------------------------------
    def initial_embedding(
        self, vocabulary: list[str], tokens: list[list[str]]
    ) -> np.ndarray | None:
        """A (vocabulary x dim) starting matrix, or None to learn the embedding from scratch."""
        return None

    def embedding_label(self) -> tuple[str, str]:
        """(embedding, embedding vocabulary) cells of the comparison table."""
        return "learnt from scratch", "-"

    def start_from(
        self, vectors: WordVectors, vocabulary: list[str], tokens: list[list[str]]
    ) -> np.ndarray:
        """The embedding matrix from ``vectors``; records and reports their coverage."""
        matrix, coverage = embedding_matrix(vocabulary, vectors, tokens, self.seed)
        self.embedding_facts = {
            "embedding_source": vectors.origin,
            "embedding_words": len(vectors),
            "coverage_vocabulary": round(coverage.vocabulary_share, 4),
            "coverage_tokens": round(coverage.token_share, 4),
        }
        self.progress(f"{vectors.origin} covers {coverage.describe()}")
        return matrix

    # -- training -------------------------------------------------------------------------
    def _fit(self, texts, labels, validation=None) -> None:
        keras = import_keras()
        keras.utils.set_random_seed(self.seed)
        params = self.params
        cleaned = self._clean(texts)
        y = self._label_indices(labels)
        self.vectorizer = keras.layers.TextVectorization(
            max_tokens=params["max_tokens"],
            output_sequence_length=params["sequence_length"],
            **self._standardize(),
        )
        self.vectorizer.adapt(cleaned, batch_size=1024)
        self.vocabulary = [str(word) for word in self.vectorizer.get_vocabulary()]
        x = self._sequences(cleaned)
        tokens = [self._tokens(text) for text in cleaned]
        weights = self.initial_embedding(self.vocabulary, tokens)
        self.model = self._build(keras, weights)
        fit_args: dict[str, Any] = {}
        if validation is not None:
            x_val = self._sequences(self._clean(validation[0]))
            fit_args["validation_data"] = (x_val, self._label_indices(validation[1]))
        callbacks = [_EpochProgress(keras, self.progress, params["epochs"])]
        if validation is not None:
            callbacks.append(
                keras.callbacks.EarlyStopping(
                    monitor="val_loss", patience=params["patience"], restore_best_weights=True
                )
            )
        self.progress(
            f"{len(self.vocabulary):,} tokens, sequences of {params['sequence_length']}, "
            f"up to {params['epochs']} epochs"
        )
        history = self.model.fit(
            x,
            y,
            epochs=params["epochs"],
            batch_size=params["batch_size"],
            shuffle=True,
            class_weight=self._class_weight(y),
            callbacks=callbacks,
            verbose=0,
            **fit_args,
        )
        self.history = {key: [float(v) for v in values] for key, values in history.history.items()}
        self.epochs_run = len(self.history.get("loss", []))
        if "val_loss" in self.history:
            best = int(np.argmin(self.history["val_loss"]))
            self.validation_accuracy = self.history["val_accuracy"][best]

    def _build(self, keras: Any, weights: np.ndarray | None) -> Any:
        params = self.params
        dim = params["embedding_dim"] if weights is None else weights.shape[1]
        embedding = keras.layers.Embedding(
            len(self.vocabulary),
            dim,
            mask_zero=True,
            trainable=True if weights is None else params["trainable_embeddings"],
            embeddings_initializer="uniform"
            if weights is None
            else keras.initializers.Constant(weights),
        )
        inputs = keras.Input(shape=(params["sequence_length"],), dtype="int32")
        x = embedding(inputs)
        x = keras.layers.SpatialDropout1D(params["dropout"])(x)
        lstm = keras.layers.LSTM(
            params["lstm_units"], recurrent_dropout=params["recurrent_dropout"]
        )
        x = (keras.layers.Bidirectional(lstm) if params["bidirectional"] else lstm)(x)
        x = keras.layers.Dropout(params["dropout"])(x)
        outputs = keras.layers.Dense(len(self.classes_), activation="softmax")(x)
        model = keras.Model(inputs, outputs, name=self.name.replace("-", "_"))
        model.compile(
            optimizer=keras.optimizers.Adam(params["learning_rate"]),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        return model

    def _class_weight(self, y: np.ndarray) -> dict[int, float] | None:
        mode = self.params["class_weight"]
        if mode == "none":
            return None
        counts = np.bincount(y, minlength=len(self.classes_)).astype(float)
        weights = len(y) / (len(counts) * np.maximum(counts, 1))
        if mode == "sqrt":
            weights = np.sqrt(weights)
        return {index: float(weight) for index, weight in enumerate(weights)}

    def _clean(self, texts: Sequence[str]) -> list[str]:
        """Pre-processed texts; with ``punctuation="tokens"`` punctuation runs become tokens.
        The same texts and settings (another seed of the session) reuse the first result."""
        settings = (repr(sorted(self.preprocessing_config().items())), self.params["punctuation"])
        return remembered("keras-clean", settings, texts, lambda: self._clean_now(texts))

    def _clean_now(self, texts: Sequence[str]) -> list[str]:
        from sentiment_models.preprocessing import separate_punctuation

        cleaned = self.preprocessor.transform(texts)
        if self.params["punctuation"] == "tokens":
            return [separate_punctuation(text) for text in cleaned]
        return list(cleaned)

    def _standardize(self) -> dict[str, Any]:
        """TextVectorization's standardisation: none for punctuation tokens (the text is
        already lower case and split), else Keras's default (lower case, strip punctuation)."""
        if self.params["punctuation"] == "tokens":
            return {"standardize": None, "split": "whitespace"}
        return {}

    def _tokens(self, text: str) -> list[str]:
        """The tokens TextVectorization sees in a pre-processed text."""
        if self.params["punctuation"] == "tokens":
            return text.split()
        return _stripped_tokens(text)

    def _label_indices(self, labels: Sequence[str]) -> np.ndarray:
        position = {label: index for index, label in enumerate(self.classes_)}
        return np.asarray([position[label] for label in labels], dtype=np.int32)

    def _sequences(self, cleaned: Sequence[str]) -> np.ndarray:
        if len(cleaned) == 0:
            return np.zeros((0, self.params["sequence_length"]), dtype=np.int64)
        return np.asarray(self.vectorizer(np.asarray(cleaned, dtype=object).astype(str)))

    # -- prediction -----------------------------------------------------------------------
    def _predict_proba(self, texts: list[str]) -> np.ndarray:
        x = self._sequences(self._clean(texts))
        return self.model.predict(x, batch_size=1024, verbose=0)

    # -- description and storage ----------------------------------------------------------
    def describe(self) -> VariantDescription:
        embedding, vocabulary = self.embedding_label()
        dim = self.params["embedding_dim"]
        if self.model is not None:
            dim = self.model.get_layer(index=1).output_dim
        epochs = f"Adam, early stopping on val_loss (patience {self.params['patience']})"
        if self.epochs_run:
            epochs = f"{self.epochs_run} of max {self.params['epochs']} epochs; " + epochs
        tokenizer = {
            "tokens": "Keras TextVectorization (words + punctuation runs)",
            "strip": "Keras TextVectorization (punctuation stripped)",
        }[self.params["punctuation"]]
        return VariantDescription(
            tokenizer=tokenizer,
            vector_type="Dense",
            dimensions=str(dim),
            model_type="Deep",
            model=("Bidirectional " if self.params["bidirectional"] else "")
            + f"LSTM({self.params['lstm_units']})",
            embedding=embedding,
            embedding_vocabulary=vocabulary,
            optimisation=epochs,
            preprocessing=self.preprocessor.describe(),
            extra={key: str(value) for key, value in self.embedding_facts.items()},
        )

    def hyperparameters(self) -> dict[str, Any]:
        return {
            **super().hyperparameters(),
            **{k: v for k, v in self.embedding_facts.items() if isinstance(v, int | float | str)},
        }

    def save_model(self, folder: Path) -> None:
        self.model.save(folder / MODEL_FILE)
        (folder / VOCABULARY_FILE).write_text(json.dumps(self.vocabulary))

    def load_model(self, folder: Path) -> None:
        keras = import_keras()
        self.model = keras.models.load_model(folder / MODEL_FILE, safe_mode=True)
        self.vocabulary = json.loads((folder / VOCABULARY_FILE).read_text())
        self.vectorizer = keras.layers.TextVectorization(
            vocabulary=self.vocabulary[2:]
            if self.vocabulary[:2] == ["", "[UNK]"]
            else self.vocabulary,
            output_sequence_length=self.params["sequence_length"],
            **self._standardize(),
        )


class _EpochProgress:
    """One line per epoch through the variant's progress callback (visible with ``-s``)."""

    def __new__(cls, keras: Any, progress: Any, epochs: int) -> Any:
        class Callback(keras.callbacks.Callback):
            def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
                logs = logs or {}
                parts = [
                    f"{key} {value:.4f}"
                    for key, value in sorted(logs.items())
                    if key in ("loss", "accuracy", "val_loss", "val_accuracy")
                ]
                progress(f"epoch {epoch + 1}/{epochs}: " + ", ".join(parts))

        return Callback()


def _stripped_tokens(text: str) -> list[str]:
    """Keras's default standardisation: lower case, punctuation stripped, split on spaces."""
    return _KERAS_PUNCTUATION.sub("", text.lower()).split()
