"""Checked file access for the sources: clear errors for missing paths and bad encodings."""

from __future__ import annotations

from pathlib import Path


def require_path(path: str | Path | None, *, field: str, kind: str = "file") -> Path:
    """Return ``path`` as a Path, or raise a FieldError naming the field and what was expected."""
    from sentiment_models.errors import FieldError

    if path is None or str(path) == "":
        raise FieldError(field, "", f"required here: give the {kind} to read")
    resolved = Path(path).expanduser()
    if not resolved.exists():
        raise FieldError(field, str(resolved), f"no such {kind}")
    if kind == "file" and not resolved.is_file():
        found = "a directory" if resolved.is_dir() else "a special file (not a regular file)"
        raise FieldError(field, str(resolved), f"expected a regular file, found {found}")
    if kind == "directory" and not resolved.is_dir():
        raise FieldError(field, str(resolved), "expected a directory, found a file")
    return resolved


def read_lines(path: Path, encoding: str = "utf-8") -> list[str]:
    """Read a text file as lines without their line ends, naming the line on a decode error."""
    from sentiment_models.errors import DataError

    raw = path.read_bytes()
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise DataError(
            f"{path}, line {line}: not valid {encoding} (byte {error.start}: {error.reason})"
        ) from None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.rstrip("\r") for line in lines]
