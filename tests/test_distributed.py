"""Past one process: pytest-xdist workers (``-n``), execnet socket gateways (``--tx``), shards
(``--shard K/N``) and their merge, and the unit parts behind them (scheduling, threads,
devices, the origin check)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest

from sentiment_models import runtime
from sentiment_models.config import parse_shard, shard_spec
from sentiment_models.errors import MergeError
from sentiment_models.pytest_plugin.distributed import _host
from sentiment_models.pytest_plugin.scheduling import VariantScheduling
from sentiment_models.pytest_plugin.session import shard_members
from sentiment_models.reporting.merge import merge_shards
from sentiment_models.reporting.store import update_results
from sentiment_models.results import SessionInfo, origin_differences
from sentiment_models.variants import variant_names
from tests.helpers import make_result
from tests.mlflow_server import free_port

CASES = ("-k", "simple or linear or vader", "--seeds", "0,1")
"""Deterministic variants, two seeds: 5 cases (vader does not train: one seed)."""
TIMING_ROWS = ("Training time", "Training throughput", "Evaluate time", "Evaluate throughput")


# -- units -----------------------------------------------------------------------------------
def test_a_variant_is_one_scheduling_scope_with_all_its_seeds():
    scope = VariantScheduling._split_scope  # uses no scheduler state
    train = scope(None, "bench/test_models.py::test_train[lstm-word2vec-seed0]")
    evaluate = scope(None, "bench/test_models.py::test_evaluate[lstm-word2vec-seed2]")
    assert train == evaluate == "sentiment-bench:lstm-word2vec"
    assert scope(None, "bench/test_models.py::test_train[lstm-seed0]") != train
    assert scope(None, "tests/test_a.py::test_x[1]") == "tests/test_a.py::test_x[1]"
    assert scope(None, "tests/test_a.py::test_x[1]@db") == "db"


def test_expected_seconds_come_from_the_stored_runs_times_the_seeds_to_run(tmp_path):
    from sentiment_models.config import BenchConfig, TrackingConfig
    from sentiment_models.pytest_plugin.session import BenchSession

    config = BenchConfig(tracking=TrackingConfig(no_mlflow=True))
    session = BenchSession(config, tmp_path, variant_params={})
    assert session.expected_seconds() == {}  # no store yet: every length unknown
    stored = {
        "simple": make_result("simple", 0.6, seconds=10.0, seeds=(0, 1)),
        "vader": make_result("vader", 0.45, seconds=0.5),
        "gone": make_result("gone", 0.5),  # no longer registered: left out
    }
    update_results(session.results_dir, stored, SessionInfo("now"), lambda store: {})
    expected = session.expected_seconds()
    assert set(expected) == {"simple", "vader"}
    assert expected["simple"] == pytest.approx((10.0 + 1.5) * 3)  # the full profile's 3 seeds
    assert expected["vader"] == pytest.approx(0.5 + 1.5)  # does not train: one case


class FakeNode:
    """What xdist's scheduler asks of a worker controller: take test indexes to run."""

    shutting_down = False

    def __init__(self) -> None:
        self.sent: list[list[int]] = []

    def send_runtest_some(self, indexes: list[int]) -> None:
        self.sent.append(indexes)


def test_the_longest_variant_is_handed_out_first():
    """xdist's scope scheduler, fed the stored seconds: the variant with no record first (an
    unknown length counts as the longest), then by cost, longest first."""
    ids = [
        f"bench/test_models.py::test_{phase}[{name}-seed0]"
        for phase in ("train", "evaluate")
        for name in ("simple", "minilm-finetuned", "team-model", "vader")
    ]
    config = SimpleNamespace(getvalue=lambda name: ["popen"])
    costs = {"simple": 300.0, "minilm-finetuned": 1200.0, "vader": 0.4}
    scheduler = VariantScheduling(config, None, costs=costs)
    node = FakeNode()
    scheduler.registered_collections[node] = ids
    for node_id in ids:
        scheduler.workqueue.setdefault(scheduler._split_scope(node_id), {})[node_id] = False
    for _ in range(4):
        scheduler._assign_work_unit(node)
    order = [
        sorted({ids[index].split("[")[1].split("-seed")[0] for index in sent}) for sent in node.sent
    ]
    assert order == [["team-model"], ["minilm-finetuned"], ["simple"], ["vader"]]


def test_a_deployment_variant_runs_on_the_worker_of_the_variant_it_derives_from():
    """minilm-finetuned-int8 quantises minilm-finetuned's model of the same seed: one scope,
    whose cost is both variants' together, so the pair goes out first."""
    ids = [
        f"bench/test_models.py::test_{phase}[{name}-seed{seed}]"
        for phase in ("train", "evaluate")
        for name in ("simple", "minilm-finetuned", "minilm-finetuned-int8")
        for seed in (0, 1)
    ]
    costs = {"simple": 500.0, "minilm-finetuned": 400.0, "minilm-finetuned-int8": 200.0}
    scheduler = VariantScheduling(SimpleNamespace(getvalue=lambda name: ["popen"]), None, costs)
    assert scheduler.costs == {"simple": 500.0, "minilm-finetuned": 600.0}
    node = FakeNode()
    scheduler.registered_collections[node] = ids
    for node_id in ids:
        scheduler.workqueue.setdefault(scheduler._split_scope(node_id), {})[node_id] = False
    assert len(scheduler.workqueue) == 2
    scheduler._assign_work_unit(node)
    sent = [ids[index] for index in node.sent[0]]
    assert sent == [node_id for node_id in ids if "minilm" in node_id]  # in collection order


def test_a_worker_gets_its_next_variant_only_when_its_last_case_starts():
    ids = [
        f"bench/test_models.py::test_{phase}[{name}-seed0]"
        for phase in ("train", "evaluate")
        for name in ("minilm-finetuned", "simple", "vader")
    ]
    costs = {"minilm-finetuned": 1200.0, "simple": 300.0, "vader": 0.4}
    scheduler = VariantScheduling(SimpleNamespace(getvalue=lambda name: ["popen"]), None, costs)
    node = FakeNode()
    scheduler.registered_collections[node] = ids
    for node_id in ids:
        scheduler.workqueue.setdefault(scheduler._split_scope(node_id), {})[node_id] = False
    scheduler._assign_work_unit(node)  # minilm: train and evaluate to run
    scheduler._reschedule(node)
    assert len(node.sent) == 1  # xdist alone would queue simple behind it now
    scheduler.assigned_work[node]["sentiment-bench:minilm-finetuned"][ids[0]] = True
    scheduler._reschedule(node)  # minilm's evaluate runs: time for the next variant
    assert [ids[index] for index in node.sent[1]] == [ids[1], ids[4]]


def test_shards_partition_the_registry_whatever_is_selected():
    names = variant_names()
    shards = [shard_members(names, f"{k}/3") for k in (1, 2, 3)]
    assert sorted(name for shard in shards for name in shard) == sorted(names)
    assert all(shards) and not set(shards[0]) & set(shards[1])
    assert shard_members(names, "1/1") == names
    for shard in (*shards, *(shard_members(names, f"{k}/2") for k in (1, 2))):
        assert ("minilm-finetuned" in shard) == ("minilm-finetuned-int8" in shard)
    assert parse_shard("2/3") == (2, 3)
    for bad in ("0/2", "3/2", "a/b", "2", "1/0"):
        assert shard_spec(bad), bad


def test_threads_default_to_the_cores_shared_among_the_workers(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(16)), raising=False)
    assert runtime.default_threads(1) == 16
    assert runtime.default_threads(3) == 5
    assert runtime.default_threads(64) == 1


def test_configure_sizes_every_thread_pool(monkeypatch):
    from threadpoolctl import threadpool_info, threadpool_limits

    for name in (*runtime.THREAD_VARIABLES, "TF_NUM_INTEROP_THREADS"):
        monkeypatch.setenv(name, "")  # restored after the test
    with threadpool_limits():  # restores the BLAS pools after the test
        configured = runtime.configure(1, "cpu")
        assert configured == runtime.current() == runtime.Runtime(1, "cpu")
        assert all(os.environ[name] == "1" for name in runtime.THREAD_VARIABLES)
        assert {pool["num_threads"] for pool in threadpool_info()} <= {1}
    monkeypatch.setattr(runtime, "_current", None)


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


@pytest.mark.integration
def test_cpu_and_auto_devices_work_here_and_a_missing_gpu_is_a_clear_error():
    import torch

    assert runtime.torch_device("cpu") == "cpu"
    assert runtime.torch_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(runtime.DeviceError, match=r"torch sees no GPU.*--device cpu"):
            runtime.check_device("cuda:0")


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
    return store


def comparable_table(folder: Path) -> list[str]:
    lines = (folder / "comparison.md").read_text().splitlines()
    return [
        line
        for line in lines
        if not line.startswith(("| Produced", "| Threads", *(f"| {row}" for row in TIMING_ROWS)))
        and "session of" not in line
    ]


def comparable_baseline(path: Path) -> dict:
    document = json.loads(path.read_text())
    for variants in document["profiles"].values():
        for entry in variants.values():
            entry.pop("date", None)
    return document


def test_workers_give_the_serial_results_written_once(pytester, bench_dir):
    """``-n 2``: every seed of a variant on one worker, the controller writes the tables and
    a pytest-benchmark JSON once, the results equal a serial session's; the workers and the
    controller share a new SQLite store (its schema created once, under its lock)."""
    serial_dir, parallel_dir = pytester.path / "serial", pytester.path / "parallel"
    serial = pytester.runpytest_subprocess(*bench_dir, *CASES, "--results-dir", str(serial_dir))
    serial.assert_outcomes(passed=10)
    report = pytester.path / "parallel.json"
    store = f"sqlite:///{pytester.path / 'shared.db'}"
    parallel = pytester.runpytest_subprocess(
        *[arg for arg in bench_dir if arg != "--no-mlflow"],
        "--mlflow-uri",
        store,
        *CASES,
        "--results-dir",
        str(parallel_dir),
        "-n",
        "2",
        f"--benchmark-json={report}",
    )
    parallel.assert_outcomes(passed=10)
    parallel.stdout.fnmatch_lines(
        [
            "*3 variant(s) over 2 xdist worker(s), one worker per variant and all its seeds*",
            "*linear-seed1: test accuracy *",
            "*results written: *parallel/comparison.md*",
        ]
    )
    assert comparable(parallel_dir) == comparable(serial_dir)
    assert comparable_table(parallel_dir) == comparable_table(serial_dir)
    stored = json.loads((parallel_dir / "results.json").read_text())
    threads = runtime.default_threads(2)
    for record in stored["variants"].values():
        executions = [run["execution"] for run in record["runs"]]
        assert len({run["worker"] for run in executions}) == 1, executions
        assert {run["threads"] for run in executions} == {threads}
        assert {run["device"] for run in executions} == {"cpu"}
    assert len({r["runs"][0]["execution"]["worker"] for r in stored["variants"].values()}) == 2
    table = (parallel_dir / "comparison.md").read_text()
    assert re.search(rf"\| Threads +\| {threads} +\| {threads} +\| {threads} +\|", table)
    benchmarks = json.loads(report.read_text())["benchmarks"]
    assert len(benchmarks) == 10
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
        "simple-seed1",
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
    ).assert_outcomes(passed=10)
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


def joined(args: list[str]) -> list[str]:
    """``--flag value`` pairs as ``--flag=value``: xdist requires a path argument given to a
    remote gateway to lie under an rsync root; inside ``--flag=value`` it is an option."""
    out, index = [], 0
    while index < len(args):
        flag = args[index]
        following = args[index + 1] if index + 1 < len(args) else "-"
        if flag.startswith("--") and not following.startswith("-"):
            out.append(f"{flag}={following}")
            index += 2
        else:
            out.append(flag)
            index += 1
    return out


def test_socket_gateway_on_loopback_runs_cases_as_a_remote_host(pytester, bench_dir):
    """A second Python process serves an execnet socket gateway on 127.0.0.1: the same run
    works through ``--tx`` as on ``-n``."""
    port = free_port()
    server_script = Path(__import__("execnet").__file__).parent / "script" / "socketserver.py"
    server = subprocess.Popen(
        [sys.executable, str(server_script), f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        args = joined(bench_dir)  # remote gateways take paths only inside --flag=value
        result = pytester.runpytest_subprocess(
            *args,
            "-k",
            "simple or vader",
            "--tx",
            f"socket=127.0.0.1:{port}//chdir={pytester.path}",
            "--tx",
            "popen",
            "--dist",
            "load",
        )
    finally:
        server.kill()
        server.wait(timeout=30)
    result.assert_outcomes(passed=4)
    stored = json.loads((pytester.path / "results" / "results.json").read_text())
    workers = {r["runs"][0]["execution"]["worker"] for r in stored["variants"].values()}
    assert set(stored["variants"]) == {"simple", "vader"} and workers == {"gw0", "gw1"}


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
        from sentiment_models.pytest_plugin import session

        session.package_versions = lambda: {"numpy": "0.0-worker"}
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


def test_background_work_waits_for_the_timed_phase_to_end():
    """MLflow's CPU-heavy logging steps call ``wait_untimed``: they start only once the
    timed phase (a fit or predict under pytest-benchmark) is over."""
    import threading

    from sentiment_models import runtime

    events: list[str] = []
    started = threading.Event()

    def background() -> None:
        started.set()
        runtime.wait_untimed()
        events.append("logged")

    runtime.wait_untimed()  # no timed phase: returns at once
    with runtime.timed_phase():
        worker = threading.Thread(target=background)
        worker.start()
        assert started.wait(5)
        worker.join(0.3)
        events.append("timed phase over")
    worker.join(5)
    assert events == ["timed phase over", "logged"]
