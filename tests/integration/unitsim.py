"""A small unit simulator for the mosaik tests: a unit follows a profile and obeys
``scale_factor`` within the same time step (a hybrid simulator triggered by it); a
``Units`` group does the same for several units with lists, obeying ``P_target[MW]``; a
``QuietUnits`` group reports by exception (`massca.scenario.reporting`): after obeying
its set-points it says nothing more in that time step."""

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
        "Units": {
            "public": True,
            "params": ["profiles", "bands"],
            "attrs": ["P[MW]", "P_min[MW]", "P_max[MW]", "P_target[MW]"],
            "trigger": ["P_target[MW]"],
        },
        "QuietUnits": {
            "public": True,
            "params": ["profiles", "bands"],
            "attrs": ["P[MW]", "P_min[MW]", "P_max[MW]", "P_target[MW]"],
            "trigger": ["P_target[MW]"],
            "non-persistent": ["P[MW]", "P_min[MW]", "P_max[MW]", "P_target[MW]"],
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
        self.groups: dict[str, list[dict[str, Any]]] = {}
        self.received: dict[str, list[tuple[int, Any]]] = {}
        self.quiet: set[str] = set()  # QuietUnits groups
        self.told: set[str] = set()  # groups given set-points in the present step

    def init(self, sid, time_resolution=1.0, step_size=900):
        self.step_size = step_size
        return self.meta

    def create(self, num, model, profile=(1.0,), band=(1.0, 1.0), obey=True, **group):
        if model in ("Units", "QuietUnits"):
            created = [self._group(group["profiles"], group["bands"]) for _ in range(num)]
            if model == "QuietUnits":
                self.quiet.update(c["eid"] for c in created)
            return [{**c, "type": model} for c in created]
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

    def _group(self, profiles, bands):
        eid = f"units-{len(self.groups)}"
        self.groups[eid] = [
            {"profile": list(p), "band": b, "p": 0.0, "natural": 0.0}
            for p, b in zip(profiles, bands, strict=True)
        ]
        self.received[eid] = []
        return {"eid": eid, "type": "Units"}

    def step(self, time, inputs, max_advance):
        self.told = {eid for eid, data in inputs.items() if data.get("P_target[MW]")}
        for eid, units in self.groups.items():
            targets = inputs.get(eid, {}).get("P_target[MW]")
            if targets:
                (values,) = targets.values()
                self.received[eid].append((time, list(values)))
            for i, unit in enumerate(units):
                if targets:
                    unit["p"] = values[i]
                elif time % self.step_size == 0 and not inputs.get(eid):
                    profile = unit["profile"]
                    unit["natural"] = unit["p"] = profile[(time // self.step_size) % len(profile)]
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
            if eid in self.quiet and eid in self.told:
                continue  # obeyed exactly: nothing new to report
            if eid in self.groups:
                units = self.groups[eid]
                values = {
                    "P[MW]": [u["p"] for u in units],
                    "P_min[MW]": [u["band"][0] * u["natural"] for u in units],
                    "P_max[MW]": [u["band"][1] * u["natural"] for u in units],
                }
                data[eid] = {a: values[a] for a in attrs if a in values}
                continue
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
