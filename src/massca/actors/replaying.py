"""Replaying a recorded log with the real agents: the glue between `massca.log.replay`
(which knows no agents) and `massca.actors` (which knows no files).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from massca.actors.agents import Agent, Send, build_agents
from massca.actors.messages import ProtocolCodec, config_from_json
from massca.log import LogContents, LogHeader, ReplayReport, read_log, replay

__all__ = ["agents_for", "replay_file"]


def agents_for(header: LogHeader, send: Send) -> Mapping[str, Agent]:
    """The agents a log's header describes, built with the same code as a live run."""
    return build_agents(header.hierarchy, config_from_json(header.config), send)


def replay_file(path: str | os.PathLike[str]) -> tuple[LogContents, ReplayReport]:
    """Read the log at ``path`` and replay it; `LogFormatError` if it cannot be read."""
    contents = read_log(path)
    return contents, replay(contents, agents_for, ProtocolCodec())
