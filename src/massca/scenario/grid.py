"""The default grid: N CIGRE MV cells with all their DER, under one external grid.

Belongs here: building the pandapower network and the table of its units (which load or
generator lies in which cell, on which bus, with what rating). Not here: profiles,
simulators, the mosaik world.

Each cell is pandapower's ``create_cigre_network_mv(with_der="all")``: 15 buses,
18 loads (residential and commercial/industrial, 43 MW in all), 8 PV plants and one
wind turbine (1.71 MW), four dispatchable generators (a CHP diesel, a fuel cell and two
residential fuel cells, 0.57 MW) and two batteries (0.6 MW and 0.2 MW), tied to the
110 kV bus by two 110/20 kV transformers of 25 MVA each: a cell's interface rating
(`interface_ratings`) is their sum, 50 MVA. The N copies are joined at their 110 kV bus:
all cells hang from one 110 kV slack bus with one external grid (the prototype ties cells
to one external grid too). Copies are made by offsetting the element tables, in linear
time (pandapower's ``merge_nets`` took 13 s for 50 cells). The batteries are taken out
of the network's storage table: massca's battery simulator (`massca.scenario.batteries`)
stands in for them and feeds their buses.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import pandas as pd

from massca.model import ConfigurationError

__all__ = ["GridUnit", "build_grid", "interface_ratings"]

_GENERATORS = {"WP": "wind", "PV": "pv"}
"""A static generator's CIGRE type -> its kind; the others (CHP diesel, fuel cells) are
dispatchable."""

_BUS_COLUMNS = {
    "load": ("bus",),
    "sgen": ("bus",),
    "storage": ("bus",),
    "line": ("from_bus", "to_bus"),
    "trafo": ("hv_bus", "lv_bus"),
}


@dataclass(frozen=True, slots=True)
class GridUnit:
    """One load or generator of the grid, as the scenario controls it."""

    cell: int
    kind: str  # "pv", "wind", "dispatchable", "battery" or "load"
    element: str  # "load", "sgen" or "storage" (pandapower table)
    index: int  # row in that table
    bus: int
    rating_mw: float
    name: str
    profile: str  # "residential", "commercial", "pv", "wind", "dispatchable" or "battery"


def build_grid(cells: int) -> tuple[object, tuple[GridUnit, ...]]:
    """The merged network of ``cells`` CIGRE MV cells and its units, in cell order."""
    if cells < 1:
        raise ConfigurationError(f"cells = {cells}: need at least 1 cell")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pandapower.networks as pn

        cell = pn.create_cigre_network_mv(with_der="all")
    slack = int(cell.ext_grid.bus.iloc[0])
    net = _replicate(cell, cells, slack)
    units = []
    for element in ("sgen", "load", "storage"):
        table = net[element]
        for index, row in table.iterrows():
            name = str(row["name"])
            copy = int(name.split(" ", 1)[0][1:])
            if element == "sgen":
                kind = _GENERATORS.get(str(row["type"]), "dispatchable")
                profile = kind
            elif element == "storage":
                kind = profile = "battery"
            else:
                kind = "load"
                profile = "commercial" if "CI" in name else "residential"
            units.append(
                GridUnit(
                    copy,
                    kind,
                    element,
                    int(index),
                    int(row["bus"]),
                    float(row["p_mw"]),
                    name,
                    profile,
                )
            )
    units.sort(key=lambda u: (u.cell, u.element, u.index))
    net.storage = net.storage.iloc[0:0]  # type: ignore[attr-defined]  # simulated instead
    return net, tuple(units)


def _replicate(cell: object, cells: int, slack: int) -> object:
    """``cells`` copies of ``cell`` sharing its slack bus; names prefixed ``c<i> ``."""
    net = cell  # the first copy is the original, renamed in place
    buses = len(cell.bus)  # type: ignore[attr-defined]
    tables = {
        name: cell[name]  # type: ignore[index]
        for name in ("bus", "load", "sgen", "storage", "line", "trafo", "switch")
    }  # type: ignore[index]
    pieces: dict[str, list[pd.DataFrame]] = {name: [] for name in tables}
    for copy in range(cells):
        offset = copy * buses

        def shift(bus: int, offset: int = offset) -> int:
            return bus if bus == slack else bus + offset

        for name, table in tables.items():
            part = table.copy()
            part.index = part.index + copy * len(table)
            part["name"] = (f"c{copy} " + table["name"].astype(str)).to_numpy()
            for column in _BUS_COLUMNS.get(name, ()):
                part[column] = part[column].map(shift)
            if name == "switch":
                element_offset = {
                    "b": offset,
                    "l": copy * len(tables["line"]),
                    "t": copy * len(tables["trafo"]),
                }
                part["bus"] = part["bus"].map(shift)
                part["element"] = [
                    (shift(e) if et == "b" else e + element_offset[et])
                    for e, et in zip(table["element"], table["et"], strict=True)
                ]
            if name == "bus" and copy > 0:
                part = part.drop(index=slack + offset)  # every copy shares the slack bus
            pieces[name].append(part)
    for name, parts in pieces.items():
        net[name] = pd.concat(parts)  # type: ignore[index]
    if "bus_geodata" in net and len(net.bus_geodata):  # type: ignore[operator, attr-defined]
        net.bus_geodata = net.bus_geodata.iloc[0:0]  # type: ignore[attr-defined]
    return net


def interface_ratings(net: object, cells: int) -> tuple[float, ...]:
    """Per cell, the summed rating (``sn_mva``) of the transformers that tie it to the
    shared 110 kV bus: what can flow through its connection point, in MVA (= MW at unity
    power factor)."""
    trafos = net.trafo  # type: ignore[attr-defined]
    owner = trafos["name"].astype(str).str.split(" ", n=1).str[0].str[1:].astype(int)
    ratings = trafos["sn_mva"].groupby(owner).sum()
    return tuple(float(ratings.get(cell, 0.0)) for cell in range(cells))
