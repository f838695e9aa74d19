"""What counts as a number in massca's inputs.

Belongs here: `is_real`, the one test every value type of the model applies to numbers
it is given. Not here: range checks (each type states its own).
"""

from __future__ import annotations

from numbers import Real

__all__ = ["is_real"]


def is_real(value: object) -> bool:
    """True for a real number that is not a bool: ints, floats, and other real types
    such as numpy's (``float(value)`` then gives its value as a plain float)."""
    if type(value) is float:  # the common case, without the ABC check (~0.3 us)
        return True
    return isinstance(value, Real) and not isinstance(value, bool)
