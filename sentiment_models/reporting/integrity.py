"""Every stored record checked on read: its per-item data decodes to one class index per test
item, within its classes, and the scores stored beside it are the ones those items give. A
results store, a recovery folder or a shard that disagrees with itself is refused, naming the
file, the variant, the seed and the field, instead of re-ranking the tables on altered data."""

from __future__ import annotations

import binascii
import zlib

import numpy as np

from sentiment_models.results import SeedRun, VariantRecord, decode_items

TOLERANCE = 1e-6


def record_problems(record: VariantRecord) -> list[str]:
    """What in ``record`` disagrees with itself, as ``seed N: field: problem`` lines."""
    problems = []
    n_classes = len(record.classes)
    for run in record.runs:
        problems += _behaviour_problems(run)
        if not run.predicted:
            continue  # an older record without per-item data: nothing to re-derive
        where = f"seed {run.seed}"
        labels_text = record.items.get(run.test_digest)
        if labels_text is None:
            problems.append(
                f"{where}: items: no labels for its test split ({run.test_digest[:12]})"
            )
            continue
        try:
            labels, predicted = decode_items(labels_text), decode_items(run.predicted)
        except (ValueError, TypeError, zlib.error, binascii.Error) as error:
            problems.append(f"{where}: predicted: unreadable ({type(error).__name__}: {error})")
            continue
        problem = _items_problem(labels, predicted, n_classes)
        if problem:
            problems.append(f"{where}: predicted: {problem}")
            continue
        matrix = np.zeros((n_classes, n_classes), dtype=int)
        np.add.at(matrix, (labels, predicted), 1)
        accuracy = float(np.trace(matrix) / max(len(labels), 1))
        if abs(accuracy - run.test.accuracy) > TOLERANCE:
            problems.append(
                f"{where}: test.accuracy: stored {run.test.accuracy:.6f}, but its per-item "
                f"predictions give {accuracy:.6f}"
            )
        stored = np.asarray(run.test.confusion_matrix, dtype=int)
        if stored.size and (stored.shape != matrix.shape or (stored != matrix).any()):
            problems.append(
                f"{where}: test.confusion_matrix: not the one its per-item predictions give"
            )
        if run.test.rows != len(labels):
            problems.append(
                f"{where}: test.rows: stored {run.test.rows:,}, the test split has "
                f"{len(labels):,} items"
            )
    return problems


def _behaviour_problems(run: SeedRun) -> list[str]:
    """Each behaviour test's per-item failures decode to one 0 or 1 per item, and add up
    to the stored count."""
    problems = []
    for test, result in run.behaviour.items():
        where = f"seed {run.seed}: behaviour.{test}"
        try:
            failed = decode_items(result.failed)
        except (ValueError, TypeError, zlib.error, binascii.Error) as error:
            problems.append(f"{where}.failed: unreadable ({type(error).__name__}: {error})")
            continue
        if len(failed) != result.items or (len(failed) and int(failed.max()) > 1):
            problems.append(
                f"{where}.failed: {len(failed):,} values (0 or 1 expected), for "
                f"{result.items:,} items"
            )
        elif int(failed.sum()) != result.failures:
            problems.append(
                f"{where}.failures: stored {result.failures:,}, but its per-item failures "
                f"give {int(failed.sum()):,}"
            )
    return problems


def _items_problem(labels: np.ndarray, predicted: np.ndarray, n_classes: int) -> str | None:
    if len(predicted) != len(labels):
        return f"{len(predicted):,} items, but the test split has {len(labels):,}"
    for name, items in (("labels", labels), ("predicted", predicted)):
        if len(items) and int(items.max()) >= n_classes:
            return f"{name} hold class index {int(items.max())}, beyond the {n_classes} classes"
    return None
