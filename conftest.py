"""Repository-wide pytest set-up. The benchmark plugin itself is registered through the
``pytest11`` entry point of this package (see pyproject.toml)."""

import os

# Quiet framework start-up noise; keep Keras on TensorFlow as in the seed.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

collect_ignore = ["results", ".venv"]
