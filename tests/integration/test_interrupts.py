"""Ctrl-C and SIGTERM end `massca run` in one line and exit code 130, from its first
moment (while its modules load) to its last step, keeping every completed step and
without asyncio's "Task was destroyed but it is pending!" noise."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

COMMAND = [str(Path(sys.executable).with_name("massca"))]  # the console script users run


def start(out, *extra):
    return subprocess.Popen(
        [*COMMAND, "run", "--out", str(out), "--no-plots", "--quiet", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process, sig):
    try:
        os.kill(process.pid, sig)
        return process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()


@pytest.mark.parametrize(
    ("sig", "said"),
    [(signal.SIGINT, "interrupted (Ctrl-C)"), (signal.SIGTERM, "terminated (SIGTERM)")],
)
def test_a_signal_while_massca_loads_is_one_line_and_exit_130(tmp_path, sig, said) -> None:
    process = start(tmp_path / "run")
    time.sleep(0.3)  # importing mosaik and pandapower takes longer than this
    out, err = finish(process, sig)
    assert process.returncode == 130
    assert err == f"massca: {said}\n"
    assert out == ""


@pytest.mark.parametrize(
    ("sig", "said"),
    [(signal.SIGINT, "interrupted (Ctrl-C)"), (signal.SIGTERM, "terminated (SIGTERM)")],
)
def test_a_signal_mid_run_keeps_the_completed_steps_and_says_so(tmp_path, sig, said) -> None:
    out_dir = tmp_path / "run"
    process = start(out_dir)
    results = out_dir / "results.csv"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait until steps have completed
        if results.exists() and len(results.read_text().splitlines()) >= 3:
            break
        time.sleep(0.05)
    else:
        pytest.fail("no step completed within 60 s")
    _, err = finish(process, sig)
    assert process.returncode == 130
    assert "Traceback" not in err
    assert "destroyed but it is pending" not in err
    assert err.startswith(f"massca: {said}: ")
    summary = json.loads((out_dir / "summary.json").read_text())
    assert summary["stopped"] == said
    rows = results.read_text().splitlines()
    assert summary["steps"] == len(rows) - 1 >= 2
