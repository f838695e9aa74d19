"""Orders: what a parent tells its children to do, and how a unit carries it out.

Belongs here: the three kinds of order and how each applies itself to a state
(``order.applied_to(state, level)``, `apply_order`).
Not here: how an order is chosen (the strategies in `between` and `within`).

* `Instruction`: per band, the *fraction* of headroom to use, in ``[-1, 1]`` (positive:
  towards ``max``, negative: towards ``min``). Meant for everything below the receiver:
  a controller passes it on unchanged, so every unit of the subtree moves by the same
  fraction. A parent's headroom is the sum of its children's, so the children's moves
  sum to the parent's (conservation), each stays inside its band (bounds), and a unit's
  target does not depend on the shape of the tree above it (tree-shape invariance), bit
  for bit. The `global` strategy and the `proportional` within-cell strategy use it.
* `Share`: per band, an absolute change in MW of the receiver's operating point (of the
  sum of its subtree's). A controller that receives one divides it among its children
  with its within-cell strategy; a unit moves its ``current`` by it.
* `MeritInstruction`: per band, a merit *level* and a fraction. Every unit of the
  subtree below that level uses all of its headroom in the fraction's direction, units
  at the level use the fraction, units above it stay. Passed on unchanged like an
  `Instruction`; the `merit` within-cell strategy uses it, so that units are used in
  the order of their levels whatever the tree between them and their cell.

Every application keeps ``min <= current <= max`` exactly: a move is clamped into the
band, and a `Share` beyond a band's headroom by more than float rounding
(``REDISPATCH_RTOL``) raises `InfeasibleRedispatchError`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from massca.errors import ConfigurationError, InfeasibleRedispatchError
from massca.model.redispatch import REDISPATCH_RTOL
from massca.model.state import Band, State, moved, trusted_state
from massca.model.validation import is_real

__all__ = [
    "NO_CHANGE",
    "NO_SHARE",
    "Instruction",
    "MeritInstruction",
    "MeritStep",
    "Order",
    "Share",
    "apply",
    "apply_order",
    "change_between",
    "decompose",
    "instruction_for",
    "share_of",
]


def _fraction_field(owner: str, field: str, value: object) -> float:
    if not (is_real(value) and -1.0 <= value <= 1.0):  # type: ignore[operator]
        raise ConfigurationError(f"{owner}.{field} = {value!r}: must be a fraction in [-1, 1]")
    return float(value)  # type: ignore[arg-type]


_BANDS = ("production", "consumption", "storage")
_INF = math.inf


@dataclass(frozen=True, slots=True)
class Instruction:
    """Per band, the fraction of headroom to use: in ``[-1, 1]``, + towards ``max``."""

    production: float = 0.0
    consumption: float = 0.0
    storage: float = 0.0

    def __post_init__(self) -> None:
        p, c, s = self.production, self.consumption, self.storage
        if (  # fast path: three float fractions
            type(p) is float
            and type(c) is float
            and type(s) is float
            and -1.0 <= p <= 1.0
            and -1.0 <= c <= 1.0
            and -1.0 <= s <= 1.0
        ):
            return
        for field in _BANDS:
            value = _fraction_field("Instruction", field, getattr(self, field))
            object.__setattr__(self, field, value)

    @property
    def is_no_change(self) -> bool:
        """True when applying this instruction leaves every state as it is."""
        return self.production == 0.0 and self.consumption == 0.0 and self.storage == 0.0

    def applied_to(self, state: State, level: float = 0.0) -> State:
        """``state`` with each band's ``current`` moved by its fraction (``level`` is
        unused: every unit moves alike). A zero fraction leaves a band untouched."""
        production, consumption, storage = self.production, self.consumption, self.storage
        if production == 0.0 and consumption == 0.0 and storage == 0.0:
            return state
        return trusted_state(  # a zero fraction keeps its band (without a call)
            _move(state.production, production) if production else state.production,
            _move(state.consumption, consumption) if consumption else state.consumption,
            _move(state.storage, storage) if storage else state.storage,
        )


NO_CHANGE = Instruction()


@dataclass(frozen=True, slots=True)
class Share:
    """Per band, the change of the receiver's operating point in MW (+ raises ``current``).

    For a controller or cell, the change of the sum of its subtree's operating points.
    Both values must be finite.
    """

    production: float = 0.0
    consumption: float = 0.0
    storage: float = 0.0

    def __post_init__(self) -> None:
        p, c, s = self.production, self.consumption, self.storage
        if (  # fast path: three finite floats (NaN fails every comparison)
            type(p) is float
            and type(c) is float
            and type(s) is float
            and -_INF < p < _INF
            and -_INF < c < _INF
            and -_INF < s < _INF
        ):
            _set_share_production(self, p + 0.0)  # + 0.0: -0.0 becomes 0.0
            _set_share_consumption(self, c + 0.0)
            _set_share_storage(self, s + 0.0)
            return
        for field in _BANDS:
            value = getattr(self, field)
            if not (is_real(value) and math.isfinite(value)):
                raise ConfigurationError(f"Share.{field} = {value!r}: must be a finite MW value")
            object.__setattr__(self, field, float(value) + 0.0)

    @property
    def is_no_change(self) -> bool:
        """True when this share moves nothing."""
        return self.production == 0.0 and self.consumption == 0.0 and self.storage == 0.0

    def applied_to(self, state: State, level: float = 0.0) -> State:
        """``state`` with each band's ``current`` moved by the share (``level`` is
        unused); `InfeasibleRedispatchError` beyond a band's headroom."""
        if self.is_no_change:
            return state
        return trusted_state(
            _shift(state.production, self.production, "production"),
            _shift(state.consumption, self.consumption, "consumption"),
            _shift(state.storage, self.storage, "storage"),
        )


_set_share_production = Share.__dict__["production"].__set__
_set_share_consumption = Share.__dict__["consumption"].__set__
_set_share_storage = Share.__dict__["storage"].__set__

NO_SHARE = Share()

MeritStep = tuple[float, float] | None
"""One band of a `MeritInstruction`: ``(level, fraction)``, or None for no move."""


@dataclass(frozen=True, slots=True)
class MeritInstruction:
    """Per band, ``(level, fraction)`` or None (no move); see the module docstring.

    ``fraction`` is in ``[-1, 1]`` and not zero; its sign is the direction for every unit
    at or below ``level`` (lower levels are used first).
    """

    production: MeritStep = None
    consumption: MeritStep = None
    storage: MeritStep = None

    def __post_init__(self) -> None:
        for field in _BANDS:
            step = getattr(self, field)
            if step is None:
                continue
            level, fraction = step
            fraction = _fraction_field("MeritInstruction", field, fraction)
            if fraction == 0.0 or not math.isfinite(level):
                raise ConfigurationError(
                    f"MeritInstruction.{field} = {step!r}: give a finite level and a "
                    "non-zero fraction, or None for no move"
                )
            object.__setattr__(self, field, (float(level), fraction))

    @property
    def is_no_change(self) -> bool:
        """True when this instruction moves no unit."""
        return self.production is None and self.consumption is None and self.storage is None

    def fractions_at(self, level: float) -> Instruction:
        """The `Instruction` a unit at merit ``level`` carries out."""
        return Instruction(
            _at(self.production, level), _at(self.consumption, level), _at(self.storage, level)
        )

    def applied_to(self, state: State, level: float = 0.0) -> State:
        """``state`` of a unit at merit ``level`` after this instruction."""
        return self.fractions_at(level).applied_to(state)


Order = Instruction | Share | MeritInstruction
"""Anything a parent may tell a child to do."""


def _at(step: MeritStep, level: float) -> float:
    if step is None:
        return 0.0
    threshold, fraction = step
    if level < threshold:
        return 1.0 if fraction > 0.0 else -1.0
    if level == threshold:
        return fraction
    return 0.0


def instruction_for(share: Share, state: State) -> Instruction:
    """The instruction that moves ``state`` by ``share``, as fractions of its headroom.

    Raises `InfeasibleRedispatchError` if a change exceeds the band's headroom by more
    than float rounding (``REDISPATCH_RTOL``): the share was made for another state.
    """
    return Instruction(
        _fraction(share.production, state.production, "production"),
        _fraction(share.consumption, state.consumption, "consumption"),
        _fraction(share.storage, state.storage, "storage"),
    )


def apply(instruction: Instruction, state: State) -> State:
    """The state after ``instruction``: each band's ``current`` moved by its fraction.

    The result stays inside every band exactly; a zero fraction leaves a band untouched.
    """
    return instruction.applied_to(state)


def apply_order(order: Order, state: State, level: float = 0.0) -> State:
    """The state after ``order`` (``order.applied_to``); ``level`` is the merit level of
    the unit (used by a `MeritInstruction` only). `InfeasibleRedispatchError` for a
    `Share` beyond the band's headroom."""
    if not isinstance(order, Instruction | Share | MeritInstruction):
        raise ConfigurationError(
            f"not an order: {order!r} (give an Instruction, Share or MeritInstruction)"
        )
    return order.applied_to(state, level)


def share_of(order: Order, state: State, level: float = 0.0) -> Share:
    """The change, in MW, that ``order`` makes to ``state``."""
    if type(order) is Share:
        return order
    return change_between(state, apply_order(order, state, level))


def change_between(before: State, after: State) -> Share:
    """The `Share` that moves ``before`` to ``after`` (only ``current`` counts)."""
    return Share(
        after.production.current - before.production.current,
        after.consumption.current - before.consumption.current,
        after.storage.current - before.storage.current,
    )


def decompose(instruction: Instruction, children: Mapping[str, State]) -> dict[str, State]:
    """Each child's target state under a parent's ``instruction`` (same fraction for all).

    The children's deltas sum to the parent's delta, each target lies in its child's
    bands, and a unit gets the same target at any depth of the tree.
    """
    return {child: apply(instruction, state) for child, state in children.items()}


def _room(delta: float, band: Band, name: str) -> float:
    """The band's headroom in the direction of ``delta``; `InfeasibleRedispatchError`
    if ``|delta|`` exceeds it by more than float rounding."""
    room = band.headroom_up if delta > 0 else band.headroom_down
    size = abs(delta)
    if size > room * (1.0 + REDISPATCH_RTOL) + REDISPATCH_RTOL:
        direction = "raise" if delta > 0 else "lower"
        raise InfeasibleRedispatchError(
            f"cannot {direction} {name} by {size!r} MW: only {room!r} MW of headroom "
            f"(band [{band.min!r}, {band.max!r}], current {band.current!r})"
        )
    return room


def _fraction(delta: float, band: Band, name: str) -> float:
    if delta == 0.0:
        return 0.0
    room = _room(delta, band, name)
    fraction = min(abs(delta) / room, 1.0) if room > 0.0 else 0.0
    return fraction if delta > 0 else -fraction


def _shift[B: Band](band: B, delta: float, name: str) -> B:
    if delta == 0.0:
        return band
    _room(delta, band, name)
    target = min(max(band.current + delta, band.min), band.max)  # rounding stays inside
    return moved(band, target + 0.0)


def _move[B: Band](band: B, fraction: float) -> B:
    # Every branch keeps min <= current <= max: the new current is clamped into the band.
    low, high, current = band.min, band.max, band.current
    if fraction == 0.0 or (high == current if fraction > 0.0 else low == current):
        return band
    if fraction >= 1.0:
        return moved(band, high)
    if fraction <= -1.0:
        return moved(band, low)
    if fraction > 0.0:
        target = min(current + fraction * (high - current), high)
    else:
        target = max(current + fraction * (current - low), low)
    return moved(band, target + 0.0)
