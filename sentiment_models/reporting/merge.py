"""Merge the results folders of ``--shard K/N`` sessions into one, as one session would have
written it: ``results.json``, the tables, the plot and, with ``--update-baseline``, the
baseline::

    python -m sentiment_models.reporting.merge --into results shard-1 shard-2 shard-3

Shards are merged only when they were made on the same data (dataset, split and evaluation
set digests) with the same code (git commit, package versions); otherwise nothing is written
and the differences are listed. The target folder's own records are merged as a session's
would be: a variant of the shards replaces its stored seeds, other variants stay."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from sentiment_models.config import ReportConfig
from sentiment_models.errors import BenchError, MergeError
from sentiment_models.reporting.render import rendered_files
from sentiment_models.reporting.store import RESULTS_FILE, read_results, update_results
from sentiment_models.results import ResultsStore, SessionInfo, VariantRecord, origin_differences
from sentiment_models.variants import variant_names


def merge_shards(folders: Sequence[Path]) -> tuple[dict[str, VariantRecord], SessionInfo]:
    """The shards' records by variant and one session summary; raises MergeError."""
    stores: list[tuple[Path, ResultsStore]] = []
    for folder in folders:
        if not (folder / RESULTS_FILE).is_file():
            raise MergeError(f"{folder}: no {RESULTS_FILE}; give the --results-dir of a shard")
        store = read_results(folder)
        if not store.variants:
            raise MergeError(f"{folder}/{RESULTS_FILE}: holds no results")
        stores.append((folder, store))
    reference_folder, reference_store = stores[0]
    reference = next(iter(reference_store.variants.values()))
    problems = []
    records: dict[str, VariantRecord] = {}
    for folder, store in stores:
        for name, record in store.variants.items():
            differences = origin_differences(
                (reference.data, reference.provenance), (record.data, record.provenance)
            )
            problems += [f"{folder} {name}: {line}" for line in differences]
            records[name] = records[name].merged(record) if name in records else record
    if problems:
        raise MergeError(
            f"the shards were not made on the same data and code as {reference_folder} "
            f"({reference.variant}); nothing was written:\n  " + "\n  ".join(problems)
        )
    sessions = [store.session for _, store in stores if store.session is not None]
    failed = {name: dict(phases) for info in sessions for name, phases in info.failed.items()}
    info = SessionInfo(
        date=max((info.date for info in sessions), default=""),
        interrupted=any(info.interrupted for info in sessions),
        updated=tuple(sorted(records)),
        failed=failed,
    )
    return records, info


def merge_into(
    target: Path,
    folders: Sequence[Path],
    *,
    baseline: Path | None = None,
    settings: ReportConfig | None = None,
    force: bool = False,
) -> list[str]:
    """Write the merged shards into ``target`` (and the baseline); returns lines to print."""
    records, info = merge_shards(folders)
    order = variant_names()
    update_results(target, records, info, lambda store: rendered_files(store, order, settings)[0])
    lines = [
        f"merged {len(folders)} shard(s) into {target}: "
        + ", ".join(f"{name} (seeds {', '.join(map(str, r.seeds))})" for name, r in records.items())
    ]
    if baseline is not None:
        from sentiment_models.gates import update_baseline

        first = next(iter(records.values()))
        profile = first.profile.split(" ", 1)[0]
        try:
            lines += update_baseline(
                baseline,
                profile,
                records,
                provenance={"commit": first.provenance.commit, "date": first.provenance.date},
                force=force,
            )
        except BenchError as error:  # the merged results are written; say so
            raise type(error)(f"{lines[0]}; {error.args[0]}") from None
    return lines


CLI_FLAGS = {
    "gate.baseline": "--update-baseline",
    "gate.force_baseline_update": "--force-baseline-update",
}
"""The options of this command that the library's messages name by field."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sentiment_models.reporting.merge", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("shards", nargs="+", type=Path, help="the shards' results folders")
    parser.add_argument(
        "--into", type=Path, required=True, help="the results folder to write (e.g. results)"
    )
    parser.add_argument(
        "--update-baseline",
        nargs="?",
        const=Path("results/baseline.json"),
        type=Path,
        metavar="PATH",
        help="also set the gate's baseline from the merged results (default: results/baseline.json)",
    )
    parser.add_argument(
        "--force-baseline-update",
        action="store_true",
        help="let --update-baseline write from shards made with other settings than their "
        "profile's, or replace a baseline made on other test data",
    )
    args = parser.parse_args(argv)
    if args.force_baseline_update and args.update_baseline is None:
        parser.error("--force-baseline-update does nothing without --update-baseline")
    try:
        lines = merge_into(
            args.into,
            args.shards,
            baseline=args.update_baseline,
            force=args.force_baseline_update,
        )
    except (BenchError, OSError) as error:
        shown = (
            error.render(lambda path: CLI_FLAGS.get(path, path))
            if isinstance(error, BenchError)
            else str(error)
        )
        print(f"error: {shown}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
