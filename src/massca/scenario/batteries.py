"""A battery simulator for mosaik (mosaik_api_v3): many batteries in one simulator, each
integrating its state of charge step by step and obeying set-points within its limits.

Belongs here: the mosaik API around `massca.model.storage` (the physics: `Storage`,
`storage_band`, `charged`). Not here: deciding set-points (the MAS does).

Model ``Battery``; params: ``capacity`` (MWh, > 0), ``soc`` (the start state of charge,
a fraction), ``charge_max`` and ``discharge_max`` (MW), optionally ``soc_min``,
``soc_max`` (default 0 and 1) and ``charge_efficiency``, ``discharge_efficiency``
(default 1, applied on the way in and on the way out). A bad value is refused when the
battery is created, naming it and the field.

Every time step starts idle (0 MW) and reports the state of charge at its start. A
set-point arriving in the same time step (``P_target[MW]``, signed: + discharging, or a
``scale_factor`` of the present power) is clamped into the band the state of charge
allows for the step (`storage_band`) and held; when the next time step begins, the
content is updated with the power held (`charged`).

Outputs: ``P[MW]`` (signed, + discharging), ``P_discharge[MW]`` and ``P_charge[MW]``
(both >= 0: connect them to a bus's ``P_gen[MW]`` and ``P_load[MW]`` in
mosaik-pandapower-2, which has no storage element of its own), ``soc``, ``E[MWh]``, and
the parameters under the names a massca storage unit agent reads (``capacity``,
``charge_max``, ``discharge_max``, ``soc_min``, ``soc_max``, ``charge_efficiency``,
``discharge_efficiency``).

The simulator is *hybrid*: stepped every ``step_size`` seconds, and again at the same
time whenever a set-point arrives (its trigger attributes).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import mosaik_api_v3

from massca.model import ConfigurationError, InvalidStateError, Storage, charged, storage_band

__all__ = ["META", "PARAMETERS", "BatterySimulator"]

PARAMETERS = (
    "capacity",
    "charge_max",
    "discharge_max",
    "soc_min",
    "soc_max",
    "charge_efficiency",
    "discharge_efficiency",
)
"""A battery's parameters, output under these names for a massca storage unit agent."""

META: dict[str, Any] = {
    "api_version": "3.0",
    "type": "hybrid",
    "models": {
        "Battery": {
            "public": True,
            "params": ["soc", *PARAMETERS],
            "attrs": [
                "P[MW]",
                "P_discharge[MW]",
                "P_charge[MW]",
                "soc",
                "E[MWh]",
                *PARAMETERS,
                "P_target[MW]",
                "scale_factor",
            ],
            "trigger": ["P_target[MW]", "scale_factor"],
        }
    },
}


class BatterySimulator(mosaik_api_v3.Simulator):  # type: ignore[misc]
    """Battery entities; see the module docstring."""

    def __init__(self) -> None:
        super().__init__(META)
        self.step_size = 900
        self.time_resolution = 1.0
        self.batteries: dict[str, Storage] = {}
        self.time: int | None = None  # the time step the batteries' powers belong to

    def init(self, sid: str, time_resolution: float = 1.0, step_size: int = 900) -> dict[str, Any]:
        if isinstance(step_size, bool) or not isinstance(step_size, int) or step_size < 1:
            raise ConfigurationError(f"step_size = {step_size!r}: a whole number of steps >= 1")
        self.step_size = step_size
        self.time_resolution = float(time_resolution)
        return self.meta  # type: ignore[no-any-return]

    def create(
        self,
        num: int,
        model: str,
        capacity: float,
        soc: float,
        charge_max: float,
        discharge_max: float,
        soc_min: float = 0.0,
        soc_max: float = 1.0,
        charge_efficiency: float = 1.0,
        discharge_efficiency: float = 1.0,
    ) -> list[dict[str, Any]]:
        created = []
        for _ in range(num):
            eid = f"Battery-{len(self.batteries)}"
            try:
                battery = Storage.at_soc(
                    capacity,
                    soc,
                    charge_max,
                    discharge_max,
                    soc_min=soc_min,
                    soc_max=soc_max,
                    charge_efficiency=charge_efficiency,
                    discharge_efficiency=discharge_efficiency,
                )
            except InvalidStateError as error:
                raise InvalidStateError(f"battery {eid}: {error}") from None
            self.batteries[eid] = battery
            created.append({"eid": eid, "type": model})
        return created

    def _hours(self, steps: int) -> float:
        return steps * self.time_resolution / 3600.0

    def step(self, time: int, inputs: dict[str, Any], max_advance: int) -> int | None:
        if self.time is not None and time > self.time:  # a new time step: settle the last
            hours = self._hours(time - self.time)
            self.batteries = {
                eid: replace(charged(b, b.power, hours), power=0.0)
                for eid, b in self.batteries.items()
            }
        new_step = self.time != time
        self.time = time
        hours = self._hours(self.step_size)
        for eid, data in inputs.items():
            battery = self.batteries[eid]
            targets = data.get("P_target[MW]")
            if targets:
                power = float(sum(targets.values()))
            elif data.get("scale_factor"):
                power = battery.power * float(next(iter(data["scale_factor"].values())))
            else:
                continue
            band = storage_band(battery, hours)
            self.batteries[eid] = replace(battery, power=min(max(power, band.min), band.max))
        return time + self.step_size if new_step else None

    def get_data(self, outputs: dict[str, list[str]]) -> dict[str, dict[str, float]]:
        data = {}
        for eid, attrs in outputs.items():
            battery = self.batteries[eid]
            power = battery.power
            values = {
                "P[MW]": power,
                "P_discharge[MW]": max(power, 0.0),
                "P_charge[MW]": max(-power, 0.0),
                "soc": battery.soc,
                "E[MWh]": battery.content,
            }
            data[eid] = {
                attr: values[attr] if attr in values else getattr(battery, attr)
                for attr in attrs
                if attr in values or attr in PARAMETERS
            }
        return data
