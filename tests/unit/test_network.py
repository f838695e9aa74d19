"""The simulated network's model (`massca.model.network`), its messages, and who may run
over it."""

from __future__ import annotations

import asyncio

import orjson
import pytest

from massca.actors import NativeRuntime
from massca.actors.agents import build_agents
from massca.actors.messages import (
    ANSWERS,
    DONE_PHASE,
    REQUEST,
    Answer,
    CellOrders,
    Deadline,
    ProtocolCodec,
    Redispatch,
    Report,
)
from massca.errors import ConfigurationError
from massca.model import (
    ZERO_FLEXIBILITY,
    Balance,
    CellPlan,
    CohdaStrategy,
    Flexibility,
    Hierarchy,
    Plan,
    ProtocolError,
    State,
    StepConfig,
    Strategy,
    aggregate,
    cells_hierarchy,
)
from massca.model.network import Network
from massca.model.state import pinned

TREE = cells_hierarchy(2, depth=2, loads=2, generators=1)  # coordinator > cell > ctl > ctl


def test_every_bad_value_is_named_in_one_error() -> None:
    with pytest.raises(ConfigurationError) as caught:
        Network(-1.0, {"cell-0": float("nan")}, 1.5, 2.5, 0.0)  # type: ignore[arg-type]
    text = str(caught.value)
    for part in ("delay -1.0 ms", "'cell-0''s link nan", "loss 1.5", "seed 2.5", "deadline 0.0"):
        assert part in text


def test_a_link_must_join_an_agent_below_the_coordinator_to_its_parent() -> None:
    with pytest.raises(ConfigurationError, match="'coordinator', 'nobody'"):
        Network(links={"coordinator": 1.0, "nobody": 2.0}).wired(TREE)


def test_delays_are_per_link_both_ways_and_everything_else_is_local() -> None:
    wiring = Network(5.0, {"cell-1": 40.0}, loss=1.0).wired(TREE)
    assert wiring.transit("coordinator", "cell-1", 1) is None  # over a link: lost at 1.0
    lossless = Network(5.0, {"cell-1": 40.0}).wired(TREE)
    assert lossless.transit("coordinator", "cell-1", 1) == 40_000
    assert lossless.transit("cell-1", "coordinator", 2) == 40_000
    assert lossless.transit("cell-0", "cell-0.ctl-1", 3) == 5_000
    unit = TREE.units[0]
    # a unit's update and confirm stand for its own measurement: never delayed or lost
    assert wiring.transit("coordinator", unit, 4) == 0
    assert wiring.transit(unit, "coordinator", 5) == 0


def test_each_parent_waits_the_deadline_less_its_round_trip_to_the_coordinator() -> None:
    wiring = Network(5.0, {"cell-1": 40.0}).wired(TREE)
    # the longest round trip: coordinator > cell-1 > ctl-1 > ctl-2 > unit, 55 ms each way
    assert wiring.deadline_us == 2 * 2 * 55_000
    assert wiring.wait("coordinator") == 220_000
    assert wiring.wait("cell-1") == 220_000 - 2 * 40_000
    assert wiring.wait("cell-1.ctl-2") == 220_000 - 2 * 50_000
    assert wiring.transit("cell-1", "cell-1", 9) == wiring.wait("cell-1")  # a timer
    assert Network().wired(TREE).deadline_us == 1000  # no delays: 1 ms
    short = Network(5.0, {"cell-1": 40.0}, deadline_ms=50.0).wired(TREE)
    assert short.wait("cell-1") == 0  # too far for the deadline: goes on at once


def test_at_a_tie_messages_go_first_then_the_deeper_agents_timers() -> None:
    wiring = Network(1.0).wired(TREE)
    ranks = [
        wiring.rank("cell-0.ctl-1", "cell-0"),  # a message
        wiring.rank("cell-0.ctl-2", "cell-0.ctl-2"),
        wiring.rank("cell-0.ctl-1", "cell-0.ctl-1"),
        wiring.rank("cell-0", "cell-0"),
        wiring.rank("coordinator", "coordinator"),
    ]
    assert ranks == sorted(ranks)
    assert len(set(ranks)) == len(ranks)


def test_fates_are_seeded_independent_per_receiver_and_near_the_loss_rate() -> None:
    def fates(seed: int) -> list[bool]:
        wiring = Network(loss=0.1, seed=seed).wired(TREE)
        return [
            wiring.transit("coordinator", cell, seq) is None
            for seq in range(5000)
            for cell in TREE.cells
        ]

    first = fates(1)
    assert first == fates(1)
    assert first != fates(2)
    assert first[0::2] != first[1::2]  # the two cells of one multicast differ
    assert 0.09 < sum(first) / len(first) < 0.11


def test_the_network_travels_in_a_log_header() -> None:
    network = Network(2.5, {"cell-0": 7.0}, 0.05, 11, 30.0)
    assert Network.from_json(orjson.loads(orjson.dumps(network.to_json()))) == network
    with pytest.raises(ConfigurationError, match="malformed"):
        Network.from_json({"delay_ms": 1})


def test_only_the_native_core_runs_over_a_network_and_not_with_cohda() -> None:
    pytest.importorskip("mango")
    from massca.compat.mango import MangoRuntime

    with pytest.raises(ConfigurationError, match="native runtime, not on mango"):
        MangoRuntime(TREE, network=Network(1.0))
    with pytest.raises(ConfigurationError, match="not supported with cohda"):
        NativeRuntime(TREE, strategy=Strategy(CohdaStrategy()), network=Network(1.0))


@pytest.mark.parametrize(
    "message",
    [
        Deadline(ANSWERS),
        Deadline(DONE_PHASE),
        Answer(State(Flexibility(0, 1, 0.5), ZERO_FLEXIBILITY), missing=("a", "b")),
        Report(Plan(1.0, 0.0, 0.0, 1.0, 0.0), {"c": Balance.BALANCED}, {}, ("c.u",)),
    ],
)
def test_the_networks_messages_survive_the_codec(message) -> None:
    codec = ProtocolCodec()
    kind, body = codec.encode(message)
    assert codec.decode(kind, orjson.loads(body)) == message


def test_a_deadline_from_another_agent_or_a_stray_answer_is_a_protocol_error() -> None:
    sent: list[tuple[str, object, object]] = []
    agents = build_agents(TREE, StepConfig(), lambda s, to, m: sent.append((s, to, m)), timed=True)
    cell = agents["cell-0"]
    cell.receive("coordinator", REQUEST)
    assert sent[0] == ("cell-0", "cell-0", Deadline(ANSWERS))  # it set itself a timer
    with pytest.raises(ProtocolError, match="not from itself"):
        cell.receive("coordinator", Deadline(ANSWERS))
    state = State(Flexibility(0, 1, 0.5), ZERO_FLEXIBILITY)
    with pytest.raises(ProtocolError, match="not waiting for"):
        cell.receive("cell-1", Answer(state))  # not its child: no deadline excuses it
    cell.receive("cell-0", Deadline(ANSWERS))  # its child never answered
    _, to, answer = sent[-1]
    assert to == "coordinator"
    assert isinstance(answer, Answer)
    assert answer.missing == ("cell-0.ctl-1",)
    assert answer.state.balance == 0.0  # nothing heard: no flexibility
    count = len(sent)
    cell.receive("cell-0.ctl-1", Answer(state))  # late: dropped, nothing sent
    assert len(sent) == count


def test_a_step_where_every_message_is_lost_moves_no_unit() -> None:
    states = {
        u: State(Flexibility(0, 2, 1), ZERO_FLEXIBILITY)
        if ".gen" in u
        else State(ZERO_FLEXIBILITY, Flexibility(0, 1, 1))
        for u in TREE.units
    }

    async def step():
        async with NativeRuntime(TREE, network=Network(3.0, loss=1.0)) as runtime:
            return await runtime.step(0, 0, states)

    result = asyncio.run(step())
    assert result.missing == TREE.cells
    assert dict(result.targets) == states
    assert all(c.plan.unresolved == c.state.balance for c in result.cells.values())


def test_a_silent_child_counts_at_its_last_reported_point_without_flexibility() -> None:
    """No flexibility, no change: a controller that heard a child in an earlier step
    counts it pinned at what it reported then, and gives it no order; one it never heard
    is left out."""
    tree = Hierarchy.from_parents(
        {"c": ("coordinator", None), "k": ("cell", "c"), "a": ("unit", "k"), "b": ("unit", "k")}
    )
    sent: list[tuple[str, object, object]] = []
    cell = build_agents(tree, StepConfig(), lambda s, to, m: sent.append((s, to, m)), timed=True)[
        "k"
    ]
    a1 = State(Flexibility(0, 4, 1), ZERO_FLEXIBILITY)
    b1 = State(ZERO_FLEXIBILITY, Flexibility(1, 3, 2))
    cell.receive("c", REQUEST)
    cell.receive("b", Answer(b1))
    cell.receive("k", Deadline(ANSWERS))  # "a" never heard of: left out
    assert sent[-1][2] == Answer(b1, None, sent[-1][2].proposal, None, ("a",))
    cell.receive("c", REQUEST)  # the next step: both answer
    cell.receive("a", Answer(a1))
    cell.receive("b", Answer(b1))
    cell.receive("c", REQUEST)  # and the next: "b" is silent
    a2 = State(Flexibility(0, 4, 3), ZERO_FLEXIBILITY)
    cell.receive("a", Answer(a2))
    cell.receive("k", Deadline(ANSWERS))
    answer = sent[-1][2]
    assert isinstance(answer, Answer)
    assert answer.missing == ("b",)
    assert answer.state == aggregate([a2, pinned(b1)])  # b at 2 MW, no room to move
    assert answer.state.consumption == Flexibility(2, 2, 2)
    cell.receive("c", CellOrders({"k": CellPlan(-1.0, 0.0, 0.0, 0.0, 0.0)}))
    orders = [(to, m) for s, to, m in sent if isinstance(m, Redispatch)]
    assert [to for to, _ in orders] == [("a",)]  # the silent child gets no order
