"""Flexibility bands and unit/cell states: the values every agent reports and aggregates.

Belongs here: the immutable value types and their validation. Not here: how states are
combined (`aggregation`), judged (`balance`) or changed (`redispatch`), or how a
battery's band follows from its state of charge (`storage`).

Units and signs: every number is active power in MW. Production and consumption are
separate bands of non-negative *magnitudes* (`Flexibility`), so a load never carries a
negative sign. Storage is a signed `Band`: positive while discharging (power into the
cell, like production), negative while charging (like consumption). The net balance of
a state is ``production.current - consumption.current + storage.current`` (positive:
surplus, the cell could export; negative: deficit, it must import).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from massca.errors import InvalidStateError
from massca.model.validation import is_real

__all__ = [
    "MAX_MW",
    "ZERO_BAND",
    "ZERO_FLEXIBILITY",
    "ZERO_STATE",
    "Band",
    "Flexibility",
    "State",
    "pinned",
]

MAX_MW = 1e12
"""The largest magnitude a band holds, in MW: some 10^5 times the world's generating
capacity. Bigger numbers are mix-ups (W for MW) or garbage, and near the float's limit
(1.8e308) they would overflow the sums of aggregation."""
_new = object.__new__


def _band(triple: tuple[float, float, float], name: str, signed: bool = False) -> Band:
    if len(triple) != 3:
        raise InvalidStateError(f"{name} must be a (min, max, current) triple, got {triple!r}")
    low, high, current = triple
    _check_band(low, high, current, f"{name}.", signed)
    kind = Band if signed else Flexibility
    return kind(float(low), float(high), float(current))


def _check_band(low: float, high: float, current: float, prefix: str, signed: bool = False) -> None:
    for field, value in (("min", low), ("max", high), ("current", current)):
        if not is_real(value):
            raise InvalidStateError(
                f"{prefix}{field} must be a number of MW, got {type(value).__name__} {value!r}"
            )
        if not math.isfinite(value):
            raise InvalidStateError(f"{prefix}{field} = {value!r}: must be a finite number of MW")
        if abs(value) > MAX_MW:
            raise InvalidStateError(
                f"{prefix}{field} = {value!r}: beyond {MAX_MW:g} MW (`MAX_MW`); is the value in MW?"
            )
        if value < 0 and not signed:
            raise InvalidStateError(
                f"{prefix}{field} = {value!r}: must be >= 0 (magnitudes in MW; put a load's "
                "power in `consumption`, a generator's in `production`)"
            )
    if low > high:
        raise InvalidStateError(f"{prefix}min = {low!r} exceeds {prefix}max = {high!r}")
    if not low <= current <= high:
        raise InvalidStateError(
            f"{prefix}current = {current!r} lies outside [{prefix}min, {prefix}max] = "
            f"[{low!r}, {high!r}]: widen the band or report the measurement inside it"
        )


@dataclass(frozen=True, slots=True, init=False)
class Band:
    """A band ``min <= current <= max`` of active power in MW, of any sign, each value
    finite and at most `MAX_MW` in magnitude.

    ``current`` is the present operating point (the measurement); ``min`` and ``max``
    bound where a redispatch may move it. A state's storage is a `Band` (+ discharging,
    - charging); production and consumption are `Flexibility`, the non-negative kind.
    Construction raises `InvalidStateError` naming the field and value if an invariant is
    broken; nothing is clipped. Values are stored as plain floats (ints and numpy floats
    are converted), negative zero as ``0.0``.
    """

    min: float
    max: float
    current: float

    def __init__(self, min: float, max: float, current: float) -> None:
        # Fast path: three floats in order within ±MAX_MW (NaN fails every <=).
        if not (
            type(min) is float
            and type(max) is float
            and type(current) is float
            and -MAX_MW <= min <= current <= max <= MAX_MW
        ):
            _check_band(min, max, current, "", signed=True)
            min, max, current = float(min), float(max), float(current)
        _set_min(self, min + 0.0)  # + 0.0: -0.0 becomes 0.0
        _set_max(self, max + 0.0)
        _set_current(self, current + 0.0)

    @property
    def headroom_up(self) -> float:
        """MW by which ``current`` can still rise: ``max - current`` (``>= 0``)."""
        return self.max - self.current

    @property
    def headroom_down(self) -> float:
        """MW by which ``current`` can still fall: ``current - min`` (``>= 0``)."""
        return self.current - self.min


@dataclass(frozen=True, slots=True, init=False)
class Flexibility(Band):
    """A `Band` of magnitudes: ``0 <= min <= current <= max``, all finite (production and
    consumption; see `Band` for the rest of the contract)."""

    def __init__(self, min: float, max: float, current: float) -> None:
        # Fast path: three floats in order, max at most MAX_MW (NaN fails every <=).
        if not (
            type(min) is float
            and type(max) is float
            and type(current) is float
            and 0.0 <= min <= current <= max <= MAX_MW
        ):
            _check_band(min, max, current, "")
            # ints, numpy floats and other float subclasses become plain floats
            min, max, current = float(min), float(max), float(current)
        _set_min(self, min + 0.0)  # + 0.0: -0.0 becomes 0.0
        _set_max(self, max + 0.0)
        _set_current(self, current + 0.0)


# The slots' own setters: they bypass the frozen ``__setattr__`` like ``object.__setattr__``
# but skip its lookup by name (measured: a band in 284 ns instead of 413 ns). `Flexibility`
# adds no slots, so they set its fields too.
_set_min = Band.__dict__["min"].__set__
_set_max = Band.__dict__["max"].__set__
_set_current = Band.__dict__["current"].__set__

ZERO_FLEXIBILITY = Flexibility(0.0, 0.0, 0.0)
ZERO_BAND = Band(0.0, 0.0, 0.0)


@dataclass(frozen=True, slots=True, init=False)
class State:
    """What a unit, controller or cell reports: its production, consumption and storage
    bands (storage is zero for units without it)."""

    production: Flexibility
    consumption: Flexibility
    storage: Band

    def __init__(
        self,
        production: Flexibility = ZERO_FLEXIBILITY,
        consumption: Flexibility = ZERO_FLEXIBILITY,
        storage: Band = ZERO_BAND,
    ) -> None:
        if type(production) is not Flexibility or type(consumption) is not Flexibility:
            for name, value in (("production", production), ("consumption", consumption)):
                if not isinstance(value, Flexibility):
                    raise InvalidStateError(
                        f"State.{name} must be a Flexibility, got {type(value).__name__}"
                    )
        if type(storage) is not Band:
            if not isinstance(storage, Band):
                raise InvalidStateError(
                    f"State.storage must be a Band, got {type(storage).__name__}"
                )
            storage = trusted_band(storage.min, storage.max, storage.current)
        _set_production(self, production)
        _set_consumption(self, consumption)
        _set_storage(self, storage)

    @property
    def balance(self) -> float:
        """Net power in MW: ``production.current - consumption.current + storage.current``
        (+ surplus)."""
        return self.production.current - self.consumption.current + self.storage.current

    @property
    def extent(self) -> float:
        """The largest magnitude among the bands' bounds, in MW: a scale for rounding."""
        storage = self.storage
        return max(self.production.max, self.consumption.max, storage.max, -storage.min)

    @classmethod
    def of(
        cls,
        production: tuple[float, float, float] = (0.0, 0.0, 0.0),
        consumption: tuple[float, float, float] = (0.0, 0.0, 0.0),
        storage: tuple[float, float, float] = (0.0, 0.0, 0.0),
    ) -> State:
        """Build a state from ``(min, max, current)`` triples; errors name the band."""
        return cls(
            _band(production, "production"),  # type: ignore[arg-type]
            _band(consumption, "consumption"),  # type: ignore[arg-type]
            _band(storage, "storage", signed=True),
        )


_set_production = State.__dict__["production"].__set__
_set_consumption = State.__dict__["consumption"].__set__
_set_storage = State.__dict__["storage"].__set__

ZERO_STATE = State()


def trusted_flexibility(low: float, high: float, current: float) -> Flexibility:
    """A band built without validation, for model code whose arithmetic guarantees
    ``0 <= low <= current <= high`` (sums of valid bands, moves clamped into a band).

    Not public: user input always goes through `Flexibility`, which validates.
    """
    band: Flexibility = _new(Flexibility)
    _set_min(band, low)
    _set_max(band, high)
    _set_current(band, current)
    return band


def trusted_band(low: float, high: float, current: float) -> Band:
    """A signed `Band` built without validation (see `trusted_flexibility`)."""
    band: Band = _new(Band)
    _set_min(band, low)
    _set_max(band, high)
    _set_current(band, current)
    return band


def moved[B: Band](band: B, current: float) -> B:
    """``band`` (of its own kind) with its operating point at ``current``, unvalidated:
    for model code that keeps ``current`` inside ``[band.min, band.max]``."""
    result: B = _new(type(band))
    _set_min(result, band.min)
    _set_max(result, band.max)
    _set_current(result, current)
    return result


def pinned(state: State) -> State:
    """``state`` without flexibility: each band's min and max at its operating point."""
    p, c, s = state.production, state.consumption, state.storage
    return trusted_state(
        trusted_flexibility(p.current, p.current, p.current),
        trusted_flexibility(c.current, c.current, c.current),
        trusted_band(s.current, s.current, s.current),
    )


def trusted_state(
    production: Flexibility, consumption: Flexibility, storage: Band = ZERO_BAND
) -> State:
    """A state built from its bands without re-checking them (see `trusted_flexibility`)."""
    state: State = _new(State)
    _set_production(state, production)
    _set_consumption(state, consumption)
    _set_storage(state, storage)
    return state
