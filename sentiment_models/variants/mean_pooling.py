"""A sentence encoder with a mean-pooling classification head: the average of the token
vectors (padding left out), the pooling all-MiniLM-L6-v2 was trained with, into dropout and
a linear layer. On the default split it beats the [CLS]-pooler head of
``AutoModelForSequenceClassification`` at the same cost (``docs/decisions.md``).

Saved as the encoder's own ``save_pretrained`` folder (its config carries the labels) plus the
head in ``classifier.safetensors``. torch is imported with this module: import it lazily.
"""

from __future__ import annotations

import contextlib
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from transformers.modeling_outputs import SequenceClassifierOutput

HEAD_FILE = "classifier.safetensors"


def has_head(folder: Path) -> bool:
    """Whether ``folder`` holds a model saved by :class:`MeanPoolingClassifier`."""
    return (folder / HEAD_FILE).is_file()


class MeanPoolingClassifier(torch.nn.Module):
    """``encoder`` (a Hugging Face base model) + mean pooling + dropout + linear head; called
    like a sequence classifier (``model(**batch).logits``)."""

    def __init__(self, encoder: Any, num_labels: int, dropout: float = 0.1) -> None:
        super().__init__()
        self.encoder = encoder
        self.dropout = torch.nn.Dropout(dropout)
        self.classifier = torch.nn.Linear(encoder.config.hidden_size, num_labels)

    @property
    def config(self) -> Any:
        """The encoder's config: ``id2label``, ``num_labels``, ``hidden_size``."""
        return self.encoder.config

    @property
    def base_model(self) -> Any:
        """The encoder (``embeddings``, ``encoder.layer``), as on a Hugging Face model."""
        return self.encoder

    def num_parameters(self) -> int:
        return sum(parameter.numel() for parameter in self.parameters())

    def forward(
        self, input_ids: Any, attention_mask: Any = None, **inputs: Any
    ) -> SequenceClassifierOutput:
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        hidden = self.encoder(
            input_ids=input_ids, attention_mask=attention_mask, **inputs
        ).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
        return SequenceClassifierOutput(logits=self.classifier(self.dropout(pooled)))

    def save_pretrained(self, folder: Path, **_: Any) -> None:
        from safetensors.torch import save_file

        self.encoder.save_pretrained(folder, safe_serialization=True)
        head = {key: value.contiguous() for key, value in self.classifier.state_dict().items()}
        save_file(head, str(Path(folder) / HEAD_FILE))

    @classmethod
    def from_pretrained(cls, folder: Path, **config: Any) -> MeanPoolingClassifier:
        """A saved classifier (with its head), or a new head on the encoder in ``folder``
        (``config``: ``num_labels``, ``id2label``, ``label2id`` for the new head)."""
        from transformers import AutoModel

        folder = Path(folder)
        encoder = AutoModel.from_pretrained(
            folder, local_files_only=True, add_pooling_layer=False, **config
        )
        model = cls(encoder, encoder.config.num_labels)
        if has_head(folder):
            from safetensors.torch import load_file

            model.classifier.load_state_dict(load_file(str(folder / HEAD_FILE)))
        return model


@contextlib.contextmanager
def thread_invariant_layer_norms(model: torch.nn.Module) -> Iterator[None]:
    """Inside, every ``LayerNorm`` of ``model`` computes with elementary tensor operations.

    torch's fused LayerNorm backward sums the weight and bias gradients over the rows in one
    chunk per thread, so the fine-tuned weights differ in their last bits between 1 and 2
    threads. The float model's predictions absorb that; its int8 quantisation does not (a
    weight tensor's scale comes from its largest value, and every weight is rounded to it), so
    ``minilm-finetuned-int8`` changed 1-2% of its predictions with the thread count. The
    elementary operations' gradients are summed in the same order whatever the threads."""
    patched = [
        module
        for module in model.modules()
        if isinstance(module, torch.nn.LayerNorm) and len(module.normalized_shape) == 1
    ]
    for module in patched:
        module.forward = types.MethodType(_layer_norm, module)
    try:
        yield
    finally:
        for module in patched:
            del module.forward  # the class's fused forward again


def _layer_norm(self: torch.nn.LayerNorm, hidden: torch.Tensor) -> torch.Tensor:
    centred = hidden - hidden.mean(-1, keepdim=True)
    normed = centred * torch.rsqrt(centred.square().mean(-1, keepdim=True) + self.eps)
    if self.weight is not None:
        normed = normed * self.weight
    return normed + self.bias if self.bias is not None else normed
