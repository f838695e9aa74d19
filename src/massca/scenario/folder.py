"""Run folders: one run writes into a folder at a time, an earlier run is never replaced
unless asked, and the small JSON files are written atomically.

Belongs here: `claimed` (validate, lock and prepare a folder for a run) and
`write_atomic`. Not here: what a run writes (`run`, `results`, `report`).

* A folder that holds anything but massca's lock file is refused, unless ``overwrite``:
  then the files massca writes into run folders (`RUN_FILES`) are removed first, so no
  stale log or plot stays beside new results; other files are left alone.
* While a run writes into a folder, it holds an exclusive lock (``flock`` on
  ``.massca.lock``, which records the run's pid). A second run into the same folder is
  refused at once; the lock goes with the process, so a killed run leaves none behind.
* `write_atomic` writes a file under a temporary name and renames it into place: a
  reader sees the old file or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from massca.model import ConfigurationError

__all__ = ["LOCK_FILE", "RUN_FILES", "claimed", "write_atomic"]

LOCK_FILE = ".massca.lock"
RUN_FILES = (
    "config.json",
    "results.csv",
    "events.zst",
    "events.jsonl",  # a plain log: from `massca log export`, or written before compact logs
    "summary.json",
    "balance.png",
    "resolution.png",
    "exchange.png",
    "classification.png",
    "storage.png",
    "comparison.csv",
    "comparison.png",
    "scalability_time.csv",
    "simulation_time.csv",
    "scalability.png",
)
"""Every file a run, a comparison or a sweep writes into its folder."""


@contextlib.contextmanager
def claimed(out: Path, overwrite: bool = False) -> Iterator[Path]:
    """Create ``out``, lock it for this process, check it holds no earlier run (or,
    with ``overwrite``, remove that run's files), and yield it; unlock on exit.
    `ConfigurationError` for an unwritable folder, one in use, or one already used."""
    where = str(out)
    if not where.strip():
        raise ConfigurationError("the output folder is empty: give a folder with --out")
    try:
        out.mkdir(parents=True, exist_ok=True)
        lock = os.open(out / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        raise ConfigurationError(
            f"cannot write to the output folder {where!r} ({error.strerror}): "
            "choose another with --out"
        ) from None
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(lock, 32, 0).decode(errors="replace").strip() or "?"
            raise ConfigurationError(
                f"the output folder {where!r} is in use by another massca run (pid "
                f"{holder}): wait for it, or choose another --out"
            ) from None
        os.ftruncate(lock, 0)
        os.pwrite(lock, f"{os.getpid()}\n".encode(), 0)
        _make_room(out, overwrite)
        yield out
    finally:
        os.close(lock)  # releases the lock


def _make_room(out: Path, overwrite: bool) -> None:
    present = sorted(p.name for p in out.iterdir() if p.name != LOCK_FILE)
    if not present:
        return
    if not overwrite:
        shown = ", ".join(present[:5]) + (" ..." if len(present) > 5 else "")
        raise ConfigurationError(
            f"the output folder {str(out)!r} is not empty ({shown}): choose another --out, "
            "or pass --overwrite to replace the run in it"
        )
    for name in RUN_FILES:
        with contextlib.suppress(FileNotFoundError):
            (out / name).unlink()


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file renamed into place; if that
    fails (a full disk), the temporary file is removed and the error raised."""
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        temporary.write_text(text)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
