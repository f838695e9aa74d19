"""The ``massca`` command line. Thin: parse arguments, call the layers below, print.

This is the only place in massca that prints (with its entry point, `massca.entry`);
everything else returns values or logs through structlog. Exit codes: 0 success, 1 a
replay diverged or a run failed, 2 bad input (one line ``massca: error: ...``, no
traceback), 130 stopped by Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import orjson

from massca import __version__
from massca.compat.spread import PLACEMENTS, TRANSPORTS
from massca.entry import say_stopped
from massca.errors import ConfigurationError, LogFormatError, MasscaError
from massca.interrupts import EXIT_INTERRUPTED, stop_requests
from massca.log import FORMAT_VERSION, Event, LogHeader, ReplayReport
from massca.log.events import receivers_of
from massca.model.strategy import BETWEEN_CELLS, WITHIN_CELL

__all__ = ["main"]

EXIT_DIVERGED = 1
EXIT_USAGE = 2
EXIT_FAILED = 1


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line (and exit 2, as argparse's)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = _Parser(
        prog="massca",
        description="Multi-agent co-simulation of hierarchical energy cells "
        "(mosaik, mango-agents, pandapower).",
    )
    parser.add_argument("--version", action="version", version=f"massca {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_run(commands)
    _add_compare(commands)
    _add_scale(commands)
    _add_bench(commands)
    _add_replay(commands)
    _add_log(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code.

    Ctrl-C and SIGTERM (`massca.interrupts`) end any command in one line and exit code
    130, while its heavy modules load too; a run keeps its completed steps first."""
    with stop_requests() as requests:
        try:
            return _command(argv)
        except KeyboardInterrupt as stop:
            return say_stopped(requests, stop)


def _say(command: str) -> Callable[[str], None]:
    """A reporter that prints ``command: text`` on stderr at once."""

    def say(text: str) -> None:
        print(f"{command}: {text}", file=sys.stderr, flush=True)

    return say


def _command(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except (ConfigurationError, LogFormatError) as error:
        print(f"massca: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except MasscaError as error:  # the agents failed (a timeout, a handler that raised)
        print(f"massca: error: {error}", file=sys.stderr)
        return EXIT_FAILED
    except BrokenPipeError:  # the reader of our output went away (e.g. `| head`)
        sys.stderr.close()
        return 0


# -- run ----------------------------------------------------------------------------------


_RUN_KEYS = (
    "cells",
    "depth",
    "start",
    "days",
    "until",
    "step",
    "seed",
    "runtime",
    "flexibility",
    "der_scale",
    "within",
    "interface_scale",
    "grid_limit",
    "storage_hours",
    "soc0",
    "horizon",
    "processes",
    "placement",
    "transport",
    "broker",
    "loss",
    "deadline",
)


def _add_scenario_options(parser: argparse.ArgumentParser, losses: bool = False) -> None:
    """The options `massca run` and `massca compare` share (defaults in brackets);
    ``losses``: ``--loss`` takes several rates (compare runs each)."""
    parser.add_argument(
        "--config",
        metavar="FILE.toml",
        help="read options from a TOML file (same keys as the options; the command line wins)",
    )
    parser.add_argument("--cells", type=int, help="number of cells (2)")
    parser.add_argument("--depth", type=int, help="intermediate controllers per cell (1)")
    parser.add_argument("--start", help="simulated start in 2016, e.g. '2016-06-01 00:00'")
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--days", type=float, help="simulated days (1)")
    length.add_argument("--until", type=int, metavar="SECONDS", help="simulated seconds")
    parser.add_argument("--step", type=int, help="seconds per step, a multiple of 900 (900)")
    parser.add_argument("--seed", type=int, help="seed of the unit placement and DER sizes (13)")
    parser.add_argument("--runtime", choices=("native", "mango"), help="agent runtime (native)")
    parser.add_argument("--flexibility", type=float, help="loads' shiftable share (0.1)")
    parser.add_argument(
        "--der-scale",
        type=float,
        dest="der_scale",
        help="DER ratings (PV, wind, CHP, fuel cells, batteries) x this (15)",
    )
    parser.add_argument(
        "--within",
        choices=WITHIN_CELL,
        help="how a cell divides its part among its units (proportional)",
    )
    parser.add_argument(
        "--interface-scale",
        type=float,
        dest="interface_scale",
        help="cells' import/export limits: their transformers' 50 MW x this (1)",
    )
    parser.add_argument(
        "--grid-limit",
        type=float,
        dest="grid_limit",
        metavar="MW",
        help="the external grid's import and export limit (none)",
    )
    parser.add_argument(
        "--storage-hours",
        type=float,
        dest="storage_hours",
        metavar="H",
        help="batteries' energy capacity in hours at rated power; 0: no batteries (2)",
    )
    parser.add_argument(
        "--soc0", type=float, metavar="X", help="batteries' start state of charge, 0..1 (0.5)"
    )
    parser.add_argument(
        "--horizon",
        type=int,
        metavar="H",
        help="intervals cohda plans over, with the profiles as forecasts (1)",
    )
    parser.add_argument(
        "--processes",
        type=int,
        metavar="N",
        help="spread the agents over N worker processes, whole cells each (1: none)",
    )
    parser.add_argument(
        "--placement",
        choices=PLACEMENTS,
        help="which worker process holds which cells (blocks)",
    )
    parser.add_argument("--transport", choices=TRANSPORTS, help="how worker processes talk (tcp)")
    parser.add_argument(
        "--broker",
        metavar="HOST:PORT",
        help="the MQTT broker for --transport mqtt; auto: massca starts one (auto)",
    )
    network = parser.add_argument_group(
        "simulated ICT network",
        "simulate delays and message loss between the agents (native runtime, one "
        "process, not with cohda); a parent waits until its deadline, then goes on with "
        "the children that answered",
    )
    network.add_argument(
        "--delay",
        nargs="+",
        metavar="MS|CELL=MS",
        help="every link's one-way delay in ms, then any cell's own link to the coordinator, "
        "e.g. --delay 5 cell-1=40",
    )
    if losses:
        network.add_argument(
            "--loss",
            type=float,
            nargs="+",
            dest="losses",
            metavar="P",
            help="compare each strategy at each of these message loss rates, e.g. "
            "--loss 0 0.01 0.05 0.1",
        )
    else:
        network.add_argument("--loss", type=float, metavar="P", help="message loss rate, 0..1")
    network.add_argument(
        "--deadline",
        type=float,
        metavar="MS",
        help="how long the coordinator waits for each phase (twice the longest round trip)",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the run in a non-empty --out folder (else it is refused)",
    )
    parser.add_argument("--no-log", action="store_true", help="do not write the event log")
    parser.add_argument("--no-plots", action="store_true", help="do not draw the PNG plots")
    parser.add_argument("--quiet", action="store_true", help="no progress bar, no summary")


def _add_run(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = commands.add_parser(
        "run",
        help="co-simulate N energy cells on a real grid (the default scenario)",
        description="Co-simulate N CIGRE MV cells with PV, wind and flexible loads "
        "(SimBench profiles) in mosaik, with a pandapower power flow every step and the "
        "MAS balancing the cells. Defaults: the prototype's example (2 cells, depth 1, one "
        "day at 15-minute steps), decided cell by cell (cellular). Writes results.csv, "
        "events.zst, config.json, summary.json and PNG plots into the run folder.",
    )
    _add_scenario_options(run)
    run.add_argument(
        "--strategy",
        choices=BETWEEN_CELLS,
        help="how the cells resolve their imbalances together (cellular)",
    )
    run.add_argument("--out", metavar="DIR", help="run folder (runs/run-<date>-<time>)")
    run.set_defaults(handler=_run)


def _scenario_config(args: argparse.Namespace, **fixed: Any) -> Any:
    """The run's `ScenarioConfig`: a TOML file's keys, then the command line's."""
    from massca.scenario import ScenarioConfig, read_config_file
    from massca.scenario.profiles import load_profiles

    values = read_config_file(args.config) if args.config else {}
    for key in _RUN_KEYS:
        if getattr(args, key, None) is not None:
            values[key] = getattr(args, key)
    if args.delay is not None:
        values["delay"], values["cell_delays"] = _delays(args.delay)
    if getattr(args, "strategy", None) is not None:
        values["strategy"] = args.strategy
    if args.until is not None:  # the command line's length wins over the file's
        values.pop("days", None)
    if args.days is not None:
        values.pop("until", None)
    if args.no_log:
        values["log"] = False
    values.update(fixed)
    try:
        config = ScenarioConfig(**values)
    except TypeError as error:
        raise ConfigurationError(f"bad configuration: {error}") from None
    load_profiles(config.start_time(), config.seconds)  # a bad period fails before any work
    return config


def _delays(given: list[str]) -> tuple[float | None, dict[str, float]]:
    """``--delay MS [CELL=MS ...]`` as (every link's delay, the cells' own)."""
    every: float | None = None
    cells: dict[str, float] = {}
    for item in given:
        name, equals, value = item.rpartition("=")
        try:
            ms = float(value)
        except ValueError:
            raise ConfigurationError(
                f"--delay {item!r}: give milliseconds, or CELL=MS such as cell-1=40"
            ) from None
        if not equals:
            if every is not None:
                raise ConfigurationError(
                    f"--delay: give one delay for every link, not {item!r} too"
                )
            every = ms
        else:
            cells[name] = ms
    return every, cells


def _spread(processes: int, placement: str, transport: str) -> str:
    """How the agents are spread, for the first line of a run: nothing for one process."""
    if processes == 1:
        return ""
    return f" over {processes} worker processes ({placement}, {transport})"


def _run(args: argparse.Namespace) -> int:
    from datetime import datetime

    from massca.scenario import run_scenario

    config = _scenario_config(args)
    out = _out_folder(args.out, f"runs/run-{datetime.now():%Y%m%d-%H%M%S}")
    if not args.quiet:
        print(
            f"massca run: {config.cells} cells x depth {config.depth}, from {config.start} "
            f"for {config.seconds / 86400:g} day(s) at {config.step} s steps, strategy "
            f"{config.strategy}/{config.within}, runtime {config.runtime}"
            f"{_spread(config.processes, config.placement, config.transport)}"
            f"{_network_line(config)} -> {out}",
            flush=True,
        )
    try:
        summary = run_scenario(
            config,
            out,
            progress=False,  # massca's own lines (simulated time, rate, expected end)
            overwrite=args.overwrite,
            report=None if args.quiet else _say("massca run"),
        )
    except Exception as error:
        if isinstance(error, ConfigurationError):
            raise
        print(
            f"massca: error: the run failed: {type(error).__name__}: {error}\n"
            f"  {_where_it_stopped(out)}",
            file=sys.stderr,
        )
        return EXIT_FAILED
    if not args.no_plots:
        from massca.scenario.report import plot_run

        plot_run(out)
    if not args.quiet:
        _print_summary_of_run(summary)
    elif summary.stopped:
        print(
            f"massca: {summary.stopped}: {summary.steps}/{summary.steps_planned} steps "
            f"completed, kept in {out}",
            file=sys.stderr,
        )
    return EXIT_INTERRUPTED if summary.stopped else 0


def _out_folder(given: str | None, default: str) -> Path:
    """The ``--out`` folder: ``given``, or ``default`` when none was given; an empty
    ``--out ""`` is an error, not the default."""
    if given is None:
        return Path(default)
    if not given.strip():
        raise ConfigurationError('--out "": give a folder')
    return Path(given)


def _where_it_stopped(folder: Path) -> str:
    """From a failed run's ``summary.json``: how far it got, and where the results are."""
    try:
        summary = json.loads((folder / "summary.json").read_text())
    except (OSError, ValueError):
        return f"see {folder} for whatever was written"
    return (
        f"stopped after {summary['steps']}/{summary['steps_planned']} steps "
        f"(last completed: {summary['last_time'] or 'none'}); every completed step is in "
        f"{folder / 'results.csv'}"
    )


def _network_line(config: Any) -> str:
    """The simulated network, for the first line of a run: nothing without one."""
    network = config.network()
    if network is None:
        return ""
    own = "".join(f", {cell} {ms:g} ms" for cell, ms in config.cell_delays.items())
    deadline = "" if network.deadline_ms is None else f", deadline {network.deadline_ms:g} ms"
    return f", network: delay {network.delay_ms:g} ms{own}, loss {network.loss:g}{deadline}"


def _print_summary_of_run(summary: object) -> None:
    from massca.scenario import RunSummary

    assert isinstance(summary, RunSummary)
    state = "complete" if summary.stopped is None else f"stopped: {summary.stopped}"
    print(
        f"{state}: {summary.steps}/{summary.steps_planned} steps (last {summary.last_time}), "
        f"{summary.agents} agents, wall {summary.wall_s:.1f} s"
    )
    print(
        f"MAS step: median {summary.median_mas_iteration_ms:.2f} ms per iteration, "
        f"{summary.median_mas_step_ms:.2f} ms per time step"
    )
    for label, shares in (
        ("balanced before redispatch", summary.balanced_share),
        ("balanced after redispatch", summary.balanced_after_share),
    ):
        shown = ", ".join(f"{c} {100 * v:.0f}%" for c, v in list(shares.items())[:8])
        more = " ..." if len(shares) > 8 else ""
        print(f"{label}: {shown}{more}")
    f = summary.figures
    if f:
        print(
            f"balanced cell-steps: {f['balanced_before']:.1f}% before, "
            f"{f['balanced_after']:.1f}% after redispatch"
        )
        print(
            f"{summary.strategy}: curtailed {f['curtailed_mwh']:.1f} MWh, production raised "
            f"{f['raised_mwh']:.1f} MWh, load shifted "
            f"{f['shifted_mwh']:.1f} MWh, between cells {f['between_cells_mwh']:.1f} MWh, "
            f"grid import {f['grid_import_mwh']:.1f} / export {f['grid_export_mwh']:.1f} MWh, "
            f"unresolved {f['unresolved_mwh']:.1f} MWh"
        )
    b = summary.storage
    if b:
        print(
            f"batteries ({b['capacity_mwh']:.1f} MWh): stored {b['stored_mwh']:.1f} MWh, "
            f"released {b['released_mwh']:.1f} MWh, losses {b['losses_mwh']:.2f} MWh, "
            f"{b['cycles']:.2f} full cycles"
        )
    n = summary.negotiation
    if n:
        capped = f"{n['capped']:.0f} hit the message cap" if n["capped"] else "none hit the cap"
        print(
            f"negotiation: cells exchanged views in {n['steps']:.0f} time steps, "
            f"{n['messages']:.0f} in total (median {n['median']:g} per step); {capped}"
        )
    if summary.loss is not None:
        print(
            f"network: loss {summary.loss:g}, {summary.missing} answers missed their deadline "
            "(those agents offered no flexibility and got no order); "
            f"{summary.unsettled} of {summary.steps} time steps did not settle"
        )
    print(f"run folder: {summary.out} (results.csv, config.json, summary.json, plots)")
    if summary.log_path is not None:
        print(f"event log: massca replay {summary.log_path}")


# -- compare ------------------------------------------------------------------------------


def _add_compare(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    compare = commands.add_parser(
        "compare",
        help="run the scenario once per strategy on identical inputs and compare them",
        description="Run the default scenario (with the run options given) once per "
        "between-cells strategy, on identical inputs, each into <out>/<strategy>; write "
        "comparison.csv and comparison.png into <out> and print the table.",
    )
    compare.add_argument(
        "--strategies",
        nargs="+",
        metavar="NAME",
        help=f"strategies to compare ({' '.join(BETWEEN_CELLS)}; with --loss, all but cohda)",
    )
    _add_scenario_options(compare, losses=True)
    compare.add_argument("--out", metavar="DIR", help="folder (runs/compare-<date>-<time>)")
    compare.set_defaults(handler=_compare)


def _compare(args: argparse.Namespace) -> int:
    from datetime import datetime

    from massca.scenario.compare import label as run_label
    from massca.scenario.compare import run_comparison
    from massca.scenario.metrics import FIGURE_LABELS

    config = _scenario_config(args)
    losses = args.losses or ()
    strategies = args.strategies or [s for s in BETWEEN_CELLS if not losses or s != "cohda"]
    out = _out_folder(args.out, f"runs/compare-{datetime.now():%Y%m%d-%H%M%S}")
    say = (lambda line: None) if args.quiet else (lambda line: print(line, flush=True))
    summaries = run_comparison(
        config,
        strategies,
        out,
        not args.quiet,
        announce=say,
        plots=not args.no_plots,
        overwrite=args.overwrite,
        losses=losses,
    )
    names = [run_label(s.strategy, s.loss) for s in summaries]
    width = max(len(label) for label in FIGURE_LABELS.values())
    print(f"\n{'':<{width}} " + " ".join(f"{n:>22}" for n in names))
    for key, label in FIGURE_LABELS.items():
        print(f"{label:<{width}} " + " ".join(f"{s.figures[key]:>22.2f}" for s in summaries))
    print(
        f"{'median MAS step [ms]':<{width}} "
        + " ".join(f"{s.median_mas_step_ms:>22.2f}" for s in summaries)
    )
    if losses:
        print(
            f"{'answers missed [agent-iterations]':<{width}} "
            + " ".join(f"{s.missing:>22}" for s in summaries)
        )
    plot = "" if args.no_plots else f", {out / 'comparison.png'}"
    if losses and not args.no_plots:
        plot += f", {out / 'loss.png'}"
    print(f"\nwritten: {out / 'comparison.csv'}{plot}; each run in {out}/<strategy>")
    stopped = [s for s in summaries if s.stopped]
    if stopped:
        print(f"stopped: {stopped[0].strategy}: {stopped[0].stopped}", file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0


# -- scale --------------------------------------------------------------------------------


def _add_scale(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    scale = commands.add_parser(
        "scale",
        help="the prototype's scalability sweep: cells x depth x attempts",
        description="Run the default scenario for every combination of cells and depth, "
        "each attempt in a fresh process, and write scalability_time.csv and "
        "simulation_time.csv (the prototype's columns) and scalability.png.",
    )
    scale.add_argument("--cells", type=int, nargs="+", default=[2, 5, 10])
    scale.add_argument("--depth", type=int, nargs="+", default=[1], dest="depths")
    scale.add_argument("--attempts", type=int, default=1)
    scale.add_argument("--days", type=float, default=1.0)
    scale.add_argument("--runtime", choices=("native", "mango"), default="native")
    scale.add_argument("--out", metavar="DIR", default="runs/scalability")
    scale.add_argument("--overwrite", action="store_true", help="replace an earlier sweep in --out")
    scale.set_defaults(handler=_scale)


def _scale(args: argparse.Namespace) -> int:
    from massca.scenario.scale import run_sweep

    sweep = run_sweep(
        args.cells,
        args.depths,
        args.attempts,
        args.days,
        _out_folder(args.out, "runs/scalability"),
        args.runtime,
        report=lambda line: print(line, flush=True),
        overwrite=args.overwrite,
    )
    print(f"\n{'cells':>6} {'depth':>6} {'median MAS step':>16} {'median wall':>12}")
    for row in sweep.rows:
        print(
            f"{row.cells:>6} {row.depth:>6} {row.median_step_s * 1e3:>13.2f} ms "
            f"{row.median_sim_s:>10.1f} s"
        )
    print(f"\nwritten: {args.out}/scalability_time.csv, simulation_time.csv, scalability.png")
    if sweep.stopped:
        print(f"stopped: {sweep.stopped}; every completed run is in the files", file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0


# -- bench --------------------------------------------------------------------------------


def _add_bench(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    bench = commands.add_parser(
        "bench",
        help="time the MAS alone on N cells x depth d",
        description="Run the MAS alone (no mosaik, no grid) on N CIGRE-sized cells "
        "(18 loads + 9 generators each) with seeded synthetic states, and report the "
        "per-step time, messages per step and peak memory.",
    )
    bench.add_argument("--cells", type=int, default=50, help="number of cells (default 50)")
    bench.add_argument("--depth", type=int, default=1, help="controllers per cell chain (1)")
    bench.add_argument("--steps", type=int, default=50, help="measured steps (default 50)")
    bench.add_argument("--warmup", type=int, default=3, help="unmeasured first steps (3)")
    bench.add_argument("--runtime", choices=("native", "mango"), default="native")
    bench.add_argument(
        "--processes",
        type=int,
        default=1,
        metavar="N",
        help="spread the agents over N worker processes, whole cells each (1: none)",
    )
    bench.add_argument("--placement", choices=PLACEMENTS, default="blocks")
    bench.add_argument("--transport", choices=TRANSPORTS, default="tcp")
    bench.add_argument("--broker", default="auto", metavar="HOST:PORT")
    bench.add_argument("--strategy", choices=BETWEEN_CELLS, default="cellular")
    bench.add_argument("--within", choices=WITHIN_CELL, default="proportional")
    bench.add_argument("--seed", type=int, default=1, help="seed of the synthetic states")
    bench.add_argument(
        "--storage", type=int, default=0, metavar="N", help="batteries per cell (0; CIGRE has 2)"
    )
    logging = bench.add_mutually_exclusive_group()
    logging.add_argument("--no-log", action="store_true", help="switch the event log off")
    logging.add_argument("--log", metavar="FILE", help="keep the event log in FILE")
    bench.add_argument("--json", action="store_true", help="print one JSON object")
    bench.set_defaults(handler=_bench)


def _bench(args: argparse.Namespace) -> int:
    from massca.bench import BenchConfig, run_bench

    config = BenchConfig(
        cells=args.cells,
        depth=args.depth,
        steps=args.steps,
        warmup=args.warmup,
        runtime=args.runtime,
        seed=args.seed,
        log=not args.no_log,
        log_path=args.log,
        strategy=args.strategy,
        within=args.within,
        storage=args.storage,
        processes=args.processes,
        placement=args.placement,
        transport=args.transport,
        broker=args.broker,
    )
    result = run_bench(config, progress=_progress_bar("bench") if sys.stderr.isatty() else None)
    if args.json:
        print(orjson.dumps(result.to_json()).decode())
        return 0
    log = f"on ({result.log_path})" if result.log_path else "on (discarded)"
    print(
        f"massca bench: {result.cells} cells x depth {result.depth}, {result.agents} agents "
        f"({result.units} units, {result.storage} batteries per cell), runtime "
        f"{result.runtime}{_spread(result.processes, args.placement, args.transport)}, strategy "
        f"{result.strategy}, "
        f"log {log if result.log else 'off'}"
    )
    print(
        f"  step time   median {result.median_step_ms:.2f} ms   min {result.min_step_ms:.2f} ms"
        f"   max {result.max_step_ms:.2f} ms   ({result.steps} steps)"
    )
    print(
        f"  oracle      median {result.oracle_median_ms:.2f} ms   ratio "
        f"{result.ratio_to_oracle:.1f}x"
    )
    print(
        f"  decision    median {result.decision_median_ms:.2f} ms (between cells, at the "
        "coordinator)"
    )
    print(f"  messages    {result.messages_per_step:.0f} per step")
    cpu = ", ".join(f"{ms:.1f}" for ms in result.cpu_ms_per_step)
    if result.processes > 1:
        print(
            f"  processes   CPU per step [ms]: coordinator, workers: {cpu}; "
            f"{result.bytes_per_step / 1e3:.1f} KB moved per step"
        )
    else:
        print(f"  CPU         {cpu} ms per step")
    print(
        f"  memory      peak RSS {result.peak_rss_mb:.0f} MB, "
        f"{result.memory_per_agent_kb:.2f} KB per agent beyond the baseline"
    )
    print(f"  machine     Python {result.python}, {result.machine}")
    return 0


def _progress_bar(label: str) -> Callable[[int, int], None]:
    def show(done: int, total: int) -> None:
        width = 30
        filled = width * done // total
        bar = "#" * filled + "-" * (width - filled)
        end = "\n" if done == total else ""
        print(f"\r{label} [{bar}] {done}/{total}", end=end, file=sys.stderr, flush=True)

    return show


# -- replay -------------------------------------------------------------------------------


def _add_replay(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    replay = commands.add_parser(
        "replay",
        help="re-run a recorded event log and check every message",
        description="Feed every recorded inbound message to the same agent code without a "
        "transport, check each outbound message against the record, and report the first "
        "divergence (exit code 1).",
    )
    replay.add_argument("log", metavar="LOG", help="an event log written by massca")
    replay.add_argument("--agent", help="show this agent's conversation")
    replay.add_argument("--step", type=int, metavar="TIME", help="show the messages of this time")
    replay.add_argument("--limit", type=int, default=200, help="most messages shown (200)")
    replay.set_defaults(handler=_replay)


def _replay(args: argparse.Namespace) -> int:
    from massca.actors import replay_file
    from massca.log import open_log

    if args.limit < 0:
        raise ConfigurationError(f"--limit {args.limit}: give a number of messages >= 0")
    with open_log(args.log) as stream:
        kinds = stream.header.hierarchy.kinds
    if args.agent is not None and args.agent not in kinds:
        known = ", ".join(list(kinds)[:6])
        raise ConfigurationError(
            f"--agent {args.agent!r}: no such agent in {args.log} (its agents: {known} ...)"
        )
    header, report = replay_file(args.log, progress=_replay_progress(_say("massca replay")))
    _print_summary(args.log, header, report)
    if args.agent is not None or args.step is not None:
        _print_events(args.log, args.agent, args.step, args.limit)
    if report.divergence is not None:
        print(report.divergence.describe())
        return EXIT_DIVERGED
    return 0


def _replay_progress(say: Callable[[str], None]) -> Callable[[int, int], None]:
    """A replay's progress callback that says, every `REPORT_EVERY` seconds, how many
    messages are replayed and the simulated time reached."""
    import time

    from massca.scenario.progress import REPORT_EVERY

    last = time.monotonic()

    def progress(messages: int, at: int) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= REPORT_EVERY:
            last = now
            say(f"{messages:,} messages replayed, at simulated time {at:,} s")

    return progress


def _print_summary(path: str, header: LogHeader, report: ReplayReport) -> None:
    hierarchy = header.hierarchy
    runtime = header.config.get("runtime", "unknown")
    print(f"log: {path} (written by massca {header.massca_version}, runtime {runtime})")
    print(
        f"agents: {len(hierarchy)} ({len(hierarchy.cells)} cells, "
        f"{len(hierarchy.controllers)} controllers, {len(hierarchy.units)} units)"
    )
    print(
        f"replayed: {report.steps} steps, {report.iterations} iterations, "
        f"{report.messages} messages"
    )
    if report.torn_line is not None:
        print(
            f"warning: line {report.torn_line} is cut off (the writer stopped mid-line); "
            "everything before it was replayed"
        )
    verdict = "1 divergence" if report.divergence else "0 divergences"
    print(f"result: {verdict}")


def _print_events(path: str, agent: str | None, step: int | None, limit: int) -> None:
    """The messages of ``agent`` and/or at time ``step`` in the log at ``path``, read
    again as a stream (at most ``limit`` kept); `ConfigurationError` for a ``step`` the
    log lacks, naming the ones it has."""
    from massca.log import open_log

    chosen: list[Event] = []
    count = 0
    times: list[int] = []
    with open_log(path) as stream:
        for _, e in stream:
            if not times or times[-1] != e.time:
                times.append(e.time)
            if (agent is None or agent == e.sender or agent in receivers_of(e)) and (
                step is None or e.time == step
            ):
                count += 1
                if len(chosen) < limit:
                    chosen.append(e)
    if step is not None and step not in times:
        shown = ", ".join(map(str, times[:6])) + (" ..." if len(times) > 6 else "")
        raise ConfigurationError(
            f"--step {step}: no step at that time in {path} (its steps: {shown or 'none'})"
        )
    what = " and ".join(
        part
        for part in (
            f"agent {agent!r}" if agent is not None else "",
            f"time {step}" if step is not None else "",
        )
        if part
    )
    print(f"\nmessages of {what}: {count}")
    for event in chosen:
        body = orjson.dumps(_focus(event.body, agent)).decode()
        if len(body) > 120:
            body = body[:117] + "..."
        print(
            f"  #{event.seq:<8} t={event.time} it={event.iteration}  "
            f"{event.sender} -> {_receivers(event, agent)}  {event.kind} {body}"
        )
    if count > limit:
        print(f"  ... {count - limit} more (raise --limit to see them)")


def _receivers(event: Event, agent: str | None) -> str:
    """Who got ``event``: a long multicast is shortened, around ``agent`` if it is one."""
    receivers = receivers_of(event)
    if len(receivers) <= 3:
        return ", ".join(receivers)
    shown = agent if agent in receivers else ", ".join(receivers[:2])
    return f"{shown} (+{len(receivers) - (1 if agent in receivers else 2)} more)"


# -- log ----------------------------------------------------------------------------------


def _add_log(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    log = commands.add_parser(
        "log",
        help="convert an event log",
        description="Work on event logs. `massca log export LOG` writes a log (compact or "
        "plain) as plain JSON lines, one self-contained event per line, for other tools; "
        "`massca replay` reads either.",
    )
    actions = log.add_subparsers(dest="action", metavar="ACTION", required=True)
    export = actions.add_parser(
        "export",
        help="write a log as plain JSON lines",
        description=f"Write the log LOG as plain JSON lines (version {FORMAT_VERSION}: the "
        "same header and events, one object per line).",
    )
    export.add_argument("log", metavar="LOG", help="an event log written by massca")
    export.add_argument(
        "--out", metavar="FILE", help="where to write (LOG with .jsonl for its suffix)"
    )
    export.add_argument("--overwrite", action="store_true", help="replace an existing FILE")
    export.set_defaults(handler=_export)


def _export(args: argparse.Namespace) -> int:
    from massca.log import export_plain

    out = Path(args.out) if args.out is not None else Path(args.log).with_suffix(".jsonl")
    if args.out == "":
        raise ConfigurationError('--out "": give a file name')
    exported = export_plain(args.log, out, overwrite=args.overwrite)
    print(f"wrote {out}: {exported.events:,} events")
    if exported.torn_line is not None:
        print(
            f"warning: line {exported.torn_line} of {args.log} is cut off (the writer "
            "stopped mid-line); everything before it was exported"
        )
    return 0


def _focus(body: Any, agent: str | None) -> Any:
    """A body of many units' states (``step_start``, ``update``) shows ``agent``'s own."""
    if agent is not None and isinstance(body, dict) and isinstance(body.get("states"), dict):
        states = body["states"]
        if agent in states:
            return {"states": {agent: states[agent]}, "other_units": len(states) - 1}
    return body


if __name__ == "__main__":
    sys.exit(main())
