"""The scenario's configuration: command-line options and TOML files share one schema.

Belongs here: `ScenarioConfig`, its validation (all problems at once) and reading a TOML
file. Not here: running anything.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from massca.compat.runtimes import RUNTIMES
from massca.compat.spread import PLACEMENTS, TRANSPORTS, broker_address
from massca.model import (
    BETWEEN_CELLS,
    CIGRE_GENERATORS,
    CIGRE_LOADS,
    WITHIN_CELL,
    ConfigurationError,
)
from massca.model.network import Network
from massca.scenario.profiles import PROFILE_YEAR

__all__ = ["ScenarioConfig", "read_config_file"]

CIGRE_DISPATCHABLE = 4
"""CHP diesel, fuel cell and two residential fuel cells per CIGRE MV cell (``with_der="all"``)."""
PROFILE_DAYS = 366
"""Days the SimBench profiles cover (2016, a leap year)."""
UNITS_PER_CELL = CIGRE_LOADS + CIGRE_GENERATORS + CIGRE_DISPATCHABLE
"""Unit agents per cell without its two batteries (which ``storage_hours = 0`` leaves out)."""


@dataclass(frozen=True, slots=True)
class ScenarioConfig:
    """One run of the default scenario. Defaults reproduce the prototype's example
    (2 cells, depth 1, one day at 15-minute steps).

    ``flexibility``: the share by which every load can shift (its band is
    ``demand * (1 -+ flexibility)``). ``der_scale``: the ratings of every DER (PV, wind,
    CHP and fuel cells, batteries) are the CIGRE cell's times this, times a per-cell
    factor in [0.5, 1.5] drawn with ``seed``; the CIGRE cell's own 1.71 MW of PV and wind
    against 43 MW of load would leave every cell undersupplied at all times (the
    prototype's wind turbines were 7 MW).

    ``storage_hours``: each battery's energy capacity is its power rating times this
    many hours (0: no batteries). ``soc0``: their state of charge at the start.
    ``horizon``: the intervals ``cohda`` plans over (1: the present one only); for
    ``horizon > 1`` the unit simulators give each unit the next ``horizon - 1`` intervals
    of its profile as its forecast (perfect foresight), and the cells plan again every
    step (a rolling horizon).

    ``processes``: worker processes the agents spread over, whole cells each, placed by
    ``placement``, talking over ``transport`` (``tcp``, or ``mqtt`` through ``broker``:
    ``auto`` starts a Mosquitto, else ``HOST:PORT``) (1: all agents in the MAS's
    process; see `massca.compat.mango`).

    ``delay``, ``cell_delays``, ``loss``, ``deadline``: simulate the ICT network between
    the agents (`massca.model.network`, seeded with ``seed``) when any is given: every
    link's one-way delay in ms, a cell's own link to the coordinator (``{"cell-1": 40}``),
    the probability that a message is lost, and how long the coordinator waits for each
    phase in ms (None: twice the longest round trip). The native runtime in one process,
    and not with ``cohda``.

    ``strategy`` / ``within``: the between-cells and within-cell strategies
    (`massca.model.strategy`). ``interface_scale``: each cell's import/export limit is
    the rating of the transformers that tie it to the 110 kV bus (50 MW) times this.
    ``grid_limit``: the external grid's import and export limit in MW (None: unlimited).
    """

    cells: int = 2
    depth: int = 1
    start: str = f"{PROFILE_YEAR}-06-01 00:00"
    days: float = 1.0
    until: int | None = None
    step: int = 900
    seed: int = 13
    runtime: str = "native"
    flexibility: float = 0.1
    der_scale: float = 15.0
    strategy: str = "cellular"
    within: str = "proportional"
    interface_scale: float = 1.0
    grid_limit: float | None = None
    storage_hours: float = 2.0
    soc0: float = 0.5
    horizon: int = 1
    processes: int = 1
    placement: str = "blocks"
    transport: str = "tcp"
    broker: str = "auto"
    delay: float | None = None
    cell_delays: dict[str, float] = field(default_factory=dict)
    loss: float | None = None
    deadline: float | None = None
    log: bool = True

    def __post_init__(self) -> None:
        wrong = _wrong_types(self)
        if wrong:  # the range checks below rely on the types, checked once here
            raise ConfigurationError("; ".join(wrong))
        problems = []
        if self.cells < 1:
            problems.append(f"cells = {self.cells!r}: need a whole number >= 1")
        if not 0 <= self.depth <= UNITS_PER_CELL:
            problems.append(
                f"depth = {self.depth!r}: must be 0..{UNITS_PER_CELL} (a cell has "
                f"{UNITS_PER_CELL} units and every controller needs one)"
            )
        try:
            start = self.start_time()
        except ValueError:
            problems.append(
                f"start = {self.start!r}: give a date like '{PROFILE_YEAR}-06-01 00:00'"
            )
        else:
            if start.tzinfo is not None:
                problems.append(
                    f"start = {self.start!r}: give a local time without a time zone (the "
                    "profiles' own time)"
                )
            elif start.minute % 15 or start.second or start.microsecond:
                problems.append(
                    f"start = {self.start!r}: must fall on a quarter hour (the profiles' "
                    "15-minute slots), e.g. '2016-06-01 00:00'"
                )
        if not (self.step > 0 and self.step % 900 == 0):
            problems.append(
                f"step = {self.step!r}: must be a multiple of 900 s (the profiles' 15 min)"
            )
        if self.until is None and not 0 < self.days <= PROFILE_DAYS:
            problems.append(
                f"days = {self.days!r}: must be > 0 and at most {PROFILE_DAYS} (the profiles "
                "cover one year)"
            )
        if self.until is not None and not 0 < self.until <= PROFILE_DAYS * 86400:
            problems.append(
                f"until = {self.until!r}: must be a whole number of seconds > 0 and at most "
                f"{PROFILE_DAYS * 86400} (the profiles cover one year)"
            )
        elif not problems and self.seconds < self.step:
            problems.append(
                f"the run covers {self.seconds} s, less than one step of {self.step} s: "
                "give more --days or --until"
            )
        if self.runtime not in RUNTIMES:
            problems.append(f"runtime = {self.runtime!r}: choose one of {', '.join(RUNTIMES)}")
        if not 1 <= self.processes <= max(self.cells, 1):
            problems.append(
                f"processes = {self.processes!r}: from 1 to the {self.cells} cell(s) (each "
                "worker process holds whole cells)"
            )
        if self.placement not in PLACEMENTS:
            problems.append(
                f"placement = {self.placement!r}: choose one of {', '.join(PLACEMENTS)}"
            )
        if self.transport not in TRANSPORTS:
            problems.append(
                f"transport = {self.transport!r}: choose one of {', '.join(TRANSPORTS)}"
            )
        elif self.transport == "mqtt" and self.processes == 1:
            problems.append(
                "transport = 'mqtt' needs worker processes: give processes >= 2 (one process "
                "talks to nobody)"
            )
        try:
            broker_address(self.broker)
        except ConfigurationError as error:
            problems.append(str(error))
        if not 0 <= self.flexibility < 1:
            problems.append(f"flexibility = {self.flexibility!r}: a load's share, 0 <= x < 1")
        if not (math.isfinite(self.der_scale) and self.der_scale >= 0):
            problems.append(f"der_scale = {self.der_scale!r}: a finite factor >= 0 for the DER")
        if self.strategy not in BETWEEN_CELLS:
            problems.append(
                f"strategy = {self.strategy!r}: choose one of {', '.join(BETWEEN_CELLS)}"
            )
        if self.within not in WITHIN_CELL:
            problems.append(f"within = {self.within!r}: choose one of {', '.join(WITHIN_CELL)}")
        if not (math.isfinite(self.interface_scale) and self.interface_scale >= 0):
            problems.append(
                f"interface_scale = {self.interface_scale!r}: a finite factor >= 0 for the "
                "cells' interface limits"
            )
        if self.grid_limit is not None and not self.grid_limit >= 0:
            problems.append(f"grid_limit = {self.grid_limit!r}: MW >= 0, or none for no limit")
        if not (math.isfinite(self.storage_hours) and self.storage_hours >= 0):
            problems.append(
                f"storage_hours = {self.storage_hours!r}: a battery's hours at rated power, a "
                "finite number >= 0 (0: no batteries)"
            )
        if not 0 <= self.soc0 <= 1:
            problems.append(
                f"soc0 = {self.soc0!r}: the batteries' starting state of charge, 0 <= x <= 1"
            )
        if self.horizon < 1:
            problems.append(f"horizon = {self.horizon!r}: a whole number of intervals >= 1")
        elif self.horizon > 1 and self.strategy != "cohda":
            problems.append(
                f"horizon = {self.horizon!r}: only the cohda strategy plans over a horizon "
                "(give --strategy cohda, or horizon 1)"
            )
        problems.extend(self._network_problems())
        if problems:
            raise ConfigurationError("; ".join(problems))

    def network(self) -> Network | None:
        """The simulated network, without the cells' own link delays (those go with the
        cells' agents), or None when the network is not simulated."""
        given = (self.delay, self.loss, self.deadline)
        if all(value is None for value in given) and not self.cell_delays:
            return None
        return Network(self.delay or 0.0, {}, self.loss or 0.0, self.seed, self.deadline)

    def _network_problems(self) -> list[str]:
        try:
            network = self.network()
        except ConfigurationError as error:
            return [str(error)]
        if network is None:
            return []
        problems = []
        names = {f"cell-{k}" for k in range(self.cells)}
        for cell, delay in self.cell_delays.items():
            if cell not in names:
                problems.append(
                    f"cell_delays: no cell {cell!r} (the cells are cell-0 to cell-{self.cells - 1})"
                )
            elif not (type(delay) in (int, float) and 0 <= delay < math.inf):
                problems.append(f"cell_delays: {cell} = {delay!r}: give ms, a finite number >= 0")
        if self.runtime != "native" or self.processes != 1:
            problems.append(
                "a simulated network (delay, loss) runs on the native runtime in one process: "
                "give runtime native and processes 1"
            )
        if self.strategy == "cohda":
            problems.append(
                "a simulated network (delay, loss) is not supported with the cohda strategy: "
                "its negotiation would wait for a lost view forever"
            )
        return problems

    def start_time(self) -> datetime:
        """The simulated start, as a datetime."""
        return datetime.fromisoformat(self.start)

    @property
    def seconds(self) -> int:
        """Simulated seconds: ``until`` if given, else ``days``."""
        if self.until is not None:
            return self.until
        return int(timedelta(days=self.days).total_seconds())

    @property
    def steps(self) -> int:
        """Time steps of the run: ``seconds`` over ``step``, the last one possibly short."""
        return -(-self.seconds // self.step)

    def to_json(self) -> dict[str, Any]:
        """The configuration as JSON (the run folder's ``config.json``)."""
        return asdict(self)


_NUMBER = "a number"
_WHOLE = "a whole number"
_TEXT = "text"
_SWITCH = "true or false"
_TABLE = "a table of names to numbers"


def _kind_of(field: str) -> str:
    """What a field of `ScenarioConfig` must be, by its annotation."""
    annotation = ScenarioConfig.__annotations__[field]
    if annotation.startswith("int"):
        return _WHOLE
    if annotation.startswith("float"):
        return _NUMBER
    if annotation.startswith("dict"):
        return _TABLE
    return _SWITCH if annotation == "bool" else _TEXT


def _wrong_types(config: ScenarioConfig) -> list[str]:
    """One problem per field whose value has the wrong type: exact types, so a TOML
    ``true`` is no number, ``"no"`` no switch and ``1.5`` no whole number."""
    wrong = []
    for f in fields(config):
        value = getattr(config, f.name)
        if value is None and "None" in ScenarioConfig.__annotations__[f.name]:
            continue
        kind = _kind_of(f.name)
        fits = {
            _WHOLE: type(value) is int,
            _NUMBER: type(value) in (int, float),
            _SWITCH: type(value) is bool,
            _TEXT: type(value) is str,
            _TABLE: type(value) is dict and all(type(k) is str for k in value),
        }[kind]
        if not fits:
            wrong.append(f"{f.name} = {value!r}: must be {kind}, not {type(value).__name__}")
    return wrong


def read_config_file(path: str | Path) -> dict[str, Any]:
    """The keys of a TOML file; `ConfigurationError` for a bad file or unknown keys."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ConfigurationError(
            f"config file {str(path)!r} is not UTF-8 text: save it as UTF-8 TOML"
        ) from None
    except OSError as error:
        raise ConfigurationError(
            f"cannot read config file {str(path)!r}: {error.strerror}"
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigurationError(f"config file {str(path)!r} is not valid TOML: {error}") from None
    valid = {f.name for f in fields(ScenarioConfig)}
    unknown = sorted(set(data) - valid)
    if unknown:
        raise ConfigurationError(
            f"config file {str(path)!r}: unknown key(s) {', '.join(unknown)}; "
            f"valid: {', '.join(sorted(valid))}"
        )
    return data
