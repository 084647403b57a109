"""What makes a result reproducible: git commit and dirty flag, package versions, machine."""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import UTC, datetime
from functools import cache
from importlib import metadata
from pathlib import Path

TRACKED_PACKAGES = (
    "sentiment-models-bench",
    "numpy",
    "pandas",
    "scikit-learn",
    "tensorflow-cpu",
    "tensorflow",
    "keras",
    "torch",
    "transformers",
    "gensim",
    "mlflow",
    "pytest",
    "pytest-benchmark",
)


@cache
def git_state(root: str = ".", outputs: tuple[str, ...] = ()) -> dict[str, str | bool]:
    """The commit checked out at ``root`` and whether the work tree differs from it, leaving
    out ``outputs`` (paths the bench itself writes, e.g. the results folder and the baseline:
    a regeneration that has just rewritten them does not make the next one's code dirty)."""

    def run(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", *args], cwd=root, capture_output=True, text=True, timeout=10, check=True
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip()

    commit = run("rev-parse", "HEAD")
    if commit is None:
        return {"commit": "unknown", "dirty": False}
    excluded = [f":(exclude){path}" for path in outputs]
    status = run("status", "--porcelain", "--untracked-files=no", "--", ".", *excluded) or ""
    return {"commit": commit, "dirty": bool(status)}


def short_commit(state: dict[str, str | bool]) -> str:
    commit = str(state["commit"])
    label = commit[:10] if commit != "unknown" else commit
    return f"{label}-dirty" if state["dirty"] else label


@cache
def package_versions() -> dict[str, str]:
    """Installed versions of the packages that decide a result."""
    versions = {}
    for name in TRACKED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


VECTOR_FLAGS = ("sse4_2", "avx2", "fma", "avx512f", "avx512bw", "avx512_vnni", "avx512_bf16")
"""CPU features that choose the kernels of numpy, torch (fbgemm's int8 paths among them) and
TensorFlow: results made on CPUs that differ in these may differ in their last bits."""


def machine() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "processor": platform.machine(),
        "cpus": str(os.cpu_count()),
        "vector_flags": " ".join(vector_flags()) or "unknown",
    }


@cache
def vector_flags() -> tuple[str, ...]:
    """The ``VECTOR_FLAGS`` this CPU has (Linux's ``/proc/cpuinfo``; empty elsewhere)."""
    try:
        text = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return ()
    line = next((line for line in text.splitlines() if line.startswith("flags")), "")
    present = set(line.partition(":")[2].split())
    return tuple(flag for flag in VECTOR_FLAGS if flag in present)


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
