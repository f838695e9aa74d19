"""The command line's frame: help, version, exit codes."""

import json
import subprocess
import sys

from massca import __version__
from massca.cli import main


def test_help_lists_the_program_and_exits_zero(capsys) -> None:
    assert main([]) == 0
    assert "massca" in capsys.readouterr().out


def test_version_is_the_installed_version() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "massca.cli", "--version"], capture_output=True, text=True
    )
    assert done.returncode == 0
    assert done.stdout.strip() == f"massca {__version__}"


def test_python_dash_m_massca_is_the_massca_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "massca", "--version"], capture_output=True, text=True
    )
    assert (done.returncode, done.stdout.strip()) == (0, f"massca {__version__}")


def test_the_entry_point_loads_nothing_heavy_before_its_stop_handlers() -> None:
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, massca.entry; print(*sorted(m for m in ('massca.cli', "
            "'massca.model', 'importlib.metadata', 'orjson') if m in sys.modules))",
        ],
        capture_output=True,
        text=True,
    )
    assert (loaded.returncode, loaded.stdout.strip()) == (0, "")


# Sends the process Ctrl-C while `massca.cli` is being imported by the entry point.
_CTRL_C_WHILE_THE_CLI_LOADS = """
import signal, sys
from importlib.abc import MetaPathFinder

class CtrlC(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "massca.cli":
            signal.raise_signal(signal.SIGINT)
        return None

sys.meta_path.insert(0, CtrlC())
from massca.entry import main
sys.exit(main())
"""


def test_ctrl_c_while_the_command_line_loads_is_one_line_and_exit_130() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _CTRL_C_WHILE_THE_CLI_LOADS, "run"],
        capture_output=True,
        text=True,
    )
    assert (done.returncode, done.stderr, done.stdout) == (
        130,
        "massca: interrupted (Ctrl-C)\n",
        "",
    )


def test_bench_rejects_impossible_shapes_in_one_line(capsys) -> None:
    assert main(["bench", "--cells", "0"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("massca: error: cells = 0: need at least 1 cell")
    assert err.count("\n") == 1
    assert main(["bench", "--depth", "28", "--steps", "1"]) == 2
    assert "depth = 28 exceeds the 27 units of a cell" in capsys.readouterr().err


def test_bench_prints_its_figures(capsys) -> None:
    assert main(["bench", "--cells", "2", "--steps", "2", "--warmup", "0", "--no-log"]) == 0
    out = capsys.readouterr().out
    assert "2 cells x depth 1, 59 agents (54 units, 0 batteries per cell), runtime native" in out
    assert "strategy cellular/proportional, log off" in out
    assert "129 per step" in out


def test_bench_times_optimal_and_its_decision(capsys) -> None:
    arguments = ["bench", "--cells", "3", "--steps", "2", "--warmup", "0", "--no-log"]
    assert main([*arguments, "--strategy", "optimal", "--within", "merit", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["strategy"] == "optimal/merit"
    assert result["decision_median_ms"] > 0  # measured, not asserted on: no timing tests


def test_the_command_lines_length_beats_the_config_files_either_way(tmp_path) -> None:
    from massca.cli import _scenario_config, build_parser

    until = tmp_path / "until.toml"
    until.write_text("until = 1800\n")
    days = tmp_path / "days.toml"
    days.write_text("days = 2\n")
    parse = build_parser().parse_args
    assert _scenario_config(parse(["run", "--config", str(until), "--days", "0.1"])).seconds == 8640
    assert _scenario_config(parse(["run", "--config", str(days), "--until", "900"])).seconds == 900
    assert _scenario_config(parse(["run", "--config", str(until)])).seconds == 1800
