"""Will it fit? Memory estimates checked against what this process may still use, before
anything big is built.

Belongs here: `available` (the tightest of the address-space limit, the cgroup's limit
and the system's available memory) and `check_fits` (refuse an estimate beyond it, with
both figures named). Not here: the estimates themselves, which belong to what they
estimate (`massca.bench`, `massca.scenario.world`).

Why: a run too big for the machine used to build for minutes and then die, by the
kernel's OOM killer or a failed allocation inside C code (a segfault), leaving its
temporary files behind. Refused up front, it says so in one line instead.
"""

from __future__ import annotations

import resource
from pathlib import Path

from massca.errors import ConfigurationError

__all__ = ["Available", "available", "check_fits"]

Available = tuple[float, str]
"""Bytes this process may still use, and which limit says so."""

_CGROUP = Path("/sys/fs/cgroup")


def available() -> Available:
    """The bytes this process may still allocate, by the tightest limit that applies: the
    address-space limit (``ulimit -v``, less what is mapped already), the cgroup's
    ``memory.max`` (less its current use) and the system's ``MemAvailable``."""
    limits: list[Available] = []
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        mapped = _status_kb("VmSize") * 1024
        limits.append((soft - mapped, f"the address-space limit (ulimit -v) of {_gb(soft)}"))
    cap = _read_number(_CGROUP / "memory.max")
    if cap is not None:
        used = _read_number(_CGROUP / "memory.current") or 0
        limits.append((cap - used, f"the cgroup's memory.max of {_gb(cap)}"))
    meminfo = _meminfo_kb("MemAvailable")
    if meminfo is not None:
        limits.append((meminfo * 1024, "the system's available memory"))
    if not limits:
        return float("inf"), "no known limit"
    return min(limits)


def check_fits(estimate: float, what: str, hint: str) -> None:
    """Raise `ConfigurationError` when ``estimate`` bytes exceed `available`: "``what``
    needs about X GB, but only Y GB is left (by which limit); ``hint``"."""
    left, by = available()
    if estimate > left:
        raise ConfigurationError(
            f"{what} needs about {_gb(estimate)}, but only {_gb(max(left, 0))} is left by "
            f"{by}; {hint}"
        )


def _gb(size: float) -> str:
    return f"{size / 2**30:.1f} GB"


def _read_number(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None  # "max" means no limit


def _status_kb(field: str) -> int:
    try:
        lines = Path("/proc/self/status").read_text().splitlines()
    except OSError:
        return 0
    for line in lines:
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _meminfo_kb(field: str) -> int | None:
    try:
        lines = Path("/proc/meminfo").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return None
