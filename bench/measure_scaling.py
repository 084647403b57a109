"""How does the bench's wall time grow with variants x seeds, and what do xdist workers buy?
Runs ``pytest bench`` for every (profile, seeds, workers) combination given, each as a fresh
process with its own results folder and a fresh embedded MLflow store (tracking on, as by
default), and prints one Markdown table: cases, wall time, the speed-up over one process, the
threads each process used, and whether every variant's test accuracies equal those of the
one-process run.

    python bench/measure_scaling.py --profile quick full --seeds 0 --workers 1 2
        [--keep DIR] [--no-history] [-- extra pytest args for every run]

Each run starts from a copy of the committed store of its profile (``results/results.json``,
``results/quick/results.json``), as a user's results folder would be: xdist workers take the
variants longest first by the seconds stored there (``--no-history``: start empty). Only the
seeds a run ran are read back.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from measure_tracking_overhead import run  # one way to time a bench process

ROOT = Path(__file__).resolve().parent.parent


def fresh_runs(folder: Path, seeds: str) -> dict[str, list[dict]]:
    """The runs of this session: its variants, the seeds it ran (a copied store has more)."""
    store = json.loads((folder / "results.json").read_text())
    wanted = {int(seed) for seed in seeds.split(",")}
    return {
        name: [run for run in store["variants"][name]["runs"] if run["seed"] in wanted]
        for name in store["session"]["updated"]
    }


def accuracies(runs: dict[str, list[dict]]) -> dict[str, list[float]]:
    return {name: [run["test"]["accuracy"] for run in found] for name, found in runs.items()}


def execution(runs: dict[str, list[dict]]) -> str:
    found = {
        (run["execution"]["worker"], run["execution"]["threads"])
        for seeds in runs.values()
        for run in seeds
    }
    workers = sorted({worker for worker, _ in found})
    threads = sorted({threads for _, threads in found})
    return f"{len(workers)} process(es) x {'/'.join(map(str, threads))} thread(s)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--profile", nargs="+", default=["quick"], choices=["quick", "full", "tiny"]
    )
    parser.add_argument("--seeds", nargs="+", default=["0"], help="seed lists, e.g. 0 0,1,2")
    parser.add_argument("--workers", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--keep", type=Path, help="keep every run's results folder here")
    parser.add_argument("--no-history", action="store_true", help="start from empty folders")
    args, extra = parser.parse_known_args()
    extra = [arg for arg in extra if arg != "--"]
    base = args.keep or Path(tempfile.mkdtemp(prefix="bench-scaling-"))
    rows = []
    for profile in args.profile:
        for seeds in args.seeds:
            reference: dict[str, list[float]] | None = None
            serial_seconds: float | None = None
            for workers in args.workers:
                folder = base / f"{profile}-seeds{seeds.replace(',', '_')}-n{workers}"
                command = [
                    "--bench-profile",
                    profile,
                    "--seeds",
                    seeds,
                    f"--results-dir={folder}",
                    f"--mlflow-uri=sqlite:///{folder}/mlflow.db",
                    *(["-n", str(workers)] if workers > 1 else []),
                    *extra,
                ]
                folder.mkdir(parents=True, exist_ok=True)
                history = ROOT / "results" / ("" if profile == "full" else profile)
                if not args.no_history and (history / "results.json").is_file():
                    shutil.copy(history / "results.json", folder / "results.json")
                print(f"running: pytest bench {' '.join(command)}", file=sys.stderr, flush=True)
                seconds, _ = run(command)
                runs = fresh_runs(folder, seeds)
                found = accuracies(runs)
                cases = sum(len(values) for values in found.values())
                if workers == args.workers[0]:
                    reference, serial_seconds = found, seconds
                same = sorted(
                    name for name, values in found.items() if reference.get(name) == values
                )
                differ = sorted(set(found) - set(same))
                rows.append(
                    f"| {profile} | {len(found)} | {seeds} | {cases} "
                    f"| {workers} | {execution(runs)} | {seconds:,.0f} s "
                    f"| {serial_seconds / seconds:.2f}x | "
                    + (
                        "same as 1 process"
                        if workers == args.workers[0]
                        else f"identical: {', '.join(same) or '-'}; differ: {', '.join(differ) or '-'}"
                    )
                    + " |"
                )
                print(rows[-1], file=sys.stderr, flush=True)
    print(
        "| profile | variants | seeds | cases | workers | processes x threads | wall "
        "| speed-up | test accuracies vs the first run |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    print("\n".join(rows))
    print(f"\nresults folders: {base}")


if __name__ == "__main__":
    main()
