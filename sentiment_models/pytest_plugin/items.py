"""Bench cases among pytest's items: a test that uses the ``bench_case`` fixture, its case
(variant, seed) from its parameters and its phase from its ``bench_phase`` marker, never from
the function's name."""

from __future__ import annotations

import re

import pytest

FIXTURE = "bench_case"
PHASE_MARKER = "bench_phase"
PHASES = ("train", "evaluate")
MARKER_HELP = (
    f"{PHASE_MARKER}(name): the phase a {FIXTURE} test times: 'train' (fit the variant) or "
    "'evaluate' (predict the test split; the gate decides after it)"
)


def case_id(name: str, seed: int) -> str:
    """The id of a variant's case for one seed, as pytest shows it: ``lstm-seed1``."""
    return f"{name}-seed{seed}"


CASE_NODE = re.compile(r"\[(?P<name>[^\[\]]+)-seed(?P<seed>\d+)\]$")
"""A bench case's node id, whatever its function's name: the inverse of ``case_id`` in the
brackets that end it."""


def case_of(item: pytest.Item) -> tuple[str, int] | None:
    """``(variant, seed)`` of a bench case, else None."""
    callspec = getattr(item, "callspec", None)
    return callspec.params.get(FIXTURE) if callspec is not None else None


def variant_of(item: pytest.Item) -> str | None:
    case = case_of(item)
    return case[0] if case else None


def phase_of(item: pytest.Item) -> str | None:
    """The ``bench_phase`` marker's phase of a bench case (checked at collection)."""
    marker = item.get_closest_marker(PHASE_MARKER)
    return marker.args[0] if marker is not None and marker.args else None


def check_phases(items: list[pytest.Item]) -> None:
    """Every bench case says its phase: ordering, gating and the tables depend on it."""
    for item in items:
        if case_of(item) is not None and phase_of(item) not in PHASES:
            raise pytest.UsageError(
                f"{item.nodeid}: a {FIXTURE} test needs @pytest.mark.{PHASE_MARKER}('train') or "
                f"@pytest.mark.{PHASE_MARKER}('evaluate') (found "
                f"{item.get_closest_marker(PHASE_MARKER) or 'no marker'})"
            )


def case_by_case(items: list[pytest.Item]) -> None:
    """Run each case's evaluate phase right after its train phase (pytest collects every
    train phase first), so that a case is logged to MLflow in the background while the next
    case runs, not all at the end. Other tests keep their places; the cases their order."""
    slots = [index for index, item in enumerate(items) if case_of(item) is not None]
    cases = [items[index] for index in slots]
    first: dict[tuple[str, int] | None, int] = {}
    for position, item in enumerate(cases):
        first.setdefault(case_of(item), position)
    ordered = sorted(cases, key=lambda item: (first[case_of(item)], phase_of(item) != "train"))
    for index, item in zip(slots, ordered, strict=True):
        items[index] = item
