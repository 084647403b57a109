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

    def label(self) -> str:
        size = (
            f"{self.sample_size:,}-row training sample"
            if self.sample_size
            else "whole training split"
        )
        return f"{self.name} ({size})"


PROFILES: dict[str, Profile] = {
    # Three seeds for the committed tables: the spread over seeds is as large as the gaps
    # between the best variants. One seed in CI: the gate pairs it with the baseline's seeds.
    "full": Profile("full", None, "whole training split, normal training", seeds=(0, 1, 2)),
    "quick": Profile("quick", 10000, "stratified 10,000-row training sample, short training (CI)"),
    "tiny": Profile("tiny", 600, "stratified 600-row training sample, minimal training (tests)"),
}
DEFAULT_PROFILE = "full"
assert tuple(PROFILES) == PROFILE_NAMES


def get_profile(name: str) -> Profile:
    """The profile called ``name`` (checked by the configuration: one of PROFILE_NAMES)."""
    return PROFILES[name]


def profile_params(variant_cls: Any, profile: Profile) -> dict[str, Any]:
    """The variant's parameter overrides for ``profile`` (none for ``full``)."""
    return dict(getattr(variant_cls, "profile_params", {}).get(profile.name, {}))
