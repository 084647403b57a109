"""Profiles, accuracy gates, the baseline file and the trade-off plot."""

import json

import pytest

from sentiment_models.config import RunConfig
from sentiment_models.errors import FieldError
from sentiment_models.gates import Gate, read_baseline, read_floors, update_baseline
from sentiment_models.profiles import PROFILES, get_profile, profile_params
from sentiment_models.reporting.tradeoff import pareto_front, render_tradeoff
from sentiment_models.results import ResultsStore
from sentiment_models.variants import variant_class, variant_names
from tests.helpers import make_result, scores


@pytest.fixture
def baseline(tmp_path):
    path = tmp_path / "baseline.json"
    update_baseline(path, "quick", {"lstm": scores(0.748, 0.70)})
    return path


def test_drop_beyond_tolerance_fails_with_the_numbers(baseline):
    failures = Gate(baseline, 0.02).check("lstm", "quick", scores(0.712, 0.71))
    assert failures == ["lstm: accuracy 0.712 < baseline 0.748 - 0.02 (quick profile)"]


def test_small_drops_and_improvements_pass(baseline):
    gate = Gate(baseline, 0.02)
    assert gate.check("lstm", "quick", scores(0.729, 0.69)) == []
    assert gate.check("lstm", "quick", scores(0.95, 0.9)) == []


def test_missing_baseline_says_how_to_create_it(baseline):
    (failure,) = Gate(baseline).check("linear", "quick", scores(0.9, 0.9))
    assert "no baseline for the quick profile" in failure
    assert "pytest bench --bench-profile quick -k linear --update-baseline" in failure
    assert (
        "no baseline for the full profile" in Gate(baseline).check("lstm", "full", scores(1, 1))[0]
    )


def test_floors_apply_per_variant_or_to_all(baseline):
    gate = Gate(baseline, 0.02, {"*": {"macro_recall": 0.75}, "lstm": {"accuracy": 0.8}})
    failures = gate.check("lstm", "quick", scores(0.76, 0.72))
    assert failures == [
        "lstm: accuracy 0.760 < floor 0.800 (pyproject.toml [tool.sentiment-bench.floors])",
        "lstm: macro_recall 0.720 < floor 0.750 (pyproject.toml [tool.sentiment-bench.floors])",
    ]


def test_update_keeps_other_variants_and_profiles(baseline):
    update_baseline(baseline, "quick", {"simple": scores(0.5, 0.4)})
    update_baseline(
        baseline,
        "full",
        {"lstm": scores(0.76, 0.74)},
        provenance={"commit": "abc"},
    )
    stored = read_baseline(baseline)
    assert stored["quick"]["lstm"] == {"accuracy": 0.748, "macro_recall": 0.7}
    assert stored["quick"]["simple"] == {"accuracy": 0.5, "macro_recall": 0.4}
    assert stored["full"]["lstm"]["commit"] == "abc"


def test_floors_are_read_from_pyproject(tmp_path):
    path = tmp_path / "pyproject.toml"
    path.write_text(
        '[tool.sentiment-bench.floors]\n"*" = { accuracy = 0.4 }\nlinear = { accuracy = 0.7 }\n'
    )
    assert read_floors(path) == {"*": {"accuracy": 0.4}, "linear": {"accuracy": 0.7}}
    path.write_text("[tool.sentiment-bench.floors]\nlinear = 0.7\n")
    with pytest.raises(ValueError, match="expected a table of metric = number"):
        read_floors(path)
    assert read_floors(tmp_path / "absent.toml") == {}


def test_profiles():
    assert get_profile("quick").sample_size == 10000 and get_profile("full").sample_size is None
    with pytest.raises(FieldError, match=r"run.profile fast: expected one of full, quick, tiny"):
        RunConfig(profile="fast")
    for name in variant_names():
        for profile in PROFILES.values():  # every profile setting is a real, valid parameter
            variant_class(name).resolve_params(profile_params(variant_class(name), profile))


def test_pareto_front_and_plot():
    points = {"a": (1.0, 0.6), "b": (10.0, 0.7), "c": (20.0, 0.65), "d": (100.0, 0.8)}
    assert pareto_front(points) == ["a", "b", "d"]
    store = ResultsStore(variants={n: make_result(n, a, seconds=t) for n, (t, a) in points.items()})
    image = render_tradeoff(store, ["a", "b", "c", "d"])
    assert image.startswith(b"\x89PNG") and image == render_tradeoff(store, ["a", "b", "c", "d"])
    assert render_tradeoff(ResultsStore(), []) is None


def test_gate_bites_through_the_plugin(pytester, bench_dir):
    baseline = pytester.path / "baseline.json"
    args = [*bench_dir, "-k", "simple", "--bench-profile", "tiny", f"--baseline={baseline}"]
    result = pytester.runpytest_inprocess(*args, "--update-baseline")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        ["*baseline updated for the tiny profile: simple in *baseline.json*"]
    )
    stored = json.loads(baseline.read_text())["profiles"]["tiny"]["simple"]
    assert set(stored) >= {"accuracy", "macro_recall", "commit", "date"}
    assert (pytester.path / "results" / "comparison.md").read_text().count("tiny (") == 1

    pytester.runpytest_inprocess(*args, "--gate").assert_outcomes(passed=2)

    weakened = pytester.runpytest_inprocess(*args, "--gate", "--sample-size", "6")
    weakened.assert_outcomes(passed=1, failed=1)
    weakened.stdout.fnmatch_lines(
        [
            "*_ test_evaluate[[]simple[]] _*",
            "*simple: accuracy 0.* < baseline 0.* - 0.02 (tiny profile)*",
        ]
    )
    comparison = (pytester.path / "results" / "comparison.md").read_text()
    assert "gate failed: simple: accuracy" in comparison

    missing = pytester.runpytest_inprocess(
        *bench_dir, "-k", "linear", "--bench-profile", "tiny", f"--baseline={baseline}", "--gate"
    )
    missing.assert_outcomes(passed=1, failed=1)
    missing.stdout.fnmatch_lines(["*linear: no baseline for the tiny profile*--update-baseline*"])


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
