"""Cores that finished xdist workers leave idle go to the workers still running on the same
machine. The controller records, per session, how many of its local workers are still up; a
worker sized by default (no ``--threads``) reads it before each phase and widens its thread
pools to its share of the usable cores. torch and the BLAS libraries change their sizes at run
time (``runtime.configure``); TensorFlow keeps the size it started with.

The record is a file under the project's ``.cache/sentiment-bench/workers/``: popen and
loopback workers share the controller's folder; a remote worker never finds it and keeps its
size."""

from __future__ import annotations

import json
from pathlib import Path

from sentiment_models import runtime

FOLDER = Path(".cache") / "sentiment-bench" / "workers"


def _path(rootdir: Path, key: str) -> Path:
    return rootdir / FOLDER / f"{key}.json"


def record_running(rootdir: Path, key: str, running: int) -> None:
    """The controller: ``running`` local workers of session ``key`` are still up."""
    from sentiment_models.reporting.store import atomic_write

    path = _path(rootdir, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, json.dumps({"running": running}))


def running(rootdir: Path, key: str) -> int | None:
    """How many local workers of session ``key`` are up (None when nothing was recorded)."""
    try:
        value = json.loads(_path(rootdir, key).read_text()).get("running")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, int) and value > 0 else None


def forget(rootdir: Path, key: str) -> None:
    _path(rootdir, key).unlink(missing_ok=True)


def share(threads: int, given: bool, up: int | None) -> int:
    """The threads a worker sized to ``threads`` may use when ``up`` local workers are up:
    its share of the usable cores, never fewer than it has; ``threads`` when the user gave
    them (``given``) or nothing was recorded."""
    if given or up is None:
        return threads
    return max(threads, runtime.usable_cores() // up)


def widen(rootdir: Path, key: str, threads: int, given: bool, device: str) -> int | None:
    """Before a phase on a worker: resize this process's thread pools to its share now;
    returns the new count, or None when it stays."""
    wanted = share(threads, given, running(rootdir, key))
    if wanted == runtime.current().threads:
        return None
    runtime.configure(wanted, device)
    return wanted
