"""Unit tests of the reliability classes: writes that change together, lock waits that are
said, labels that would make wrong classes, saved models that would mislabel, bounded texts,
progress shown while output is captured."""

from __future__ import annotations

import json
import multiprocessing
import os

import numpy as np
import pytest

from sentiment_models.data.base import LabelledTexts
from sentiment_models.data.cleaning import check_label_names
from sentiment_models.errors import DataError
from sentiment_models.reporting.store import (
    StoreError,
    check_writable_folder,
    file_mode,
    held_lock,
    write_together,
)


def test_files_written_together_keep_every_old_file_when_one_write_fails(tmp_path, monkeypatch):
    old = {tmp_path / name: f"old {name}" for name in ("a.md", "b.md", "results.json")}
    write_together(old)
    real_fdopen = os.fdopen
    opened = []

    def fail_third(handle, *args, **kwargs):  # the disk fills up at the third file
        opened.append(handle)
        if len(opened) == 3:
            raise OSError(28, "No space left on device")
        return real_fdopen(handle, *args, **kwargs)

    monkeypatch.setattr(os, "fdopen", fail_third)
    with pytest.raises(OSError, match="No space left"):
        write_together({path: "new" for path in old})
    assert {path: path.read_text() for path in old} == old
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_written_files_follow_the_umask(tmp_path, umask):
    previous = os.umask(umask)
    try:
        write_together({tmp_path / "x.md": "x"})
        assert file_mode() == 0o666 & ~umask
    finally:
        os.umask(previous)
    assert (tmp_path / "x.md").stat().st_mode & 0o777 == 0o666 & ~umask


def test_a_file_where_a_folder_should_be_is_named(tmp_path):
    (tmp_path / "taken").write_text("x")
    with pytest.raises(StoreError, match="taken is a file, not a folder"):
        check_writable_folder(tmp_path / "taken" / "deeper", "results folder")


def test_an_unwritable_folder_is_refused_at_once(tmp_path):
    with pytest.raises(StoreError, match="/proc is not writable"):
        check_writable_folder(__import__("pathlib").Path("/proc/results"), "results folder")


def _hold(path, ready, release):
    from filelock import FileLock

    with FileLock(path):
        ready.set()
        release.wait(60)


def test_a_lock_held_elsewhere_is_waited_for_aloud_then_refused(tmp_path, monkeypatch):
    import sentiment_models.reporting.store as store

    monkeypatch.setattr(store, "LOCK_NOTICE", 0.2)
    context = multiprocessing.get_context("spawn")
    ready, release = context.Event(), context.Event()
    holder = context.Process(target=_hold, args=(str(tmp_path / ".lock"), ready, release))
    holder.start()
    try:
        assert ready.wait(60)
        said: list[str] = []
        with (
            pytest.raises(StoreError, match="still held by another session after"),
            held_lock(tmp_path / ".lock", notify=said.append, wait=0.7),
        ):
            pass
    finally:
        release.set()
        holder.join(60)
    assert said[0].startswith(f"waiting for {tmp_path / '.lock'}: another session")
    assert any(line.startswith("still waiting for") for line in said[1:])
    with held_lock(tmp_path / ".lock", notify=said.append, wait=1):  # free again: no wait
        pass


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        (["pos", "Pos"], "labels 'pos' (row 1) and 'Pos' (row 2) differ only in case"),
        (["a b", "x", "a  b"], "labels 'a b' (row 1) and 'a  b' (row 3) differ only"),
        (["POSITIVE", "positive "], "differ only in case or spacing"),
        (["0", "1", "2", "1"], "the labels are numbers (0, 1, 2)"),
        (["-1", "1.0"], "the labels are numbers (-1, 1.0)"),
    ],
)
def test_labels_that_would_make_wrong_classes_are_refused(labels, message):
    with pytest.raises(DataError) as error:
        check_label_names(labels, "f.csv")
    assert message in str(error.value) and "data.label_map" in str(error.value)


def test_distinct_named_labels_pass():
    check_label_names(["negative", "neutral", "positive", "neutral"], "f.csv")


def test_texts_are_cut_to_the_limit_and_counted():
    from sentiment_models.data import truncate_texts

    data = LabelledTexts(
        np.array(["short", "x" * 50, "y" * 10], dtype=object),
        np.array(["a", "b", "a"], dtype=object),
        "d",
        "d.csv",
    )
    cut, count = truncate_texts(data, 10)
    assert count == 1 and [len(t) for t in cut.texts] == [5, 10, 10]
    assert truncate_texts(data, 100) == (data, 0)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda m: m.update(classes=list(reversed(m["classes"]))), "not the distinct, sorted"),
        (lambda m: m.update(classes=["a", "a", "b"]), "not the distinct, sorted"),
        (lambda m: m.update(classes=["only"]), "must list two or more labels"),
        (lambda m: m.update(seed="0"), "'seed' must be an integer"),
        (lambda m: m.pop("variant"), "no 'variant' name"),
    ],
)
def test_a_saved_model_whose_metadata_would_mislabel_is_refused(tmp_path, edit, message):
    from sentiment_models.errors import ParameterError
    from sentiment_models.variants import create_variant, load_variant

    texts = ["good day", "bad day", "ok day", "great", "awful", "fine"] * 3
    labels = ["positive", "negative", "neutral", "positive", "negative", "neutral"] * 3
    model = create_variant("vader").fit(texts, labels)
    model.save(tmp_path)
    assert list(load_variant(tmp_path).classes_) == ["negative", "neutral", "positive"]
    meta = json.loads((tmp_path / "variant.json").read_text())
    edit(meta)
    (tmp_path / "variant.json").write_text(json.dumps(meta))
    with pytest.raises(ParameterError, match=message.replace("(", r"\(")):
        load_variant(tmp_path)


@pytest.mark.integration  # imports MLflow
def test_the_served_model_refuses_texts_over_the_limit_with_413(monkeypatch):
    from mlflow.exceptions import MlflowException

    from sentiment_models.tracking.pyfunc import MAX_CHARS_VARIABLE, TextTooLong, input_texts

    monkeypatch.setenv(MAX_CHARS_VARIABLE, "10")
    assert input_texts(["0123456789"]) == ["0123456789"]
    for blank in ("", " \t\n"):
        with pytest.raises(MlflowException, match="row 1: the text is empty") as empty:
            input_texts(["fine", blank])
        assert empty.value.get_http_status_code() == 400
    with pytest.raises(TextTooLong) as error:
        input_texts(["fine", "01234567890"])
    assert error.value.get_http_status_code() == 413
    assert "row 1: the text has 11 characters, more than the limit of 10" in error.value.message
    error.value.message = "Failed to predict data '" + "x" * 10_000  # as the server does
    assert len(error.value.message) < 1000
