"""Flexibility bands and unit/cell states: the values every agent reports and aggregates.

Belongs here: the immutable value types and their validation. Not here: how states are
combined (`aggregation`), judged (`balance`) or changed (`redispatch`).

Units and signs: every number is active power in MW and a non-negative *magnitude*.
Production and consumption are separate bands, so a load never carries a negative sign;
the net balance of a state is ``production.current - consumption.current`` (positive:
surplus, the cell could export; negative: deficit, it must import).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from massca.model.errors import InvalidStateError
from massca.model.validation import is_real

__all__ = ["ZERO_FLEXIBILITY", "ZERO_STATE", "Flexibility", "State"]

_INF = math.inf
_new = object.__new__


def _band(triple: tuple[float, float, float], name: str) -> Flexibility:
    if len(triple) != 3:
        raise InvalidStateError(f"{name} must be a (min, max, current) triple, got {triple!r}")
    low, high, current = triple
    _check_band(low, high, current, f"{name}.")
    return Flexibility(float(low), float(high), float(current))


def _check_band(low: float, high: float, current: float, prefix: str) -> None:
    for field, value in (("min", low), ("max", high), ("current", current)):
        if not is_real(value):
            raise InvalidStateError(
                f"{prefix}{field} must be a number of MW, got {type(value).__name__} {value!r}"
            )
        if not math.isfinite(value):
            raise InvalidStateError(f"{prefix}{field} = {value!r}: must be a finite number of MW")
        if value < 0:
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
class Flexibility:
    """A band ``min <= current <= max`` of active power in MW, all finite and ``>= 0``.

    ``current`` is the present operating point (the measurement); ``min`` and ``max``
    bound where a redispatch may move it. Construction raises `InvalidStateError`
    naming the field and value if any invariant is broken; nothing is clipped. Values
    are stored as plain floats (ints and numpy floats are converted), negative zero as
    ``0.0``.
    """

    min: float
    max: float
    current: float

    def __init__(self, min: float, max: float, current: float) -> None:
        # Fast path: three floats in order, max finite (so all are; NaN fails every <=).
        if not (
            type(min) is float
            and type(max) is float
            and type(current) is float
            and 0.0 <= min <= current <= max < _INF
        ):
            _check_band(min, max, current, "")
            # ints, numpy floats and other float subclasses become plain floats
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


# The slots' own setters: they bypass the frozen ``__setattr__`` like ``object.__setattr__``
# but skip its lookup by name (measured: a band in 284 ns instead of 413 ns).
_set_min = Flexibility.__dict__["min"].__set__
_set_max = Flexibility.__dict__["max"].__set__
_set_current = Flexibility.__dict__["current"].__set__

ZERO_FLEXIBILITY = Flexibility(0.0, 0.0, 0.0)


@dataclass(frozen=True, slots=True, init=False)
class State:
    """What a unit, controller or cell reports: its production and consumption bands."""

    production: Flexibility
    consumption: Flexibility

    def __init__(
        self,
        production: Flexibility = ZERO_FLEXIBILITY,
        consumption: Flexibility = ZERO_FLEXIBILITY,
    ) -> None:
        if type(production) is not Flexibility or type(consumption) is not Flexibility:
            for name, value in (("production", production), ("consumption", consumption)):
                if not isinstance(value, Flexibility):
                    raise InvalidStateError(
                        f"State.{name} must be a Flexibility, got {type(value).__name__}"
                    )
        _set_production(self, production)
        _set_consumption(self, consumption)

    @property
    def balance(self) -> float:
        """Net power in MW: ``production.current - consumption.current`` (+ surplus)."""
        return self.production.current - self.consumption.current

    @classmethod
    def of(
        cls,
        production: tuple[float, float, float] = (0.0, 0.0, 0.0),
        consumption: tuple[float, float, float] = (0.0, 0.0, 0.0),
    ) -> State:
        """Build a state from ``(min, max, current)`` triples; errors name the band."""
        return cls(_band(production, "production"), _band(consumption, "consumption"))


_set_production = State.__dict__["production"].__set__
_set_consumption = State.__dict__["consumption"].__set__

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


def trusted_state(production: Flexibility, consumption: Flexibility) -> State:
    """A state built from two bands without re-checking them (see `trusted_flexibility`)."""
    state: State = _new(State)
    _set_production(state, production)
    _set_consumption(state, consumption)
    return state
