"""Helpers the tests import."""

from __future__ import annotations

import csv
from pathlib import Path


def write_csv(path: Path, rows, header=("text", "label"), encoding="utf-8") -> Path:
    with path.open("w", newline="", encoding=encoding) as stream:
        writer = csv.writer(stream)
        if header:
            writer.writerow(header)
        writer.writerows(rows)
    return path
