"""The behaviour suite: its generation from the TOML files, its scoring, its statistics in
the tables, and the gate on its failure rates."""

import tomllib
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from sentiment_models.behaviour import BUILTIN, SuiteError, load_suite, score_suite
from sentiment_models.gates import BEHAVIOUR_CHECK, Gate, update_baseline
from sentiment_models.reporting.behaviour import (
    analyse_behaviour,
    failure_estimate,
    render_behaviour,
)
from sentiment_models.results import (
    BehaviourResult,
    EvaluateResult,
    Timing,
    VariantRecord,
    encode_items,
    from_json,
    to_json,
)
from sentiment_models.statistics import Runs
from tests.helpers import make_seeds_result, scores

EXAMPLE = Path(__file__).parents[1] / "docs" / "examples" / "behaviour-airline.toml"
CLASSES = ("negative", "neutral", "positive")


# -- generation --------------------------------------------------------------------------------
def test_the_builtin_suite_is_deterministic_of_its_stated_sizes_and_without_duplicates():
    declared = {spec["name"]: spec for spec in tomllib.loads(BUILTIN.read_text())["test"]}
    first, second = load_suite(), load_suite()
    assert [t.digest for t in first.tests] == [t.digest for t in second.tests]
    assert [t.name for t in first.tests] == list(declared)
    kinds = {test.kind for test in first.tests}
    assert kinds == {"MFT", "INV", "DIR"}
    for test in first.tests:
        assert len(test.items) == declared[test.name]["size"], test.name
        assert 100 <= len(test.items) <= 500, test.name
        assert len(set(test.items)) == len(test.items), f"{test.name}: duplicate items"
        assert all("{" not in item.text + item.changed for item in test.items), test.name
        if test.kind == "MFT":
            assert set(test.labels) <= set(CLASSES) and all(not i.changed for i in test.items)
        else:
            assert all(item.changed and item.changed != item.text for item in test.items)
    assert {t.capability for t in first.tests} >= {
        "vocabulary", "negation", "intensity", "emoji", "contrast", "robustness", "fairness"
    }  # fmt: skip


def test_a_teams_file_adds_tests_without_changing_the_builtin_ones_and_patterns_select():
    builtin = {test.name: test.digest for test in load_suite().tests}
    both = load_suite([EXAMPLE])
    assert {t.name: t.digest for t in both.tests if t.name in builtin} == builtin
    chosen = load_suite([EXAMPLE], ["airline-*", "typos"])
    assert [test.name for test in chosen.tests] == ["typos", "airline-trouble", "airline-name-swap"]
    assert load_suite(patterns=["none"]).tests == ()
    airlines = tomllib.loads(EXAMPLE.read_text())["lexicon"]["airline"]
    for item in chosen.tests[2].items:  # the same text but for the airline
        (before,) = [name for name in airlines if name in item.text]
        (after,) = [name for name in airlines if name in item.changed]
        assert before != after and item.text.replace(before, after) == item.changed


def _suite_file(tmp_path, body: str) -> Path:
    path = tmp_path / "team.toml"
    path.write_text(body)
    return path


BAD_SUITES = [
    ('[[test]]\nname = "x"\nkind = "MFT"\nsize = 5\nlabel = "positive"\ntemplate = ["a"]\n',
     "test x: unknown key(s) template"),
    ('[[test]]\nname = "x"\nkind = "MFT"\nsize = 5\nlabel = "positive"\ntemplates = ["{nope}"]\n',
     "test x: no lexicon 'nope'; the lexicons are"),
    ('[[test]]\nname = "x"\nkind = "MFT"\nsize = 500\nlabel = "positive"\ntemplates = ["{day}"]\n',
     "test x: only 8 distinct items after 25,000 draws, 500 asked; lower its size to 8"),
    ('[[test]]\nname = "typos"\nkind = "MFT"\nsize = 5\nlabel = "positive"\ntemplates = ["{day}"]\n',
     "test 'typos' is defined twice (also in "),
    ('[[test]]\nname = "x"\nkind = "MF"\nsize = 5\n', "test x: 'kind' must be one of MFT, INV, DIR"),
    ('[[test]]\nname = "x"\nkind = "INV"\nsize = 5\nfrom = ["typos"]\nperturb = "upper"\n',
     "test x: 'from' names typos, not minimum functionality tests"),
    ('[[test]]\nname = "Bad Name"\nkind = "MFT"\n', "'name' must be 1-41 lower-case letters"),
    ('[lexicon]\nday = ["x"]\n', "lexicon 'day' is defined twice"),
    ("[[test]\n", "not valid TOML"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "said"), BAD_SUITES)
def test_a_bad_suite_file_says_where_and_what_to_do(tmp_path, body, said):
    path = _suite_file(tmp_path, body)
    with pytest.raises(SuiteError) as error:
        load_suite([path])
    assert str(path) in str(error.value) and said in str(error.value)


def test_missing_files_and_unknown_test_names_name_their_option(tmp_path):
    with pytest.raises(SuiteError, match=r"^run.behaviour_suites .*nope.toml: no such file"):
        load_suite([tmp_path / "nope.toml"])
    with pytest.raises(SuiteError, match=r"^run.behaviour_tests negation: no behaviour test"):
        load_suite(patterns=["negation"])


# -- scoring -----------------------------------------------------------------------------------
class KeywordModel:
    """A real (if naive) model built here: positive on a positive word, negative on a
    negative word, else neutral; blind to negation, emoji and word order."""

    classes_ = np.asarray(CLASSES, dtype=object)
    POSITIVE: ClassVar[set[str]] = {
        "good",
        "great",
        "love",
        "like",
        "amazing",
        "excellent",
        "wonderful",
    }
    NEGATIVE: ClassVar[set[str]] = {
        "bad",
        "terrible",
        "hate",
        "awful",
        "horrible",
        "boring",
        "poor",
    }

    def predict_proba(self, texts):
        rows = []
        for text in texts:
            words = set(text.lower().replace(".", " ").replace("!", " ").split())
            pos, neg = len(words & self.POSITIVE), len(words & self.NEGATIVE)
            rows.append([0.1 + neg, 0.5, 0.1 + pos])
        proba = np.asarray(rows)
        return proba / proba.sum(axis=1, keepdims=True)


def test_scoring_finds_what_a_keyword_model_cannot_do():
    suite = load_suite(patterns=["negated-positive", "emoji-*", "upper-case", "typos"])
    model = KeywordModel()
    outcomes, skipped = score_suite(suite, model.predict_proba, CLASSES)
    assert not skipped
    negated = outcomes["negated-positive"]
    # "not good" reads as positive when its adjective is one the model knows, else neutral
    texts = [item.text for item in suite.tests[0].items]
    knows = np.array([bool(set(t.lower().rstrip(".").split()) & model.POSITIVE) for t in texts])
    assert negated.rate == 1.0 and len(negated.failures) == len(texts)
    assert sum("predicted positive" in f for f in negated.failures) == knows.sum()
    assert outcomes["emoji-positive"].rate == 1.0  # no emoji in its vocabulary
    assert outcomes["upper-case"].rate == 0.0  # it folds case
    typos = outcomes["typos"]
    assert 0 < typos.rate < 0.5  # only typos inside a known sentiment word change its label
    assert all(" became " in failure for failure in typos.failures)


def test_directional_tests_allow_the_tolerance_and_no_more():
    suite = load_suite(patterns=["positive-phrase-appended"])
    items = suite.tests[0].items

    def shifted(by):
        def predict(texts):
            p = np.array([0.5 + (by if t in {i.changed for i in items} else 0) for t in texts])
            return np.column_stack([1 - p, np.zeros_like(p), p])

        return predict

    within, _ = score_suite(suite, shifted(-0.09), CLASSES)
    beyond, _ = score_suite(suite, shifted(-0.11), CLASSES)
    assert within["positive-phrase-appended"].rate == 0.0
    assert beyond["positive-phrase-appended"].rate == 1.0
    assert "P(positive) 0.50 -> 0.39" in beyond["positive-phrase-appended"].failures[0]


def test_tests_a_models_classes_cannot_answer_are_skipped_with_the_reason():
    suite = load_suite(patterns=["neutral-statements", "negated-negative", "diminisher-added"])
    outcomes, skipped = score_suite(
        suite, lambda texts: np.tile([0.4, 0.6], (len(texts), 1)), ["negative", "positive"]
    )
    assert skipped == {"neutral-statements": "expects neutral, not among the classes"}
    assert outcomes["negated-negative"].rate == 0.0  # positive passes "not bad"
    assert "diminisher-added" in outcomes


# -- statistics and tables -----------------------------------------------------------------------
def _behaviour(failed: np.ndarray, digest="d1") -> BehaviourResult:
    return BehaviourResult(
        title="negated positive",
        kind="MFT",
        capability="negation",
        digest=digest,
        items=len(failed),
        failures=int(failed.sum()),
        failed=encode_items(failed),
        examples=("'not good': expected negative, predicted positive (0.70)",),
    )


def _with_behaviour(record: VariantRecord, rate: float, items: int = 200) -> VariantRecord:
    from dataclasses import replace

    runs = []
    for run in record.runs:
        failed = np.random.default_rng(run.seed).random(items) < rate
        runs.append(replace(run, behaviour={"negated-positive": _behaviour(failed)}))
    return replace(record, runs=tuple(runs))


def test_failure_rates_have_intervals_ranks_and_a_section_on_the_page():
    records = {
        "weak": _with_behaviour(make_seeds_result("weak", 0.7), 0.6),
        "strong": _with_behaviour(make_seeds_result("strong", 0.7), 0.1),
        "close": _with_behaviour(make_seeds_result("close", 0.7), 0.13),
    }
    found = analyse_behaviour(records, list(records))
    (row,) = found.tests
    weak = row.failure["weak"]
    assert weak.low < weak.mean < weak.high and 0.5 < weak.mean < 0.7
    assert row.ranks == {"weak": (3, 3), "strong": (1, 2), "close": (1, 2)}
    page = "\n".join(render_behaviour(records, list(records)))
    assert "## Behaviour: failure rate per test" in page
    assert "one Holm family of 3 tests at alpha 0.05" in page
    assert f"**{100 * weak.mean:.1f} [{100 * weak.low:.1f}, {100 * weak.high:.1f}]** #3" in page
    assert "<summary><code>negated-positive</code> (negated positive): failing examples" in page
    assert "- weak: 'not good': expected negative, predicted positive (0.70)" in page


def test_a_rate_of_zero_or_one_gets_the_exact_interval_not_a_zero_width_one():
    from statsmodels.stats.proportion import proportion_confint

    none_failed = Runs.of([np.ones(150), np.ones(150)], np.ones(150), 2, [0, 1])
    found = failure_estimate(none_failed)
    assert found.mean == 0 and found.low == 0
    assert found.high == pytest.approx(proportion_confint(0, 150, 0.05, "beta")[1])
    assert 0.02 < found.high < 0.03


def test_behaviour_results_round_trip_through_the_serializer():
    result = _behaviour(np.array([True, False, True]))
    back = from_json(BehaviourResult, to_json(result))
    assert back == result and back.rate == pytest.approx(2 / 3)
    assert "every_failure" not in to_json(result)


# -- the gate ------------------------------------------------------------------------------------
def _gated(tmp_path, baseline_rate: float, new_rate: float, new_digest: str = "d1", seeds=(5, 6)):
    from tests.test_gates import _runs, _split

    path = tmp_path / "baseline.json"
    record = make_seeds_result("lstm", 0.75, test_digest=_split().test.digest)
    update_baseline(path, "quick", {"lstm": _with_behaviour(record, baseline_rate)})
    runs = {}
    for seed, (split, result) in _runs(0.75, seeds=seeds).items():
        failed = np.random.default_rng(seed).random(200) < new_rate
        from dataclasses import replace

        runs[seed] = (
            split,
            replace(result, behaviour={"negated-positive": _behaviour(failed, new_digest)}),
        )
    return Gate(path, alpha=0.01, min_effect=0.005).check("lstm", "quick", runs)


def test_the_gate_fails_a_significant_rise_in_a_failure_rate(tmp_path):
    verdict = _gated(tmp_path, 0.2, 0.5)
    (failure,) = [f for f in verdict.failures if "behaviour" in f]
    assert failure.startswith("lstm: behaviour test negated-positive: failure rate 0.4")
    assert "Holm over the variant's 1 behaviour tests" in failure
    assert "a rise significantly larger than 0.02 (alpha 0.01)" in failure
    assert "one new seed" not in failure  # two new seeds here
    (check,) = [c for c in verdict.checks if c.metric.startswith(BEHAVIOUR_CHECK)]
    assert check.failed and check.drop > 0.25


def test_a_failure_with_one_new_seed_says_how_far_to_trust_it(tmp_path):
    """With one new run the behaviour gate errs above alpha (measured); its failure says so
    and how to confirm."""
    verdict = _gated(tmp_path, 0.2, 0.5, seeds=(5,))
    (failure,) = [f for f in verdict.failures if "behaviour" in f]
    assert failure.endswith(
        "(alpha 0.01); with one new seed this check fails unchanged variants more often than "
        "alpha (docs/statistics.md#the-behaviour-gate): confirm with --seeds 0,1,2"
    )


def test_the_gate_passes_noise_and_warns_of_tests_it_cannot_pair(tmp_path):
    same = _gated(tmp_path, 0.2, 0.2)
    assert not [f for f in same.failures if "behaviour" in f]
    (check,) = [c for c in same.checks if c.metric.startswith(BEHAVIOUR_CHECK)]
    assert not check.failed and 0.02 < check.detectable < 0.3
    changed = _gated(tmp_path, 0.2, 0.9, new_digest="d2")
    assert not [f for f in changed.failures if "behaviour" in f]
    assert any(
        "behaviour tests not gated (not in the baseline, or their items changed since): "
        "negated-positive; rebuild it with: pytest bench --bench-profile quick -k lstm "
        "--update-baseline" in warning
        for warning in changed.warnings
    )


def test_evaluate_results_carry_behaviour_and_check_seconds():
    result = EvaluateResult(
        timing=Timing(1.0, 1.0),
        test=scores(0.7, 0.7),
        model_size_bytes=1,
        predictions=(),
        behaviour={"x": _behaviour(np.array([True]))},
        check_seconds={"behaviour": 0.5},
    )
    assert to_json(result)["check_seconds"] == {"behaviour": 0.5}


# -- through the plugin ------------------------------------------------------------------------
def test_a_bad_suite_file_is_refused_before_any_training_in_a_real_process(pytester, bench_dir):
    broken = pytester.path / "team.toml"
    broken.write_text('[[test]]\nname = "x"\nkind = "MFT"\nsize = 5\nlabel = "positive"\n')
    run = pytester.runpytest_subprocess(*bench_dir, "-k", "vader", f"--behaviour-suite={broken}")
    assert run.ret == 4
    run.stderr.fnmatch_lines(
        ["ERROR: *team.toml, test x: 'templates' must be a non-empty list of strings"]
    )
    unknown = pytester.runpytest_subprocess(*bench_dir, "-k", "vader", "--behaviour-tests=negation")
    assert unknown.ret == 4
    unknown.stderr.fnmatch_lines(["ERROR: --behaviour-tests negation: no behaviour test*"])
    assert "training on" not in run.stdout.str() + unknown.stdout.str()


def test_the_suite_runs_on_every_seed_lands_in_the_results_and_can_be_switched_off(
    pytester, bench_dir
):
    args = [*bench_dir, "-k", "linear or vader", "--seeds", "0,1"]
    result = pytester.runpytest_inprocess(*args, f"--behaviour-suite={EXAMPLE}")
    result.assert_outcomes(passed=6)
    result.stdout.fnmatch_lines(["behaviour (26 tests), worst test per variant: linear *, vader *"])
    stored = (pytester.path / "results" / "results.json").read_text()
    import json

    runs = json.loads(stored)["variants"]["linear"]["runs"]
    assert [len(run["behaviour"]) for run in runs] == [26, 26]
    assert runs[0]["behaviour"]["airline-trouble"]["items"] == 100
    assert all(run["check_seconds"]["behaviour"] >= 0 for run in runs)
    page = (pytester.path / "results" / "comparison.md").read_text()
    assert "| `airline-trouble`" in page and "## Behaviour: failure rate per test" in page
    off = pytester.runpytest_inprocess(*args, "--behaviour-tests=none")
    off.assert_outcomes(passed=6)
    assert "## Behaviour" not in (pytester.path / "results" / "comparison.md").read_text()


@pytest.mark.integration
def test_a_planted_negation_defect_fails_the_gate_while_accuracy_barely_moves(tmp_path):
    """On real data (the quick profile's sample of the embedded default dataset): ``linear``
    made to drop negation words (tests/negation_defect.py) against its own clean baseline."""
    import json
    import subprocess
    import sys

    root = Path(__file__).parents[1]
    base = [sys.executable, "-m", "pytest", "bench", "-k", "linear", "--bench-profile", "quick"]
    base += ["--no-mlflow", "-p", "no:cacheprovider", f"--baseline={tmp_path / 'base.json'}"]

    def session(folder, *extra):
        command = [*base, f"--results-dir={tmp_path / folder}", *extra]
        return subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=600)

    clean = session("clean", "--update-baseline")
    assert clean.returncode == 0, clean.stdout[-3000:]
    broken = session("broken", "-p", "tests.negation_defect", "--gate")
    assert broken.returncode == 1, broken.stdout[-3000:]
    failures = [line for line in broken.stdout.splitlines() if line.startswith("GATE FAILED")]
    assert failures and all("behaviour test negated-" in line for line in failures), failures
    accuracy = {
        folder: json.loads((tmp_path / folder / "results.json").read_text())["variants"]["linear"]
        for folder in ("clean", "broken")
    }
    before, after = (accuracy[f]["runs"][0]["test"]["accuracy"] for f in ("clean", "broken"))
    negated = [
        accuracy[f]["runs"][0]["behaviour"]["negated-positive"]["failures"]
        for f in ("clean", "broken")
    ]
    print(f"accuracy {before:.4f} -> {after:.4f}; negated-positive failures {negated}")
    print(*failures, sep="\n")
    assert abs(after - before) < 0.01  # the test split hardly needs negation
    assert negated[1] - negated[0] > 40  # of 200 items


def test_the_docs_list_every_builtin_test_as_it_is():
    doc = (Path(__file__).parents[1] / "docs" / "behaviour.md").read_text()
    suite = load_suite()
    for test in suite.tests:
        assert f"| `{test.name}` | {test.kind} | {test.capability} | {len(test.items)} |" in doc
    items = sum(len(test.items) for test in suite.tests)
    assert (
        f"{len(suite.tests)} tests, {items:,} items, {len(suite.texts()):,} distinct texts" in doc
    )


def test_the_terminal_and_the_job_summary_sum_the_behaviour_checks_up(tmp_path):
    from sentiment_models.pytest_plugin.writer import gate_lines
    from sentiment_models.reporting.analysis import analyse
    from sentiment_models.reporting.ci import SessionReport, job_summary
    from sentiment_models.results import ResultsStore, SessionInfo

    verdict = _gated(tmp_path, 0.2, 0.5)
    (line,) = gate_lines(verdict.checks)
    assert line.startswith("gate FAILED lstm: accuracy 0.7500 vs 0.75")
    assert "; behaviour (1 tests): failed negated-positive, could detect failure-rate rises" in line
    store = ResultsStore({"lstm": make_seeds_result("lstm", 0.75)}, SessionInfo("2026-12-04"))
    report = SessionReport(
        store,
        analyse(store, ["lstm"]),
        ("lstm",),
        tuple(verdict.checks),
        {"lstm": tuple(verdict.failures)},
        profile="quick",
    )
    summary = job_summary(report, ["lstm"])
    assert "❌ behaviour negated-positive: failure rate rose 0.3" in summary
    assert "behaviour (1 tests): failed negated-positive" in summary


def test_a_stored_behaviour_result_that_disagrees_with_itself_is_refused_on_read(tmp_path):
    import json

    from sentiment_models.errors import StoreError
    from sentiment_models.reporting.store import read_results, update_results
    from sentiment_models.results import SessionInfo

    record = _with_behaviour(make_seeds_result("lstm", 0.7, seeds=(0,)), 0.3)
    update_results(tmp_path, {"lstm": record}, SessionInfo("now"), lambda store: {})
    assert read_results(tmp_path).variants["lstm"].first.behaviour["negated-positive"].items == 200
    path = tmp_path / "results.json"
    original = json.loads(path.read_text())
    where = "variant 'lstm', seed 0: behaviour.negated-positive"
    changes = [
        (lambda test: test.update(failures=test["failures"] + 1), f"{where}.failures: stored"),
        (lambda test: test.update(failed=encode_items(np.full(200, 2))), f"{where}.failed: 200"),
        (lambda test: test.update(items=100), f"{where}.failed: 200 values (0 or 1 expected)"),
        (lambda test: test.update(failed="%%%"), f"{where}.failed: unreadable"),
    ]
    for change, message in changes:
        document = json.loads(json.dumps(original))
        change(document["variants"]["lstm"]["runs"][0]["behaviour"]["negated-positive"])
        path.write_text(json.dumps(document))
        with pytest.raises(StoreError) as error:
            read_results(tmp_path)
        assert str(error.value).startswith(f"{path}, {message}"), error.value


def test_a_baseline_whose_seeds_agree_on_the_count_by_chance_does_not_make_a_rise_certain():
    """Three seeds that fail the same number of items, different ones each time, measure
    no spread of the count (V = 0), yet a run varies by at least its item-by-seed noise
    (W); the behaviour gate's test keeps V at W or above."""
    from sentiment_models.statistics import Runs, drop_test

    def runs(rows: list[list[int]]) -> Runs:
        failed = np.zeros((len(rows), 100), dtype=np.int16)
        for row, items in zip(failed, rows, strict=True):
            row[items] = 1
        return Runs.of(list(1 - failed), np.ones(100, dtype=np.int16), 2)

    baseline = runs([[0, 1, 2], [3, 4, 5], [6, 7, 8]])  # 3 failures each, none shared
    new = runs([[0, 3, 6, 9, 10]])  # 5: two more
    plain = drop_test(new, baseline, "accuracy", 0.005)
    floored = drop_test(new, baseline, "accuracy", 0.005, noise_floor=True)
    assert plain.error < 1e-9 and plain.p_value < 1e-12  # the defect the floor mends
    assert floored.error > 0.0199 and floored.p_value > 0.2


def test_with_no_failure_on_either_side_the_gate_quotes_a_binomial_detectable_rise(tmp_path):
    from scipy.stats import norm

    verdict = _gated(tmp_path, 0.0, 0.0)
    (check,) = [c for c in verdict.checks if c.metric.startswith(BEHAVIOUR_CHECK)]
    assert not check.failed
    d = check.detectable  # not the margin the zero-spread t formula would give
    z = norm.ppf(1 - 0.01) + norm.ppf(0.8)
    assert d == pytest.approx(0.02 + z * np.sqrt(d * (1 - d) / 200))  # the behaviour margin
    assert 0.07 < d < 0.1


def test_the_rows_keep_one_order_whatever_order_the_records_hold_the_tests_in():
    from dataclasses import replace

    record = _with_behaviour(make_seeds_result("lstm", 0.7), 0.3)
    run = record.runs[0]
    tests = {
        name: replace(run.behaviour["negated-positive"], kind=kind, capability=capability)
        for name, kind, capability in [
            ("z-dir", "DIR", "vocabulary"),
            ("typos", "INV", "robustness"),
            ("b-mft", "MFT", "negation"),
            ("a-mft", "MFT", "vocabulary"),
        ]
    }
    forward = replace(record, runs=tuple(replace(r, behaviour=tests) for r in record.runs))
    backward = replace(
        record, runs=tuple(replace(r, behaviour=dict(reversed(tests.items()))) for r in record.runs)
    )
    orders = [
        [row.name for row in analyse_behaviour({"lstm": found}, ["lstm"]).tests]
        for found in (forward, backward)
    ]
    assert orders == [["b-mft", "a-mft", "typos", "z-dir"]] * 2


@pytest.mark.integration  # a subprocess: the measurement script on a tiny store
def test_the_measurement_script_measures_the_behaviour_gate_as_the_product_decides(tmp_path):
    """``bench/measure_statistics.py --behaviour`` on a store the test writes: the per-test
    rows of the named test, then the gate's decision over every test of the variant (one
    that no seed ever failed included, redrawn as stored): its type-I error and its power
    at the drop planted in the named test."""
    import subprocess
    import sys
    from dataclasses import replace

    from sentiment_models.reporting.store import update_results
    from sentiment_models.results import SessionInfo

    record = _with_behaviour(make_seeds_result("lstm", 0.7), 0.3)
    never = _behaviour(np.zeros(150, dtype=bool), digest="d9")
    runs = tuple(
        replace(run, behaviour={**run.behaviour, "upper-case": never}) for run in record.runs
    )
    update_results(tmp_path, {"lstm": replace(record, runs=runs)}, SessionInfo("now"), lambda _: {})
    script = Path(__file__).resolve().parent.parent / "bench" / "measure_statistics.py"
    command = [sys.executable, str(script), str(tmp_path), "--behaviour", "negated-positive"]
    command += ["--replicates", "5", "--drops", "0.1"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ") and "lstm" in line]
    family = [row for row in rows if "Holm over the variant's 2 tests" in row]
    assert [row.split("|")[1].strip() for row in family] == [
        "type-I error",
        "power at a drop of 0.1 in negated-positive",
    ], rows
    assert all("min effect 0.02" in row and "| 5 " in row for row in family)
    per_test = [row for row in rows if "lstm / negated-positive" in row]
    assert len(per_test) == 4, rows  # type-I, power, coverage with 3 seeds and with 1
    assert not [row for row in rows if "upper-case" in row]  # in the family, not measured alone


def test_the_gate_line_leaves_tests_that_cannot_rise_out_of_the_detectable_range():
    """A test that fails 99% of its items can rise by 0.01 at most: quoting that as a rise
    it "could detect" would read as great power; the line counts such tests apart."""
    from sentiment_models.gates import behaviour_summary
    from sentiment_models.results import GateCheck

    def check(name: str, pass_rate: float, detectable: float) -> GateCheck:
        return GateCheck(
            "lstm", f"{BEHAVIOUR_CHECK}{name}", pass_rate, pass_rate, 1.0, detectable, False
        )

    checks = [check("typos", 0.8, 0.06), check("questions", 0.9, 0.11), check("emoji", 0.01, 0.01)]
    assert behaviour_summary(checks) == (
        "behaviour (3 tests): no significant rise, could detect failure-rate rises of 0.060 "
        "to 0.110 or more (1 failing too many items to rise that far)"
    )
    assert behaviour_summary(checks[2:]) == (
        "behaviour (1 tests): no significant rise, none could detect a rise "
        "(1 failing too many items to rise that far)"
    )
