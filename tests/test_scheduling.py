"""How pytest-xdist deals the bench cases (``pytest_plugin/scheduling.py``): a case (one seed
of a variant, with its derived variants) is one scope, or with ``--gate`` a variant and all its
seeds, handed out longest first by the stored seconds."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from sentiment_models.pytest_plugin.scheduling import VariantScheduling
from sentiment_models.reporting.store import update_results
from sentiment_models.results import SessionInfo
from tests.helpers import make_result

CONFIG = SimpleNamespace(getvalue=lambda name: ["popen"])


def test_a_case_is_one_scheduling_scope_and_its_derived_variant_goes_with_it():
    scope = VariantScheduling(CONFIG, None, by_seed=True)._split_scope
    train = scope("bench/test_models.py::test_train[lstm-word2vec-seed0]")
    assert train == scope("bench/test_models.py::test_evaluate[lstm-word2vec-seed0]")
    assert train == "sentiment-bench:lstm-word2vec-seed0"
    assert scope("bench/test_models.py::test_train[lstm-word2vec-seed2]") != train
    assert scope("bench/test_models.py::test_train[lstm-seed0]") != train
    assert (
        scope("bench/test_models.py::test_evaluate[minilm-finetuned-int8-seed1]")
        == scope("bench/test_models.py::test_train[minilm-finetuned-seed1]")
        == "sentiment-bench:minilm-finetuned-seed1"
    )
    assert scope("tests/test_a.py::test_x[1]") == "tests/test_a.py::test_x[1]"
    assert scope("tests/test_a.py::test_x[1]@db") == "db"


def test_with_the_gate_a_variant_is_one_scope_with_all_its_seeds():
    scope = VariantScheduling(CONFIG, None, by_seed=False)._split_scope
    train = scope("bench/test_models.py::test_train[lstm-word2vec-seed0]")
    evaluate = scope("bench/test_models.py::test_evaluate[lstm-word2vec-seed2]")
    assert train == evaluate == "sentiment-bench:lstm-word2vec"
    assert scope("bench/test_models.py::test_train[lstm-seed0]") != train


def test_the_seeds_of_the_longest_variant_go_out_first_one_per_free_worker():
    """Three seeds of a long variant and two short variants: each seed is a scope of the
    variant's cost per seed; the long variant's seeds go out first, to whichever worker asks."""
    ids = [
        f"bench/test_models.py::test_{phase}[{name}-seed{seed}]"
        for phase in ("train", "evaluate")
        for name, seeds in (("simple", (0,)), ("minilm-finetuned", (0, 1, 2)), ("lstm", (0, 1)))
        for seed in seeds
    ]
    costs = {"simple": 40.0, "minilm-finetuned": 1000.0, "lstm": 60.0}
    scheduler = VariantScheduling(CONFIG, None, costs=costs, by_seed=True)
    assert scheduler.cost("sentiment-bench:minilm-finetuned-seed2") == 1000.0
    workers = [FakeNode(), FakeNode()]
    for node in workers:
        scheduler.registered_collections[node] = ids
    for node_id in ids:
        scheduler.workqueue.setdefault(scheduler._split_scope(node_id), {})[node_id] = False
    dealt = []  # (worker, the cases of each scope handed to it), in the order handed out
    for turn in range(6):
        node = workers[turn % 2]
        scheduler._assign_work_unit(node)
        dealt.append((turn % 2, [ids[index].split("[")[1].rstrip("]") for index in node.sent[-1]]))
    assert dealt[:3] == [
        (0, ["minilm-finetuned-seed0"] * 2),  # its train and evaluate phases, in order
        (1, ["minilm-finetuned-seed1"] * 2),
        (0, ["minilm-finetuned-seed2"] * 2),
    ]
    assert sorted(cases[0] for _, cases in dealt[3:5]) == ["lstm-seed0", "lstm-seed1"]
    assert dealt[5][1] == ["simple-seed0"] * 2  # the shortest last


def test_expected_seconds_come_from_the_stored_runs_times_the_seeds_to_run(tmp_path):
    from sentiment_models.config import BenchConfig, TrackingConfig
    from sentiment_models.pytest_plugin.scheduling import expected_seconds
    from sentiment_models.pytest_plugin.settings import SessionSettings

    config = BenchConfig(tracking=TrackingConfig(no_mlflow=True))
    settings = SessionSettings(config, tmp_path, variant_params={})
    assert expected_seconds(settings) == {}  # no store yet: every length unknown
    stored = {
        "linear": make_result("linear", 0.6, seconds=10.0, seeds=(0, 1)),
        "simple": make_result("simple", 0.6, seconds=10.0),
        "vader": make_result("vader", 0.45, seconds=0.5),
        "gone": make_result("gone", 0.5),  # no longer registered: left out
    }
    update_results(settings.results_dir, stored, SessionInfo("now"), lambda store: {})
    expected = expected_seconds(settings)
    assert set(expected) == {"linear", "simple", "vader"}
    assert expected["linear"] == pytest.approx((10.0 + 1.5) * 3)  # the full profile's 3 seeds
    assert expected["simple"] == pytest.approx(10.0 + 1.5)  # ignores the seed: one case
    assert expected["vader"] == pytest.approx(0.5 + 1.5)  # does not train: one case
    per_seed = expected_seconds(settings, by_seed=True)  # a scope is one case
    assert per_seed["linear"] == pytest.approx(10.0 + 1.5)


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
    config = CONFIG
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
    scheduler = VariantScheduling(CONFIG, None, costs)
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
    scheduler = VariantScheduling(CONFIG, None, costs)
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
