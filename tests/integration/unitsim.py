"""A small unit simulator for the mosaik tests: a unit follows a profile and obeys
``scale_factor`` within the same time step (a hybrid simulator triggered by it)."""

from __future__ import annotations

from typing import Any

import mosaik_api_v3

META = {
    "api_version": "3.0",
    "type": "hybrid",
    "models": {
        "Unit": {
            "public": True,
            "params": ["profile", "band", "obey"],
            "attrs": ["P[MW]", "P_min[MW]", "P_max[MW]", "scale_factor"],
            "trigger": ["scale_factor"],
        },
    },
}


class UnitSim(mosaik_api_v3.Simulator):
    """Each unit's natural output is ``profile[step % len(profile)]`` MW; its band is
    ``(low, high)`` fractions of that output. A ``scale_factor`` multiplies the present
    output within the time step (unless ``obey`` is False: a unit that ignores its
    set-points); every new time step starts from the profile again."""

    def __init__(self) -> None:
        super().__init__(META)
        self.units: dict[str, dict[str, Any]] = {}
        self.step_size = 900
        self.received: dict[str, list[tuple[int, float]]] = {}

    def init(self, sid, time_resolution=1.0, step_size=900):
        self.step_size = step_size
        return self.meta

    def create(self, num, model, profile=(1.0,), band=(1.0, 1.0), obey=True):
        created = []
        for _ in range(num):
            eid = f"unit-{len(self.units)}"
            self.units[eid] = {
                "profile": list(profile),
                "band": band,
                "p": 0.0,
                "natural": 0.0,
                "obey": obey,
            }
            self.received[eid] = []
            created.append({"eid": eid, "type": model})
        return created

    def step(self, time, inputs, max_advance):
        for eid, unit in self.units.items():
            factors = inputs.get(eid, {}).get("scale_factor")
            if factors:
                factor = next(iter(factors.values()))
                self.received[eid].append((time, factor))
                if unit["obey"]:
                    unit["p"] *= factor
            elif time % self.step_size == 0 and not inputs.get(eid):
                profile = unit["profile"]
                unit["natural"] = profile[(time // self.step_size) % len(profile)]
                unit["p"] = unit["natural"]
        if inputs:
            return None
        return time + self.step_size

    def get_data(self, outputs):
        data = {}
        for eid, attrs in outputs.items():
            unit = self.units[eid]
            low, high = unit["band"]
            values = {
                "P[MW]": unit["p"],
                "P_min[MW]": low * unit["natural"],
                "P_max[MW]": high * unit["natural"],
            }
            data[eid] = {a: values[a] for a in attrs if a in values}
        return data


if __name__ == "__main__":
    mosaik_api_v3.start_simulation(UnitSim())
