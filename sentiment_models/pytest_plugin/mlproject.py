"""Entry point of the ``MLproject`` file: maps MLflow Project parameters onto ``pytest bench``
options (MLflow passes every parameter, so empty ones are dropped here)."""

from __future__ import annotations

import argparse
import sys


def bench_arguments(argv: list[str]) -> list[str]:
    """The pytest arguments for the project parameters in ``argv``."""
    parser = argparse.ArgumentParser(prog="mlproject")
    texts = ("select", "dataset", "data-path", "eval-dataset", "eval-data-path", "results-dir")
    for name in (*texts, "glove-path", "hf-model"):
        parser.add_argument(f"--{name}", default="")
    parser.add_argument("--seed", type=float, default=0)
    parser.add_argument("--sample-size", type=float, default=0)
    parser.add_argument("--register", default="no")
    args = parser.parse_args(argv)
    pytest_args = ["bench", "--dataset", args.dataset, "--seed", str(int(args.seed))]
    optional = {
        "-k": args.select,
        "--data-path": args.data_path,
        "--eval-dataset": args.eval_dataset,
        "--eval-data-path": args.eval_data_path,
        "--results-dir": args.results_dir,
        "--glove-path": args.glove_path,
        "--hf-model": args.hf_model,
    }
    pytest_args += [item for flag, value in optional.items() if value for item in (flag, value)]
    if args.sample_size:
        pytest_args += ["--sample-size", str(int(args.sample_size))]
    if args.register.lower() in ("yes", "true", "1"):
        pytest_args.append("--mlflow-register")
    return pytest_args


def main() -> int:
    import pytest

    return int(pytest.main(bench_arguments(sys.argv[1:])))


if __name__ == "__main__":
    sys.exit(main())
