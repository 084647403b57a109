"""Hooks this plugin adds to pytest, for a ``conftest.py`` or another plugin to implement
(registered with ``pluginmanager.add_hookspecs``, as pytest-benchmark does)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from sentiment_models.config import TrackingConfig
    from sentiment_models.results import VariantRecord
    from sentiment_models.tracking import Tracker
    from sentiment_models.variants import SentimentVariant


@pytest.hookspec
def pytest_bench_variants(
    config: pytest.Config,
) -> Mapping[str, type[SentimentVariant] | str] | None:
    """Variants to benchmark besides the built-in ones: ``{name: class or "module:Class"}``.
    Each must follow the variant contract (``sentiment_models.variants.SentimentVariant``);
    its cases run, are tracked and tabled like the built-in ones."""


@pytest.hookspec
def pytest_bench_comparison_rows(
    config: pytest.Config,
) -> Sequence[tuple[str, Callable[[VariantRecord], str]]] | None:
    """Extra rows for ``comparison.md``: ``(label, cell)`` pairs, where ``cell`` turns one
    variant's typed result into the text of its column (e.g. ``lambda r: r.description.extra
    .get("Adapter", "-")``)."""


@pytest.hookspec(firstresult=True)
def pytest_bench_make_tracker(
    config: pytest.Config, tracking: TrackingConfig, worker: bool
) -> Tracker | None:
    """The tracker that logs this process's session and cases (a team's own store, say): an
    object with the methods of ``sentiment_models.tracking.Tracker``. ``tracking`` holds the
    ``--mlflow-*`` / ``--no-mlflow`` settings; ``worker`` is true in an xdist worker, whose
    cases' ``refs`` reach the controller's tracker through ``adopt``. The first
    implementation that returns an object wins; the plugin's own, tried last, returns
    MLflow's (or none with ``--no-mlflow``)."""
