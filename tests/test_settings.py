"""What a session derives from its configuration (``pytest_plugin/settings.py``): shards, the
cases, and how a run differs from its profile."""

from __future__ import annotations

from sentiment_models.config import BenchConfig, parse_shard, shard_spec
from sentiment_models.pytest_plugin.settings import SessionSettings, shard_members
from sentiment_models.variants import variant_names


def test_shards_partition_the_registry_whatever_is_selected():
    names = variant_names()
    shards = [shard_members(names, f"{k}/3") for k in (1, 2, 3)]
    assert sorted(name for shard in shards for name in shard) == sorted(names)
    assert all(shards) and not set(shards[0]) & set(shards[1])
    assert shard_members(names, "1/1") == names
    for shard in (*shards, *(shard_members(names, f"{k}/2") for k in (1, 2))):
        assert ("minilm-finetuned" in shard) == ("minilm-finetuned-int8" in shard)
    assert parse_shard("2/3") == (2, 3)
    for bad in ("0/2", "3/2", "a/b", "2", "1/0"):
        assert shard_spec(bad), bad


def _settings(tmp_path, **given: object) -> SessionSettings:
    config = BenchConfig.from_raw(lambda path, spec: given.get(spec.flag))
    return SessionSettings(config, tmp_path, variant_params={"lstm": {"epochs": "4"}})


def test_a_run_differs_from_its_profile_in_sample_split_and_selected_parameters(tmp_path):
    assert _settings(tmp_path, **{"--bench-profile": "quick"}).profile_differences(["simple"]) == []
    settings = _settings(tmp_path, **{"--sample-size": "300", "--test-size": "0.3"})
    found = settings.profile_differences(["lstm"])
    assert found[0].startswith("{split.sample_size} 300 trains on 300 rows")
    assert "{split.test_size} 0.3 (default 0.2)" in found
    assert found[-1] == "{run.variant_params} lstm.epochs=4"
    assert settings.profile_differences(["simple"])[-1] != found[-1]  # lstm not selected


def test_seeds_come_from_the_option_else_the_profile(tmp_path):
    assert _settings(tmp_path).seeds == (0, 1, 2)  # the full profile
    assert _settings(tmp_path, **{"--seeds": "5,7"}).seeds == (5, 7)
    assert _settings(tmp_path, **{"--bench-profile": "quick"}).sample_size == 4000
    assert (
        _settings(tmp_path, **{"--bench-profile": "quick", "--sample-size": "0"}).sample_size
        is None
    )


def test_each_variant_is_found_in_its_shard(tmp_path):
    settings = _settings(tmp_path, **{"--shard": "2/3"})
    for name in variant_names():
        k = settings.shard_of(name)
        assert name in shard_members(variant_names(), k) and k.endswith("/3")
