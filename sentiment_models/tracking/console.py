"""MLflow's console chatter ("View run ... at ..." after every run, registration notices,
warnings) kept out of pytest's output: appended to a log file instead, which the session's
summary names. ``pytest -v`` shows it as before."""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator
from pathlib import Path

LOG_FOLDER = Path(".cache") / "sentiment-bench"
"""Under the session's root folder (pytest's own cache sits beside it)."""


def default_log(rootdir: Path) -> str:
    """This process's console log."""
    return str(rootdir / LOG_FOLDER / f"mlflow-console-{os.getpid()}.log")


@contextlib.contextmanager
def quiet(log: str | None) -> Iterator[None]:
    """Inside: what is printed to standard output or error is kept, then appended to ``log``
    (created only when something was printed); with no ``log``, nothing changes. A log that
    cannot be written gets its text printed to standard error after all: never lost."""
    if log is None:
        yield
        return
    kept = io.StringIO()
    try:
        with contextlib.redirect_stdout(kept), contextlib.redirect_stderr(kept):
            yield
    finally:
        text = kept.getvalue()
        if text:
            try:
                Path(log).parent.mkdir(parents=True, exist_ok=True)
                with open(log, "a", encoding="utf-8") as stream:
                    stream.write(text)
            except OSError:
                sys.stderr.write(text)
