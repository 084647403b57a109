"""The statistics: metrics on per-item predictions, intervals and tests over test items and
seeds (method of moments, Satterthwaite), McNemar and Holm from statsmodels, rank
intervals from the verdicts and the gate's one-sided test; checked by simulation."""

import math

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import accuracy_score, recall_score
from statsmodels.stats.contingency_tables import mcnemar

from sentiment_models.simulation import SeedModel
from sentiment_models.statistics import (
    Runs,
    compare,
    difference,
    drop_test,
    estimate,
    holm,
    mcnemar_p,
    metric_of,
)
from tests.helpers import item_labels, predicted_with


def runs(*accuracies, n_items=300, seed=0, fixed=False):
    rows = [
        predicted_with(accuracy, seed + index, n_items) for index, accuracy in enumerate(accuracies)
    ]
    return Runs.of(rows, item_labels(n_items), 3, range(len(rows)), fixed=fixed)


def test_metrics_agree_with_scikit_learn():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 500)
    predicted = np.where(rng.random(500) < 0.7, labels, rng.integers(0, 3, 500))
    assert metric_of(predicted, labels, "accuracy", 3) == pytest.approx(
        accuracy_score(labels, predicted)
    )
    assert metric_of(predicted, labels, "macro_recall", 3) == pytest.approx(
        recall_score(labels, predicted, average="macro")
    )
    rows = metric_of(np.vstack([predicted, labels]), labels, "macro_recall", 3)
    assert rows == pytest.approx([recall_score(labels, predicted, average="macro"), 1.0])
    with pytest.raises(ValueError, match="unknown metric"):
        metric_of(predicted, labels, "f2", 3)


def test_one_run_has_an_item_interval_marked_conditional_unless_the_seed_is_ignored():
    single = estimate(runs(0.70), "accuracy")
    assert single.sd is None and single.seeds == 1 and single.conditional
    # one run: the binomial interval over 300 items
    half = stats.norm.ppf(0.975) * math.sqrt(0.7 * 0.3 / 299)
    assert (single.low, single.high) == pytest.approx((0.70 - half, 0.70 + half), rel=0.01)
    assert single.show().endswith("]*") and "±" not in single.show()
    fixed = estimate(runs(0.70, fixed=True), "accuracy")
    assert not fixed.conditional and (fixed.low, fixed.high) == (single.low, single.high)


def test_the_interval_of_the_mean_counts_the_seeds_spread():
    """Three runs whose accuracies differ far more than item noise explains: the interval
    of their mean is a t interval on 2 degrees of freedom of the seed means, not the
    items' binomial one."""
    spread = estimate(runs(0.60, 0.70, 0.80, n_items=3000), "accuracy")
    assert spread.mean == pytest.approx(0.70) and spread.sd == pytest.approx(0.10)
    seed_only = stats.t.ppf(0.975, 2) * 0.10 / math.sqrt(3)
    assert spread.high - spread.mean == pytest.approx(seed_only, rel=0.1)
    assert spread.show().startswith("0.7000 ± 0.1000 [")
    narrow = estimate(runs(0.70, 0.70, 0.70, n_items=3000), "accuracy")
    assert narrow.high - narrow.low < (spread.high - spread.low) / 5


def test_mcnemar_is_statsmodels_exact_test_on_one_run_a_side():
    first, second = runs(0.80), runs(0.70, seed=5)
    a = first.predicted[0] == first.labels
    b = second.predicted[0] == second.labels
    table = [[np.sum(a & b), np.sum(a & ~b)], [np.sum(~a & b), np.sum(~a & ~b)]]
    assert mcnemar_p(first, second) == pytest.approx(mcnemar(table, exact=True).pvalue)
    with pytest.raises(ValueError, match="one run a side"):
        mcnemar_p(runs(0.8, 0.8), second)


def test_holm():
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([]) == []


def test_the_difference_of_seed_means_is_a_welch_test_when_seeds_dominate():
    """Two variants whose runs differ across seeds far more than on items: the test of
    the difference reduces to Welch's t test on the per-seed scores (scipy)."""
    first, second = runs(0.60, 0.70, 0.80, n_items=3000), runs(0.75, 0.85, 0.80, n_items=3000)
    found = difference(first, second, "accuracy")
    welch = stats.ttest_ind(
        first.per_seed("accuracy"), second.per_seed("accuracy"), equal_var=False
    )
    assert found.value == pytest.approx(-0.10)
    assert found.p_two_sided() == pytest.approx(welch.pvalue, rel=0.15)
    assert found.df == pytest.approx(welch.df, rel=0.2)


def test_seed_matched_pairs_use_the_per_seed_differences():
    source = runs(0.60, 0.70, 0.80, n_items=3000)
    derived = Runs(source.predicted.copy(), source.labels, 3, (0, 1, 2))
    derived.predicted[:, :30] = (source.labels[:30] + 1) % 3  # 30 more items wrong in each
    matched = difference(source, derived, "accuracy", matched=True)
    apart = difference(source, derived, "accuracy")
    assert matched.value == pytest.approx(apart.value) and matched.value > 0
    assert matched.error < apart.error / 5 and matched.p_two_sided() < 1e-3
    assert apart.p_two_sided() > 0.5  # the seeds' spread hides it when seeds are not matched
    with pytest.raises(ValueError, match="share no seed"):
        difference(
            source, Runs(source.predicted, source.labels, 3, (7, 8, 9)), "accuracy", matched=True
        )


def test_compare_gives_verdicts_one_family_and_ranks_from_the_tests():
    _, comparison = compare(
        {
            "low": runs(0.55, 0.56, 0.555),
            "top": runs(0.80, 0.81, 0.805, seed=3),
            "near": runs(0.795, 0.80, 0.80, seed=9),
        }
    )
    assert comparison.best == "top" and comparison.tied == ("near",)
    assert comparison.family == 6  # 3 pairs x 2 metrics, one Holm family
    assert comparison.ranks == {"low": (3, 3), "top": (1, 2), "near": (1, 2)}
    test = comparison.pair("top", "low", "accuracy")
    assert test.test == "paired t (items and seeds)" and test.winner(0.05) == "top"
    near = comparison.pair("top", "near", "accuracy")
    assert near.verdict(0.05) == "inconclusive" and near.detectable > abs(near.difference)
    assert all(t.p_holm >= t.p_value for t in comparison.pairs)
    again = compare(
        {
            "low": runs(0.55, 0.56, 0.555),
            "top": runs(0.80, 0.81, 0.805, seed=3),
            "near": runs(0.795, 0.80, 0.80, seed=9),
        }
    )[1]
    assert again.ranks == comparison.ranks  # no resampling: the same ranks every time


def test_one_fitted_model_a_side_is_compared_by_mcnemar_and_flagged():
    _, comparison = compare({"a": runs(0.80), "b": runs(0.70, seed=5)})
    test = comparison.pair("a", "b", "accuracy")
    assert test.test.startswith("McNemar") and test.conditional == ("a", "b")
    same = predicted_with(0.80, 0, 300)  # a seed-ignoring training: the same runs
    twice = Runs.of([same, same], item_labels(300), 3, (0, 1), fixed=True)
    fixed = compare({"a": twice, "b": runs(0.70, fixed=True)})[1]
    fixed_test = fixed.pair("a", "b", "accuracy")
    assert fixed_test.test.startswith("McNemar") and fixed_test.conditional == ()


def test_drop_test_is_one_sided_and_counts_the_margin():
    baseline = runs(0.75, 0.76, 0.74)
    planted = drop_test(runs(0.60, seed=20), baseline, "accuracy")
    # 3 baseline seeds (0.74 to 0.76): a t test on few degrees of freedom; p is not tiny
    assert planted.drop == pytest.approx(0.15) and planted.p_value < 0.01 and planted.df < 5
    assert "one-sided p of a drop = 0.00" in planted.describe()
    noise = drop_test(runs(0.745, seed=30), baseline, "accuracy")
    assert noise.p_value > 0.05
    better = drop_test(runs(0.85, seed=40), baseline, "macro_recall")
    assert better.drop < 0 and better.p_value > 0.9
    beyond = drop_test(runs(0.60, seed=20), baseline, "accuracy", margin=0.14)
    assert beyond.p_value > planted.p_value and "beyond 0.14" in beyond.describe()
    assert beyond.detectable(0.01) == pytest.approx(planted.detectable(0.01) + 0.14)
    lonely = drop_test(runs(0.70, seed=20), runs(0.75), "accuracy")
    assert lonely.conditional and "not measured" in lonely.describe()


def test_runs_refuse_mismatched_items():
    with pytest.raises(ValueError, match="299 predictions for 300 test items"):
        Runs.of([np.zeros(299)], item_labels(300), 3)


def _model(n_items: int, tau: float, seed: int = 7) -> SeedModel:
    """A known model of runs: items of shared difficulty (mean accuracy about 0.73) and a
    seed effect of standard deviation ``tau`` on the logit scale."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n_items)
    base = stats.norm.ppf(rng.beta(4, 1.5, n_items)) * 1.7
    return SeedModel(base, tau, labels, 3)


def _rate(hits: int, replicates: int, target: float) -> float:
    """The upper end of two Monte Carlo standard errors around ``target``."""
    return target + 2 * math.sqrt(target * (1 - target) / replicates)


@pytest.mark.parametrize("tau", [0.0, 0.2])
def test_by_simulation_the_tests_hold_alpha_and_the_intervals_cover(tau):
    """200 replicates from a known model, items drawn anew each time, three seeds a side
    (Monte Carlo standard error about 1.5 points at 5%): the comparison's two-sided test
    rejects equal variants at most alpha (0.05) of the time, on accuracy and macro recall;
    the 95% interval of the seed mean holds the true mean 93 to 97% of the time (within
    two standard errors). With tau 0.2 the seeds' spread dominates the item noise."""
    model, rng, replicates = _model(600, tau), np.random.default_rng(11), 200
    rejected = {"accuracy": 0, "macro_recall": 0}
    covered = {"accuracy": 0, "macro_recall": 0}
    truth = {metric: model.truth(metric) for metric in covered}
    for _ in range(replicates):
        items = rng.integers(0, 600, 600)
        first, second = model.draw(3, items, rng), model.draw(3, items, rng)
        for metric in rejected:
            rejected[metric] += difference(first, second, metric).p_two_sided() < 0.05
            found = estimate(first, metric)
            covered[metric] += found.low <= truth[metric] <= found.high
    print(f"tau {tau}: rejected {rejected}, covered {covered} of {replicates}")
    for metric in rejected:
        assert rejected[metric] / replicates <= _rate(0, replicates, 0.05), rejected
        error = 2 * math.sqrt(0.95 * 0.05 / replicates)
        assert 0.93 - error <= covered[metric] / replicates <= 0.97 + error, covered


def test_by_simulation_the_gate_holds_alpha_and_finds_the_drop_it_quotes():
    """The gate's setting: one new seed against three baseline seeds of the same variant,
    200 replicates each: with no drop it rejects at most alpha (0.05); a drop of the size
    ``DropTest.detectable`` quotes (80% power) is found about 80% of the time."""
    model, rng, replicates, alpha = _model(600, 0.15), np.random.default_rng(5), 200, 0.05

    def test(share: float):
        items = rng.integers(0, 600, 600)
        dropped = model.drop(share, items, rng) if share else None
        return drop_test(model.draw(1, items, rng, dropped), model.draw(3, items, rng), "accuracy")

    null = [test(0.0) for _ in range(replicates)]
    quoted = float(np.median([found.detectable(alpha) for found in null]))
    found = [test(quoted).p_value < alpha for _ in range(replicates)]
    type_one = np.mean([test.p_value < alpha for test in null])
    power = float(np.mean(found))
    print(f"type-I error {type_one:.3f}, detectable drop {quoted:.4f}, power {power:.3f}")
    assert type_one <= _rate(0, replicates, alpha), type_one
    assert 0.01 < quoted < 0.2
    assert power >= 0.8 - 2 * math.sqrt(0.8 * 0.2 / replicates), (quoted, power)


def test_the_seed_model_calibrates_to_runs_it_drew():
    """Calibrated to 20 runs of a known model, the seed model draws runs with the same
    disagreement between seeds and about the same seed effect."""
    known, rng = _model(4000, 0.2, seed=3), np.random.default_rng(2)
    items = np.arange(4000)
    stored = known.draw(20, items, rng)
    fitted = SeedModel.calibrated(stored)
    assert fitted.tau == pytest.approx(0.2, rel=0.35)
    redrawn = fitted.draw(20, items, rng)
    disagreement = [float(np.mean(np.var(r.correct, axis=0, ddof=1))) for r in (stored, redrawn)]
    assert disagreement[1] == pytest.approx(disagreement[0], rel=0.1)
    with pytest.raises(ValueError, match="two runs or more"):
        SeedModel.calibrated(stored.select([0]))


@pytest.mark.integration  # a subprocess: the measurement script on a tiny store
def test_the_statistics_measurement_script_prints_its_table(tmp_path):
    """``bench/measure_statistics.py`` on a store the test writes (two variants, three seeds
    of per-item predictions): for the variant asked, one row per procedure and measure (6
    procedures x type-I and one drop) and the four coverage rows."""
    import subprocess
    import sys
    from pathlib import Path

    from sentiment_models.reporting.store import update_results
    from sentiment_models.results import SessionInfo
    from tests.helpers import make_result

    records = {name: make_result(name, 0.7, seeds=(0, 1, 2)) for name in ("a", "b")}
    update_results(tmp_path, records, SessionInfo("now"), lambda store: {})
    script = Path(__file__).resolve().parent.parent / "bench" / "measure_statistics.py"
    done = subprocess.run(
        [
            sys.executable,
            str(script),
            str(tmp_path),
            "--replicates",
            "6",
            "--variants",
            "a",
            "--drops",
            "0.05",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ") and "| a " in line]
    assert len(rows) == 16, rows
    power = [row for row in rows if row.startswith("| power at a drop of 0.05 ") and "gate" in row]
    assert len(power) == 3 and all("| 6 " in row for row in power)
    assert sum(row.startswith("| coverage") for row in rows) == 4
