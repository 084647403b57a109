"""The results store: ``results.json`` holds one record per variant; tables are rendered from
it. Updates are merged under a file lock and written atomically, so a subset run keeps the
other variants and two sessions never interleave."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from filelock import FileLock

RESULTS_FILE = "results.json"
LOCK_FILE = ".results.lock"
FORMAT_VERSION = 1


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


def read_results(folder: Path) -> dict[str, Any]:
    """The stored results, or an empty store when there is none yet."""
    path = folder / RESULTS_FILE
    if not path.exists():
        return {"format": FORMAT_VERSION, "variants": {}, "session": {}}
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(
            f"{path}: not valid JSON ({error}); restore it from git or delete it to start afresh"
        ) from None
    stored.setdefault("variants", {})
    stored.setdefault("session", {})
    return stored


def update_results(
    folder: Path,
    records: Mapping[str, dict[str, Any]],
    session: Mapping[str, Any],
    render: Callable[[dict[str, Any]], Mapping[str, str | bytes | None]],
) -> dict[str, Any]:
    """Merge ``records`` (by variant) into the store, then write it and its rendered tables.

    ``render`` maps the merged store to ``{file name: text}``; every file is written
    atomically while the lock is held.
    """
    folder.mkdir(parents=True, exist_ok=True)
    with FileLock(folder / LOCK_FILE, timeout=600):
        stored = read_results(folder)
        stored["format"] = FORMAT_VERSION
        stored["variants"].update(records)
        stored["session"] = dict(session)
        for name, text in render(stored).items():
            if text is not None:
                atomic_write(folder / name, text)
        atomic_write(folder / RESULTS_FILE, json.dumps(stored, indent=1, sort_keys=True) + "\n")
    return stored
