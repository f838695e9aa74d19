"""Seeded numbers without a random module: the same seed gives the same numbers on every
machine and Python version.

Belongs here: `uniforms`, a pure function of a seed (SplitMix64, Steele, Lea and Flood
2014: each output is a 64-bit mix of ``seed + k * 0x9E3779B97F4A7C15``). Not here: what
the numbers are used for (overlays, candidate shapes). The model stays free of the
``random`` module and of any hidden state: drawing is a function, not a generator object.
"""

from __future__ import annotations

__all__ = ["draw", "uniforms"]

_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15


def _mix(z: int) -> int:
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def uniforms(seed: int, count: int, stream: int = 0) -> tuple[float, ...]:
    """``count`` numbers in ``[0, 1)`` drawn from ``seed`` (``stream`` picks an
    independent sequence for the same seed: one per use, so that uses do not overlap)."""
    base = (seed * _GOLDEN + stream * 0xD1B54A32D192ED03) & _MASK
    return tuple(_mix((base + (k + 1) * _GOLDEN) & _MASK) / 2.0**64 for k in range(count))


def draw(seed: int, stream: int, *keys: int) -> float:
    """One number in ``[0, 1)`` for ``keys`` under ``seed`` and ``stream``: the same keys
    give the same number, different keys independent-looking ones (each key is mixed in
    turn, so ``(1, 2)`` and ``(2, 1)`` differ)."""
    z = (seed * _GOLDEN + stream * 0xD1B54A32D192ED03) & _MASK
    for key in keys:
        z = _mix((z + (key + 1) * _GOLDEN) & _MASK)
    return _mix(z) / 2.0**64
