"""Deterministic stratified splits, training subsamples and cross-dataset label alignment."""

from __future__ import annotations

import math

import numpy as np
from sklearn.model_selection import train_test_split

from sentiment_models.data.base import DataError, LabelledTexts, PresplitData


def split_three_ways(
    data: LabelledTexts, *, seed: int, test_size: float, val_size: float
) -> tuple[LabelledTexts, LabelledTexts, LabelledTexts]:
    """Stratified train / validation / test split, the same for the same data and seed."""
    check_classes(data, option="--dataset")
    for option, value in (("--test-size", test_size), ("--val-size", val_size)):
        if not 0 < value < 1:
            raise DataError(f"{option} {value}: expected a fraction between 0 and 1")
    if test_size + val_size >= 1:
        raise DataError(
            f"--test-size {test_size} + --val-size {val_size} leave no rows to train on"
        )
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
                "use more data or change --test-size / --val-size"
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


def subsample(data: LabelledTexts, size: int | None, *, seed: int) -> LabelledTexts:
    """A stratified sample of ``size`` rows; all rows when ``size`` is None or not smaller."""
    if size is None or size >= len(data):
        return data
    n_classes = len(data.classes)
    if size < n_classes:
        raise DataError(
            f"--sample-size {size}: fewer rows than the {n_classes} classes; "
            f"expected at least {n_classes}"
        )
    try:
        index, _ = train_test_split(
            np.arange(len(data)), train_size=size, random_state=seed, stratify=data.labels
        )
    except ValueError as error:
        raise DataError(f"--sample-size {size}: cannot sample stratified: {error}") from None
    return data.subset(np.sort(index))


def check_classes(data: LabelledTexts | PresplitData, *, option: str) -> None:
    """Refuse data with a single class: there is nothing to classify."""
    labels = data.train.labels if isinstance(data, PresplitData) else data.labels
    classes = sorted(set(labels.tolist()))
    if len(classes) < 2:
        raise DataError(
            f"{option} {data.name} ({data.origin}): only one class ({classes[0]!r}, "
            f"{len(labels)} rows); a classifier needs at least two"
        )


def align_labels(data: LabelledTexts, classes: tuple[str, ...], *, option: str) -> LabelledTexts:
    """Rename ``data``'s labels onto ``classes`` by case-insensitive name, or refuse."""
    by_name = {label.casefold(): label for label in classes}
    unknown = sorted({label for label in data.labels.tolist() if label.casefold() not in by_name})
    if unknown:
        raise DataError(
            f"{option} {data.name}: labels {unknown} have no counterpart among the training "
            f"labels {list(classes)}; evaluate on a dataset whose labels are a subset of those"
        )
    labels = np.asarray([by_name[label.casefold()] for label in data.labels], dtype=object)
    return LabelledTexts(
        texts=data.texts, labels=labels, name=data.name, origin=data.origin, dropped=data.dropped
    )
