"""The phrases of the write-up's prediction tables (section 4), and ``--predict-file`` reading."""

from __future__ import annotations

from pathlib import Path

WRITEUP_PHRASES: tuple[str, ...] = (
    # 4.1 Simple model
    "Its a test, He'll Hello World!!! ;-) OFF You Go !! https://irfantoor.com via @irfantoor #contact 123",
    "than would Hello world, its a @test Tweet, follow me at http://irfantoor.com , AMAZING!",
    "Its another great test tweet, so SWEET!, follow me at https://irfantoor.com , AMAZING !",
    "enjoying the inspiring and amazing World !!! I AM AMAZED",
    "up all night ..baby had her injections ..poor little thing",
    "my iPad...apple.again @apple #stop",
    "I am sleepy",
    "I love the world",
    "I'm tired",
    "I enjoy being here",
    "Tsunami destroyed half of the Island",
    # 4.2 roBERTa (TweetEval), the phrases not already above
    "I like you, I love you",
    "Good night \N{SMILING FACE WITH SMILING EYES}",
    "Highway to hell",
    "She is buying a stairway to heaven",
    "What time is it?",
    "Covid cases are increasing fast!",
)


def read_phrases(
    path: str | Path, *, max_phrases: int | None = None, max_chars: int | None = None
) -> tuple[str, ...]:
    """One phrase per line (UTF-8), taken as written (a line that opens with ``#`` is a tweet
    that opens with a hashtag); only blank lines are skipped.
    More than ``max_phrases`` phrases, or a phrase longer than ``max_chars``, is refused
    (``predictions.md`` is committed, and every phrase is predicted by every variant)."""
    from sentiment_models.config import MAX_PHRASES, MAX_TEXT_CHARS
    from sentiment_models.data.files import read_lines, require_path
    from sentiment_models.errors import DataError

    most = max_phrases or MAX_PHRASES
    longest = max_chars or MAX_TEXT_CHARS
    file = require_path(path, field="report.predict_file")
    phrases: list[str] = []
    for number, line in enumerate(read_lines(file), 1):
        phrase = line.strip()
        if not phrase:
            continue
        if len(phrase) > longest:
            raise DataError(
                f"{{report.predict_file}} {file}, line {number}: {len(phrase):,} characters, "
                f"more than {{data.max_text_chars}} {longest:,}; shorten the phrase"
            )
        phrases.append(phrase)
        if len(phrases) > most:
            raise DataError(
                f"{{report.predict_file}} {file}: more than {most:,} phrases (line {number}); "
                "the phrase table is for a few hand-picked examples: keep the file short"
            )
    if not phrases:
        raise DataError(
            f"{{report.predict_file}} {file}: no phrases (expected one phrase per line)"
        )
    return tuple(phrases)
