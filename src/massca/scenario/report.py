"""Plots of a run folder, the pictures a person looks at first.

Belongs here: drawing PNGs with matplotlib (Agg, no screen) from ``results.csv`` (read
through `massca.scenario.metrics`). For a run: ``balance.png`` (each cell's net balance
before and after the MAS's redispatch: one panel per cell up to eight cells, else two
heat maps, cells by time), ``resolution.png`` (per time step, how the cells' imbalance was
resolved: inside the cells, between cells, by the external grid, unresolved),
``exchange.png`` (the external grid's power from the power flow, and the MAS's planned
exchange) and ``classification.png`` (a timeline per cell, before and after redispatch,
coloured by balanced / oversupplied / undersupplied) and, for a run with batteries,
``storage.png`` (each cell's batteries: their state of charge, and their power, +
discharging). For the scalability sweep:
``scalability.png``; for ``massca compare``: ``comparison.png``.
"""

from __future__ import annotations

from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from massca.scenario.metrics import FIGURE_LABELS, cell_names, read_rows, resolution

__all__ = ["plot_comparison", "plot_losses", "plot_run", "plot_scalability"]

COLOURS = {"balanced": "#2ca02c", "oversupplied": "#ff7f0e", "undersupplied": "#1f77b4"}
RESOLVED_BY = (
    ("inside cells", "#2ca02c"),
    ("between cells", "#9467bd"),
    ("external grid", "#1f77b4"),
    ("unresolved", "#d62728"),
)
PANELS_UP_TO = 8


def _pyplot():  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


@dataclass(slots=True)
class _Series:
    """What the run's plots show, read from ``results.csv`` in one pass, a few numbers a
    row (`_series`): every time; per cell its balance before and after, its batteries'
    state of charge and power, its class codes before and after (`CLASSES`); the four
    parts of `resolution`; the external grid's power and the MAS's planned exchange."""

    times: list[datetime]
    cells: list[str]
    balance: np.ndarray  # cells x steps
    balance_after: np.ndarray
    soc: np.ndarray
    battery: np.ndarray
    classes: np.ndarray  # cells x steps, codes into CLASSES (-1: unknown)
    classes_after: np.ndarray
    resolved: np.ndarray  # 4 x steps: RESOLVED_BY's parts
    external: np.ndarray
    planned_import: np.ndarray


CLASSES = tuple(COLOURS)


def _series(path: Path) -> _Series:
    """`_Series` of the results table at ``path``."""
    cells = cell_names(path)
    codes = {name: i for i, name in enumerate(CLASSES)}
    times: list[datetime] = []
    columns: dict[str, array[float]] = {}
    labels: dict[str, array[int]] = {}

    def number(row: Mapping[str, str], column: str) -> float:
        return float(row[column] or "nan")

    per_cell = ("balance", "balance_after", "soc", "battery")
    for name in per_cell:
        for cell in cells:
            columns[f"{cell}:{name}"] = array("d")
    for cell in cells:
        labels[f"{cell}:class"] = array("b")
        labels[f"{cell}:class_after"] = array("b")
    for name in ("inside", "between", "grid", "unresolved", "external", "planned"):
        columns[name] = array("d")
    for row in read_rows(path):
        times.append(datetime.fromisoformat(row["datetime"]))
        for cell in cells:
            columns[f"{cell}:balance"].append(number(row, f"{cell}_balance"))
            columns[f"{cell}:balance_after"].append(number(row, f"{cell}_balance_after"))
            columns[f"{cell}:soc"].append(100 * number(row, f"{cell}_soc"))
            columns[f"{cell}:battery"].append(
                number(row, f"{cell}_storage") + number(row, f"{cell}_storage_change")
            )
            labels[f"{cell}:class"].append(codes.get(row[f"{cell}_class"], -1))
            labels[f"{cell}:class_after"].append(codes.get(row[f"{cell}_class_after"], -1))
        for name, value in zip(
            ("inside", "between", "grid", "unresolved"), resolution(row, cells), strict=True
        ):
            columns[name].append(value)
        columns["external"].append(number(row, "external_grid_p_mw"))
        columns["planned"].append(-number(row, "mas_exchange_mw"))

    def matrix(name: str) -> np.ndarray:
        return np.array([np.frombuffer(columns[f"{c}:{name}"]) for c in cells]).reshape(
            len(cells), len(times)
        )

    def codes_of(name: str) -> np.ndarray:
        return np.array([np.frombuffer(labels[f"{c}:{name}"], dtype=np.int8) for c in cells])

    return _Series(
        times=times,
        cells=cells,
        balance=matrix("balance"),
        balance_after=matrix("balance_after"),
        soc=matrix("soc"),
        battery=matrix("battery"),
        classes=codes_of("class").reshape(len(cells), len(times)),
        classes_after=codes_of("class_after").reshape(len(cells), len(times)),
        resolved=np.array(
            [np.frombuffer(columns[n]) for n in ("inside", "between", "grid", "unresolved")]
        ),
        external=np.frombuffer(columns["external"]),
        planned_import=np.frombuffer(columns["planned"]),
    )


def plot_run(out: Path) -> list[Path]:
    """Draw the run's plots into ``out``; returns their paths (none for an empty run).
    The results are streamed: a year of 50 cells keeps some 60 MB of numbers."""
    data = _series(out / "results.csv")
    if not data.times:
        return []
    plt = _pyplot()
    plots = [
        _plot_balance(plt, out, data),
        _plot_resolution(plt, out, data),
        _plot_exchange(plt, out, data),
        _plot_classification(plt, out, data),
    ]
    if data.cells and not np.isnan(data.soc[:, 0]).all():
        plots.append(_plot_storage(plt, out, data))
    return plots


def _plot_storage(plt, out, data) -> Path:  # type: ignore[no-untyped-def]
    figure, (soc, power) = plt.subplots(2, 1, figsize=(10, 6.5), sharex=True)
    cells = data.cells
    shown = cells if len(cells) <= 12 else cells[:12]
    for i, cell in enumerate(shown):
        soc.plot(data.times, data.soc[i], label=cell)
        power.plot(data.times, data.battery[i], label=cell, linewidth=1)
    more = f" (first 12 of {len(cells)} cells)" if len(cells) > 12 else ""
    soc.set(title=f"Batteries' state of charge per cell{more}", ylabel="% (at step start)")
    soc.set_ylim(0, 100)
    power.axhline(0.0, color="black", linewidth=0.6)
    power.set(title="Batteries' power per cell", ylabel="MW (+ discharging, - charging)")
    soc.legend(fontsize="small", ncol=min(len(shown), 6), loc="upper left")
    figure.autofmt_xdate()
    return _save(figure, out / "storage.png", plt)


def _plot_balance(plt, out, data) -> Path:  # type: ignore[no-untyped-def]
    cells, times = data.cells, data.times
    if len(cells) <= PANELS_UP_TO:
        figure, axes = plt.subplots(
            len(cells), 1, figsize=(10, 1.2 + 1.8 * len(cells)), sharex=True, squeeze=False
        )
        for i, (axis, cell) in enumerate(zip(axes[:, 0], cells, strict=True)):
            axis.plot(times, data.balance[i], label="before", linewidth=1)
            axis.plot(
                times,
                data.balance_after[i],
                label="after redispatch",
                linewidth=1.2,
                linestyle="--",
            )
            axis.axhline(0.0, color="black", linewidth=0.6)
            axis.set_ylabel(f"{cell}\nMW")
        axes[0, 0].legend(fontsize="small", loc="upper right")
        axes[0, 0].set_title("Net balance per cell (production - consumption), before and after")
        figure.autofmt_xdate()
    else:
        figure, axes = plt.subplots(1, 2, figsize=(12, 1.5 + 0.12 * len(cells)), sharey=True)
        scale = float(np.nanmax(np.abs(data.balance))) or 1.0
        for axis, values, title in (
            (axes[0], data.balance, "before"),
            (axes[1], data.balance_after, "after"),
        ):
            image = axis.imshow(
                values, aspect="auto", cmap="RdBu_r", vmin=-scale, vmax=scale, interpolation="none"
            )
            axis.set_title(f"Net balance per cell, {title} redispatch")
            axis.set_xlabel("time step")
        axes[0].set_ylabel("cell")
        figure.colorbar(image, ax=axes, label="MW (+ surplus)")
    return _save(figure, out / "balance.png", plt)


def _plot_resolution(plt, out, data) -> Path:  # type: ignore[no-untyped-def]
    times = data.times
    figure, axis = plt.subplots(figsize=(10, 4.5))
    width = (times[1] - times[0]) * 0.9 if len(times) > 1 else 0.01
    up = np.zeros(len(times))
    down = np.zeros(len(times))
    for (label, colour), values in zip(RESOLVED_BY, data.resolved, strict=True):
        bottoms = np.where(values >= 0, up, down)
        axis.bar(times, values, width=width, bottom=bottoms, color=colour, label=label)
        up = up + np.maximum(values, 0.0)
        down = down + np.minimum(values, 0.0)
    axis.axhline(0.0, color="black", linewidth=0.6)
    axis.set(
        title="How the cells' imbalance was resolved (summed over cells)",
        ylabel="MW (below 0: against a cell's own imbalance)",
    )
    axis.set_ylim(min(down.min(), 0.0) * 1.1, max(up.max(), 1e-9) * 1.2)  # room for the legend
    axis.legend(fontsize="small", ncol=4, loc="upper left")
    figure.autofmt_xdate()
    return _save(figure, out / "resolution.png", plt)


def _plot_exchange(plt, out, data) -> Path:  # type: ignore[no-untyped-def]
    figure, axis = plt.subplots(figsize=(10, 4.5))
    axis.plot(data.times, data.external, label="external grid P (power flow; + import)")
    axis.plot(data.times, data.planned_import, linestyle="--", label="MAS planned import")
    axis.axhline(0.0, color="black", linewidth=0.6)
    axis.set(title="Exchange with the external grid", ylabel="MW")
    axis.legend(fontsize="small")
    figure.autofmt_xdate()
    return _save(figure, out / "exchange.png", plt)


def _plot_classification(plt, out, data) -> Path:  # type: ignore[no-untyped-def]
    """A timeline per cell as one image (cells by time steps), so that a year of many
    cells draws as fast as a day."""
    from matplotlib.colors import ListedColormap
    from matplotlib.dates import date2num

    cells, times = data.cells, data.times
    figure, axes = plt.subplots(
        1, 2, figsize=(13, 1.4 + 0.3 * len(cells)), sharey=True, squeeze=False
    )
    colours = ListedColormap(["grey", *COLOURS.values()])  # code -1 (unknown) first
    step = (times[1] - times[0]) if len(times) > 1 else timedelta(minutes=15)
    extent = (date2num(times[0]), date2num(times[-1] + step), len(cells) - 0.5, -0.5)
    for axis, codes, title in (
        (axes[0, 0], data.classes, "before redispatch"),
        (axes[0, 1], data.classes_after, "after redispatch"),
    ):
        axis.imshow(
            codes,
            aspect="auto",
            cmap=colours,
            vmin=-1.5,
            vmax=len(CLASSES) - 0.5,
            interpolation="none",
            extent=extent,
        )
        axis.xaxis_date()
        axis.set_title(f"Classification per cell, {title}")
        for label in axis.get_xticklabels():
            label.set_rotation(30)
            label.set_horizontalalignment("right")
    axes[0, 0].set_yticks(range(len(cells)), cells if len(cells) <= 40 else [""] * len(cells))
    handles = [
        plt.Line2D([], [], marker="s", linestyle="", color=c, label=k) for k, c in COLOURS.items()
    ]
    axes[0, 1].legend(
        handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small"
    )
    return _save(figure, out / "classification.png", plt)


def plot_comparison(figures: Mapping[str, Mapping[str, float]], path: Path) -> Path:
    """Grouped bars of each strategy's energies, its share of balanced cell-steps after
    redispatch and its cost."""
    plt = _pyplot()
    energies = [k for k in FIGURE_LABELS if k.endswith("_mwh")]
    strategies = list(figures)
    withins = {name.partition("/")[2] for name in strategies}
    short = [name.partition("/")[0] if len(withins) == 1 else name for name in strategies]
    figure, (left, middle, right) = plt.subplots(
        1, 3, figsize=(14, 4.8), gridspec_kw={"width_ratios": [3, 1, 1]}
    )
    width = 0.8 / max(len(strategies), 1)
    for i, strategy in enumerate(strategies):
        xs = [k + (i - (len(strategies) - 1) / 2) * width for k in range(len(energies))]
        left.bar(xs, [figures[strategy][e] for e in energies], width=width, label=short[i])
        middle.bar(i, figures[strategy]["balanced_after"], color=f"C{i}")
        right.bar(i, figures[strategy]["cost"], color=f"C{i}")
    left.set_xticks(
        range(len(energies)), [FIGURE_LABELS[e].replace(" [MWh]", "") for e in energies]
    )
    for label in left.get_xticklabels():
        label.set_rotation(25)
        label.set_horizontalalignment("right")
    within = f" (within cells: {withins.pop()})" if len(withins) == 1 else ""
    left.set(title=f"Energy by way of resolving imbalances{within}", ylabel="MWh")
    left.legend(fontsize="small")
    middle.set_xticks(range(len(strategies)), short)
    middle.set(title="Balanced after redispatch", ylabel="% of cell-steps", ylim=(0, 100))
    right.set_xticks(range(len(strategies)), short)
    right.set(title="Cost (optimal's objective)", ylabel="cost per MW x hours")
    return _save(figure, path, plt)


def plot_losses(runs: Sequence[tuple[str, float, Mapping[str, float]]], path: Path) -> Path:
    """Control quality against the simulated network's loss rate, one line per strategy:
    the share of balanced cell-steps after redispatch and the unresolved energy.
    ``runs``: (strategy, loss rate, figures)."""
    plt = _pyplot()
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
    strategies = list(dict.fromkeys(strategy for strategy, _, _ in runs))
    for strategy in strategies:
        points = sorted((loss, f) for s, loss, f in runs if s == strategy)
        losses = [100 * loss for loss, _ in points]
        left.plot(losses, [f["balanced_after"] for _, f in points], marker="o", label=strategy)
        right.plot(losses, [f["unresolved_mwh"] for _, f in points], marker="o", label=strategy)
    left.set(
        title="Balanced after redispatch",
        xlabel="messages lost [%]",
        ylabel="% of cell-steps",
        ylim=(0, 100),
    )
    right.set(title="Unresolved imbalance", xlabel="messages lost [%]", ylabel="MWh")
    left.legend(fontsize="small")
    return _save(figure, path, plt)


def plot_scalability(medians: Mapping[int, Sequence[tuple[int, float]]], path: Path) -> Path:
    """Median MAS step time [s] against cells, one line per depth (log scale)."""
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(8, 5))
    for depth, points in sorted(medians.items()):
        xs, ys = zip(*sorted(points), strict=True)
        axis.plot(xs, ys, marker="o", label=f"depth {depth}")
    axis.set_yscale("log")
    axis.set(title="Median MAS step time", xlabel="cells", ylabel="seconds (log scale)")
    axis.legend()
    return _save(figure, path, plt)


def _save(figure: object, path: Path, plt: object) -> Path:
    figure.tight_layout()  # type: ignore[attr-defined]
    figure.savefig(path, dpi=110)  # type: ignore[attr-defined]
    plt.close(figure)  # type: ignore[attr-defined]
    return path
