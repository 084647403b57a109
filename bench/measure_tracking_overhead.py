"""What does MLflow tracking add to a bench session? Runs the same ``pytest bench`` selection
twice, without tracking (--no-mlflow) and with a fresh embedded MLflow store, and prints the
wall times, their difference and the time the tracker measured itself.

    python bench/measure_tracking_overhead.py [-k EXPR] [--repeat N] [--tracked-arg ARG ...]
        [-- extra pytest args for both arms]

``--tracked-arg`` goes to the tracked arm only (after the script's own arguments, so it wins):
``--tracked-arg=--results-dir=results --tracked-arg=--update-baseline`` makes the tracked arm
the run that regenerates the committed tables.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(args: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "bench", "-q", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
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
    args, extra = parser.parse_known_args()
    select = ["-k", args.select] if args.select else []
    without, with_tracking, self_measured = [], [], []
    with tempfile.TemporaryDirectory(prefix="tracking-overhead-") as folder:
        for round_ in range(args.repeat):
            results = Path(folder) / f"results-{round_}"
            seconds, _ = run([*select, "--no-mlflow", f"--results-dir={results}-off", *extra])
            without.append(seconds)
            uri = f"sqlite:///{folder}/mlflow-{round_}.db"
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
            found = re.search(r"case\(s\) logged, ([0-9.]+) s spent tracking", output)
            self_measured.append(float(found.group(1)) if found else float("nan"))
            print(
                f"round {round_ + 1}: --no-mlflow {without[-1]:.1f} s, tracked {with_tracking[-1]:.1f} s, "
                f"tracker's own time {self_measured[-1]:.1f} s",
                flush=True,
            )
    off, on = statistics.median(without), statistics.median(with_tracking)
    own = statistics.median(self_measured)
    print(f"selection: {args.select or 'all variants'}; rounds {args.repeat}")
    print(f"median wall time without tracking: {off:.1f} s; with tracking: {on:.1f} s")
    print(f"difference: {on - off:+.1f} s ({(on - off) / on:+.1%} of the tracked session)")
    print(f"time inside the tracker: {own:.1f} s ({own / on:.1%} of the tracked session)")


if __name__ == "__main__":
    main()
