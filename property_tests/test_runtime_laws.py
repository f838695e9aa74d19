"""Both agent runtimes compute exactly what the oracle computes, for any tree, states and
built-in strategy; every message survives the log's codec."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from massca.actors.messages import (
    CONFIRM,
    DONE,
    REQUEST,
    Answer,
    CellOrders,
    ProtocolCodec,
    Redispatch,
    Report,
    StepStart,
    Update,
)
from massca.compat.runtimes import loop_for, open_runtime
from massca.model import (
    Balance,
    CellPlan,
    Instruction,
    MeritInstruction,
    Plan,
    Share,
    reference_step,
)
from property_tests.strategies import states, step_cases

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
messages = st.one_of(
    st.builds(Update, st.dictionaries(ids, states, max_size=5)),
    st.builds(
        Answer,
        states,
        st.one_of(st.none(), st.lists(st.tuples(finite, states), max_size=3).map(tuple)),
        st.one_of(st.none(), plans),
    ),
    st.builds(Redispatch, orders),
    st.builds(CellOrders, st.dictionaries(ids, cell_plans, max_size=4)),
    st.sampled_from([CONFIRM, REQUEST, DONE]),
    st.builds(StepStart, st.dictionaries(ids, states, max_size=5)),
    st.builds(Report, plans, classes, classes),
)


@given(messages)
def test_every_message_survives_the_log_codec_unchanged(message) -> None:
    import orjson

    codec = ProtocolCodec()
    kind, body = codec.encode(message)
    assert kind == message.kind
    assert codec.decode(kind, orjson.loads(body)) == message
