"""Absurd sizes are refused before anything is built, naming the estimate and the limit,
and leave nothing behind."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

MASSCA = str(Path(sys.executable).with_name("massca"))
LIMIT = 3 * 2**30  # an address-space limit of 3 GB (ulimit -v)


def limited(*args: str) -> subprocess.CompletedProcess[str]:
    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))

    return subprocess.run(
        [MASSCA, *args], capture_output=True, text=True, timeout=120, preexec_fn=cap
    )


def scratch_dirs() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("massca-bench-*")}


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ["bench", "--cells", "100000", "--steps", "1"],
            "massca: error: massca bench --cells 100000 (2,900,001 agents at 3.3 KB) needs "
            "about 8.9 GB, but only",
        ),
        (
            ["run", "--cells", "100000", "--quiet"],
            "massca: error: massca run --cells 100000 (at 0.65 MB per cell) needs about "
            "60.5 GB, but only",
        ),
    ],
    ids=["bench", "run"],
)
def test_a_size_beyond_the_memory_limit_is_refused_up_front(tmp_path, args, said) -> None:
    before = scratch_dirs()
    out = tmp_path / "huge"
    done = limited(*args, "--out", str(out)) if args[0] == "run" else limited(*args)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(said)
    assert "left by the address-space limit (ulimit -v) of 3.0 GB; give fewer cells" in done.stderr
    assert len(done.stderr.splitlines()) == 1
    assert not out.exists()  # nothing written
    assert scratch_dirs() == before  # no temporary directory left


def test_a_size_within_the_limit_runs_under_it() -> None:
    done = limited("bench", "--cells", "20", "--steps", "2", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["agents"] == 581
