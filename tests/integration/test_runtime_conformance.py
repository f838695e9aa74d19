"""The conformance suite: every agent runtime (native, mango) must pass each test here."""

from __future__ import annotations

import time

import pytest

from massca.actors.messages import Redispatch, Request, Update
from massca.compat.runtimes import open_runtime
from massca.errors import AgentError, StepTimeoutError
from massca.log import ENVIRONMENT, read_log
from massca.log.events import receivers_of
from massca.model import (
    CohdaStrategy,
    ConfigurationError,
    ExchangeLimits,
    ProtocolError,
    StepConfig,
    Strategy,
    cells_hierarchy,
    reference_step,
)
from massca.workload import synthetic_states
from tests.conftest import run_on


def test_steps_match_the_oracle_bit_for_bit(runtime_kind, small_hierarchy) -> None:
    config = StepConfig(limits=ExchangeLimits(import_max=5.0, export_max=1.0))

    async def scenario():
        async with open_runtime(runtime_kind, small_hierarchy, config) as runtime:
            for step in range(4):
                states = synthetic_states(small_hierarchy, seed=3, step=step)
                result = await runtime.step(step * 900, 0, states)
                assert result == reference_step(small_hierarchy, states, config)
                again = await runtime.step(step * 900, 1, dict(result.targets))
                assert again == reference_step(small_hierarchy, dict(result.targets), config)
                assert again.converged
            return runtime.messages_sent

    sent = run_on(runtime_kind, scenario())
    units, agents = len(small_hierarchy.units), len(small_hierarchy)
    # per step: start + report, one multicast update, answer + done per non-root agent,
    # and one multicast request and one multicast redispatch per parent
    assert sent == 8 * (2 + 1 + 2 * (agents - 1) + 2 * (agents - units))


@pytest.mark.parametrize("topology", ["ring", "small-world"])
def test_many_cells_negotiate_exactly_the_reference_outcome(runtime_kind, topology) -> None:
    """On a 24-cell ring news takes many rounds, so cells sit rounds out and views of a
    later round reach cells still before it: the outcome is still the reference's."""
    hierarchy = cells_hierarchy(cells=24, depth=1, loads=1, generators=1)
    strategy = Strategy(CohdaStrategy(levels=6, topology=topology, seed=3))

    async def scenario():
        async with open_runtime(runtime_kind, hierarchy, strategy=strategy) as runtime:
            for step in range(3):
                states = synthetic_states(hierarchy, seed=step, step=step)
                result = await runtime.step(step * 900, 0, states)
                assert result == reference_step(hierarchy, states, strategy=strategy)
                assert result.negotiation is not None
                assert result.negotiation.rounds > 5

    run_on(runtime_kind, scenario())


@pytest.mark.parametrize("depth", [1, 2])
def test_a_cells_units_negotiate_exactly_the_reference_orders(
    runtime_kind, depth, tmp_path
) -> None:
    hierarchy = cells_hierarchy(cells=3, depth=depth, loads=8, generators=6)
    strategy = Strategy.of("cellular", "cohda")
    log = tmp_path / "run.jsonl"

    async def scenario():
        async with open_runtime(runtime_kind, hierarchy, strategy=strategy, log=log) as rt:
            for step in range(3):
                states = synthetic_states(hierarchy, seed=step, step=step)
                result = await rt.step(step * 900, 0, states)
                assert result == reference_step(hierarchy, states, strategy=strategy)
                again = await rt.step(step * 900, 1, dict(result.targets))
                assert again.converged

    run_on(runtime_kind, scenario())
    events = read_log(log).events
    moderators = {e.sender for e in events if e.kind == "cohda_start"}
    siblings = {p for p, kids in hierarchy.children.items() if len(kids) > 1}
    assert moderators  # controllers with two children or more let them negotiate
    assert moderators <= siblings - {hierarchy.root}
    assert any(e.kind == "cohda_view" and e.sender in hierarchy.units for e in events)


def test_a_failing_handler_names_agent_and_step_and_the_log_keeps_everything(
    runtime_kind, small_hierarchy, tmp_path
) -> None:
    log = tmp_path / "run.jsonl"
    victim = small_hierarchy.units[3]

    def boom(agent, sender, message):
        raise RuntimeError("battery on fire")

    async def scenario():
        async with open_runtime(runtime_kind, small_hierarchy, log=log) as runtime:
            await runtime.step(0, 0, synthetic_states(small_hierarchy, 1, 0))
            agent = runtime.agents[victim]
            agent.handlers = {**agent.handlers, Redispatch: boom}
            with pytest.raises(AgentError) as caught:
                await runtime.step(900, 2, synthetic_states(small_hierarchy, 1, 1))
            with pytest.raises(ProtocolError, match="start a new runtime"):
                await runtime.step(1800, 0, synthetic_states(small_hierarchy, 1, 2))
            return caught.value

    error = run_on(runtime_kind, scenario())
    assert (error.agent, error.time, error.iteration) == (victim, 900, 2)
    assert "battery on fire" in str(error)
    assert isinstance(error.__cause__, RuntimeError)
    events = read_log(log).events
    to_victim = [e for e in events if victim in receivers_of(e) and e.kind == "redispatch"]
    assert to_victim[-1].time == 900  # the message that failed is on disk
    assert events[-1].seq == len(events)


@pytest.mark.parametrize("ignored", [Request, Update], ids=["asked", "measured"])
def test_a_silent_agent_is_named_in_the_timeout(runtime_kind, small_hierarchy, ignored) -> None:
    """A unit that ignores its request never answers; so does one whose update never
    comes (asked first, it waits for its measurement). The stalled step names it."""
    mute = small_hierarchy.units[0]

    async def scenario():
        async with open_runtime(runtime_kind, small_hierarchy, timeout=0.5) as runtime:
            agent = runtime.agents[mute]
            agent.handlers = {**agent.handlers, ignored: lambda agent, sender, message: None}
            with pytest.raises(StepTimeoutError) as caught:
                await runtime.step(0, 0, synthetic_states(small_hierarchy, 1, 0))
            return caught.value

    error = run_on(runtime_kind, scenario())
    assert error.silent == (mute,)
    assert repr(mute) in str(error)
    assert "coordinator phase: request" in str(error)


def test_both_runtimes_record_the_same_events(small_hierarchy, tmp_path) -> None:
    """Same events and bodies; only the interleaving of independent agents may differ."""

    def record(kind: str):
        log = tmp_path / f"{kind}.jsonl"

        async def scenario():
            async with open_runtime(kind, small_hierarchy, log=log) as runtime:
                for step in range(2):
                    await runtime.step(step, 0, synthetic_states(small_hierarchy, 5, step))

        run_on(kind, scenario())
        contents = read_log(log)
        events = sorted(
            (e.time, e.iteration, e.sender, repr(e.receiver), e.kind, repr(e.body))
            for e in contents.events
        )
        per_agent_order = {
            agent: [
                (e.receiver, e.kind, repr(e.body)) for e in contents.events if e.sender == agent
            ]
            for agent in (ENVIRONMENT, small_hierarchy.root, *small_hierarchy.cells)
        }
        return contents.header, events, per_agent_order

    native_header, native_events, native_order = record("native")
    mango_header, mango_events, mango_order = record("mango")
    assert native_events == mango_events
    assert native_order == mango_order
    assert native_header.config["runtime"] == "native"
    assert mango_header.config["runtime"] == "mango"
    assert {**native_header.config, "runtime": ""} == {**mango_header.config, "runtime": ""}


def test_wrong_unit_states_are_refused_before_any_message(runtime_kind, small_hierarchy) -> None:
    async def scenario():
        async with open_runtime(runtime_kind, small_hierarchy) as runtime:
            states = synthetic_states(small_hierarchy, 1, 0)
            states.pop(small_hierarchy.units[0])
            with pytest.raises(ConfigurationError, match="no state for 1 unit"):
                await runtime.step(0, 0, states)
            return runtime.messages_sent

    assert run_on(runtime_kind, scenario()) == 0


def test_unknown_runtime_and_bad_timeout_are_configuration_errors(small_hierarchy) -> None:
    with pytest.raises(ConfigurationError, match="choose one of native, mango"):
        open_runtime("erlang", small_hierarchy)
    with pytest.raises(ConfigurationError, match="timeout"):
        open_runtime("native", small_hierarchy, timeout=0)


def sleeping(seconds: float):
    """A handler that blocks the thread for ``seconds`` (a user hook stuck in I/O)."""

    def handler(agent, sender, message):
        time.sleep(seconds)

    return handler


def spinning(agent, sender, message):
    """A handler stuck in a pure-Python loop (bounded, so a broken deadline fails the
    test rather than hanging it)."""
    end = time.monotonic() + 60
    while time.monotonic() < end:
        pass


@pytest.mark.parametrize("stuck", [sleeping(60), spinning], ids=["blocking", "spinning"])
def test_a_stuck_handler_is_cut_at_the_timeout_naming_it_and_the_log_is_flushed(
    runtime_kind, small_hierarchy, tmp_path, stuck
) -> None:
    log = tmp_path / "run.jsonl"
    victim = small_hierarchy.units[2]

    async def scenario():
        async with open_runtime(runtime_kind, small_hierarchy, log=log, timeout=0.5) as runtime:
            agent = runtime.agents[victim]
            agent.handlers = {**agent.handlers, Request: stuck}
            with pytest.raises(StepTimeoutError) as caught:
                await runtime.step(0, 0, synthetic_states(small_hierarchy, 1, 0))
            with pytest.raises(ProtocolError, match="start a new runtime"):
                await runtime.step(900, 0, synthetic_states(small_hierarchy, 1, 1))
            return caught.value

    started = time.monotonic()
    error = run_on(runtime_kind, scenario())
    assert time.monotonic() - started < 30  # cut, not waited out (the handler runs 60 s)
    assert error.silent == (victim,)
    assert "step at time 0, iteration 0 exceeded its timeout of 0.5 s" in str(error)
    assert f"agent {victim!r} handling 'request' was running" in str(error)
    events = read_log(log).events
    assert any(victim in receivers_of(e) and e.kind == "request" for e in events)


def test_a_step_slower_than_its_timeout_fails_even_when_it_would_end(
    runtime_kind, small_hierarchy
) -> None:
    slow = small_hierarchy.units[0]

    async def scenario():
        async with open_runtime(runtime_kind, small_hierarchy, timeout=0.2) as runtime:
            agent = runtime.agents[slow]
            agent.handlers = {**agent.handlers, Request: sleeping(1.0)}
            with pytest.raises(StepTimeoutError, match=r"exceeded its timeout of 0\.2 s"):
                await runtime.step(0, 0, synthetic_states(small_hierarchy, 1, 0))

    run_on(runtime_kind, scenario())


def test_the_tiniest_timeout_fires(runtime_kind, small_hierarchy) -> None:
    async def scenario():
        async with open_runtime(runtime_kind, small_hierarchy, timeout=1e-9) as runtime:
            with pytest.raises(StepTimeoutError, match="timeout of 1e-09 s"):
                await runtime.step(0, 0, synthetic_states(small_hierarchy, 1, 0))

    run_on(runtime_kind, scenario())
