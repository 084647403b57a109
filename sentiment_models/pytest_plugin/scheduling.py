"""How pytest-xdist deals the bench cases to its workers: xdist's own scope scheduling, with
a variant as the scope, so that a variant's train and evaluate phases of every seed run on one
worker, in collection order (the evaluate phase reuses the model its train phase fitted, and
the gate sees every seed). Other tests are each their own scope, or their ``xdist_group``."""

from __future__ import annotations

import re

from xdist.scheduler import LoadScopeScheduling

CASE_NODE = re.compile(r"::test_(?:train|evaluate)\[(?P<name>.+)-seed(?P<seed>\d+)\]")


class VariantScheduling(LoadScopeScheduling):
    """``--dist load`` / ``loadgroup`` when the sentiment bench plugin is active."""

    def _split_scope(self, nodeid: str) -> str:
        found = CASE_NODE.search(nodeid)
        if found:
            return f"sentiment-bench:{found['name']}"
        if nodeid.rfind("@") > nodeid.rfind("]"):  # an xdist_group suffix
            return nodeid.rsplit("@", 1)[-1]
        return nodeid
