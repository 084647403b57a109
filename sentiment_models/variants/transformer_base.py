"""Shared code of the Hugging Face transformer variants: fast CPU inference (sorted by length,
dynamic padding, no gradients, threads and device as the session configured), label mapping by name, and
safetensors save / load. torch and transformers are imported here only, when a variant runs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from sentiment_models import runtime
from sentiment_models.errors import ParameterError, read_json
from sentiment_models.variants.base import SentimentVariant

MODEL_FOLDER = "transformer"


def import_torch() -> Any:
    """torch with its thread pool sized as the session configured (``runtime``)."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import torch

    runtime.size_torch(torch)
    return torch


def quiet_transformers() -> Any:
    """transformers with its info logs and weight-loading progress bars off."""
    import transformers

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    return transformers


def check_model_folder(given: str | Path, what: str) -> None:
    """A local Hugging Face model folder: a folder whose ``config.json`` is a JSON object with
    a ``model_type`` (and, when given, an ``id2label`` object); checked before any training.
    Messages show the path as given."""
    hint = "give a Hugging Face model folder (what save_pretrained writes)"
    folder = Path(given).expanduser()
    if folder.exists() and not folder.is_dir():
        raise ParameterError(f"{what} {str(given)!r}: expected a folder, found a file; {hint}")
    if not folder.is_dir():
        raise ParameterError(f"{what} {str(given)!r}: no such folder; {hint}")
    config = folder / "config.json"
    if not config.is_file():
        raise ParameterError(f"{what} {str(given)!r}: the folder has no config.json; {hint}")
    values = read_json(config, ParameterError, hint)
    if not isinstance(values, dict) or not isinstance(values.get("model_type"), str):
        raise ParameterError(
            f"{config}: not a transformers model configuration (no 'model_type'); {hint}"
        )
    if not isinstance(values.get("id2label", {}), dict):
        raise ParameterError(f"{config}: 'id2label' must map output indices to label names")


def map_labels(model_labels: dict[int, str], classes: list[str], source: str) -> list[int]:
    """For each dataset class, the model output column of the same name (case-insensitive).

    A class with no model label of its name is refused: guessing would score a wrong model.
    """
    by_name = {str(label).strip().lower(): index for index, label in model_labels.items()}
    missing = [label for label in classes if str(label).strip().lower() not in by_name]
    if missing:
        names = [str(model_labels[index]) for index in sorted(model_labels)]
        raise ParameterError(
            f"{source}: the model's labels {names} do not cover the dataset's classes "
            f"{missing}; use a dataset labelled {names} (or {{data.label_map}} to rename its "
            "labels), or a checkpoint whose config.json id2label names these classes"
        )
    return [by_name[str(label).strip().lower()] for label in classes]


class TransformerVariant(SentimentVariant):
    """A sequence classifier plus tokenizer; subclasses load or train them in ``fit``."""

    requirements: ClassVar[tuple[str, ...]] = ("torch", "transformers", "tokenizers", "safetensors")
    inference_batch_size: ClassVar[int] = 32

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.model: Any = None
        self.tokenizer: Any = None
        self.columns: list[int] = []
        """Model output column for each entry of ``classes_``."""
        self._device: str | None = None

    @property
    def device(self) -> str:
        """The torch device this variant computes on (``--device``, resolved once)."""
        if self._device is None:
            self._device = runtime.torch_device()
        return self._device

    @property
    def max_length(self) -> int:
        """The configured length, capped by what the tokenizer's model accepts."""
        configured = int(self.params.get("max_length", 128))
        accepted = getattr(self.tokenizer, "model_max_length", None)
        return (
            min(configured, accepted) if isinstance(accepted, int) and accepted > 0 else configured
        )

    def encode(self, texts: list[str]) -> list[list[int]]:
        """Token ids per text, truncated, without padding (padding is per batch)."""
        return self.tokenizer(texts, truncation=True, max_length=self.max_length)["input_ids"]

    def batch(self, ids: list[list[int]], multiple_of: int | None = None) -> dict[str, Any]:
        """Pad a batch to its own longest text (dynamic padding), rounded up to a multiple of
        ``multiple_of`` tokens when given, on the variant's device."""
        padded = self.tokenizer.pad(
            {"input_ids": ids}, pad_to_multiple_of=multiple_of, return_tensors="pt"
        )
        return {key: value.to(self.device) for key, value in padded.items()}

    def logits(self, ids: list[list[int]], batch_size: int | None = None) -> np.ndarray:
        """Logits of every text: batches of similar length, no gradient tracking."""
        torch = import_torch()
        size = batch_size or self.inference_batch_size
        order = np.argsort([len(row) for row in ids], kind="stable")
        out = np.zeros((len(ids), self.model.config.num_labels), dtype=np.float32)
        was_training = self.model.training
        self.model.eval()
        with torch.inference_mode():
            for start in range(0, len(ids), size):
                chosen = order[start : start + size]
                batch = self.batch([ids[i] for i in chosen])
                out[chosen] = self.model(**batch).logits.float().cpu().numpy()
        self.model.train(was_training)
        return out

    def _predict_proba(self, texts: list[str]) -> np.ndarray:
        from scipy.special import softmax

        return softmax(self.logits(self.encode(texts))[:, self.columns], axis=1)

    def model_labels(self) -> dict[int, str]:
        return {int(index): label for index, label in self.model.config.id2label.items()}

    def save_model(self, folder: Path) -> None:
        target = folder / MODEL_FOLDER
        self.model.save_pretrained(target, safe_serialization=True)
        self.tokenizer.save_pretrained(target)

    def load_model(self, folder: Path) -> None:
        self.load_pretrained(folder / MODEL_FOLDER, local_only=True)

    def load_pretrained(self, source: str | Path, local_only: bool) -> None:
        quiet_transformers()
        import_torch()
        from transformers import AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=local_only)
        self.model = self.load_classifier(source, local_only).to(self.device)
        self.model.eval()

    def load_classifier(self, source: str | Path, local_only: bool) -> Any:
        """The sequence classifier saved at ``source`` (subclasses with their own head
        override this)."""
        from transformers import AutoModelForSequenceClassification

        return AutoModelForSequenceClassification.from_pretrained(
            source, local_files_only=local_only
        )

    @classmethod
    def load(cls, folder: Path) -> SentimentVariant:
        variant = super().load(folder)
        assert isinstance(variant, TransformerVariant)
        variant.columns = map_labels(
            variant.model_labels(), list(variant.classes_), str(folder / MODEL_FOLDER)
        )
        return variant
