"""A planted defect for the behaviour suite's demonstration and test: loaded with
``pytest bench -p tests.negation_defect``, it makes ``linear`` drop the negation words
("not", "no", "never", "n't" ...) from every text it trains on or predicts, as a broken
pre-processing step would. Accuracy on tweets barely moves; the negation tests do."""

from __future__ import annotations

import re

from sentiment_models.variants.linear import LinearVariant

NEGATION = re.compile(r"\b(?:not|no|never|nothing|none|nor)\b|n't\b|\b(?:cannot)\b", re.IGNORECASE)


def drop_negations(texts):
    return [NEGATION.sub(" ", str(text)) for text in texts]


def pytest_configure(config):
    fit, predict_proba = LinearVariant.fit, LinearVariant.predict_proba

    def broken_fit(self, texts, labels, *args, **kwargs):
        return fit(self, drop_negations(texts), labels, *args, **kwargs)

    def broken_predict_proba(self, texts):
        return predict_proba(self, drop_negations(texts))

    LinearVariant.fit = broken_fit
    LinearVariant.predict_proba = broken_predict_proba
