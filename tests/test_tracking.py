"""Tracking against the real thing: an embedded SQLite store and a real ``mlflow server``."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sentiment_models.tracking.uri import (
    TrackingError,
    check_reachable,
    mask,
    mask_text,
    resolve_uri,
)
from tests.mlflow_server import free_port


def test_mask_hides_passwords_and_tokens():

    assert mask("http://alice:s3cret@host:5000/x") == "http://alice:***@host:5000/x"
    assert mask("https://token@host") == "https://***@host"
    assert mask("http://host/?api_token=abc&x=1") == "http://host/?api_token=***&x=1"
    assert mask("sqlite:////tmp/mlflow.db") == "sqlite:////tmp/mlflow.db"
    text = "failed for http://alice:s3cret@host:5000 with s3cret"
    assert "s3cret" not in mask_text(text, "http://alice:s3cret@host:5000")


def test_mask_text_hides_credential_variables(monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "tok-123456")
    assert mask_text("header tok-123456", "http://host") == "header ***"


def test_resolve_uri_defaults_and_refuses_unknown_schemes(tmp_path, monkeypatch):

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert resolve_uri(None, tmp_path) == f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")
    assert resolve_uri(None, tmp_path) == "http://127.0.0.1:9"
    with pytest.raises(TrackingError, match="unknown scheme 'ftp'"):
        resolve_uri("ftp://u:pw@host", tmp_path)
    with pytest.raises(TrackingError, match="did you mean http://localhost:5000"):
        resolve_uri("localhost:5000", tmp_path)
    with pytest.raises(TrackingError, match="no scheme"):
        resolve_uri("/just/a/path.db", tmp_path)


def test_unreachable_server_is_named_with_its_password_masked():
    uri = f"http://bob:hunter2@127.0.0.1:{free_port()}"
    with pytest.raises(TrackingError) as error:
        check_reachable(uri, timeout=2)
    assert "bob:***@127.0.0.1" in str(error.value) and "hunter2" not in str(error.value)
    assert "tracking.no_mlflow" in str(error.value)  # the plugin shows its flag


def run_bench(pytester, bench_dir, uri, *extra):
    args = bench_dir.tracked()
    report = pytester.path / "bench.json"
    result = pytester.runpytest_subprocess(
        *args,
        "--mlflow-uri",
        uri,
        "--mlflow-experiment",
        "bench-test",
        "--mlflow-register",
        f"--benchmark-json={report}",
        "-k",
        "simple or linear",
        *extra,
    )
    return result


def check_logged_session(uri):
    import mlflow  # an integration test: imported here, not at collection
    import mlflow.pyfunc

    """What a session must leave in the store; returns (client, {variant: run})."""
    client = mlflow.MlflowClient(uri)
    experiment = client.get_experiment_by_name("bench-test")
    runs = client.search_runs([experiment.experiment_id], max_results=200)
    parents = [r for r in runs if r.data.tags.get("bench.role") == "session"]
    assert len(parents) == 1
    parent = parents[0]
    variants = {
        r.data.tags["variant"]: r
        for r in runs
        if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id
    }
    assert set(variants) == {"simple", "linear"}
    cases = {}  # each seed's run is a child of its variant's run
    for name, variant_run in variants.items():
        assert variant_run.data.tags["bench.role"] == "variant"
        assert variant_run.info.status == "FINISHED"
        assert (
            variant_run.data.metrics["accuracy_ci_low"]
            <= variant_run.data.metrics["accuracy_mean"]
            <= variant_run.data.metrics["accuracy_ci_high"]
        )
        (cases[name],) = [
            r
            for r in runs
            if r.data.tags.get("mlflow.parentRunId") == variant_run.info.run_id
            and r.data.tags.get("seed") == "0"
        ]
    parent_files = {a.path for a in client.list_artifacts(parent.info.run_id)}
    assert {"comparison.md", "predictions.md", "results.json", "bench.json"} <= parent_files
    assert parent.info.status == "FINISHED"
    for name, run in cases.items():
        assert run.info.status == "FINISHED"
        assert run.data.params["data.dataset"] == "csv:tiny.csv"
        assert len(run.data.params["data.dataset_digest"]) == 64
        assert run.data.params["data.seed"] == "0" and run.data.params["data.train_rows"] == "168"
        assert run.data.params["preprocess.mentions"] == "True"
        assert 0 <= run.data.metrics["test_accuracy"] <= 1
        for key in (
            "train_seconds",
            "evaluate_throughput",
            "test_macro_f1",
            "test_macro_recall",
            "test_recall_positive",
            "test_log_loss",
            "test_roc_auc",
            "train_accuracy",
        ):
            assert key in run.data.metrics, key
        tags = run.data.tags
        assert tags["outcome"] == "passed"
        assert f"test_evaluate[{name}-seed0]" in tags["pytest.nodeids"]
        assert "package.scikit-learn" in tags and "git.commit" in tags and "machine.cpus" in tags
        files = {a.path for a in client.list_artifacts(run.info.run_id)}
        assert {
            "confusion_matrix.png",
            "roc_curve.png",
            "precision_recall_curve.png",
            "classification_report.txt",
            "test_samples.csv",
            "cv_results.csv",
        } <= files
        contexts = {i.tags[0].value: i.dataset for i in run.inputs.dataset_inputs}
        assert set(contexts) == {
            "training",
            "validation",
            "evaluation",
            "transfer-twitter-entity",
        }
        assert "transfer_twitter-entity_accuracy" in run.data.metrics
        rate = run.data.metrics["behaviour_negated-positive_failure_rate"]
        logged = json.loads(
            Path(client.download_artifacts(run.info.run_id, "behaviour_failures.json")).read_text()
        )
        assert logged["negated-positive"]["failure_rate"] == pytest.approx(rate)
        assert len(logged["negated-positive"]["failures"]) == round(rate * 200)
        assert run.data.metrics["check_seconds_behaviour"] >= 0
        assert len(contexts["training"].digest) == 32
        table = pd.read_csv(client.download_artifacts(run.info.run_id, "cv_results.csv"))
        scores = client.get_metric_history(run.info.run_id, "cv_mean_test_score")
        assert [point.step for point in scores] == list(range(len(table)))  # one per candidate
        assert [point.value for point in scores] == pytest.approx(table["mean_test_score"])
        assert not client.search_runs(  # candidates are metrics, not runs of their own
            [experiment.experiment_id], f"tags.mlflow.parentRunId = '{run.info.run_id}'"
        )
    champion_accuracy = max(run.data.metrics["test_accuracy"] for run in cases.values())
    champions = []
    for name in cases:
        try:
            version = client.get_model_version_by_alias(f"bench-test-{name}", "champion")
        except Exception:
            continue
        champions.append((name, version))
    assert len(champions) == 1
    assert cases[champions[0][0]].data.metrics["test_accuracy"] == champion_accuracy
    return client, cases


def test_embedded_store_session_model_and_registry(pytester, bench_dir, tmp_path):
    import mlflow  # an integration test: imported here, not at collection
    import mlflow.pyfunc

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    result = run_bench(pytester, bench_dir, uri)
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(
        [
            "*MLflow: session run * 2 case(s) logged*",
            "*MLflow: registered bench-test-simple version 1*",
        ]
    )
    _, cases = check_logged_session(uri)
    assert (tmp_path / "mlruns").is_dir()
    mlflow.set_tracking_uri(uri)
    model = mlflow.pyfunc.load_model(f"runs:/{cases['linear'].info.run_id}/model")
    answer = model.predict(
        pd.DataFrame({"text": ["I love this airline!", "ok", "@united lost my bag"]})
    )
    assert list(answer.columns) == [
        "label",
        "score",
        "score_negative",
        "score_neutral",
        "score_positive",
    ]
    assert set(answer["label"]) <= {"negative", "neutral", "positive"}
    assert (
        answer[["score_negative", "score_neutral", "score_positive"]]
        .sum(axis=1)
        .round(6)
        .eq(1)
        .all()
    )
    with pytest.raises(Exception, match="every text must be a string"):
        model.predict(pd.DataFrame({"text": ["fine", None]}))
    with pytest.raises(Exception, match="row 1: the text is empty; there is nothing to classify"):
        model.predict(pd.DataFrame({"text": ["fine", " "]}))
    _history_reads_the_session(uri, pytester.path / "results" / "results.json")


def _history_reads_the_session(uri: str, results: Path) -> None:
    """``reporting.history`` reads the session back from MLflow: each variant's figures as
    results.json holds them."""
    from sentiment_models.reporting.history import mlflow_snapshots

    (snapshot,) = mlflow_snapshots(uri, "bench-test")
    stored = json.loads(results.read_text())
    for name in ("simple", "linear"):
        record = stored["variants"][name]
        point, runs = snapshot.points[name], record["runs"]
        accuracy = point.scores["accuracy"]
        assert accuracy.mean == pytest.approx(np.mean([r["test"]["accuracy"] for r in runs]))
        assert accuracy.low < accuracy.mean < accuracy.high
        assert point.train_seconds == pytest.approx(np.mean([r["train"]["seconds"] for r in runs]))
        assert point.basis == f"tiny, test {record['data']['test_digest'][:8]}"


def test_transformer_and_lexicon_models_are_logged_as_raw_text_models(
    pytester, bench_dir, tmp_path, tiny_roberta
):
    import mlflow  # an integration test: imported here, not at collection
    import mlflow.pyfunc

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    result = run_bench(
        pytester, bench_dir, uri, "-k", "roberta or vader", "--hf-model", str(tiny_roberta)
    )
    result.assert_outcomes(passed=4)
    client = mlflow.MlflowClient(uri)
    experiment = client.get_experiment_by_name("bench-test")
    runs = {
        run.data.tags["variant"]: run
        for run in client.search_runs([experiment.experiment_id], "tags.seed = '0'")
    }
    assert set(runs) == {"roberta-tweeteval", "vader"}
    assert runs["roberta-tweeteval"].data.params["model"] == str(tiny_roberta)
    mlflow.set_tracking_uri(uri)
    tweets = pd.DataFrame({"text": ["I love this airline!", "#fail", "@united lost my bag"]})
    for name, run in runs.items():
        model = mlflow.pyfunc.load_model(f"runs:/{run.info.run_id}/model")
        answer = model.predict(tweets)
        assert len(answer) == 3 and set(answer["label"]) <= {"negative", "neutral", "positive"}
        requirements = Path(
            mlflow.artifacts.download_artifacts(f"runs:/{run.info.run_id}/model/requirements.txt")
        ).read_text()
        assert ("transformers==" in requirements) == (name == "roberta-tweeteval"), requirements
        assert ("vaderSentiment==" in requirements) == (name == "vader"), requirements
    logged = mlflow.artifacts.download_artifacts(
        f"runs:/{runs['roberta-tweeteval'].info.run_id}/model"
    )
    assert list(Path(logged).rglob("model.safetensors"))


def test_unreachable_uri_stops_before_training(pytester, bench_dir):
    uri = f"http://carol:pa55word@127.0.0.1:{free_port()}"
    result = pytester.runpytest_inprocess(*bench_dir.tracked(), "--mlflow-uri", uri)
    assert result.ret == 4
    result.stderr.fnmatch_lines(
        ["ERROR: --mlflow-uri http://carol:***@127.0.0.1:*: the tracking server does not answer*"]
    )
    output = result.stdout.str() + result.stderr.str()
    assert "pa55word" not in output and "training on" not in output
    assert not (pytester.path / "results").exists()


def test_no_mlflow_writes_no_store(pytester, bench_dir):

    pytester.runpytest_inprocess(*bench_dir, "-k", "simple").assert_outcomes(passed=2)
    assert not (pytester.path / "mlflow.db").exists() and not (pytester.path / "mlruns").exists()


@pytest.mark.integration
def test_cases_are_logged_in_the_background_in_order_and_flushed(tmp_path):
    """``log_case`` returns while the store is still busy; ``flush`` waits for every case, in
    the order given, and a case that fails to log is reported, not raised."""
    import threading

    from sentiment_models.tracking import CaseRun
    from sentiment_models.tracking.mlflow_tracker import MlflowTracker

    tracker = MlflowTracker(f"sqlite:///{tmp_path / 'mlflow.db'}", "background")
    tracker.connect()
    tracker.start(facts={"rows": 3}, tags={}, datasets={})
    release, create_run = threading.Event(), tracker.client.create_run

    def slow_create_run(*args, **kwargs):
        assert release.wait(30), "never released"
        if kwargs.get("run_name") == "broken-seed0":
            raise RuntimeError("store refused the run")
        return create_run(*args, **kwargs)

    tracker.client.create_run = slow_create_run
    for name in ("first", "broken", "second"):
        tracker.log_case(CaseRun(name, 0, "failed", (f"test[{name}-seed0]",), 0))
    assert tracker.logged == []  # handed over, not stored yet
    release.set()
    tracker.flush()
    assert tracker.logged == ["first-seed0", "second-seed0"]
    assert tracker.failures == ["case broken-seed0: RuntimeError: store refused the run"]
    notes = tracker.finish([], interrupted=False)
    assert "2 case(s) logged" in notes[0] and "waited for" in notes[0]
    runs = tracker.client.search_runs([tracker.experiment_id], "tags.seed = '0'")
    assert sorted(run.info.run_name for run in runs) == ["first-seed0", "second-seed0"]


@pytest.mark.integration
def test_a_worker_waits_once_for_variant_runs_the_controller_did_not_open(tmp_path, monkeypatch):
    """An xdist worker whose controller opened no variant runs (its store failed there, or it
    is another tool's session) waits ``JOIN_TIMEOUT`` for the first variant only, then opens
    its own run for each; a variant run the controller did open is found and used."""
    import time

    from sentiment_models.tracking import CaseRun, mlflow_tracker
    from sentiment_models.tracking.mlflow_tracker import MlflowTracker, MlflowWorkerTracker

    monkeypatch.setattr(mlflow_tracker, "JOIN_TIMEOUT", 3.0)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    controller = MlflowTracker(uri, "join")
    controller.connect()
    controller.start(facts={}, tags={}, datasets={}, key="k1")
    controller.open_variants(["opened"])
    worker = MlflowWorkerTracker(uri, "join")
    worker.connect()
    worker.start(facts={}, tags={}, datasets={}, key="k1")
    started = time.monotonic()
    for name in ("opened", "first", "second", "third"):
        worker.log_case(CaseRun(name, 0, "failed", (f"test[{name}-seed0]",), 0))
    waited = time.monotonic() - started
    assert worker.failures == []
    # one wait of 3 s (three, 9 s or more, before); the logging itself takes well under 3 s
    assert 3.0 <= waited < 6.0, f"waited {waited:.1f} s for three variants the controller lacks"
    assert worker.refs("opened")["variant_run"] == controller.variant_runs["opened"]
    own = {name: worker.refs(name)["variant_run"] for name in ("first", "second", "third")}
    assert len(set(own.values()) | {controller.variant_runs["opened"]}) == 4
    runs = worker.client.search_runs([worker.experiment_id], "tags.`bench.role` = 'variant'")
    assert sorted(run.data.tags["variant"] for run in runs) == [
        "first",
        "opened",
        "second",
        "third",
    ]
    worker.finish([], interrupted=False)
    controller.finish([], interrupted=False)
