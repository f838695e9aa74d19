"""PV, wind, flexible-load and dispatchable-generator simulators (mosaik_api_v3): the first
three driven by SimBench profiles.

Belongs here: the scenario's unit simulator. Not here: the grid (mosaik-pandapower-2) or
the agents.

Each unit's *natural* output in a 15-minute slot is its profile value times its rating.
It reports ``P[MW]`` (its present output) and its flexibility band ``P_min[MW]`` /
``P_max[MW]``: ``[0, natural]`` for PV and wind (curtailable down to nothing), and
``natural * (1 -+ flexibility)`` for a load (it can shift that share). A dispatchable
generator (CHP, fuel cell) has no profile: it stands by at 0 MW and can run anywhere in
``[0, rating]`` (upward flexibility). A ``scale_factor`` arriving over the weak
connection multiplies the present output within the same time step, a ``P_target[MW]``
replaces it (clamped into the band: how a unit at 0 MW is started); every new time step
starts from the natural output (standby for a dispatchable unit), and the MAS sends the
unit its set-point again in its first iteration.

The simulator is *hybrid*: stepped every ``step_size`` seconds, and again at the same
time whenever a set-point arrives (its trigger attributes).
"""

from __future__ import annotations

from typing import Any

import mosaik_api_v3

from massca.scenario.profiles import Profiles

__all__ = ["META", "UnitSimulator"]

META: dict[str, Any] = {
    "api_version": "3.0",
    "type": "hybrid",
    "models": {
        kind: {
            "public": True,
            "params": ["rating", "profile", "flexibility"],
            "attrs": ["P[MW]", "P_min[MW]", "P_max[MW]", "scale_factor", "P_target[MW]"],
            "trigger": ["scale_factor", "P_target[MW]"],
        }
        for kind in ("PV", "Wind", "Load", "Dispatchable")
    },
}


class UnitSimulator(mosaik_api_v3.Simulator):  # type: ignore[misc]
    """PV, Wind and Load entities; see the module docstring."""

    def __init__(self) -> None:
        super().__init__(META)
        self.profiles: Profiles | None = None
        self.step_size = 900
        self.units: dict[str, dict[str, Any]] = {}

    def init(
        self, sid: str, time_resolution: float = 1.0, profiles: Any = None, step_size: int = 900
    ) -> dict[str, Any]:
        if not isinstance(profiles, Profiles):
            raise ValueError("UnitSimulator needs profiles=massca.scenario.profiles.Profiles")
        self.profiles = profiles
        self.step_size = step_size
        return self.meta  # type: ignore[no-any-return]

    def create(
        self, num: int, model: str, rating: float, profile: str = "", flexibility: float = 0.0
    ) -> list[dict[str, Any]]:
        assert self.profiles is not None
        if model != "Dispatchable" and profile not in self.profiles.values:
            raise ValueError(f"unknown profile {profile!r}: {sorted(self.profiles.values)}")
        created = []
        for _ in range(num):
            eid = f"{model}-{len(self.units)}"
            self.units[eid] = {
                "model": model,
                "rating": float(rating),
                "profile": profile,
                "flexibility": float(flexibility),
                "natural": 0.0,
                "p": 0.0,
            }
            created.append({"eid": eid, "type": model})
        return created

    def step(self, time: int, inputs: dict[str, Any], max_advance: int) -> int | None:
        assert self.profiles is not None
        if inputs:  # a same-time step: set-points from the MAS
            for eid, data in inputs.items():
                unit = self.units[eid]
                targets = data.get("P_target[MW]")
                factors = data.get("scale_factor")
                if targets:
                    low, high = self._band(unit)
                    unit["p"] = min(max(next(iter(targets.values())), low), high)
                elif factors:
                    unit["p"] *= next(iter(factors.values()))
            return None
        at = self.profiles.at
        for unit in self.units.values():
            if unit["model"] == "Dispatchable":
                unit["natural"] = unit["p"] = 0.0  # standby
            else:
                unit["natural"] = unit["p"] = at(unit["profile"], time) * unit["rating"]
        return time + self.step_size

    @staticmethod
    def _band(unit: dict[str, Any]) -> tuple[float, float]:
        """The unit's ``(P_min, P_max)`` in MW for the present time step."""
        natural = unit["natural"]
        if unit["model"] == "Load":
            share = unit["flexibility"]
            return natural * (1.0 - share), natural * (1.0 + share)
        if unit["model"] == "Dispatchable":
            return 0.0, unit["rating"]
        return 0.0, natural

    def get_data(self, outputs: dict[str, list[str]]) -> dict[str, dict[str, float]]:
        data = {}
        for eid, attrs in outputs.items():
            unit = self.units[eid]
            low, high = self._band(unit)
            values = {"P[MW]": unit["p"], "P_min[MW]": low, "P_max[MW]": high}
            data[eid] = {attr: values[attr] for attr in attrs if attr in values}
        return data
