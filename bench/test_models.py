"""The benchmark cases: a train and an evaluate phase for every registered variant.

``pytest bench`` runs them all; ``pytest bench -k simple`` runs one variant's two phases. The
plugin knows each phase by its ``bench_phase`` marker (the functions may have any name).
"""

import pytest


@pytest.mark.bench_phase("train")
def test_train(bench_case, benchmark):
    """Fit the variant once, timed; train accuracy lands in the tables and the JSON."""
    result = bench_case.train(benchmark)
    assert 0.0 <= result.accuracy <= 1.0


@pytest.mark.bench_phase("evaluate")
def test_evaluate(bench_case, benchmark):
    """Predict the test split once, timed; every test metric lands in the tables and the JSON."""
    result = bench_case.evaluate(benchmark)
    assert result.test.rows == bench_case.test_rows
