"""Accuracy gates for CI that know the noise: a committed ``baseline.json`` holds, per profile
and variant, each seed's per-item predictions on the test split; a new run fails only when its
drop is confidently larger than a smallest effect (a one-sided paired t test over the same
test items and the seeds, ``statistics.drop_test``), or when it falls below an absolute floor declared in
``pyproject.toml``. Improvements never fail."""

from __future__ import annotations

import binascii
import json
import math
import tomllib
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sentiment_models.config import BEHAVIOUR_MIN_EFFECT
from sentiment_models.errors import StoreError, read_json
from sentiment_models.reporting.store import atomic_write, held_lock
from sentiment_models.results import (
    BehaviourResult,
    EvaluateResult,
    GateCheck,
    VariantRecord,
    class_indices,
    decode_items,
)
from sentiment_models.statistics import POWER, TOLERANCE, DropTest, Runs, drop_test, holm

if TYPE_CHECKING:
    from sentiment_models.data import DatasetSplits

GATED_METRICS = ("accuracy", "macro_recall")
FLOORS_TABLE = "tool.sentiment-bench.floors"
BASELINE_FORMAT = 2
ONE_SEED_CAVEAT = (
    "; with one new seed this check fails unchanged variants more often than alpha "
    "(docs/statistics.md#the-behaviour-gate): confirm with --seeds 0,1,2"
)
BEHAVIOUR_CHECK = "behaviour:"
"""The metric name of a gate check on a behaviour test: this prefix and the test's name."""


@dataclass(frozen=True)
class Verdict:
    """What the gate says of a variant: failures fail its case, warnings are printed."""

    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    checks: list[GateCheck] = field(default_factory=list)
    """Each paired test against a baseline, passed or failed."""


@dataclass(frozen=True)
class Gate:
    """What a gated variant is compared with: its baseline runs on the same test items (a
    one-sided paired test, and a smallest drop that counts) and absolute floors."""

    baseline_path: Path
    alpha: float = 0.01
    min_effect: float = 0.005
    behaviour_min_effect: float = BEHAVIOUR_MIN_EFFECT
    """The smallest rise of a behaviour test's failure rate that counts."""
    floors: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    metrics: tuple[str, ...] = GATED_METRICS
    earlier: tuple[tuple[str, Mapping[str, Any]], ...] = ()
    """Earlier committed baselines (label, profiles): each metric is compared with the best
    of these and the file (``--gate-history``)."""

    def check(
        self, variant: str, profile: str, runs: Mapping[int, tuple[DatasetSplits, EvaluateResult]]
    ) -> Verdict:
        """The verdict on ``variant``'s runs of this session (seed -> split and result)."""
        verdict = Verdict()
        rebuild = (
            f"rebuild it with: pytest bench --bench-profile {profile} -k {variant} "
            "--update-baseline"
        )
        entry = read_baseline(self.baseline_path).get(profile, {}).get(variant)
        splits = [split for split, _ in runs.values()]
        results = [result for _, result in runs.values()]
        if entry is None:
            verdict.failures.append(
                f"{variant}: no baseline for the {profile} profile in {self.baseline_path}; "
                f"create it with: pytest bench --bench-profile {profile} -k {variant} "
                "--update-baseline"
            )
        elif not isinstance(entry.get("seeds"), dict) or "labels" not in entry:
            verdict.failures.append(
                f"{variant}: the {profile} baseline in {self.baseline_path} has no per-item "
                f"predictions (an older format), so no paired test can be made; {rebuild}"
            )
            entry = None
        else:
            digests = {split.test.digest for split in splits}
            if digests != {entry.get("test_digest")}:
                verdict.failures.append(
                    f"{variant}: the {profile} baseline was made on another test split (digest "
                    f"{str(entry.get('test_digest'))[:12]}, this run "
                    f"{', '.join(sorted(d[:12] for d in digests))}); the scores cannot be "
                    f"paired; {rebuild}"
                )
                entry = None
        for metric in self.metrics:
            values = [result.test.get(metric) for result in results]
            if any(value is None or not math.isfinite(value) for value in values):
                verdict.failures.append(f"{variant}: {metric} was not measured; cannot gate it")
                continue
            if entry is not None:
                new = _runs(splits[0], results, fixed=_seed_free(variant))
                label, best = self.best_entry(profile, variant, metric, entry)
                self._against_baseline(variant, profile, metric, new, best, verdict, rebuild, label)
            mean = float(np.mean(values))
            floor = self.floor(variant, metric)
            if floor is not None and mean < floor:
                verdict.failures.append(
                    f"{variant}: {metric} {mean:.4f} < floor {floor:.4f} "
                    f"(pyproject.toml [{FLOORS_TABLE}])"
                )
        if entry is not None:  # after the gated metrics: their failures are named first
            self._behaviour(variant, entry, results, verdict, rebuild, _seed_free(variant))
        return verdict

    def _against_baseline(
        self,
        variant: str,
        profile: str,
        metric: str,
        new: Runs,
        entry: Mapping[str, Any],
        verdict: Verdict,
        rebuild: str,
        label: str = "",
    ) -> None:
        stored = [seed.get(metric) for seed in entry["seeds"].values()]
        if not all(isinstance(value, int | float) and math.isfinite(value) for value in stored):
            verdict.failures.append(
                f"{variant}: the {profile} baseline's {metric} holds {stored!r}, not numbers; "
                f"fix {self.baseline_path} or {rebuild}"
            )
            return
        try:
            baseline = Runs.of(
                [decode_items(seed["predicted"]) for seed in entry["seeds"].values()],
                decode_items(entry["labels"]),
                new.n_classes,
                fixed=new.fixed,
            )
            test = drop_test(new, baseline, metric, self.min_effect)
        except (KeyError, ValueError, TypeError, zlib.error, binascii.Error) as error:
            verdict.failures.append(
                f"{variant}: the {profile} baseline's per-item data is unreadable ({error}); "
                f"{rebuild}"
            )
            return
        against = f", the best of the last baselines: {label}" if label else ""
        failed = test.p_value < self.alpha
        detectable = test.detectable(self.alpha)
        verdict.checks.append(
            GateCheck(
                variant, metric, test.value, test.baseline, test.p_value, detectable, failed, label
            )
        )
        if failed:
            verdict.failures.append(
                f"{variant}: {test.describe()}: a drop significantly larger than "
                f"{self.min_effect:g} (alpha {self.alpha:g}; {profile} profile, baseline seeds "
                f"{', '.join(entry['seeds'])}{against})"
            )
        elif test.drop > 0:
            why = f"not significantly beyond --gate-min-effect {self.min_effect:g} at alpha {self.alpha:g}"
            verdict.warnings.append(
                f"gate passed {variant} with a drop{against}: {test.describe()}: {why}; it "
                f"could detect a drop of {detectable:.4f} or more (80% power)"
            )

    def _behaviour(
        self,
        variant: str,
        entry: Mapping[str, Any],
        results: list[EvaluateResult],
        verdict: Verdict,
        rebuild: str,
        fixed: bool,
    ) -> None:
        """Each behaviour test's failure rate against the baseline's (``behaviour_rises``)."""
        tests: dict[str, list[BehaviourResult]] = {}
        for result in results:
            for name, found in result.behaviour.items():
                tests.setdefault(name, []).append(found)
        if not tests:
            return
        stored = entry.get("behaviour")
        if not isinstance(stored, dict):
            verdict.warnings.append(
                f"{variant}: its baseline holds no behaviour results, so the behaviour tests "
                f"were not gated; {rebuild}"
            )
            return
        members: list[Member] = []
        ungated = []
        for name, found in sorted(tests.items()):
            base = stored.get(name)
            digests = {result.digest for result in found}
            if not isinstance(base, dict) or {base.get("digest")} != digests:
                ungated.append(name)
                continue
            try:
                old = _pass_runs(list(base["seeds"].values()), fixed)
                new = _pass_runs([result.failed for result in found], fixed)
            except (KeyError, ValueError, TypeError, AttributeError, zlib.error, binascii.Error):
                ungated.append(name)
                continue
            members.append((name, new, old))
        if ungated:
            verdict.warnings.append(
                f"{variant}: behaviour tests not gated (not in the baseline, or their items "
                f"changed since): {', '.join(ungated)}; {rebuild}"
            )
        margin = self.behaviour_min_effect
        rises = behaviour_rises(members, margin)
        strictest = self.alpha / max(len(rises), 1)
        for rise in rises:
            failed = rise.p_value < self.alpha
            test = rise.test
            verdict.checks.append(
                GateCheck(
                    variant,
                    f"{BEHAVIOUR_CHECK}{rise.name}",
                    test.value,
                    test.baseline,
                    rise.p_value,
                    _detectable_rise(test, strictest, rise.items),
                    failed,
                )
            )
            if failed:
                verdict.failures.append(
                    f"{variant}: behaviour test {rise.name}: failure rate {1 - test.value:.4f} "
                    f"vs baseline {1 - test.baseline:.4f} (rise {test.drop:+.4f} ± "
                    f"{test.error:.4f}; one-sided p of a rise beyond {margin:g} "
                    f"{rise.p_value:.4g}, Holm over the variant's {len(rises)} behaviour "
                    f"tests): a rise significantly larger than {margin:g} (alpha {self.alpha:g})"
                    + (ONE_SEED_CAVEAT if len(results) == 1 and not fixed else "")
                )

    def best_entry(
        self, profile: str, variant: str, metric: str, entry: Mapping[str, Any]
    ) -> tuple[str, Mapping[str, Any]]:
        """The baseline to compare ``metric`` with: ``entry`` (the file's), or, with earlier
        baselines, the one with the highest mean over its seeds among those made on the same
        test items and classes (``""`` names the file's own)."""
        best: tuple[str, Mapping[str, Any]] = ("", entry)
        if not self.earlier:
            return best
        best = (f"the file ({self.baseline_path.name})", entry)
        for label, profiles in self.earlier:
            other = profiles.get(profile, {}).get(variant)
            if (
                isinstance(other, dict)
                and isinstance(other.get("seeds"), dict)
                and other.get("test_digest") == entry.get("test_digest")
                and other.get("classes") == entry.get("classes")
                and other.get("labels") == entry.get("labels")
                and _mean(other, metric) > _mean(best[1], metric)
            ):
                best = (label, other)
        return best

    def floor(self, variant: str, metric: str) -> float | None:
        specific = self.floors.get(variant, {})
        if metric in specific:
            return float(specific[metric])
        general = self.floors.get("*", {})
        return float(general[metric]) if metric in general else None


def entry_problem(
    entry: Mapping[str, Any] | None, test_digest: str, classes: tuple[str, ...]
) -> str | None:
    """Why a variant's baseline entry cannot be paired with runs on the test split of
    ``test_digest`` over ``classes`` (None when it can): missing, an older format, another
    test split, or per-item data that does not decode to one class index per test item."""
    if entry is None:
        return "no baseline"
    seeds = entry.get("seeds")
    if not isinstance(seeds, dict) or "labels" not in entry:
        return "no per-item predictions (an older format), so no paired test can be made"
    if entry.get("test_digest") != test_digest:
        return (
            f"it was made on another test split (digest {str(entry.get('test_digest'))[:12]}, "
            f"this session's {test_digest[:12]}); the scores cannot be paired"
        )
    if list(entry.get("classes", classes)) != list(classes):
        return f"its classes {entry.get('classes')} are not this session's {list(classes)}"
    try:
        labels = decode_items(entry["labels"])
        predicted = {seed: decode_items(value["predicted"]) for seed, value in seeds.items()}
    except (KeyError, ValueError, TypeError, AttributeError, zlib.error, binascii.Error) as error:
        return f"its per-item data is unreadable ({type(error).__name__}: {error})"
    if not predicted:
        return "it holds no seed"
    for seed, items in {"labels": labels, **{f"seed {s}": p for s, p in predicted.items()}}.items():
        if len(items) != len(labels):
            return f"{seed} holds {len(items):,} items, the labels {len(labels):,}"
        if len(items) and int(items.max()) >= len(classes):
            return f"{seed} holds class index {int(items.max())}, beyond the {len(classes)} classes"
    return None


def _mean(entry: Mapping[str, Any], metric: str) -> float:
    values = [
        seed.get(metric)
        for seed in entry["seeds"].values()
        if isinstance(seed, dict) and isinstance(seed.get(metric), int | float)
    ]
    return float(np.mean(values)) if values else float("-inf")


def baseline_history(path: Path, count: int) -> tuple[tuple[str, Mapping[str, Any]], ...]:
    """The baseline file as committed in the last ``count`` commits that changed it, newest
    first, as (``"<commit> (<date>)"``, profiles); a version that is not a readable baseline
    is left out. A StoreError when git has no history of the file."""
    from sentiment_models.reporting.history import git_versions

    try:
        versions = git_versions(path, count)
    except StoreError as error:
        raise StoreError(
            f"{{gate.gate_history}} {count}: {error} (earlier baselines are read from git: run "
            "in a git checkout where the baseline file is committed, or drop the option)"
        ) from None
    found = []
    for version in versions:
        label = f"{version.commit[:7]} ({version.date[:10]})"
        try:
            found.append((label, parse_baseline(json.loads(version.text), f"{path} at {label}")))
        except (StoreError, ValueError):
            continue
    return tuple(found)


def _runs(splits: DatasetSplits, results: list[EvaluateResult], fixed: bool = False) -> Runs:
    labels = class_indices(splits.test.labels, splits.classes)
    predicted = [decode_items(r.predicted) for r in results]
    return Runs.of(predicted, labels, len(splits.classes), fixed=fixed)


def _detectable_rise(test: DropTest, alpha: float, items: int) -> float:
    """The smallest failure-rate rise ``test`` finds with 80% power (at most the rise to
    every item failing: beyond it, none is possible). When neither side
    failed or passed an item differently (no spread measured: every item passed, or every
    one failed, on every seed), the t test's formula would quote the margin itself; the rise
    is then the one whose own binomial spread on ``items`` items the test would see past
    the margin: ``d = margin + (z_alpha + z_power) * sqrt(d (1 - d) / items)``."""
    room = test.baseline  # the baseline's pass rate: how far its failure rate can rise
    if test.error > TOLERANCE:
        return min(test.detectable(alpha), room)
    from scipy.optimize import brentq
    from scipy.stats import norm

    z = float(norm.ppf(1 - alpha) + norm.ppf(POWER))
    start = 1 - test.baseline  # the failure rate now
    if room <= test.margin:
        return room

    def short(d: float) -> float:
        rate = start + d
        return d - test.margin - z * math.sqrt(max(rate * (1 - rate), 0.0) / items)

    return float(brentq(short, test.margin, room)) if short(room) > 0 else room


Member = tuple[str, Runs, Runs]
"""A behaviour test in the gate: its name, the new runs and the baseline's (pass = correct)."""


@dataclass(frozen=True)
class BehaviourRise:
    """The behaviour gate's test of one test, ``p_value`` Holm-adjusted over the variant's
    behaviour tests."""

    name: str
    test: DropTest
    p_value: float
    items: int


def behaviour_rises(members: list[Member], min_effect: float) -> list[BehaviourRise]:
    """Each test's one-sided test of a rise in its failure rate beyond ``min_effect``
    (``drop_test`` on the pass rate, the seed spread kept at least the item-by-seed noise),
    Holm over the tests."""
    tests = [
        drop_test(new, old, "accuracy", min_effect, noise_floor=True) for _, new, old in members
    ]
    adjusted = holm([test.p_value for test in tests])
    return [
        BehaviourRise(name, test, p_value, len(new.labels))
        for (name, new, _), test, p_value in zip(members, tests, adjusted, strict=True)
    ]


def _pass_runs(failed: list[str], fixed: bool) -> Runs:
    """Seeds' per-item failures (``encode_items``) as runs whose correct items passed."""
    passed = [1 - decode_items(text).astype(np.int16) for text in failed]
    return Runs.of(passed, np.ones(len(passed[0]), dtype=np.int16), 2, fixed=fixed)


def behaviour_summary(checks: list[GateCheck]) -> str:
    """The gate's behaviour checks of one variant in a few words."""
    found = [check for check in checks if check.metric.startswith(BEHAVIOUR_CHECK)]
    if not found:
        return ""
    failed = [check.metric.removeprefix(BEHAVIOUR_CHECK) for check in found if check.failed]
    said = f"failed {', '.join(failed)}" if failed else "no significant rise"
    # a detectable rise at the room left (the pass rate) is none: the test fails (almost)
    # every item already, and cannot rise past the margin with that power
    seen = [check.detectable for check in found if check.detectable < check.baseline - TOLERANCE]
    full = len(found) - len(seen)
    rest = f" ({full} failing too many items to rise that far)" if full else ""
    if not seen:
        return f"behaviour ({len(found)} tests): {said}, none could detect a rise{rest}"
    return (
        f"behaviour ({len(found)} tests): {said}, could detect failure-rate rises of "
        f"{min(seen):.3f} to {max(seen):.3f} or more{rest}"
    )


def _seed_free(variant: str) -> bool:
    """Whether ``variant``'s training ignores the seed (or it does not train)."""
    from sentiment_models.variants import variant_class, variant_names

    if variant not in variant_names():
        return False
    return not variant_class(variant).trains_per_seed()


def read_baseline(path: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """``{profile: {variant: entry}}``; empty when the file does not exist. A file that is
    not a baseline, or whose scores are not finite numbers, is refused (a StoreError that
    names the place), so that a broken baseline never switches the gate off."""
    if not path.exists():
        return {}
    fix = "restore it from git, or rebuild it with --update-baseline"
    if not path.is_file():
        raise StoreError(f"{{gate.baseline}} {path}: not a file; give the baseline JSON file")
    stored = read_json(path, StoreError, fix)
    return parse_baseline(stored, str(path))


def parse_baseline(stored: object, path: str) -> dict[str, dict[str, dict[str, Any]]]:
    """A baseline's profiles from the parsed JSON of ``path`` (see ``read_baseline``)."""
    fix = "restore it from git, or rebuild it with --update-baseline"
    if not isinstance(stored, dict) or not isinstance(stored.get("profiles", {}), dict):
        raise StoreError(f"{path}: not a baseline file (expected an object with 'profiles'); {fix}")
    profiles = stored.get("profiles", {})
    for profile, variants in profiles.items():
        if not isinstance(variants, dict):
            raise StoreError(f"{path}, profile {profile!r}: expected an object of variants; {fix}")
        for variant, entry in variants.items():
            seeds = entry.get("seeds") if isinstance(entry, dict) else None
            for seed, scores in (seeds or {}).items() if isinstance(seeds, dict) else ():
                for metric in GATED_METRICS:
                    value = scores.get(metric) if isinstance(scores, dict) else None
                    if value is not None and not (
                        isinstance(value, int | float) and math.isfinite(value)
                    ):
                        raise StoreError(
                            f"{path}, profile {profile!r}, variant {variant!r}, seed {seed}: "
                            f"{metric} is {value!r}, not a finite number; {fix}"
                        )
    return profiles


def update_baseline(
    path: Path,
    profile: str,
    records: Mapping[str, VariantRecord],
    provenance: Mapping[str, Any] | None = None,
    notify: Callable[[str], None] | None = None,
    *,
    force: bool = False,
) -> list[str]:
    """The one guarded way to write a baseline (the session's ``--update-baseline``, the
    merge command's): set each variant's baseline for ``profile`` (its seeds' scores and
    per-item predictions, the test split's digest and labels); others stay as they are.

    Refused (a StoreError, nothing written) unless ``force``: a record made with other
    settings than the profile's (``VariantRecord.off_profile``), or one that would replace a
    baseline made on other test data. Never written, whatever ``force`` says: a variant with
    a seed that failed its gate or its case (the old baseline stays; the returned lines say
    so). Returns lines for the terminal."""
    from sentiment_models.errors import StoreError

    with held_lock(path.with_name(f".{path.name}.lock"), notify=notify):
        profiles = read_baseline(path)
        section = profiles.setdefault(profile, {})
        refusals = [
            f"{name} was made with {'; '.join(record.off_profile)}"
            for name, record in sorted(records.items())
            if record.off_profile
        ] + [
            f"{name}'s baseline was made on other test data (digest "
            f"{section[name].get('test_digest', '?')[:12]}, this run's "
            f"{record.data.test_digest[:12]})"
            for name, record in sorted(records.items())
            if name in section and section[name].get("test_digest") != record.data.test_digest
        ]
        if refusals and not force:
            raise StoreError(
                f"{{gate.baseline}} {path}: the {profile} baseline was not updated: "
                + "; ".join(refusals)
                + f"; the gate would judge later {profile} runs against it. Run with the "
                "profile's settings and data, or force it with {gate.force_baseline_update}"
            )
        lines, written = [], []
        for variant, record in sorted(records.items()):
            if not record.ok:
                lines.append(
                    f"baseline of {variant} not updated: {record.status}; its previous "
                    "baseline is kept"
                )
                continue
            section[variant] = _baseline_entry(record, provenance)
            written.append(f"{variant} (seeds {', '.join(map(str, record.seeds))})")
        if written:
            document = {
                "about": "Gated metrics per bench profile and variant: each seed's scores and "
                "per-item predictions (for a paired test), the test split's digest and labels; "
                "rewrite with --update-baseline.",
                "format": BASELINE_FORMAT,
                "profiles": {
                    name: dict(sorted(variants.items()))
                    for name, variants in sorted(profiles.items())
                },
            }
            atomic_write(path, json.dumps(document, indent=1) + "\n")
            lines.insert(
                0, f"baseline updated for the {profile} profile: {', '.join(written)} in {path}"
            )
    return lines


def _baseline_entry(record: VariantRecord, provenance: Mapping[str, Any] | None) -> dict[str, Any]:
    digest = record.data.test_digest
    runs = [run for run in record.runs if run.test_digest == digest and run.predicted]
    entry: dict[str, Any] = {
        "test_digest": digest,
        "classes": list(record.classes),
        "labels": record.items[digest],
        "seeds": {
            str(run.seed): {
                **{
                    metric: round(float(value), 6)
                    for metric in GATED_METRICS
                    if (value := run.test.get(metric)) is not None
                },
                "predicted": run.predicted,
            }
            for run in runs
        },
    }
    tests = {name for run in runs for name in run.behaviour}
    if tests:
        entry["behaviour"] = {
            name: {
                "digest": next(run.behaviour[name].digest for run in runs if name in run.behaviour),
                "seeds": {
                    str(run.seed): run.behaviour[name].failed
                    for run in runs
                    if name in run.behaviour
                },
            }
            for name in sorted(tests)
        }
    if provenance:
        entry.update(provenance)
    return entry


def read_floors(pyproject: Path) -> dict[str, dict[str, float]]:
    """``[tool.sentiment-bench.floors]`` of ``pyproject``: ``{variant or "*": {metric: floor}}``."""
    if not pyproject.is_file():
        return {}
    try:
        config = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise StoreError(f"{pyproject}: not valid TOML ({error})") from None
    floors = config.get("tool", {}).get("sentiment-bench", {}).get("floors", {})
    for variant, values in floors.items():
        if not isinstance(values, dict) or not all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            for v in values.values()
        ):
            raise StoreError(
                f"{pyproject} [{FLOORS_TABLE}] {variant}: expected a table of metric = number, "
                f"e.g. {variant} = {{ accuracy = 0.7 }} (finite numbers)"
            )
    return floors
