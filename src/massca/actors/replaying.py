"""Replaying a recorded log with the real agents: the glue between `massca.log.replay`
(which knows no agents) and `massca.actors` (which knows no files).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import partial

from massca.actors.agents import MODEL_POLICY, Agent, Policy, Send, build_agents
from massca.actors.messages import ProtocolCodec, config_from_json
from massca.log import LogContents, LogHeader, ReplayReport, read_log, replay
from massca.model import LogFormatError

__all__ = ["agents_for", "replay_file"]


def agents_for(header: LogHeader, send: Send, policy: Policy = MODEL_POLICY) -> Mapping[str, Agent]:
    """The agents a log's header describes, built with the same code as a live run.

    A log recorded with a custom policy (the ``aggregation_method`` or ``execute_method``
    hooks) names it but holds no code: replay it with that same ``policy``.
    """
    recorded = header.config.get("policy", MODEL_POLICY.name)
    if recorded != policy.name:
        raise LogFormatError(
            f"the log was recorded with the policy {recorded!r} (user hooks), but replay "
            f"was given {policy.name!r}: pass the same hooks, e.g. "
            "massca.actors.replay_file(path, policy=...)"
        )
    return build_agents(header.hierarchy, config_from_json(header.config), send, policy)


def replay_file(
    path: str | os.PathLike[str], policy: Policy = MODEL_POLICY
) -> tuple[LogContents, ReplayReport]:
    """Read the log at ``path`` and replay it; `LogFormatError` if it cannot be read."""
    contents = read_log(path)
    return contents, replay(contents, partial(agents_for, policy=policy), ProtocolCodec())
