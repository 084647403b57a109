"""Seed-independent work done once: the memo of ``sentiment_models.memo``."""

from sentiment_models import memo


def test_same_texts_and_settings_are_computed_once_and_the_memo_is_bounded():
    memo.forget()
    calls = []

    def compute(value):
        calls.append(value)
        return [value]

    first = memo.remembered("kind", ("a",), ["x", "y"], lambda: compute(1))
    again = memo.remembered("kind", ("a",), ["x", "y"], lambda: compute(2))
    assert again is first and calls == [1]
    memo.remembered("kind", ("b",), ["x", "y"], lambda: compute(3))  # other settings
    memo.remembered("kind", ("a",), ["x", "z"], lambda: compute(4))  # other texts
    memo.remembered("kind", ("a",), ["x y"], lambda: compute(5))  # texts are kept apart
    assert calls == [1, 3, 4, 5]
    for index in range(memo.SIZE + 2):
        memo.remembered("fill", index, ["t"], lambda: compute(-1))
    assert len(memo._results) == memo.SIZE
    memo.forget()
