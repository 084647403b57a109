import math

import numpy as np
import pytest

from sentiment_models.metrics import score
from sentiment_models.results import to_json

CLASSES = ["negative", "neutral", "positive"]


def one_hot(labels):
    return np.asarray([[1.0 if c == label else 0.0 for c in CLASSES] for label in labels])


def test_perfect_predictions():
    truth = ["negative", "neutral", "positive", "positive"]
    metrics = score(truth, one_hot(truth), CLASSES)
    assert metrics.accuracy == 1.0 and metrics.macro_recall == 1.0
    assert metrics.accuracy_stderr == 0.0
    assert metrics.confusion_matrix == ((1, 0, 0), (0, 1, 0), (0, 0, 2))
    assert metrics.roc_auc == 1.0


def test_known_values_and_per_class_keys():
    truth = ["negative", "negative", "neutral", "positive"]
    predicted = ["negative", "neutral", "neutral", "negative"]
    metrics = score(truth, one_hot(predicted), CLASSES)
    assert metrics.accuracy == 0.5
    assert metrics.accuracy_stderr == pytest.approx(math.sqrt(0.25 / 4))
    assert metrics.macro_recall == pytest.approx((0.5 + 1 + 0) / 3)
    stored = to_json(metrics)  # results.json's flat per-class keys
    assert stored["recall_negative"] == 0.5 and stored["precision_neutral"] == 0.5
    assert stored["support_negative"] == 2


def test_log_loss_and_auc_skipped_when_a_class_is_absent():
    truth = ["negative", "positive"]
    metrics = score(truth, one_hot(truth), CLASSES)
    assert metrics.log_loss is None and metrics.roc_auc is None
    assert "log_loss" not in to_json(metrics) and "roc_auc" not in to_json(metrics)
    assert metrics.macro_f1 == pytest.approx(2 / 3)
