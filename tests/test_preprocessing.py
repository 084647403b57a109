import pickle

import pytest

from sentiment_models.errors import ParameterError
from sentiment_models.preprocessing import TweetPreprocessor


@pytest.fixture
def clean():
    return TweetPreprocessor().fit().clean


def test_mentions_and_urls_become_placeholders(clean):
    assert clean("@jack see https://t.co/x and www.example.com") == "@USER see @URL and @URL"


def test_hashtags_kept_as_words_and_case_folded(clean):
    assert clean("Loving the #NewIPhone") == "loving the newiphone"


def test_numbers_and_html_entities_removed(clean):
    assert clean("Flight 123 at 4pm &amp; 2nd gate &lt;3") == "flight at gate"


def test_url_containing_at_sign_is_one_url(clean):
    assert clean("go http://a.com/@foo now") == "go @URL now"


def test_words_with_digits_are_kept(clean):
    assert clean("my iphone6 broke") == "my iphone6 broke"


def test_control_characters_and_spaces_collapsed(clean):
    assert clean("a\x00b\t\n  c") == "a b c"


def test_stop_words_keep_negations():
    cleaner = TweetPreprocessor(stop_words=True).fit()
    assert cleaner.clean("this is not the best") == "not best"


def test_stemming_and_lemmatisation():
    assert TweetPreprocessor(normalizer="stem").fit().clean("running flights") == "run flight"
    assert (
        TweetPreprocessor(normalizer="lemma").fit().clean("the geese were flying")
        == "the goose be fly"
    )


def test_unknown_normalizer_is_refused():
    with pytest.raises(ParameterError, match="normalizer must be one of"):
        TweetPreprocessor(normalizer="porter").fit()


def test_non_string_is_refused_with_its_type(clean):
    with pytest.raises(TypeError, match="got NoneType"):
        clean(None)


def test_describe_names_every_enabled_step():
    text = TweetPreprocessor(stop_words=True, normalizer="stem").describe()
    assert text == "@user→@USER, url→@URL, #tag→tag, -html, -numbers, lower, -stopwords, stem"
    assert (
        TweetPreprocessor(
            mentions=False,
            urls=False,
            hashtags=False,
            html_entities=False,
            numbers=False,
            lowercase=False,
        ).describe()
        == "none"
    )


def test_pickles_without_its_cached_helpers():
    cleaner = TweetPreprocessor(normalizer="stem").fit()
    cleaner.clean("running")
    restored = pickle.loads(pickle.dumps(cleaner))
    assert restored.clean("running") == "run"
