"""Tweet pre-processing: the write-up's cleaning pipeline as one configurable component.

The pipeline turns user mentions into ``@USER`` and URLs into ``@URL``, keeps hashtags as
words, removes HTML entities and numbers, folds case, and can drop stop words and lemmatise
or stem. It is a scikit-learn transformer, so it sits inside a Pipeline and is saved with it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cached_property

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from sentiment_models.errors import ParameterError

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_MENTION = re.compile(r"(?<![\w@])@(?!URL\b)\w+")
_HASHTAG = re.compile(r"#(\w+)")
_HTML_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-f]+|[a-z]+);", re.IGNORECASE)
_NUMBER = re.compile(r"(?<![\w@])[+-]?\d+(?:[.,:]\d+)*(?:st|nd|rd|th|s|pm|am|k)?\b", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
_TOKEN = re.compile(r"@USER|@URL|[\w']+|[^\w\s]", re.UNICODE)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_WORD_OR_PUNCTUATION = re.compile(r"@USER|@URL|[\w']+|[^\w\s]+", re.UNICODE)

NORMALIZERS = (None, "lemma", "stem")


class TweetPreprocessor(TransformerMixin, BaseEstimator):
    """Clean raw tweets; every step is a constructor parameter (see ``describe``)."""

    def __init__(
        self,
        mentions: bool = True,
        urls: bool = True,
        hashtags: bool = True,
        html_entities: bool = True,
        numbers: bool = True,
        lowercase: bool = True,
        stop_words: bool = False,
        normalizer: str | None = None,
    ) -> None:
        self.mentions = mentions
        self.urls = urls
        self.hashtags = hashtags
        self.html_entities = html_entities
        self.numbers = numbers
        self.lowercase = lowercase
        self.stop_words = stop_words
        self.normalizer = normalizer

    def fit(self, texts: Iterable[str] | None = None, y: object = None) -> TweetPreprocessor:
        """Nothing to learn; checks the configuration."""
        if self.normalizer not in NORMALIZERS:
            raise ParameterError(
                f"normalizer must be one of {NORMALIZERS}, not {self.normalizer!r}"
            )
        return self

    def transform(self, texts: Iterable[str]) -> np.ndarray:
        """Clean each text; returns an object array of strings."""
        return np.asarray([self.clean(text) for text in texts], dtype=object)

    def clean(self, text: str) -> str:
        """Clean one text. Non-strings are refused with a clear error."""
        if not isinstance(text, str):
            raise TypeError(f"expected a text (str), got {type(text).__name__}: {text!r:.60}")
        text = _CONTROL.sub(" ", text)
        if self.html_entities:
            text = _HTML_ENTITY.sub(" ", text)
        if self.urls:
            text = _URL.sub(" @URL ", text)
        if self.mentions:
            text = _MENTION.sub(" @USER ", text)
        if self.hashtags:
            text = _HASHTAG.sub(r"\1", text)
        if self.numbers:
            text = _NUMBER.sub(" ", text)
        if self.lowercase:
            text = _case_fold_keeping_placeholders(text)
        if self.stop_words or self.normalizer:
            text = " ".join(self._normalise_tokens(_TOKEN.findall(text)))
        return _SPACES.sub(" ", text).strip()

    def _normalise_tokens(self, tokens: list[str]) -> Iterable[str]:
        for token in tokens:
            if token in ("@USER", "@URL"):
                yield token
                continue
            if self.stop_words and token.lower() in _STOP_WORDS:
                continue
            yield self._normalise(token)

    def _normalise(self, token: str) -> str:
        if self.normalizer == "stem":
            return self._stemmer.stem(token)
        if self.normalizer == "lemma":
            return self._lemmatizer(token)
        return token

    @cached_property
    def _stemmer(self):
        from nltk.stem.snowball import SnowballStemmer

        return SnowballStemmer("english")

    @cached_property
    def _lemmatizer(self):
        import simplemma

        return lambda token: simplemma.lemmatize(token, lang="en")

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state.pop("_stemmer", None)
        state.pop("_lemmatizer", None)
        return state

    def describe(self) -> str:
        """One line for the comparison table, e.g. ``@USER, @URL, #tag→tag, -html, -numbers, lower``."""
        steps = [
            label
            for enabled, label in (
                (self.mentions, "@user→@USER"),
                (self.urls, "url→@URL"),
                (self.hashtags, "#tag→tag"),
                (self.html_entities, "-html"),
                (self.numbers, "-numbers"),
                (self.lowercase, "lower"),
                (self.stop_words, "-stopwords"),
            )
            if enabled
        ]
        if self.normalizer:
            steps.append({"lemma": "lemmatise", "stem": "stem"}[self.normalizer])
        return ", ".join(steps) if steps else "none"


def separate_punctuation(text: str) -> str:
    """Words, placeholders and runs of punctuation as space-separated tokens, so that a
    whitespace tokenizer keeps ``!!!``, ``?`` and ``:)``: ``"great!!! :)"`` -> ``"great !!! :)"``."""
    return " ".join(_WORD_OR_PUNCTUATION.findall(text))


_STOP_WORDS = frozenset(ENGLISH_STOP_WORDS) - {"not", "no", "nor", "never", "nothing", "none"}


def _case_fold_keeping_placeholders(text: str) -> str:
    folded = text.casefold()
    return folded.replace("@user", "@USER").replace("@url", "@URL")
