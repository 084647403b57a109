"""The phrases of the seed's prediction tables (section 4), and ``--predict-file`` reading."""

from __future__ import annotations

from pathlib import Path

SEED_PHRASES: tuple[str, ...] = (
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


def read_phrases(path: str | Path) -> tuple[str, ...]:
    """One phrase per line (UTF-8); blank lines and lines starting with ``#`` are skipped."""
    from sentiment_models.data.base import DataError
    from sentiment_models.data.files import read_lines, require_path

    file = require_path(path, field="report.predict_file")
    phrases = tuple(
        line.strip()
        for line in read_lines(file)
        if line.strip() and not line.lstrip().startswith("#")
    )
    if not phrases:
        raise DataError(
            f"{{report.predict_file}} {file}: no phrases (expected one phrase per line)"
        )
    return phrases
