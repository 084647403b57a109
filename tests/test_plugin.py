"""The plugin through pytester: options, selection, tables, JSON and clear usage errors."""

import json

import pytest

pytestmark = pytest.mark.integration  # subprocesses, servers or real models


def test_options_are_documented_in_help(pytester):
    result = pytester.runpytest_subprocess("--help")
    result.stdout.fnmatch_lines(["*sentiment model benchmark*"])
    for option in (
        "--dataset=NAME",
        "--data-path=PATH",
        "--eval-dataset=NAME",
        "--seed=INT",
        "--sample-size=N",
        "--predict-file=PATH",
        "--variant-param=VARIANT.KEY=VALUE",
        "--results-dir=DIR",
        "--label-map=RAW=LABEL,...",
        "--train-score-rows=N",
        "--hf-model=PATH|NAME",
        "--glove-path=PATH",
    ):
        result.stdout.fnmatch_lines([f"*{option}*"])


def test_every_variant_has_two_phases_with_its_name_as_id(pytester, bench_dir):
    result = pytester.runpytest_inprocess(*bench_dir, "--collect-only", "-q")
    result.stdout.fnmatch_lines(
        [
            "*test_models.py::test_train[[]simple-seed0[]]",
            "*test_models.py::test_evaluate[[]simple-seed0[]]",  # a case's phases together
            "*test_models.py::test_train[[]linear-seed0[]]",
            "*test_models.py::test_evaluate[[]linear-seed0[]]",
        ]
    )


def test_seeds_are_cases_selected_by_k_and_untrained_variants_run_once(pytester, bench_dir):
    seeds = ["--seeds", "0,1,2"]
    collected = pytester.runpytest_inprocess(*bench_dir, *seeds, "--collect-only", "-q")
    names = [line for line in collected.stdout.lines if "::test_" in line]
    assert sum("[linear-seed" in name for name in names) == 6
    assert sum("[vader-seed" in name for name in names) == 2  # does not train: one seed
    assert sum("[simple-seed" in name for name in names) == 2  # ignores the seed: one
    one = pytester.runpytest_inprocess(*bench_dir, *seeds, "-k", "linear and seed1")
    one.assert_outcomes(passed=2)
    result = pytester.runpytest_inprocess(*bench_dir, *seeds, "-k", "linear or vader")
    result.assert_outcomes(passed=8)
    result.stdout.fnmatch_lines(["comparison: Best by mean test accuracy: *Possible ranks*"])
    stored = json.loads((pytester.path / "results" / "results.json").read_text())["variants"]
    assert [run["seed"] for run in stored["linear"]["runs"]] == [0, 1, 2]
    # what the grid search chose belongs to each seed; the configured parameters to the variant
    assert all("best_C" in run["chosen"] for run in stored["linear"]["runs"])
    assert not any(key.startswith("best_") for key in stored["linear"]["hyperparameters"])
    assert [run["seed"] for run in stored["vader"]["runs"]] == [0]
    assert {run["test_digest"] for run in stored["linear"]["runs"]} == {
        stored["linear"]["data"]["test_digest"]
    }  # the split stays fixed: every seed is tested on the same tweets
    comparison = (pytester.path / "results" / "comparison.md").read_text()
    assert "## Which differences are real" in comparison and "| linear vs vader" in comparison
    assert "## Transfer: macro recall on every evaluation set" in comparison
    again = pytester.runpytest_inprocess(*bench_dir, *seeds, "-k", "linear and seed1")
    again.assert_outcomes(passed=2)  # one seed again: the other stored seeds are kept
    runs = json.loads((pytester.path / "results" / "results.json").read_text())["variants"][
        "linear"
    ]["runs"]
    assert [run["seed"] for run in runs] == [0, 1, 2]
    resplit = pytester.runpytest_inprocess(
        *bench_dir, "--seeds", "3,4", "-k", "simple", "--split-per-seed"
    )
    resplit.assert_outcomes(passed=4)  # re-split per seed: every seed is a case
    runs = json.loads((pytester.path / "results" / "results.json").read_text())["variants"][
        "simple"
    ]["runs"]
    assert len({run["test_digest"] for run in runs}) == 2


def test_k_selection_runs_one_variant_and_writes_tables_and_json(pytester, bench_dir):
    report = pytester.path / "bench.json"
    result = pytester.runpytest_inprocess(*bench_dir, "-k", "simple", f"--benchmark-json={report}")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "*sentiment-bench: dataset csv:tiny.csv*train 168 / validation 24 / test 48 rows, split seed 0; variant seeds 0; also evaluated on twitter-entity*",
            "*sentiment model comparison*",
            "*Accuracy (test)*",
            "*results written:*comparison.md*",
        ]
    )
    results = pytester.path / "results"
    comparison = (results / "comparison.md").read_text()
    assert "| simple" in comparison.replace("|  ", "| ") and "linear" not in comparison
    assert "I am sleepy" in (results / "predictions.md").read_text()
    stored = json.loads((results / "results.json").read_text())
    assert set(stored["variants"]) == {"simple"}
    benchmarks = {b["name"]: b for b in json.loads(report.read_text())["benchmarks"]}
    train, evaluate = (
        benchmarks["test_train[simple-seed0]"],
        benchmarks["test_evaluate[simple-seed0]"],
    )
    assert train["stats"]["rounds"] == 1 and train["group"] == "train"
    assert 0 <= train["extra_info"]["accuracy"] <= 1
    info = evaluate["extra_info"]
    assert info["accuracy"] == stored["variants"]["simple"]["runs"][0]["test"]["accuracy"]
    assert info["test"]["rows"] == 48 and len(info["test"]["confusion_matrix"]) == 3
    assert info["seed"] == 0 and info["throughput"] > 0 and info["model_size_bytes"] > 0
    transfer = stored["variants"]["simple"]["runs"][0]["transfer"]
    assert set(info["transfer"]) == set(transfer) == {"twitter-entity"}  # every score
    assert (
        info["transfer"]["twitter-entity"]["accuracy"]
        == (transfer["twitter-entity"]["test"]["accuracy"])
    )
    behaviour = stored["variants"]["simple"]["runs"][0]["behaviour"]
    rates = info["behaviour_failure_rate"]
    assert len(rates) == len(behaviour) == 24
    assert rates["typos"] == round(behaviour["typos"]["failures"] / 200, 6)
    assert "UNSERIALIZABLE" not in report.read_text()


def test_subset_run_keeps_other_columns(pytester, bench_dir):
    pytester.runpytest_inprocess(*bench_dir, "-k", "linear").assert_outcomes(passed=2)
    pytester.runpytest_inprocess(*bench_dir, "-k", "simple").assert_outcomes(passed=2)
    stored = json.loads((pytester.path / "results" / "results.json").read_text())
    assert set(stored["variants"]) == {"simple", "linear"}
    assert stored["session"]["updated"] == ["simple"]


def test_selecting_only_the_scoring_phase_trains_first(pytester, bench_dir):
    result = pytester.runpytest_subprocess(*bench_dir, "-k", "evaluate and simple", "-s")
    result.assert_outcomes(passed=1)
    result.stderr.fnmatch_lines(["*[[]simple[]] training on 168 texts*"])
    stored = json.loads((pytester.path / "results" / "results.json").read_text())
    assert stored["variants"]["simple"]["runs"][0]["train"]["samples"] == 168


def test_predict_file_and_variant_params(pytester, bench_dir, tmp_path):
    phrases = tmp_path / "phrases.txt"
    phrases.write_text("what a lovely flight\n#delayed again, thanks\nworst airline ever\n")
    result = pytester.runpytest_subprocess(
        *bench_dir,
        "-k",
        "simple",
        f"--predict-file={phrases}",
        "--variant-param",
        "simple.max_features=50",
    )
    result.assert_outcomes(passed=2)
    stored = json.loads((pytester.path / "results" / "results.json").read_text())["variants"][
        "simple"
    ]
    assert [p["phrase"] for p in stored["runs"][0]["predictions"]] == [
        "what a lovely flight",
        "#delayed again, thanks",  # a tweet that opens with a hashtag, not a comment
        "worst airline ever",
    ]
    assert "#delayed again, thanks" in (pytester.path / "results" / "predictions.md").read_text()
    assert stored["hyperparameters"]["max_features"] == 50
    assert int(stored["description"]["dimensions"]) <= 50


def test_no_bench_cases_means_no_data_loading(pytester):
    pytester.makepyfile("def test_plain():\n    assert True\n")
    result = pytester.runpytest_subprocess("--dataset", "csv", "--data-path", "/nonexistent.csv")
    result.assert_outcomes(passed=1)
    assert "sentiment-bench: dataset" not in result.stdout.str()


def test_collect_only_lists_cases_without_loading_data_or_heavy_frameworks(pytester, bench_dir):
    """Listing cases checks the options and parameters but reads no data and imports no
    framework: a missing data file is reported by the run, not by ``--collect-only``."""
    missing = [*bench_dir[: bench_dir.index("--data-path") + 1], "/nonexistent.csv"]
    missing += bench_dir[bench_dir.index("--data-path") + 2 :]
    probe = (
        "import sys\n"
        "def pytest_collection_finish(session):\n"
        "    heavy = sorted({name.split('.')[0] for name in sys.modules} & {"
        "'sklearn', 'scipy', 'pandas', 'tensorflow', 'keras', 'torch', 'transformers', "
        "'mlflow', 'gensim', 'matplotlib', 'statsmodels', 'nltk', 'ftfy', 'onnxruntime'})\n"
        "    print('heavy modules:', heavy or 'none')\n"
    )
    pytester.makeconftest(probe)
    listed = pytester.runpytest_subprocess(*missing, "--collect-only", "-q")
    assert listed.ret == 0, listed.stdout.str()
    listed.stdout.fnmatch_lines(["*test_train[[]simple-seed0[]]*", "heavy modules: none"])
    run = pytester.runpytest_subprocess(*missing, "-k", "vader")
    assert run.ret == 4
    run.stderr.fnmatch_lines(["*nonexistent.csv*"])
    bad = pytester.runpytest_subprocess(*missing, "--variant-param", "simple.depth=1", "--co")
    assert bad.ret == 4
    bad.stderr.fnmatch_lines(["ERROR: variant 'simple' has no parameter depth*"])


def test_a_failing_variant_fails_alone_and_keeps_its_old_column(pytester, bench_dir):
    classic = ["-k", "simple or linear"]
    pytester.runpytest_inprocess(*bench_dir, *classic).assert_outcomes(passed=4)
    result = pytester.runpytest_inprocess(  # valid, but no term is in 100,000 tweets
        *bench_dir, *classic, "--variant-param", "linear.min_df=100000"
    )
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines(
        ["*linear: train (seed 0) failed (*); its stored results were kept*"]
    )
    stored = json.loads((pytester.path / "results" / "results.json").read_text())
    assert set(stored["variants"]) == {"simple", "linear"}
    assert "linear" in stored["session"]["failed"]


def test_ctrl_c_after_a_case_keeps_the_finished_cases(pytester, bench_dir):
    """An interrupt (KeyboardInterrupt, as Ctrl-C raises) after simple's evaluate phase."""
    pytester.makeconftest(
        "def pytest_runtest_logfinish(nodeid, location):\n"
        "    if nodeid.endswith('test_evaluate[simple-seed0]'):\n"
        "        raise KeyboardInterrupt\n"
    )
    result = pytester.runpytest_subprocess(*bench_dir, "-k", "simple or linear")
    assert result.ret == 2
    result.stdout.fnmatch_lines(["*session interrupted: the tables hold the cases that finished*"])
    stored = json.loads((pytester.path / "results" / "results.json").read_text())
    assert set(stored["variants"]) == {"simple"} and stored["session"]["interrupted"] is True
    comparison = (pytester.path / "results" / "comparison.md").read_text()
    assert "was interrupted:** only the variants it finished were updated (simple)" in comparison
    assert not list((pytester.path / "results").glob(".*.tmp"))


TEAM_MODULE = '''
import numpy as np

from sentiment_models.variants import SentimentVariant, VariantDescription


class PriorVariant(SentimentVariant):
    """A team's own model: the training class prior."""

    name = "team-prior"
    default_params = {"smoothing": 1.0}

    def _fit(self, texts, labels, validation=None):
        counts = np.asarray([np.sum(labels == label) for label in self.classes_], dtype=float)
        self.prior = (counts + self.params["smoothing"]) / counts.sum()

    def _predict_proba(self, texts):
        return np.tile(self.prior, (len(texts), 1))

    def describe(self):
        return VariantDescription(
            "-", "-", "-", "Prior", "team prior", preprocessing="none",
            extra={"Owner": "team-x"},
        )

    def save_model(self, folder):
        (folder / "prior.txt").write_text(" ".join(map(str, self.prior)))

    def load_model(self, folder):
        self.prior = np.asarray([float(v) for v in (folder / "prior.txt").read_text().split()])
'''

EXTERNAL_CONFTEST = """
from team_models import PriorVariant


def pytest_bench_variants(config):
    return {"team-prior": PriorVariant}


def pytest_bench_comparison_rows(config):
    return [("Owner", lambda result: result.description.extra.get("Owner", "-"))]
"""

TEAM_CONTRACT_TEST = """
from sentiment_models.contract import parametrize_with_checks
from team_models import PriorVariant

TEXTS = ["great flight", "lost my bag", "on time", "rude staff", "ok", "love it"]
LABELS = ["positive", "negative", "neutral", "negative", "neutral", "positive"]


@parametrize_with_checks(["team-prior"])
def test_team_variant_honours_the_contract(key, check, tmp_path):
    check(PriorVariant(seed=0).fit(TEXTS, LABELS), TEXTS, tmp_path / "model")
"""


def test_a_conftest_registers_a_variant_that_is_benchmarked_tracked_and_tabled(pytester, bench_dir):
    import mlflow

    pytester.makepyfile(team_models=TEAM_MODULE, test_team_contract=TEAM_CONTRACT_TEST)
    pytester.makeconftest(EXTERNAL_CONFTEST)
    contract = pytester.runpytest_subprocess(
        "test_team_contract.py", "--no-mlflow", "-p", "no:cacheprovider", "-v"
    )
    contract.assert_outcomes(passed=5)  # the same contract checks as the built-in variants
    contract.stdout.fnmatch_lines(["*[[]team-prior-odd-texts[]] PASSED*"])
    uri = f"sqlite:///{pytester.path / 'mlflow.db'}"
    args = bench_dir.tracked()
    result = pytester.runpytest_subprocess(
        "test_models.py",
        *args,
        "-k",
        "team-prior or vader",
        "--mlflow-uri",
        uri,
        "--variant-param",
        "team-prior.smoothing=2",
    )
    result.assert_outcomes(passed=4)
    stored = json.loads((pytester.path / "results" / "results.json").read_text())
    assert stored["variants"]["team-prior"]["hyperparameters"] == {"smoothing": 2.0}
    comparison = (pytester.path / "results" / "comparison.md").read_text()
    header = next(line for line in comparison.splitlines() if line.startswith("|  "))
    assert header.index("vader") < header.index("team-prior")  # external ones come last
    owner = next(line for line in comparison.splitlines() if line.startswith("| Owner"))
    assert "team-x" in owner
    client = mlflow.MlflowClient(uri)
    (experiment,) = [e for e in client.search_experiments() if e.name == "sentiment-bench"]
    runs = client.search_runs(
        [experiment.experiment_id], "tags.variant = 'team-prior' and tags.seed = '0'"
    )
    assert len(runs) == 1 and runs[0].data.params["smoothing"] == "2.0"
    assert (
        runs[0].data.metrics["test_accuracy"]
        == stored["variants"]["team-prior"]["runs"][0]["test"]["accuracy"]
    )
    # the seed's run is a child of the variant's run, which holds the figures over seeds
    variant_run = client.get_run(runs[0].data.tags["mlflow.parentRunId"])
    assert variant_run.data.tags["bench.role"] == "variant"
    assert variant_run.data.metrics["accuracy_mean"] == runs[0].data.metrics["test_accuracy"]
    assert "accuracy_ci_low" in variant_run.data.metrics


RENAMED_PHASES = """
import pytest


@pytest.mark.bench_phase("evaluate")
def test_score(bench_case, benchmark):
    assert bench_case.evaluate(benchmark).test.rows == bench_case.test_rows


@pytest.mark.bench_phase("train")
def test_fit(bench_case, benchmark):
    bench_case.train(benchmark)
"""


def test_phases_are_known_by_their_marker_whatever_the_functions_are_called(pytester, bench_dir):
    """A bench file whose phases have other names, the evaluate phase first in the file: each
    case still trains before it is scored, the gate still decides after scoring, and the
    tables are written."""
    pytester.makepyfile(test_models=RENAMED_PHASES)
    baseline = pytester.path / "baseline.json"
    args = [*bench_dir, "-k", "linear", f"--baseline={baseline}", "-v"]
    made = pytester.runpytest_inprocess(*args, "--update-baseline")
    made.assert_outcomes(passed=2)
    made.stdout.fnmatch_lines(
        ["*test_fit[[]linear-seed0[]] PASSED*", "*test_score[[]linear-seed0[]] PASSED*"]
    )
    assert "linear" in json.loads(baseline.read_text())["profiles"]["tiny"]
    assert "| linear" in (pytester.path / "results" / "comparison.md").read_text()

    weakened = pytester.runpytest_inprocess(
        *args, "--gate", "--variant-param", "linear.C_grid=0.00001"
    )
    weakened.assert_outcomes(passed=1, failed=1)
    weakened.stdout.fnmatch_lines(
        ["*test_score[[]linear-seed0[]] FAILED*", "*linear: macro_recall*"]
    )


def test_a_bench_case_without_its_phase_marker_is_refused(pytester, bench_dir):
    pytester.makepyfile(test_models="def test_fit(bench_case, benchmark):\n    pass\n")
    result = pytester.runpytest_inprocess(*bench_dir, "-k", "vader")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*test_fit[[]vader-seed0[]]: a bench_case test needs @pytest.mark.bench_phase('train')*"]
    )


TEAM_TRACKER = '''
import json

import pytest


class JsonLinesTracker:
    """A team's own store: one JSON line per event."""

    enabled = True

    def __init__(self, path):
        self.path, self.seconds, self.failures = path, 0.0, []

    def _write(self, **record):
        with open(self.path, "a") as stream:
            stream.write(json.dumps(record) + "\\n")

    def connect(self, wait=True):
        pass

    def start(self, *, facts, tags, datasets, key=""):
        self._write(event="start", commit=tags["git.commit"], datasets=sorted(datasets))

    def open_variants(self, names):
        pass

    def refs(self, name):
        return {}

    def adopt(self, name, refs, failures):
        pass

    def log_case(self, case):
        self._write(
            event="case", name=case.name, seed=case.seed, outcome=case.outcome,
            accuracy=case.result.test.accuracy,
        )

    def flush(self):
        pass

    def log_summary(self, name, metrics):
        self._write(event="summary", name=name, accuracy=metrics["accuracy_mean"])

    def finish(self, files, interrupted, failed=False):
        self._write(event="finish", files=sorted(f.name for f in files))
        return ["team store: every case logged"]


@pytest.hookimpl
def pytest_bench_make_tracker(config, tracking, worker):
    return JsonLinesTracker(config.rootpath / "team.jsonl")
'''


def test_a_conftest_supplies_its_own_tracker(pytester, bench_dir):
    """The ``pytest_bench_make_tracker`` hook replaces MLflow: the session, its case and the
    summary over seeds reach the team's store, with the same figures as results.json."""
    pytester.makeconftest(TEAM_TRACKER)
    result = pytester.runpytest_inprocess(*bench_dir, "-k", "vader")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*team store: every case logged*"])
    events = [json.loads(line) for line in (pytester.path / "team.jsonl").read_text().splitlines()]
    assert [event["event"] for event in events] == ["start", "case", "summary", "finish"]
    stored = json.loads((pytester.path / "results" / "results.json").read_text())
    accuracy = stored["variants"]["vader"]["runs"][0]["test"]["accuracy"]
    assert events[1] == {
        "event": "case",
        "name": "vader",
        "seed": 0,
        "outcome": "passed",
        "accuracy": accuracy,
    }
    assert events[2]["accuracy"] == accuracy
    assert "evaluation" in events[0]["datasets"]
    assert "results.json" in events[3]["files"]
    assert not (pytester.path / "mlflow.db").exists()


def test_a_tracker_lacking_part_of_the_protocol_is_refused_before_training(pytester, bench_dir):
    """A team's tracker without some methods (written before ``open_variants`` joined the
    protocol, say) is a usage error naming what it lacks, in a real process that exits before
    any case trains; not an AttributeError mid-session."""
    incomplete = TEAM_TRACKER.replace("    def open_variants(self, names):\n        pass\n", "")
    incomplete = incomplete.replace("    def flush(self):\n        pass\n", "")
    assert incomplete.count("def ") == TEAM_TRACKER.count("def ") - 2
    pytester.makeconftest(incomplete)
    result = pytester.runpytest_subprocess(*bench_dir, "-k", "vader", timeout=120)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*the tracker from pytest_bench_make_tracker (conftest.JsonLinesTracker) lacks "
            "open_variants(), flush(): a tracker needs every method and attribute of "
            "sentiment_models.tracking.Tracker*"
        ]
    )
    assert not (pytester.path / "team.jsonl").exists()
    assert not (pytester.path / "results").exists()


def test_a_shard_without_the_selected_variants_says_where_they_are(pytester, bench_dir):
    result = pytester.runpytest_inprocess(*bench_dir, "-k", "simple", "--shard", "2/2")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    result.stdout.fnmatch_lines(
        [
            "sentiment-bench: --shard 2/2 holds none of the selected variants (simple is in "
            "shard 1/2); nothing to run here"
        ]
    )
