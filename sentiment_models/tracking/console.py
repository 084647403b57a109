"""MLflow's console chatter ("View run ... at ..." after every run, registration notices,
warnings) kept out of pytest's output: written to a log file instead, which the session's
summary names. ``pytest -v`` shows it as before."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


def default_log() -> str:
    """This process's console log, in the system's temporary folder."""
    return str(Path(tempfile.gettempdir()) / f"sentiment-bench-mlflow-{os.getpid()}.log")


@contextlib.contextmanager
def quiet(log: str | None) -> Iterator[None]:
    """Inside: what is printed to standard output or error goes to ``log`` (appended); with
    no ``log``, nothing changes. A log that cannot be opened leaves the output as it is."""
    if log is None:
        yield
        return
    try:
        stream = open(log, "a", encoding="utf-8", buffering=1)  # noqa: SIM115
    except OSError:
        yield
        return
    with stream, contextlib.redirect_stdout(stream), contextlib.redirect_stderr(stream):
        yield
