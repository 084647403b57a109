"""Fault injection through the real plugin (pytester) and the real served model.

Each row of ``DATA_FAULTS`` and ``REQUEST_FAULTS`` is one fault: the test injects it, checks what
the user sees, and checks that nothing already computed was lost. The number of faults tried is
printed at the end of the session (see ``pytest_terminal_summary`` in ``tests/conftest.py``).
"""

from __future__ import annotations

import json
import multiprocessing
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import BENCH_FILE
from tests.helpers import write_csv
from tests.mlflow_server import model_server

pytestmark = [pytest.mark.fault, pytest.mark.integration]


def _latin1(folder):
    path = folder / "latin1.csv"
    path.write_bytes("text,label\nun caf\xe9 horrible,negative\n".encode("latin1"))
    return ["--data-path", str(path)]


def _rows(folder, rows, header=("text", "label")):
    return ["--data-path", str(write_csv(folder / "bad.csv", rows, header=header))]


def _tweeteval(folder, broken):
    root = folder / "tweeteval"
    root.mkdir()
    (root / "mapping.txt").write_text("0\tnegative\n1\tneutral\n2\tpositive\n")
    for prefix in ("train", "val", "test"):
        (root / f"{prefix}_text.txt").write_text("".join(f"{prefix} tweet {i}\n" for i in range(9)))
        (root / f"{prefix}_labels.txt").write_text("".join(f"{i % 3}\n" for i in range(9)))
    broken(root)
    return ["--dataset", "tweeteval", "--data-path", str(root)]


DATA_FAULTS = {
    "missing file": (
        lambda f: ["--data-path", str(f / "absent.csv")],
        "--data-path *absent.csv: no such file",
    ),
    "unreadable encoding": (
        _latin1,
        "*latin1.csv: not valid utf-8 at byte *give the file's encoding with --data-encoding*",
    ),
    "missing text column": (
        lambda f: [*_rows(f, [("a", "b")], header=("body", "label"))],
        "*bad.csv: no column 'text' (--text-column); the file's columns are ['body', 'label']",
    ),
    "label outside the mapping": (
        lambda f: [
            *_rows(f, [("good", "4"), ("bad", "9")]),
            "--label-map",
            "0=negative,4=positive",
        ],
        "*bad.csv, row 3: label '9' is not in the label mapping (expected one of '0', '4')",
    ),
    "empty label": (
        lambda f: _rows(f, [("good", "positive"), ("bad", "")]),
        "*bad.csv, row 3: the label is empty",
    ),
    "single class": (
        lambda f: _rows(f, [(f"tweet {i}", "neutral") for i in range(30)]),
        "*only one class ('neutral', 30 rows); a classifier needs at least two",
    ),
    "split too small": (
        lambda f: _rows(f, [("a", "x"), ("b", "y"), ("c", "x"), ("d", "y"), ("e", "x")]),
        "*too few rows to split: 5 rows and 2 classes*",
    ),
    "all texts empty": (
        lambda f: _rows(f, [("", "x"), ("  ", "y")]),
        "*bad.csv: no usable rows (every text was empty or a duplicate)",
    ),
    "tweeteval labels shorter than texts": (
        lambda f: _tweeteval(f, lambda r: (r / "val_labels.txt").write_text("0\n")),
        "*val_text.txt has 9 lines but *val_labels.txt has 1: expected one label per text",
    ),
    "tweeteval mapping missing": (
        lambda f: _tweeteval(f, lambda r: (r / "mapping.txt").unlink()),
        "*mapping.txt: missing; a TweetEval folder needs mapping.txt*",
    ),
    "tweeteval text not utf-8": (
        lambda f: _tweeteval(f, lambda r: (r / "test_text.txt").write_bytes(b"ok\n\xff\xfe\n")),
        "*test_text.txt, line 2: not valid utf-8*",
    ),
    "unknown dataset": (
        lambda f: ["--dataset", "imdb"],
        "--dataset imdb: unknown dataset; expected one of*",
    ),
    "glove file missing": (
        lambda f: ["--glove-path", str(f / "glove.txt")],
        "--glove-path *glove.txt: no such file",
    ),
    "glove file not glove": (
        lambda f: (
            (f / "glove.txt").write_text("hello world\n") and ["--glove-path", str(f / "glove.txt")]
        ),
        "--glove-path *glove.txt, line 1: not GloVe text format*",
    ),
    "unknown variant parameter": (
        lambda f: ["--variant-param", "lstm.layers=3"],
        "variant 'lstm' has no parameter layers*",
    ),
    "unknown tracking scheme": (
        lambda f: ["--mlflow-uri", "ftp://u:secret@host/x"],
        "--mlflow-uri ftp://u:***@host/x: unknown scheme 'ftp'*",
    ),
}


@pytest.fixture(scope="module")
def finished_results(tmp_path_factory, tiny_rows):
    """Results of a finished session (simple on tiny data), for faults to try to damage."""
    folder = tmp_path_factory.mktemp("finished")
    _run_bench(folder, tiny_rows, "--no-mlflow")
    return folder / "results"


def _glob(message: str) -> str:
    """``message`` as an fnmatch pattern: brackets literal, ``*`` kept as a wildcard."""
    return message.replace("[", "\x00").replace("]", "[]]").replace("\x00", "[[]")


@pytest.mark.parametrize("fault", list(DATA_FAULTS))
def test_bad_input_stops_before_training_and_keeps_results(
    fault, pytester, bench_dir, tmp_path, finished_results
):
    """One clear message, exit code 4, no training, and the finished tables untouched."""
    results = pytester.path / "results"
    shutil.copytree(finished_results, results)
    before = {p.name: p.read_bytes() for p in results.iterdir() if p.is_file()}
    make_args, message = DATA_FAULTS[fault]
    extra = make_args(tmp_path)
    args = [arg for arg in bench_dir if arg != "--no-mlflow"]  # the store is checked too
    if "--data-path" in extra and "--data-path" in args:
        index = args.index("--data-path")
        del args[index : index + 2]
    result = pytester.runpytest_inprocess(*args, "--mlflow-uri", "sqlite:///x.db", *extra)
    assert result.ret == 4, result.stdout.str()[-2000:]
    result.stderr.fnmatch_lines([_glob(f"ERROR: {message}")])
    output = result.stdout.str() + result.stderr.str()
    assert "training on" not in output and "secret" not in output
    after = {p.name: p.read_bytes() for p in results.iterdir() if p.is_file()}
    assert after == before, "a refused session must not touch the results"


def test_empty_rows_are_dropped_counted_and_reported(pytester, bench_dir, tiny_rows):
    rows = [*tiny_rows, ("", "positive"), ("   ", "neutral"), tiny_rows[0]]
    path = write_csv(pytester.path / "with_empty.csv", rows)
    args = list(bench_dir)
    args[args.index("--data-path") + 1] = str(path)
    result = pytester.runpytest_inprocess(*args, "-k", "simple")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*dropped on load: 3*"])
    comparison = (pytester.path / "results" / "comparison.md").read_text()
    assert "Rows dropped on load: duplicate_text 1, empty_text 2." in comparison


def _write_results(folder, name):
    from sentiment_models.reporting.store import update_results
    from sentiment_models.results import SessionInfo, to_json
    from tests.helpers import make_result

    for round_ in range(5):
        update_results(
            folder,
            {f"{name}{round_}": make_result(f"{name}{round_}", 0.5)},
            SessionInfo("now", updated=(name,)),
            lambda store: {"summary.md": json.dumps(to_json(store), indent=1)},
        )


def test_two_processes_writing_results_never_interleave(tmp_path):
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_write_results, args=(tmp_path, name)) for name in ("a", "b")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    stored = json.loads((tmp_path / "results.json").read_text())
    assert len(stored["variants"]) == 10
    assert (
        json.loads((tmp_path / "summary.md").read_text())["variants"].keys()
        == stored["variants"].keys()
    )


def test_credentials_in_the_environment_never_leak(pytester, bench_dir, monkeypatch, tmp_path):
    secret = "pw-7f3a9c1e55"
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", secret)
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", secret + "-token")
    uri = f"sqlite:///{tmp_path / 'store.db'}"
    args = [a for a in bench_dir if a != "--no-mlflow"]
    result = pytester.runpytest_subprocess(*args, "-k", "simple", "--mlflow-uri", uri)
    result.assert_outcomes(passed=2)
    assert secret not in result.stdout.str() + result.stderr.str()
    for path in (pytester.path / "results").iterdir():
        assert secret.encode() not in path.read_bytes(), path
    import mlflow

    client = mlflow.MlflowClient(uri)
    for run in client.search_runs([e.experiment_id for e in client.search_experiments()]):
        values = [*run.data.params.values(), *run.data.tags.values()]
        assert not any(secret in value for value in values)


REQUEST_FAULTS = {
    "empty string": ({"dataframe_records": [{"text": ""}]}, 200),
    "only whitespace": ({"dataframe_records": [{"text": "   \t "}]}, 200),
    "only emoji": ({"dataframe_records": [{"text": "\N{FACE WITH TEARS OF JOY}" * 4}]}, 200),
    "only a URL": ({"dataframe_records": [{"text": "https://t.co/xyz"}]}, 200),
    "only a mention": ({"dataframe_records": [{"text": "@united"}]}, 200),
    "10,000 characters": ({"dataframe_records": [{"text": "delay " * 1667}]}, 200),
    "non-ASCII scripts": ({"dataframe_records": [{"text": "Привет мир こんにちは مرحبا"}]}, 200),
    "control characters": ({"dataframe_records": [{"text": "bad\x00\x07\x1b flight"}]}, 200),
    "a number": ({"dataframe_records": [{"text": 42}]}, 400),
    "null": ({"dataframe_records": [{"text": None}]}, 400),
    "no text column": ({"dataframe_records": [{"tweet": "hello"}]}, 400),
    "not JSON": (b"{not json", 400),
}


def _post(url, payload):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def _run_bench(folder: Path, rows, *args: str) -> None:
    """The real bench module, run by pytest in ``folder`` on ``rows`` (simple only)."""
    data = write_csv(folder / "tiny.csv", rows)
    (folder / "test_models.py").write_text(BENCH_FILE.read_text())
    (folder / "pytest.ini").write_text("[pytest]\n")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "test_models.py",
            "-k",
            "simple",
            "-p",
            "no:cacheprovider",
            "--dataset",
            "csv",
            "--data-path",
            str(data),
            "--variant-param",
            "simple.var_smoothing_grid=2",
            *args,
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-2000:]


@pytest.fixture(scope="module")
def served_model(tmp_path_factory, tiny_rows):
    """The simple variant trained by the real plugin, served by ``mlflow models serve``."""
    folder = tmp_path_factory.mktemp("served")
    uri = f"sqlite:///{folder / 'store.db'}"
    _run_bench(folder, tiny_rows, "--mlflow-uri", uri)
    import mlflow

    client = mlflow.MlflowClient(uri)
    run = next(
        r
        for r in client.search_runs([e.experiment_id for e in client.search_experiments()])
        if r.data.tags.get("variant") == "simple"
    )
    with model_server(f"runs:/{run.info.run_id}/model", uri, folder) as url:
        yield url


@pytest.mark.parametrize("fault", list(REQUEST_FAULTS))
def test_served_model_answers_bad_requests_without_crashing(fault, served_model):
    payload, expected = REQUEST_FAULTS[fault]
    status, body = _post(f"{served_model}/invocations", payload)
    assert status == expected, body
    if status == 200:
        (prediction,) = body["predictions"]
        assert prediction["label"] in {"negative", "neutral", "positive"}
        assert 0 <= prediction["score"] <= 1
    else:
        assert body.get("message"), body
    status, _ = _post(f"{served_model}/invocations", {"dataframe_records": [{"text": "still up?"}]})
    assert status == 200, "the server must keep serving after a bad request"
