"""The library's error base: messages refer to configuration fields as ``{section.name}``
(e.g. ``{split.sample_size}``), so the pytest plugin can show each as its flag
(``--sample-size``) while library users see the field's name."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

FIELD_REFERENCE = re.compile(r"\{([a-z][a-z0-9_-]*\.[a-z][a-z0-9_]*)\}")


def render_fields(text: str, name: Callable[[str], str] = lambda path: path) -> str:
    """``text`` with each ``{section.field}`` reference replaced by ``name(field)``."""
    return FIELD_REFERENCE.sub(lambda match: name(match.group(1)), text)


class BenchError(ValueError):
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
