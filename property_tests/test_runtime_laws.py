"""Both agent runtimes compute exactly what the oracle computes, for any tree and states."""

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
    ProtocolCodec,
    Redispatch,
    Report,
    StepStart,
    Update,
)
from massca.compat.runtimes import loop_for, open_runtime
from massca.model import Balance, Instruction, Plan, StepConfig, reference_step
from property_tests.strategies import (
    hierarchy_with_states,
    limits,
    merit_orders,
    states,
    tolerances,
)

EXAMPLES = {"native": 60, "mango": 15}  # a mango container per example is slower


@pytest.mark.parametrize("runtime_kind", ["native", "mango"])
def test_one_step_on_a_runtime_equals_the_oracle(runtime_kind: str) -> None:
    @settings(max_examples=EXAMPLES[runtime_kind])
    @given(hierarchy_with_states(), limits, tolerances, merit_orders)
    def check(tree_and_states, lim, tol, order) -> None:
        hierarchy, unit_states = tree_and_states
        config = StepConfig(lim, tol, order)

        async def one_step():
            async with open_runtime(runtime_kind, hierarchy, config) as runtime:
                return await runtime.step(0, 0, unit_states)

        with asyncio.Runner(loop_factory=loop_for(runtime_kind)) as runner:
            result = runner.run(one_step())
        assert result == reference_step(hierarchy, unit_states, config)

    check()


fractions = st.floats(-1.0, 1.0, allow_nan=False)
finite = st.floats(allow_nan=False, allow_infinity=False)
messages = st.one_of(
    st.builds(Update, st.dictionaries(st.text(min_size=1), states, max_size=5)),
    st.builds(Answer, states),
    st.builds(Redispatch, st.builds(Instruction, fractions, fractions)),
    st.sampled_from([CONFIRM, REQUEST, DONE]),
    st.builds(StepStart, st.dictionaries(st.text(min_size=1), states, max_size=5)),
    st.builds(
        Report,
        st.builds(Plan, finite, finite, finite, finite, finite),
        st.builds(Instruction, fractions, fractions),
        st.dictionaries(st.text(min_size=1), st.sampled_from(list(Balance)), max_size=4),
    ),
)


@given(messages)
def test_every_message_survives_the_log_codec_unchanged(message) -> None:
    import orjson

    codec = ProtocolCodec()
    kind, body = codec.encode(message)
    assert kind == message.kind
    assert codec.decode(kind, orjson.loads(body)) == message
