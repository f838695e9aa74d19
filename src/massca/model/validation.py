"""What counts as a number in massca's inputs.

Belongs here: `is_real`, the one test every value type of the model applies to numbers
it is given, `finite_fields`, that test for every field of a value type, and
`field_names`, a value type's fields found once. Not here: range checks (each type
states its own).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import fields
from numbers import Real
from typing import Any

__all__ = ["field_names", "finite_fields", "is_real"]


def finite_fields(instance: Any, low: float, fail: Callable[[str, object], Exception]) -> None:
    """Store every dataclass field of the frozen ``instance`` as a plain float (``-0.0``
    as ``0.0``); raise ``fail(name, value)`` for a value that is not a finite number
    ``>= low``."""
    for name in field_names(type(instance)):
        value = getattr(instance, name)
        if not (is_real(value) and math.isfinite(value) and value >= low):
            raise fail(name, value)
        object.__setattr__(instance, name, float(value) + 0.0)


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def field_names(kind: type) -> tuple[str, ...]:
    """The names of a dataclass's fields, found once per class (`dataclasses.fields`
    builds them anew on every call: a sixth of a battery's construction)."""
    names = _FIELD_NAMES.get(kind)
    if names is None:
        names = _FIELD_NAMES[kind] = tuple(f.name for f in fields(kind))
    return names


def is_real(value: object) -> bool:
    """True for a real number that is not a bool: ints, floats, and other real types
    such as numpy's (``float(value)`` then gives its value as a plain float)."""
    if type(value) is float:  # the common case, without the ABC check (~0.3 us)
        return True
    return isinstance(value, Real) and not isinstance(value, bool)
