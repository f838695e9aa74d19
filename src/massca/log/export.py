"""Exporting a log as plain JSON lines, for other tools.

Belongs here: `export_plain`. Not here: reading (`reader`) or replay. The plain log holds
the same header (without the compact encoding) and the same events, one self-contained
JSON object per line (`massca.log.events`); `massca replay` reads it like the original,
so a user can inspect, edit and re-check a log with ordinary tools.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from massca.errors import ConfigurationError
from massca.log.events import dumps
from massca.log.reader import open_log

__all__ = ["Exported", "export_plain"]


@dataclass(frozen=True, slots=True)
class Exported:
    """What `export_plain` wrote: the events, and the torn last line it left out."""

    events: int
    torn_line: int | None


def export_plain(
    path: str | os.PathLike[str], out: str | os.PathLike[str], overwrite: bool = False
) -> Exported:
    """Write the log at ``path`` (plain or compact) to ``out`` as plain JSON lines.

    The file appears whole or not at all (written beside it, then renamed). An existing
    ``out`` is refused unless ``overwrite``, and so is ``out`` naming ``path`` itself
    (`ConfigurationError`); an unreadable log raises `LogFormatError`."""
    target = Path(out)
    if target.exists() and target.resolve() == Path(path).resolve():
        raise ConfigurationError(f"{target}: that is the log itself; choose another --out")
    if target.exists() and not overwrite:
        raise ConfigurationError(f"{target} exists; give --overwrite to replace it")
    partial = target.with_name(f".{target.name}.partial")
    events = 0
    with open_log(path) as stream:
        header = stream.header.to_json(compact=False)
        try:
            with partial.open("wb") as file:
                file.write(dumps(header) + b"\n")
                for _, e in stream:
                    receiver = list(e.receiver) if isinstance(e.receiver, tuple) else e.receiver
                    line = {
                        "seq": e.seq,
                        "time": e.time,
                        "iteration": e.iteration,
                        "sender": e.sender,
                        "receiver": receiver,
                        "kind": e.kind,
                        "body": e.body,
                    }
                    file.write(dumps(line) + b"\n")
                    events += 1
            partial.replace(target)
        except OSError as error:
            raise ConfigurationError(f"cannot write {target}: {error.strerror}") from error
        finally:
            partial.unlink(missing_ok=True)
        return Exported(events, stream.torn_line)
