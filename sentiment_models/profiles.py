"""Bench profiles: ``full`` (the whole training split, normal training), ``quick`` (a fixed
stratified sample and short training, for CI) and ``tiny`` (a few hundred rows and minimal
training, for the test suite). Each variant declares its own settings per profile in
``profile_params``, so a new variant brings its profiles with it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sentiment_models.config import PROFILE_NAMES


@dataclass(frozen=True)
class Profile:
    name: str
    sample_size: int | None
    description: str
    seeds: tuple[int, ...] = (0,)
    """The variants' seeds when ``--seeds`` is not given."""
    test_rows: int | None = None
    """A stratified sample of the test split that every variant is tested on (None: all)."""

    def label(self) -> str:
        size = (
            f"{self.sample_size:,}-row training sample"
            if self.sample_size
            else "whole training split"
        )
        if self.test_rows:
            size += f", {self.test_rows:,} test rows"
        return f"{self.name} ({size})"


PROFILES: dict[str, Profile] = {
    # Three seeds for the committed tables: the spread over seeds is as large as the gaps
    # between the best variants. One seed in CI: the gate pairs it with the baseline's seeds.
    "full": Profile("full", None, "whole training split, normal training", seeds=(0, 1, 2)),
    # CI: under 3 minutes on 2 cores, and the full profile's order of transformer > classic >
    # deep (MiniLM needs more rows than 4,000 to beat the classic models by a clear margin, and
    # more time than CI has to use them)
    "quick": Profile(
        "quick",
        4000,
        "stratified 4,000-row training sample and 4,000 test rows, short training (CI)",
        test_rows=4000,
    ),
    "tiny": Profile("tiny", 600, "stratified 600-row training sample, minimal training (tests)"),
}
assert tuple(PROFILES) == PROFILE_NAMES


def get_profile(name: str) -> Profile:
    """The profile called ``name`` (checked by the configuration: one of PROFILE_NAMES)."""
    return PROFILES[name]


def profile_params(variant_cls: Any, profile: Profile) -> dict[str, Any]:
    """The variant's parameter overrides for ``profile`` (none for ``full``)."""
    return dict(getattr(variant_cls, "profile_params", {}).get(profile.name, {}))
