"""Does the harness slow LSTM training down? Times the ``lstm`` variant's ``fit`` against the
same Keras model trained by a plain script, on the same data, epochs and batches.

    python bench/measure_lstm_overhead.py [--epochs 2] [--repeat 3] [--sample-size N]

Runs alternate (plain, harness, plain, ...); each round prints both validation accuracies
(the same model, so they should agree), then the medians and their ratio are printed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def plain_keras(train, validation, *, epochs: int, seed: int, params: dict) -> tuple[float, float]:
    """The model of ``sentiment_models.variants.keras_base``, written out as a user would.
    Returns (seconds, last validation accuracy)."""
    import keras
    import numpy as np
    import tensorflow as tf

    from sentiment_models.preprocessing import TweetPreprocessor, separate_punctuation

    tf.config.experimental.enable_op_determinism()
    started = time.perf_counter()
    keras.utils.set_random_seed(seed)
    cleaner = TweetPreprocessor(normalizer=params["normalizer"] or None).fit()
    as_tokens = params["punctuation"] == "tokens"

    def prepare(raw) -> np.ndarray:
        cleaned = cleaner.transform(raw)
        return np.asarray([separate_punctuation(t) for t in cleaned] if as_tokens else cleaned)

    texts, texts_val = prepare(train.texts), prepare(validation.texts)
    classes = sorted(set(train.labels))
    y = np.array([classes.index(label) for label in train.labels])
    y_val = np.array([classes.index(label) for label in validation.labels])
    vectorizer = keras.layers.TextVectorization(
        max_tokens=params["max_tokens"],
        output_sequence_length=params["sequence_length"],
        **({"standardize": None, "split": "whitespace"} if as_tokens else {}),
    )
    vectorizer.adapt(texts, batch_size=1024)
    x = np.asarray(vectorizer(texts.astype(str)))
    x_val = np.asarray(vectorizer(texts_val.astype(str)))
    counts = np.bincount(y)
    weights = np.sqrt(len(y) / (len(counts) * counts))
    inputs = keras.Input(shape=(params["sequence_length"],), dtype="int32")
    h = keras.layers.Embedding(
        len(vectorizer.get_vocabulary()), params["embedding_dim"], mask_zero=True
    )(inputs)
    h = keras.layers.SpatialDropout1D(params["dropout"])(h)
    h = keras.layers.LSTM(params["lstm_units"])(h)
    h = keras.layers.Dropout(params["dropout"])(h)
    outputs = keras.layers.Dense(len(classes), activation="softmax")(h)
    model = keras.Model(inputs, outputs)
    model.compile(
        optimizer=keras.optimizers.Adam(params["learning_rate"]),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    history = model.fit(
        x,
        y,
        validation_data=(x_val, y_val),
        epochs=epochs,
        batch_size=params["batch_size"],
        class_weight=dict(enumerate(weights)),
        shuffle=True,
        verbose=0,
    )
    return time.perf_counter() - started, history.history["val_accuracy"][-1]


def harness(train, validation, *, epochs: int, seed: int) -> tuple[float, float]:
    from sentiment_models.variants import create_variant

    variant = create_variant("lstm", seed=seed, epochs=epochs, patience=epochs)
    started = time.perf_counter()
    variant.fit(train.texts, train.labels, validation=(validation.texts, validation.labels))
    return time.perf_counter() - started, variant.history["val_accuracy"][-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sample-size", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from sentiment_models.config import DataConfig, SplitConfig
    from sentiment_models.data import load_splits
    from sentiment_models.variants import variant_class

    splits = load_splits(
        DataConfig(eval_datasets=("none",)), SplitConfig(seed=args.seed), args.sample_size
    )
    params = variant_class("lstm").resolve_params({})
    plain_times, harness_times = [], []
    for round_ in range(args.repeat):
        plain, plain_accuracy = plain_keras(
            splits.train, splits.validation, epochs=args.epochs, seed=args.seed, params=params
        )
        harnessed, harness_accuracy = harness(
            splits.train, splits.validation, epochs=args.epochs, seed=args.seed
        )
        plain_times.append(plain)
        harness_times.append(harnessed)
        print(
            f"round {round_ + 1}: plain {plain:.1f} s, harness {harnessed:.1f} s "
            f"(validation accuracy {plain_accuracy:.4f} vs {harness_accuracy:.4f})",
            flush=True,
        )
    plain, harnessed = statistics.median(plain_times), statistics.median(harness_times)
    print(f"train rows {len(splits.train):,}, epochs {args.epochs}, rounds {args.repeat}")
    print(f"median plain Keras script: {plain:.2f} s")
    print(f"median harness (lstm variant): {harnessed:.2f} s")
    print(f"ratio harness / plain: {harnessed / plain:.3f}")


if __name__ == "__main__":
    main()
