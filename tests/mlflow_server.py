"""A real ``mlflow server`` / ``mlflow models serve`` on a free loopback port, for tests."""

from __future__ import annotations

import contextlib
import http.server
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Misbehaving(http.server.BaseHTTPRequestHandler):
    """``/health`` answers 200 (500 in mode ``down``); the rest 500, or nothing for a minute
    in mode ``slow``."""

    mode = "500"

    def do_GET(self) -> None:
        if self.path.endswith("/health") and self.mode != "down":
            self._answer(200, b"OK")
        elif self.mode == "slow":
            time.sleep(60)
        else:
            self._answer(500, b"internal error")

    do_POST = do_GET

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return None


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True  # a slow answer never holds the test at close

    def close(self) -> None:
        self.shutdown()
        self.server_close()


def serve_http(mode: str) -> _Server:
    """A real HTTP server on a free loopback port that misbehaves as ``mode`` says (``500``,
    ``slow``, ``down``: see ``_Misbehaving``), served from a thread; ``close()`` stops it."""
    handler = type("Handler", (_Misbehaving,), {"mode": mode})
    server = _Server(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


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
def mlflow_process(
    arguments: list[str], probe: str, folder: Path, env: dict[str, str] | None = None
) -> Iterator[tuple[str, subprocess.Popen]]:
    """Run ``mlflow ARGUMENTS --host 127.0.0.1 --port P --workers 1`` until ``probe`` answers."""
    port = free_port()
    log = folder / f"{arguments[0]}.log"
    with log.open("w") as stream:
        process = subprocess.Popen(
            [
                str(BIN / "mlflow"),
                *arguments,
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
            env={
                **os.environ,
                "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
                **(env or {}),
            },
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{url}{probe}", process, log)
        yield url, process
    finally:
        stop(process)


@contextlib.contextmanager
def tracking_server(folder: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """``mlflow server`` with a SQLite store and proxied artifacts under ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    arguments = [
        "server",
        "--backend-store-uri",
        f"sqlite:///{folder / 'server.db'}",
        "--artifacts-destination",
        str(folder / "artifacts"),
    ]
    with mlflow_process(arguments, "/health", folder) as (uri, process):
        yield uri, process


@contextlib.contextmanager
def model_server(model_uri: str, tracking_uri: str, folder: Path) -> Iterator[str]:
    """``mlflow models serve`` of ``model_uri`` in this environment (its bin/ on PATH)."""
    arguments = ["models", "serve", "-m", model_uri, "--env-manager", "local"]
    with mlflow_process(arguments, "/ping", folder, {"MLFLOW_TRACKING_URI": tracking_uri}) as (
        url,
        _,
    ):
        yield url
