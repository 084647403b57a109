"""Tracking against a real ``mlflow server`` (started and stopped here, on loopback) and the
bench as an MLflow Project (the slowest tests of the suite, in a file of their own)."""

import json
import os
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.mlflow_server import model_server, tracking_server
from tests.test_tracking import check_logged_session, run_bench


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with tracking_server(tmp_path_factory.mktemp("server")) as (uri, _):
        yield uri


def post(url, payload):
    request = urllib.request.Request(
        url, json.dumps(payload).encode(), {"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def test_real_server_round_trip_and_model_serving(pytester, bench_dir, server, tmp_path):
    result = run_bench(pytester, bench_dir, server)
    result.assert_outcomes(passed=4)
    # MLflow's console chatter stays out of pytest's output, in the log the summary names
    output = result.stdout.str() + result.stderr.str()
    assert "View run" not in output and "View experiment" not in output
    line = next(line for line in result.stdout.lines if "its console output is in" in line)
    log = Path(line.split("its console output is in ", 1)[1].split(" (shown with -v)")[0])
    assert "View run simple-seed0 at: http://127.0.0.1" in log.read_text()
    client, cases = check_logged_session(server)
    link = next(line for line in result.stdout.lines if line.startswith("MLflow: open "))
    session = client.get_run(link.rsplit("/", 1)[1])  # the session run's page in the UI
    assert session.data.tags["bench.role"] == "session"
    assert link == (
        f"MLflow: open {server}/#/experiments/{session.info.experiment_id}/runs/"
        f"{session.info.run_id}"
    )
    model_uri = f"runs:/{cases['simple'].info.run_id}/model"
    with model_server(model_uri, server, tmp_path) as url:
        status, body = post(
            f"{url}/invocations",
            {
                "dataframe_records": [
                    {"text": "I love the world"},
                    {"text": "I'm tired"},
                    {"text": "\N{FIRE}" * 3},
                ]
            },
        )
        assert status == 200
        predictions = body["predictions"]
        assert len(predictions) == 3 and {"label", "score"} <= set(predictions[0])
        status, body = post(f"{url}/invocations", {"dataframe_records": [{"text": 12}]})
        assert status == 400, body
        assert "message" in body


def test_server_lost_mid_session_keeps_cases_and_tables(pytester, bench_dir, tmp_path):
    with tracking_server(tmp_path / "doomed") as (uri, process):
        pytester.makeconftest(
            "import os, signal\n"
            "def pytest_runtest_logfinish(nodeid, location):\n"
            "    if nodeid.endswith('test_evaluate[simple-seed0]'):\n"
            f"        os.killpg({process.pid}, signal.SIGKILL)\n"
        )
        result = pytester.runpytest_subprocess(
            *bench_dir.tracked(),
            "--mlflow-uri",
            uri,
            "-k",
            "simple or linear",
        )
    assert result.ret == 1
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["*MLflow: NOT logged: *linear*"])
    stored = json.loads((pytester.path / "results" / "results.json").read_text())
    assert set(stored["variants"]) == {"simple", "linear"}
    assert "| linear" in (pytester.path / "results" / "comparison.md").read_text().replace(
        "|  ", "| "
    )


@pytest.mark.integration
def test_mlproject_runs_the_bench_as_an_mlflow_project(tmp_path, tiny_csv):
    import subprocess
    import sys

    import mlflow  # an integration test: imported here, not at collection
    import mlflow.pyfunc

    repo = Path(__file__).resolve().parent.parent
    uri = f"sqlite:///{tmp_path / 'project.db'}"
    bin_dir = Path(sys.executable).parent
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": uri,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    done = subprocess.run(
        [
            str(bin_dir / "mlflow"),
            "run",
            str(repo),
            "--env-manager",
            "local",
            "--experiment-name",
            "project-test",
            "-P",
            "select=simple",
            "-P",
            "seeds=0",
            "-P",
            "dataset=csv",
            "-P",
            f"data_path={tiny_csv}",
            "-P",
            f"results_dir={tmp_path / 'results'}",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "2 passed" in done.stdout
    client = mlflow.MlflowClient(uri)
    experiment = client.get_experiment_by_name("project-test")
    runs = client.search_runs([experiment.experiment_id])
    project_run = next(r for r in runs if r.data.tags.get("bench.role") == "session")
    assert project_run.data.tags.get("mlflow.project.entryPoint") == "main"
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == project_run.info.run_id]
    assert [r.data.tags["variant"] for r in children] == ["simple"]
    assert (tmp_path / "results" / "comparison.md").is_file()
