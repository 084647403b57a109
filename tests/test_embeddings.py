"""Word vectors: the embedded GloVe package, GloVe text files, Word2Vec, coverage and errors."""

import re

import numpy as np
import pytest

from sentiment_models.embeddings import (
    EmbeddingError,
    check_glove_file,
    embedded_glove,
    embedding_matrix,
    glove_file,
    train_word2vec,
)
from sentiment_models.variants import create_variant

pytestmark = pytest.mark.integration  # subprocesses, servers or real models


def write_glove(path, words, dim=4):
    rng = np.random.default_rng(0)
    lines = [" ".join([word, *(f"{v:.5f}" for v in rng.normal(size=dim))]) for word in words]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_embedded_glove_is_the_real_6b_50d():
    vectors = embedded_glove()
    assert len(vectors) == 400_000 and vectors.dim == 50
    np.testing.assert_allclose(
        vectors.vectors[vectors.index["the"]][:3], [0.418, 0.24968, -0.41242], atol=1e-5
    )


def test_glove_text_file_loads_with_gensim(tmp_path):
    path = write_glove(tmp_path / "glove.test.4d.txt", ["good", "bad", "flight"])
    vectors = glove_file(path)
    assert vectors.dim == 4 and set(vectors.index) == {"good", "bad", "flight"}


def test_glove_file_errors(tmp_path):
    with pytest.raises(EmbeddingError, match=r"lstm-glove.glove_path .*nope.txt: no such file"):
        check_glove_file(tmp_path / "nope.txt")
    (tmp_path / "bad.txt").write_text("this is not a vector file\n")
    with pytest.raises(EmbeddingError, match="line 1: not GloVe text format"):
        check_glove_file(tmp_path / "bad.txt")
    path = write_glove(tmp_path / "g.txt", ["a", "b"], dim=4)
    with pytest.raises(
        EmbeddingError, match=r"holds 4-dimensional vectors but lstm-glove.embedding_dim is 100"
    ):
        check_glove_file(path, expected_dim=100)
    (tmp_path / "ragged.txt").write_text("a 1 2 3\nb 1 2\n")
    with pytest.raises(EmbeddingError, match="line 2: 2 numbers where line 1 has 3"):
        check_glove_file(tmp_path / "ragged.txt")


def test_preflight_checks_glove_path_and_dimensions(tmp_path):
    cls = type(create_variant("lstm-glove"))
    path = write_glove(tmp_path / "g.txt", ["a", "b"], dim=4)
    cls.preflight(cls.resolve_params({"glove_path": str(path)}))
    with pytest.raises(EmbeddingError, match="embedding_dim is 8"):
        cls.preflight(cls.resolve_params({"glove_path": str(path), "embedding_dim": "8"}))
    with pytest.raises(EmbeddingError, match="embedded GloVe vectors are 50-dimensional"):
        cls.preflight(cls.resolve_params({"embedding_dim": "100"}))


def test_coverage_and_no_overlap(tmp_path):
    vectors = glove_file(write_glove(tmp_path / "g.txt", ["good", "flight"]))
    vocabulary = ["", "[UNK]", "good", "delay", "flight", "late"]
    tokens = [["good", "flight"], ["late", "delay", "good"]]
    matrix, coverage = embedding_matrix(vocabulary, vectors, tokens, seed=0)
    assert matrix.shape == (6, 4) and not matrix[0].any()
    np.testing.assert_allclose(matrix[2], vectors.vectors[vectors.index["good"]])
    assert coverage.found == 2 and coverage.vocabulary_share == 0.5
    assert coverage.token_share == pytest.approx(3 / 5)
    with pytest.raises(EmbeddingError, match="none of the 2 training words has a vector"):
        embedding_matrix(["", "[UNK]", "zzz", "yyy"], vectors, [["zzz"]], seed=0)


def test_lstm_glove_with_a_small_glove_file_trains(tmp_path, tiny_rows):
    texts = [text for text, _ in tiny_rows]
    labels = [label for _, label in tiny_rows]
    words = sorted({w for text in texts for w in re.findall("[a-z]+", text.lower())})[:300]
    path = write_glove(tmp_path / "glove.tiny.4d.txt", words)
    variant = create_variant(
        "lstm-glove",
        glove_path=str(path),
        epochs=1,
        lstm_units=4,
        max_tokens=300,
        sequence_length=12,
    )
    variant.fit(texts, labels)
    assert variant.describe().dimensions == "4"
    assert "glove.tiny.4d.txt" in variant.describe().embedding
    assert variant.predict_proba(["good flight"]).shape == (1, 3)


def test_word2vec_is_reproducible():
    sentences = [["good", "flight", "today"], ["bad", "flight", "delay"]] * 30
    first = train_word2vec(sentences, dim=8, seed=1, epochs=2, min_count=1, window=2)
    again = train_word2vec(sentences, dim=8, seed=1, epochs=2, min_count=1, window=2)
    np.testing.assert_array_equal(first.vectors, again.vectors)
