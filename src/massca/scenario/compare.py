"""``massca compare``: the same scenario under several between-cells strategies.

Belongs here: running one configuration once per strategy on identical inputs (same
grid, profiles, seed and options; only the strategy differs), each into its own run
folder, and writing ``comparison.csv`` (one row per strategy: its figures, the median MAS
step and the wall time) and ``comparison.png`` (with every run's own plots). Not here:
printing the table (the CLI).
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
from massca.scenario.report import plot_comparison, plot_run
from massca.scenario.run import RunSummary, run_scenario

__all__ = ["COMPARISON_COLUMNS", "run_comparison"]

COMPARISON_COLUMNS = (
    "strategy",
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
) -> list[RunSummary]:
    """Run ``config`` once per strategy into ``out/<strategy>``, then write
    ``out/comparison.csv`` and, with ``plots``, each run's plots and
    ``out/comparison.png``; returns the runs' summaries.

    `ConfigurationError` for an unknown or repeated strategy, and for a folder that holds
    an earlier comparison (unless ``overwrite``) or is in use. A run that is interrupted
    or fails stops the comparison; the runs before it keep their folders.
    """
    unknown = [s for s in strategies if s not in BETWEEN_CELLS]
    if unknown or not strategies or len(set(strategies)) != len(strategies):
        raise ConfigurationError(
            f"--strategies {' '.join(strategies)}: give distinct names from "
            f"{', '.join(BETWEEN_CELLS)}"
        )
    with claimed(out, overwrite):
        return _compare(config, strategies, out, progress, announce, plots, overwrite)


def _compare(
    config: ScenarioConfig,
    strategies: Sequence[str],
    out: Path,
    progress: bool,
    announce: Callable[[str], None],
    plots: bool,
    overwrite: bool,
) -> list[RunSummary]:
    summaries = []
    for strategy in strategies:
        announce(f"{strategy}: running into {out / strategy}")
        summary = run_scenario(
            replace(config, strategy=strategy), out / strategy, progress, overwrite
        )
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
        plot_comparison({s.strategy: s.figures for s in summaries}, out / "comparison.png")
    return summaries


def _row(summary: RunSummary) -> dict[str, object]:
    return {
        "strategy": summary.strategy,
        **summary.figures,
        "median_mas_step_ms": summary.median_mas_step_ms,
        "wall_s": summary.wall_s,
        "steps": summary.steps,
    }
