"""Experiment tracking behind one protocol, :class:`Tracker`: only what every tracker honours.
``MlflowTracker`` owns a session's run and logs its cases (in a child process of its own,
``TrackingProcess``, for the serial session and the xdist controller);
``MlflowWorkerTracker`` logs an xdist worker's cases under that run; ``NullTracker`` is used
with ``--no-mlflow``. Another tracker (a team's own store) comes from the plugin's
``pytest_bench_make_tracker`` hook. Trackers take :class:`CaseRun` records (typed results and
the trained model), never pytest objects."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import numpy as np

    from sentiment_models.data import LabelledTexts
    from sentiment_models.results import SeedRun, TrainResult
    from sentiment_models.variants import SentimentVariant


@dataclass(frozen=True)
class CaseRun:
    """One case as a tracker sees it, whatever phases ran: the pytest outcome, the typed
    results, and (when it trained) the variant itself and its saved model."""

    name: str
    seed: int
    outcome: str
    """``passed``, ``failed`` or ``trained only``."""
    node_ids: tuple[str, ...]
    started_ms: int
    errors: Mapping[str, str] = field(default_factory=dict)
    variant: SentimentVariant | None = None
    train: TrainResult | None = None
    result: SeedRun | None = None
    """The stored run, when the case was evaluated."""
    model_dir: Path | None = None
    test: LabelledTexts | None = None
    test_proba: np.ndarray | None = None


class Tracker(Protocol):
    """What the session needs of experiment tracking."""

    enabled: bool
    seconds: float
    """Time spent inside the tracker."""
    failures: list[str]
    """What could not be logged (the session ends non-zero when any)."""

    def connect(self, wait: bool = True) -> None:
        """Check the store before any training (raises TrackingError); idempotent. With
        ``wait=False`` the check may only begin: a later ``connect()`` gives its outcome."""

    def start(
        self,
        *,
        facts: Mapping[str, Any],
        tags: Mapping[str, str],
        datasets: Mapping[str, Any],
        key: str = "",
    ) -> None:
        """Begin logging the session: the serial session or xdist controller opens its run
        (tagged with ``key``); an xdist worker's tracker logs under the run tagged ``key``."""

    def open_variants(self, names: Sequence[str]) -> None:
        """Called by the process that owns the session run, after ``start`` and before any
        case runs, with the variants the session will run: a tracker that groups a
        variant's seeds in a run of its own opens those runs here (xdist workers may log the
        seeds of one variant side by side); others do nothing."""

    def refs(self, name: str) -> dict[str, str]:
        """What the session must know of variant ``name``'s tracking: its run, a registered
        model version (handed from a worker to the controller in the case's outcome)."""

    def adopt(self, name: str, refs: Mapping[str, str], failures: Sequence[str]) -> None:
        """Take a worker's references and failures for variant ``name``."""

    def log_case(self, case: CaseRun) -> None:
        """Log one case (a seed's run, under its variant's run under the session's run);
        may return before it is stored (``flush`` waits)."""

    def flush(self) -> None:
        """Wait until every case handed to ``log_case`` is stored or its failure recorded."""

    def log_summary(self, name: str, metrics: Mapping[str, float]) -> None:
        """Log a variant's figures over its seeds."""

    def finish(self, files: Sequence[Path], interrupted: bool, failed: bool = False) -> list[str]:
        """Log the session's files, close its run (killed when ``interrupted``, failed when
        ``failed``, e.g. its results could not be written); returns lines for the terminal."""


class NullTracker:
    """Tracking turned off: every call is a no-op."""

    enabled = False

    def __init__(self) -> None:
        self.seconds = 0.0
        self.failures: list[str] = []

    def connect(self, wait: bool = True) -> None:
        return None

    def start(self, **facts: Any) -> None:
        return None

    def open_variants(self, names: Sequence[str]) -> None:
        return None

    def refs(self, name: str) -> dict[str, str]:
        return {}

    def adopt(self, name: str, refs: Mapping[str, str], failures: Sequence[str]) -> None:
        return None

    def log_case(self, case: CaseRun) -> None:
        return None

    def flush(self) -> None:
        return None

    def log_summary(self, name: str, metrics: Mapping[str, float]) -> None:
        return None

    def finish(self, files: Sequence[Path], interrupted: bool, failed: bool = False) -> list[str]:
        return []


def lacks(tracker: object) -> list[str]:
    """What ``tracker`` lacks of :class:`Tracker`: its missing methods (``name()``) and
    attributes, in the protocol's order; empty when it has them all."""
    methods = [name for name, member in vars(Tracker).items() if callable(member)]
    return [name for name in Tracker.__annotations__ if not hasattr(tracker, name)] + [
        f"{name}()"
        for name in methods
        if not name.startswith("_") and not callable(getattr(tracker, name, None))
    ]


__all__ = ["CaseRun", "NullTracker", "Tracker", "lacks"]
