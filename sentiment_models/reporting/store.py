"""The results store: ``results.json`` holds one record per variant (with one run per seed);
tables are rendered from it. Records of format 1 (one run, no seeds) are read as one-seed
records. Updates are merged under a file lock and written atomically, so a subset run keeps the
other variants and two sessions never interleave. Every file of one update (tables, plot,
``results.json``) is written to a temporary file first and renamed into place only when all of
them are written, so they change together or not at all; files get the umask's mode."""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from filelock import FileLock, Timeout

from sentiment_models.errors import StoreError, read_json
from sentiment_models.results import (
    FORMAT_VERSION,
    ResultsStore,
    SessionInfo,
    VariantRecord,
    from_json,
    to_json,
    upgrade_record,
)

RESULTS_FILE = "results.json"
LOCK_FILE = ".results.lock"
LOCK_WAIT = 600.0
"""Seconds a session waits for another session's lock on a results folder or baseline."""
LOCK_NOTICE = 30.0
"""Seconds between the lines that say a session is still waiting for a lock."""


def _umask() -> int:
    """The process's umask, read without changing it where Linux says it (setting it even for
    an instant would give files made meanwhile by another thread the wrong mode)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    current = os.umask(0o077)
    os.umask(current)
    return current


def file_mode() -> int:
    """The mode a new file gets under the process's umask (``0o644`` under ``022``)."""
    return 0o666 & ~_umask()


def atomic_write(path: Path, text: str | bytes) -> None:
    """Write ``text`` to ``path`` so that readers see the old or the new file, never a part."""
    write_together({path: text})


def write_together(files: Mapping[Path, str | bytes]) -> None:
    """Write every file to a temporary file beside it, then rename them all into place: a
    failure (a full disk) before the renames leaves every old file as it was."""
    mode = file_mode()
    written: list[tuple[str, Path]] = []
    try:
        for path, text in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(
                dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
            )
            written.append((temporary, path))
            data = text.encode("utf-8") if isinstance(text, str) else text
            with os.fdopen(handle, "wb") as stream:
                os.fchmod(stream.fileno(), mode)
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
        for temporary, path in written:
            os.replace(temporary, path)
    except BaseException:
        for temporary, _ in written:
            Path(temporary).unlink(missing_ok=True)
        raise


def check_writable_folder(folder: Path, what: str) -> None:
    """Refuse a folder that is a file, or that this process cannot create or write in."""
    existing = folder
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if existing.exists() and not existing.is_dir():
        raise StoreError(f"{what} {folder}: {existing} is a file, not a folder; give a folder path")
    try:  # a real probe: permissions, read-only mounts and /proc alike (root included)
        with tempfile.TemporaryFile(dir=existing, prefix=".write-probe-"):
            pass
    except OSError as error:
        raise StoreError(
            f"{what} {folder}: {existing} is not writable ({error.strerror}); choose a "
            "writable folder"
        ) from None


@contextmanager
def held_lock(
    path: Path,
    *,
    notify: Callable[[str], None] | None = None,
    wait: float | None = None,
) -> Iterator[None]:
    """Hold the file lock ``path``; when another session holds it, say so (through
    ``notify``) and say again every ``LOCK_NOTICE`` seconds while waiting, up to ``wait``
    seconds (default ``LOCK_WAIT``). A lock file that cannot be created is an error at once,
    not a wait."""
    wait = LOCK_WAIT if wait is None else wait
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, file_mode()))
    except OSError as error:
        raise StoreError(
            f"{path}: cannot create the lock file ({error.strerror}); make the folder writable "
            "or choose another one"
        ) from None
    lock = FileLock(path)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        say = notify or (lambda line: None)
        say(f"waiting for {path}: another session is writing there (up to {wait:.0f} s)")
        started = time.monotonic()
        while True:
            waited = time.monotonic() - started
            if waited >= wait:
                raise StoreError(
                    f"{path}: still held by another session after {waited:.0f} s; if no other "
                    "bench session is running, delete the lock file and run again"
                ) from None
            try:
                lock.acquire(timeout=max(min(LOCK_NOTICE, wait - waited), 0.01))
                break
            except Timeout:
                say(f"still waiting for {path} ({time.monotonic() - started:.0f} s)")
    try:
        yield
    finally:
        lock.release()


def check_results_folder(folder: Path, what: str = "{report.results_dir}") -> ResultsStore:
    """Before any training: the results folder can be written and its store read."""
    check_writable_folder(folder, what)
    return read_results(folder)


def read_results(folder: Path) -> ResultsStore:
    """The stored results, or an empty store when there is none yet."""
    path = folder / RESULTS_FILE
    if not path.exists():
        return ResultsStore()
    if not path.is_file():
        raise StoreError(f"{path}: not a file; remove it or choose another results folder")
    stored = read_json(path, StoreError, "restore it from git or delete it to start afresh")
    return parse_results(stored, str(path))


def parse_results(stored: object, path: str) -> ResultsStore:
    """A results store from the parsed JSON of ``path`` (a file, or a file at a commit)."""
    if not isinstance(stored, dict) or not isinstance(stored.get("variants", {}), dict):
        raise StoreError(
            f"{path}: not a results store (expected an object with 'variants'); restore it "
            "from git or delete it to start afresh"
        )
    try:
        stored["variants"] = {
            name: upgrade_record(record) for name, record in stored.get("variants", {}).items()
        }
        store = from_json(ResultsStore, stored)
    except (TypeError, KeyError, AttributeError, ValueError) as error:
        raise StoreError(
            f"{path}: a record does not have the expected fields ({error}); restore it from "
            "git or delete it to start afresh"
        ) from None
    from sentiment_models.reporting.integrity import record_problems

    for name, record in store.variants.items():
        problems = record_problems(record)
        if problems:
            raise StoreError(
                f"{path}, variant {name!r}, {problems[0]}"
                + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else "")
                + "; the record disagrees with itself: restore the file from git or delete it "
                "to start afresh"
            )
    return store


def update_results(
    folder: Path,
    records: Mapping[str, VariantRecord],
    session: SessionInfo,
    render: Callable[[ResultsStore], Mapping[str, str | bytes | None]],
    *,
    notify: Callable[[str], None] | None = None,
) -> ResultsStore:
    """Merge ``records`` (by variant) into the store, then write it and its rendered tables.

    ``render`` maps the merged store to ``{file name: text}``; the files and the store are
    written together (see :func:`write_together`) while the lock is held.
    """
    check_writable_folder(folder, "results folder")
    folder.mkdir(parents=True, exist_ok=True)
    with held_lock(folder / LOCK_FILE, notify=notify):
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
        files = {folder / name: text for name, text in render(merged).items() if text is not None}
        document = json.dumps(to_json(merged), indent=1, sort_keys=True, allow_nan=False)
        files[folder / RESULTS_FILE] = document + "\n"
        write_together(files)
    return merged
