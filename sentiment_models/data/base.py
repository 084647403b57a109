"""Data containers shared by every source: labelled texts, splits, and the data error."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from sentiment_models.errors import DataError

if TYPE_CHECKING:
    from sentiment_models.results import DataFacts


@dataclass(frozen=True)
class LabelledTexts:
    """Texts with string labels, plus where they came from and what was dropped on load."""

    texts: np.ndarray
    labels: np.ndarray
    name: str
    origin: str
    dropped: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.texts) != len(self.labels):
            raise DataError(f"{self.origin}: {len(self.texts)} texts but {len(self.labels)} labels")

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def classes(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.labels.tolist())))

    @property
    def digest(self) -> str:
        """SHA-256 of the rows as ``label<TAB>text`` lines, in order: names the exact data."""
        digest = hashlib.sha256()
        for text, label in zip(self.texts, self.labels, strict=True):
            digest.update(f"{label}\t{text}\n".encode())
        return digest.hexdigest()

    def class_counts(self) -> dict[str, int]:
        values, counts = np.unique(self.labels, return_counts=True)
        return {str(v): int(c) for v, c in zip(values, counts, strict=True)}

    def subset(self, index: np.ndarray, name: str | None = None) -> LabelledTexts:
        return LabelledTexts(
            texts=self.texts[index],
            labels=self.labels[index],
            name=name or self.name,
            origin=self.origin,
        )


@dataclass(frozen=True)
class PresplitData:
    """A source that ships its own train / validation / test split (TweetEval, the Hub)."""

    train: LabelledTexts
    validation: LabelledTexts
    test: LabelledTexts
    name: str
    origin: str

    @property
    def dropped(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for part in (self.train, self.validation, self.test):
            for reason, count in part.dropped.items():
                total[reason] = total.get(reason, 0) + count
        return total

    @property
    def digest(self) -> str:
        digest = hashlib.sha256()
        for part in (self.train, self.validation, self.test):
            digest.update(part.digest.encode())
        return digest.hexdigest()


@dataclass(frozen=True)
class DatasetSplits:
    """The split a bench session trains, validates and tests on, with its provenance."""

    train: LabelledTexts
    validation: LabelledTexts
    test: LabelledTexts
    dataset: str
    origin: str
    digest: str
    seed: int
    classes: tuple[str, ...]
    dropped: dict[str, int] = field(default_factory=dict)
    evaluations: dict[str, LabelledTexts] = field(default_factory=dict)
    """Out-of-domain evaluation sets (``--eval-dataset``), by name, labels aligned."""
    max_text_chars: int | None = None
    truncated: int = 0
    """Texts (of every part and evaluation set) cut to ``max_text_chars`` on load."""

    def facts(self) -> DataFacts:
        """What every result records about this split."""
        from sentiment_models.results import DataFacts

        return DataFacts(
            dataset=self.dataset,
            dataset_origin=self.origin,
            dataset_digest=self.digest,
            seed=self.seed,
            classes=",".join(self.classes),
            train_rows=len(self.train),
            validation_rows=len(self.validation),
            test_rows=len(self.test),
            train_digest=self.train.digest,
            test_digest=self.test.digest,
            dropped_rows=sum(self.dropped.values()),
            transfer={name: data.digest for name, data in self.evaluations.items()},
            dropped=dict(sorted(self.dropped.items())),
            max_text_chars=self.max_text_chars,
            truncated_texts=self.truncated,
        )
