"""Report by exception: how the scenario's unit and battery simulators spare the MAS a
step that would only confirm what it already knows.

Belongs here: `by_exception`, the mosaik meta of a simulator that reports by exception.
Not here: deciding what a unit reports (`massca.scenario.units`,
`massca.scenario.batteries`) or how the MAS reads it (`massca.compat.mosaik.simulator`).

The contract, for a simulator created with ``report_by_exception=True``: in a same-time
step (set-points arrived) in which every unit of an entity carried out its set-point
exactly, the entity outputs only what the grid needs (its injections), not its report to
the MAS (power, band, state of charge, forecast). The MAS told it that power, and a
band does not change within a time step, so there is nothing to report; mosaik then does
not step the MAS again in that time step, and the mosaik shell takes a unit that says
nothing in a same-time iteration to hold its set-point. A unit that could not carry out
its set-point exactly (clamped into its band) reports, and the MAS iterates as before.
The MAS's own model makes the step it skips a no-op (deciding again on the targets
changes nothing: ``property_tests/test_strategy_laws.py``), so results change only by
the float rounding of recomputing the same sums (at most 4e-15 MW on the default day);
over a simulated network (`massca.model.network`) that step is a second round that can
make up for lost messages, so the main job reports by exception only without one.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

__all__ = ["by_exception"]


def by_exception(meta: dict[str, Any], injections: Collection[str]) -> dict[str, Any]:
    """A copy of the mosaik ``meta`` for reporting by exception: in every model, the
    ``injections`` are persistent (a consumer is handed their last value) and every other
    attribute an event (absent from a step that did not output it)."""
    return {
        **meta,
        "models": {
            name: {
                **model,
                "persistent": [a for a in model["attrs"] if a in injections],
                "non-persistent": [a for a in model["attrs"] if a not in injections],
            }
            for name, model in meta["models"].items()
        },
    }
