"""Row cleaning shared by the sources: repair mojibake, drop (and count) empty and duplicate texts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from sentiment_models.data.base import LabelledTexts
from sentiment_models.errors import DataError, FieldError


def clean_rows(
    texts: Sequence[object],
    labels: Sequence[object],
    *,
    name: str,
    origin: str,
    label_map: Mapping[str, str] | None = None,
    fix_mojibake: bool = False,
    drop_duplicates: bool = True,
    first_row: int = 1,
) -> LabelledTexts:
    """Validate and clean raw rows.

    Labels are mapped through ``label_map`` when given; a label outside it is an error that
    names the row. Empty texts (and duplicates, when asked) are dropped and counted.
    ``first_row`` is the number the first row has in the file, for error messages.
    """
    if fix_mojibake:
        import ftfy

    kept_texts: list[str] = []
    kept_labels: list[str] = []
    seen: set[str] = set()
    dropped = {"empty_text": 0, "duplicate_text": 0}
    for offset, (raw_text, raw_label) in enumerate(zip(texts, labels, strict=True)):
        row = first_row + offset
        label = _label(raw_label, label_map, origin, row)
        if raw_text is None or (isinstance(raw_text, float) and np.isnan(raw_text)):
            dropped["empty_text"] += 1
            continue
        if not isinstance(raw_text, str):
            raise DataError(
                f"{origin}, row {row}: text is a {type(raw_text).__name__} ({raw_text!r:.40}), "
                "expected a string"
            )
        text = ftfy.fix_text(raw_text) if fix_mojibake else raw_text
        text = text.strip()
        if not text:
            dropped["empty_text"] += 1
            continue
        if drop_duplicates:
            if text in seen:
                dropped["duplicate_text"] += 1
                continue
            seen.add(text)
        kept_texts.append(text)
        kept_labels.append(label)
    if not kept_texts:
        raise DataError(f"{origin}: no usable rows (every text was empty or a duplicate)")
    if label_map is None:
        check_label_names(labels, origin, first_row)
    return LabelledTexts(
        texts=np.asarray(kept_texts, dtype=object),
        labels=np.asarray(kept_labels, dtype=object),
        name=name,
        origin=origin,
        dropped={reason: count for reason, count in dropped.items() if count},
    )


def check_label_names(labels: Sequence[object], origin: str, first_row: int = 1) -> None:
    """Refuse labels that would silently make wrong classes: two spellings of one label that
    differ only in case or spaces, or bare numbers (whose meaning only a mapping can give)."""
    first: dict[str, tuple[str, int]] = {}
    for offset, raw in enumerate(labels):
        label = "" if raw is None else str(raw).strip()
        key = " ".join(label.casefold().split())
        known = first.setdefault(key, (label, first_row + offset))
        if known[0] != label:
            raise DataError(
                f"{origin}: labels {known[0]!r} (row {known[1]}) and {label!r} (row "
                f"{first_row + offset}) differ only in case or spacing, so they would be two "
                "classes; fix the file, or map both with {data.label_map} "
                f"(e.g. {known[0]}={known[0].lower()},{label}={known[0].lower()})"
            )
    names = sorted(label for label, _ in first.values())
    if names and all(_is_number(name) for name in names):
        raise DataError(
            f"{origin}: the labels are numbers ({', '.join(names[:5])}); name the classes with "
            "{data.label_map}, e.g. "
            + ",".join(
                f"{n}={w}" for n, w in zip(names, ("negative", "neutral", "positive"), strict=False)
            )
            + " (the pretrained variants and {data.eval_datasets} align classes by name)"
        )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _label(raw: object, label_map: Mapping[str, str] | None, origin: str, row: int) -> str:
    label = "" if raw is None else str(raw).strip()
    if label_map is not None:
        if label not in label_map:
            allowed = ", ".join(repr(key) for key in label_map)
            raise DataError(
                f"{origin}, row {row}: label {label!r} is not in the label mapping "
                f"(expected one of {allowed})"
            )
        return label_map[label]
    if not label:
        raise DataError(f"{origin}, row {row}: the label is empty")
    return label


def parse_label_map(spec: str | None, field: str = "data.label_map") -> dict[str, str] | None:
    """Parse ``"0=negative,4=positive"`` into a mapping; ``None`` stays ``None``."""
    if not spec:
        return None
    mapping: dict[str, str] = {}
    for item in spec.split(","):
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise FieldError(
                field,
                spec,
                f"item {item!r} is not of the form RAW=LABEL (e.g. 0=negative,4=positive)",
            )
        if key.strip() in mapping:
            raise FieldError(
                field, spec, f"raw label {key.strip()!r} is mapped twice; map each raw label once"
            )
        mapping[key.strip()] = value.strip()
    return mapping
