"""Running the default scenario into a run folder, and summarising what happened.

Belongs here: `run_scenario` (prepare the folder, build and run the world, shut it down
whatever happens) and `RunSummary`. Not here: plotting (`report`) and printing (the CLI).

The run folder is held by the run (`massca.scenario.folder`: one run at a time, an
earlier run refused unless asked to overwrite it) and receives ``config.json`` (the
effective configuration) first, ``results.csv`` (one row per completed time step,
written as the run goes), ``events.zst`` (the MAS's compact event log, replayable with
``massca replay``) and, from `massca.scenario.report`, the plots. Ctrl-C or a failure
mid-run still shuts the world down, so every completed step is on disk; the summary
(written atomically, as the configuration) says where the run stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import statistics
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from massca.actors.gcpause import frozen
from massca.interrupts import stop_requests
from massca.scenario.config import ScenarioConfig
from massca.scenario.folder import claimed, write_atomic
from massca.scenario.metrics import RunTally, cell_names, read_rows

__all__ = ["RunSummary", "run_scenario", "summarise"]


@dataclass(frozen=True, slots=True)
class RunSummary:
    """What a run did. ``stopped`` is None for a complete run, else why it stopped.

    ``balanced_share`` / ``balanced_after_share``: per cell, the share of time steps in
    which it was balanced before / after the MAS's redispatch. ``figures``: the run's
    `massca.scenario.metrics.RunFigures` (energies, balanced cell-steps, cost).
    ``storage``: the batteries' ``capacity_mwh``, the energy they ``stored_mwh`` and
    ``released_mwh``, their ``losses_mwh`` and equivalent full ``cycles`` (released
    energy over capacity); empty for a run without batteries. ``negotiation``: for a
    negotiating strategy (``cohda``), the time ``steps`` in which cells exchanged views,
    the ``messages`` (views delivered) in total and the ``median`` per such step, and how
    many negotiations hit their message cap (``capped``); else empty. ``loss``: the
    simulated network's loss rate (None without one); ``missing``: the agents that missed
    a deadline, summed over every iteration; ``unsettled``: the time steps whose
    iterations ran out before the MAS converged.
    """

    out: Path
    steps: int
    steps_planned: int
    agents: int
    wall_s: float
    median_mas_step_ms: float
    median_mas_iteration_ms: float
    strategy: str = ""
    balanced_share: dict[str, float] = field(default_factory=dict)
    balanced_after_share: dict[str, float] = field(default_factory=dict)
    figures: dict[str, float] = field(default_factory=dict)
    storage: dict[str, float] = field(default_factory=dict)
    negotiation: dict[str, float] = field(default_factory=dict)
    loss: float | None = None
    missing: int = 0
    unsettled: int = 0
    last_time: str = ""
    stopped: str | None = None
    log_path: Path | None = None


def run_scenario(
    config: ScenarioConfig,
    out: Path,
    progress: bool = True,
    overwrite: bool = False,
    report: Callable[[str], None] | None = None,
) -> RunSummary:
    """Run ``config`` into the folder ``out``, which the run holds for itself (see
    `massca.scenario.folder.claimed`: an earlier run in it is refused unless
    ``overwrite``); see the module docstring. A world too big for the memory left is
    refused before the folder is touched. ``progress``: mosaik's progress bar;
    ``report``, if given, hears how building a large world goes."""
    from massca.scenario.world import check_size

    check_size(config)
    with claimed(out, overwrite):
        return _run(config, out, progress, report)


def _run(
    config: ScenarioConfig, out: Path, progress: bool, report: Callable[[str], None] | None
) -> RunSummary:
    started = time.perf_counter()
    write_atomic(out / "config.json", json.dumps(config.to_json(), indent=2) + "\n")
    _quiet_libraries()
    stopped = None
    with stop_requests() as requests:
        try:
            from massca.scenario.world import build_world

            built = build_world(config, out, report)
        except Exception as error:
            if requests.reason is None:
                raise
            raise requests.interrupt() from error  # a library's version of the interrupt
        if requests.reason is not None:  # a library swallowed it while the world was built
            _shutdown(built.world, failing=True)
            raise requests.interrupt()
        try:
            with warnings.catch_warnings():
                # At the first step there is no earlier power flow for the time-shifted
                # external-grid reading; mosaik warns and passes None, which the MAS shell
                # treats as "no reading yet". Only that one message is silenced.
                warnings.filterwarnings(
                    "ignore",
                    message=r".*ExternalGrid-0 did not produce output on its persistent",
                )
                with frozen():  # the built world is never scanned by the collector
                    built.world.run(until=config.seconds, print_progress=progress)
            stopped = requests.reason  # mosaik returns when an interrupt hits its scheduler
        except KeyboardInterrupt as stop:  # Ctrl-C or SIGTERM
            stopped = requests.of(stop)
        except Exception as error:
            if requests.reason is not None:  # a library's version of the interrupt
                stopped = requests.reason
            else:
                stopped = f"failed: {type(error).__name__}: {error}"
                raise
        finally:
            _shutdown(built.world, failing=stopped is not None)
            summary = summarise(
                out,
                config,
                built.agents,
                time.perf_counter() - started,
                stopped,
                built.log_path,
                built.storage_mwh,
            )
            write_atomic(out / "summary.json", json.dumps(_json(summary), indent=2) + "\n")
    return summary


def summarise(
    out: Path,
    config: ScenarioConfig,
    agents: int,
    wall_s: float,
    stopped: str | None,
    log_path: Path | None,
    storage_mwh: float = 0.0,
) -> RunSummary:
    """The summary of the run folder ``out`` as it is on disk; ``storage_mwh`` is the
    batteries' energy capacity."""
    results = out / "results.csv"
    tally = RunTally(cell_names(results), config.step)
    for row in read_rows(results):  # streamed: a year's table need not fit in memory
        tally.add(row)
    run_figures = tally.figures()
    storage = (
        {
            "capacity_mwh": storage_mwh,
            "stored_mwh": run_figures.stored_mwh,
            "released_mwh": run_figures.released_mwh,
            "losses_mwh": run_figures.storage_losses_mwh,
            "cycles": run_figures.released_mwh / storage_mwh,
        }
        if storage_mwh > 0
        else {}
    )

    return RunSummary(
        out=out,
        steps=tally.steps,
        steps_planned=config.steps,
        agents=agents,
        wall_s=wall_s,
        median_mas_step_ms=statistics.median(tally.step_ms) if tally.step_ms else 0.0,
        median_mas_iteration_ms=(
            statistics.median(tally.iteration_ms) if tally.iteration_ms else 0.0
        ),
        strategy=f"{config.strategy}/{config.within}",
        balanced_share=tally.share(),
        balanced_after_share=tally.share(after=True),
        figures=run_figures.to_json(),
        storage=storage,
        negotiation=tally.negotiation(),
        loss=None if config.network() is None else config.loss or 0.0,
        missing=tally.missing,
        unsettled=tally.unsettled,
        last_time=tally.last_time,
        stopped=stopped,
        log_path=log_path,
    )


def _shutdown(world: object, failing: bool) -> None:
    """Shut the world down: its simulators' finalize flushes the results and the log.

    When the run already failed or was interrupted, mosaik's own tasks were left
    mid-step: they are cancelled and awaited first (else asyncio reports each as
    "destroyed but pending" when the loop goes), and a second error while shutting down
    must not hide the first: it is dropped then, and only then.
    """
    if not failing:
        world.shutdown()  # type: ignore[attr-defined]
        return
    with contextlib.suppress(Exception):
        _cancel_pending(world.loop)  # type: ignore[attr-defined]
    with contextlib.suppress(Exception):
        world.shutdown()  # type: ignore[attr-defined]
    # If a simulator's finalize raised just now (a full disk), mosaik warns when the world
    # is collected that it "was never shut down": it was, as far as it could be.
    warnings.filterwarnings("ignore", message="AsyncWorld was never shut down")


def _cancel_pending(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel every task left on ``loop`` (not running) and wait until they have ended."""
    if loop.is_closed():
        return
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))


def _quiet_libraries() -> None:
    """mosaik and mosaik-pandapower-2 log through loguru at INFO; the CLI shows progress."""
    from loguru import logger

    for name in ("mosaik", "mosaik_api_v3", "mosaik_components"):
        logger.disable(name)


def _json(summary: RunSummary) -> dict[str, object]:
    return {
        "out": str(summary.out),
        "steps": summary.steps,
        "steps_planned": summary.steps_planned,
        "agents": summary.agents,
        "wall_s": summary.wall_s,
        "median_mas_step_ms": summary.median_mas_step_ms,
        "median_mas_iteration_ms": summary.median_mas_iteration_ms,
        "strategy": summary.strategy,
        "balanced_share": summary.balanced_share,
        "balanced_after_share": summary.balanced_after_share,
        "figures": summary.figures,
        "storage": summary.storage,
        "negotiation": summary.negotiation,
        "loss": summary.loss,
        "missing": summary.missing,
        "unsettled": summary.unsettled,
        "last_time": summary.last_time,
        "stopped": summary.stopped,
        "log": None if summary.log_path is None else str(summary.log_path),
    }
