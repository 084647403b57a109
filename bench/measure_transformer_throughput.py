"""Evaluate throughput of the harness's transformer inference against
``transformers.pipeline("text-classification")`` called the default way, same model, same texts.

    python bench/measure_transformer_throughput.py [--texts 1000] [--repeat 3] [--model-dir DIR]
        [--start-threads N]

The model is the MiniLM classifier that ``minilm-finetuned`` trains (the embedded encoder with
a 3-class head; throughput does not depend on the head's weights), or a saved transformer
variant given with ``--model-dir``. The texts are the first N tweets of the default test split.
The paths run in this one process, alternating, ``--repeat`` times: the pipeline, the
harness (float32, as ``minilm-finetuned`` evaluates), the harness at max_length 512, and the
harness on the int8-quantised copy (as ``minilm-finetuned-int8`` evaluates); the medians,
their ratios to the pipeline and the labels' agreement with it are printed.

``--start-threads N`` sizes the process to N threads before torch is imported, then widens it
to every usable core before the rounds, as an xdist worker widens when another worker is done
(``pytest_plugin/cores.py``): compare with a run without it.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

from sentiment_models import runtime
from sentiment_models.config import DataConfig, SplitConfig
from sentiment_models.data import load_splits
from sentiment_models.variants import create_variant, load_variant
from sentiment_models.variants.minilm_int8 import quantized
from sentiment_models.variants.transformer_base import TransformerVariant, import_torch


def harness_model(model_dir: Path | None) -> TransformerVariant:
    if model_dir is not None:
        variant = load_variant(model_dir)
        assert isinstance(variant, TransformerVariant), f"{model_dir} is not a transformer variant"
        return variant
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from sentiment_models.variants.minilm_finetuned import embedded_encoder

    variant = create_variant("minilm-finetuned")
    folder = embedded_encoder()
    variant.tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    labels = ["negative", "neutral", "positive"]
    variant.model = AutoModelForSequenceClassification.from_pretrained(
        folder, local_files_only=True, num_labels=3, id2label=dict(enumerate(labels))
    ).eval()
    variant.classes_ = np.asarray(labels, dtype=object)
    variant.columns = [0, 1, 2]
    return variant


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--texts", type=int, default=1000, help="test tweets to classify")
    parser.add_argument("--repeat", type=int, default=3, help="alternating rounds per path")
    parser.add_argument("--model-dir", type=Path, help="a saved transformer variant folder")
    parser.add_argument(
        "--start-threads",
        type=int,
        help="threads before torch is imported; widened to every usable core before the rounds",
    )
    args = parser.parse_args()

    if args.start_threads:
        runtime.configure(args.start_threads, "cpu")
    torch = import_torch()
    from transformers import pipeline

    texts = list(
        load_splits(DataConfig(eval_datasets=("none",)), SplitConfig(seed=0)).test.texts[
            : args.texts
        ]
    )
    variant = harness_model(args.model_dir)
    if args.start_threads:
        variant.predict(texts[:64])  # torch's first use, on the starting threads
        runtime.configure(runtime.usable_cores(), "cpu")
    classify = pipeline("text-classification", model=variant.model, tokenizer=variant.tokenizer)
    print(
        f"{len(texts)} tweets, torch threads {torch.get_num_threads()}, model "
        f"{variant.model.config.model_type} {variant.model.num_parameters():,} parameters"
    )

    timings: dict[str, list[float]] = {
        "pipeline (default call)": [],
        "harness": [],
        "harness, max_length 512": [],
        "harness, int8": [],
    }
    answers: dict[str, np.ndarray] = {}
    configured = variant.params.get("max_length", 128)
    full_precision, int8 = variant.model, quantized(variant.model)
    for _ in range(args.repeat):
        started = time.perf_counter()
        answers["pipeline (default call)"] = np.array([row["label"] for row in classify(texts)])
        timings["pipeline (default call)"].append(time.perf_counter() - started)
        for name, length in (("harness", configured), ("harness, max_length 512", 512)):
            variant.params["max_length"] = length
            started = time.perf_counter()
            answers[name] = variant.predict(texts)
            timings[name].append(time.perf_counter() - started)
        variant.params["max_length"] = configured
        variant.model = int8
        started = time.perf_counter()
        answers["harness, int8"] = variant.predict(texts)
        timings["harness, int8"].append(time.perf_counter() - started)
        variant.model = full_precision

    base = statistics.median(timings["pipeline (default call)"])
    for name, seconds in timings.items():
        median = statistics.median(seconds)
        rounds = ", ".join(f"{s:.2f}" for s in seconds)
        agree = np.mean(answers[name] == answers["pipeline (default call)"])
        print(
            f"{name:26s} median {median:7.2f} s  {len(texts) / median:7.1f} texts/s  "
            f"x{base / median:5.2f} vs pipeline  (rounds {rounds}; labels agree {agree:.1%})"
        )


if __name__ == "__main__":
    main()
