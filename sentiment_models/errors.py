"""Every error the harness raises on purpose, under one root, :class:`BenchError`: bad input or
settings, a store that cannot be used. Anything else that escapes is a bug, and the plugin lets
it show as one. Messages refer to configuration fields as ``{section.name}`` (e.g.
``{split.sample_size}``), so the pytest plugin can show each as its flag (``--sample-size``)
while library users see the field's name."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

FIELD_REFERENCE = re.compile(r"\{([a-z][a-z0-9_-]*\.[a-z][a-z0-9_]*)\}")


def render_fields(text: str, name: Callable[[str], str] = lambda path: path) -> str:
    """``text`` with each ``{section.field}`` reference replaced by ``name(field)``."""
    return FIELD_REFERENCE.sub(lambda match: name(match.group(1)), text)


class BenchError(Exception):
    """Bad input or settings: what was wrong, where (field, file, row) and what to do."""

    def render(self, name: Callable[[str], str] = lambda path: path) -> str:
        """The message with each ``{field}`` reference replaced by ``name(field)``."""
        return render_fields(super().__str__(), name)

    def __str__(self) -> str:
        return self.render()


class FieldError(BenchError):
    """A configuration value that cannot be used: which field, the value, and the problem."""

    def __init__(self, field_path: str, value: object, problem: str) -> None:
        self.field_path, self.value, self.problem = field_path, value, problem
        text = ",".join(map(str, value)) if isinstance(value, tuple | list) else str(value)
        shown = (
            repr(text) if isinstance(value, str) and (not text or text != text.strip()) else text
        )
        super().__init__(f"{{{field_path}}} {shown}: {problem}")


class ParameterError(BenchError):
    """An unknown, badly typed or out-of-range variant hyper-parameter."""


class DataError(BenchError):
    """Bad input data: says what was wrong, where (file, row, option) and what was expected."""


class EmbeddingError(BenchError):
    """Word vectors that cannot be used: says which file or option, and why."""


class DeviceError(BenchError):
    """A device was asked for that this process cannot use."""


class StoreError(BenchError):
    """A results folder, results store or baseline that cannot be read or written: which
    file, what is wrong, what to do."""


class ModelError(BenchError):
    """A saved model folder that cannot be loaded: which file, and why."""


class MergeError(BenchError):
    """Shards that cannot be merged (missing, empty, or made on other data or code)."""


class TrackingError(BenchError):
    """The tracking store cannot be used; the message names the (masked) URI."""


def read_json(path: Path, error: type[BenchError], fix: str) -> Any:
    """The JSON document at ``path``, or ``error`` naming the file, what is wrong with it
    (not JSON, not UTF-8, unreadable) and ``fix``, what to do."""
    import json

    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as problem:
        raise error(f"{path}: not valid JSON ({problem}); {fix}") from None
    except OSError as problem:
        raise error(f"{path}: cannot be read ({problem.strerror}); {fix}") from None
