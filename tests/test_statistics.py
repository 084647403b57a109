"""The statistics: metrics on per-item predictions, bootstrap intervals over items and seeds,
McNemar and Holm from statsmodels, rank intervals and the gate's one-sided test."""

import numpy as np
import pytest
from scipy.stats import norm
from sklearn.metrics import accuracy_score, recall_score
from statsmodels.stats.contingency_tables import mcnemar

from sentiment_models.statistics import (
    Runs,
    bootstrap_p,
    compare,
    drop_test,
    holm,
    mcnemar_p,
    metric_of,
)
from tests.helpers import item_labels, predicted_with


def runs(*accuracies, n_items=300, seed=0):
    rows = [
        predicted_with(accuracy, seed + index, n_items) for index, accuracy in enumerate(accuracies)
    ]
    return Runs.of(rows, item_labels(n_items), 3)


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
    with pytest.raises(ValueError, match="unknown metric"):
        metric_of(predicted, labels, "f2", 3)


def test_estimates_show_seeds_spread_and_an_interval_that_narrows_with_items():
    estimates, comparison = compare({"a": runs(0.70)}, resamples=1000)
    single = estimates["accuracy"]["a"]
    assert comparison is None and single.sd is None and single.seeds == 1
    assert single.low < 0.70 < single.high and "±" not in single.show()
    several, _ = compare({"a": runs(0.70, 0.72, 0.74)}, resamples=1000)
    spread = several["accuracy"]["a"]
    assert spread.mean == pytest.approx(0.72) and spread.sd == pytest.approx(0.02)
    assert spread.show().startswith("0.7200 ± 0.0200 [")
    wide = single.high - single.low
    narrow, _ = compare({"a": runs(0.70, n_items=3000)}, resamples=1000)
    assert narrow["accuracy"]["a"].high - narrow["accuracy"]["a"].low < wide / 2


def test_mcnemar_is_statsmodels_exact_test_and_keeps_the_worst_seed():
    first, second = runs(0.80), runs(0.70, seed=5)
    a = first.predicted[0] == first.labels
    b = second.predicted[0] == second.labels
    table = [[np.sum(a & b), np.sum(a & ~b)], [np.sum(~a & b), np.sum(~a & ~b)]]
    assert mcnemar_p(first, second) == pytest.approx(mcnemar(table, exact=True).pvalue)
    mixed = runs(0.80, 0.71, seed=0)  # the second seed is no better than the other variant
    assert mcnemar_p(mixed, second) > mcnemar_p(first, second)


def test_holm_and_bootstrap_p():
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([]) == []
    draws = np.random.default_rng(0).normal(0.02, 0.01, 4000)
    assert bootstrap_p(0.02, draws) == pytest.approx(2 * norm.sf(2), rel=0.05)  # z = 2
    assert bootstrap_p(0.0, draws) == pytest.approx(1.0)
    assert bootstrap_p(0.0, np.zeros(10)) == 1.0 and bootstrap_p(0.1, np.zeros(10)) == 0.0


def test_compare_marks_the_best_its_ties_and_rank_intervals():
    _, comparison = compare(
        {"low": runs(0.55, 0.56), "top": runs(0.80, 0.81, seed=3), "near": runs(0.79, seed=9)},
        resamples=1000,
    )
    assert comparison.best == "top" and comparison.tied == ("near",)
    assert comparison.ranks["low"][1:] == (3, 3)
    assert comparison.ranks["top"][1] == 1 and comparison.ranks["near"][2] == 2
    test = comparison.pair("top", "low", "accuracy")
    assert test.test == "McNemar exact" and test.significant(0.05)
    recall = comparison.pair("top", "low", "macro_recall")
    assert recall.test == "paired bootstrap" and recall.p_holm >= recall.p_value


def test_drop_test_is_one_sided():
    baseline = runs(0.75, 0.76, 0.74)
    planted = drop_test(runs(0.60, seed=20), baseline, "accuracy", resamples=2000)
    assert planted.drop == pytest.approx(0.15) and planted.p_value < 1e-4
    assert "one-sided p < 0.0001" in planted.describe()
    noise = drop_test(runs(0.745, 0.75, seed=30), baseline, "accuracy", resamples=2000)
    assert noise.p_value > 0.05
    better = drop_test(runs(0.85, seed=40), baseline, "macro_recall", resamples=2000)
    assert better.drop < 0 and better.p_value > 0.9


def test_runs_refuse_mismatched_items():
    with pytest.raises(ValueError, match="299 predictions for 300 test items"):
        Runs.of([np.zeros(299)], item_labels(300), 3)


def _seed_runs(ease: np.ndarray, labels: np.ndarray, shift: float, seeds: int, rng) -> Runs:
    """``seeds`` runs of a model whose chance of being right on item i is ``ease[i] - shift``
    (items of shared difficulty: the runs of two models are correlated, as real ones are)."""
    right = rng.random((seeds, len(labels))) < np.clip(ease - shift, 0, 1)
    wrong = (labels + 1 + rng.integers(0, 2, (seeds, len(labels)))) % 3
    return Runs(np.where(right, labels, wrong).astype(np.int16), labels.astype(np.int16), 3)


def test_the_drop_test_holds_alpha_and_finds_the_drop_it_quotes_as_detectable():
    """Simulation in a model of shared item difficulty, three seeds a side, 200 runs each
    (binomial standard error about 1.5 points at 5%, 2.8 at 80%): with no drop the gate's
    test rejects at most alpha (0.05) of the time; the drop ``DropTest.detectable`` quotes
    (80% power) is found at least about 80% of the time. The quoted figure is conservative
    (about 90% found here): the bootstrap counts the item noise of each run twice, through
    the items and through the seeds."""
    rng = np.random.default_rng(7)
    n_items, alpha = 600, 0.05
    labels = rng.integers(0, 3, n_items)
    ease = rng.beta(4, 1.5, n_items)  # mean accuracy about 0.73

    def test(shift: float):
        new = _seed_runs(ease, labels, shift, 3, rng)
        return drop_test(new, _seed_runs(ease, labels, 0, 3, rng), "accuracy", 400)

    null = [test(0.0) for _ in range(200)]
    planted = float(np.median([found.detectable(alpha) for found in null]))
    power = np.mean([test(planted).p_value < alpha for _ in range(200)])
    type_one = np.mean([found.p_value < alpha for found in null])
    print(f"type-I error {type_one:.3f}, detectable drop {planted:.4f}, power {power:.3f}")
    assert type_one <= alpha + 2 * np.sqrt(alpha * (1 - alpha) / 200), type_one
    assert 0.01 < planted < 0.1
    assert power >= 0.8 - 2 * np.sqrt(0.8 * 0.2 / 200), (planted, power)


@pytest.mark.integration  # a subprocess: the measurement script on a tiny store
def test_the_statistics_measurement_script_prints_its_table(tmp_path):
    """``bench/measure_statistics.py`` on a store the test writes (two variants, three seeds
    of per-item predictions): one row per procedure and drop, and the coverage row."""
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
            "--resamples",
            "200",
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
    assert len(rows) == 7  # 3 type-I, 3 power, 1 coverage
    power = [row for row in rows if "power at a drop of 0.05: gate" in row]
    assert power and "| 6 " in power[0]
