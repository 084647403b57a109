"""What minilm-finetuned's fine-tuning costs per text, by frozen layers and threads: the
measurement behind its ``frozen_layers`` default (``docs/decisions.md``).

    python bench/measure_minilm_cost.py [--texts 1280] [--frozen 0 1 2] [--threads 1 2]
        [--repeat 2]

Each configuration fine-tunes the embedded all-MiniLM-L6-v2 on the first ``--texts`` of a
seeded permutation of the default training split (one validation check on one text, so that
the time is the training's), in this process, ``--repeat`` rounds alternating over the
configurations; the table gives the median seconds, texts per second and the ratio to the
first configuration. The model load (about 2 s) is inside every figure.
"""

from __future__ import annotations

import argparse
import statistics
import time

from sentiment_models import memo, runtime
from sentiment_models.config import DataConfig, SplitConfig
from sentiment_models.data import load_splits
from sentiment_models.variants import create_variant


def fine_tune_seconds(texts, labels, samples: int, frozen: int, threads: int) -> float:
    memo.forget()  # every round trains: nothing is taken from an earlier one
    runtime.configure(threads, "cpu")
    variant = create_variant(
        "minilm-finetuned",
        seed=0,
        progress=lambda line: None,
        frozen_layers=frozen,
        train_samples=samples,
        validation_checks=1,
        validation_samples=1,
    )
    started = time.perf_counter()
    variant.fit(texts, labels)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--texts", type=int, default=1280, help="training texts per run")
    parser.add_argument("--frozen", type=int, nargs="+", default=[0, 1, 2], help="frozen layers")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="thread counts")
    parser.add_argument("--repeat", type=int, default=2, help="alternating rounds")
    args = parser.parse_args()

    splits = load_splits(DataConfig(), SplitConfig())
    texts, labels = splits.train.texts, splits.train.labels
    configurations = [(frozen, threads) for threads in args.threads for frozen in args.frozen]
    seconds: dict[tuple[int, int], list[float]] = {key: [] for key in configurations}
    for round_ in range(args.repeat):
        for frozen, threads in configurations:
            took = fine_tune_seconds(texts, labels, args.texts, frozen, threads)
            seconds[(frozen, threads)].append(took)
            print(f"round {round_ + 1}: frozen {frozen}, {threads} thread(s): {took:.1f} s")
    first = statistics.median(seconds[configurations[0]])
    print(f"\n{args.texts} texts, median of {args.repeat} round(s)\n")
    print("| frozen layers | threads | seconds | texts/s | vs first |")
    print("| --- | --- | --- | --- | --- |")
    for frozen, threads in configurations:
        median = statistics.median(seconds[(frozen, threads)])
        print(
            f"| {frozen} | {threads} | {median:.1f} | {args.texts / median:.1f} | "
            f"{median / first:.2f} |"
        )


if __name__ == "__main__":
    main()
