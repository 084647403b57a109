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
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import BENCH_FILE
from tests.helpers import bench_arguments, write_csv
from tests.mlflow_server import free_port, model_server, serve_http

pytestmark = [pytest.mark.fault, pytest.mark.integration]


def _latin1(folder):
    path = folder / "latin1.csv"
    path.write_bytes("text,label\nun caf\xe9 horrible,negative\n".encode("latin1"))
    return ["--data-path", str(path)]


def _rows(folder, rows, header=("text", "label")):
    return ["--data-path", str(write_csv(folder / "bad.csv", rows, header=header))]


def _file(folder, name, text, *flag):
    """Write ``text`` (str or bytes) to ``folder/name``; returns ``[*flag, path]``."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return [*flag, str(path)]


def _results_dir(folder, content):
    """A results folder whose results.json holds ``content``."""
    root = folder / "broken-results"
    _file(root, "results.json", content)
    return ["--results-dir", str(root)]


def _baseline(value):
    document = {"profiles": {"tiny": {"vader": {"seeds": {"0": {"accuracy": value}}}}}}
    return json.dumps(document)


def _hf_folder(folder, config):
    _file(folder / "hf", "config.json", config)
    return ["--hf-model", str(folder / "hf")]


def _deleted_experiment(folder):
    import mlflow

    uri = f"sqlite:///{folder / 'deleted.db'}"
    client = mlflow.MlflowClient(uri)
    client.delete_experiment(client.create_experiment("gone"))
    return ["--mlflow-uri", uri, "--mlflow-experiment", "gone"]


def _silent_server(folder):
    """A server that accepts connections and never answers (closed with the test)."""
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    _OPEN.append(server)
    return ["--mlflow-uri", f"http://127.0.0.1:{server.getsockname()[1]}"]


_OPEN: list = []


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
    "glove path a folder": (
        lambda f: ["--glove-path", str(f)],
        "--glove-path *: expected a regular file, found a directory",
    ),
    "hf model a file": (
        lambda f: _file(f, "model.bin", "x", "--hf-model"),
        "--hf-model '*model.bin': expected a folder, found a file*",
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
    # -- the results store, its folder and the baseline: checked before any training
    "results.json not JSON": (
        lambda f: _results_dir(f, "{ not json"),
        "*broken-results/results.json: not valid JSON*restore it from git or delete it*",
    ),
    "results.json truncated": (
        lambda f: _results_dir(f, '{"variants": {"simple": {"runs": ['),
        "*broken-results/results.json: not valid JSON*",
    ),
    "results.json a list": (
        lambda f: _results_dir(f, "[]"),
        "*broken-results/results.json: not a results store*",
    ),
    "results.json a record without fields": (
        lambda f: _results_dir(f, '{"variants": {"simple": {"variant": "simple"}}}'),
        "*broken-results/results.json: a record does not have the expected fields*",
    ),
    "results.json a folder": (
        lambda f: (f / "r" / "results.json").mkdir(parents=True) or ["--results-dir", str(f / "r")],
        "*r/results.json: not a file*",
    ),
    "results dir is a file": (
        lambda f: _file(f, "taken", "x", "--results-dir"),
        "--results-dir *taken: *taken is a file, not a folder*",
    ),
    "results dir under a file": (
        lambda f: ["--results-dir", _file(f, "taken", "x")[0] + "/sub"],
        "--results-dir *taken/sub: *taken is a file, not a folder*",
    ),
    "results dir not writable": (
        lambda f: ["--results-dir", "/proc/sentiment-results"],
        "--results-dir /proc/sentiment-results: /proc is not writable*",
    ),
    "baseline not JSON": (
        lambda f: ["--gate", *_file(f, "base.json", "{bad", "--baseline")],
        "*base.json: not valid JSON*rebuild it with --update-baseline",
    ),
    "baseline holds NaN": (
        lambda f: ["--gate", *_file(f, "base.json", _baseline(float("nan")), "--baseline")],
        "*base.json, profile 'tiny', variant 'vader', seed 0: accuracy is nan, not a finite*",
    ),
    "baseline holds Infinity": (
        lambda f: ["--gate", *_file(f, "base.json", _baseline(float("inf")), "--baseline")],
        "*base.json*accuracy is inf, not a finite number*",
    ),
    "baseline holds a string": (
        lambda f: ["--gate", *_file(f, "base.json", _baseline("0.9"), "--baseline")],
        "*base.json*accuracy is '0.9', not a finite number*",
    ),
    "baseline is a folder": (
        lambda f: (f / "bdir").mkdir() or ["--gate", "--baseline", str(f / "bdir")],
        "--baseline *bdir: not a file*",
    ),
    "baseline update from a smaller sample": (
        lambda f: ["--update-baseline", "--baseline", str(f / "b.json"), "--sample-size", "60"],
        "--update-baseline: this run does not match the tiny profile (--sample-size 60*"
        "add --force-baseline-update to write it anyway",
    ),
    "baseline update with changed parameters": (
        lambda f: [
            "--update-baseline",
            "--baseline",
            str(f / "b.json"),
            "--variant-param",
            "simple.cv_folds=3",
        ],
        "--update-baseline: this run does not match*--variant-param simple.cv_folds=3*",
    ),
    "baseline update with another test size": (
        lambda f: ["--update-baseline", "--baseline", str(f / "b.json"), "--test-size", "0.3"],
        "--update-baseline: this run does not match*--test-size 0.3 (default 0.2)*",
    ),
    "pyproject floor NaN": (
        lambda f: (  # in the rootdir: the session's working folder
            _file(
                Path.cwd(),
                "pyproject.toml",
                "[tool.sentiment-bench.floors]\nsimple = { accuracy = nan }\n",
            )
            and ["--gate"]
        ),
        "*pyproject.toml [tool.sentiment-bench.floors] simple: expected a table*finite numbers)",
    ),
    "benchmark json a folder": (
        lambda f: ["--benchmark-json", str(f)],
        "--benchmark-json *: a folder; give a file path",
    ),
    "benchmark storage a file": (
        lambda f: ["--benchmark-autosave", *_file(f, "store", "x", "--benchmark-storage")],
        "--benchmark-storage *store: *store is a file, not a folder*",
    ),
    # -- numbers read from options: NaN, infinities and ranges
    "gate min effect NaN": (
        lambda f: ["--gate-min-effect", "nan"],
        "--gate-min-effect nan: *finite*",
    ),
    "gate alpha infinite": (lambda f: ["--gate-alpha", "inf"], "--gate-alpha inf: *finite*"),
    "test size above 1": (
        lambda f: ["--test-size", "1.5"],
        "--test-size 1.5: expected a fraction*",
    ),
    "negative split seed": (lambda f: ["--seed", "-1"], "--seed -1: expected 0 or more"),
    "repeated variant seed": (lambda f: ["--seeds", "0,0"], "--seeds 0,0: a seed is repeated*"),
    "zero threads": (lambda f: ["--threads", "0"], "--threads 0: expected 1 or more"),
    "too few resamples": (
        lambda f: ["--bootstrap-resamples", "10"],
        "--bootstrap-resamples 10: expected 200 or more",
    ),
    "bad shard": (lambda f: ["--shard", "3/2"], "--shard 3/2: expected 1 <= K <= N*"),
    "text limit zero": (
        lambda f: ["--max-text-chars", "0"],
        "--max-text-chars 0: expected 1 or more",
    ),
    "unknown encoding": (
        lambda f: ["--data-encoding", "bogus"],
        "--data-encoding bogus: unknown text encoding*",
    ),
    "train score rows below the classes": (
        lambda f: ["--train-score-rows", "2"],
        "--train-score-rows 2: fewer rows than the 3 classes*",
    ),
    "sample too small for the CV folds": (
        lambda f: ["--sample-size", "4"],
        "--sample-size 4: the training split has 1 row(s) of class*needs 2 for its 2 CV folds*",
    ),
    # -- variant parameters: ranges and types, before any training
    "lstm epochs zero": (
        lambda f: ["--variant-param", "lstm.epochs=0"],
        "variant 'lstm', parameter epochs=0: expected a number >= 1",
    ),
    "vader sharpness negative": (
        lambda f: ["--variant-param", "vader.sharpness=-2"],
        "variant 'vader', parameter sharpness=-2.0: expected a number > 0",
    ),
    "simple max features negative": (
        lambda f: ["--variant-param", "simple.max_features=-1"],
        "variant 'simple', parameter max_features=-1: expected a number >= 1",
    ),
    "linear one CV fold": (
        lambda f: ["--variant-param", "linear.cv_folds=1"],
        "variant 'linear', parameter cv_folds=1: expected a number >= 2",
    ),
    "linear C grid not numbers": (
        lambda f: ["--variant-param", "linear.C_grid=1|abc"],
        "variant 'linear', parameter C_grid='1|abc': expected a list*",
    ),
    "minilm dropout NaN": (
        lambda f: ["--variant-param", "minilm-finetuned.learning_rate=nan"],
        "variant 'minilm-finetuned', parameter learning_rate=nan: expected a finite number",
    ),
    # -- labels that would silently make wrong classes
    "labels differ in case": (
        lambda f: _rows(f, [("good", "positive"), ("bad", "Positive"), ("meh", "neutral")]),
        "*bad.csv: labels 'positive' (row 2) and 'Positive' (row 3) differ only in case*",
    ),
    "labels differ in inner spaces": (
        lambda f: _rows(f, [("good", "very positive"), ("bad", "very  positive"), ("x", "n")]),
        "*bad.csv: labels 'very positive' (row 2) and 'very  positive' (row 3) differ only*",
    ),
    "numeric labels without a mapping": (
        lambda f: _rows(f, [(f"tweet {i}", str(i % 3)) for i in range(30)]),
        "*bad.csv: the labels are numbers (0, 1, 2); name the classes with --label-map*",
    ),
    "label map key twice": (
        lambda f: ["--label-map", "0=negative,2=neutral,2=positive"],
        "--label-map 0=negative,2=neutral,2=positive: raw label '2' is mapped twice*",
    ),
    "label map item malformed": (
        lambda f: ["--label-map", "0=negative,positive"],
        "--label-map 0=negative,positive: item 'positive' is not of the form RAW=LABEL*",
    ),
    "training split lacks a test class": (
        lambda f: _tweeteval(
            f,
            lambda r: (r / "train_labels.txt").write_text("".join(f"{i % 2}\n" for i in range(9))),
        ),
        "*the training split has no rows of class positive, which the test split has*",
    ),
    # -- file formats and kinds
    "data path is a device": (
        lambda f: ["--data-path", "/dev/zero"],
        "--data-path /dev/zero: expected a regular file, found a special file*",
    ),
    "data path is a folder": (
        lambda f: ["--data-path", str(f)],
        "--data-path *: expected a regular file, found a directory",
    ),
    "hf config.json not JSON": (
        lambda f: _hf_folder(f, "{not json"),
        "*hf/config.json: not valid JSON*",
    ),
    "hf config.json without model_type": (
        lambda f: _hf_folder(f, '{"architectures": ["X"]}'),
        "*hf/config.json: not a transformers model configuration (no 'model_type')*",
    ),
    "hf config.json id2label not a mapping": (
        lambda f: _hf_folder(f, '{"model_type": "roberta", "id2label": ["a", "b"]}'),
        "*hf/config.json: 'id2label' must map output indices to label names",
    ),
    "glove bad line after line 2": (
        lambda f: (
            [
                *_file(f, "g.txt", "the 0.1 0.2\nof 0.3 0.4\nbad x y\n", "--glove-path"),
                "--variant-param",
                "lstm-glove.embedding_dim=2",
            ]
        ),
        "--glove-path *g.txt, line 3 ('bad x y*'): not GloVe text*",
    ),
    "glove value NaN": (
        lambda f: _file(f, "g.txt", "the 0.1 0.2\nof nan 0.4\n", "--glove-path"),
        "--glove-path *g.txt: the vector of 'of' holds NaN or infinity*",
    ),
    "glove first line endless": (
        lambda f: _file(f, "g.txt", "w" + " 0.5" * 40000, "--glove-path"),
        "--glove-path *g.txt, line 1: longer than 65,536 characters*",
    ),
    "predict file too many phrases": (
        lambda f: _file(
            f, "p.txt", "".join(f"phrase {i}\n" for i in range(1500)), "--predict-file"
        ),
        "--predict-file *p.txt: more than 1,000 phrases (line 1001)*",
    ),
    "predict phrase too long": (
        lambda f: _file(f, "p.txt", "fine\n" + "x" * 6000 + "\n", "--predict-file"),
        "--predict-file *p.txt, line 2: 6,000 characters, more than --max-text-chars 5,000*",
    ),
    "predict file a device": (
        lambda f: ["--predict-file", "/dev/zero"],
        "--predict-file /dev/zero: expected a regular file, found a special file*",
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
    fault, pytester, bench_dir, tmp_path, finished_results, monkeypatch
):
    """One clear message, exit code 4, no training, and the finished tables untouched."""
    results = pytester.path / "results"
    shutil.copytree(finished_results, results)
    before = {p.name: p.read_bytes() for p in results.iterdir() if p.is_file()}
    make_args, message = DATA_FAULTS[fault]
    made = make_args(tmp_path)
    extra, env = made if isinstance(made, tuple) else (made, {})
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    args = bench_arguments(bench_dir, extra, tracking=True)  # the store is checked too
    started = time.monotonic()
    try:
        result = pytester.runpytest_inprocess(*args)
    finally:
        while _OPEN:
            _OPEN.pop().close()
    assert result.ret == 4, result.stdout.str()[-2000:] + result.stderr.str()[-2000:]
    assert time.monotonic() - started < 60, "a refusal must come at once"
    result.stderr.fnmatch_lines([_glob(f"ERROR: {message}")])
    output = result.stdout.str() + result.stderr.str()
    assert "training on" not in output and "secret" not in output
    assert "Traceback" not in output and "INTERNALERROR" not in output
    after = {p.name: p.read_bytes() for p in results.iterdir() if p.is_file()}
    assert after == before, "a refused session must not touch the results"


@dataclass(frozen=True)
class Refusal:
    """A session refused after something was started for it (the tracking process, xdist
    workers): ``make`` builds the arguments and environment in a folder; ``message`` is the
    error's fnmatch pattern."""

    make: Callable[[Path], tuple[list[str], dict[str, str]]]
    message: str
    workers: int = 0
    """``-n`` workers (0: a serial session)."""


EXIT_BOUND = 60.0
"""Seconds within which a refused session's process must have exited (it takes 4 to 15 s
here; before the fix of the tracking process it never exited)."""


def _uri(uri: str) -> Callable[[Path], tuple[list[str], dict[str, str]]]:
    return lambda folder: (["--mlflow-uri", uri], {})


def _env(uri: str) -> Callable[[Path], tuple[list[str], dict[str, str]]]:
    return lambda folder: ([], {"MLFLOW_TRACKING_URI": uri})


def _answering(mode: str) -> Callable[[Path], tuple[list[str], dict[str, str]]]:
    """A real HTTP server on loopback (closed with the test) whose ``/health`` answers
    200 and the rest ``mode``: ``500``, or ``slow`` (no answer for a minute); with ``mode``
    ``down``, ``/health`` answers 500 too."""

    def make(folder: Path) -> tuple[list[str], dict[str, str]]:
        server = serve_http(mode)
        _OPEN.append(server)
        return ["--mlflow-uri", f"http://127.0.0.1:{server.server_address[1]}"], {}

    return make


def _with_store(make_args) -> Callable[[Path], tuple[list[str], dict[str, str]]]:
    """A refusal of the data or the settings, with a working store: the tracking process is
    running when the session is refused."""

    def make(folder: Path) -> tuple[list[str], dict[str, str]]:
        made = make_args(folder)
        args, env = made if isinstance(made, tuple) else (made, {})
        return ["--mlflow-uri", f"sqlite:///{folder / 'ok.db'}", *args], env

    return make


REFUSALS = {
    "tracking server refuses connections": Refusal(
        lambda f: (["--mlflow-uri", f"http://127.0.0.1:{free_port()}"], {}),
        "--mlflow-uri http://127.0.0.1:*: the tracking server does not answer (*refused*",
    ),
    "tracking server never answers": Refusal(
        lambda f: (_silent_server(f), {}),
        "--mlflow-uri http://127.0.0.1:*: the tracking server does not answer (no answer within*",
    ),
    "tracking server health 500": Refusal(
        _answering("down"), "--mlflow-uri http://127.0.0.1:*: /health answered 500"
    ),
    "tracking server api 500": Refusal(
        _answering("500"),
        "--mlflow-uri http://127.0.0.1:*: cannot open experiment*(the server answered HTTP 500*",
    ),
    "tracking server api too slow": Refusal(
        _answering("slow"),
        "--mlflow-uri http://127.0.0.1:*: cannot open experiment*did not answer within 10 s*",
    ),
    "tracking uri from the environment without scheme": Refusal(
        _env("garbage"), "MLFLOW_TRACKING_URI garbage: no scheme*"
    ),
    "tracking store in an unwritable place": Refusal(
        _env("sqlite:////proc/bench/x.db"),
        "MLFLOW_TRACKING_URI sqlite:////proc/bench/x.db: cannot open experiment*cannot create*",
    ),
    "tracking store not a database": Refusal(
        lambda f: (
            _file(f, "n.db", "not a database")[:0],
            {"MLFLOW_TRACKING_URI": f"sqlite:///{f / 'n.db'}"},
        ),
        "MLFLOW_TRACKING_URI sqlite:///*n.db: cannot open experiment*file is not a database*",
    ),
    "tracking store a folder": Refusal(
        lambda f: ((f / "d.db").mkdir() or ["--mlflow-uri", f"sqlite:///{f / 'd.db'}"], {}),
        "--mlflow-uri sqlite:///*d.db: cannot open experiment*not a file*",
    ),
    "tracking file store": Refusal(
        lambda f: ([], {"MLFLOW_TRACKING_URI": f"file://{f / 'mlruns'}"}),
        "MLFLOW_TRACKING_URI file://*: cannot open experiment*",
    ),
    "tracking experiment deleted": Refusal(
        lambda f: (_deleted_experiment(f), {}),
        "--mlflow-experiment gone: the experiment is deleted*mlflow experiments restore*",
    ),
    "bad data while the tracking process checks the store": Refusal(
        _with_store(lambda f: _rows(f, [("fine", "positive")])),
        "*bad.csv*: only one class ('positive', 1 rows); a classifier needs at least two",
    ),
    "tracking server refuses connections, two workers": Refusal(
        lambda f: (["--mlflow-uri", f"http://127.0.0.1:{free_port()}"], {}),
        "--mlflow-uri http://127.0.0.1:*: the tracking server does not answer (*refused*",
        workers=2,
    ),
    "file store, two workers": Refusal(
        lambda f: ([], {"MLFLOW_TRACKING_URI": f"file://{f / 'mlruns'}"}),
        "MLFLOW_TRACKING_URI file://*: cannot open experiment*",
        workers=2,
    ),
    "results folder not writable, two workers": Refusal(
        lambda f: (["--results-dir", "/proc/bench-results"], {}),
        "--results-dir /proc/bench-results: /proc is not writable*choose a writable folder",
        workers=2,
    ),
    "bad data, two workers, tracking on": Refusal(
        _with_store(lambda f: _rows(f, [("fine", "positive")])),
        "*bad.csv*: only one class ('positive', 1 rows); a classifier needs at least two",
        workers=2,
    ),
}


@pytest.mark.parametrize("fault", list(REFUSALS))
def test_a_refused_session_exits_in_seconds(
    fault, pytester, bench_dir, tmp_path, finished_results, monkeypatch
):
    """A session refused after its tracking process (or its workers) started is a real
    process that prints one message, exits 4 within ``EXIT_BOUND`` and changes no result,
    leaving no process behind."""
    results = pytester.path / "results"
    shutil.copytree(finished_results, results)
    before = {p.name: p.read_bytes() for p in results.iterdir() if p.is_file()}
    refusal = REFUSALS[fault]
    extra, env = refusal.make(tmp_path)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    args = bench_arguments(bench_dir, extra, tracking=True)
    if refusal.workers:
        args += ["-n", str(refusal.workers)]
    started = time.monotonic()
    try:
        result = pytester.runpytest_subprocess(*args, "-k", "vader", timeout=EXIT_BOUND)
    except pytester.TimeoutExpired:
        pytest.fail(f"the refused session had not exited after {EXIT_BOUND:g} s")
    finally:
        while _OPEN:
            _OPEN.pop().close()
    seconds = time.monotonic() - started
    output = result.stdout.str() + result.stderr.str()
    assert result.ret == 4, output[-3000:]
    result.stderr.fnmatch_lines([_glob(f"ERROR: {refusal.message}")])
    assert "Traceback" not in output and "INTERNALERROR" not in output
    assert "training on" not in output
    after = {p.name: p.read_bytes() for p in results.iterdir() if p.is_file()}
    assert after == before, "a refused session must not touch the results"
    print(f"{fault}: refused and exited in {seconds:.1f} s")


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
    "4,998 characters": ({"dataframe_records": [{"text": "delay " * 833}]}, 200),
    "5,001 characters": ({"dataframe_records": [{"text": "x" * 5001}]}, 413),
    "a 50 MB text": ({"dataframe_records": [{"text": "so bad " * 7_500_000}]}, 413),
    "a long text among short ones": (
        {"dataframe_records": [{"text": "fine"}, {"text": "y" * 6000}]},
        413,
    ),
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
        assert len(body["message"]) < 2000, "the answer must not echo the request"
    status, _ = _post(f"{served_model}/invocations", {"dataframe_records": [{"text": "still up?"}]})
    assert status == 200, "the server must keep serving after a bad request"


# -- after training: nothing lost -----------------------------------------------------------
DISK_FULL = """
import errno, tempfile
from pathlib import Path

def pytest_sessionfinish(session):
    results = Path(session.config.getoption("results_dir")).resolve()
    original = tempfile.mkstemp

    def full(*args, dir=None, **kwargs):
        if dir is not None and Path(dir).resolve() == results:
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(*args, dir=dir, **kwargs)

    tempfile.mkstemp = full
"""

BREAK_AFTER_TRAINING = """
import shutil
from pathlib import Path

def pytest_runtest_teardown(item, nextitem):
    if nextitem is None:  # the last phase has run: damage the results folder
        results = Path(item.config.getoption("results_dir"))
        {damage}
"""

LOCK_HELD = """
import sentiment_models.reporting.store as store
store.LOCK_WAIT, store.LOCK_NOTICE = 3.0, 1.0
"""

AFTER_TRAINING_FAULTS = {
    "disk full while writing": (DISK_FULL, "No space left on device"),
    "results.json broken meanwhile": (
        BREAK_AFTER_TRAINING.format(damage='(results / "results.json").write_text("{ broken")'),
        "results.json: not valid JSON",
    ),
    "results folder replaced by a file meanwhile": (
        BREAK_AFTER_TRAINING.format(
            damage="shutil.rmtree(results); results.write_text('in the way')"
        ),
        "is a file, not a folder",
    ),
    "lock held by another session too long": (LOCK_HELD, "still held by another session after"),
}


def _hold_lock(path, ready, release):
    from filelock import FileLock

    with FileLock(path):
        ready.set()
        release.wait(120)


@pytest.mark.parametrize("fault", list(AFTER_TRAINING_FAULTS))
def test_results_that_cannot_be_written_go_to_a_recovery_file(
    fault, pytester, bench_dir, finished_results
):
    """Training done, then the store cannot be written: the terminal says so and where the
    records went; the results folder is unchanged; the merge command brings them back; the
    MLflow session run ends FAILED."""
    results = pytester.path / "results"
    shutil.copytree(finished_results, results)
    before = {p.name: p.read_bytes() for p in results.iterdir() if p.is_file()}
    conftest, reason = AFTER_TRAINING_FAULTS[fault]
    pytester.makeconftest(conftest)
    holder = None
    if "lock" in fault:
        context = multiprocessing.get_context("spawn")
        ready, release = context.Event(), context.Event()
        holder = context.Process(
            target=_hold_lock, args=(str(results / ".results.lock"), ready, release)
        )
        holder.start()
        assert ready.wait(60)
    args = [a for a in bench_dir if a != "--no-mlflow"]
    uri = f"sqlite:///{pytester.path / 'store.db'}"
    try:
        result = pytester.runpytest_subprocess(*args, "-k", "vader", "--mlflow-uri", uri)
    finally:
        if holder is not None:
            release.set()
            holder.join(60)
    output = result.stdout.str() + result.stderr.str()
    assert result.ret == 1, output[-3000:]
    assert "Traceback" not in output and "INTERNALERROR" not in output
    assert f"RESULTS NOT WRITTEN to {results}" in output and reason in output
    if "lock" in fault:
        assert f"waiting for {results / '.results.lock'}" in output
    if results.is_dir() and "broken" not in fault:  # what the fault itself did not touch
        after = {p.name: p.read_bytes() for p in results.iterdir() if p.is_file()}
        assert after == before, "a failed write must leave every old file as it was"
    line = next(line for line in output.splitlines() if "merge them with:" in line)
    command = line.split("merge them with: ", 1)[1].split()
    recovery = Path(command[3]) / "results.json"
    saved = json.loads(recovery.read_text())
    assert saved["variants"]["vader"]["runs"][0]["status"] == "ok"
    # the user fixes the folder, then merges the records back
    if results.is_file():
        results.unlink()
    if (results / "results.json").exists() and "broken" in fault:
        (results / "results.json").unlink()
    done = subprocess.run(
        [sys.executable, *command[1:]], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    merged = json.loads((results / "results.json").read_text())
    assert merged["variants"]["vader"] == saved["variants"]["vader"]
    import mlflow

    client = mlflow.MlflowClient(uri)
    sessions = client.search_runs(
        [e.experiment_id for e in client.search_experiments()], "tags.`bench.role` = 'session'"
    )
    assert [run.info.status for run in sessions] == ["FAILED"]


SIGTERM_IN_LINEAR = """
import os, signal

def pytest_runtest_call(item):
    if item.name == "test_train[linear-seed0]":
        from sklearn.model_selection import GridSearchCV
        original = GridSearchCV.fit

        def fit(self, *args, **kwargs):  # terminated in the middle of the grid search
            os.kill(os.getpid(), signal.SIGTERM)
            return original(self, *args, **kwargs)

        GridSearchCV.fit = fit
"""


def test_sigterm_stops_like_ctrl_c(pytester, bench_dir, monkeypatch):
    """SIGTERM mid-training: the finished case is written, the run ends KILLED, and no
    temporary folder is left behind."""
    scratch = pytester.path / "scratch"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    pytester.makeconftest(SIGTERM_IN_LINEAR)
    args = [a for a in bench_dir if a != "--no-mlflow"]
    uri = f"sqlite:///{pytester.path / 'store.db'}"
    result = pytester.runpytest_subprocess(*args, "-k", "simple or linear", "--mlflow-uri", uri)
    output = result.stdout.str() + result.stderr.str()
    assert result.ret == pytest.ExitCode.INTERRUPTED, output[-3000:]
    assert "session interrupted: the tables hold the cases that finished" in output
    stored = json.loads((pytester.path / "results" / "results.json").read_text())
    assert set(stored["variants"]) == {"simple"}
    leftovers = [p.name for p in scratch.iterdir() if not p.name.startswith("pytest-of")]
    assert leftovers == [], leftovers
    import mlflow

    client = mlflow.MlflowClient(uri)
    runs = client.search_runs([e.experiment_id for e in client.search_experiments()])
    session = [r for r in runs if r.data.tags.get("bench.role") == "session"]
    assert [r.info.status for r in session] == ["KILLED"]
    assert "RUNNING" not in {r.info.status for r in runs}


CORRUPT_BASELINE = """
from pathlib import Path

def pytest_runtest_teardown(item, nextitem):
    if item.name.startswith("test_train["):  # the baseline breaks during the session
        Path("{path}").write_text("{{ broken")
"""


def test_a_gate_that_cannot_be_checked_is_not_stored_as_ok(pytester, bench_dir):
    baseline = pytester.path / "base.json"
    pytester.runpytest_subprocess(
        *bench_dir, "-k", "vader", "--update-baseline", "--baseline", str(baseline)
    ).assert_outcomes(passed=2)
    stored = json.loads((pytester.path / "results" / "results.json").read_text())
    pytester.makeconftest(CORRUPT_BASELINE.format(path=baseline))
    result = pytester.runpytest_subprocess(
        *bench_dir, "-k", "vader", "--gate", "--baseline", str(baseline)
    )
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*vader: evaluate (seed 0) failed (gate: *base.json: not valid*"])
    assert "Traceback" not in result.stdout.str()
    after = json.loads((pytester.path / "results" / "results.json").read_text())
    assert after["variants"] == stored["variants"], "the failed case must keep its stored run"
    assert after["session"]["failed"]["vader"]["evaluate (seed 0)"].startswith("gate: ")
    comparison = (pytester.path / "results" / "comparison.md").read_text()
    assert "had failed cases:** vader evaluate (seed 0): gate: " in comparison


BROKEN_VARIANT = """
from sentiment_models.variants.vader import VaderVariant

class Broken(VaderVariant):
    name = "broken"

    def describe(self):
        raise RuntimeError("cannot describe myself")

def pytest_bench_variants(config):
    return {"broken": Broken}
"""


def test_a_variant_that_fails_to_describe_itself_fails_its_case_only(pytester, bench_dir):
    pytester.makeconftest(BROKEN_VARIANT)
    result = pytester.runpytest_subprocess(*bench_dir, "-k", "vader or broken")
    result.assert_outcomes(passed=3, failed=1)
    output = result.stdout.str() + result.stderr.str()
    assert "INTERNALERROR" not in output
    result.stdout.fnmatch_lines(["*broken: evaluate (seed 0) failed (RuntimeError: cannot desc*"])
    stored = json.loads((pytester.path / "results" / "results.json").read_text())
    assert set(stored["variants"]) == {"vader"}


def test_two_sessions_on_a_new_default_store_both_succeed(pytester, bench_dir):
    """The default SQLite store is created by whichever session comes first; the other
    waits for its schema, and the store works afterwards."""
    args = [a for a in bench_dir if a != "--no-mlflow"]
    env = {k: v for k, v in __import__("os").environ.items() if k != "MLFLOW_TRACKING_URI"}
    command = [sys.executable, "-m", "pytest", *args, "-k", "vader"]
    runs = [
        subprocess.Popen(
            [*command, "--results-dir", str(pytester.path / f"r{i}")],
            cwd=pytester.path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for i in range(2)
    ]
    outputs = [run.communicate(timeout=600)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs[0][-2000:] + outputs[1][-2000:]
    import mlflow

    client = mlflow.MlflowClient(f"sqlite:///{pytester.path / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("sentiment-bench")
    sessions = client.search_runs([experiment.experiment_id], "tags.`bench.role` = 'session'")
    assert len(sessions) == 2 and {r.info.status for r in sessions} == {"FINISHED"}


def test_long_texts_are_cut_on_load_and_counted(pytester, bench_dir, tiny_rows):
    """A 1 MB text (VADER's time grows with the square of the length) is cut to the limit:
    the session finishes quickly and the tables say how many texts were cut."""
    rows = [*tiny_rows, ("so bad " * 150_000, "negative")]
    path = write_csv(pytester.path / "long.csv", rows)
    args = list(bench_dir)
    args[args.index("--data-path") + 1] = str(path)
    started = time.monotonic()
    result = pytester.runpytest_subprocess(*args, "-k", "vader", "--max-text-chars", "2000")
    result.assert_outcomes(passed=2)
    assert time.monotonic() - started < 120
    comparison = (pytester.path / "results" / "comparison.md").read_text()
    assert "Texts cut to 2,000 characters on load (--max-text-chars): 1." in comparison
    facts = json.loads((pytester.path / "results" / "results.json").read_text())
    data = facts["variants"]["vader"]["data"]
    assert (data["max_text_chars"], data["truncated_texts"]) == (2000, 1)


def test_files_follow_the_umask(pytester, bench_dir):
    import os

    previous = os.umask(0o027)
    try:
        pytester.runpytest_subprocess(*bench_dir, "-k", "vader").assert_outcomes(passed=2)
    finally:
        os.umask(previous)
    modes = {p.name: p.stat().st_mode & 0o777 for p in (pytester.path / "results").iterdir()}
    assert modes and set(modes.values()) == {0o640}, modes


BENCHMARKS_BLOCKED = """
import shutil
from pathlib import Path

def pytest_runtest_teardown(item, nextitem):
    if nextitem is None:  # pytest-benchmark's storage becomes a file before it saves the run
        shutil.rmtree(".benchmarks", ignore_errors=True)
        Path(".benchmarks").write_text("in the way")
"""


def test_the_tables_are_written_when_pytest_benchmark_cannot_save(pytester, bench_dir):
    pytester.makeconftest(BENCHMARKS_BLOCKED)
    result = pytester.runpytest_subprocess(*bench_dir, "-k", "vader", "--benchmark-autosave")
    output = result.stdout.str() + result.stderr.str()
    assert result.ret == 1, output[-3000:]
    assert "Traceback" not in output and "INTERNALERROR" not in output
    result.stdout.fnmatch_lines(
        ["pytest-benchmark could not write its files (*; the tables are written"]
    )
    stored = json.loads((pytester.path / "results" / "results.json").read_text())
    assert set(stored["variants"]) == {"vader"}
