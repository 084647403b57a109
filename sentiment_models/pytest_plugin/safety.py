"""What keeps a bench session's results safe around pytest and pytest-benchmark: SIGTERM
stops a session as Ctrl-C does, pytest-benchmark's output paths are checked before any
training, and its failure to save at the end cannot take the tables with it."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import pytest

from sentiment_models.errors import StoreError
from sentiment_models.reporting.store import check_writable_folder

SIGNAL_KEY = pytest.StashKey[object]()
BENCHMARK_PROBLEM_KEY = pytest.StashKey[str]()
"""Why pytest-benchmark could not save its run (a line of the summary), if it could not."""


def _terminated(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"terminated by signal {signum}")


def stop_on_sigterm(config: pytest.Config) -> None:
    """SIGTERM (a CI job cancelled, ``kill``) stops the session as Ctrl-C does: the tables
    keep what finished, MLflow runs end as killed, temporary folders are removed."""
    if threading.current_thread() is threading.main_thread():
        config.stash[SIGNAL_KEY] = signal.signal(signal.SIGTERM, _terminated)


def restore_sigterm(config: pytest.Config) -> None:
    previous = config.stash.get(SIGNAL_KEY, None)
    if previous is not None and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, previous)  # type: ignore[arg-type]


def check_benchmark_outputs(config: pytest.Config) -> None:
    """pytest-benchmark writes its files when the session ends: check before any training
    that it can (its ``--benchmark-json`` file, its storage folder when saving)."""
    json_file = config.getoption("benchmark_json", None)
    if json_file:
        path = Path(json_file)
        if path.is_dir():
            raise StoreError(f"--benchmark-json {path}: a folder; give a file path")
        check_writable_folder(path.parent, f"--benchmark-json {path}: its folder")
    saving = config.getoption("benchmark_save", None) or config.getoption(
        "benchmark_autosave", None
    )
    storage = getattr(getattr(config, "_benchmarksession", None), "storage", None)
    if saving and isinstance(getattr(storage, "path", None), Path):
        check_writable_folder(storage.path, "--benchmark-storage")


def survive_benchmark_storage_errors(config: pytest.Config) -> None:
    """pytest-benchmark saves its run as the session ends, before the tables are written; a
    storage that fails then (a full disk) must not take the tables and the summary with it:
    its error becomes a line of the summary and the session fails."""
    benchmarks = getattr(config, "_benchmarksession", None)
    finish = getattr(benchmarks, "finish", None)
    if finish is None:
        return

    def finish_or_say_why() -> None:
        try:
            finish()
        except OSError as error:
            config.stash[BENCHMARK_PROBLEM_KEY] = (
                f"pytest-benchmark could not write its files ({error}); the tables are written"
            )

    benchmarks.finish = finish_or_say_why
