"""The results store: ``results.json`` holds one record per variant (with one run per seed);
tables are rendered from it. Records of format 1 (one run, no seeds) are read as one-seed
records. Updates are merged under a file lock and written atomically, so a subset run keeps the
other variants and two sessions never interleave."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path

from filelock import FileLock

from sentiment_models.results import (
    FORMAT_VERSION,
    CaseResult,
    ResultsStore,
    SessionInfo,
    from_json,
    to_json,
    upgrade_record,
)

RESULTS_FILE = "results.json"
LOCK_FILE = ".results.lock"


def atomic_write(path: Path, text: str | bytes) -> None:
    """Write ``text`` to ``path`` so that readers see the old or the new file, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        data = text.encode("utf-8") if isinstance(text, str) else text
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_results(folder: Path) -> ResultsStore:
    """The stored results, or an empty store when there is none yet."""
    path = folder / RESULTS_FILE
    if not path.exists():
        return ResultsStore()
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(
            f"{path}: not valid JSON ({error}); restore it from git or delete it to start afresh"
        ) from None
    if not isinstance(stored, dict) or not isinstance(stored.get("variants", {}), dict):
        raise ValueError(
            f"{path}: not a results store (expected an object with 'variants'); restore it "
            "from git or delete it to start afresh"
        )
    try:
        stored["variants"] = {
            name: upgrade_record(record) for name, record in stored.get("variants", {}).items()
        }
        return from_json(ResultsStore, stored)
    except (TypeError, KeyError, AttributeError) as error:
        raise ValueError(
            f"{path}: a record does not have the expected fields ({error}); restore it from "
            "git or delete it to start afresh"
        ) from None


def update_results(
    folder: Path,
    records: Mapping[str, CaseResult],
    session: SessionInfo,
    render: Callable[[ResultsStore], Mapping[str, str | bytes | None]],
) -> ResultsStore:
    """Merge ``records`` (by variant) into the store, then write it and its rendered tables.

    ``render`` maps the merged store to ``{file name: text}``; every file is written
    atomically while the lock is held.
    """
    folder.mkdir(parents=True, exist_ok=True)
    with FileLock(folder / LOCK_FILE, timeout=600):
        stored = read_results(folder)
        merged = replace(
            stored,
            variants={
                **stored.variants,
                **{
                    name: stored.variants[name].merged(record)
                    if name in stored.variants
                    else record
                    for name, record in records.items()
                },
            },
            session=session,
            format=FORMAT_VERSION,
        )
        for name, text in render(merged).items():
            if text is not None:
                atomic_write(folder / name, text)
        document = json.dumps(to_json(merged), indent=1, sort_keys=True) + "\n"
        atomic_write(folder / RESULTS_FILE, document)
    return merged
