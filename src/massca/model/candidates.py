"""Candidate schedules for a negotiation (COHDA): what a unit, a cell or a battery could
do over the next H intervals, discretised into a few levels.

Belongs here: the documented discretisation. Not here: the negotiation (`cohda`).

* `band_candidates`: from one `Band` per interval (a unit's or a cell's flexibility,
  forecast for each interval). Level ``j`` of ``L`` puts every interval at the same
  fraction ``j / (L - 1)`` of its band (all at ``min`` for ``j = 0``, all at ``max`` for
  ``j = L - 1``; a single level is the present operating point). With ``seed`` given and
  H > 1, the inner levels are reshaped: each interval's fraction is drawn uniformly
  from ``[0, 1]`` with `massca.model.seeded` (stream: the level), so candidates differ in
  shape, not only in height.
* `storage_candidates`: a battery's schedules: level ``j`` holds, in every interval, the
  fraction ``j / (L - 1)`` of the band its state of charge then allows
  (`storage_band`), and its content follows with `charged`, so that every candidate is
  feasible for the whole horizon.
"""

from __future__ import annotations

from collections.abc import Sequence

from massca.errors import ConfigurationError
from massca.model.cohda import Schedule
from massca.model.seeded import uniforms
from massca.model.state import Band
from massca.model.storage import Storage, charged, storage_band

__all__ = ["band_candidates", "storage_candidates"]


def _check_levels(levels: int) -> None:
    if isinstance(levels, bool) or not isinstance(levels, int) or levels < 1:
        raise ConfigurationError(f"levels = {levels!r}: give a whole number of levels >= 1")


def _fractions(levels: int) -> tuple[float, ...]:
    if levels == 1:
        return ()
    return tuple(j / (levels - 1) for j in range(levels))


def band_candidates(
    bands: Sequence[Band], levels: int, seed: int | None = None
) -> tuple[Schedule, ...]:
    """The candidate schedules of a participant whose band in each interval is
    ``bands[t]`` (see the module docstring); duplicates are dropped, order kept."""
    _check_levels(levels)
    if not bands:
        raise ConfigurationError("candidates: give a band for each interval (horizon >= 1)")
    if levels == 1:
        return (tuple(b.current for b in bands),)
    horizon = len(bands)
    schedules = []
    for j, fraction in enumerate(_fractions(levels)):
        inner = 0 < j < levels - 1
        shape = (
            uniforms(seed, horizon, stream=j)
            if seed is not None and inner and horizon > 1
            else (fraction,) * horizon
        )
        schedules.append(
            tuple(b.min + f * (b.max - b.min) for b, f in zip(bands, shape, strict=True))
        )
    return tuple(dict.fromkeys(schedules))


def storage_candidates(
    battery: Storage, hours: float, horizon: int, levels: int
) -> tuple[Schedule, ...]:
    """A battery's candidate schedules over ``horizon`` intervals of ``hours`` (see the
    module docstring); duplicates are dropped, order kept."""
    _check_levels(levels)
    if isinstance(horizon, bool) or not isinstance(horizon, int) or horizon < 1:
        raise ConfigurationError(f"horizon = {horizon!r}: give a whole number of intervals >= 1")
    fractions = _fractions(levels) or (None,)
    schedules = []
    for fraction in fractions:
        state, schedule = battery, []
        for _ in range(horizon):
            band = storage_band(state, hours)
            power = (
                band.current if fraction is None else band.min + fraction * (band.max - band.min)
            )
            schedule.append(power)
            state = charged(state, power, hours)
        schedules.append(tuple(schedule))
    return tuple(dict.fromkeys(schedules))
