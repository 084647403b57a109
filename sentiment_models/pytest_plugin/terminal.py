"""What a bench session shows on the terminal while pytest captures the tests' output: the
progress of long phases and notices such as a wait for another session's lock.

- On a terminal, one live line under pytest's progress row, redrawn every second with the
  phase's elapsed time and the variant's latest step; when the phase ends it is erased and
  the cursor goes back to the end of pytest's row, which continues intact.
- In a log (not a terminal), a plain line once a phase has run ``--progress-every`` seconds,
  then at least once per interval whatever the variant reports (a heartbeat thread), and
  pytest's row is written again after them.
- Under pytest-xdist, the controller's heartbeat lists the cases its workers are running.

Progress is written to a duplicate of the terminal's file descriptor taken when the session
is configured, so it bypasses pytest's capture without suspending it (the heartbeat runs in
its own thread) and never reaches ``--benchmark-json`` or a timed result."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import Any, Protocol

import pytest

PLAIN_INTERVAL = 30.0
"""Default seconds between plain progress lines (not a terminal)."""
LIVE_INTERVAL = 0.2
"""Seconds between redraws of the live line when a variant reports often."""
TICK = 1.0
"""Seconds between the heartbeat's looks at the clock (the live line's elapsed time)."""
ERASE_LINE = "\r\x1b[K"
UP_ONE = "\x1b[1A"


def elapsed(seconds: float) -> str:
    """``42 s``, ``3 min 05 s``."""
    seconds = int(seconds)
    return f"{seconds} s" if seconds < 60 else f"{seconds // 60} min {seconds % 60:02d} s"


class TerminalLines:
    """Progress and notices of a session, shown whether or not output is captured."""

    def __init__(
        self,
        config: pytest.Config,
        *,
        plain_interval: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        tick: float = TICK,
        out: Output | None = None,
    ) -> None:
        self.config = config
        self.plain_interval = PLAIN_INTERVAL if plain_interval is None else plain_interval
        self.clock, self.tick = clock, tick
        self._out = out if out is not None else TerminalOutput.of_stdout()
        self.live = self._out is not None and self._out.isatty()
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._label: str | None = None
        self._message = ""
        self._running: Callable[[], str] | None = None
        self._started = self._last_draw = self._last_plain = clock()
        self._shown = False  # the live line is on screen
        self._plain_written = False  # plain lines broke pytest's row in this phase
        self._row_seen = -1  # the width of pytest's row when the last plain line was written

    # -- what the session calls --------------------------------------------------------------
    def notice(self, line: str) -> None:
        """A line on its own (e.g. waiting for a lock), always shown."""
        reporter = self._reporter
        if reporter is None:
            return
        with self._lock, self._uncaptured():
            self._erase()
            reporter.ensure_newline()
            reporter.write_line(line)

    def progress(self, message: str) -> None:
        """The running phase's latest step: drawn at once on a terminal (at most every
        ``LIVE_INTERVAL``); in a log, shown by the next plain line."""
        with self._lock:
            self._message = message
            if self.live and self.clock() - self._last_draw >= LIVE_INTERVAL:
                self._draw()
            elif not self.live:
                self._plain_if_due()

    def phase_started(self, label: str | None) -> None:
        """A phase begins (``label``: ``lstm-seed0 train``; None for a test that is not a
        bench case: nothing is shown for it)."""
        self.phase_finished()
        if label is None or self._out is None:
            return
        with self._lock:
            self._label, self._message = label, ""
            self._started = self._last_plain = self.clock()
            self._last_draw = float("-inf")
            self._plain_written, self._row_seen = False, -1
        self._start_heartbeat()

    def phase_finished(self) -> None:
        """Erase the live line (the cursor back at the end of pytest's row) or, in a log
        where plain lines were written, write pytest's row again, so its report continues."""
        self._stop_heartbeat()
        with self._lock:
            if self._label is None:
                return
            self._label = None
            if self._shown:
                self._erase()
            elif self._plain_written:
                self._write(_current_row(self.config))

    def watch(self, running: Callable[[], str]) -> None:
        """Under pytest-xdist (the controller): a plain line every interval from ``running``
        (the cases the workers run), while it says anything."""
        if self._out is None:
            return
        self._running = running
        self._started = self._last_plain = self.clock()
        self._start_heartbeat()

    def close(self) -> None:
        self.phase_finished()
        self._stop_heartbeat()
        if self._out is not None:
            self._out.close()
            self._out = None

    # -- drawing ------------------------------------------------------------------------------
    def _line(self) -> str:
        spent = elapsed(self.clock() - self._started)
        return f"{self._label}, {spent}: {self._message or 'running'}"

    def _draw(self) -> None:
        """The live line, under pytest's row (first drawn on a new line)."""
        width = max(self.config.get_terminal_writer().fullwidth - 1, 20)
        text = self._line()[:width]
        self._write(ERASE_LINE + text if self._shown else "\n" + text)
        self._shown, self._last_draw = True, self.clock()

    def _erase(self) -> None:
        """Erase the live line and put the cursor back at the end of pytest's row."""
        if not self._shown:
            return
        column = self.config.get_terminal_writer().width_of_current_line
        self._write(ERASE_LINE + UP_ONE + "\r" + (f"\x1b[{column}C" if column else ""))
        self._shown = False

    def _plain_if_due(self) -> None:
        now = self.clock()
        if now - self._last_plain < self.plain_interval:
            return
        line = self._line() if self._label is not None else ""
        if not line and self._running is not None:
            running = self._running()
            line = f"sentiment-bench: running {running}" if running else ""
        if not line:
            return
        self._last_plain = now
        row = self.config.get_terminal_writer().width_of_current_line
        prefix = "\n" if row and row != self._row_seen else ""  # pytest wrote since our last
        self._write(f"{prefix}{line}\n")
        self._plain_written, self._row_seen = True, row

    def _write(self, text: str) -> None:
        if self._out is not None and text:
            try:
                self._out.write(text)
            except OSError:  # the log's reader went away: progress stops, the session goes on
                self._out = None

    # -- the heartbeat --------------------------------------------------------------------------
    def _start_heartbeat(self) -> None:
        self._stop_heartbeat()
        with self._uncaptured():
            self.config.get_terminal_writer().flush()  # pytest's row before our lines
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._beat, name="sentiment-bench-progress", daemon=True
        )
        self._thread.start()

    def _stop_heartbeat(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stop.set()
            thread.join()

    def _beat(self) -> None:
        while not self._stop.wait(self.tick):
            with self._lock:
                if self._stop.is_set():
                    return
                if self.live and self._label is not None:
                    self._draw()
                else:
                    self._plain_if_due()

    # -- pytest's side ------------------------------------------------------------------------
    @property
    def _reporter(self) -> Any:
        return self.config.pluginmanager.get_plugin("terminalreporter")

    @contextmanager
    def _uncaptured(self) -> Iterator[None]:
        capture = self.config.pluginmanager.get_plugin("capturemanager")
        with capture.global_and_fixture_disabled() if capture is not None else nullcontext():
            yield


class Output(Protocol):
    """Where progress goes: the terminal or log behind pytest's output."""

    def write(self, text: str) -> None: ...
    def isatty(self) -> bool: ...
    def close(self) -> None: ...


class TerminalOutput:
    """A duplicate of the file descriptor behind ``sys.stdout``, taken while the session is
    configured (pytest's capture is suspended then: this is the terminal or the log)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    @classmethod
    def of_stdout(cls) -> TerminalOutput | None:
        try:
            return cls(os.dup(sys.stdout.fileno()))
        except (AttributeError, OSError, ValueError):  # no real stdout (pytester in-process)
            return None

    def write(self, text: str) -> None:
        os.write(self.fd, text.encode("utf-8", errors="replace"))

    def isatty(self) -> bool:
        return os.isatty(self.fd)

    def close(self) -> None:
        os.close(self.fd)


def _current_row(config: pytest.Config) -> str:
    """The text of pytest's unfinished progress row (``bench/test_models.py ..``)."""
    return str(getattr(config.get_terminal_writer(), "_current_line", ""))
