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

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

from massca.scenario.metrics import FIGURE_LABELS, cell_names, read_rows, resolution

__all__ = ["plot_comparison", "plot_run", "plot_scalability"]

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


def _floats(rows: Sequence[Mapping[str, str]], column: str) -> list[float]:
    return [float(r[column] or "nan") for r in rows]


def plot_run(out: Path) -> list[Path]:
    """Draw the run's plots into ``out``; returns their paths (none for an empty run)."""
    rows = read_rows(out / "results.csv")
    if not rows:
        return []
    plt = _pyplot()
    times = [datetime.fromisoformat(r["datetime"]) for r in rows]
    cells = cell_names(rows)
    plots = [
        _plot_balance(plt, out, rows, times, cells),
        _plot_resolution(plt, out, rows, times, cells),
        _plot_exchange(plt, out, rows, times),
        _plot_classification(plt, out, rows, times, cells),
    ]
    if any(rows[0].get(f"{cell}_soc") for cell in cells):
        plots.append(_plot_storage(plt, out, rows, times, cells))
    return plots


def _plot_storage(plt, out, rows, times, cells) -> Path:  # type: ignore[no-untyped-def]
    figure, (soc, power) = plt.subplots(2, 1, figsize=(10, 6.5), sharex=True)
    shown = cells if len(cells) <= 12 else cells[:12]
    for cell in shown:
        soc.plot(times, [100 * v for v in _floats(rows, f"{cell}_soc")], label=cell)
        power.plot(
            times,
            [
                a + b
                for a, b in zip(
                    _floats(rows, f"{cell}_storage"),
                    _floats(rows, f"{cell}_storage_change"),
                    strict=True,
                )
            ],
            label=cell,
            linewidth=1,
        )
    more = f" (first 12 of {len(cells)} cells)" if len(cells) > 12 else ""
    soc.set(title=f"Batteries' state of charge per cell{more}", ylabel="% (at step start)")
    soc.set_ylim(0, 100)
    power.axhline(0.0, color="black", linewidth=0.6)
    power.set(title="Batteries' power per cell", ylabel="MW (+ discharging, - charging)")
    soc.legend(fontsize="small", ncol=min(len(shown), 6), loc="upper left")
    figure.autofmt_xdate()
    return _save(figure, out / "storage.png", plt)


def _plot_balance(plt, out, rows, times, cells) -> Path:  # type: ignore[no-untyped-def]
    if len(cells) <= PANELS_UP_TO:
        figure, axes = plt.subplots(
            len(cells), 1, figsize=(10, 1.2 + 1.8 * len(cells)), sharex=True, squeeze=False
        )
        for axis, cell in zip(axes[:, 0], cells, strict=True):
            axis.plot(times, _floats(rows, f"{cell}_balance"), label="before", linewidth=1)
            after = _floats(rows, f"{cell}_balance_after")
            axis.plot(times, after, label="after redispatch", linewidth=1.2, linestyle="--")
            axis.axhline(0.0, color="black", linewidth=0.6)
            axis.set_ylabel(f"{cell}\nMW")
        axes[0, 0].legend(fontsize="small", loc="upper right")
        axes[0, 0].set_title("Net balance per cell (production - consumption), before and after")
        figure.autofmt_xdate()
    else:
        figure, axes = plt.subplots(1, 2, figsize=(12, 1.5 + 0.12 * len(cells)), sharey=True)
        before = [_floats(rows, f"{c}_balance") for c in cells]
        after = [_floats(rows, f"{c}_balance_after") for c in cells]
        scale = max(abs(v) for series in before for v in series) or 1.0
        for axis, data, title in ((axes[0], before, "before"), (axes[1], after, "after")):
            image = axis.imshow(
                data, aspect="auto", cmap="RdBu_r", vmin=-scale, vmax=scale, interpolation="none"
            )
            axis.set_title(f"Net balance per cell, {title} redispatch")
            axis.set_xlabel("time step")
        axes[0].set_ylabel("cell")
        figure.colorbar(image, ax=axes, label="MW (+ surplus)")
    return _save(figure, out / "balance.png", plt)


def _plot_resolution(plt, out, rows, times, cells) -> Path:  # type: ignore[no-untyped-def]
    parts = list(zip(*(resolution(row, cells) for row in rows), strict=True))
    figure, axis = plt.subplots(figsize=(10, 4.5))
    width = (times[1] - times[0]) * 0.9 if len(times) > 1 else 0.01
    up = [0.0] * len(rows)
    down = [0.0] * len(rows)
    for (label, colour), values in zip(RESOLVED_BY, parts, strict=True):
        bottoms = [u if v >= 0 else d for v, u, d in zip(values, up, down, strict=True)]
        axis.bar(times, values, width=width, bottom=bottoms, color=colour, label=label)
        up = [u + max(v, 0.0) for u, v in zip(up, values, strict=True)]
        down = [d + min(v, 0.0) for d, v in zip(down, values, strict=True)]
    axis.axhline(0.0, color="black", linewidth=0.6)
    axis.set(
        title="How the cells' imbalance was resolved (summed over cells)",
        ylabel="MW (below 0: against a cell's own imbalance)",
    )
    axis.set_ylim(min(min(down), 0.0) * 1.1, max(max(up), 1e-9) * 1.2)  # room for the legend
    axis.legend(fontsize="small", ncol=4, loc="upper left")
    figure.autofmt_xdate()
    return _save(figure, out / "resolution.png", plt)


def _plot_exchange(plt, out, rows, times) -> Path:  # type: ignore[no-untyped-def]
    figure, axis = plt.subplots(figsize=(10, 4.5))
    axis.plot(
        times, _floats(rows, "external_grid_p_mw"), label="external grid P (power flow; + import)"
    )
    axis.plot(
        times,
        [-v for v in _floats(rows, "mas_exchange_mw")],
        linestyle="--",
        label="MAS planned import",
    )
    axis.axhline(0.0, color="black", linewidth=0.6)
    axis.set(title="Exchange with the external grid", ylabel="MW")
    axis.legend(fontsize="small")
    figure.autofmt_xdate()
    return _save(figure, out / "exchange.png", plt)


def _plot_classification(plt, out, rows, times, cells) -> Path:  # type: ignore[no-untyped-def]
    figure, axes = plt.subplots(
        1, 2, figsize=(13, 1.4 + 0.3 * len(cells)), sharey=True, squeeze=False
    )
    for axis, column, title in (
        (axes[0, 0], "class", "before redispatch"),
        (axes[0, 1], "class_after", "after redispatch"),
    ):
        for row_index, cell in enumerate(cells):
            colours = [COLOURS.get(r[f"{cell}_{column}"], "grey") for r in rows]
            axis.scatter(times, [row_index] * len(rows), c=colours, marker="s", s=12)
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
