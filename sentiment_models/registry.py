"""One registry class for every kind of plug-in (variants, data sources, per-model checks):
built-in entries as lazy ``"module:attribute"`` strings (imported only when used), entries
from an installed package's entry-point group, and entries registered at run time (the
plugin's hooks, or code). A name must be safe for folders, files and run names, and a class
that names itself (``name``) must carry the name it is registered under."""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib import import_module, metadata
from typing import Any, Generic, TypeVar

from sentiment_models.errors import ParameterError

T = TypeVar("T")
SAFE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,40}$")


class Registry(Generic[T]):
    """Named entries of one ``kind``; ``base``, when given, is the class every entry must
    subclass."""

    def __init__(
        self,
        kind: str,
        builtin: Mapping[str, str],
        *,
        base: type | None = None,
        entry_points: str | None = None,
    ) -> None:
        self.kind, self.base, self.group = kind, base, entry_points
        self._builtin = dict(builtin)
        self._added: dict[str, str | T] = {}
        self._entry_points_read = entry_points is None
        for name in self._builtin:
            self.check_name(name)

    def check_name(self, name: str) -> str:
        """Names become folder, file and run names: lower-case letters, digits, '-' and '_'."""
        if not SAFE_NAME.match(name):
            raise ParameterError(
                f"{self.kind} name {name!r}: use 1-41 lower-case letters, digits, '-' and '_' "
                "(no paths)"
            )
        return name

    def register(self, name: str, target: str | T) -> None:
        """Add an entry from outside the package: an object, or ``"module:attribute"``."""
        self.check_name(name)
        if name in self._builtin:
            raise ParameterError(f"{self.kind} {name!r} is built in; choose another name")
        if isinstance(target, str):
            if ":" not in target:
                raise ParameterError(
                    f"{self.kind} {name!r}: {target!r} is not of the form 'module:attribute'"
                )
        else:
            self._check(name, target, repr(target))
        self._added[name] = target

    def names(self) -> list[str]:
        """The built-in entries in their order, then the added ones in the order added."""
        self._read_entry_points()
        return [*self._builtin, *self._added]

    def __contains__(self, name: object) -> bool:
        return name in self.names()

    def get(self, name: str) -> T:
        """The entry registered as ``name``, imported if it is given as a string."""
        self._read_entry_points()
        target = self._builtin.get(name) or self._added.get(name)
        if target is None:
            raise ParameterError(f"unknown {self.kind} {name!r}; registered: {self.names()}")
        if not isinstance(target, str):
            return target
        module_name, _, attribute = target.partition(":")
        found = getattr(import_module(module_name), attribute)
        self._check(name, found, target)
        return found

    def _check(self, name: str, found: Any, shown: str) -> None:
        if self.base is not None and not (isinstance(found, type) and issubclass(found, self.base)):
            raise ParameterError(
                f"{self.kind} {name!r}: {shown} is not a {self.base.__name__} subclass"
            )
        own = getattr(found, "name", name) if isinstance(found, type) else name
        if own != name:
            raise ParameterError(
                f"{self.kind} {name!r}: {shown} calls itself {own!r}; register it under that "
                "name, or set its name to the one it is registered under"
            )

    def _read_entry_points(self) -> None:
        if self._entry_points_read:
            return
        self._entry_points_read = True
        for entry in metadata.entry_points(group=str(self.group)):
            if entry.name not in self._added:
                self.register(entry.name, entry.value)
