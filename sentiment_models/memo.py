"""Work that does not depend on a variant's seed (pre-processing the same texts with the same
settings) is done once per process and reused by the other seeds: a small LRU keyed by the
settings and a digest of the texts."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Any

SIZE = 8
_results: OrderedDict[tuple[str, Hashable, str], Any] = OrderedDict()


def digest_of(texts: Sequence[str]) -> str:
    digest = hashlib.sha256()
    for text in texts:
        digest.update(str(text).encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()


def remembered(
    kind: str, settings: Hashable, texts: Sequence[str], compute: Callable[[], Any]
) -> Any:
    """``compute()``, or its result from an earlier call with the same kind, settings and
    texts. Results are shared: callers must not change them."""
    key = (kind, settings, digest_of(texts))
    if key in _results:
        _results.move_to_end(key)
        return _results[key]
    value = compute()
    _results[key] = value
    while len(_results) > SIZE:
        _results.popitem(last=False)
    return value


def forget() -> None:
    _results.clear()
