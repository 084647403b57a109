"""What a bench session shows on the terminal while pytest captures the tests' output: the
progress of long phases (one updating line on a terminal, an occasional plain line in a CI
log) and notices such as a wait for another session's lock. Written around pytest's capture,
as pytest's own live logging does, and never into ``--benchmark-json`` or a timed result."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

import pytest

PLAIN_INTERVAL = 30.0
"""Seconds between plain progress lines (not a terminal), and before the first of a phase."""
LIVE_INTERVAL = 0.2
"""Seconds between redraws of the live line on a terminal."""


class TerminalLines:
    """Progress and notices of a session, shown whether or not output is captured."""

    def __init__(
        self,
        config: pytest.Config,
        *,
        plain_interval: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.plain_interval = PLAIN_INTERVAL if plain_interval is None else plain_interval
        self.clock = clock
        self._phase_started = clock()
        self._last = float("-inf")
        self._live = False

    @property
    def _reporter(self) -> Any:
        return self.config.pluginmanager.get_plugin("terminalreporter")

    @contextmanager
    def _uncaptured(self) -> Iterator[None]:
        capture = self.config.pluginmanager.get_plugin("capturemanager")
        with capture.global_and_fixture_disabled() if capture is not None else nullcontext():
            yield

    def notice(self, line: str) -> None:
        """A line on its own (e.g. waiting for a lock), always shown."""
        reporter = self._reporter
        if reporter is None:
            return
        with self._uncaptured():
            self._clear(reporter)
            reporter.ensure_newline()
            reporter.write_line(line)

    def progress(self, line: str) -> None:
        """A phase's progress: redrawn in place on a terminal; in a log, a plain line once the
        phase has run ``plain_interval`` seconds, and then at most once per interval."""
        reporter = self._reporter
        if reporter is None:
            return
        now = self.clock()
        if reporter.isatty():
            if now - self._last < LIVE_INTERVAL:
                return
            self._last = now
            width = max(reporter._tw.fullwidth - 1, 20)
            with self._uncaptured():
                if not self._live:
                    reporter.ensure_newline()
                reporter.rewrite(line[:width], erase=True)
                reporter.flush()
            self._live = True
            return
        if (
            now - self._phase_started < self.plain_interval
            or now - self._last < self.plain_interval
        ):
            return
        self._last = now
        with self._uncaptured():
            reporter.ensure_newline()
            reporter.write_line(line)

    def phase_started(self) -> None:
        self._phase_started = self.clock()
        self._last = float("-inf")

    def phase_finished(self) -> None:
        """Erase the live line, so pytest's own report continues on a clean line."""
        reporter = self._reporter
        if reporter is not None and self._live:
            with self._uncaptured():
                self._clear(reporter)

    def _clear(self, reporter: Any) -> None:
        if self._live:
            reporter.rewrite("", erase=True)
            reporter.write("\r")
            reporter.flush()
            self._live = False
