"""A battery simulator for mosaik (mosaik_api_v3): many batteries in one simulator, each
integrating its state of charge step by step and obeying set-points within its limits.

Belongs here: the mosaik API around `massca.model.storage` (the physics: `Storage`,
`storage_band`, `charged`). Not here: deciding set-points (the MAS does).

Model ``Battery``; params: ``capacity`` (MWh, > 0), ``soc`` (the start state of charge,
a fraction), ``charge_max`` and ``discharge_max`` (MW), optionally ``soc_min``,
``soc_max`` (default 0 and 1) and ``charge_efficiency``, ``discharge_efficiency``
(default 1, applied on the way in and on the way out). A bad value is refused when the
battery is created, naming it and the field. Model ``Batteries``: a bank of batteries in
one entity, ``batteries=[{<a Battery's params>}, ...]``, whose attributes are lists with
one value per battery, in that order (mosaik then moves a few lists instead of a value per
battery and attribute; massca's unit groups read them).

Every time step starts idle (0 MW) and reports the state of charge at its start. A
set-point arriving in the same time step (``P_target[MW]``, signed: + discharging, or,
for a ``Battery``, a ``scale_factor`` of the present power) is clamped into the band the
state of charge allows for the step (`storage_band`) and held; when the next time step
begins, the content is updated with the power held (`charged`, which keeps the content
within its bounds). A set-point within `ROUNDING` of the band is held as asked: whoever
computes the band from the reported state of charge (``content / capacity``, times
``capacity`` again) can land a rounding error beside its edges.

Outputs: ``P[MW]`` (signed, + discharging), ``P_discharge[MW]`` and ``P_charge[MW]``
(both >= 0: connect them to a bus's ``P_gen[MW]`` and ``P_load[MW]``, since
mosaik-pandapower-2 has no storage element of its own), ``soc``, ``E[MWh]``, and the
parameters under the names a massca storage unit agent reads (``capacity``,
``charge_max``, ``discharge_max``, ``soc_min``, ``soc_max``, ``charge_efficiency``,
``discharge_efficiency``).

The simulator is *hybrid*: stepped every ``step_size`` seconds, and again at the same
time whenever a set-point arrives (its trigger attributes).

With the init param ``report_by_exception`` (`massca.scenario.reporting`), an entity
whose batteries all hold exactly the power they were set to reports only
``P_discharge[MW]`` and ``P_charge[MW]`` in that same-time step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import mosaik_api_v3

from massca.model import (
    Band,
    ConfigurationError,
    InvalidStateError,
    Storage,
    charged,
    storage_band,
)
from massca.scenario.reporting import by_exception

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

ROUNDING = 1e-12
"""How far, relative to the band's largest bound (or 1 MW), a set-point may lie outside
the band and still be held as asked (a rounding error, not a request beyond it)."""
_INJECTIONS = ("P_discharge[MW]", "P_charge[MW]")
"""What an entity outputs for the grid, also when it reports by exception."""
_ATTRS = [
    "P[MW]",
    *_INJECTIONS,
    "soc",
    "E[MWh]",
    *PARAMETERS,
    "P_target[MW]",
]
META: dict[str, Any] = {
    "api_version": "3.0",
    "type": "hybrid",
    "models": {
        "Battery": {
            "public": True,
            "params": ["soc", *PARAMETERS],
            "attrs": [*_ATTRS, "scale_factor"],
            "trigger": ["P_target[MW]", "scale_factor"],
        },
        "Batteries": {
            "public": True,
            "params": ["batteries"],
            "attrs": _ATTRS,
            "trigger": ["P_target[MW]"],
        },
    },
}


class BatterySimulator(mosaik_api_v3.Simulator):  # type: ignore[misc]
    """``Battery`` and ``Batteries`` entities; see the module docstring."""

    def __init__(self) -> None:
        super().__init__(META)
        self.step_size = 900
        self.time_resolution = 1.0
        # entity -> its batteries (one: a Battery) as the time step began: their content
        # and parameters (their ``power`` is what they held in the step before, unused)
        self.banks: dict[str, list[Storage]] = {}
        self.powers: dict[str, list[float]] = {}  # entity -> what its batteries hold now
        self._listed: set[str] = set()  # the Batteries entities, whose values are lists
        self.time: int | None = None  # the time step the batteries' powers belong to
        self._by_exception = False
        self._obeyed: set[str] = set()  # entities that hold exactly their set-points

    def init(
        self,
        sid: str,
        time_resolution: float = 1.0,
        step_size: int = 900,
        report_by_exception: bool = False,
    ) -> dict[str, Any]:
        if isinstance(step_size, bool) or not isinstance(step_size, int) or step_size < 1:
            raise ConfigurationError(f"step_size = {step_size!r}: a whole number of steps >= 1")
        self.step_size = step_size
        self.time_resolution = float(time_resolution)
        self._by_exception = bool(report_by_exception)
        if self._by_exception:
            self.meta = by_exception(self.meta, _INJECTIONS)
        return self.meta  # type: ignore[no-any-return]

    def create(self, num: int, model: str, **params: Any) -> list[dict[str, Any]]:
        created = []
        for _ in range(num):
            eid = f"{model}-{len(self.banks)}"
            if model == "Batteries":
                specs = params.get("batteries")
                if isinstance(specs, str) or not isinstance(specs, Sequence) or not specs:
                    raise ConfigurationError(
                        f"Batteries(batteries={specs!r}): give a non-empty list of batteries' "
                        "params, e.g. [{'capacity': 1.2, 'soc': 0.5, 'charge_max': 0.6, "
                        "'discharge_max': 0.6}]"
                    )
                self.banks[eid] = [_battery(f"{eid}[{i}]", spec) for i, spec in enumerate(specs)]
                self._listed.add(eid)
            else:
                self.banks[eid] = [_battery(eid, params)]
            self.powers[eid] = [b.power for b in self.banks[eid]]
            created.append({"eid": eid, "type": model})
        return created

    def battery(self, eid: str) -> Storage:
        """The battery of the ``Battery`` entity ``eid`` as it is now (the power it holds)."""
        (battery,) = self.banks[eid]
        (power,) = self.powers[eid]
        return replace(battery, power=power)

    def _hours(self, steps: int) -> float:
        return steps * self.time_resolution / 3600.0

    def step(self, time: int, inputs: dict[str, Any], max_advance: int) -> int | None:
        if self.time is not None and time > self.time:  # a new time step: settle the last
            hours = self._hours(time - self.time)
            for eid, bank in self.banks.items():
                powers = self.powers[eid]
                self.banks[eid] = [charged(b, p, hours) for b, p in zip(bank, powers, strict=True)]
                self.powers[eid] = [0.0] * len(bank)  # every time step starts idle
        new_step = self.time != time
        if new_step:
            self._obeyed.clear()
        self.time = time
        hours = self._hours(self.step_size)
        for eid, data in inputs.items():
            bank = self.banks[eid]
            powers = self._setpoints(eid, bank, data)
            if powers is None:
                continue
            held = [_held(p, storage_band(b, hours)) for b, p in zip(bank, powers, strict=True)]
            exact = held == powers
            self.powers[eid] = held
            if self._by_exception and exact and not new_step:
                self._obeyed.add(eid)
            else:
                self._obeyed.discard(eid)
        return time + self.step_size if new_step else None

    def _setpoints(self, eid: str, bank: list[Storage], data: dict[str, Any]) -> list[float] | None:
        """The powers the set-points in ``data`` ask of ``bank``'s batteries, if any."""
        targets = data.get("P_target[MW]")
        if eid in self._listed:
            if not targets:
                return None
            (values,) = targets.values()
            if len(values) != len(bank):
                raise ConfigurationError(
                    f"{eid}: P_target[MW] has {len(values)} values for {len(bank)} batteries"
                )
            return [float(v) for v in values]
        if targets:
            return [float(sum(targets.values()))]
        if data.get("scale_factor"):
            return [self.powers[eid][0] * float(next(iter(data["scale_factor"].values())))]
        return None

    def get_data(self, outputs: dict[str, list[str]]) -> dict[str, dict[str, Any]]:
        data = {}
        for eid, attrs in outputs.items():
            bank = self.banks[eid]
            wanted = [attr for attr in attrs if attr in _OUTPUTS or attr in PARAMETERS]
            if eid in self._obeyed:  # reports by exception: nothing new for the MAS
                wanted = [attr for attr in wanted if attr in _INJECTIONS]
            powers = self.powers[eid]
            if eid in self._listed:
                data[eid] = {attr: _outputs(bank, powers, attr) for attr in wanted}
            else:
                data[eid] = {attr: _outputs(bank, powers, attr)[0] for attr in wanted}
        return data


_OUTPUTS = ("P[MW]", "P_discharge[MW]", "P_charge[MW]", "soc", "E[MWh]")
"""The outputs besides the batteries' `PARAMETERS`."""


def _held(power: float, band: Band) -> float:
    """The power a battery holds when set to ``power`` with ``band`` for the step: it,
    clamped into the band unless it lies within `ROUNDING` of it."""
    slack = ROUNDING * max(abs(band.min), abs(band.max), 1.0)
    if band.min - slack <= power <= band.max + slack:
        return power
    return min(max(power, band.min), band.max)


def _outputs(bank: list[Storage], powers: list[float], attr: str) -> list[float]:
    """The output ``attr`` (one of `_OUTPUTS` or `PARAMETERS`) of each battery of
    ``bank``, which hold ``powers``."""
    if attr == "P[MW]":
        return list(powers)
    if attr == "P_discharge[MW]":
        return [max(p, 0.0) for p in powers]
    if attr == "P_charge[MW]":
        return [max(-p, 0.0) for p in powers]
    if attr == "soc":
        return [b.soc for b in bank]
    if attr == "E[MWh]":
        return [b.content for b in bank]
    return [float(getattr(b, attr)) for b in bank]


def _battery(name: str, params: Any) -> Storage:
    """The battery ``params`` describe (a ``Battery``'s params), or an error naming it."""
    if not isinstance(params, dict):
        raise ConfigurationError(f"battery {name}: {params!r} is no mapping of its params")
    unknown = sorted(set(params) - {"soc", *PARAMETERS})
    if unknown:
        raise ConfigurationError(f"battery {name}: unknown param(s) {', '.join(unknown)}")
    missing = [p for p in ("capacity", "soc", "charge_max", "discharge_max") if p not in params]
    if missing:
        raise ConfigurationError(f"battery {name}: no {', '.join(missing)}")
    rest = {k: v for k, v in params.items() if k not in ("capacity", "soc")}
    try:
        return Storage.at_soc(params["capacity"], params["soc"], **rest)
    except InvalidStateError as error:
        raise InvalidStateError(f"battery {name}: {error}") from None
