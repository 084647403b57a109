"""Profiles, accuracy gates, the baseline file and the trade-off plot."""

import json
from dataclasses import replace

import numpy as np
import pytest

from sentiment_models.config import RunConfig
from sentiment_models.data import DatasetSplits, LabelledTexts
from sentiment_models.errors import FieldError, StoreError
from sentiment_models.gates import Gate, read_baseline, read_floors, update_baseline
from sentiment_models.profiles import PROFILES, get_profile, profile_params
from sentiment_models.reporting.tradeoff import pareto_front, render_tradeoff
from sentiment_models.results import EvaluateResult, ResultsStore, Timing, encode_items
from sentiment_models.variants import variant_class, variant_names
from tests.helpers import (
    CLASSES,
    ITEMS,
    item_labels,
    make_result,
    make_seeds_result,
    predicted_with,
    scores,
)


def _split(n_items: int = ITEMS) -> DatasetSplits:
    names = np.asarray(CLASSES, dtype=object)
    test = LabelledTexts(
        texts=np.asarray([f"tweet {i}" for i in range(n_items)], dtype=object),
        labels=names[item_labels(n_items)],
        name="t",
        origin="t",
    )
    return DatasetSplits(test, test, test, "t", "t", "d" * 64, 0, CLASSES)


def _runs(accuracy: float, seeds=(0,), split=None) -> dict:
    """This session's runs as the gate gets them: seed -> (split, evaluate result)."""
    split = split or _split()
    return {
        seed: (
            split,
            EvaluateResult(
                timing=Timing(1.0, 1.0),
                test=scores(accuracy, accuracy),
                model_size_bytes=1,
                predictions=(),
                predicted=encode_items(predicted_with(accuracy, seed + 10, len(split.test))),
            ),
        )
        for seed in seeds
    }


def _baseline_record(accuracy: float, seeds=(0, 1, 2)):
    """The baseline's runs: each seed a point apart around ``accuracy``."""
    return make_seeds_result("lstm", accuracy, seeds=seeds, test_digest=_split().test.digest)


@pytest.fixture
def baseline(tmp_path):
    path = tmp_path / "baseline.json"
    update_baseline(path, "quick", {"lstm": _baseline_record(0.75)})
    return path


def test_a_significant_drop_beyond_the_smallest_effect_fails_with_its_p_value(baseline):
    # 300 items, seeds that disagree on a quarter of them, 3 baseline seeds (2 degrees of
    # freedom): a drop of 35 points is needed for p < 0.01
    verdict = Gate(baseline, alpha=0.01, min_effect=0.005).check("lstm", "quick", _runs(0.40))
    (failure,) = [f for f in verdict.failures if "accuracy" in f.split(":")[1]]
    assert failure.startswith("lstm: accuracy 0.4000 vs baseline 0.7500 (drop +0.3500 ± 0.0")
    assert "one-sided p of a drop beyond 0.005 = 0.00" in failure
    assert "t test over the test items and seeds" in failure
    assert "a drop significantly larger than 0.005 (alpha 0.01; quick profile" in failure


def test_noise_passes_with_a_warning_and_improvements_pass_silently(baseline):
    gate = Gate(baseline, alpha=0.01, min_effect=0.005)
    # 0.74 on 300 items against 0.75: one point, far from significant
    verdict = gate.check("lstm", "quick", _runs(0.74, seeds=(3, 4, 5)))
    assert verdict.failures == []
    assert any(
        "gate passed lstm with a drop" in w and "not significant" in w for w in verdict.warnings
    )
    better = gate.check("lstm", "quick", _runs(0.9))
    assert better.failures == [] and better.warnings == []


def test_a_significant_drop_smaller_than_the_smallest_effect_passes(baseline):
    verdict = Gate(baseline, alpha=0.5, min_effect=0.2).check("lstm", "quick", _runs(0.60))
    assert verdict.failures == []
    assert any(
        "drop +0.1500" in warning and "not significantly beyond --gate-min-effect 0.2" in warning
        for warning in verdict.warnings
    )


def test_missing_or_old_or_foreign_baselines_say_how_to_rebuild(baseline, tmp_path):
    (failure,) = Gate(baseline).check("linear", "quick", _runs(0.9)).failures
    assert "no baseline for the quick profile" in failure
    assert "pytest bench --bench-profile quick -k linear --update-baseline" in failure
    other = _split(ITEMS + 3)
    (failure,) = Gate(baseline).check("lstm", "quick", _runs(0.9, split=other)).failures
    assert "was made on another test split" in failure and "--update-baseline" in failure
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"profiles": {"quick": {"lstm": {"accuracy": 0.7}}}}))
    (failure,) = Gate(old).check("lstm", "quick", _runs(0.9)).failures
    assert "has no per-item predictions (an older format)" in failure


def test_a_baseline_holding_nan_fails(baseline):
    document = json.loads(baseline.read_text())
    document["profiles"]["quick"]["lstm"]["seeds"]["0"]["accuracy"] = None
    baseline.write_text(json.dumps(document))
    failures = Gate(baseline).check("lstm", "quick", _runs(0.9)).failures
    assert any("baseline's accuracy holds" in failure for failure in failures)


def test_floors_apply_per_variant_or_to_all(baseline):
    floors = {"*": {"macro_recall": 0.95}, "lstm": {"accuracy": 0.95}}
    failures = Gate(baseline, floors=floors).check("lstm", "quick", _runs(0.9)).failures
    assert failures == [
        "lstm: accuracy 0.9000 < floor 0.9500 (pyproject.toml [tool.sentiment-bench.floors])",
        "lstm: macro_recall 0.9000 < floor 0.9500 (pyproject.toml [tool.sentiment-bench.floors])",
    ]


def test_update_keeps_other_variants_and_profiles(baseline):
    update_baseline(baseline, "quick", {"simple": make_result("simple", 0.5)})
    update_baseline(baseline, "full", {"lstm": _baseline_record(0.76)}, provenance={"commit": "c"})
    stored = read_baseline(baseline)
    assert set(stored["quick"]["lstm"]["seeds"]) == {"0", "1", "2"}
    assert stored["quick"]["lstm"]["seeds"]["1"]["accuracy"] == 0.75
    assert stored["quick"]["simple"]["seeds"]["0"]["accuracy"] == 0.5
    assert stored["full"]["lstm"]["commit"] == "c"
    assert stored["quick"]["lstm"]["test_digest"] == _split().test.digest


def test_floors_are_read_from_pyproject(tmp_path):
    path = tmp_path / "pyproject.toml"
    path.write_text(
        '[tool.sentiment-bench.floors]\n"*" = { accuracy = 0.4 }\nlinear = { accuracy = 0.7 }\n'
    )
    assert read_floors(path) == {"*": {"accuracy": 0.4}, "linear": {"accuracy": 0.7}}
    path.write_text("[tool.sentiment-bench.floors]\nlinear = 0.7\n")
    with pytest.raises(StoreError, match="expected a table of metric = number"):
        read_floors(path)
    assert read_floors(tmp_path / "absent.toml") == {}


def test_profiles():
    quick, full = get_profile("quick"), get_profile("full")
    assert (quick.sample_size, quick.test_rows) == (4000, 4000)
    assert full.sample_size is None and full.test_rows is None
    assert quick.label() == "quick (4,000-row training sample, 4,000 test rows)"
    with pytest.raises(FieldError, match=r"run.profile fast: expected one of full, quick, tiny"):
        RunConfig(profile="fast")
    for name in variant_names():
        for profile in PROFILES.values():  # every profile setting is a real, valid parameter
            variant_class(name).resolve_params(profile_params(variant_class(name), profile))


def test_pareto_front_and_plot():
    points = {"a": (1.0, 0.6), "b": (10.0, 0.7), "c": (20.0, 0.65), "d": (100.0, 0.8)}
    assert pareto_front(points) == ["a", "b", "d"]
    store = ResultsStore(
        variants={
            **{n: make_result(n, a, seconds=t, seeds=(0, 1)) for n, (t, a) in points.items()},
            "lexicon": make_result("lexicon", 0.5, seconds=0.001, trained=False),
        }
    )
    image = render_tradeoff(store, ["a", "b", "c", "d", "lexicon"])
    assert image.startswith(b"\x89PNG")
    assert image == render_tradeoff(store, ["a", "b", "c", "d", "lexicon"])
    assert render_tradeoff(ResultsStore(), []) is None


def test_the_plot_does_not_depend_on_the_machines_speed(monkeypatch):
    """adjustText places labels for one second by default: on a slower machine, fewer steps
    and another plot. The plot runs a fixed number of steps: a clock that races (as on a
    slow machine) draws the same bytes."""
    import adjustText

    points = {"a": (1.0, 0.6), "b": (1.1, 0.61), "c": (1.2, 0.6), "d": (100.0, 0.8)}
    store = ResultsStore(
        variants={n: make_result(n, a, seconds=t, seeds=(0, 1)) for n, (t, a) in points.items()}
    )
    image = render_tradeoff(store, list(points))
    ticks = iter(range(0, 10**9, 10))  # ten seconds pass between any two looks at the clock
    monkeypatch.setattr(adjustText, "timer", lambda: float(next(ticks)))
    assert render_tradeoff(store, list(points)) == image


def test_gate_bites_through_the_plugin(pytester, bench_dir):
    baseline = pytester.path / "baseline.json"
    args = [*bench_dir, "-k", "linear", "--bench-profile", "tiny", f"--baseline={baseline}"]
    result = pytester.runpytest_inprocess(*args, "--seeds", "0,1", "--update-baseline")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(
        ["*baseline updated for the tiny profile: linear (seeds 0, 1) in *baseline.json*"]
    )
    stored = json.loads(baseline.read_text())["profiles"]["tiny"]["linear"]
    assert set(stored) >= {"seeds", "labels", "test_digest", "commit", "date"}
    assert set(stored["seeds"]) == {"0", "1"}
    assert (pytester.path / "results" / "comparison.md").read_text().count("tiny (") == 1

    # the unchanged code with other seeds passes
    pytester.runpytest_inprocess(*args, "--gate", "--seeds", "2,3").assert_outcomes(passed=4)

    # a planted regression: no regularisation left to learn with
    weakened = pytester.runpytest_inprocess(
        *args, "--gate", "--variant-param", "linear.C_grid=0.00001"
    )
    weakened.assert_outcomes(passed=1, failed=1)
    weakened.stdout.fnmatch_lines(
        [
            "*_ test_evaluate[[]linear-seed0[]] _*",
            "*linear: macro_recall 0.* vs baseline 0.* (drop +0.* ± 0.*; one-sided p of a drop "
            "beyond 0.005 = 0.0*t test over the test items and seeds*a drop significantly larger "
            "than 0.005 (alpha 0.01; tiny profile*",
        ]
    )
    comparison = (pytester.path / "results" / "comparison.md").read_text()
    assert "seed 0: gate failed: macro_recall 0.3333 vs baseline 0." in comparison

    # what would make the gate fail whatever the models do is refused before any training
    missing = pytester.runpytest_inprocess(
        *bench_dir, "-k", "simple", "--bench-profile", "tiny", f"--baseline={baseline}", "--gate"
    )
    assert missing.ret == 4
    missing.stderr.fnmatch_lines(
        [
            "ERROR: --gate: the tiny baseline in *baseline.json cannot gate simple: no baseline; "
            '(re)build it with: pytest bench --bench-profile tiny -k "simple" --update-baseline'
        ]
    )
    other_split = pytester.runpytest_inprocess(*args, "--gate", "--seed", "7")
    assert other_split.ret == 4
    other_split.stderr.fnmatch_lines(
        [
            "ERROR: --gate: *cannot gate linear: it was made on another test split*; this run's "
            "settings differ from the tiny profile's (--seed 7 (default 0)): gate with the "
            "profile's settings"
        ]
    )
    assert "training on" not in missing.stdout.str() + other_split.stdout.str()


def test_other_profiles_write_their_own_results_folder(pytester, bench_dir):
    args = [a for a in bench_dir]
    index = args.index("--results-dir")
    del args[index : index + 2]
    result = pytester.runpytest_inprocess(*args, "-k", "simple", "--bench-profile", "tiny")
    result.assert_outcomes(passed=2)
    assert (pytester.path / "results" / "tiny" / "comparison.md").is_file()
    assert (pytester.path / "results" / "tiny" / "tradeoff.png").is_file()
    assert not (pytester.path / "results" / "comparison.md").exists()


def test_unknown_profile_is_a_usage_error(pytester, bench_dir):
    result = pytester.runpytest_inprocess(*bench_dir, "--bench-profile", "fast")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["ERROR: --bench-profile fast: expected one of full, quick, tiny"])


# -- the one guarded way to write a baseline ---------------------------------------------------
def test_a_baseline_is_never_written_from_a_run_off_its_profile_unless_forced(tmp_path):
    path = tmp_path / "baseline.json"
    update_baseline(path, "quick", {"lstm": _baseline_record(0.75)})
    before = path.read_bytes()
    small = replace(_baseline_record(0.5), off_profile=("--sample-size 300 trains on 300 rows",))
    with pytest.raises(StoreError, match=r"lstm was made with --sample-size 300 trains on 300"):
        update_baseline(path, "quick", {"lstm": small})
    assert path.read_bytes() == before, "a refused update writes nothing"
    (line,) = update_baseline(path, "quick", {"lstm": small}, force=True)
    assert line.startswith("baseline updated for the quick profile: lstm (seeds 0, 1, 2)")


def test_a_baseline_made_on_other_test_data_is_not_replaced_unless_forced(tmp_path):
    path = tmp_path / "baseline.json"
    update_baseline(path, "quick", {"lstm": _baseline_record(0.75)})
    other = make_result("lstm", 0.75, test_digest="e" * 64)
    with pytest.raises(StoreError, match=r"lstm's baseline was made on other test data"):
        update_baseline(path, "quick", {"lstm": other})
    update_baseline(path, "quick", {"lstm": other}, force=True)
    assert read_baseline(path)["quick"]["lstm"]["test_digest"] == "e" * 64


def test_a_variant_that_failed_its_gate_keeps_its_previous_baseline(tmp_path):
    path = tmp_path / "baseline.json"
    update_baseline(path, "quick", {"lstm": _baseline_record(0.75)})
    good = _baseline_record(0.8)
    failed = replace(good, runs=(replace(good.runs[0], status="gate failed: accuracy"),))
    lines = update_baseline(path, "quick", {"lstm": failed, "simple": make_result("simple", 0.6)})
    assert lines[0].startswith("baseline updated for the quick profile: simple (seeds 0)")
    assert lines[1] == (
        "baseline of lstm not updated: seed 0: gate failed: accuracy; its previous baseline is kept"
    )
    assert read_baseline(path)["quick"]["lstm"]["seeds"]["1"]["accuracy"] == pytest.approx(0.75)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda entry: None, "no baseline"),
        (lambda entry: {"accuracy": 0.7}, "no per-item predictions (an older format)"),
        (lambda entry: {**entry, "test_digest": "e" * 64}, "made on another test split"),
        (lambda entry: {**entry, "classes": ["a", "b"]}, "its classes ['a', 'b'] are not"),
        (lambda entry: {**entry, "labels": "not base64!"}, "its per-item data is unreadable"),
        (
            lambda entry: {**entry, "labels": encode_items(item_labels(ITEMS - 1))},
            f"holds {ITEMS:,} items, the labels {ITEMS - 1:,}",
        ),
        (
            lambda entry: {**entry, "labels": encode_items(np.full(ITEMS, 7))},
            "labels holds class index 7, beyond the 3 classes",
        ),
        (lambda entry: {**entry, "seeds": {}}, "it holds no seed"),
    ],
)
def test_a_baseline_entry_that_cannot_be_paired_says_why(tmp_path, change, problem):
    from sentiment_models.gates import entry_problem

    path = tmp_path / "baseline.json"
    update_baseline(path, "quick", {"lstm": _baseline_record(0.75)})
    entry = read_baseline(path)["quick"]["lstm"]
    digest = _split().test.digest
    assert entry_problem(entry, digest, CLASSES) is None
    found = entry_problem(change(entry), digest, CLASSES)
    assert found is not None and problem in found


def test_the_merge_command_writes_no_baseline_from_shards_off_their_profile(tmp_path):
    """A real process: the merged results are written, the baseline is refused with the
    reason and the flag that forces it, and the exit code says so; the flag alone is
    refused."""
    import subprocess
    import sys

    from sentiment_models.reporting.store import update_results
    from sentiment_models.results import SessionInfo

    shard = tmp_path / "shard"
    small = replace(make_result("simple", 0.6), off_profile=("--sample-size 300 (default all)",))
    update_results(shard, {"simple": small}, SessionInfo("now"), lambda store: {})
    baseline = tmp_path / "baseline.json"
    command = [sys.executable, "-m", "sentiment_models.reporting.merge", str(shard)]
    into = ["--into", str(tmp_path / "merged"), "--update-baseline", str(baseline)]
    done = subprocess.run([*command, *into], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "merged 1 shard(s) into" in done.stderr
    assert "simple was made with --sample-size 300 (default all)" in done.stderr
    assert "force it with --force-baseline-update" in done.stderr
    assert (tmp_path / "merged" / "results.json").is_file() and not baseline.exists()
    forced = subprocess.run(
        [*command, *into, "--force-baseline-update"], capture_output=True, text=True, timeout=120
    )
    assert forced.returncode == 0 and baseline.is_file(), forced.stderr
    alone = subprocess.run(
        [*command, "--into", str(tmp_path / "m2"), "--force-baseline-update"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert alone.returncode == 2
    assert "--force-baseline-update does nothing without --update-baseline" in alone.stderr
