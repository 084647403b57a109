"""How pytest-xdist deals the bench cases to its workers: xdist's own scope scheduling, with
a case (a variant and one seed) as the scope, so that its train and evaluate phases run on one
worker, in order (the evaluate phase reuses the model its train phase fitted), and the seeds of
a long variant run side by side on several workers. With ``--gate`` the scope is the variant
and all its seeds: the gate tests a variant on every seed of the session, in the process that
ran them. Other tests are each their own scope, or their ``xdist_group``.

Scopes are handed out longest first (the classic LPT rule), by the seconds the results store
recorded for each variant; a variant with no record counts as longest, so that a long unknown
case does not start last. A worker gets its next scope only when it is nearly free. A
deployment variant (``derived_from``) shares the scope of the variant it transforms (the same
seed), so that it reuses that variant's trained model on the same worker instead of training
it again."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pytest
from xdist.scheduler import LoadScopeScheduling

from sentiment_models.errors import BenchError
from sentiment_models.pytest_plugin.items import CASE_NODE, case_id
from sentiment_models.variants import training_scope, variant_names

if TYPE_CHECKING:
    from sentiment_models.pytest_plugin.settings import SessionSettings

SCOPE_PREFIX = "sentiment-bench:"
SEED_SUFFIX = re.compile(r"-seed\d+$")


def expected_seconds(settings: SessionSettings, by_seed: bool = False) -> dict[str, float]:
    """Each stored variant's seconds per seed (train + evaluate, mean over its stored
    seeds), times its seeds in this session unless a scope is one seed (``by_seed``): the
    workers take the longest first."""
    from sentiment_models.reporting.store import read_results

    try:
        stored = read_results(settings.results_dir)
    except (BenchError, OSError):
        return {}  # no usable store: every variant is of unknown length
    expected = {}
    for name, record in stored.variants.items():
        seconds = [run.train.seconds + run.evaluate.seconds for run in record.runs]
        if seconds and name in variant_names():
            seeds = 1 if by_seed else len(settings.cases_of([name]))
            expected[name] = sum(seconds) / len(seconds) * seeds
    return expected


class VariantScheduling(LoadScopeScheduling):
    """``--dist load`` / ``loadgroup`` when the sentiment bench plugin is active."""

    def __init__(
        self,
        config: pytest.Config,
        log: Any = None,
        costs: Mapping[str, float] | None = None,
        by_seed: bool = False,
    ) -> None:
        super().__init__(config, log)
        self.by_seed = by_seed
        """A scope is one seed of a variant (else the variant and all its seeds)."""
        self.costs: dict[str, float] = {}
        """Scope variant -> expected seconds of a scope's cases (and its derived ones')."""
        for name, seconds in (costs or {}).items():
            scope = training_scope(name)
            self.costs[scope] = self.costs.get(scope, 0.0) + seconds

    def cost(self, scope: str) -> float:
        if not scope.startswith(SCOPE_PREFIX):
            return 0.0
        return self.costs.get(SEED_SUFFIX.sub("", scope.removeprefix(SCOPE_PREFIX)), math.inf)

    def _reschedule(self, node: Any) -> None:
        """xdist queues a worker's next scope while it still has two tests to run; a worker
        busy with a case gets its next one only when its last case starts, so that the
        longest-first order is decided when a worker is nearly free (a variant's phases take
        seconds to minutes, the extra round trip nothing)."""
        assigned = self.assigned_work.get(node, {})
        busy = [scope for scope, tests in assigned.items() if not all(tests.values())]
        if any(scope.startswith(SCOPE_PREFIX) for scope in busy) and self._pending_of(assigned) > 1:
            return
        super()._reschedule(node)

    def _assign_work_unit(self, node: Any) -> None:
        """The costliest waiting scope first."""
        if self.workqueue:
            longest = max(self.workqueue, key=self.cost)
            self.workqueue.move_to_end(longest, last=False)
        super()._assign_work_unit(node)

    def _split_scope(self, nodeid: str) -> str:
        found = CASE_NODE.search(nodeid)
        if found:
            scope = training_scope(found["name"])
            if self.by_seed:
                return SCOPE_PREFIX + case_id(scope, int(found["seed"]))
            return SCOPE_PREFIX + scope
        if nodeid.rfind("@") > nodeid.rfind("]"):  # an xdist_group suffix
            return nodeid.rsplit("@", 1)[-1]
        return nodeid
