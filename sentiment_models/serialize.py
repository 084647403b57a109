"""The one serializer between typed results (dataclasses) and JSON: :func:`to_json` /
:func:`from_json`. ``to_json`` is also the project's one conversion of numpy values to JSON
types. Field metadata steers it: ``OMIT_NONE`` leaves a field out while it is None,
``NOT_STORED`` keeps a field in memory only, and ``prefixed(p)`` flattens a mapping into its
parent as ``p + key`` entries (``precision_negative``), as ``results.json`` has always
stored them. Imports nothing of this package, so every module can use it."""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")
OMIT_NONE = {"omit_none": True}
NOT_STORED = {"stored": False}


def prefixed(prefix: str) -> dict[str, str]:
    return {"prefix": prefix}


def to_json(value: Any) -> Any:
    """Plain JSON types: dataclasses become dicts (per their field metadata), numpy scalars
    and arrays become Python numbers and lists, NaN becomes None, paths become strings."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for item in dataclasses.fields(value):
            meta = item.metadata
            content = getattr(value, item.name)
            if meta.get("stored", True) is False:
                continue
            if content is None and meta.get("omit_none"):
                continue
            if "prefix" in meta:
                out.update({f"{meta['prefix']}{key}": to_json(v) for key, v in content.items()})
            else:
                out[item.name] = to_json(content)
        return out
    if isinstance(value, Mapping):
        return {str(key): to_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    if isinstance(value, np.ndarray):
        return to_json(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value


def from_json(cls: type[T], data: Any) -> T:
    """The inverse of :func:`to_json` for dataclass ``cls``; unknown keys are ignored, so
    records written by older or newer versions still load."""
    return _build(cls, data)


def _build(hint: Any, data: Any) -> Any:
    if data is None:
        return None
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Union or origin is types.UnionType:
        inner = [arg for arg in args if arg is not type(None)]
        return _build(inner[0], data) if len(inner) == 1 else data
    if dataclasses.is_dataclass(hint):
        return _build_dataclass(hint, data)
    if origin is tuple:
        item = args[0] if args else Any
        return tuple(_build(item, value) for value in data)
    if origin in (Mapping, dict) or hint in (Mapping, dict):
        item = args[1] if len(args) == 2 else Any
        return {key: _build(item, value) for key, value in data.items()}
    if hint is float and isinstance(data, int):
        return float(data)
    return data


def _build_dataclass(cls: type, data: Mapping[str, Any]) -> Any:
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    consumed: set[str] = set()
    prefixed_fields = []
    for item in dataclasses.fields(cls):
        if item.metadata.get("stored", True) is False:
            continue
        if "prefix" in item.metadata:
            prefixed_fields.append(item)
        elif item.name in data:
            kwargs[item.name] = _build(hints[item.name], data[item.name])
            consumed.add(item.name)
    for item in prefixed_fields:
        prefix = item.metadata["prefix"]
        value_type = typing.get_args(hints[item.name])[1]
        kwargs[item.name] = {
            key.removeprefix(prefix): _build(value_type, value)
            for key, value in data.items()
            if key.startswith(prefix) and key not in consumed
        }
    return cls(**kwargs)
