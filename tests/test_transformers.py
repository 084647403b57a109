"""The transformer and lexicon variants on tiny real checkpoints and real tweets."""

from __future__ import annotations

import numpy as np
import pytest

from sentiment_models.errors import ParameterError
from sentiment_models.variants import create_variant, variant_class
from sentiment_models.variants.roberta_tweeteval import is_local, tweet_placeholders
from sentiment_models.variants.transformer_base import map_labels
from tests.tiny_models import build_tiny_roberta

pytestmark = pytest.mark.integration  # subprocesses, servers or real models

TWEETS = [
    "I love this airline, best flight ever!",
    "@united lost my bag again, worst service",
    "flight 123 departs at 10am",
    "",
    "not good. not good at all",
]


def fit_roberta(folder, tiny_rows, **params):
    texts = [text for text, _ in tiny_rows]
    labels = [label for _, label in tiny_rows]
    return create_variant("roberta-tweeteval", model=str(folder), **params).fit(texts, labels)


def test_labels_are_mapped_by_name_whatever_the_model_order(tmp_path, tiny_rows):
    folder = build_tiny_roberta(tmp_path / "shuffled", labels=("positive", "negative", "neutral"))
    variant = fit_roberta(folder, tiny_rows)
    assert list(variant.classes_) == ["negative", "neutral", "positive"]
    assert variant.columns == [1, 2, 0]
    logits = variant.logits(variant.encode(TWEETS))
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(variant.predict_proba(TWEETS), expected[:, [1, 2, 0]], rtol=1e-5)


def test_unmappable_model_labels_are_refused_before_scoring(tmp_path, tiny_rows):
    folder = build_tiny_roberta(tmp_path / "generic", labels=("LABEL_0", "LABEL_1", "LABEL_2"))
    with pytest.raises(ParameterError, match=r"LABEL_0.*do not cover.*negative"):
        fit_roberta(folder, tiny_rows)
    with pytest.raises(ParameterError, match="do not cover the dataset's classes \\['joy'\\]"):
        map_labels({0: "negative", 1: "positive"}, ["joy", "negative"], "x")


def test_fast_inference_matches_the_transformers_pipeline(tiny_roberta, tiny_rows):
    """Sorting by length and padding per batch must not change a single score."""
    from transformers import pipeline

    variant = fit_roberta(tiny_roberta, tiny_rows, tweet_placeholders=False)
    texts = [text for text, _ in tiny_rows[:37]] + TWEETS
    classify = pipeline("text-classification", model=str(tiny_roberta), top_k=None)
    expected = np.array(
        [
            [next(s["score"] for s in row if s["label"] == c) for c in variant.classes_]
            for row in classify(texts, truncation=True)
        ]
    )
    ours = variant.predict_proba(texts)
    np.testing.assert_allclose(ours, expected, atol=1e-5)
    variant.inference_batch_size = 8  # many batches, each padded to its own length
    np.testing.assert_allclose(variant.predict_proba(texts), expected, atol=1e-5)


def test_roberta_round_trip_is_safetensors_only(tiny_roberta, tiny_rows, tmp_path):
    variant = fit_roberta(tiny_roberta, tiny_rows)
    variant.save(tmp_path / "saved")
    files = {path.name for path in (tmp_path / "saved").rglob("*")}
    assert "model.safetensors" in files and not any(
        name.endswith((".bin", ".pkl")) for name in files
    )
    restored = variant_class("roberta-tweeteval").load(tmp_path / "saved")
    np.testing.assert_allclose(restored.predict_proba(TWEETS), variant.predict_proba(TWEETS))
    description = variant.describe()
    assert description.trained is False and description.model_type == "Transformer"


def test_missing_or_unreachable_checkpoints(tmp_path, monkeypatch):
    cls = variant_class("roberta-tweeteval")
    with pytest.raises(ParameterError, match="no such folder"):
        cls.preflight({"model": str(tmp_path / "nowhere")})
    (tmp_path / "empty").mkdir()
    with pytest.raises(ParameterError, match=r"has no config\.json"):
        cls.preflight({"model": str(tmp_path / "empty")})
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "cache"))
    reason = cls.unavailable(cls.resolve_params({}))
    assert "cardiffnlp/twitter-roberta-base-sentiment-latest" in reason
    assert "HF_HUB_OFFLINE" in reason and "{roberta-tweeteval.model} PATH" in reason
    assert cls.unavailable({"model": str(tmp_path / "empty")}) is None  # local: preflight judges


def test_model_references_and_tweet_placeholders():
    assert not is_local("cardiffnlp/twitter-roberta-base-sentiment-latest")
    assert is_local("./models/roberta") and is_local("/abs/path") and is_local("a/b/c")
    assert tweet_placeholders("@bob see https://t.co/x now, mail a@b.c") == (
        "@user see http now, mail a@b.c"
    )


def test_minilm_fine_tuning_keeps_its_best_check(tiny_rows):
    texts = [text for text, _ in tiny_rows]
    labels = [label for _, label in tiny_rows]
    lines = []
    variant = create_variant(
        "minilm-finetuned",
        progress=lines.append,
        max_length=24,
        batch_size=16,
        validation_checks=2,
        validation_samples=30,
        frozen_layers=5,
    ).fit(texts[40:], labels[40:], validation=(texts[:40], labels[:40]))
    assert len(variant.history["val_accuracy"]) == 2 == len(variant.history["loss"])
    assert variant.validation_accuracy == max(variant.history["val_accuracy"])
    base = variant.model.base_model
    assert not any(p.requires_grad for p in base.embeddings.parameters())
    assert not any(p.requires_grad for p in base.encoder.layer[4].parameters())
    assert all(p.requires_grad for p in base.encoder.layer[5].parameters())
    assert any("val_accuracy" in line for line in lines) and "Best step" in variant.describe().extra
    assert variant.model.config.id2label == {0: "negative", 1: "neutral", 2: "positive"}


def test_minilm_threads_resized_during_fine_tuning_change_no_weight(tiny_rows):
    """An xdist worker widens its thread pools while MiniLM fine-tunes (``runtime.resize_point``,
    cores a finished worker freed): the weights are the same, bit for bit, as with one thread
    throughout."""
    import torch

    from sentiment_models import memo, runtime

    texts = [text for text, _ in tiny_rows]
    labels = [label for _, label in tiny_rows]
    params = {"max_length": 32, "batch_size": 8, "validation_checks": 1, "frozen_layers": 4}
    before = runtime.current()
    resized = []

    def resize() -> None:  # the host's resizer: 1 thread, then 2 from the second step on
        resized.append(runtime.configure(2 if resized else 1, "cpu").threads)

    weights = {}
    try:
        for name, resizer in (("one thread", None), ("resized", resize)):
            memo.forget()
            runtime.configure(1, "cpu")
            runtime.on_resize(resizer, every=0.0)
            model = create_variant("minilm-finetuned", seed=5, **params).fit(texts, labels).model
            weights[name] = {key: value.clone() for key, value in model.state_dict().items()}
    finally:
        runtime.on_resize(None)
        runtime.configure(before.threads, before.device)
        memo.forget()
    assert len(resized) > 2 and resized[-1] == 2  # the fine-tuning went on with two threads
    assert weights["one thread"].keys() == weights["resized"].keys()
    changed = [
        key
        for key, value in weights["one thread"].items()
        if not torch.equal(value, weights["resized"][key])
    ]
    assert not changed, changed


def test_int8_variant_quantises_the_fine_tuned_model_of_the_same_seed(tmp_path, tiny_rows):
    """minilm-finetuned-int8 reuses the model minilm-finetuned fine-tuned in this process (same
    texts, labels, parameters and seed), quantises a copy, saves the float32 weights and
    quantises them again on load, to the same predictions."""
    import time

    from sentiment_models import memo
    from sentiment_models.variants import load_variant
    from sentiment_models.variants.base import DEPLOYMENT

    texts = [text for text, _ in tiny_rows]
    labels = [label for _, label in tiny_rows]
    params = {"max_length": 24, "batch_size": 16, "validation_checks": 1, "frozen_layers": 5}
    memo.forget()
    source = create_variant("minilm-finetuned", seed=3, **params).fit(texts, labels)
    started = time.perf_counter()
    fast = create_variant("minilm-finetuned-int8", seed=3, **params).fit(texts, labels)
    assert time.perf_counter() - started < 5  # no second fine-tuning
    assert fast.full_precision is source.model and fast.model is not source.model
    linear = fast.model.classifier
    assert "quantized" in type(linear).__module__  # the head's linear layer is int8 now
    assert type(source.model.classifier).__module__.startswith("torch.nn.modules")
    probabilities = fast.predict_proba(TWEETS)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    assert np.abs(probabilities - source.predict_proba(TWEETS)).max() < 0.1
    fast.save(tmp_path / "int8")
    again = load_variant(tmp_path / "int8")
    np.testing.assert_allclose(again.predict_proba(TWEETS), probabilities, atol=1e-6)
    description = fast.describe()
    assert description.extra[DEPLOYMENT] == "minilm-finetuned"
    assert "int8" in description.model and "int8 dynamic quantisation" in description.optimisation
    other_seed = create_variant("minilm-finetuned-int8", seed=4, **params)
    other_seed.fit(texts, labels)  # nothing remembered for seed 4: it fine-tunes itself
    assert other_seed.full_precision is not source.model
    memo.forget()


def test_minilm_bad_base_model_is_refused(tmp_path):
    cls = variant_class("minilm-finetuned")
    with pytest.raises(ParameterError, match=r"the folder has no config\.json"):
        cls.preflight(cls.resolve_params({"base_model": str(tmp_path)}))
    with pytest.raises(ParameterError, match="batch_size=0: expected a number >= 1"):
        cls.preflight(cls.resolve_params({"batch_size": 0}))


def test_vader_follows_the_compound_thresholds(tiny_rows):
    texts = [text for text, _ in tiny_rows]
    labels = [label for _, label in tiny_rows]
    vader = create_variant("vader").fit(texts, labels)
    compound = vader.compound(texts)
    expected = np.where(
        compound >= 0.05, "positive", np.where(compound <= -0.05, "negative", "neutral")
    )
    assert list(vader.predict(texts)) == list(expected)
    assert {"negative", "neutral", "positive"} <= set(expected)  # all three regions were hit


def test_vader_two_classes_and_unknown_labels():
    two = create_variant("vader").fit(["a", "b"], ["negative", "positive"])
    assert list(two.predict(["I love it", "I hate it"])) == ["positive", "negative"]
    with pytest.raises(ParameterError, match="cannot be mapped by name"):
        create_variant("vader").fit(["a", "b"], ["joy", "anger"])


def test_bench_runs_the_pretrained_and_lexicon_rows(pytester, bench_dir, tiny_roberta):
    result = pytester.runpytest_subprocess(
        *bench_dir, "-k", "roberta or vader", "--hf-model", str(tiny_roberta), "--device", "cpu"
    )
    result.assert_outcomes(passed=4)
    table = (pytester.path / "results" / "comparison.md").read_text()
    trained_row = next(line for line in table.splitlines() if line.startswith("| Trained"))
    assert trained_row.count(" no ") == 2, trained_row
    device_row = next(line for line in table.splitlines() if line.startswith("| Device"))
    assert [cell.strip() for cell in device_row.split("|")[2:-1]] == ["cpu", "cpu"], device_row
    predictions = (pytester.path / "results" / "predictions.md").read_text()
    assert "roberta-tweeteval" in predictions and "vader" in predictions


def test_unreachable_checkpoint_is_skipped_with_its_reason(pytester, bench_dir, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(pytester.path / "hf-cache"))
    result = pytester.runpytest_subprocess(*bench_dir, "-k", "roberta", "-rs")
    result.assert_outcomes(skipped=2)
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "roberta-tweeteval: skipped: *HF_HUB_OFFLINE is set*--hf-model PATH",
            "SKIPPED*roberta-tweeteval: cardiffnlp/twitter-roberta-base-sentiment-latest is not "
            "a local folder*",
        ]
    )
    assert "MLflow" not in result.stdout.str()  # nothing ran: no empty session run
    assert "training on" not in result.stdout.str()


def test_bad_hf_model_path_stops_before_training(pytester, bench_dir):
    result = pytester.runpytest_inprocess(*bench_dir, "--hf-model", "./no-such-model")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["ERROR: --hf-model './no-such-model': no such folder*"])
    assert not (pytester.path / "results").exists()


def test_the_minilm_cost_script_prints_a_row_per_configuration():
    """``bench/measure_minilm_cost.py``, as its docstring runs it, at the smallest size: a
    real fine-tuning per configuration, one table row each, the first its own reference."""
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parent.parent / "bench" / "measure_minilm_cost.py"
    arguments = ["--texts", "16", "--frozen", "5", "4", "--threads", "1", "--repeat", "1"]
    done = subprocess.run(
        [sys.executable, str(script), *arguments],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [
        line for line in done.stdout.splitlines() if line.startswith("| ") and "---" not in line
    ]
    assert rows[0].startswith("| frozen layers | threads |")
    assert [row.split(" | ")[:2] for row in rows[1:]] == [["| 5", "1"], ["| 4", "1"]]
    assert rows[1].endswith("| 1.00 |")
    assert all(float(row.split(" | ")[2]) > 0 for row in rows[1:])
