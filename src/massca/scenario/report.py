"""Plots of a run folder, the pictures a person looks at first.

Belongs here: reading ``results.csv`` and drawing PNGs with matplotlib (Agg, no screen):
``balance.png`` (each cell's net balance over time), ``exchange.png`` (the external
grid's power from the power flow, and the MAS's planned exchange), ``classification.png``
(a timeline: one row per cell, coloured by balanced / oversupplied / undersupplied).
For the scalability sweep: ``scalability.png`` (median MAS step time against cells, one
line per depth, log scale).
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

__all__ = ["plot_run", "plot_scalability"]

COLOURS = {"balanced": "#2ca02c", "oversupplied": "#ff7f0e", "undersupplied": "#1f77b4"}


def _pyplot():  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_run(out: Path) -> list[Path]:
    """Draw the run's plots into ``out``; returns their paths (none for an empty run)."""
    with (out / "results.csv").open(newline="") as file:
        rows = list(csv.DictReader(file))
    if not rows:
        return []
    plt = _pyplot()
    times = [datetime.fromisoformat(r["datetime"]) for r in rows]
    cells = [c[: -len("_class")] for c in rows[0] if c.endswith("_class")]
    paths = []

    figure, axis = plt.subplots(figsize=(10, 4.5))
    for cell in cells:
        axis.plot(times, [float(r[f"{cell}_balance"]) for r in rows], label=cell, linewidth=1)
    axis.axhline(0.0, color="black", linewidth=0.6)
    axis.set(title="Net balance per cell (production - consumption)", ylabel="MW")
    if len(cells) <= 12:
        axis.legend(ncol=min(len(cells), 6), fontsize="small")
    figure.autofmt_xdate()
    paths.append(_save(figure, out / "balance.png", plt))

    figure, axis = plt.subplots(figsize=(10, 4.5))
    axis.plot(
        times,
        [float(r["external_grid_p_mw"] or "nan") for r in rows],
        label="external grid P (power flow; + import)",
    )
    axis.plot(
        times,
        [-float(r["mas_exchange_mw"] or "nan") for r in rows],
        linestyle="--",
        label="MAS planned import",
    )
    axis.axhline(0.0, color="black", linewidth=0.6)
    axis.set(title="Exchange with the external grid", ylabel="MW")
    axis.legend(fontsize="small")
    figure.autofmt_xdate()
    paths.append(_save(figure, out / "exchange.png", plt))

    figure, axis = plt.subplots(figsize=(11, 1.4 + 0.3 * len(cells)))
    for row_index, cell in enumerate(cells):
        colours = [COLOURS.get(r[f"{cell}_class"], "grey") for r in rows]
        axis.scatter(times, [row_index] * len(rows), c=colours, marker="s", s=12)
    axis.set_yticks(range(len(cells)), cells if len(cells) <= 40 else [""] * len(cells))
    axis.set_title("Classification per cell")
    handles = [
        plt.Line2D([], [], marker="s", linestyle="", color=c, label=k) for k, c in COLOURS.items()
    ]
    axis.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    figure.autofmt_xdate()
    paths.append(_save(figure, out / "classification.png", plt))
    return paths


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
