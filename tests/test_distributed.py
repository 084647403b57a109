"""Past one process: pytest-xdist workers (``-n``), execnet socket gateways (``--tx``), shards
(``--shard K/N``) and their merge, and the unit parts behind them (scheduling, threads,
devices, the origin check)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from sentiment_models import runtime
from sentiment_models.errors import MergeError
from sentiment_models.pytest_plugin.distributed import _host
from sentiment_models.reporting.merge import merge_shards
from sentiment_models.reporting.store import update_results
from sentiment_models.results import SessionInfo, origin_differences
from tests.helpers import make_result
from tests.mlflow_server import free_port

CASES = ("-k", "simple or linear or vader", "--seeds", "0,1")
"""Deterministic variants, two seeds: 4 cases (vader does not train and simple's training
ignores the seed: one seed each)."""
TIMING_ROWS = ("Training time", "Training throughput", "Evaluate time", "Evaluate throughput")


def test_gateway_hosts_count_loopback_as_this_machine():
    from execnet import XSpec

    assert _host(XSpec("popen")) == _host(XSpec("socket=127.0.0.1:8888")) == "local"
    assert _host(XSpec("ssh=gpu-box//python=python3")) == "gpu-box"
    assert _host(XSpec("socket=10.0.0.7:8888")) == "10.0.0.7"


def test_results_of_other_data_or_code_are_not_merged(tmp_path):
    record = make_result("simple", 0.7)
    other_data = replace(record, data=replace(record.data, dataset_digest="e" * 64))
    other_code = replace(
        record,
        provenance=replace(
            record.provenance, packages={**record.provenance.packages, "torch": "9.9"}
        ),
    )
    assert (
        origin_differences((record.data, record.provenance), (record.data, record.provenance)) == []
    )
    found = origin_differences(
        (record.data, record.provenance), (other_code.data, other_code.provenance)
    )
    assert len(found) == 1 and found[0].startswith("package torch: ")
    for folder, result in (("a", record), ("b", replace(other_data, variant="linear"))):
        update_results(
            tmp_path / folder, {result.variant: result}, SessionInfo("now"), lambda store: {}
        )
    with pytest.raises(MergeError, match="dataset digest: dddddddddddd here, eeeeeeeeeeee there"):
        merge_shards([tmp_path / "a", tmp_path / "b"])
    with pytest.raises(MergeError, match=r"missing: no results\.json"):
        merge_shards([tmp_path / "a", tmp_path / "missing"])


# -- sessions ----------------------------------------------------------------------------------
def comparable(folder: Path) -> dict:
    """A results store without what differs between equal sessions: dates, durations, and
    where each case ran."""
    store = json.loads((folder / "results.json").read_text())
    store["session"].pop("date")
    for record in store["variants"].values():
        record["provenance"].pop("date")
        for run in record["runs"]:
            for timing in (run["train"], run["evaluate"]):
                timing.pop("seconds")
                timing.pop("throughput", None)
            run.pop("execution")
            run.pop("check_seconds", None)  # how long the per-model checks took
    return store


def comparable_table(folder: Path) -> list[str]:
    lines = (folder / "comparison.md").read_text().splitlines()
    return [
        line
        for line in lines
        if not line.startswith(
            ("| Produced", "| Threads", "| Process", *(f"| {row}" for row in TIMING_ROWS))
        )
        and "session of" not in line
    ]


def comparable_baseline(path: Path) -> dict:
    document = json.loads(path.read_text())
    for variants in document["profiles"].values():
        for entry in variants.values():
            entry.pop("date", None)
    return document


def test_workers_give_the_serial_results_written_once(pytester, bench_dir):
    """``-n 2``: a seed at a time per worker, the controller writes the tables and a
    pytest-benchmark JSON once, the results equal a serial session's; the workers and the
    controller share a new SQLite store (its schema created once, under its lock), and each
    variant has one run there, whichever workers ran its seeds."""
    serial_dir, parallel_dir = pytester.path / "serial", pytester.path / "parallel"
    serial = pytester.runpytest_subprocess(*bench_dir, *CASES, "--results-dir", str(serial_dir))
    serial.assert_outcomes(passed=8)
    report = pytester.path / "parallel.json"
    store = f"sqlite:///{pytester.path / 'shared.db'}"
    parallel = pytester.runpytest_subprocess(
        *bench_dir.tracked(),
        "--mlflow-uri",
        store,
        *CASES,
        "--results-dir",
        str(parallel_dir),
        "-n",
        "2",
        f"--benchmark-json={report}",
    )
    parallel.assert_outcomes(passed=8)
    parallel.stdout.fnmatch_lines(
        [
            "*3 variant(s) over 2 xdist worker(s), a seed at a time per worker*",
            "*linear-seed1: test accuracy *",
            "*results written: *parallel/comparison.md*",
        ]
    )
    assert comparable(parallel_dir) == comparable(serial_dir)
    assert comparable_table(parallel_dir) == comparable_table(serial_dir)
    stored = json.loads((parallel_dir / "results.json").read_text())
    threads = runtime.default_threads(2)
    widened = {threads, runtime.usable_cores()}  # a worker left alone takes the freed cores
    executions = [run["execution"] for r in stored["variants"].values() for run in r["runs"]]
    assert {run["threads"] for run in executions} <= widened
    assert {run["device"] for run in executions} == {"cpu"}
    assert {run["worker"] for run in executions} == {"gw0", "gw1"}
    table = (parallel_dir / "comparison.md").read_text()
    assert re.search(r"\| Threads +\| \d+ +\| \d+ +\| \d+ +\|", table)
    benchmarks = json.loads(report.read_text())["benchmarks"]
    assert len(benchmarks) == 8
    names = {bench["fullname"] for bench in benchmarks}
    assert "test_models.py::test_evaluate[linear-seed1]" in names
    assert all(bench["stats"]["rounds"] == 1 and bench["stats"]["mean"] > 0 for bench in benchmarks)
    compare = subprocess.run(
        [str(Path(sys.executable).parent / "pytest-benchmark"), "compare", str(report)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert compare.returncode == 0, compare.stderr
    assert "test_train[simple-seed0]" in compare.stdout
    roles = logged_roles(store)
    assert roles["session"] == ["bench"] and roles["variant"] == ["linear", "simple", "vader"]
    assert roles["seed"] == [
        "linear-seed0",
        "linear-seed1",
        "simple-seed0",
        "vader-seed0",
    ]


def logged_roles(uri: str) -> dict[str, list[str]]:
    """Run names by role (session, variant, seed) in the bench's experiment."""
    import mlflow

    client = mlflow.MlflowClient(uri)
    experiment = client.get_experiment_by_name("sentiment-bench")
    roles: dict[str, list[str]] = {}
    for run in client.search_runs([experiment.experiment_id], max_results=1000):
        role = run.data.tags.get("bench.role") or ("seed" if "seed" in run.data.tags else "?")
        name = "bench" if role == "session" else run.info.run_name
        roles.setdefault(role, []).append(name)
    return {role: sorted(names) for role, names in roles.items()}


def test_shards_merged_equal_one_serial_session(pytester, bench_dir):
    serial_dir = pytester.path / "serial"
    pytester.runpytest_subprocess(
        *bench_dir,
        *CASES,
        "--results-dir",
        str(serial_dir),
        "--update-baseline",
        "--baseline",
        str(serial_dir / "baseline.json"),
    ).assert_outcomes(passed=8)
    shards = []
    for k in (1, 2):
        shard = pytester.path / f"shard-{k}"
        result = pytester.runpytest_subprocess(
            *bench_dir, *CASES, "--results-dir", str(shard), "--shard", f"{k}/2"
        )
        assert result.ret == 0
        shards.append(shard)
    merged = pytester.path / "merged"
    command = [sys.executable, "-m", "sentiment_models.reporting.merge", "--into", str(merged)]
    baseline = merged / "baseline.json"
    done = subprocess.run(
        [*command, *map(str, shards), "--update-baseline", str(baseline)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "merged 2 shard(s)" in done.stdout
    assert comparable(merged) == comparable(serial_dir)
    assert comparable_table(merged) == comparable_table(serial_dir)
    assert comparable_baseline(baseline) == comparable_baseline(serial_dir / "baseline.json")
    assert (merged / "tradeoff.png").stat().st_size > 0
    refused = subprocess.run(
        [*command, str(shards[0]), str(pytester.path / "nowhere")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode == 2 and "nowhere: no results.json" in refused.stderr


DOCUMENTED_SOCKET = "pytest bench -k simple --dist load --tx socket="
DISTRIBUTED_DOC = Path(__file__).resolve().parent.parent / "docs" / "distributed.md"


def _documented_socket_command(port: int, checkout: Path) -> list[str]:
    """The socket-gateway command of docs/distributed.md as written, with the test's port and
    the remote host's checkout in place of its example ones."""
    lines = DISTRIBUTED_DOC.read_text().splitlines()
    line = next(line for line in lines if line.startswith(DOCUMENTED_SOCKET))
    words = line.split()
    spec = next(word for word in words if word.startswith("socket="))
    assert re.fullmatch(r"socket=127\.0\.0\.1:\d+//chdir=\S+", spec), spec
    ours = f"socket=127.0.0.1:{port}//chdir={checkout}"
    return [ours if word == spec else word for word in words[1:]]


def _files(folder: Path) -> set[str]:
    """The files under ``folder``, bytecode caches aside."""
    return {
        str(path.relative_to(folder))
        for path in folder.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


def test_documented_socket_gateway_command_runs_from_the_project_root(pytester, bench_dir):
    """docs/distributed.md's socket-gateway command, run as written from the project's root
    against a real execnet socket server on 127.0.0.1 whose worker has a checkout of its own:
    a case runs on each gateway, and nothing is copied into either folder (pytest-xdist's
    rsync would copy pytest there)."""
    local, remote = pytester.path, pytester.path.parent / "remote-checkout"
    (local / "bench").mkdir()
    (local / "test_models.py").rename(local / "bench" / "test_models.py")
    (remote / "bench").mkdir(parents=True)
    for name in ("tox.ini", "bench/test_models.py"):  # pytester.makeini writes tox.ini
        (remote / name).write_text((local / name).read_text())
    remote_before, local_before = _files(remote), _files(local)
    port = free_port()
    server_script = Path(__import__("execnet").__file__).parent / "script" / "socketserver.py"
    server = subprocess.Popen(
        [sys.executable, str(server_script), f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        command = _documented_socket_command(port, remote)
        command[command.index("simple")] = "simple or vader"  # a case for each gateway
        result = pytester.runpytest_subprocess(*command, *bench_dir)
    finally:
        server.kill()
        server.wait(timeout=30)
    output = result.stdout.str() + result.stderr.str()
    assert "INTERNALERROR" not in output, output[-3000:]
    result.assert_outcomes(passed=4)
    stored = json.loads((local / "results" / "results.json").read_text())
    workers = {r["runs"][0]["execution"]["worker"] for r in stored["variants"].values()}
    assert set(stored["variants"]) == {"simple", "vader"} and workers == {"gw0", "gw1"}
    assert _files(remote) == remote_before, "nothing may be copied into the remote checkout"
    expected = ("results/", ".cache/", "stdout", "stderr")  # pytester keeps the output there
    new_here = {name for name in _files(local) - local_before if not name.startswith(expected)}
    assert not new_here, f"files appeared in the project: {sorted(new_here)}"


CRASHING_CONFTEST = """
import os

from sentiment_models.variants import SentimentVariant, VariantDescription


class CrashingVariant(SentimentVariant):
    name = "crashing"

    def _fit(self, texts, labels, validation=None):
        os._exit(3)  # the worker process dies, as on an out-of-memory kill

    def _predict_proba(self, texts):
        raise AssertionError("never reached")

    def describe(self):
        return VariantDescription("-", "-", "-", "-", "crashing")

    def save_model(self, folder):
        raise AssertionError("never reached")

    def load_model(self, folder):
        raise AssertionError("never reached")


def pytest_bench_variants(config):
    return {"crashing": CrashingVariant}
"""


def test_a_dead_worker_fails_its_case_and_the_others_are_kept(pytester, bench_dir):
    pytester.makeconftest(CRASHING_CONFTEST)
    result = pytester.runpytest_subprocess(*bench_dir, "-k", "simple or crashing", "-n", "2")
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed") == 2 and outcomes.get("failed", 0) >= 1, outcomes
    result.stdout.fnmatch_lines(["*crashed while running*crashing-seed0*"])
    result.stdout.fnmatch_lines(["*worker gw* died*every case that finished was kept*"])
    stored = json.loads((pytester.path / "results" / "results.json").read_text())
    assert set(stored["variants"]) == {"simple"}


FLAKY_CONFTEST = """
import os
from pathlib import Path

from sentiment_models.variants.simple import SimpleVariant


class CrashesOnce(SimpleVariant):
    name = "crashes-once"

    def _fit(self, texts, labels, validation=None):
        marker = Path(os.environ["CRASH_MARKER"])
        if not marker.exists():  # the first worker dies; its replacement trains normally
            marker.write_text("crashed")
            os._exit(3)
        return super()._fit(texts, labels, validation)


def pytest_bench_variants(config):
    return {"crashes-once": CrashesOnce}
"""


def test_a_case_whose_worker_died_is_not_stored_as_ok_when_a_replacement_finishes_it(
    pytester, bench_dir, monkeypatch
):
    """xdist replaces the dead worker, and the replacement runs the case again: pytest
    reports the crashed train phase failed, so the store must not hold the case as a good
    run, and the terminal says why."""
    monkeypatch.setenv("CRASH_MARKER", str(pytester.path / "crashed.txt"))
    pytester.makeconftest(FLAKY_CONFTEST)
    result = pytester.runpytest_subprocess(*bench_dir, "-k", "crashes-once", "-n", "2")
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed") == 1 and outcomes.get("passed", 0) >= 1, outcomes
    result.stdout.fnmatch_lines(
        [
            "*crashes-once: run (seed 0) failed (test_train[[]crashes-once-seed0[]]: worker "
            "'gw*' crashed while running*; its stored results were kept"
        ]
    )
    stored = pytester.path / "results" / "results.json"
    assert not stored.exists() or "crashes-once" not in json.loads(stored.read_text())["variants"]


def test_a_bad_option_stops_a_parallel_session_as_a_serial_one(pytester, bench_dir):
    args = [*bench_dir, "--data-path", str(pytester.path / "missing.csv")]
    result = pytester.runpytest_subprocess(*args, "-k", "simple", "-n", "2")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --data-path */missing.csv: no such file"])


WORKER_HOST_CONFTEST = """
import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config):
    if hasattr(config, "workerinput"):  # as on a remote host that lacks the file
        config.option.data_path = "only-on-the-controller.csv"
"""


def test_a_worker_whose_host_fails_the_checks_fails_its_cases_with_the_reason(pytester, bench_dir):
    pytester.makeconftest(WORKER_HOST_CONFTEST)
    result = pytester.runpytest_subprocess(*bench_dir, "-k", "simple", "-n", "2")
    result.assert_outcomes(errors=2)  # at set-up: the case never starts
    result.stdout.fnmatch_lines(
        ["*not run on gw*: --data-path only-on-the-controller.csv: no such file*"]
    )


OTHER_VERSIONS_CONFTEST = """
import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    if hasattr(config, "workerinput"):  # as a remote host with other package versions
        from sentiment_models.pytest_plugin import preparation

        preparation.package_versions = lambda: {"numpy": "0.0-worker"}
"""


def test_results_made_with_other_package_versions_are_not_merged(pytester, bench_dir):
    pytester.makeconftest(OTHER_VERSIONS_CONFTEST)
    result = pytester.runpytest_subprocess(*bench_dir, "-k", "simple", "-n", "2")
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # the cases passed; the merge did not
    result.stdout.fnmatch_lines(
        [
            "*simple-seed0 from gw*: results not merged, made on other data or code: *"
            "package numpy: * here, 0.0-worker there*"
        ]
    )
    assert not (pytester.path / "results" / "results.json").exists()


SLOW_SEEDS = """
import time

from tests.helpers import Prior


class Slow(Prior):
    name = "slow"

    def _fit(self, texts, labels, validation=None):
        time.sleep(1.5)
        super()._fit(texts, labels, validation)


def pytest_bench_variants(config):
    return {"slow": Slow}
"""


def test_cores_a_finished_worker_leaves_go_to_the_worker_still_running():
    from sentiment_models.pytest_plugin.cores import share

    assert share(1, given=False, up=None) == 1  # nothing recorded: unchanged
    assert share(1, given=False, up=1) == runtime.usable_cores()
    assert share(1, given=True, up=1) == 1  # --threads given: the user's count stays
    assert share(4, given=False, up=2) == max(4, runtime.usable_cores() // 2)  # never fewer


WIDENING_FIT = """
import time

from sentiment_models import runtime
from tests.helpers import Prior


class Widening(Prior):
    name = "widening"

    def _fit(self, texts, labels, validation=None):
        deadline = time.monotonic() + 90
        while runtime.current().threads < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
            runtime.resize_point()  # as MiniLM's fine-tuning does between its steps
        self.widened_to = runtime.current().threads
        super()._fit(texts, labels, validation)

    def hyperparameters(self):
        return {**super().hyperparameters(), "widened_to": self.widened_to}


def pytest_bench_variants(config):
    return {"widening": Widening}
"""


@pytest.mark.skipif(runtime.usable_cores() < 2, reason="needs 2 usable cores to share")
def test_under_xdist_a_long_fit_takes_the_cores_a_finished_worker_freed(
    pytester, bench_dir, monkeypatch
):
    """Two workers, a seed at a time: vader on one, a long fit on the other, which began on
    one thread. Once vader's worker is down, the fit's next resize point (``runtime``) gives it
    both cores, in the middle of its train phase."""
    pytester.makeconftest(WIDENING_FIT)
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parent.parent))
    result = pytester.runpytest_subprocess(*bench_dir, "-k", "widening or vader", "-n", "2")
    result.assert_outcomes(passed=4)
    stored = json.loads((pytester.path / "results" / "results.json").read_text())
    record = stored["variants"]["widening"]
    assert record["runs"][0]["execution"]["threads"] == 1  # when its train phase began
    assert record["hyperparameters"]["widened_to"] == 2


@pytest.mark.skipif(runtime.usable_cores() < 2, reason="needs 2 usable cores to share")
def test_under_xdist_the_last_worker_widens_its_threads_when_the_other_is_done(
    pytester, bench_dir, monkeypatch
):
    """Two workers, one core each, with the gate (a variant and all its seeds per worker):
    vader (one short case) on one, three seeds of a slow variant on the other. Once vader's
    worker is down, the slow variant's later seeds train with both cores, and the table's
    Threads row says so."""
    pytester.makeconftest(SLOW_SEEDS)
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parent.parent))
    selected = (*bench_dir, "-k", "slow or vader", "--seeds", "0,1,2")
    pytester.runpytest_subprocess(*selected, "--update-baseline").assert_outcomes(passed=8)
    args = (*selected, "--gate", "-n", "2")
    result = pytester.runpytest_subprocess(*args)
    result.assert_outcomes(passed=8)
    stored = json.loads((pytester.path / "results" / "results.json").read_text())
    threads = [run["execution"]["threads"] for run in stored["variants"]["slow"]["runs"]]
    assert threads[0] == 1 and threads[-1] == 2, threads
    assert not list((pytester.path / ".cache" / "sentiment-bench" / "workers").glob("*.json"))
    fixed = pytester.runpytest_subprocess(*args, "--threads", "1")
    fixed.assert_outcomes(passed=8)
    stored = json.loads((pytester.path / "results" / "results.json").read_text())
    assert {run["execution"]["threads"] for run in stored["variants"]["slow"]["runs"]} == {1}
