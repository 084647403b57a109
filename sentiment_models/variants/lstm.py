"""``lstm``: Keras LSTM with a 128-dimensional embedding learnt from scratch (the write-up's
"Avancé" model)."""

from typing import Any, ClassVar

from sentiment_models.variants.keras_base import KerasLstmVariant


class LstmVariant(KerasLstmVariant):
    name = "lstm"
    # an embedding learnt from scratch overfits early: slower training, softened class
    # weights, more dropout (the measurements: docs/decisions.md)
    default_params: ClassVar[dict[str, Any]] = {
        **KerasLstmVariant.default_params,
        "learning_rate": 0.001,
        "class_weight": "sqrt",
        "dropout": 0.5,
    }
