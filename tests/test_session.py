"""The two roles of a session, chosen once by the plugin: the process that writes the results
(serial or xdist controller) and an xdist worker. One set-up sequence (``begin``); what
differs is a method: how a refusal ends, what ``finish`` writes."""

from __future__ import annotations

import pytest

from sentiment_models.errors import BenchError
from sentiment_models.pytest_plugin.session import ResultsSession, WorkerSession
from tests.helpers import run_case, settings_for

pytestmark = pytest.mark.usefixtures("prior_variant")


def test_the_results_role_checks_its_folder_and_a_worker_does_not(tmp_path, tiny_rows):
    settings = settings_for(tmp_path, tiny_rows)
    settings.results_dir.parent.mkdir(parents=True, exist_ok=True)
    settings.results_dir.write_text("in the way")  # the results folder is a file
    with pytest.raises(BenchError, match="is a file, not a folder"):
        ResultsSession(settings).begin(["prior"], key="k")
    worker = WorkerSession(settings)
    assert worker.begin(["prior"], key="k") == {}  # the controller writes, and checks
    assert worker.preparation.splits.classes == ("negative", "neutral", "positive")


def test_a_refusal_stops_the_results_role_and_a_worker_keeps_it_for_its_cases(tmp_path, tiny_rows):
    settings = settings_for(tmp_path, tiny_rows)
    error = RuntimeError("--seed -1: expected 0 or more")
    with pytest.raises(RuntimeError):
        ResultsSession(settings).refuse(error)
    worker = WorkerSession(settings)
    worker.refuse(error)
    assert worker.setup_error == "--seed -1: expected 0 or more"


def test_only_the_results_role_writes_the_results(tmp_path, tiny_rows):
    settings = settings_for(tmp_path, tiny_rows)
    worker = WorkerSession(settings)
    worker.begin(["prior"], key="k")
    outcome = run_case(worker.book, "prior", 0)
    assert worker.finish(interrupted=False) == [] and not settings.results_dir.exists()
    main = ResultsSession(settings)
    main.begin(["prior"], key="k")
    assert main.book.collect(outcome) is None  # a worker's outcome, read from its report
    notes = main.finish(interrupted=False)
    assert (settings.results_dir / "results.json").is_file()
    assert notes[-1].startswith("results written: ") and not main.failed
    worker.cleanup()
    main.cleanup()
