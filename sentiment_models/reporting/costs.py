"""What a variant cost to train, charged honestly: a deployment variant (e.g. int8) is made
from another variant's trained model, so its own training phase (the conversion) is only part
of its cost; the tables and the trade-off plot charge it its source's training too."""

from __future__ import annotations

import statistics
from collections.abc import Mapping

from sentiment_models.results import VariantRecord
from sentiment_models.variants.base import DEPLOYMENT


def source_of(record: VariantRecord) -> str | None:
    """The variant a deployment variant's models come from, else None."""
    return record.description.extra.get(DEPLOYMENT)


def charged_seconds(
    record: VariantRecord, records: Mapping[str, VariantRecord]
) -> list[float] | None:
    """Per seed: the training seconds, plus, for a deployment variant, its source's of the
    same seed (their mean when that seed is missing); None when the source is not in
    ``records`` (its cost is unknown here)."""
    source = source_of(record)
    own = [run.train.seconds for run in record.runs]
    if source is None:
        return own
    if source not in records:
        return None
    theirs = {run.seed: run.train.seconds for run in records[source].runs}
    mean = statistics.fmean(theirs.values())
    return [
        seconds + theirs.get(run.seed, mean) for seconds, run in zip(own, record.runs, strict=True)
    ]
