"""The main job end to end: `massca run` on the real grid, its bad inputs, `massca scale`."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from massca.actors import replay_file
from massca.cli import main
from massca.compat.mango.broker import mosquitto_path
from massca.log import open_log
from massca.scenario import ScenarioConfig, run_scenario
from massca.scenario.units import UnitSimulator


def rows_of(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as file:
        return list(csv.DictReader(file))


def test_a_short_run_writes_results_log_config_and_plots(tmp_path, capsys) -> None:
    out = tmp_path / "run"
    code = main(["run", "--cells", "2", "--depth", "2", "--until", "3600", "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "complete: 4/4 steps" in printed
    assert "strategy cellular/proportional" in printed
    assert "balanced after redispatch: cell-0" in printed
    assert "cellular/proportional: curtailed" in printed
    assert f"massca replay {out / 'events.zst'}" in printed
    rows = rows_of(out / "results.csv")
    assert [int(r["time"]) for r in rows] == [0, 900, 1800, 2700]
    for row in rows:
        for cell in ("cell-0", "cell-1"):
            assert row[f"{cell}_class"] in ("balanced", "oversupplied", "undersupplied")
            balance = float(row[f"{cell}_balance"])
            own = (
                float(row[f"{cell}_production_change"])
                - float(row[f"{cell}_consumption_change"])
                + float(row[f"{cell}_storage_change"])
            )
            after = float(row[f"{cell}_balance_after"])
            assert after == pytest.approx(balance + own, abs=1e-9)  # the cell's own part
            parts = sum(float(row[f"{cell}_{p}"]) for p in ("exchange", "grid", "unresolved"))
            assert parts == pytest.approx(after, abs=1e-9)  # where the rest went
            assert 0.0 <= float(row[f"{cell}_soc"]) <= 1.0
        assert float(row["cell-1_consumption"]) > 0
        assert int(row["mas_iterations"]) >= 1
    # at night the wind oversupplies: the batteries charge first (storage leads the merit
    # order), so the energy they hold rises from the start state of charge, 0.5
    assert float(rows[0]["cell-0_soc"]) == pytest.approx(0.5)
    assert float(rows[-1]["cell-0_energy"]) > float(rows[0]["cell-0_energy"])
    config = json.loads((out / "config.json").read_text())
    assert (config["cells"], config["depth"], config["until"]) == (2, 2, 3600)
    assert (config["strategy"], config["within"]) == ("cellular", "proportional")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["steps"] == 4
    assert summary["stopped"] is None
    # at night the wind oversupplies both cells; each charges its batteries to balance
    # itself (storage leads the merit order) before it would curtail
    assert summary["figures"]["balanced_after"] > 0
    storage = summary["storage"]
    assert storage["stored_mwh"] > 0
    assert 0 < storage["losses_mwh"] < storage["stored_mwh"]
    assert "batteries (" in printed
    assert "full cycles" in printed
    plots = ("balance.png", "resolution.png", "exchange.png", "classification.png", "storage.png")
    for plot in plots:
        assert (out / plot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    _, report = replay_file(out / "events.zst")
    assert report.ok
    assert report.steps == 4


def test_a_config_file_gives_the_options_and_the_command_line_wins(tmp_path) -> None:
    config = tmp_path / "run.toml"
    config.write_text('cells = 1\ndepth = 3\nuntil = 1800\nstart = "2016-03-01 12:00"\n')
    out = tmp_path / "run"
    assert (
        main(
            [
                "run",
                "--config",
                str(config),
                "--depth",
                "0",
                "--out",
                str(out),
                "--quiet",
                "--no-plots",
            ]
        )
        == 0
    )
    effective = json.loads((out / "config.json").read_text())
    assert (effective["cells"], effective["depth"], effective["start"]) == (
        1,
        0,
        "2016-03-01 12:00",
    )
    assert len(rows_of(out / "results.csv")) == 2


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--cells", "0"], "cells = 0: need a whole number >= 1"),
        (["--cells", "-3"], "cells = -3"),
        (["--depth", "32"], "depth = 32: must be 0..31"),
        (["--storage-hours", "-1"], "storage_hours = -1.0: a battery's hours at rated power"),
        (["--storage-hours", "nan"], "storage_hours = nan"),
        (["--soc0", "1.5"], "soc0 = 1.5: the batteries' starting state of charge"),
        (["--start", "2019-01-01 00:00"], "leaves the profile year 2016"),
        (["--start", "2016-12-31 12:00"], "leaves the profile year 2016"),
        (["--start", "yesterday"], "start = 'yesterday': give a date like"),
        (["--step", "600"], "step = 600: must be a multiple of 900"),
        (["--interface-scale", "-1"], "interface_scale = -1.0: a finite factor >= 0"),
        (["--grid-limit", "-5"], "grid_limit = -5.0: MW >= 0"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(tmp_path, capsys, arguments, message) -> None:
    assert main(["run", *arguments, "--out", str(tmp_path / "x"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("massca: error: ")
    assert message in err
    assert err.count("\n") == 1
    assert "Traceback" not in err


@pytest.mark.parametrize("option", ["--storage-hours", "--soc0", "--cells"])
def test_an_option_that_is_not_a_number_is_one_line_and_exit_code_2(capsys, option) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["run", option, "two", "--quiet"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"massca run: error: argument {option}: invalid ")
    assert "value: 'two' (see massca run --help)" in err
    assert err.count("\n") == 1


def test_an_unwritable_output_folder_and_bad_config_files_are_one_line(tmp_path, capsys) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["run", "--out", str(blocker / "sub"), "--quiet"]) == 2
    assert "cannot write to the output folder" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text("cells = [\n")
    assert main(["run", "--config", str(bad), "--quiet"]) == 2
    assert "is not valid TOML" in capsys.readouterr().err
    unknown = tmp_path / "unknown.toml"
    unknown.write_text("cels = 3\n")
    assert main(["run", "--config", str(unknown), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "unknown key(s) cels; valid: broker, cell_delays, cells, days" in err


def test_an_interrupted_run_keeps_every_completed_step_and_says_where(
    tmp_path, monkeypatch
) -> None:
    original = UnitSimulator.step

    def interrupt_at_one_hour(self, time, inputs, max_advance):
        if time == 3600 and not inputs:
            raise KeyboardInterrupt
        return original(self, time, inputs, max_advance)

    monkeypatch.setattr(UnitSimulator, "step", interrupt_at_one_hour)
    out = tmp_path / "run"
    summary = run_scenario(ScenarioConfig(cells=1, until=3 * 3600), out, progress=False)
    assert summary.stopped == "interrupted (Ctrl-C)"
    assert summary.steps == 4  # 00:00 .. 00:45 are complete
    assert summary.last_time == "2016-06-01 00:45:00"
    assert len(rows_of(out / "results.csv")) == 4
    assert json.loads((out / "summary.json").read_text())["stopped"] == "interrupted (Ctrl-C)"
    _, report = replay_file(out / "events.zst")
    assert report.ok


def test_the_scalability_sweep_writes_the_prototypes_files(tmp_path) -> None:
    out = tmp_path / "scale"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "massca.cli",
            "scale",
            "--cells",
            "1",
            "2",
            "--depth",
            "1",
            "2",
            "--days",
            "0.0105",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "[4/4] cells 2 depth 2 attempt 1" in done.stdout
    steps = rows_of(out / "scalability_time.csv")
    assert list(steps[0]) == ["step", "cells_count", "hierarchy_depth", "agents_time"]
    assert {(r["cells_count"], r["hierarchy_depth"]) for r in steps} == {
        ("1", "1"),
        ("1", "2"),
        ("2", "1"),
        ("2", "2"),
    }
    sims = rows_of(out / "simulation_time.csv")
    assert list(sims[0]) == ["cells_count", "hierarchy_depth", "sim_time"]
    assert len(sims) == 4
    assert (out / "scalability.png").read_bytes()[:4] == b"\x89PNG"


def test_a_failure_mid_run_says_where_it_stopped(tmp_path, monkeypatch, capsys) -> None:
    original = UnitSimulator.step

    def fail_at_one_hour(self, time, inputs, max_advance):
        if time == 3600 and not inputs:
            raise RuntimeError("profile source went away")
        return original(self, time, inputs, max_advance)

    monkeypatch.setattr(UnitSimulator, "step", fail_at_one_hour)
    out = tmp_path / "run"
    assert main(["run", "--cells", "1", "--until", "10800", "--out", str(out), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "the run failed: RuntimeError: profile source went away" in err
    assert "stopped after 4/12 steps (last completed: 2016-06-01 00:45:00)" in err
    assert len(rows_of(out / "results.csv")) == 4


def test_compare_runs_each_strategy_on_the_same_inputs_and_writes_the_table(
    tmp_path, capsys
) -> None:
    out = tmp_path / "cmp"
    code = main(
        ["compare", "--cells", "2", "--until", "1800", "--out", str(out), "--quiet", "--no-log"]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "global/proportional" in printed
    assert "balanced after [% cell-steps]" in printed
    rows = rows_of(out / "comparison.csv")
    assert [r["strategy"] for r in rows] == [
        "global/proportional",
        "cellular/proportional",
        "optimal/proportional",
        "cohda/proportional",
    ]
    cost = {r["strategy"].split("/")[0]: float(r["cost"]) for r in rows}
    assert cost["optimal"] <= min(cost["global"], cost["cellular"], cost["cohda"]) + 1e-6
    assert (out / "comparison.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # identical inputs: every run measured the same cells before redispatch
    before = [
        [r["cell-0_balance"] for r in rows_of(out / name / "results.csv")]
        for name in ("global", "cellular", "optimal", "cohda")
    ]
    assert before[0] == before[1] == before[2] == before[3]
    negotiated = rows_of(out / "cohda" / "results.csv")
    assert sum(int(r["mas_negotiation_messages"]) for r in negotiated) > 0
    summary = json.loads((out / "cohda" / "summary.json").read_text())
    assert summary["negotiation"]["messages"] > 0
    assert summary["negotiation"]["capped"] == 0
    assert json.loads((out / "optimal" / "summary.json").read_text())["negotiation"] == {}
    assert main(["compare", "--strategies", "cellular", "bogus", "--out", str(out)]) == 2
    assert "give distinct names from global, cellular, optimal" in capsys.readouterr().err


def test_cohda_plans_over_a_horizon_with_the_profiles_as_forecasts(tmp_path) -> None:
    out = tmp_path / "run"
    arguments = ["run", "--strategy", "cohda", "--within", "cohda", "--horizon", "3"]
    code = main([*arguments, "--until", "3600", "--out", str(out), "--quiet", "--no-plots"])
    assert code == 0
    config = json.loads((out / "config.json").read_text())
    assert (config["strategy"], config["within"], config["horizon"]) == ("cohda", "cohda", 3)
    header, report = replay_file(out / "events.zst")
    assert report.ok
    assert header.config["strategy"]["between"]["horizon"] == 3
    stream = open_log(out / "events.zst")
    starts = [e for _, e in stream if e.kind == "step_start"]
    forecasts = starts[0].body["forecasts"]
    assert forecasts  # every unit but the batteries gets two later intervals
    assert all(len(f) == 2 for f in forecasts.values())


@pytest.mark.parametrize(
    "transport",
    [
        "tcp",
        pytest.param(
            "mqtt",
            marks=pytest.mark.skipif(
                mosquitto_path() is None, reason="mosquitto is not installed (Debian: mosquitto)"
            ),
        ),
    ],
)
def test_a_run_over_worker_processes_gives_the_same_results_and_replays(
    tmp_path, transport
) -> None:
    outs = {n: tmp_path / f"run-{n}" for n in (1, 2)}
    for processes, out in outs.items():
        arguments = ["run", "--processes", str(processes), "--placement", "round-robin"]
        if processes > 1:
            arguments += ["--transport", transport]
        code = main([*arguments, "--until", "3600", "--out", str(out), "--quiet", "--no-plots"])
        assert code == 0
    timing = {"mas_step_ms"}  # measured, not simulated

    def simulated(out: Path) -> list[dict[str, str]]:
        return [
            {k: v for k, v in row.items() if not any(t in k for t in timing)}
            for row in rows_of(out / "results.csv")
        ]

    assert simulated(outs[2]) == simulated(outs[1])
    config = json.loads((outs[2] / "config.json").read_text())
    assert (config["processes"], config["transport"]) == (2, transport)
    header, report = replay_file(outs[2] / "events.zst")
    assert report.ok
    assert report.steps == 4
    assert header.config["runtime"] == "processes"


def test_compare_over_a_lossy_network_shows_control_degrade_and_every_log_replays(
    tmp_path, capsys
) -> None:
    """The same runs at no loss and at half the messages lost: the lossless run is the
    plain run (a network without loss changes nothing), the lossy one misses answers,
    balances fewer cells and leaves more unresolved; both logs replay."""
    out = tmp_path / "loss"
    common = ["--cells", "2", "--until", "7200", "--quiet"]
    code = main(
        ["compare", *common, "--strategies", "cellular", "--loss", "0", "0.5", "--out", str(out)]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "cellular/proportional loss 0.5" in printed
    assert "answers missed [agent-iterations]" in printed
    rows = {float(r["loss"]): r for r in rows_of(out / "comparison.csv")}
    assert int(rows[0.0]["missing"]) == 0
    assert int(rows[0.5]["missing"]) > 0
    assert float(rows[0.5]["unresolved_mwh"]) > float(rows[0.0]["unresolved_mwh"])
    assert float(rows[0.5]["balanced_after"]) < float(rows[0.0]["balanced_after"])
    assert (out / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for name in ("cellular-loss-0", "cellular-loss-0.5"):
        header, report = replay_file(out / name / "events.zst")
        assert report.ok, report.divergence and report.divergence.describe()
        assert header.config["network"]["seed"] == 13  # the scenario's seed
    plain = tmp_path / "plain"
    assert main(["run", *common, "--no-plots", "--out", str(plain)]) == 0
    assert_same_results(
        rows_of(out / "cellular-loss-0" / "results.csv"), rows_of(plain / "results.csv")
    )


def test_a_cell_behind_a_slow_link_misses_the_deadline_every_step(tmp_path) -> None:
    out = tmp_path / "slow"
    arguments = ["run", "--cells", "2", "--until", "3600", "--quiet", "--no-plots"]
    code = main([*arguments, "--delay", "2", "cell-1=500", "--deadline", "100", "--out", str(out)])
    assert code == 0
    rows = rows_of(out / "results.csv")
    assert all(int(r["mas_missing"]) >= 1 for r in rows)
    assert all(float(r["cell-1_production_change"]) == 0.0 for r in rows)
    assert all(float(r["cell-1_unresolved"]) == float(r["cell-1_balance"]) for r in rows)
    _, report = replay_file(out / "events.zst")
    assert report.ok
    stream = open_log(out / "events.zst")
    reports = [e for _, e in stream if e.kind == "report"]
    assert all("missing" in e.body for e in reports)


@pytest.mark.parametrize("strategy", ["cellular", "global"])
def test_units_that_report_by_exception_spare_the_mas_a_step_and_change_nothing(
    tmp_path, strategy
) -> None:
    """The main job's units report by exception (`massca.scenario.reporting`); over a
    simulated network without delay or loss they report every iteration, and the MAS
    then confirms each time step in a second iteration. The results are the same."""
    runs = {}
    for name, delay in (("by exception", None), ("every iteration", 0.0)):
        config = ScenarioConfig(cells=2, until=6 * 3600, strategy=strategy, delay=delay)
        run_scenario(config, tmp_path / name.replace(" ", "-"), progress=False)
        runs[name] = rows_of(tmp_path / name.replace(" ", "-") / "results.csv")
    quiet, confirming = runs["by exception"], runs["every iteration"]
    assert sum(int(r["mas_iterations"]) for r in quiet) < len(quiet) * 1.25
    assert all(int(r["mas_iterations"]) >= 2 for r in confirming)
    assert_same_results(quiet, confirming)


def assert_same_results(rows: list[dict[str, str]], others: list[dict[str, str]]) -> None:
    """Two runs' results alike, but for the MAS's own figures (``mas_*``: iterations, step
    times) and float rounding (1e-9 MW: a time step confirmed in a second iteration
    recomputes the same sums from the units' states)."""
    assert len(rows) == len(others)
    for row, other in zip(rows, others, strict=True):
        for column, value in row.items():
            if column.startswith("mas_"):
                continue
            if column.endswith(("class", "class_after")) or column == "datetime":
                assert value == other[column], column
            else:
                assert float(value or 0) == pytest.approx(float(other[column] or 0), abs=1e-9)
