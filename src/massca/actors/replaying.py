"""Replaying a recorded log with the real agents: the glue between `massca.log.replay`
(which knows no agents) and `massca.actors` (which knows no files).

A log's header describes the strategy and the aggregation its agents decided with. A
built-in strategy (``global``, ``cellular``, ``optimal``, ``proportional``, ``merit``, with
their parameters) is rebuilt from that description; a user's function is named but never
stored (a log never names code to run): replay such a log by passing the same strategy
(and aggregation hook) to `replay_file`. A log recorded over a simulated network names
the network in its header; replay delivers its messages in simulated time, as they ran.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from massca.actors.agents import MODEL_AGGREGATION, Agent, Aggregation, Send, build_agents
from massca.actors.messages import ProtocolCodec, config_from_json
from massca.errors import LogFormatError
from massca.log import LogHeader, ReplayReport, open_log, replay
from massca.model import ConfigurationError, Strategy, strategy_from_description
from massca.model.network import Network, Wiring

__all__ = ["agents_for", "network_of", "replay_file"]


def agents_for(
    header: LogHeader,
    send: Send,
    strategy: Strategy | None = None,
    aggregation: Aggregation | None = None,
) -> Mapping[str, Agent]:
    """The agents a log's header describes, built with the same code as a live run.

    ``strategy``: None rebuilds the recorded built-in strategy; a given strategy must
    describe itself exactly as the recorded one. ``aggregation``: None means the model's;
    a given one must have the recorded name. `LogFormatError` otherwise, saying what to
    pass.
    """
    config = header.config
    recorded = config.get("strategy")
    if not isinstance(recorded, Mapping):
        raise LogFormatError("the log's header names no strategy: not a log of this massca")
    if strategy is None:
        try:
            strategy = strategy_from_description(recorded)
        except ConfigurationError as error:
            raise LogFormatError(
                f"the log was recorded with a user's strategy ({error}); replay it from "
                "Python: massca.actors.replay_file(path, strategy=...)"
            ) from None
    elif strategy.describe() != dict(recorded):
        raise LogFormatError(
            f"the log was recorded with the strategy {_show(recorded)}, but replay was given "
            f"{_show(strategy.describe())}: pass the strategy the log was recorded with"
        )
    name = config.get("aggregation", MODEL_AGGREGATION.name)
    aggregation = aggregation or MODEL_AGGREGATION
    if name != aggregation.name:
        raise LogFormatError(
            f"the log was recorded with the aggregation {name!r} (a user hook), but replay "
            f"was given {aggregation.name!r}: pass the same hook, e.g. "
            "massca.actors.replay_file(path, aggregation=...)"
        )
    timed = network_of(header) is not None
    return build_agents(
        header.hierarchy, config_from_json(config), send, strategy, aggregation, timed
    )


def network_of(header: LogHeader) -> Wiring | None:
    """The simulated network a log was recorded over, or None; `LogFormatError` if its
    description is malformed."""
    described = header.config.get("network")
    if described is None:
        return None
    try:
        return Network.from_json(described).wired(header.hierarchy)
    except ConfigurationError as error:
        raise LogFormatError(f"the log's header names a network that cannot be: {error}") from None


def _show(description: Mapping[str, Any]) -> str:
    """``between/within`` of a description, naming a user's functions."""
    parts = (description.get("between", {}), description.get("within", {}))
    return "/".join(str(part.get("function", part.get("name"))) for part in parts)


def replay_file(
    path: str | os.PathLike[str],
    strategy: Strategy | None = None,
    aggregation: Aggregation | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[LogHeader, ReplayReport]:
    """Replay the log at ``path`` as it is read (a log of any length: see
    `massca.log.open_log`), plain or compact; see `agents_for` for ``strategy`` and
    ``aggregation``, `massca.log.replay` for ``progress``. Returns the log's header and
    the report; `LogFormatError` if it cannot be read or replayed."""
    stream = open_log(path)

    def build(header: LogHeader, send: Send) -> Mapping[str, Agent]:
        return agents_for(header, send, strategy, aggregation)

    network = network_of(stream.header)
    return stream.header, replay(stream, build, ProtocolCodec(), str(path), progress, network)
