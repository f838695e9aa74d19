"""Balance classification: the three VDE cell states.

Belongs here: `Balance` and `classify`. Not here: what to do about an imbalance
(`redispatch`).
"""

from __future__ import annotations

import math
from enum import StrEnum

from massca.errors import ConfigurationError
from massca.model.state import State
from massca.model.validation import is_real

__all__ = ["DEFAULT_TOLERANCE", "Balance", "check_tolerance", "classify"]

DEFAULT_TOLERANCE = 1e-6
"""MW of net imbalance still counted as balanced (1 W), the seed's ``PRECISION``."""


class Balance(StrEnum):
    """A cell's state in the VDE cellular energy system."""

    BALANCED = "balanced"
    OVERSUPPLIED = "oversupplied"
    UNDERSUPPLIED = "undersupplied"


def classify(state: State, tolerance: float = DEFAULT_TOLERANCE) -> Balance:
    """Classify ``state`` by its net balance ``b = production.current - consumption.current``.

    ``|b| <= tolerance`` is `Balance.BALANCED`, ``b > tolerance`` `Balance.OVERSUPPLIED`
    (surplus), ``b < -tolerance`` `Balance.UNDERSUPPLIED` (deficit). Total: every valid
    state gets exactly one class. ``tolerance`` is in MW, finite and ``>= 0``.
    """
    check_tolerance(tolerance)
    net = state.balance
    if net > tolerance:
        return Balance.OVERSUPPLIED
    if net < -tolerance:
        return Balance.UNDERSUPPLIED
    return Balance.BALANCED


def check_tolerance(tolerance: float) -> None:
    """Raise `ConfigurationError` unless ``tolerance`` is a finite number ``>= 0``."""
    if not (is_real(tolerance) and math.isfinite(tolerance) and tolerance >= 0):
        raise ConfigurationError(f"tolerance = {tolerance!r}: must be a finite number of MW >= 0")
