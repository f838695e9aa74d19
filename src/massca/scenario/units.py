"""PV, wind, flexible-load and dispatchable-generator simulators (mosaik_api_v3): the first
three driven by SimBench profiles, many units to an entity, their values in lists.

Belongs here: the scenario's unit simulator. Not here: the grid (the grid simulator) or
the agents.

Model ``Units``: a group of units (a cell's, or a controller's share of one), created
with ``units=[{"kind": ..., "rating": ..., "profile": ..., "flexibility": ...}, ...]``:
``kind`` one of `KINDS`, ``rating`` in MW, ``profile`` a profile of the simulator's
`Profiles` (not for a dispatchable unit), ``flexibility`` a load's shiftable share.
Every attribute is a list with one value per unit, in that order: mosaik moves a few
lists per group instead of a value per unit and attribute.

Each unit's *natural* output in a 15-minute slot is its profile value times its rating.
With ``horizon`` H > 1 (an init param), ``forecast`` gives each unit's ``[P_min, P_max,
P]`` for the H - 1 slots after the present one, from its profile (perfect foresight).
It reports ``P[MW]`` (its present output) and its flexibility band ``P_min[MW]`` /
``P_max[MW]``: ``[0, natural]`` for PV and wind (curtailable down to nothing), and
``natural * (1 -+ flexibility)`` for a load (it can shift that share). A dispatchable
generator (CHP, fuel cell) has no profile: it stands by at 0 MW and can run anywhere in
``[0, rating]`` (upward flexibility). For the grid, ``P_gen[MW]`` holds the generators'
output (0 for loads) and ``P_load[MW]`` the loads' (0 for generators). A ``P_target[MW]``
list arriving over the weak connection sets each unit's output, clamped into its band,
within the same time step; every new time step starts from the natural output (standby
for a dispatchable unit), and the MAS sends the units their set-points again in its first
iteration.

The simulator is *hybrid*: stepped every ``step_size`` seconds, and again at the same
time whenever set-points arrive (its trigger attribute).

With the init param ``report_by_exception`` (`massca.scenario.reporting`), an entity
whose units all carried out their set-points exactly reports only ``P_gen[MW]`` and
``P_load[MW]`` in that same-time step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import mosaik_api_v3
import numpy as np

from massca.model import ConfigurationError
from massca.scenario.profiles import SLOT_SECONDS, Profiles
from massca.scenario.reporting import by_exception

__all__ = ["KINDS", "META", "UnitSimulator"]

KINDS = ("pv", "wind", "load", "dispatchable")
"""The kinds of unit the simulator has."""

META: dict[str, Any] = {
    "api_version": "3.0",
    "type": "hybrid",
    "models": {
        "Units": {
            "public": True,
            "params": ["units"],
            "attrs": [
                "P[MW]",
                "P_min[MW]",
                "P_max[MW]",
                "P_gen[MW]",
                "P_load[MW]",
                "P_target[MW]",
                "forecast",
            ],
            "trigger": ["P_target[MW]"],
        }
    },
}


@dataclass(frozen=True, slots=True)
class _Units:
    """Units' fixed parameters as arrays, one element per unit."""

    rows: np.ndarray  # each unit's row in the simulator's profile matrix
    rating: np.ndarray
    flexibility: np.ndarray  # a load's shiftable share, 0 for the others
    is_load: np.ndarray
    is_dispatchable: np.ndarray

    def band_of(self, natural: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The units' ``(P_min, P_max)`` in MW at their natural output ``natural``."""
        is_load, share = self.is_load, self.flexibility
        low = np.where(is_load, natural * (1.0 - share), 0.0)
        profiled = np.where(is_load, natural * (1.0 + share), natural)
        high = np.where(self.is_dispatchable, self.rating, profiled)
        return low, high

    def __getitem__(self, units: slice) -> _Units:
        """The units of an entity: a view, no copy."""
        return _Units(*(getattr(self, name)[units] for name in _UNIT_FIELDS))

    def __add__(self, more: _Units) -> _Units:
        """These units followed by ``more``."""
        return _Units(*(np.concatenate([getattr(self, n), getattr(more, n)]) for n in _UNIT_FIELDS))


_UNIT_FIELDS = tuple(f.name for f in fields(_Units))
_NO_UNITS = _Units(
    np.zeros(0, dtype=int), np.zeros(0), np.zeros(0), np.zeros(0, bool), np.zeros(0, bool)
)

_INJECTIONS = ("P_gen[MW]", "P_load[MW]")
"""What an entity outputs for the grid, also when it reports by exception."""


class UnitSimulator(mosaik_api_v3.Simulator):  # type: ignore[misc]
    """``Units`` entities; see the module docstring.

    All entities' units are held together, an entity's units being a slice of them, so
    that a time step's arithmetic (natural outputs, bands, the grid's injections) is one
    array operation for all units, not one per entity.
    """

    def __init__(self) -> None:
        super().__init__(META)
        self.step_size = 900
        self.entities: dict[str, slice] = {}  # eid -> its units
        self._units = _NO_UNITS
        self._band = (np.zeros(0), np.zeros(0))  # every unit's (P_min, P_max) now
        self._p = np.zeros(0)  # every unit's output
        self._names: list[str] = []  # the profile matrix's rows: profiles, then standby
        self._matrix = np.zeros((1, 1))
        self.horizon = 1
        self._slot = 0
        self._by_exception = False
        self._obeyed: set[str] = set()  # entities that carried out their set-points exactly

    def init(
        self,
        sid: str,
        time_resolution: float = 1.0,
        profiles: Any = None,
        step_size: int = 900,
        horizon: int = 1,
        report_by_exception: bool = False,
    ) -> dict[str, Any]:
        if not isinstance(profiles, Profiles):
            raise ConfigurationError(
                "UnitSimulator needs profiles=massca.scenario.profiles.Profiles"
            )
        self._names = list(profiles.values)
        slots = min(len(v) for v in profiles.values.values())
        standby = np.zeros(slots)
        self._matrix = np.vstack([v[:slots] for v in profiles.values.values()] + [standby])
        self.step_size = step_size
        if isinstance(horizon, bool) or not isinstance(horizon, int) or horizon < 1:
            raise ConfigurationError(f"UnitSimulator horizon = {horizon!r}: a whole number >= 1")
        self.horizon = horizon
        self._by_exception = bool(report_by_exception)
        if self._by_exception:
            self.meta = by_exception(self.meta, _INJECTIONS)
        return self.meta  # type: ignore[no-any-return]

    def create(self, num: int, model: str, units: Any = None) -> list[dict[str, Any]]:
        specs = self._checked(units)
        kinds = [spec["kind"] for spec in specs]
        standby = len(self._names)
        group = _Units(
            rows=np.array(
                [
                    standby if s["kind"] == "dispatchable" else self._names.index(s["profile"])
                    for s in specs
                ]
            ),
            rating=np.array([float(s["rating"]) for s in specs]),
            flexibility=np.array([float(s.get("flexibility", 0.0)) for s in specs]),
            is_load=np.array([k == "load" for k in kinds]),
            is_dispatchable=np.array([k == "dispatchable" for k in kinds]),
        )
        created = []
        for _ in range(num):
            eid = f"{model}-{len(self.entities)}"
            first = len(self._units.rows)
            self._units += group
            self.entities[eid] = slice(first, first + len(specs))
            created.append({"eid": eid, "type": model})
        count = len(self._units.rows)
        self._p = np.zeros(count)
        self._band = (np.zeros(count), np.zeros(count))
        return created

    def _checked(self, units: Any) -> list[Mapping[str, Any]]:
        """``units`` of ``create``, or a `ConfigurationError` naming the unit and field."""
        if isinstance(units, str) or not isinstance(units, Sequence) or not units:
            raise ConfigurationError(
                f"Units(units={units!r}): give a non-empty list of units, e.g. "
                "[{'kind': 'pv', 'rating': 1.0, 'profile': 'pv'}]"
            )
        for i, spec in enumerate(units):
            if not isinstance(spec, Mapping) or spec.get("kind") not in KINDS:
                raise ConfigurationError(f"Units unit {i}: {spec!r} needs a kind of {KINDS}")
            rating = spec.get("rating")
            number = isinstance(rating, int | float) and not isinstance(rating, bool)
            if not number or not 0.0 <= rating < float("inf"):
                raise ConfigurationError(f"Units unit {i}: rating = {rating!r}, give MW >= 0")
            if spec["kind"] != "dispatchable" and spec.get("profile") not in self._names:
                raise ConfigurationError(
                    f"Units unit {i}: unknown profile {spec.get('profile')!r}: {self._names}"
                )
        return list(units)

    def step(self, time: int, inputs: dict[str, Any], max_advance: int) -> int | None:
        if inputs:  # a same-time step: set-points from the MAS
            low, high = self._band
            for eid, data in inputs.items():
                targets = data.get("P_target[MW]")
                if targets:
                    units = self.entities[eid]
                    (values,) = targets.values()
                    asked = np.asarray(values, dtype=float)
                    self._p[units] = np.clip(asked, low[units], high[units])
                    if self._by_exception and np.array_equal(self._p[units], asked):
                        self._obeyed.add(eid)
                    else:
                        self._obeyed.discard(eid)
            return None
        self._obeyed.clear()
        self._slot = slot = time // SLOT_SECONDS
        natural = self._matrix[self._units.rows, slot] * self._units.rating
        self._band = self._units.band_of(natural)
        self._p = natural  # every time step starts from the natural output
        return time + self.step_size

    def get_data(self, outputs: dict[str, list[str]]) -> dict[str, dict[str, list[float]]]:
        p, (low, high), is_load = self._p, self._band, self._units.is_load
        every = {
            "P[MW]": p,
            "P_min[MW]": low,
            "P_max[MW]": high,
            "P_gen[MW]": np.where(is_load, 0.0, p),
            "P_load[MW]": np.where(is_load, p, 0.0),
        }
        data = {}
        for eid, attrs in outputs.items():
            units = self.entities[eid]
            if eid in self._obeyed:  # reports by exception: nothing new for the MAS
                attrs = [attr for attr in attrs if attr in _INJECTIONS]
            data[eid] = {attr: every[attr][units].tolist() for attr in attrs if attr in every}
            if "forecast" in attrs:
                data[eid]["forecast"] = self._forecast(self._units[units])
        return data

    def _forecast(self, units: _Units) -> list[list[list[float]]]:
        """Per unit, ``[P_min, P_max, P]`` for each of the ``horizon - 1`` slots after the
        present one: its natural output then (standby for a dispatchable unit), a perfect
        foresight; past the profiles' end the last slot repeats."""
        last = self._matrix.shape[1] - 1
        ahead = []
        for k in range(1, self.horizon):
            natural = self._matrix[units.rows, min(self._slot + k, last)] * units.rating
            low, high = units.band_of(natural)
            ahead.append(np.stack([low, high, natural], axis=1))
        if not ahead:
            return [[] for _ in units.rows]
        return np.stack(ahead, axis=1).tolist()  # type: ignore[no-any-return]
