"""Threads and devices per process (``runtime.py``), and the timed phase that background
work waits for."""

from __future__ import annotations

import os

import pytest

from sentiment_models import runtime


def test_threads_default_to_the_cores_shared_among_the_workers(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(16)), raising=False)
    assert runtime.default_threads(1) == 16
    assert runtime.default_threads(3) == 5
    assert runtime.default_threads(64) == 1


def test_configure_sizes_every_thread_pool(monkeypatch):
    from threadpoolctl import threadpool_info, threadpool_limits

    for name in (*runtime.THREAD_VARIABLES, "TF_NUM_INTEROP_THREADS"):
        monkeypatch.setenv(name, "")  # restored after the test
    with threadpool_limits():  # restores the BLAS pools after the test
        configured = runtime.configure(1, "cpu")
        assert configured == runtime.current() == runtime.Runtime(1, "cpu")
        assert all(os.environ[name] == "1" for name in runtime.THREAD_VARIABLES)
        assert {pool["num_threads"] for pool in threadpool_info()} <= {1}
    monkeypatch.setattr(runtime, "_current", None)


@pytest.mark.integration
def test_cpu_and_auto_devices_work_here_and_a_missing_gpu_is_a_clear_error():
    import torch

    assert runtime.torch_device("cpu") == "cpu"
    assert runtime.torch_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(runtime.DeviceError, match=r"torch sees no GPU.*--device cpu"):
            runtime.check_device("cuda:0")


def test_background_work_waits_for_the_timed_phase_to_end():
    """MLflow's CPU-heavy logging steps call ``wait_untimed``: they start only once the
    timed phase (a fit or predict under pytest-benchmark) is over."""
    import threading

    from sentiment_models import runtime

    events: list[str] = []
    started = threading.Event()

    def background() -> None:
        started.set()
        runtime.wait_untimed()
        events.append("logged")

    runtime.wait_untimed()  # no timed phase: returns at once
    with runtime.timed_phase():
        worker = threading.Thread(target=background)
        worker.start()
        assert started.wait(5)
        worker.join(0.3)
        events.append("timed phase over")
    worker.join(5)
    assert events == ["timed phase over", "logged"]


def test_resize_points_call_the_host_at_most_every_interval():
    calls = []
    try:
        runtime.on_resize(lambda: calls.append(1), every=3600.0)
        runtime.resize_point()  # within the interval since on_resize: not called
        assert calls == []
        runtime.on_resize(lambda: calls.append(1), every=0.0)
        runtime.resize_point()
        runtime.resize_point()
        assert calls == [1, 1]
        runtime.on_resize(None)
        runtime.resize_point()
        assert calls == [1, 1]
    finally:
        runtime.on_resize(None)
