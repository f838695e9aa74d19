"""A soak run of the main job: wall time, event-log size and memory, day by day.

    python benchmarks/soak.py [--cells 50] [--days 28] [--baseline] [--out DIR] [-- <more options>]

Runs ``massca run --cells N --days D --no-plots`` as a child process (what a user runs,
with the log on) and samples, every ``--every`` seconds, the child's resident memory
(``VmRSS``; the last one seen once it has ended), the rows of ``results.csv`` written
so far and the size of the event log. Each simulated day ends when its last row (96 at
15-minute steps) is written (between two samples, interpolated on the rows written);
start-up is the time to the first row. Prints a table per day (wall seconds, log MB, RSS
at the day's end) and the totals with a projection to a year (365 days at the run's
median s/day and MB/day), writes every sample to ``samples.csv`` in the run folder and
draws ``soak.png`` there: the wall seconds of each simulated day against the issue's 2.5 s
(and the baseline's, if measured), and the resident memory and the log's size over the
run against the 400 MB limit.

``--baseline`` first runs the same grid on the same profiles without any MAS, as
pandapower's own ``run_timeseries`` (`baseline_s_per_day`), and prints the ratio.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STEPS_PER_DAY = 96
TARGET_S_PER_DAY = 2.5  # issue "A simulated year in minutes"
RSS_LIMIT_MB = 400  # the same issue's limit for a 28-day run
START = "2016-06-01 00:00"  # massca run's default start


def baseline_s_per_day(cells: int, days: int, seed: int = 13, der_scale: float = 15.0) -> float:
    """Wall seconds per simulated day of pandapower's ``run_timeseries`` on the main job's
    grid of ``cells`` cells and its profiles, without a MAS: every load and PV or wind
    plant follows its profile times its rating (times the cell's DER factor, drawn as the
    scenario draws it), dispatchable units stand by, batteries are left out (as the
    scenario does), one power flow per 15-minute step, the external grid's power logged."""
    import random
    from datetime import datetime

    import pandas as pd
    from pandapower.control import ConstControl
    from pandapower.timeseries import DFData, OutputWriter, run_timeseries

    from massca.scenario.grid import build_grid
    from massca.scenario.profiles import load_profiles

    steps = days * STEPS_PER_DAY
    profiles = load_profiles(datetime.fromisoformat(START), steps * 900)
    net, units = build_grid(cells)
    rng = random.Random(seed)
    factors = []
    for cell in range(cells):  # the scenario's draws, in its order
        factors.append(der_scale * rng.uniform(0.5, 1.5))
        rng.shuffle([u for u in units if u.cell == cell])
    for element in ("load", "sgen"):
        chosen = [u for u in units if u.element == element and u.kind != "dispatchable"]
        frame = pd.DataFrame(
            {
                u.index: profiles.values[u.profile][:steps]
                * u.rating_mw
                * (1.0 if u.kind == "load" else factors[u.cell])
                for u in chosen
            }
        )
        ConstControl(
            net,
            element,
            "p_mw",
            element_index=list(frame.columns),
            data_source=DFData(frame),
            profile_name=list(frame.columns),
        )
    net.sgen.loc[[u.index for u in units if u.kind == "dispatchable"], "p_mw"] = 0.0
    writer = OutputWriter(net, time_steps=range(steps), output_path=None)
    writer.log_variable("res_ext_grid", "p_mw")
    started = time.perf_counter()
    run_timeseries(net, time_steps=range(steps), verbose=False)
    return (time.perf_counter() - started) / days


def rss_mb(pid: int) -> float:
    """The process's resident set size in MB (0 if it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return 0.0


def rows(path: Path) -> int:
    """The data rows in ``results.csv`` so far."""
    try:
        with path.open("rb") as file:
            return max(sum(1 for _ in file) - 1, 0)
    except FileNotFoundError:
        return 0


def log_bytes(folder: Path) -> int:
    """The size of the run's event log so far, whatever its file name."""
    return sum(p.stat().st_size for p in folder.glob("events*") if p.is_file())


def crossing(samples: list[tuple[float, int, float, int]], rows: int) -> float:
    """When the run wrote its ``rows``-th row: between the last sample before and the
    first sample at or after it, interpolated on the rows written (a day's end is then
    not rounded to the sampling interval)."""
    before = (0.0, 0)
    for at, written, _, _ in samples:
        if written >= rows:
            start, done = before
            if written == done:
                return at
            return start + (at - start) * (rows - done) / (written - done)
        before = (at, written)
    return samples[-1][0]


def plot(
    samples: list[tuple[float, int, float, int]],
    walls: list[float],
    baseline: float | None,
    path: Path,
) -> None:
    """Draw the soak's ``walls`` (seconds per simulated day) and its ``samples`` (resident
    memory and log size over wall time) into the PNG ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (days, memory) = plt.subplots(2, 1, figsize=(9, 6.5), constrained_layout=True)
    days.bar(range(1, len(walls) + 1), walls, color="tab:blue", label="massca run")
    days.axhline(TARGET_S_PER_DAY, color="tab:red", linestyle="--", label="target")
    if baseline is not None:
        days.axhline(baseline, color="tab:gray", linestyle=":", label="run_timeseries, no MAS")
    top = 1.3 * max(*walls, TARGET_S_PER_DAY)
    days.set(xlabel="simulated day", ylabel="wall s per simulated day", ylim=(0, top))
    days.set_title(f"{len(walls)} simulated days: median {statistics.median(walls):.2f} s/day")
    days.legend(loc="upper center", ncols=3)
    seconds = [at for at, _, _, _ in samples]
    memory.plot(seconds, [rss for _, _, rss, _ in samples], color="tab:green", label="RSS")
    memory.axhline(RSS_LIMIT_MB, color="tab:red", linestyle="--", label="RSS limit")
    memory.set(xlabel="wall s", ylabel="resident memory, MB", ylim=(0, RSS_LIMIT_MB * 1.1))
    log = memory.twinx()
    log.plot(seconds, [size / 1e6 for *_, size in samples], color="tab:purple", label="log")
    log.set_ylabel("event log, MB")
    lines = memory.get_lines() + log.get_lines()
    memory.legend(lines, [line.get_label() for line in lines], loc="center right")
    figure.savefig(path, dpi=100)
    plt.close(figure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=50)
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--every", type=float, default=0.2, help="seconds between samples")
    parser.add_argument("--out", type=Path, default=None, help="run folder (a temporary one)")
    parser.add_argument(
        "--baseline", action="store_true", help="time pandapower's run_timeseries first"
    )
    parser.add_argument("rest", nargs="*", help="more `massca run` options, after --")
    args = parser.parse_args()
    baseline = baseline_s_per_day(args.cells, args.days) if args.baseline else None
    if baseline is not None:
        print(f"pandapower run_timeseries, same grid and profiles, no MAS: {baseline:.2f} s/day")
    scratch = None
    if args.out is None:
        scratch = tempfile.TemporaryDirectory()
        args.out = Path(scratch.name) / "soak"
    command = [
        sys.executable,
        "-m",
        "massca.cli",
        "run",
        "--cells",
        str(args.cells),
        "--days",
        str(args.days),
        "--no-plots",
        "--quiet",
        "--out",
        str(args.out),
        *args.rest,
    ]
    started = time.perf_counter()
    child = subprocess.Popen(command)
    samples: list[tuple[float, int, float, int]] = []  # (s, rows, RSS MB, log bytes)
    day_ends: list[tuple[float, int, float]] = []  # (s, log bytes, RSS MB) per finished day
    rss = 0.0  # the last RSS seen: a day that ends as the run ends is sampled after it
    try:
        while True:
            done = child.poll() is not None
            at = time.perf_counter() - started
            written = rows(args.out / "results.csv")
            rss = rss_mb(child.pid) or rss
            sample = (at, written, rss, log_bytes(args.out))
            if rss or done:
                samples.append(sample)
            while written >= (len(day_ends) + 1) * STEPS_PER_DAY:
                ended = crossing(samples, (len(day_ends) + 1) * STEPS_PER_DAY)
                day_ends.append((ended, sample[3], rss))
            if done:
                break
            time.sleep(args.every)
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
    if child.returncode != 0:
        sys.exit(f"massca run failed with exit status {child.returncode}")
    first_row = crossing(samples, 1)
    with (args.out / "samples.csv").open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["seconds", "rows", "rss_mb", "log_bytes"])
        writer.writerows(samples)
    print(f"{args.cells} cells, {args.days} day(s): start-up (to the first row) {first_row:.1f} s")
    print("| day | wall s | log MB | RSS MB at its end |")
    print("|---:|---:|---:|---:|")
    walls, sizes = [], []
    before_s, before_bytes = first_row, 0
    for day, (at, size, rss) in enumerate(day_ends, 1):
        walls.append(at - before_s)
        sizes.append((size - before_bytes) / 1e6)
        print(f"| {day} | {walls[-1]:.1f} | {sizes[-1]:.1f} | {rss:.0f} |")
        before_s, before_bytes = at, size
    peak = max(rss for _, _, rss, _ in samples)
    print(f"peak RSS {peak:.0f} MB; final log {samples[-1][3] / 1e6:.1f} MB")
    if walls:
        per_day, mb_per_day = statistics.median(walls), statistics.median(sizes)
        growth = (day_ends[-1][2] - day_ends[0][2]) / max(len(day_ends) - 1, 1)
        print(
            f"median {per_day:.2f} s/day (range {min(walls):.2f} to {max(walls):.2f}), "
            f"{mb_per_day:.1f} MB/day of log, RSS growth {growth:+.2f} MB/day; a year: "
            f"{365 * per_day / 60:.0f} min and {365 * mb_per_day / 1e3:.2f} GB of log"
        )
        if baseline:
            print(f"massca / pandapower run_timeseries: {per_day / baseline:.1f}x")
        plot(samples, walls, baseline, args.out / "soak.png")
        print(f"drawn: {args.out / 'soak.png'}")
    if scratch is not None:
        scratch.cleanup()


if __name__ == "__main__":
    main()
