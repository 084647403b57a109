"""Evaluation images for a case: confusion matrix, ROC and precision-recall curves."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np


def evaluation_images(
    folder: Path, y_true: Sequence[str], proba: np.ndarray, classes: Sequence[str], title: str
) -> list[Path]:
    """Write the three images into ``folder`` and return their paths."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay, PrecisionRecallDisplay, RocCurveDisplay

    y_true = np.asarray(y_true, dtype=object)
    classes = list(classes)
    predicted = np.asarray(classes, dtype=object)[np.argmax(proba, axis=1)]
    folder.mkdir(parents=True, exist_ok=True)
    paths = []

    figure, axes = plt.subplots(figsize=(5, 4.5))
    ConfusionMatrixDisplay.from_predictions(
        y_true, predicted, labels=classes, ax=axes, colorbar=False
    )
    axes.set_title(f"{title}: confusion matrix (test)")
    paths.append(_save(figure, folder / "confusion_matrix.png"))

    for name, display in (
        ("roc_curve", RocCurveDisplay),
        ("precision_recall_curve", PrecisionRecallDisplay),
    ):
        figure, axes = plt.subplots(figsize=(5.5, 4.5))
        for index, label in enumerate(classes):
            positives = y_true == label
            if positives.all() or not positives.any():
                continue
            display.from_predictions(positives, proba[:, index], name=str(label), ax=axes)
        axes.set_title(f"{title}: {name.replace('_', ' ')} (one vs rest, test)")
        paths.append(_save(figure, folder / f"{name}.png"))
    return paths


def _save(figure: object, path: Path) -> Path:
    import matplotlib.pyplot as plt

    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return path
