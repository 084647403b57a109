"""What every result records to be reproducible: the commit, whether the code differed from
it (not the bench's own outputs), and the CPU's vector features."""

from __future__ import annotations

import subprocess

from sentiment_models.provenance import VECTOR_FLAGS, git_state, machine, vector_flags


def _git(folder, *args):
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=folder,
        check=True,
        capture_output=True,
    )


def test_the_bench_outputs_do_not_make_the_code_dirty(tmp_path):
    (tmp_path / "results").mkdir()
    (tmp_path / "code.py").write_text("x = 1\n")
    (tmp_path / "results" / "results.json").write_text("{}\n")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-q", "-m", "start")
    (tmp_path / "results" / "results.json").write_text('{"regenerated": true}\n')
    root = str(tmp_path)
    assert git_state(root, ("results",))["dirty"] is False
    assert git_state(root)["dirty"] is True  # without outputs, any change counts
    (tmp_path / "code.py").write_text("x = 2\n")
    assert git_state(root + "/", ("results",))["dirty"] is True  # (another cache key)


def test_the_cpu_vector_features_are_recorded():
    flags = machine()["vector_flags"]
    assert flags == (" ".join(vector_flags()) or "unknown")
    assert set(vector_flags()) <= set(VECTOR_FLAGS)
