"""Unit groups: one mosaik entity standing for many unit agents, its values in arrays.

Belongs here: a group's params, reading its array inputs into the members' states and
writing its array outputs. Not here: the simulator's bookkeeping (`simulator`), the
conversion of one unit's values (`convert.unit_state`, `convert.storage_state`), which
both shapes share.

mosaik moves each attribute of each connection as one value with its own bookkeeping: a
cell of 27 units, connected one entity per unit, costs mosaik some 160 values per
iteration. A group (model ``Units``) is one entity for a list of units under one
controller; every attribute is a list with one value per member, in the order of the
``units`` param, so the same cell costs mosaik a handful of lists.

``Units.create(num, controller=<eid>, units=[...], priorities=[...])``: ``units`` lists
each member's band, ``'production'``, ``'consumption'`` or ``'storage'``; a group holds
batteries or production and consumption units, not both (their inputs differ). The
members are unit agents ``Agent_<n>`` like those created one by one, in list order,
under ``controller``; ``priorities`` (optional) are their merit levels.

Inputs, one source per attribute, each a list as long as ``units``: ``current``, and
optionally ``min`` and ``max`` (without them a unit has no flexibility), read as a
single unit's are (magnitudes in MW, snapped onto the band within `SNAP_RTOL`); for a
storage group `STORAGE_INPUTS` (``current`` signed; the optional ones may be left
unconnected). ``forecast`` (optional, production and consumption groups): per member a
list of ``[min, max, current]``, one per interval after this one, read like the present
values (`read_forecast`), for strategies that plan over a horizon. Outputs, lists in the
same order: ``P_target[MW]`` (each member's target: magnitudes for production and
consumption, signed for storage) and ``scale_factor`` (target over measurement, 1.0 for
a unit at 0 MW), both only while the MAS emits set-points, as for single units;
``current`` (the measurements the step used).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from massca.compat.mosaik.convert import (
    STORAGE_INPUTS,
    finite_magnitudes,
    magnitude,
    merit_level,
    scale_factor_mw,
    storage_state,
    unit_state,
)
from massca.model import ConfigurationError, State

__all__ = [
    "GROUP_ATTRS",
    "GROUP_MODEL",
    "UnitGroup",
    "group_outputs",
    "read_forecast",
    "read_group",
]

GROUP_MODEL = "Units"
GROUP_ATTRS = [
    "current",
    "min",
    "max",
    "forecast",
    *STORAGE_INPUTS,
    "P_target[MW]",
    "scale_factor",
]
_BANDS = ("production", "consumption", "storage")


@dataclass(frozen=True, slots=True)
class UnitGroup:
    """A group entity: its eid, its members' agent names and bands, in list order."""

    eid: str
    members: tuple[str, ...]
    bands: tuple[str, ...]

    @property
    def storage(self) -> bool:
        """Whether the group holds batteries (else production and consumption units)."""
        return self.bands[0] == "storage"

    @staticmethod
    def check_params(units: Any, priorities: Any) -> tuple[tuple[str, ...], list[float | None]]:
        """``units`` and ``priorities`` of ``create`` as bands and merit levels, or a
        `ConfigurationError` saying what is wrong."""
        if isinstance(units, str) or not isinstance(units, Sequence) or not units:
            raise ConfigurationError(
                f"create(units={units!r}): give a non-empty list of the members' bands, "
                "e.g. ['production', 'consumption']"
            )
        wrong = sorted({repr(u) for u in units if u not in _BANDS})
        if wrong:
            raise ConfigurationError(
                f"create(units=...): {', '.join(wrong)}: each member is 'production', "
                "'consumption' or 'storage'"
            )
        if "storage" in units and len(set(units)) > 1:
            raise ConfigurationError(
                "create(units=...): a group holds batteries or production and consumption "
                "units, not both (their inputs differ); create two groups"
            )
        if priorities is None:
            return tuple(units), [None] * len(units)
        if isinstance(priorities, str) or not isinstance(priorities, Sequence):
            raise ConfigurationError(
                f"create(priorities={priorities!r}): give a list of merit levels"
            )
        if len(priorities) != len(units):
            raise ConfigurationError(
                f"create(priorities=...): {len(priorities)} merit levels for "
                f"{len(units)} units; give one per unit"
            )
        return tuple(units), [merit_level(p) for p in priorities]


def read_group(
    group: UnitGroup,
    data: Mapping[str, Mapping[str, Any]],
    hours: float,
    time: int,
    into: dict[str, State],
) -> None:
    """The members' states from the group's inputs ``data``, written into ``into``, which
    holds the states the MAS knows (see `unit_state`). Errors name the group, the member
    and the time."""
    arrays = {
        attr: _array(group, attr, sources, time)
        for attr, sources in data.items()
        if attr != "forecast"
    }
    if "current" not in arrays:
        return
    members = group.members
    if group.storage:
        for i, member in enumerate(members):
            values = {attr: array[i] for attr, (_, array) in arrays.items()}
            into[member] = storage_state(member, values, hours, time)
        return
    source, currents = arrays["current"]
    lows = arrays.get("min")
    highs = arrays.get("max")
    if (lows is None) != (highs is None):
        raise ConfigurationError(
            f"unit group {group.eid!r}: connect both 'min' and 'max' or neither"
        )
    inputs = {"current": (source, currents)}
    if lows is not None and highs is not None:
        inputs |= {"min": lows, "max": highs}
    magnitudes = _magnitudes(members, inputs, time)
    for member, band, (low, high, current) in zip(members, group.bands, magnitudes, strict=True):
        into[member] = unit_state(member, band, low, high, current, time, into.get(member))


def _magnitudes(
    members: tuple[str, ...], inputs: Mapping[str, tuple[str, Sequence[Any]]], time: int
) -> Iterator[tuple[float, float, float]]:
    """Each member's ``(min, max, current)`` magnitudes, in member order, from the lists
    ``inputs`` (attr -> its source and list; without ``min`` and ``max`` the band is the
    current value). The lists are checked as a whole (`finite_magnitudes`); if that fails,
    value by value, so that a bad value raises when its member's turn comes, as it would
    for a unit entity."""
    checked = [finite_magnitudes(values) for _, values in inputs.values()]
    columns = [column for column in checked if column is not None]
    if len(columns) == len(checked):
        now, *band = columns
        low, high = band or (now, now)
        yield from zip(low, high, now, strict=True)
        return
    for i, member in enumerate(members):
        values = {
            attr: magnitude(member, attr, source, column[i], time)
            for attr, (source, column) in inputs.items()
        }
        current = values["current"]
        yield values.get("min", current), values.get("max", current), current


def read_forecast(
    group: UnitGroup,
    data: Mapping[str, Mapping[str, Any]],
    time: int,
    into: dict[str, tuple[State, ...]],
) -> None:
    """The members' forecasts from the group's ``forecast`` input, if connected, written
    into ``into``. Errors name the group, the member, the interval and the time."""
    sources = data.get("forecast")
    if sources is None:
        return
    if group.storage:
        raise ConfigurationError(
            f"unit group {group.eid!r}: a storage group takes no forecast (a battery's "
            "future band depends on what it is told)"
        )
    source, lists = _array(group, "forecast", sources, time)
    for i, member in enumerate(group.members):
        intervals = lists[i]
        if isinstance(intervals, str) or not isinstance(intervals, Sequence):
            raise ConfigurationError(
                f"unit group {group.eid!r} at time {time}: the forecast of {member!r} from "
                f"{source!r} is {intervals!r}, not a list of [min, max, current]"
            )
        states = []
        for t, values in enumerate(intervals, start=1):
            if isinstance(values, str) or not isinstance(values, Sequence) or len(values) != 3:
                raise ConfigurationError(
                    f"unit group {group.eid!r} at time {time}: interval {t} of the forecast "
                    f"of {member!r} is {values!r}, not [min, max, current]"
                )
            where = f"forecast[{t}]"
            low, high, current = (
                magnitude(member, f"{where} {name}", source, value, time)
                for name, value in zip(("min", "max", "current"), values, strict=True)
            )
            states.append(unit_state(member, group.bands[i], low, high, current, time, None))
        into[member] = tuple(states)


def _array(
    group: UnitGroup, attr: str, sources: Mapping[str, Any], time: int
) -> tuple[str, Sequence[Any]]:
    """The one source of ``attr`` and its list, checked for its length."""
    if len(sources) != 1:
        raise ConfigurationError(
            f"unit group {group.eid!r}: {attr} comes from {sorted(sources)}; connect one "
            "list per attribute"
        )
    ((source, values),) = sources.items()
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise ConfigurationError(
            f"unit group {group.eid!r} at time {time}: {attr} from {source!r} is "
            f"{type(values).__name__}, not a list with one value per unit"
        )
    if len(values) != len(group.members):
        raise ConfigurationError(
            f"unit group {group.eid!r} at time {time}: {attr} from {source!r} has "
            f"{len(values)} values for {len(group.members)} units"
        )
    return source, values


def group_outputs(
    group: UnitGroup,
    attrs: Sequence[str],
    measured: Mapping[str, State],
    targets: Mapping[str, State],
    emit_setpoints: bool,
) -> dict[str, list[float]]:
    """The group's outputs ``attrs``: lists in member order (see the module docstring)."""
    values: dict[str, list[float]] = {}
    for attr in attrs:
        if attr == "current":
            values[attr] = [_band(measured[m], b).current for m, b in _pairs(group)]
        elif attr == "P_target[MW]" and emit_setpoints:
            values[attr] = [_band(targets[m], b).current for m, b in _pairs(group)]
        elif attr == "scale_factor" and emit_setpoints:
            values[attr] = [
                scale_factor_mw(_band(measured[m], b).current, _band(targets[m], b).current)
                for m, b in _pairs(group)
            ]
    return values


def _pairs(group: UnitGroup) -> zip[tuple[str, str]]:
    return zip(group.members, group.bands, strict=True)


def _band(state: State, band: str) -> Any:
    return getattr(state, band)
