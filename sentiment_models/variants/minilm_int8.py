"""``minilm-finetuned-int8``: a deployment variant. The ``minilm-finetuned`` model of the same
seed, its linear layers quantised to int8 (torch dynamic quantisation: int8 weights,
activations quantised per batch on the fly). It classifies tweets faster than the float32
model (``bench/measure_transformer_throughput.py``), and its predictions differ from it, so it
is measured as its own variant beside the model it comes from, never in its place; the
comparison table shows its accuracy change and speed-up.

In a session that also runs ``minilm-finetuned``, the fine-tuned model of the seed is reused
(``memo``: the same texts, labels, parameters and seed); alone, it fine-tunes first. Its
train phase therefore times quantisation only when the model was already there. It is saved
as the float32 weights and quantised again on load, which is deterministic.
"""

from __future__ import annotations

import copy
import time
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

from sentiment_models.variants.base import DEPLOYMENT, VariantDescription
from sentiment_models.variants.minilm_finetuned import MiniLmFinetunedVariant
from sentiment_models.variants.transformer_base import import_torch


def quantized(model: Any) -> Any:
    """A copy of ``model`` with every ``torch.nn.Linear`` quantised to int8 (dynamic)."""
    torch = import_torch()
    copied = copy.deepcopy(model).cpu().eval()  # the original may be shared, or on a GPU
    with warnings.catch_warnings():  # torch.ao.quantization announces its move to torchao
        warnings.simplefilter("ignore")
        return torch.ao.quantization.quantize_dynamic(
            copied, {torch.nn.Linear}, dtype=torch.qint8, inplace=True
        )


class MiniLmInt8Variant(MiniLmFinetunedVariant):
    name = "minilm-finetuned-int8"
    derived_from: ClassVar[str | None] = "minilm-finetuned"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.full_precision: Any = None
        """The float32 model the quantised one comes from (saved in its place)."""
        self.quantize_seconds = 0.0

    def _fit(self, texts, labels, validation=None) -> None:
        super()._fit(texts, labels, validation)
        self._quantize()

    def _quantize(self) -> None:
        started = time.perf_counter()
        self.full_precision = self.model
        self.model = quantized(self.model)
        self._device = "cpu"  # quantised kernels are CPU kernels (training may use a GPU)
        self.quantize_seconds = time.perf_counter() - started
        self.progress(f"quantised the linear layers to int8 in {self.quantize_seconds:.1f} s")

    def save_model(self, folder: Path) -> None:
        quantized_model, self.model = self.model, self.full_precision
        try:
            super().save_model(folder)
        finally:
            self.model = quantized_model

    def load_model(self, folder: Path) -> None:
        super().load_model(folder)
        self._quantize()

    def describe(self) -> VariantDescription:
        description = super().describe()
        return replace(
            description,
            model=f"{description.model}, int8 linear layers",
            optimisation=(
                f"int8 dynamic quantisation of {self.derived_from}'s fine-tuned weights (same "
                f"seed): {description.optimisation}"
            ),
            extra={**description.extra, DEPLOYMENT: str(self.derived_from)},
        )
