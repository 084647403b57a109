"""Scores for one evaluated case: accuracy (with its standard error), macro-F1, macro recall,
per-class precision and recall, confusion matrix, log loss and ROC AUC."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    log_loss,
    precision_recall_fscore_support,
    recall_score,
    roc_auc_score,
)

from sentiment_models.results import TestScores


def score(y_true: Sequence[str], proba: np.ndarray, classes: Sequence[str]) -> TestScores:
    """Every metric of one evaluation of ``proba`` (columns in ``classes`` order)."""
    y_true = np.asarray(y_true, dtype=object)
    classes = list(classes)
    y_pred = np.asarray(classes, dtype=object)[np.argmax(proba, axis=1)]
    n_rows = len(y_true)
    accuracy = float(accuracy_score(y_true, y_pred))
    precision, recall, _, support = precision_recall_fscore_support(
        y_true, y_pred, labels=classes, zero_division=0
    )
    complete = len(set(y_true.tolist())) == len(classes)
    return TestScores(
        accuracy=accuracy,
        accuracy_stderr=math.sqrt(accuracy * (1 - accuracy) / n_rows) if n_rows else 0.0,
        macro_f1=float(f1_score(y_true, y_pred, labels=classes, average="macro", zero_division=0)),
        macro_recall=float(
            recall_score(y_true, y_pred, labels=classes, average="macro", zero_division=0)
        ),
        rows=n_rows,
        confusion_matrix=tuple(
            tuple(int(count) for count in row)
            for row in confusion_matrix(y_true, y_pred, labels=classes)
        ),
        log_loss=float(log_loss(y_true, _clip(proba), labels=classes)) if complete else None,
        roc_auc=float(_roc_auc(y_true, proba, classes)) if complete else None,
        precision={label: float(precision[i]) for i, label in enumerate(classes)},
        recall={label: float(recall[i]) for i, label in enumerate(classes)},
        support={label: int(support[i]) for i, label in enumerate(classes)},
    )


def _clip(proba: np.ndarray) -> np.ndarray:
    clipped = np.clip(proba, 1e-12, 1.0)
    return clipped / clipped.sum(axis=1, keepdims=True)


def _roc_auc(y_true: np.ndarray, proba: np.ndarray, classes: list[str]) -> float:
    if len(classes) == 2:
        return roc_auc_score(y_true == classes[1], proba[:, 1])
    return roc_auc_score(y_true, _clip(proba), labels=classes, multi_class="ovr", average="macro")
