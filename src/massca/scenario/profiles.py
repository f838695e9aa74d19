"""Real 15-minute profiles from the SimBench data set, read offline from the package.

Belongs here: reading the normalised PV, wind and load profiles and cutting out the
simulated period. Not here: scaling to units (the unit simulator does that).

SimBench (the ``simbench`` package) ships one year, 2016, at 15-minute resolution. We use
``PV3`` (photovoltaics), ``WP4`` (wind), ``H0-A_pload`` (residential, standard household)
and ``G1-A_pload`` (commercial), each divided by its annual maximum, so that 1.0 is the
element's rating. Only these columns are read from the package's CSV files (~0.3 s).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from massca.model import ConfigurationError

__all__ = ["PROFILE_YEAR", "SLOT_SECONDS", "Profiles", "load_profiles"]

PROFILE_YEAR = 2016
SLOT_SECONDS = 900
_SOURCES = {
    "pv": ("RESProfile.csv", "PV3"),
    "wind": ("RESProfile.csv", "WP4"),
    "residential": ("LoadProfile.csv", "H0-A_pload"),
    "commercial": ("LoadProfile.csv", "G1-A_pload"),
}
_DATASET = "1-complete_data-mixed-all-0-sw"


@dataclass(frozen=True, slots=True)
class Profiles:
    """Normalised profiles (1.0 = rating) for the simulated period, one value a slot."""

    start: datetime
    values: dict[str, np.ndarray]

    def at(self, profile: str, seconds: int) -> float:
        """The value of ``profile`` at ``seconds`` after the start (the slot it falls in)."""
        return float(self.values[profile][seconds // SLOT_SECONDS])


def load_profiles(start: datetime, seconds: int) -> Profiles:
    """The profiles from ``start`` for ``seconds`` (both within 2016, the data's year)."""
    begin = datetime(PROFILE_YEAR, 1, 1)
    end = datetime(PROFILE_YEAR + 1, 1, 1)
    stop = start + timedelta(seconds=seconds)
    if not (begin <= start < end) or stop > end:
        raise ConfigurationError(
            f"the period {start:%Y-%m-%d %H:%M} to {stop:%Y-%m-%d %H:%M} leaves the profile "
            f"year {PROFILE_YEAR}: choose --start in {PROFILE_YEAR} and a length that ends "
            f"by {end:%Y-%m-%d}"
        )
    first = int((start - begin).total_seconds()) // SLOT_SECONDS
    count = -(-seconds // SLOT_SECONDS) + 1
    import pandas as pd

    folder = _simbench_folder() / "networks" / _DATASET
    columns: dict[str, list[str]] = {}
    for file, column in _SOURCES.values():
        columns.setdefault(file, []).append(column)
    frames = {
        file: pd.read_csv(folder / file, sep=";", usecols=cols) for file, cols in columns.items()
    }
    values = {}
    for profile, (file, column) in _SOURCES.items():
        series = frames[file][column].to_numpy(dtype=float)
        peak = series.max()
        values[profile] = series[first : first + count] / peak
    return Profiles(start, values)


def _simbench_folder() -> Path:
    """Where the simbench package lies, without importing it (its import takes ~2 s)."""
    spec = importlib.util.find_spec("simbench")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigurationError(
            "the simbench package is missing: pip install simbench (its data are the profiles)"
        )
    return Path(next(iter(spec.submodule_search_locations)))
