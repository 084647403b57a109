"""Deterministic stratified splits, training subsamples and cross-dataset label alignment."""

from __future__ import annotations

import math

import numpy as np
from sklearn.model_selection import train_test_split

from sentiment_models.data.base import LabelledTexts, PresplitData
from sentiment_models.errors import DataError, FieldError


def split_three_ways(
    data: LabelledTexts, *, seed: int, test_size: float, val_size: float
) -> tuple[LabelledTexts, LabelledTexts, LabelledTexts]:
    """Stratified train / validation / test split, the same for the same data and seed."""
    check_classes(data, field="data.dataset")
    n_rows, n_classes = len(data), len(data.classes)
    needed = {
        "test": math.ceil(test_size * n_rows),
        "validation": math.ceil(val_size * n_rows),
        "train": n_rows - math.ceil(test_size * n_rows) - math.ceil(val_size * n_rows),
    }
    for part, size in needed.items():
        if size < n_classes:
            raise DataError(
                f"{data.origin}: too few rows to split: {n_rows} rows and {n_classes} classes "
                f"give the {part} split {size} rows, fewer than one per class; "
                "use more data or change {split.test_size} / {split.val_size}"
            )
    smallest = min(data.class_counts().items(), key=lambda item: item[1])
    if smallest[1] < 3:
        raise DataError(
            f"{data.origin}: class {smallest[0]!r} has {smallest[1]} row(s); a stratified "
            "train / validation / test split needs at least 3 per class"
        )
    index = np.arange(n_rows)
    try:
        rest, test = train_test_split(
            index, test_size=needed["test"], random_state=seed, stratify=data.labels
        )
        train, validation = train_test_split(
            rest, test_size=needed["validation"], random_state=seed, stratify=data.labels[rest]
        )
    except ValueError as error:
        raise DataError(f"{data.origin}: cannot split stratified: {error}") from None
    return data.subset(np.sort(train)), data.subset(np.sort(validation)), data.subset(np.sort(test))


def subsample(data: LabelledTexts, size: int | None, *, seed: int, field: str) -> LabelledTexts:
    """A stratified sample of ``size`` rows; all rows when ``size`` is None, 0 or not smaller.
    Errors name ``field``, the setting that asked for the sample."""
    check_sample_size(data, size, field=field)
    if not size or size >= len(data):
        return data
    index, _ = train_test_split(
        np.arange(len(data)), train_size=size, random_state=seed, stratify=data.labels
    )
    return data.subset(np.sort(index))


def check_sample_size(data: LabelledTexts, size: int | None, *, field: str) -> None:
    """A stratified sample needs at least one row of every class, and a class with one row
    cannot be split off: checked before any training."""
    if not size or size >= len(data):
        return
    counts = data.class_counts()
    if size < len(counts):
        raise FieldError(
            field,
            size,
            f"fewer rows than the {len(counts)} classes; expected at least {len(counts)}",
        )
    rest = len(data) - size
    if rest < len(counts) or min(counts.values()) < 2:
        raise FieldError(
            field,
            size,
            f"cannot sample stratified from {len(data):,} rows with class counts {counts}; "
            f"use 0 (all rows) or a size between {len(counts)} and {len(data) - len(counts):,}",
        )


def check_classes(data: LabelledTexts | PresplitData, *, field: str) -> None:
    """Refuse data with a single class: there is nothing to classify."""
    labels = data.train.labels if isinstance(data, PresplitData) else data.labels
    classes = sorted(set(labels.tolist()))
    if len(classes) < 2:
        raise DataError(
            f"{{{field}}} {data.name} ({data.origin}): only one class ({classes[0]!r}, "
            f"{len(labels)} rows); a classifier needs at least two"
        )


def align_labels(data: LabelledTexts, classes: tuple[str, ...], *, field: str) -> LabelledTexts:
    """Rename ``data``'s labels onto ``classes`` by case-insensitive name, or refuse."""
    by_name = {label.casefold(): label for label in classes}
    unknown = sorted({label for label in data.labels.tolist() if label.casefold() not in by_name})
    if unknown:
        raise DataError(
            f"{{{field}}} {data.name}: labels {unknown} have no counterpart among the training "
            f"labels {list(classes)}; evaluate on a dataset whose labels are a subset of those"
        )
    labels = np.asarray([by_name[label.casefold()] for label in data.labels], dtype=object)
    return LabelledTexts(
        texts=data.texts, labels=labels, name=data.name, origin=data.origin, dropped=data.dropped
    )
