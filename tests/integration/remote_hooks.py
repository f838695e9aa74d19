"""Hooks importable by name, for a MAS in another process (the 'cmd' starter)."""

from __future__ import annotations


def input_method(aeid, input_data, current_time, **kwargs):
    """Every unit a consumer of what it measures, the first (Agent_5) a producer, each
    with no flexibility (its band is its reading)."""
    value = sum(abs(v) for v in input_data["current"].values())
    band = {"min": value, "max": value, "current": value}
    zero = {"min": 0.0, "max": 0.0, "current": 0.0}
    if aeid == "Agent_5":
        return {"production": band, "consumption": zero}
    return {"production": zero, "consumption": band}
