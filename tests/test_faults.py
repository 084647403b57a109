"""Fault injection through the real plugin (pytester) and the real served model.

Each row of ``DATA_FAULTS`` and ``REQUEST_FAULTS`` is one fault: the test injects it, checks what
the user sees, and checks that nothing already computed was lost. The number of faults tried is
printed at the end of the session (see ``pytest_terminal_summary`` in ``tests/conftest.py``).
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import BENCH_FILE
from tests.helpers import write_csv
from tests.mlflow_server import free_port, model_server, serve_http

pytestmark = [pytest.mark.fault, pytest.mark.integration]


def _csv(rows, header=("text", "label")) -> str:
    lines = [",".join(header), *(",".join(row) for row in rows)]
    return "\n".join(lines) + "\n"


def _baseline(value) -> str:
    document = {"profiles": {"tiny": {"vader": {"seeds": {"0": {"accuracy": value}}}}}}
    return json.dumps(document)


TWEETEVAL = {
    "tweeteval/mapping.txt": "0\tnegative\n1\tneutral\n2\tpositive\n",
    **{
        f"tweeteval/{prefix}_{kind}.txt": "".join(
            f"{prefix} tweet {i}\n" if kind == "text" else f"{i % 3}\n" for i in range(9)
        )
        for prefix in ("train", "val", "test")
        for kind in ("text", "labels")
    },
}
TWEETEVAL_ARGS = ("--dataset", "tweeteval", "--data-path", "{dir}/tweeteval")


def _tweeteval(**changed: str | None) -> dict[str, str | bytes]:
    """The TweetEval folder with files changed (``None``: removed); keys are file names."""
    files: dict[str, str | bytes] = dict(TWEETEVAL)
    for name, text in changed.items():
        key = f"tweeteval/{name.replace('__', '.')}"
        if text is None:
            del files[key]
        else:
            files[key] = text
    return files


@dataclass(frozen=True)
class Fault:
    """One bad input, as data: the options (``{dir}`` is the test's folder, ``{root}`` the
    session's root folder, where the bench's tiny CSV is), the files
    written there first (name -> text or bytes; ``None`` for a folder), files written in the
    session's root folder, and the error's fnmatch pattern."""

    args: tuple[str, ...]
    message: str
    files: Mapping[str, str | bytes | None] = field(default_factory=dict)
    root_files: Mapping[str, str] = field(default_factory=dict)

    def make(self, folder: Path, root: Path) -> list[str]:
        _write_files(folder, self.files)
        _write_files(root, self.root_files)
        return [arg.replace("{dir}", str(folder)).replace("{root}", str(root)) for arg in self.args]


def _write_files(folder: Path, files: Mapping[str, str | bytes | None]) -> None:
    """Each file in ``folder`` (text or bytes; ``None``: a folder)."""
    for name, content in files.items():
        path = folder / name
        if content is None:
            path.mkdir(parents=True, exist_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())


BAD_CSV = ("--data-path", "{dir}/bad.csv")

DATA_FAULTS = {
    # -- the data: files, columns, labels, sizes
    "missing file": Fault(
        ("--data-path", "{dir}/absent.csv"), "--data-path *absent.csv: no such file"
    ),
    "unreadable encoding": Fault(
        ("--data-path", "{dir}/latin1.csv"),
        "*latin1.csv: not valid utf-8 at byte *give the file's encoding with --data-encoding*",
        files={"latin1.csv": "text,label\nun caf\xe9 horrible,negative\n".encode("latin1")},
    ),
    "missing text column": Fault(
        BAD_CSV,
        "*bad.csv: no column 'text' (--text-column); the file's columns are ['body', 'label']",
        files={"bad.csv": _csv([("a", "b")], header=("body", "label"))},
    ),
    "label outside the mapping": Fault(
        (*BAD_CSV, "--label-map", "0=negative,4=positive"),
        "*bad.csv, row 3: label '9' is not in the label mapping (expected one of '0', '4')",
        files={"bad.csv": _csv([("good", "4"), ("bad", "9")])},
    ),
    "empty label": Fault(
        BAD_CSV,
        "*bad.csv, row 3: the label is empty",
        files={"bad.csv": _csv([("good", "positive"), ("bad", "")])},
    ),
    "single class": Fault(
        BAD_CSV,
        "*only one class ('neutral', 30 rows); a classifier needs at least two",
        files={"bad.csv": _csv([(f"tweet {i}", "neutral") for i in range(30)])},
    ),
    "split too small": Fault(
        BAD_CSV,
        "*too few rows to split: 5 rows and 2 classes*",
        files={"bad.csv": _csv([("a", "x"), ("b", "y"), ("c", "x"), ("d", "y"), ("e", "x")])},
    ),
    "all texts empty": Fault(
        BAD_CSV,
        "*bad.csv: no usable rows (every text was empty or a duplicate)",
        files={"bad.csv": _csv([("", "x"), ("  ", "y")])},
    ),
    "labels differ in case": Fault(
        BAD_CSV,
        "*bad.csv: labels 'positive' (row 2) and 'Positive' (row 3) differ only in case*",
        files={"bad.csv": _csv([("good", "positive"), ("bad", "Positive"), ("meh", "neutral")])},
    ),
    "labels differ in inner spaces": Fault(
        BAD_CSV,
        "*bad.csv: labels 'very positive' (row 2) and 'very  positive' (row 3) differ only*",
        files={"bad.csv": _csv([("good", "very positive"), ("bad", "very  positive"), ("x", "n")])},
    ),
    "numeric labels without a mapping": Fault(
        BAD_CSV,
        "*bad.csv: the labels are numbers (0, 1, 2); name the classes with --label-map*",
        files={"bad.csv": _csv([(f"tweet {i}", str(i % 3)) for i in range(30)])},
    ),
    "data path is a device": Fault(
        ("--data-path", "/dev/zero"),
        "--data-path /dev/zero: expected a regular file, found a special file*",
    ),
    "data path is a folder": Fault(
        ("--data-path", "{dir}"), "--data-path *: expected a regular file, found a directory"
    ),
    "unknown dataset": Fault(
        ("--dataset", "imdb"), "--dataset imdb: unknown dataset; expected one of*"
    ),
    "tweeteval labels shorter than texts": Fault(
        TWEETEVAL_ARGS,
        "*val_text.txt has 9 lines but *val_labels.txt has 1: expected one label per text",
        files=_tweeteval(val_labels__txt="0\n"),
    ),
    "tweeteval mapping missing": Fault(
        TWEETEVAL_ARGS,
        "*mapping.txt: missing; a TweetEval folder needs mapping.txt*",
        files=_tweeteval(mapping__txt=None),
    ),
    "tweeteval text not utf-8": Fault(
        TWEETEVAL_ARGS,
        "*test_text.txt, line 2: not valid utf-8*",
        files=_tweeteval(test_text__txt=b"ok\n\xff\xfe\n"),
    ),
    "training split lacks a test class": Fault(
        TWEETEVAL_ARGS,
        "*the training split has no rows of class positive, which the test split has*",
        files=_tweeteval(train_labels__txt="".join(f"{i % 2}\n" for i in range(9))),
    ),
    # -- a variant's files: GloVe vectors, a transformer checkpoint
    "glove file missing": Fault(
        ("--glove-path", "{dir}/glove.txt"), "--glove-path *glove.txt: no such file"
    ),
    "glove path a folder": Fault(
        ("--glove-path", "{dir}"), "--glove-path *: expected a regular file, found a directory"
    ),
    "glove file not glove": Fault(
        ("--glove-path", "{dir}/glove.txt"),
        "--glove-path *glove.txt, line 1: not GloVe text format*",
        files={"glove.txt": "hello world\n"},
    ),
    "glove bad line after line 2": Fault(
        ("--glove-path", "{dir}/g.txt", "--variant-param", "lstm-glove.embedding_dim=2"),
        "--glove-path *g.txt, line 3 ('bad x y*'): not GloVe text*",
        files={"g.txt": "the 0.1 0.2\nof 0.3 0.4\nbad x y\n"},
    ),
    "glove value NaN": Fault(
        ("--glove-path", "{dir}/g.txt"),
        "--glove-path *g.txt: the vector of 'of' holds NaN or infinity*",
        files={"g.txt": "the 0.1 0.2\nof nan 0.4\n"},
    ),
    "glove first line endless": Fault(
        ("--glove-path", "{dir}/g.txt"),
        "--glove-path *g.txt, line 1: longer than 65,536 characters*",
        files={"g.txt": "w" + " 0.5" * 40000},
    ),
    "hf model a file": Fault(
        ("--hf-model", "{dir}/model.bin"),
        "--hf-model '*model.bin': expected a folder, found a file*",
        files={"model.bin": "x"},
    ),
    "hf config.json not JSON": Fault(
        ("--hf-model", "{dir}/hf"),
        "*hf/config.json: not valid JSON*",
        files={"hf/config.json": "{not json"},
    ),
    "hf config.json without model_type": Fault(
        ("--hf-model", "{dir}/hf"),
        "*hf/config.json: not a transformers model configuration (no 'model_type')*",
        files={"hf/config.json": '{"architectures": ["X"]}'},
    ),
    "hf config.json id2label not a mapping": Fault(
        ("--hf-model", "{dir}/hf"),
        "*hf/config.json: 'id2label' must map output indices to label names",
        files={"hf/config.json": '{"model_type": "roberta", "id2label": ["a", "b"]}'},
    ),
    # -- the results store, its folder and the baseline: checked before any training
    "results.json not JSON": Fault(
        ("--results-dir", "{dir}/broken-results"),
        "*broken-results/results.json: not valid JSON*restore it from git or delete it*",
        files={"broken-results/results.json": "{ not json"},
    ),
    "results.json truncated": Fault(
        ("--results-dir", "{dir}/broken-results"),
        "*broken-results/results.json: not valid JSON*",
        files={"broken-results/results.json": '{"variants": {"simple": {"runs": ['},
    ),
    "results.json a list": Fault(
        ("--results-dir", "{dir}/broken-results"),
        "*broken-results/results.json: not a results store*",
        files={"broken-results/results.json": "[]"},
    ),
    "results.json a record without fields": Fault(
        ("--results-dir", "{dir}/broken-results"),
        "*broken-results/results.json: a record does not have the expected fields*",
        files={"broken-results/results.json": '{"variants": {"simple": {"variant": "simple"}}}'},
    ),
    "results.json a folder": Fault(
        ("--results-dir", "{dir}/r"), "*r/results.json: not a file*", files={"r/results.json": None}
    ),
    "results dir is a file": Fault(
        ("--results-dir", "{dir}/taken"),
        "--results-dir *taken: *taken is a file, not a folder*",
        files={"taken": "x"},
    ),
    "results dir under a file": Fault(
        ("--results-dir", "{dir}/taken/sub"),
        "--results-dir *taken/sub: *taken is a file, not a folder*",
        files={"taken": "x"},
    ),
    "results dir not writable": Fault(
        ("--results-dir", "/proc/sentiment-results"),
        "--results-dir /proc/sentiment-results: /proc is not writable*",
    ),
    "baseline not JSON": Fault(
        ("--gate", "--baseline", "{dir}/base.json"),
        "*base.json: not valid JSON*rebuild it with --update-baseline",
        files={"base.json": "{bad"},
    ),
    "baseline holds NaN": Fault(
        ("--gate", "--baseline", "{dir}/base.json"),
        "*base.json, profile 'tiny', variant 'vader', seed 0: accuracy is nan, not a finite*",
        files={"base.json": _baseline(float("nan"))},
    ),
    "baseline holds Infinity": Fault(
        ("--gate", "--baseline", "{dir}/base.json"),
        "*base.json*accuracy is inf, not a finite number*",
        files={"base.json": _baseline(float("inf"))},
    ),
    "baseline holds a string": Fault(
        ("--gate", "--baseline", "{dir}/base.json"),
        "*base.json*accuracy is '0.9', not a finite number*",
        files={"base.json": _baseline("0.9")},
    ),
    "baseline is a folder": Fault(
        ("--gate", "--baseline", "{dir}/bdir"),
        "--baseline *bdir: not a file*",
        files={"bdir": None},
    ),
    "baseline update from a smaller sample": Fault(
        ("--update-baseline", "--baseline", "{dir}/b.json", "--sample-size", "60"),
        "--update-baseline: this run does not match the tiny profile (--sample-size 60*"
        "add --force-baseline-update to write it anyway",
    ),
    "baseline update with changed parameters": Fault(
        ("--update-baseline", "--baseline", "{dir}/b.json", "--variant-param", "simple.cv_folds=3"),
        "--update-baseline: this run does not match*--variant-param simple.cv_folds=3*",
    ),
    "baseline update with another test size": Fault(
        ("--update-baseline", "--baseline", "{dir}/b.json", "--test-size", "0.3"),
        "--update-baseline: this run does not match*--test-size 0.3 (default 0.2)*",
    ),
    "pyproject floor NaN": Fault(
        ("--gate",),
        "*pyproject.toml [tool.sentiment-bench.floors] simple: expected a table*finite numbers)",
        root_files={
            "pyproject.toml": "[tool.sentiment-bench.floors]\nsimple = { accuracy = nan }\n"
        },
    ),
    "benchmark json a folder": Fault(
        ("--benchmark-json", "{dir}"), "--benchmark-json *: a folder; give a file path"
    ),
    "benchmark storage a file": Fault(
        ("--benchmark-autosave", "--benchmark-storage", "{dir}/store"),
        "--benchmark-storage *store: *store is a file, not a folder*",
        files={"store": "x"},
    ),
    # -- options: one row per class end to end (every option's checks: tests/test_config.py)
    "an option out of its range": Fault(
        ("--seed", "-1"), "--seed -1: expected 0 to 4,294,967,295*"
    ),
    "unknown tracking scheme": Fault(
        ("--mlflow-uri", "ftp://u:secret@host/x"),
        "--mlflow-uri ftp://u:***@host/x: unknown scheme 'ftp'*",
    ),
    "train score rows below the classes": Fault(
        ("--train-score-rows", "2"), "--train-score-rows 2: fewer rows than the 3 classes*"
    ),
    "sample too small for the CV folds": Fault(
        ("--sample-size", "4"),
        "--sample-size 4: the training split has 1 row(s) of class*needs 2 for its 2 CV folds*",
    ),
    "label map key twice": Fault(
        ("--label-map", "0=negative,2=neutral,2=positive"),
        "--label-map 0=negative,2=neutral,2=positive: raw label '2' is mapped twice*",
    ),
    "label map item malformed": Fault(
        ("--label-map", "0=negative,positive"),
        "--label-map 0=negative,positive: item 'positive' is not of the form RAW=LABEL*",
    ),
    "gate history outside git": Fault(
        ("--gate", "--gate-history", "3", "--baseline", "{dir}/baseline.json"),
        "--gate-history 3: git rev-parse in *: fatal: not a git repository*drop the option)",
    ),
    "gate history without the gate": Fault(
        ("--gate-history", "3"), "--gate-history does nothing without --gate: add --gate*"
    ),
    "job summary where nothing can be written": Fault(
        ("--summary-file", "/proc/summary.md"),
        "--summary-file folder /proc: /proc is not writable*choose a writable folder",
    ),
    # -- remote workers: refused before any gateway starts
    "remote worker without its checkout": Fault(
        ("--dist", "load", "--tx", "socket=127.0.0.1:9"),
        "--tx socket=127.0.0.1:9: a remote worker needs the folder of the project's checkout*",
    ),
    "workers given without a distribution mode": Fault(
        ("--tx", "popen"), "--tx starts no worker without --dist: add --dist load*"
    ),
    # -- variant parameters (every range: tests/test_config.py)
    "unknown variant parameter": Fault(
        ("--variant-param", "lstm.layers=3"), "variant 'lstm' has no parameter layers*"
    ),
    "a variant parameter out of its range": Fault(
        ("--variant-param", "lstm.epochs=0"),
        "variant 'lstm', parameter epochs=0: expected a number >= 1",
    ),
    # -- numbers beyond what their consumers accept, options that would do nothing
    "a seed beyond numpy's range": Fault(
        ("--seeds", "0,4294967296"),
        "--seeds 0,4294967296: expected seeds of at most 4,294,967,295 (the largest seed*",
    ),
    "the force flag alone": Fault(
        ("--force-baseline-update",),
        "--force-baseline-update does nothing without --update-baseline*",
    ),
    "no evaluation set and one": Fault(
        ("--eval-dataset", "none", "--eval-dataset", "twitter-entity"),
        "--eval-dataset none,twitter-entity: 'none' means no out-of-domain set*",
    ),
    "the training data as its own evaluation set": Fault(
        ("--eval-dataset", "csv={root}/tiny.csv"),
        "--eval-dataset csv:tiny.csv: the same data as the training dataset (*tiny.csv)*",
    ),
    # -- the gate's preconditions, before any training
    "gate with a split per seed": Fault(
        ("--gate", "--split-per-seed", "--baseline", "{dir}/b.json"),
        "--gate with --split-per-seed: the baseline pairs every seed with one test split*",
    ),
    "gate without a baseline": Fault(
        ("--gate", "--baseline", "{dir}/b.json"),
        "--gate: the tiny baseline in *b.json cannot gate simple: no baseline; linear: no*",
    ),
    "baseline update over another data's baseline": Fault(
        ("--update-baseline", "--baseline", "{dir}/b.json"),
        "--update-baseline: the tiny baseline in *b.json was made on other test data for "
        "simple (digest abc, *add --force-baseline-update to replace it",
        files={
            "b.json": json.dumps(
                {"profiles": {"tiny": {"simple": {"test_digest": "abc", "seeds": {}}}}}
            )
        },
    ),
    # -- the phrases to predict
    "predict file too many phrases": Fault(
        ("--predict-file", "{dir}/p.txt"),
        "--predict-file *p.txt: more than 1,000 phrases (line 1001)*",
        files={"p.txt": "".join(f"phrase {i}\n" for i in range(1500))},
    ),
    "predict phrase too long": Fault(
        ("--predict-file", "{dir}/p.txt"),
        "--predict-file *p.txt, line 2: 6,000 characters, more than --max-text-chars 5,000*",
        files={"p.txt": "fine\n" + "x" * 6000 + "\n"},
    ),
    "predict file a device": Fault(
        ("--predict-file", "/dev/zero"),
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
    fault_row = DATA_FAULTS[fault]
    args = bench_dir.but(fault_row.make(tmp_path, pytester.path), tracking=True)  # store too
    started = time.monotonic()
    result = pytester.runpytest_inprocess(*args)
    assert result.ret == 4, result.stdout.str()[-2000:] + result.stderr.str()[-2000:]
    assert time.monotonic() - started < 60, "a refusal must come at once"
    result.stderr.fnmatch_lines([_glob(f"ERROR: {fault_row.message}")])
    output = result.stdout.str() + result.stderr.str()
    assert "training on" not in output and "secret" not in output
    assert "Traceback" not in output and "INTERNALERROR" not in output
    after = {p.name: p.read_bytes() for p in results.iterdir() if p.is_file()}
    assert after == before, "a refused session must not touch the results"


@dataclass(frozen=True)
class Refusal:
    """A session refused after something was started for it (the tracking process, xdist
    workers), as data: the options and environment (``{dir}``: the test's folder,
    ``{free}``: a free loopback port, ``{server}``: the URL of the test's ``server``), the
    files written in the folder first, and the error's fnmatch pattern."""

    args: tuple[str, ...]
    message: str
    env: Mapping[str, str] = field(default_factory=dict)
    files: Mapping[str, str | bytes | None] = field(default_factory=dict)
    server: str = ""
    """A loopback server started for the test: ``silent`` (accepts, never answers), or a
    ``serve_http`` mode (``down``: /health answers 500; ``500``; ``slow``)."""
    deleted_experiment: bool = False
    """Create the SQLite store ``{dir}/deleted.db`` with a deleted experiment ``gone``."""
    workers: int = 0
    """``-n`` workers (0: a serial session)."""

    def make(self, folder: Path, stack: contextlib.ExitStack) -> tuple[list[str], dict[str, str]]:
        _write_files(folder, self.files)
        server = _start(self.server, stack) if self.server else ""
        if self.deleted_experiment:
            import mlflow

            client = mlflow.MlflowClient(f"sqlite:///{folder / 'deleted.db'}")
            client.delete_experiment(client.create_experiment("gone"))
        port = str(free_port())

        def fill(text: str) -> str:
            return (
                text.replace("{dir}", str(folder))
                .replace("{free}", port)
                .replace("{server}", server)
            )

        return [fill(arg) for arg in self.args], {k: fill(v) for k, v in self.env.items()}


def _start(kind: str, stack: contextlib.ExitStack) -> str:
    """A loopback server of ``kind`` (closed with the test); returns its URL."""
    if kind == "silent":
        import socket

        silent = stack.enter_context(socket.socket())
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        return f"http://127.0.0.1:{silent.getsockname()[1]}"
    server = serve_http(kind)
    stack.callback(server.close)
    return f"http://127.0.0.1:{server.server_address[1]}"


EXIT_BOUND = 60.0
"""Seconds within which a refused session's process must have exited (it takes 4 to 15 s
here; before the fix of the tracking process it never exited)."""
WORKING_STORE = ("--mlflow-uri", "sqlite:///{dir}/ok.db")
"""A store that works: the tracking process is running when the session is refused."""
ONE_ROW = {"bad.csv": _csv([("fine", "positive")])}
ONE_CLASS = "*bad.csv*: only one class ('positive', 1 rows); a classifier needs at least two"
REFUSED = "--mlflow-uri http://127.0.0.1:*: the tracking server does not answer (*refused*"

REFUSALS = {
    "tracking server refuses connections": Refusal(
        ("--mlflow-uri", "http://127.0.0.1:{free}"), REFUSED
    ),
    "tracking server never answers": Refusal(
        ("--mlflow-uri", "{server}"),
        "--mlflow-uri http://127.0.0.1:*: the tracking server does not answer (no answer within*",
        server="silent",
    ),
    "tracking server health 500": Refusal(
        ("--mlflow-uri", "{server}"),
        "--mlflow-uri http://127.0.0.1:*: /health answered 500",
        server="down",
    ),
    "tracking server api 500": Refusal(
        ("--mlflow-uri", "{server}"),
        "--mlflow-uri http://127.0.0.1:*: cannot open experiment*(the server answered HTTP 500*",
        server="500",
    ),
    "tracking server api too slow": Refusal(
        ("--mlflow-uri", "{server}"),
        "--mlflow-uri http://127.0.0.1:*: cannot open experiment*did not answer within 10 s*",
        server="slow",
    ),
    "tracking uri from the environment without scheme": Refusal(
        (), "MLFLOW_TRACKING_URI garbage: no scheme*", env={"MLFLOW_TRACKING_URI": "garbage"}
    ),
    "tracking store in an unwritable place": Refusal(
        (),
        "MLFLOW_TRACKING_URI sqlite:////proc/bench/x.db: cannot open experiment*cannot create*",
        env={"MLFLOW_TRACKING_URI": "sqlite:////proc/bench/x.db"},
    ),
    "tracking store not a database": Refusal(
        (),
        "MLFLOW_TRACKING_URI sqlite:///*n.db: cannot open experiment*file is not a database*",
        env={"MLFLOW_TRACKING_URI": "sqlite:///{dir}/n.db"},
        files={"n.db": "not a database"},
    ),
    "tracking store a folder": Refusal(
        ("--mlflow-uri", "sqlite:///{dir}/d.db"),
        "--mlflow-uri sqlite:///*d.db: cannot open experiment*not a file*",
        files={"d.db": None},
    ),
    "tracking file store": Refusal(
        (),
        "MLFLOW_TRACKING_URI file://*: cannot open experiment*",
        env={"MLFLOW_TRACKING_URI": "file://{dir}/mlruns"},
    ),
    "tracking experiment deleted": Refusal(
        ("--mlflow-uri", "sqlite:///{dir}/deleted.db", "--mlflow-experiment", "gone"),
        "--mlflow-experiment gone: the experiment is deleted*mlflow experiments restore*",
        deleted_experiment=True,
    ),
    "bad data while the tracking process checks the store": Refusal(
        (*WORKING_STORE, *BAD_CSV), ONE_CLASS, files=ONE_ROW
    ),
    "tracking server refuses connections, two workers": Refusal(
        ("--mlflow-uri", "http://127.0.0.1:{free}"), REFUSED, workers=2
    ),
    "file store, two workers": Refusal(
        (),
        "MLFLOW_TRACKING_URI file://*: cannot open experiment*",
        env={"MLFLOW_TRACKING_URI": "file://{dir}/mlruns"},
        workers=2,
    ),
    "results folder not writable, two workers": Refusal(
        ("--results-dir", "/proc/bench-results"),
        "--results-dir /proc/bench-results: /proc is not writable*choose a writable folder",
        workers=2,
    ),
    "bad data, two workers, tracking on": Refusal(
        (*WORKING_STORE, *BAD_CSV), ONE_CLASS, files=ONE_ROW, workers=2
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
    with contextlib.ExitStack() as stack:
        extra, env = refusal.make(tmp_path, stack)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        args = bench_dir.but(extra, tracking=True)
        if refusal.workers:
            args += ["-n", str(refusal.workers)]
        started = time.monotonic()
        try:
            result = pytester.runpytest_subprocess(*args, "-k", "vader", timeout=EXIT_BOUND)
        except pytester.TimeoutExpired:
            pytest.fail(f"the refused session had not exited after {EXIT_BOUND:g} s")
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
    args = bench_dir.tracked()
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
    "empty string": ({"dataframe_records": [{"text": ""}]}, 400),
    "only whitespace": ({"dataframe_records": [{"text": "   \t "}]}, 400),
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
        # the case run (tagged with its seed) holds the model; its variant run, with the same
        # start time, does not
        if r.data.tags.get("variant") == "simple" and "seed" in r.data.tags
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


@dataclass(frozen=True)
class WriteFault:
    """What breaks the results' write after training: a conftest doing it, the reason the
    terminal must give, whether another process holds the store's lock, and whether the fault
    damages the stored results itself (then only the merge can restore them)."""

    conftest: str
    reason: str
    holds_lock: bool = False
    damages_store: bool = False


AFTER_TRAINING_FAULTS = {
    "disk full while writing": WriteFault(DISK_FULL, "No space left on device"),
    "results.json broken meanwhile": WriteFault(
        BREAK_AFTER_TRAINING.format(damage='(results / "results.json").write_text("{ broken")'),
        "results.json: not valid JSON",
        damages_store=True,
    ),
    "results folder replaced by a file meanwhile": WriteFault(
        BREAK_AFTER_TRAINING.format(
            damage="shutil.rmtree(results); results.write_text('in the way')"
        ),
        "is a file, not a folder",
    ),
    "lock held by another session too long": WriteFault(
        LOCK_HELD, "still held by another session after", holds_lock=True
    ),
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
    write_fault = AFTER_TRAINING_FAULTS[fault]
    reason = write_fault.reason
    pytester.makeconftest(write_fault.conftest)
    holder = None
    if write_fault.holds_lock:
        context = multiprocessing.get_context("spawn")
        ready, release = context.Event(), context.Event()
        holder = context.Process(
            target=_hold_lock, args=(str(results / ".results.lock"), ready, release)
        )
        holder.start()
        assert ready.wait(60)
    args = bench_dir.tracked()
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
    if write_fault.holds_lock:
        assert f"waiting for {results / '.results.lock'}" in output
    if results.is_dir() and not write_fault.damages_store:  # what the fault itself did not touch
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
    if (results / "results.json").exists() and write_fault.damages_store:
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
    args = bench_dir.tracked()
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
    args = bench_dir.tracked()
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
