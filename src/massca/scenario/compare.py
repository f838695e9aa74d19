"""``massca compare``: the same scenario under several between-cells strategies, and
under several rates of message loss.

Belongs here: running one configuration once per strategy (and, with ``losses``, once
per strategy and loss rate of the simulated network) on identical inputs (same grid,
profiles, seed and options; only the strategy and the loss differ), each into its own run
folder, and writing ``comparison.csv`` (one row per run: its figures, the median MAS step
and the wall time), ``comparison.png`` (with every run's own plots) and, with losses,
``loss.png`` (how control quality degrades). Not here: printing the table (the CLI).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from massca.model import BETWEEN_CELLS, ConfigurationError
from massca.scenario.config import ScenarioConfig
from massca.scenario.folder import claimed
from massca.scenario.metrics import FIGURE_LABELS
from massca.scenario.report import plot_comparison, plot_losses, plot_run
from massca.scenario.run import RunSummary, run_scenario

__all__ = ["COMPARISON_COLUMNS", "label", "run_comparison"]

COMPARISON_COLUMNS = (
    "strategy",
    "loss",
    "missing",
    "unsettled",
    *FIGURE_LABELS,
    "median_mas_step_ms",
    "wall_s",
    "steps",
)


def run_comparison(
    config: ScenarioConfig,
    strategies: Sequence[str],
    out: Path,
    progress: bool = True,
    announce: Callable[[str], None] = lambda line: None,
    plots: bool = True,
    overwrite: bool = False,
    losses: Sequence[float] = (),
) -> list[RunSummary]:
    """Run ``config`` once per strategy into ``out/<strategy>`` (with ``losses``: once
    per strategy and loss rate, into ``out/<strategy>-loss-<rate>``, over the simulated
    network ``config`` describes, or one without delays), then write
    ``out/comparison.csv`` and, with ``plots``, each run's plots, ``out/comparison.png``
    and, with losses, ``out/loss.png``; returns the runs' summaries.

    `ConfigurationError` for an unknown or repeated strategy or loss rate, a rate outside
    [0, 1], and for a folder that holds an earlier comparison (unless ``overwrite``) or
    is in use. A run that is interrupted or fails stops the comparison; the runs before
    it keep their folders.
    """
    unknown = [s for s in strategies if s not in BETWEEN_CELLS]
    if unknown or not strategies or len(set(strategies)) != len(strategies):
        raise ConfigurationError(
            f"--strategies {' '.join(strategies)}: give distinct names from "
            f"{', '.join(BETWEEN_CELLS)}"
        )
    if len(set(losses)) != len(losses) or not all(0 <= p <= 1 for p in losses):
        raise ConfigurationError(
            f"--loss {' '.join(map(str, losses))}: give distinct probabilities from 0 to 1"
        )
    runs = [  # each checked as it is made: e.g. cohda over a network, before any run
        (strategy, loss, replace(config, strategy=strategy, loss=loss))
        for strategy in strategies
        for loss in (losses or (None,))
    ]
    with claimed(out, overwrite):
        return _compare(runs, out, progress, announce, plots, overwrite)


def _compare(
    runs: Sequence[tuple[str, float | None, ScenarioConfig]],
    out: Path,
    progress: bool,
    announce: Callable[[str], None],
    plots: bool,
    overwrite: bool,
) -> list[RunSummary]:
    summaries = []
    for strategy, loss, config in runs:
        folder = out / (strategy if loss is None else f"{strategy}-loss-{loss:g}")
        announce(f"{label(strategy, loss)}: running into {folder}")
        summary = run_scenario(config, folder, progress, overwrite)
        summaries.append(summary)
        if summary.stopped:
            break
    with (out / "comparison.csv").open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=COMPARISON_COLUMNS)
        writer.writeheader()
        for summary in summaries:
            writer.writerow(_row(summary))
    if plots:
        for summary in summaries:
            plot_run(summary.out)
        plot_comparison(
            {label(s.strategy, s.loss): s.figures for s in summaries}, out / "comparison.png"
        )
        if runs[0][1] is not None:
            points = [(s.strategy, s.loss or 0.0, s.figures) for s in summaries]
            plot_losses(points, out / "loss.png")
    return summaries


def label(strategy: str, loss: float | None) -> str:
    """A run's name in a comparison: its strategy, and its loss rate if it has one."""
    return strategy if loss is None else f"{strategy} loss {loss:g}"


def _row(summary: RunSummary) -> dict[str, object]:
    return {
        "strategy": summary.strategy,
        "loss": "" if summary.loss is None else summary.loss,
        "missing": summary.missing,
        "unsettled": summary.unsettled,
        **summary.figures,
        "median_mas_step_ms": summary.median_mas_step_ms,
        "wall_s": summary.wall_s,
        "steps": summary.steps,
    }
