"""The MLflow model of a variant: raw text in, label and class scores out.

The variant's own files (skops, Keras, safetensors) travel as the model's artifact; this
wrapper only reads them with ``load_variant`` and shapes the answer.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import mlflow.pyfunc
import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.models.signature import ModelSignature
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE
from mlflow.types.schema import ColSpec, Schema

TEXT_COLUMN = "text"
MAX_CHARS_VARIABLE = "SENTIMENT_BENCH_MAX_TEXT_CHARS"
"""Environment variable of the served model's longest text (default: ``MAX_TEXT_CHARS``)."""


def max_text_chars() -> int:
    from sentiment_models.config import MAX_TEXT_CHARS

    value = os.environ.get(MAX_CHARS_VARIABLE, "")
    return int(value) if value.strip().isdigit() and int(value) > 0 else MAX_TEXT_CHARS


class TextTooLong(MlflowException):
    """A request text over the limit: answered 413 before any work is done on it."""

    def __init__(self, message: str) -> None:
        self._short = message
        super().__init__(message, error_code=INVALID_PARAMETER_VALUE)

    @property
    def message(self) -> str:
        return self._short

    @message.setter
    def message(self, value: str) -> None:
        # the scoring server prefixes the whole request to the message; keep it short
        self._short = value if len(value) <= 1000 else self._short

    def get_http_status_code(self) -> int:
        return 413


class SentimentPyfunc(mlflow.pyfunc.PythonModel):
    """``predict`` takes a DataFrame with a ``text`` column (or a list of strings)."""

    def load_context(self, context):  # no type hints: MLflow would read them as a schema
        from pathlib import Path

        from sentiment_models.variants import load_variant

        self.variant = load_variant(Path(context.artifacts["variant"]))

    def predict(self, context, model_input: pd.DataFrame, params=None):
        # A DataFrame hint tells MLflow to keep the logged signature (a ``text`` column) and
        # skip type-hint inference; lists and arrays still work through ``input_texts``.
        texts = input_texts(model_input)
        proba = self.variant.predict_proba(texts)
        return answer_frame(proba, self.variant.classes_)


def input_texts(model_input: Any) -> list[str]:
    """The texts of a request; anything but non-blank strings is refused with a 400-class
    error (413 for a text over the limit)."""
    if isinstance(model_input, pd.DataFrame):
        if model_input.shape[1] == 0:
            raise _bad_input(f"no columns; expected a {TEXT_COLUMN!r} column of strings")
        column = TEXT_COLUMN if TEXT_COLUMN in model_input.columns else model_input.columns[0]
        values: Sequence[Any] = model_input[column].tolist()
    elif isinstance(model_input, pd.Series | np.ndarray):
        values = (
            list(model_input.ravel())
            if isinstance(model_input, np.ndarray)
            else model_input.tolist()
        )
    elif isinstance(model_input, str):
        values = [model_input]
    elif isinstance(model_input, list | tuple):
        values = list(model_input)
    else:
        raise _bad_input(f"unsupported input of type {type(model_input).__name__}")
    limit = max_text_chars()
    for position, value in enumerate(values):
        if not isinstance(value, str):
            raise _bad_input(
                f"row {position}: {TEXT_COLUMN!r} is {type(value).__name__} ({value!r:.40}); "
                "every text must be a string"
            )
        if not value.strip():
            raise _bad_input(
                f"row {position}: the text is empty; there is nothing to classify (an empty "
                "text would get the model's prior as a confident-looking answer)"
            )
        if len(value) > limit:
            raise TextTooLong(
                f"bad input: row {position}: the text has {len(value):,} characters, more than "
                f"the limit of {limit:,}; shorten it (the server's limit is set by "
                f"{MAX_CHARS_VARIABLE})"
            )
    return list(values)


def answer_frame(proba: np.ndarray, classes: Sequence[str]) -> pd.DataFrame:
    best = np.argmax(proba, axis=1) if len(proba) else np.zeros(0, dtype=int)
    frame = pd.DataFrame(
        {
            "label": [str(classes[i]) for i in best],
            "score": proba[np.arange(len(proba)), best] if len(proba) else np.zeros(0),
        }
    )
    for index, label in enumerate(classes):
        frame[f"score_{label}"] = proba[:, index] if len(proba) else np.zeros(0)
    return frame


def signature(classes: Sequence[str]) -> ModelSignature:
    outputs = [ColSpec("string", "label"), ColSpec("double", "score")]
    outputs += [ColSpec("double", f"score_{label}") for label in classes]
    return ModelSignature(inputs=Schema([ColSpec("string", TEXT_COLUMN)]), outputs=Schema(outputs))


def _bad_input(message: str) -> MlflowException:
    return MlflowException(f"bad input: {message}", error_code=INVALID_PARAMETER_VALUE)
