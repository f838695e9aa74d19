"""Run folders lose nothing: an earlier run is refused unless --overwrite, a folder in use
is refused, the small JSON files are written atomically, and `massca scale` keeps every
completed run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from massca.cli import main
from massca.model import ConfigurationError
from massca.scenario.folder import LOCK_FILE, claimed, write_atomic
from massca.scenario.scale import check_sweep

SHORT = ["--until", "1800", "--quiet", "--no-plots"]


def test_an_earlier_run_is_refused_and_kept_unless_overwrite(tmp_path, capsys) -> None:
    out = tmp_path / "run"
    assert main(["run", *SHORT, "--out", str(out)]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.name != LOCK_FILE}
    assert main(["run", *SHORT, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "is not empty (config.json, events.zst, results.csv, summary.json)" in err
    assert "pass --overwrite" in err
    assert err.count("\n") == 1
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.name != LOCK_FILE}
    assert after == before  # nothing of the earlier run was touched
    # --overwrite replaces it, and removes what the new run does not write again
    assert main(["run", *SHORT, "--no-log", "--overwrite", "--out", str(out)]) == 0
    assert not (out / "events.zst").exists()  # no stale log beside new results
    assert (out / "results.csv").read_bytes() != b""


def test_overwrite_leaves_a_users_own_files_alone(tmp_path) -> None:
    out = tmp_path / "run"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    (out / "balance.png").write_bytes(b"old plot")
    with claimed(out, overwrite=True):
        pass
    assert (out / "notes.txt").read_text() == "mine"
    assert not (out / "balance.png").exists()


def test_a_folder_in_use_by_another_run_is_refused_naming_its_pid(tmp_path, capsys) -> None:
    out = tmp_path / "busy"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; "
            "from massca.scenario.folder import claimed\n"
            "with claimed(Path(sys.argv[1])):\n"
            "    print('held', flush=True); time.sleep(60)",
            str(out),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        assert main(["run", *SHORT, "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert f"is in use by another massca run (pid {holder.pid})" in err
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
    # the lock went with the process: the folder can be used again at once
    assert main(["run", *SHORT, "--out", str(out)]) == 0


def test_an_empty_out_is_an_error_not_a_generated_folder(tmp_path, capsys) -> None:
    assert main(["run", *SHORT, "--out", ""]) == 2
    assert 'massca: error: --out "": give a folder' in capsys.readouterr().err


def test_write_atomic_replaces_the_file_and_leaves_no_temporary(tmp_path) -> None:
    path = tmp_path / "summary.json"
    path.write_text("old")
    write_atomic(path, "new")
    assert path.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.json"]


def test_write_atomic_that_fails_keeps_the_old_file_and_leaves_no_temporary(
    tmp_path, monkeypatch
) -> None:
    import os

    def full_disk(source, target):
        raise OSError(28, "No space left on device")

    path = tmp_path / "summary.json"
    path.write_text("old")
    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(OSError, match="No space left"):
        write_atomic(path, "new")
    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.json"]


@pytest.mark.parametrize(
    ("cells", "depths", "attempts", "days", "message"),
    [
        ([2, 0], [1], 1, 0.05, "cells 0, depth 1: cells = 0: need a whole number >= 1"),
        ([2, 2], [1], 1, 0.05, "--cells 2 given twice"),
        ([2], [1, 1], 1, 0.05, "--depth 1 given twice"),
        ([2], [1], 0, 0.05, "attempts = 0: need a whole number >= 1"),
        ([2], [1], 1, 0.00001, "less than one step of 900 s"),
        ([2], [1], 1, float("inf"), "days = inf: must be > 0 and at most 366"),
    ],
)
def test_a_bad_sweep_is_refused_before_anything_runs(
    tmp_path, cells, depths, attempts, days, message
) -> None:
    with pytest.raises(ConfigurationError) as refused:
        check_sweep(cells, depths, attempts, days, "native")
    assert message in str(refused.value)
    code = main(
        [
            "scale",
            "--cells",
            *map(str, cells),
            "--depth",
            *map(str, depths),
            "--attempts",
            str(attempts),
            "--days",
            str(days),
            "--out",
            str(tmp_path / "s"),
        ]
    )
    assert code == 2
    assert not (tmp_path / "s").exists()  # refused before any run or folder


def test_ctrl_c_mid_sweep_keeps_every_completed_run_and_exits_130(tmp_path) -> None:
    out = tmp_path / "sweep"
    sweep = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "massca.cli",
            "scale",
            "--cells",
            "2",
            "3",
            "4",
            "--days",
            "0.02",
            "--out",
            str(out),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        rows = out / "simulation_time.csv"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # the first run's row is written when it ends
            if rows.exists() and len(rows.read_text().splitlines()) >= 2:
                break
            time.sleep(0.2)
        else:
            pytest.fail("the first run of the sweep did not complete in 120 s")
        os.kill(sweep.pid, signal.SIGINT)
        _, err = sweep.communicate(timeout=60)
    finally:
        if sweep.poll() is None:
            os.kill(sweep.pid, signal.SIGKILL)
            sweep.wait()
    assert sweep.returncode == 130
    assert "stopped: interrupted (Ctrl-C)" in err
    assert "Traceback" not in err
    kept = rows.read_text().splitlines()
    assert kept[0] == "cells_count,hierarchy_depth,sim_time"
    assert kept[1].startswith("2,1,")
    assert len((out / "scalability_time.csv").read_text().splitlines()) >= 2
