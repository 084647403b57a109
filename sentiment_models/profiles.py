"""Bench profiles: ``full`` (the whole training split, normal training) and ``quick`` (a fixed
stratified sample and short training, for CI). Each variant declares its own quick settings in
``profile_params``, so a new variant brings its profile with it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Profile:
    name: str
    sample_size: int | None
    description: str

    def label(self) -> str:
        size = (
            f"{self.sample_size:,}-row training sample"
            if self.sample_size
            else "whole training split"
        )
        return f"{self.name} ({size})"


PROFILES: dict[str, Profile] = {
    "full": Profile("full", None, "whole training split, normal training"),
    "quick": Profile("quick", 10000, "stratified 10,000-row training sample, short training (CI)"),
}
DEFAULT_PROFILE = "full"


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(
            f"--bench-profile {name!r}: unknown profile; expected one of {sorted(PROFILES)}"
        ) from None


def profile_params(variant_cls: Any, profile: Profile) -> dict[str, Any]:
    """The variant's parameter overrides for ``profile`` (none for ``full``)."""
    return dict(getattr(variant_cls, "profile_params", {}).get(profile.name, {}))
