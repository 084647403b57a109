"""The plugin's options, generated from the configuration tree (``sentiment_models.config``)
and the variant parameter options of the registry; and the way back: building the
configuration from the command line and the ini file, and naming a field by its flag."""

from __future__ import annotations

import pytest

from sentiment_models.config import BenchConfig, Option, all_options, base_type, option_for
from sentiment_models.errors import BenchError
from sentiment_models.variants import param_options, variant_names

GROUP = ("sentiment-bench", "sentiment model benchmark")


def add_options(parser: pytest.Parser) -> None:
    """One option and one ini key per configuration field (and per parameter option)."""
    group = parser.getgroup(*GROUP)
    for _, spec, hint, default in all_options():
        kind = _kind(hint, spec)
        if isinstance(default, tuple):
            default = ",".join(map(str, default)) if default else None
        shown = "" if default in (None, False) else f" (default: {default})"
        kwargs: dict[str, object] = {"dest": spec.dest, "default": None}
        if kind == "bool":
            kwargs["action"] = "store_true"
        elif kind == "args":
            kwargs.update(action="append", metavar=spec.metavar)
        else:
            kwargs["metavar"] = spec.metavar
        group.addoption(spec.flag, help=f"{spec.help}{shown} [ini: {spec.ini}]", **kwargs)
        parser.addini(spec.ini, f"default of {spec.flag}", type=kind, default=None)
    for param in param_options():  # the variants' own options
        option = param.option
        spec = Option(option.flag, option.help)
        group.addoption(
            option.flag,
            dest=spec.dest,
            default=None,
            metavar=option.metavar,
            help=f"{option.help} [ini: {spec.ini}]",
        )
        parser.addini(spec.ini, f"default of {option.flag}", type="string", default=None)


def read_config(config: pytest.Config) -> tuple[BenchConfig, list[str]]:
    """The session's configuration, and the variant parameter overrides given by dedicated
    options (``--glove-path``, ...) as ``VARIANT.KEY=VALUE`` items. Raises BenchError."""

    def raw(_: str, spec: Option) -> object | None:
        given = config.getoption(spec.dest)
        if given is not None:
            return given
        value = config.getini(spec.ini)  # unset: None, "", [] or False (every default)
        return value if value not in (None, "", [], False) else None

    values = BenchConfig.from_raw(raw)
    params = []
    for param in param_options():
        value = raw("", Option(param.flag, param.option.help))
        if value:
            params.append(f"{param.variant}.{param.param}={value}")
    return values, params


def flag_name(field_path: str) -> str:
    """How the user sets ``field_path``: its flag (``split.seed`` -> ``--seed``)."""
    spec = option_for(field_path)
    if spec is not None:
        return spec.flag
    variant, _, param = field_path.partition(".")
    for option in param_options():
        if (option.variant, option.param) == (variant, param):
            return option.flag
    return f"--variant-param {field_path}" if variant in variant_names() else field_path


def usage_error(error: BenchError) -> pytest.UsageError:
    """The error as pytest shows bad options: one line, fields named by their flags."""
    return pytest.UsageError(error.render(flag_name))


def _kind(hint: object, spec: Option) -> str:
    """pytest's ini type for a configuration field's type."""
    base = base_type(hint)
    if base is bool:
        return "bool"
    if base is tuple and not spec.separator:
        return "args"
    return "string"
