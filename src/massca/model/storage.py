"""Storage: a battery's state of charge, the power band it offers for the next step, and
how a set-point changes its content.

Belongs here: `Storage` (a battery's parameters and its present content and power), its
band for a step (`storage_band`) and the state-of-charge update (`charged`), all pure.
Not here: how a band is used (the strategies see it as ``State.storage``).

Units and signs: energy in MWh, power in MW, step lengths in hours. Power is signed as
in `massca.model.state`: positive while discharging (into the grid), negative while
charging (from the grid).

The update, for a step of ``hours`` at power ``p`` (first clamped into the step's band):

* charging (``p < 0``): the content rises by ``-p * hours * charge_efficiency``;
* discharging (``p > 0``): the content falls by ``p * hours / discharge_efficiency``.

So efficiency is applied on the way in and on the way out: 1 MWh drawn from the grid
stores ``charge_efficiency`` MWh, and 1 MWh delivered to the grid takes
``1 / discharge_efficiency`` MWh out of the battery.

The band for a step is the power that keeps the content inside
``[soc_min, soc_max] * capacity`` over the whole step, within the power limits:
``max = min(discharge_max, (content - soc_min * capacity) * discharge_efficiency /
hours)``, ``min = -min(charge_max, (soc_max * capacity - content) /
(charge_efficiency * hours))``; its ``current`` is the battery's power clamped into it
(a battery that was charging and is now full holds 0 MW). A full battery's band has
``min = 0`` (it cannot charge), an empty one's ``max = 0``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from massca.errors import InvalidStateError
from massca.model.state import Band
from massca.model.validation import field_names, finite_fields, is_real

__all__ = ["Storage", "charged", "storage_band"]


@dataclass(frozen=True, slots=True)
class Storage:
    """A battery: its parameters, its energy ``content`` and the ``power`` it holds.

    ``capacity`` in MWh, ``> 0``; ``content`` in MWh, within ``[soc_min, soc_max] *
    capacity``; ``charge_max`` and ``discharge_max`` in MW, ``>= 0``; ``soc_min <=
    soc_max`` in ``[0, 1]``; efficiencies in ``(0, 1]``; ``power`` in MW (+ discharging),
    finite. Any other value raises `InvalidStateError` naming the field.
    """

    capacity: float
    content: float
    charge_max: float
    discharge_max: float
    soc_min: float = 0.0
    soc_max: float = 1.0
    charge_efficiency: float = 1.0
    discharge_efficiency: float = 1.0
    power: float = 0.0

    def __post_init__(self) -> None:
        finite_fields(
            self,
            -math.inf,
            lambda name, value: InvalidStateError(
                f"storage {name} = {value!r}: must be a finite number"
            ),
        )
        if self.capacity <= 0:
            raise InvalidStateError(f"storage capacity = {self.capacity!r}: must be > 0 MWh")
        for name in ("charge_max", "discharge_max"):
            if getattr(self, name) < 0:
                raise InvalidStateError(
                    f"storage {name} = {getattr(self, name)!r}: must be >= 0 MW"
                )
        for name in ("charge_efficiency", "discharge_efficiency"):
            if not 0 < getattr(self, name) <= 1:
                raise InvalidStateError(
                    f"storage {name} = {getattr(self, name)!r}: must be in (0, 1]"
                )
        if not 0 <= self.soc_min <= self.soc_max <= 1:
            raise InvalidStateError(
                f"storage soc_min = {self.soc_min!r}, soc_max = {self.soc_max!r}: need "
                "0 <= soc_min <= soc_max <= 1"
            )
        if not self.lowest <= self.content <= self.highest:
            raise InvalidStateError(
                f"storage content = {self.content!r} MWh (state of charge {self.soc!r}) lies "
                f"outside [soc_min, soc_max] = [{self.soc_min!r}, {self.soc_max!r}]"
            )

    @classmethod
    def at_soc(
        cls, capacity: float, soc: float, charge_max: float, discharge_max: float, **rest: float
    ) -> Storage:
        """A battery whose content is ``soc * capacity`` (other fields as `Storage`)."""
        if not (is_real(soc) and math.isfinite(soc)) or not is_real(capacity):
            raise InvalidStateError(
                f"storage state of charge = {soc!r}, capacity = {capacity!r}: must be numbers"
            )
        return cls(capacity, soc * capacity, charge_max, discharge_max, **rest)

    @property
    def soc(self) -> float:
        """The state of charge: ``content / capacity``."""
        return self.content / self.capacity

    @property
    def lowest(self) -> float:
        """The least content allowed, in MWh: ``soc_min * capacity``."""
        return self.soc_min * self.capacity

    @property
    def highest(self) -> float:
        """The most content allowed, in MWh: ``soc_max * capacity``."""
        return self.soc_max * self.capacity


def _check_hours(hours: float) -> float:
    if not (is_real(hours) and math.isfinite(hours) and hours > 0):
        raise InvalidStateError(f"step length = {hours!r} h: must be a finite number > 0")
    return float(hours)


def _limits(storage: Storage, hours: float) -> tuple[float, float]:
    """``(min, max)`` power for a step of ``hours`` (see the module docstring)."""
    discharge = min(
        storage.discharge_max,
        max(storage.content - storage.lowest, 0.0) * storage.discharge_efficiency / hours,
    )
    charge = min(
        storage.charge_max,
        max(storage.highest - storage.content, 0.0) / (storage.charge_efficiency * hours),
    )
    return -charge + 0.0, discharge + 0.0


def storage_band(storage: Storage, hours: float) -> Band:
    """The power band ``storage`` offers for the next step of ``hours`` (module docstring)."""
    low, high = _limits(storage, _check_hours(hours))
    return Band(low, high, min(max(storage.power, low), high))


def charged(storage: Storage, power: float, hours: float) -> Storage:
    """``storage`` after holding ``power`` MW (clamped into its band) for ``hours``: its
    new content, and ``power`` as the power it actually held."""
    hours = _check_hours(hours)
    if not (is_real(power) and math.isfinite(power)):
        raise InvalidStateError(f"storage set-point = {power!r} MW: must be a finite number")
    low, high = _limits(storage, hours)
    applied = min(max(float(power), low), high) + 0.0
    if applied > 0.0:
        content = storage.content - applied * hours / storage.discharge_efficiency
    else:
        content = storage.content - applied * hours * storage.charge_efficiency
    # the band keeps the content in bounds; the clamp only removes float rounding
    content = min(max(content, storage.lowest), storage.highest)
    return _settled(storage, content, applied)


def _settled(storage: Storage, content: float, power: float) -> Storage:
    """``storage`` holding ``content`` MWh and ``power`` MW, not checked again: `charged`
    keeps the content within its bounds and the power finite, and every other field is
    one that was checked when ``storage`` was made (checking them all again was a third
    of a battery's settlement)."""
    settled: Storage = object.__new__(Storage)
    for name in field_names(Storage):
        object.__setattr__(settled, name, getattr(storage, name))
    object.__setattr__(settled, "content", content)
    object.__setattr__(settled, "power", power)
    return settled
