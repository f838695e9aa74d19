"""Conversions between mosaik's data and the model's values. Nothing here decides.

Belongs here: unit states from mosaik inputs (the default, without hooks), the
prototype's state dictionaries <-> `State`, and set-points -> ``scale_factor``.
Not here: the simulator's bookkeeping (`simulator`).

Default inputs of a unit agent (all in MW; several sources on one attribute are summed):

* ``current``: the unit's measured power. Its magnitude is used, so a generator may
  report negative power (``gen_neg``) as in the prototype.
* ``min`` and ``max``: the unit's flexibility band, from input attributes, else from the
  entity's ``min``/``max`` params given to ``create``, else ``[current, current]`` (no
  flexibility: the unit is measured and classified, never redispatched).

A measurement within ``SNAP_RTOL`` (relative) outside its band is snapped onto the band's
edge: a unit that applies ``scale_factor`` as ``current * target / current`` lands a unit
in the last place beside its target. Anything further outside is an error naming the
unit and the time.

Which band a unit feeds is the entity's ``unit`` param (``"production"``,
``"consumption"`` or ``"storage"``); without it, it is inferred from the connected
source's id as in the prototype (``load``, ``fl`` -> consumption; ``gen``, ``pv``,
``wind``, ``wecs`` -> production; ``bat``, ``stor`` -> storage), and an id that says
none of them is an error asking for ``unit=...``.

A storage unit's inputs (`STORAGE_INPUTS`) describe its battery instead of a band:
``current`` is its power in MW, *signed* (+ discharging, - charging), ``soc`` its state
of charge (a fraction of ``capacity``), ``capacity`` in MWh, ``charge_max`` and
``discharge_max`` in MW (>= 0), and optionally ``soc_min``, ``soc_max`` (default 0 and 1)
and ``charge_efficiency``, ``discharge_efficiency`` (default 1). Its band for the step is
`massca.model.storage_band` over the MAS's step length.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from massca.model import (
    ZERO_BAND,
    ZERO_FLEXIBILITY,
    Band,
    ConfigurationError,
    ExchangeLimits,
    Flexibility,
    InvalidStateError,
    State,
    Storage,
    storage_band,
)
from massca.model.validation import is_real

__all__ = [
    "BANDS",
    "SNAP_RTOL",
    "STORAGE_INPUTS",
    "band_params",
    "finite_magnitudes",
    "infer_band",
    "interface_params",
    "magnitude",
    "merit_level",
    "scale_factor",
    "scale_factor_mw",
    "seed_dict",
    "state_from_inputs",
    "state_from_seed",
    "states_from_inputs",
    "storage_state",
    "storage_state_from_inputs",
    "unit_state",
]

BANDS = ("production", "consumption")
SNAP_RTOL = 1e-9
"""Relative distance outside a band within which a measurement is snapped onto it."""
STORAGE_INPUTS = {
    "current": None,
    "soc": None,
    "capacity": None,
    "charge_max": None,
    "discharge_max": None,
    "soc_min": 0.0,
    "soc_max": 1.0,
    "charge_efficiency": 1.0,
    "discharge_efficiency": 1.0,
}
"""A storage unit's input attributes -> default (None: required); see the module doc."""
_REQUIRED_STORAGE_INPUTS = tuple(a for a, default in STORAGE_INPUTS.items() if default is None)
_WORDS = {
    "consumption": ("load", "fl"),
    "production": ("gen", "pv", "wind", "wecs"),
    "storage": ("bat", "stor"),
}


def infer_band(agent: str, sources: list[str]) -> str:
    """The band a unit feeds, from the ids of the entities connected to it."""
    names = " ".join(s.rsplit(".", 1)[-1].lower() for s in sources)
    said = [band for band, words in _WORDS.items() if any(word in names for word in words)]
    if len(said) == 1:
        return said[0]
    raise ConfigurationError(
        f"unit agent {agent!r}: cannot tell whether {sources or 'its sources'} produce, "
        "consume or store; create it with unit='production', 'consumption' or 'storage'"
    )


def _total(agent: str, attr: str, values: Mapping[str, Any], time: int) -> float:
    """The sum of the magnitudes of ``attr`` from each source."""
    return math.fsum(magnitude(agent, attr, source, v, time) for source, v in values.items())


def magnitude(agent: str, attr: str, source: str, value: Any, time: int) -> float:
    """``abs(value)`` as a float, or an `InvalidStateError` naming the unit, the
    attribute, the source and the time unless ``value`` is a finite number."""
    if type(value) is float and -math.inf < value < math.inf:  # the common case
        return abs(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidStateError(
            f"unit agent {agent!r} at time {time}: {attr} from {source!r} is "
            f"{value!r}, not a number of MW"
        )
    if not math.isfinite(value):
        raise InvalidStateError(
            f"unit agent {agent!r} at time {time}: {attr} from {source!r} is {value!r}; "
            "every measurement must be a finite number of MW"
        )
    return abs(float(value))


def finite_magnitudes(values: Sequence[Any]) -> list[float] | None:
    """`magnitude` of each of ``values``, checked as a whole: when all are floats with a
    finite sum (so none is infinite or NaN), the common case; else None (then check them
    one by one with `magnitude`, whose error names the bad one)."""
    if set(map(type, values)) == _FLOATS and -math.inf < sum(values) < math.inf:
        return list(map(abs, values))
    return None


_FLOATS = frozenset({float})


def _snapped(low: float, high: float, current: float) -> float:
    """``current`` moved onto the band's nearer edge if it lies within `SNAP_RTOL`
    (relative) outside ``[low, high]``; otherwise unchanged (and still outside)."""
    slack = SNAP_RTOL * max(abs(low), abs(high), 1.0)
    if high < current <= high + slack:
        return high
    if low - slack <= current < low:
        return low
    return current


def band_params(low: Any, high: Any) -> dict[str, float]:
    """A unit's ``min``/``max`` params of ``create`` as floats (absent ones left out);
    `ConfigurationError` unless each is a finite number of MW ``>= 0`` and
    ``min <= max``, so a bad band is refused when the agent is created."""
    params: dict[str, float] = {}
    for name, value in (("min", low), ("max", high)):
        if value is None:
            continue
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or not math.isfinite(value):
            raise ConfigurationError(f"create({name}={value!r}): give a finite number of MW")
        if value < 0:
            raise ConfigurationError(
                f"create({name}={value!r}): give the band's bound as a magnitude >= 0 in MW "
                "(unit='production' or 'consumption' says which way the power flows)"
            )
        params[name] = float(value) + 0.0
    if params.get("min", 0.0) > params.get("max", math.inf):
        raise ConfigurationError(f"create(min={low!r}, max={high!r}): min exceeds max")
    return params


def merit_level(priority: Any) -> float | None:
    """A unit's ``priority`` param of ``create`` (its merit level: lower is used first)
    as a float, or None; `ConfigurationError` unless it is a finite number."""
    if priority is None:
        return None
    number = isinstance(priority, int | float) and not isinstance(priority, bool)
    if not number or not math.isfinite(priority):
        raise ConfigurationError(f"create(priority={priority!r}): give a finite number")
    return float(priority) + 0.0


def interface_params(import_max: Any, export_max: Any) -> ExchangeLimits | None:
    """A cell's ``import_max``/``export_max`` params of ``create`` as its interface
    limits (an absent one is unlimited), or None if neither is given; `ConfigurationError`
    unless each is a number of MW ``>= 0``."""
    if import_max is None and export_max is None:
        return None
    limits = {}
    for name, value in (("import_max", import_max), ("export_max", export_max)):
        if value is None:
            continue
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or math.isnan(value) or value < 0:
            raise ConfigurationError(f"create({name}={value!r}): give a number of MW >= 0")
        limits[name] = float(value)
    return ExchangeLimits(**limits)


def state_from_inputs(
    agent: str,
    band: str,
    inputs: Mapping[str, Mapping[str, Any]],
    params: Mapping[str, float],
    time: int,
    known: State | None = None,
) -> State:
    """A unit's state from its mosaik inputs and its `band_params` (see the module
    docstring), with an error naming the unit, the attribute, the source and the time for
    every bad value; ``known`` as in `unit_state`."""
    current = _total(agent, "current", inputs["current"], time)
    low = (
        _total(agent, "min", inputs["min"], time) if "min" in inputs else params.get("min", current)
    )
    high = (
        _total(agent, "max", inputs["max"], time) if "max" in inputs else params.get("max", current)
    )
    return unit_state(agent, band, low, high, current, time, known)


def unit_state(
    agent: str,
    band: str,
    low: float,
    high: float,
    current: float,
    time: int,
    known: State | None = None,
) -> State:
    """A production or consumption unit's state from its band's magnitudes in MW, the one
    conversion both shapes of input (an entity per unit, a group's arrays) end in.

    A ``current`` within `SNAP_RTOL` outside ``[low, high]`` is snapped onto the band;
    anything invalid is an `InvalidStateError` naming the unit and the time. ``known``:
    the state the MAS holds for the unit (within a time step, the set-point it was told;
    else its last reading); a unit that reports exactly that, as units obeying their
    set-points do and units at rest (a dispatchable unit on standby, PV at night) do, gets
    that very `State` back instead of an equal new one.
    """
    if not low <= current <= high:
        current = _snapped(low, high, current)
    if known is not None and _is_unit_state(known, band, low, high, current):
        return known
    try:
        flexibility = Flexibility(low, high, current)
    except InvalidStateError as error:
        raise InvalidStateError(f"unit agent {agent!r} at time {time}: {error}") from None
    if band == "production":
        return State(flexibility, ZERO_FLEXIBILITY)
    return State(ZERO_FLEXIBILITY, flexibility)


def storage_state_from_inputs(
    agent: str, inputs: Mapping[str, Mapping[str, Any]], hours: float, time: int
) -> State:
    """A storage unit's state from its mosaik inputs (`STORAGE_INPUTS`, one source each):
    `storage_state` of their values."""
    values = {}
    for attr, sources in inputs.items():
        if attr not in STORAGE_INPUTS:
            continue
        if len(sources) != 1:
            raise ConfigurationError(
                f"storage unit agent {agent!r}: {attr} comes from {sorted(sources)}; "
                "connect one battery per storage agent"
            )
        (values[attr],) = sources.values()
    return storage_state(agent, values, hours, time)


def storage_state(agent: str, values: Mapping[str, Any], hours: float, time: int) -> State:
    """A storage unit's state from the values of its `STORAGE_INPUTS` (absent optional
    ones take their defaults): its battery's band for a step of ``hours``, the one
    conversion both shapes of input end in. Errors name the unit, the attribute and the
    time."""
    required = _REQUIRED_STORAGE_INPUTS
    missing = [a for a in required if a not in values]
    if missing:
        raise ConfigurationError(
            f"storage unit agent {agent!r} at time {time}: no input {', '.join(missing)}; "
            f"connect {', '.join(required)} (see the README's storage section)"
        )
    numbers: dict[str, float] = {}
    for attr, default in STORAGE_INPUTS.items():
        value = values.get(attr, default)
        if not is_real(value) or math.isnan(value):
            raise InvalidStateError(
                f"storage unit agent {agent!r} at time {time}: {attr} = {value!r}, not a number"
            )
        numbers[attr] = float(value)
    soc_min, soc_max = numbers["soc_min"], numbers["soc_max"]
    soc = _snapped(soc_min, soc_max, numbers["soc"])  # a simulator's rounding at the bounds
    try:
        battery = Storage.at_soc(
            numbers["capacity"],
            soc,
            numbers["charge_max"],
            numbers["discharge_max"],
            soc_min=soc_min,
            soc_max=soc_max,
            charge_efficiency=numbers["charge_efficiency"],
            discharge_efficiency=numbers["discharge_efficiency"],
            power=numbers["current"],
        )
        band = storage_band(battery, hours)
    except InvalidStateError as error:
        raise InvalidStateError(f"storage unit agent {agent!r} at time {time}: {error}") from None
    return State(storage=band)


def states_from_inputs(
    inputs: Mapping[str, Mapping[str, Mapping[str, Any]]],
    bands: Mapping[str, str],
    params: Mapping[str, Mapping[str, float]],
    time: int,
    into: dict[str, State],
) -> None:
    """`state_from_inputs` for every unit in ``bands`` that has a ``current`` input,
    written into ``into``, which holds the states the MAS knows (see `unit_state`); units
    without inputs keep what ``into`` holds."""
    for unit, band in bands.items():
        data = inputs.get(unit)
        if data is not None and "current" in data:
            known = into.get(unit)
            into[unit] = state_from_inputs(unit, band, data, params[unit], time, known)


def _is_unit_state(state: State, band: str, low: float, high: float, current: float) -> bool:
    """True if ``state`` equals the unit state these values make: ``band`` holds them,
    the other band is zero."""
    if band == "production":
        reported, other = state.production, state.consumption
    else:
        reported, other = state.consumption, state.production
    return (
        reported.current == current
        and reported.min == low
        and reported.max == high
        and other.max == 0.0  # so the other band is [0, 0] at 0
    )


def seed_dict(state: State) -> dict[str, dict[str, float]]:
    """A state as the prototype's dictionary ``{'production': {'min', 'max', 'current'}, ...}``
    (with a ``'storage'`` entry when the state has storage)."""
    bands: list[tuple[str, Band]] = [
        ("production", state.production),
        ("consumption", state.consumption),
    ]
    if state.storage != ZERO_BAND:
        bands.append(("storage", state.storage))
    return {band: {"min": b.min, "max": b.max, "current": b.current} for band, b in bands}


def state_from_seed(value: Any, agent: str, time: int, hook: str) -> State:
    """A hook's result: a `State`, or the prototype's dictionary (extra keys are ignored)."""
    if isinstance(value, State):
        return value
    try:
        production, consumption = (
            Flexibility(float(value[b]["min"]), float(value[b]["max"]), float(value[b]["current"]))
            for b in BANDS
        )
        stored = value.get("storage")
        storage = (
            ZERO_BAND
            if stored is None
            else Band(float(stored["min"]), float(stored["max"]), float(stored["current"]))
        )
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ConfigurationError(
            f"{hook} for agent {agent!r} at time {time} returned {value!r}: return a State or "
            "{'production': {'min', 'max', 'current'}, 'consumption': {...}} in MW "
            "(optionally 'storage': {...}, signed)"
        ) from error
    except InvalidStateError as error:
        raise InvalidStateError(f"{hook} for agent {agent!r} at time {time}: {error}") from None
    return State(production, consumption, storage)


def scale_factor(before: Band, after: Band) -> float:
    """The set-point as a factor of the present output: ``after / before`` (1.0 = keep).

    A unit at 0 MW cannot be scaled: its factor is 1.0 and its set-point is in the
    ``P_target[MW]`` output instead.
    """
    return scale_factor_mw(before.current, after.current)


def scale_factor_mw(before: float, after: float) -> float:
    """`scale_factor` from the two operating points in MW."""
    if before == 0.0:
        return 1.0
    return after / before
