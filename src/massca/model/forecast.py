"""Forecasts: the states a unit, a controller or a cell expects in the intervals after the
present one, for strategies that plan over a horizon (``cohda`` with ``horizon > 1``).

Belongs here: the rules that make a forecast of a given length (`padded`) and add up
children's forecasts (`combined`), and the horizon a strategy plans over
(`horizon_of`). Not here: where forecasts come from (the environment: the scenario gives
its units' profiles, a perfect foresight) or what a strategy does with them.

A forecast is a tuple of `State`, one per later interval of the horizon (``horizon - 1``
of them). A unit whose environment gives no forecast, or a shorter one, is forecast to
stay as it is for the intervals missing: its present state repeats (so a battery's band
is forecast as its present one). A parent's forecast for each interval is its children's
forecasts for that interval aggregated (`aggregate`, canonical order), exactly as its
present state aggregates theirs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from massca.model.aggregation import aggregate
from massca.model.state import State

__all__ = ["Forecast", "combined", "horizon_of", "padded"]

Forecast = tuple[State, ...]


def padded(state: State, forecast: Sequence[State], length: int) -> Forecast:
    """``forecast`` cut to ``length`` intervals, or filled up with ``state``."""
    given = tuple(forecast[:length])
    return given + (state,) * (length - len(given))


def combined(forecasts: Sequence[Forecast], length: int) -> Forecast:
    """Per interval, the aggregate of the children's ``forecasts`` (given in canonical
    order), each of ``length`` intervals."""
    return tuple(aggregate(f[t] for f in forecasts) for t in range(length))


def horizon_of(strategy: Any) -> int:
    """How many intervals ``strategy``'s between-cells decision plans over (1 unless it
    has a ``horizon``)."""
    horizon = getattr(strategy.between, "horizon", 1)
    return horizon if isinstance(horizon, int) and horizon > 1 else 1
