"""A real ``mlflow server`` / ``mlflow models serve`` on a free loopback port, for tests."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"{url}: the process exited ({process.returncode}):\n{log.read_text()[-3000:]}"
            )
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as response:
            if response.status == 200:
                return
        time.sleep(0.5)
    raise RuntimeError(f"{url}: no answer after {timeout} s:\n{log.read_text()[-3000:]}")


def stop(process: subprocess.Popen) -> None:
    """Stop the process group we started, and wait until it has exited."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


@contextlib.contextmanager
def tracking_server(folder: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """``mlflow server`` with a SQLite store and proxied artifacts under ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = folder / "server.log"
    with log.open("w") as stream:
        process = subprocess.Popen(
            [
                str(BIN / "mlflow"),
                "server",
                "--backend-store-uri",
                f"sqlite:///{folder / 'server.db'}",
                "--artifacts-destination",
                str(folder / "artifacts"),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "1",
            ],
            stdout=stream,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=folder,
        )
    uri = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{uri}/health", process, log)
        yield uri, process
    finally:
        stop(process)


@contextlib.contextmanager
def model_server(model_uri: str, tracking_uri: str, folder: Path) -> Iterator[str]:
    """``mlflow models serve`` of ``model_uri`` in this environment."""
    port = free_port()
    log = folder / "serve.log"
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": tracking_uri,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    with log.open("w") as stream:
        process = subprocess.Popen(
            [
                str(BIN / "mlflow"),
                "models",
                "serve",
                "-m",
                model_uri,
                "--env-manager",
                "local",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "1",
            ],
            stdout=stream,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=folder,
            env=env,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{url}/ping", process, log)
        yield url
    finally:
        stop(process)
