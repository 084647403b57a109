"""Accuracy gates for CI: a committed ``baseline.json`` per profile and variant, a tolerance
for small drops, and absolute floors declared in ``pyproject.toml``. Improvements never fail."""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from filelock import FileLock

from sentiment_models.reporting.store import atomic_write
from sentiment_models.results import TestScores

GATED_METRICS = ("accuracy", "macro_recall")
FLOORS_TABLE = "tool.sentiment-bench.floors"


@dataclass(frozen=True)
class Gate:
    """What a gated evaluate phase is compared with."""

    baseline_path: Path
    tolerance: float = 0.02
    floors: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    metrics: tuple[str, ...] = GATED_METRICS

    def check(self, variant: str, profile: str, scores: TestScores) -> list[str]:
        """Failure messages (empty when the case passes the gate)."""
        failures = []
        baseline = read_baseline(self.baseline_path).get(profile, {}).get(variant)
        if baseline is None:
            failures.append(
                f"{variant}: no baseline for the {profile} profile in {self.baseline_path}; create it "
                f"with: pytest bench --bench-profile {profile} -k {variant} --update-baseline"
            )
        for metric in self.metrics:
            value = scores.get(metric)
            if value is None or not math.isfinite(value):
                failures.append(f"{variant}: {metric} was not measured; cannot gate it")
                continue
            if baseline is not None and metric in baseline:
                if not isinstance(baseline[metric], int | float) or not math.isfinite(
                    baseline[metric]
                ):
                    failures.append(
                        f"{variant}: the {profile} baseline's {metric} is {baseline[metric]!r}, "
                        f"not a number; fix {self.baseline_path} or rebuild it with: pytest bench "
                        f"--bench-profile {profile} -k {variant} --update-baseline"
                    )
                    continue
                allowed = baseline[metric] - self.tolerance
                if value < allowed - 1e-12:
                    failures.append(
                        f"{variant}: {metric} {value:.3f} < baseline {baseline[metric]:.3f} - "
                        f"{self.tolerance:g} ({profile} profile)"
                    )
            floor = self.floor(variant, metric)
            if floor is not None and value < floor:
                failures.append(
                    f"{variant}: {metric} {value:.3f} < floor {floor:.3f} "
                    f"(pyproject.toml [{FLOORS_TABLE}])"
                )
        return failures

    def floor(self, variant: str, metric: str) -> float | None:
        specific = self.floors.get(variant, {})
        if metric in specific:
            return float(specific[metric])
        general = self.floors.get("*", {})
        return float(general[metric]) if metric in general else None


def read_baseline(path: Path) -> dict[str, dict[str, dict[str, float]]]:
    """``{profile: {variant: {metric: value}}}``; empty when the file does not exist."""
    if not path.exists():
        return {}
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: not valid JSON ({error}); restore it from git") from None
    return stored.get("profiles", {})


def update_baseline(
    path: Path,
    profile: str,
    scores: Mapping[str, TestScores],
    metrics: Iterable[str] = GATED_METRICS,
    provenance: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Set the baseline of each variant in ``scores`` for ``profile``; others stay as they are."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(path.with_name(f".{path.name}.lock"), timeout=600):
        profiles = read_baseline(path)
        section = profiles.setdefault(profile, {})
        for variant, values in sorted(scores.items()):
            entry: dict[str, Any] = {
                metric: round(float(value), 4)
                for metric in metrics
                if (value := values.get(metric)) is not None
            }
            if provenance:
                entry.update({key: value for key, value in provenance.items()})
            section[variant] = entry
        document = {
            "about": "Gated metrics per bench profile and variant; rewrite with --update-baseline.",
            "profiles": {
                name: dict(sorted(variants.items())) for name, variants in sorted(profiles.items())
            },
        }
        atomic_write(path, json.dumps(document, indent=2) + "\n")
    return document


def read_floors(pyproject: Path) -> dict[str, dict[str, float]]:
    """``[tool.sentiment-bench.floors]`` of ``pyproject``: ``{variant or "*": {metric: floor}}``."""
    if not pyproject.is_file():
        return {}
    try:
        config = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"{pyproject}: not valid TOML ({error})") from None
    floors = config.get("tool", {}).get("sentiment-bench", {}).get("floors", {})
    for variant, values in floors.items():
        if not isinstance(values, dict) or not all(
            isinstance(v, int | float) for v in values.values()
        ):
            raise ValueError(
                f"{pyproject} [{FLOORS_TABLE}] {variant}: expected a table of metric = number, "
                f"e.g. {variant} = {{ accuracy = 0.7 }}"
            )
    return floors
