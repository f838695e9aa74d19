"""Seeded synthetic unit states for benchmarks, `massca bench` and tests.

Belongs here: reproducible made-up measurements for a `Hierarchy`. Not here: real
profiles (the scenario reads SimBench's). Randomness is injected as a seed; the same
(hierarchy, seed, step) always gives the same states, on every machine.

Units whose id contains ``gen`` are generators (a production band ``[0, available]``
with the output at or below what is available); every other unit is a flexible load (a
consumption band of +-20 % around its demand, within ``[0, rated]``); units whose id
contains ``bat`` are batteries (0.2 to 1 MW, 1 to 4 MWh, at a random state of charge and
power; their band for a 15-minute step, `massca.model.storage_band`). Sizes follow a
CIGRE MV cell: loads up to 2 MW, generators up to 3 MW.
"""

from __future__ import annotations

import random

from massca.model import Flexibility, Hierarchy, State, Storage, storage_band

STEP_HOURS = 0.25
"""The step a battery's band is made for (15 minutes)."""

__all__ = ["synthetic_priorities", "synthetic_states"]


def synthetic_states(hierarchy: Hierarchy, seed: int, step: int = 0) -> dict[str, State]:
    """States for every unit of ``hierarchy`` at ``step`` of the run seeded by ``seed``."""
    rng = random.Random(f"massca:{seed}:{step}")
    states: dict[str, State] = {}
    zero = Flexibility(0.0, 0.0, 0.0)
    for unit in hierarchy.units:
        if "bat" in unit:
            rating = rng.uniform(0.2, 1.0)
            battery = Storage.at_soc(
                rng.uniform(1.0, 4.0),
                rng.uniform(0.0, 1.0),
                rating,
                rating,
                charge_efficiency=0.95,
                discharge_efficiency=0.95,
                power=rng.uniform(-rating, rating),
            )
            states[unit] = State(storage=storage_band(battery, STEP_HOURS))
        elif "gen" in unit:
            available = rng.uniform(0.0, 3.0)
            output = available * rng.uniform(0.8, 1.0)
            states[unit] = State(Flexibility(0.0, available, output), zero)
        else:
            demand = rng.uniform(0.05, 2.0)
            band = Flexibility(0.8 * demand, 1.2 * demand, demand)
            states[unit] = State(zero, band)
    return states


def synthetic_priorities(hierarchy: Hierarchy, levels: int = 3) -> dict[str, float]:
    """Merit levels for every unit of ``hierarchy``: the number in its id modulo
    ``levels`` (``cell-0.gen-4`` -> 1.0 with three levels), so that each cell has units
    at every level."""
    return {unit: float(int(unit.rsplit("-", 1)[-1]) % levels) for unit in hierarchy.units}
