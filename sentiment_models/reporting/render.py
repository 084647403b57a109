"""Re-render a results folder's tables and plot from its ``results.json``, without running
anything: ``python -m sentiment_models.reporting.render results/quick``. Useful after
changing how tables are drawn, or after editing the store by hand; the store is read and
written back under its lock, so a running session is never interleaved."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sentiment_models.config import ReportConfig
from sentiment_models.errors import BenchError, StoreError
from sentiment_models.reporting.analysis import Analysis, analyse
from sentiment_models.reporting.store import (
    LOCK_FILE,
    RESULTS_FILE,
    held_lock,
    read_results,
    write_together,
)
from sentiment_models.reporting.tables import render_comparison, render_predictions
from sentiment_models.reporting.tradeoff import render_tradeoff
from sentiment_models.results import ResultsStore
from sentiment_models.variants import variant_names

if TYPE_CHECKING:
    from sentiment_models.reporting.tables import Row


def rendered_files(
    store: ResultsStore,
    order: Sequence[str],
    settings: ReportConfig | None = None,
    extra_rows: Sequence[Row] = (),
) -> tuple[dict[str, str | bytes | None], Analysis]:
    """Every file rendered from a results store (by name), and the analysis behind them: the
    one rendering used by a session, a re-render and a merge of shards."""
    settings = settings or ReportConfig()
    analysis = analyse(store, order, alpha=settings.compare_alpha)
    files = {
        "comparison.md": render_comparison(store, order, extra_rows, analysis),
        "predictions.md": render_predictions(store, order),
        "tradeoff.png": render_tradeoff(store, order),
    }
    return files, analysis


def render_folder(folder: Path, settings: ReportConfig | None = None) -> list[Path]:
    """Rewrite ``comparison.md``, ``predictions.md`` and ``tradeoff.png`` in ``folder`` from
    its ``results.json``, which is read, never written (a committed store stays as it is)."""
    if not (folder / RESULTS_FILE).is_file():
        raise StoreError(f"{folder}: no results.json with results to render")
    with held_lock(folder / LOCK_FILE):
        stored = read_results(folder)
        if not stored.variants:
            raise StoreError(f"{folder}: no results.json with results to render")
        files = rendered_files(stored, variant_names(), settings)[0]
        written = {folder / name: text for name, text in files.items() if text is not None}
        write_together(written)
    return list(written)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sentiment_models.reporting.render", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("folders", nargs="+", type=Path, help="results folders (with results.json)")
    args = parser.parse_args(argv)
    for folder in args.folders:
        status = report_written(lambda folder=folder: render_folder(folder))
        if status:
            return status
    return 0


def report_written(action: Callable[[], Sequence[Path]]) -> int:
    """A command's step: print the files ``action`` wrote and return 0, or print its error
    (a BenchError or an OSError) and return 2."""
    try:
        written = action()
    except (BenchError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print("written: " + ", ".join(str(path) for path in written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
