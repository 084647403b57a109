"""The case book: a case's phases, its stored run and outcome, the gate waiting for every
selected seed, and outcomes from other data refused; on real tiny data, without pytest's
session (the plugin's tests run the same book through the real plugin)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.helpers import CountingGate, make_book, run_case, settings_for

pytestmark = pytest.mark.usefixtures("prior_variant")


def test_a_case_reports_its_outcome_after_evaluate_and_its_record_is_stored(tmp_path, tiny_rows):
    book = make_book(tmp_path, tiny_rows)
    outcome = run_case(book, "prior", 0)
    assert outcome is not None and outcome.variant == "prior" and outcome.seed == 0
    assert outcome.errors == {} and outcome.record is not None
    (run,) = outcome.record.runs
    assert run.seed == 0 and run.status == "ok" and 0 <= run.test.accuracy <= 1
    assert run.execution.worker == "main"
    assert book.collect(outcome) is None
    records = book.records()
    assert list(records) == ["prior"] and records["prior"].seeds == (0,)


def test_a_failed_train_phase_reports_at_once_without_a_stored_run(tmp_path, tiny_rows):
    book = make_book(tmp_path, tiny_rows)
    runner = book.runner("prior", 1)
    runner.errors["train"] = "ValueError: broken"  # what the phase guard records
    outcome = book.phase_done("prior-seed1", "train", "t[prior-seed1]", "failed")
    assert outcome is not None and outcome.record is None
    assert outcome.errors == {"train": "ValueError: broken"}
    assert book.phase_done("gone-seed0", "train", "t[gone-seed0]", "failed") is None


def test_the_gate_decides_once_every_selected_seed_is_evaluated(tmp_path, tiny_rows):
    gate = CountingGate(fail=True)
    book = make_book(tmp_path, tiny_rows, gate=gate)  # type: ignore[arg-type]
    book.select("prior", 1)
    book.select("prior", 0)
    book.select("prior", 0)  # selected twice: once
    assert book.selected == {"prior": [1, 0]}
    run_case(book, "prior", 1)
    assert book.check_gate("prior", 1) == [] and gate.calls == []  # seed 0 still to run
    run_case(book, "prior", 0)
    assert book.check_gate("prior", 0) == ["prior: accuracy dropped"]
    assert gate.calls == [("prior", [0, 1])]  # once, on both seeds
    outcome = book.outcome("prior-seed0")
    assert outcome.gate_failures == ("prior: accuracy dropped",)
    assert outcome.record is not None  # a gate failure keeps the run, marked
    assert outcome.record.first.status == "gate failed: accuracy dropped"


def test_outcomes_made_on_other_data_are_refused_and_said(tmp_path, tiny_rows):
    book = make_book(tmp_path, tiny_rows)
    outcome = run_case(book, "prior", 0)
    record = outcome.record
    other = replace(record, data=replace(record.data, test_digest="0" * 64))
    line = book.collect(replace(outcome, record=other, worker="gw1"))
    assert line is not None and line.startswith("prior-seed0 from gw1: results not merged")
    assert book.rejected == [line] and book.outcomes == {}
    book.worker_died("gw0", "node down\n")
    assert book.rejected[-1].startswith("worker gw0 died (node down)")


@pytest.mark.parametrize("seeds", ["0,1"])
def test_a_variant_that_does_not_train_is_one_case(tmp_path, tiny_rows, seeds):
    settings = settings_for(tmp_path, tiny_rows, seeds)
    assert settings.cases_of(["vader", "prior"]) == [("vader", 0), ("prior", 0), ("prior", 1)]


def test_a_variant_whose_training_ignores_the_seed_is_one_case(tmp_path, tiny_rows):
    from sentiment_models.variants import variant_class

    assert variant_class("simple").uses_seed is False  # TF-IDF, GaussianNB, fixed folds
    settings = settings_for(tmp_path, tiny_rows, "0,1,2")
    assert settings.cases_of(["simple", "linear"]) == [
        ("simple", 0),
        ("linear", 0),
        ("linear", 1),
        ("linear", 2),
    ]
