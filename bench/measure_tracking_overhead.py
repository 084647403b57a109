"""What does MLflow tracking add to a bench session? Runs the same ``pytest bench`` selection
without tracking (--no-mlflow) and with tracking, in alternating rounds, and prints the wall
and user CPU times, their medians and differences, and the time the tracker measured itself.

    python bench/measure_tracking_overhead.py [-k EXPR] [--repeat N] [--server]
        [--tracked-arg ARG ...] [-- extra pytest args for both arms]

The tracked arm logs to a fresh embedded SQLite store per round, or with ``--server`` to a real
``mlflow server`` (SQLite behind it, proxied artifacts) that the script starts on a loopback
port for the whole measurement and stops at the end.

``--tracked-arg`` goes to the tracked arm only (after the script's own arguments, so it wins):
``--tracked-arg=--results-dir=results --tracked-arg=--update-baseline`` makes the tracked arm
the run that regenerates the committed tables.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAST_USER_SECONDS: list[float] = []
"""User CPU seconds of the last ``run`` (its child processes)."""


def run(args: list[str]) -> tuple[float, str]:
    started, before = time.perf_counter(), os.times()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "bench", "-q", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    elapsed, after = time.perf_counter() - started, os.times()
    LAST_USER_SECONDS[:] = [after.children_user - before.children_user]
    if done.returncode != 0:
        sys.exit(
            f"pytest failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}"
        )
    return elapsed, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", dest="select", default="", help="pytest -k expression (default: all)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--tracked-arg", action="append", default=[], metavar="ARG")
    parser.add_argument(
        "--server", action="store_true", help="track to a local `mlflow server` over HTTP"
    )
    args, extra = parser.parse_known_args()
    extra = [arg for arg in extra if arg != "--"]  # "--" only separates the pytest arguments
    select = ["-k", args.select] if args.select else []
    without, with_tracking, self_measured = [], [], []
    user_off, user_on = [], []
    with contextlib.ExitStack() as stack:
        folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="tracking-overhead-"))
        server_uri = None
        if args.server:
            sys.path.insert(0, str(ROOT))
            from tests.mlflow_server import tracking_server

            server_uri, _ = stack.enter_context(tracking_server(Path(folder) / "server"))
            print(f"mlflow server at {server_uri}", flush=True)
        for round_ in range(args.repeat):
            results = Path(folder) / f"results-{round_}"
            seconds, _ = run([*select, "--no-mlflow", f"--results-dir={results}-off", *extra])
            without.append(seconds)
            user_off.append(LAST_USER_SECONDS[0])
            uri = server_uri or f"sqlite:///{folder}/mlflow-{round_}.db"
            seconds, output = run(
                [
                    *select,
                    f"--mlflow-uri={uri}",
                    f"--results-dir={results}-on",
                    *extra,
                    *args.tracked_arg,
                ]
            )
            with_tracking.append(seconds)
            user_on.append(LAST_USER_SECONDS[0])
            found = re.search(r"case\(s\) logged, ([0-9.]+) s spent tracking", output)
            self_measured.append(float(found.group(1)) if found else float("nan"))
            print(
                f"round {round_ + 1}: --no-mlflow {without[-1]:.1f} s (user {user_off[-1]:.1f}), "
                f"tracked {with_tracking[-1]:.1f} s (user {user_on[-1]:.1f}), "
                f"tracker's own time {self_measured[-1]:.1f} s",
                flush=True,
            )
    off, on = statistics.median(without), statistics.median(with_tracking)
    own = statistics.median(self_measured)
    store = "a local mlflow server over HTTP" if args.server else "an embedded SQLite store"
    print(f"selection: {args.select or 'all variants'}; rounds {args.repeat}; tracked to {store}")
    print(f"median wall time without tracking: {off:.1f} s; with tracking: {on:.1f} s")
    print(
        f"median user CPU without tracking: {statistics.median(user_off):.1f} s; with "
        f"tracking: {statistics.median(user_on):.1f} s"
    )
    print(f"difference: {on - off:+.1f} s wall ({(on - off) / off:+.1%} of the untracked session)")
    print(f"time inside the tracker: {own:.1f} s ({own / on:.1%} of the tracked session)")


if __name__ == "__main__":
    main()
