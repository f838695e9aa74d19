"""Both agent runtimes compute exactly what the oracle computes, for any tree, states and
built-in strategy; every message survives the log's codec."""

from __future__ import annotations

import asyncio
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from massca.actors.messages import (
    CONFIRM,
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
    st.sampled_from([CONFIRM, REQUEST, DONE]),
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
