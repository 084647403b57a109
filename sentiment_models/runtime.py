"""Where and how fast the variants compute in this process: the thread budget shared by torch,
TensorFlow and the BLAS libraries, and the torch device. Set once per process by the session
(``configure``) before any variant imports its framework; read by the variants."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sentiment_models.errors import DeviceError

THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
)


@dataclass(frozen=True)
class Runtime:
    threads: int
    device: str
    """``auto``, ``cpu``, ``cuda`` or ``cuda:INDEX`` as the user gave it."""


_current: Runtime | None = None


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity), at least 1."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def default_threads(workers: int) -> int:
    """The usable cores shared among ``workers`` processes, at least 1 each."""
    return max(1, usable_cores() // max(1, workers))


def configure(threads: int, device: str = "auto") -> Runtime:
    """Size every thread pool of this process to ``threads``: the environment for frameworks
    not yet imported, threadpoolctl for BLAS libraries already loaded, torch if imported."""
    global _current
    for name in THREAD_VARIABLES:
        os.environ[name] = str(threads)
    os.environ["TF_NUM_INTEROP_THREADS"] = str(min(2, threads))
    from threadpoolctl import threadpool_limits

    threadpool_limits(threads)
    if "torch" in sys.modules:
        _size_torch(sys.modules["torch"], threads)
    _current = Runtime(threads, device)
    return _current


def current() -> Runtime:
    """The configured runtime, or all usable cores and ``auto`` when none was configured."""
    return _current or Runtime(usable_cores(), "auto")


def size_torch(torch: object) -> None:
    """Give torch the configured thread count (called where torch is imported)."""
    _size_torch(torch, current().threads)


def _size_torch(torch: object, threads: int) -> None:
    if torch.get_num_threads() != threads:  # type: ignore[attr-defined]
        torch.set_num_threads(threads)  # type: ignore[attr-defined]


def torch_device(spec: str | None = None) -> str:
    """The torch device for ``spec`` (default: the configured one): ``auto`` is ``cuda`` when
    torch sees a GPU, else ``cpu``; a CUDA device torch cannot see is a DeviceError."""
    spec = spec or current().device
    if spec == "cpu":
        return "cpu"
    import torch

    available = torch.cuda.is_available()
    if spec == "auto":
        return "cuda" if available else "cpu"
    index = int(spec.partition(":")[2] or 0)
    if not available:
        build = torch.version.cuda or "CPU only"
        raise DeviceError(
            f"{{run.device}} {spec}: torch sees no GPU (torch {torch.__version__}, CUDA build: "
            f"{build}); install a CUDA build of torch (see docs/distributed.md) or use --device cpu"
        )
    if index >= torch.cuda.device_count():
        raise DeviceError(
            f"{{run.device}} {spec}: torch sees {torch.cuda.device_count()} GPU(s) "
            f"(cuda:0 .. cuda:{torch.cuda.device_count() - 1})"
        )
    return spec


def check_device(spec: str) -> None:
    """Before any training: the device can be used (only CUDA needs torch to check)."""
    if spec.startswith("cuda"):
        torch_device(spec)


def tensorflow_device() -> str:
    """Where Keras computes: the first GPU TensorFlow sees, else the CPU."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    return "GPU:0" if gpus else "cpu"


RESIZE_EVERY = 10.0
"""Seconds between two resizes, by default."""
_RESIZER: Callable[[], None] | None = None
_resize_every = RESIZE_EVERY
_last_resize = 0.0


def on_resize(resizer: Callable[[], None] | None, every: float = RESIZE_EVERY) -> None:
    """Let the host resize this process's thread pools while a phase runs: ``resizer`` (the
    bench plugin's, on an xdist worker: cores that finished workers freed) is called by
    ``resize_point`` at most every ``every`` seconds; None: never."""
    global _RESIZER, _resize_every, _last_resize
    _RESIZER, _resize_every, _last_resize = resizer, every, time.monotonic()


def resize_point() -> None:
    """Called by a long loop between its steps (a transformer's fine-tuning), where a new
    thread count changes no result (the training is the same whatever the threads): the
    host's resizer runs, at most every few seconds."""
    global _last_resize
    if _RESIZER is None or time.monotonic() - _last_resize < _resize_every:
        return
    _last_resize = time.monotonic()
    _RESIZER()


_UNTIMED = threading.Event()
_UNTIMED.set()


@contextlib.contextmanager
def timed_phase() -> Iterator[None]:
    """Mark a timed phase (a variant's fit or predict under pytest-benchmark): background
    work such as MLflow logging holds off meanwhile (``wait_untimed``), so that it does not
    compete for the cores the timing measures."""
    _UNTIMED.clear()
    try:
        yield
    finally:
        _UNTIMED.set()


def wait_untimed() -> None:
    """Return when no timed phase runs (at once, when none does)."""
    _UNTIMED.wait()


def share_untimed(context: Any = None, event: Any = None) -> Any:
    """Make the marker of timed phases one that other processes see: ``event`` (made by the
    parent, in a child) or a new event of the multiprocessing ``context``; returns it."""
    global _UNTIMED
    if event is None:
        event = context.Event()
        if _UNTIMED.is_set():
            event.set()
    _UNTIMED = event
    return event
