"""Both agent runtimes compute exactly what the oracle computes, for any tree, states and
built-in strategy; every message survives the log's codec."""

from __future__ import annotations

import asyncio
import math
from collections import deque

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from massca.actors.agents import CoordinatorAgent, UnitAgent, build_agents
from massca.actors.messages import (
    DONE,
    NO_FORECASTS,
    REQUEST,
    Answer,
    CellOrders,
    ProtocolCodec,
    Redispatch,
    Report,
    StepStart,
    Update,
)
from massca.actors.negotiation_messages import (
    NEGOTIATION_END,
    NegotiationReport,
    NegotiationResult,
    NegotiationRound,
    NegotiationStart,
    NegotiationView,
)
from massca.compat.runtimes import loop_for, open_runtime
from massca.log.events import ENVIRONMENT
from massca.model import (
    PROPORTIONAL,
    Balance,
    CellPlan,
    Instruction,
    MeritInstruction,
    Plan,
    Share,
    Strategy,
    reference_step,
)
from massca.model.cohda import Candidate, Selection, Target, View
from property_tests.strategies import (
    cohda_strategies,
    cohda_within_strategies,
    states,
    step_cases,
)

EXAMPLES = {"native": 80, "mango": 20}  # a mango container per example is slower


@pytest.mark.parametrize("runtime_kind", ["native", "mango"])
def test_two_iterations_on_a_runtime_equal_the_oracle_for_every_strategy(runtime_kind) -> None:
    @settings(max_examples=EXAMPLES[runtime_kind])
    @given(step_cases())
    def check(case) -> None:
        hierarchy, unit_states, config, strategy = case

        async def two_iterations():
            async with open_runtime(runtime_kind, hierarchy, config, strategy=strategy) as rt:
                first = await rt.step(0, 0, unit_states)
                return first, await rt.step(0, 1, dict(first.targets))

        with asyncio.Runner(loop_factory=loop_for(runtime_kind)) as runner:
            first, second = runner.run(two_iterations())
        assert first == reference_step(hierarchy, unit_states, config, strategy)
        assert second == reference_step(hierarchy, dict(first.targets), config, strategy)

    check()


@pytest.mark.parametrize("runtime_kind", ["native", "mango"])
def test_a_cohda_negotiation_on_a_runtime_equals_the_reference_negotiation(runtime_kind) -> None:
    """The cells' negotiation over real messages reaches the reference's outcome (solution,
    messages, rounds, cap, best seen) whatever order the runtime delivers in, and so do
    the children of every controller when they negotiate their parent's order; over a
    horizon, with forecasts of any length for some units (padded as documented)."""

    @settings(max_examples=EXAMPLES[runtime_kind])
    @given(st.data())
    def check(data) -> None:
        within = data.draw(st.one_of(st.just(PROPORTIONAL), cohda_within_strategies()))
        strategy = Strategy(data.draw(cohda_strategies()), within)
        hierarchy, unit_states, config, _ = data.draw(step_cases(strategy))
        forecasts = {
            unit: tuple(data.draw(st.lists(states, max_size=3)))
            for unit in hierarchy.units
            if data.draw(st.booleans())
        }

        async def one_step():
            async with open_runtime(runtime_kind, hierarchy, config, strategy=strategy) as rt:
                return await rt.step(0, 0, unit_states, forecasts)

        with asyncio.Runner(loop_factory=loop_for(runtime_kind)) as runner:
            result = runner.run(one_step())
        expected = reference_step(hierarchy, unit_states, config, strategy, forecasts)
        assert result.negotiation == expected.negotiation
        assert result == expected

    check()


@pytest.mark.parametrize("negotiated", [False, True], ids=["any strategy", "cohda"])
def test_the_agents_decide_the_oracle_s_step_whatever_order_links_deliver_in(negotiated) -> None:
    """Each link keeps its order (as TCP does), but nothing orders the links against each
    other: whichever waiting link delivers next (drawn), the step is the oracle's, over
    two iterations. A unit asked before its update must wait for it (a unit that
    answered with what it held fails this), and so must a negotiation's participant whose
    neighbour's first view overtakes its start (one that refused such a view fails this;
    the second case draws only negotiations, to meet it often)."""

    @settings(max_examples=60)
    @given(st.data())
    def check(data) -> None:
        strategy = None
        if negotiated:
            within = data.draw(st.one_of(st.just(PROPORTIONAL), cohda_within_strategies()))
            strategy = Strategy(data.draw(cohda_strategies()), within)
        hierarchy, unit_states, config, strategy = data.draw(step_cases(strategy))
        links: dict[tuple[str, str], deque[object]] = {}
        reports: list[Report] = []

        def send(sender: str, to: str | tuple[str, ...], message: object) -> None:
            if to == ENVIRONMENT:
                assert isinstance(message, Report)
                reports.append(message)
                return
            for receiver in to if isinstance(to, tuple) else (to,):
                links.setdefault((sender, receiver), deque()).append(message)

        agents = build_agents(hierarchy, config, send, strategy)
        coordinator = agents[hierarchy.root]
        assert isinstance(coordinator, CoordinatorAgent)
        states = unit_states
        for _ in range(2):
            send(ENVIRONMENT, hierarchy.root, StepStart(states))
            while waiting := sorted(link for link, queue in links.items() if queue):
                sender, receiver = data.draw(st.sampled_from(waiting))
                agents[receiver].receive(sender, links[sender, receiver].popleft())
            expected = reference_step(hierarchy, states, config, strategy)
            assert reports.pop().plan == expected.plan
            assert coordinator.results == expected.cells
            targets = {u: a.target for u, a in agents.items() if isinstance(a, UnitAgent)}
            assert targets == expected.targets
            states = dict(expected.targets)

    check()


fractions = st.floats(-1.0, 1.0, allow_nan=False)
finite = st.floats(allow_nan=False, allow_infinity=False)
plans = st.builds(Plan, finite, finite, finite, finite, finite)
merit_steps = st.one_of(st.none(), st.tuples(finite, fractions.filter(lambda f: f != 0.0)))
orders = st.one_of(
    st.builds(Instruction, fractions, fractions),
    st.builds(Share, finite, finite),
    st.builds(MeritInstruction, merit_steps, merit_steps),
)
cell_plans = st.builds(
    CellPlan, finite, finite, finite, finite, finite, st.one_of(st.none(), orders)
)
ids = st.text(min_size=1)
classes = st.dictionaries(ids, st.sampled_from(list(Balance)), max_size=4)
forecast_lists = st.lists(states, max_size=3).map(tuple)
forecast_maps = st.one_of(
    st.just(NO_FORECASTS), st.dictionaries(ids, forecast_lists, min_size=1, max_size=3)
)
messages = st.one_of(
    st.builds(Update, st.dictionaries(ids, states, max_size=5), forecast_maps),
    st.builds(
        Answer,
        states,
        st.one_of(st.none(), st.lists(st.tuples(finite, states), max_size=3).map(tuple)),
        st.one_of(st.none(), plans),
        st.one_of(st.none(), forecast_lists),
    ),
    st.builds(Redispatch, orders),
    st.builds(CellOrders, st.dictionaries(ids, cell_plans, max_size=4)),
    st.sampled_from([REQUEST, DONE]),
    st.builds(StepStart, st.dictionaries(ids, states, max_size=5), forecast_maps),
    st.builds(Report, plans, classes, classes),
)
schedules = st.lists(finite, min_size=1, max_size=3).map(tuple)
candidates = st.builds(
    Candidate,
    ids,
    st.dictionaries(ids, schedules, max_size=4),
    st.floats(max_value=0.0, allow_infinity=False),
)
views = st.builds(
    View,
    st.dictionaries(ids, st.builds(Selection, schedules, st.integers(1, 99))),
    st.one_of(st.none(), candidates),
)
negotiation_messages = st.one_of(
    st.builds(
        NegotiationStart,
        st.dictionaries(ids, st.lists(ids, max_size=3).map(tuple)),
        st.builds(Target.of, schedules),
    ),
    st.builds(NegotiationRound, st.integers(1, 999), st.lists(ids, max_size=4).map(tuple)),
    st.builds(NegotiationView, st.integers(1, 999), views),
    st.builds(NegotiationReport, st.integers(1, 999), st.booleans()),
    st.just(NEGOTIATION_END),
    st.builds(
        NegotiationResult,
        candidates,
        st.one_of(st.just(-math.inf), st.floats(max_value=0.0, allow_infinity=False)),
    ),
)


@given(st.one_of(messages, negotiation_messages))
def test_every_message_survives_the_log_codec_unchanged(message) -> None:
    import orjson

    codec = ProtocolCodec()
    kind, body = codec.encode(message)
    assert kind == message.kind
    assert codec.decode(kind, orjson.loads(body)) == message
