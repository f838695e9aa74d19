"""The parts of the multi-process runtime that need no process: placement, the wire
codec, a worker's agents."""

from __future__ import annotations

import asyncio
import dataclasses

import orjson
import pytest
from mango.messages.message import MangoMessage

from massca.actors.messages import (
    REQUEST,
    Answer,
    CellOrders,
    Encoded,
    ProtocolCodec,
    Redispatch,
    Update,
)
from massca.compat.mango.wire import (
    Assign,
    Batch,
    Failed,
    Gone,
    Hello,
    Ready,
    Stop,
    Unreadable,
    WireCodec,
    narrowed,
)
from massca.compat.mango.worker import CellHost, Worker
from massca.compat.runtimes import open_runtime
from massca.compat.spread import place
from massca.errors import LogFormatError
from massca.model import Instruction, State, cells_hierarchy, reference_step
from massca.workload import synthetic_states


@pytest.mark.parametrize("placement", ["blocks", "round-robin"])
@pytest.mark.parametrize("workers", [1, 2, 3, 7])
def test_every_agent_but_the_coordinator_is_held_once_with_its_whole_cell(
    placement, workers
) -> None:
    hierarchy = cells_hierarchy(cells=7, depth=2, loads=2, generators=1)
    held = place(hierarchy, workers, placement)
    everyone = [agent for agents in held for agent in agents]
    assert sorted(everyone) == sorted(n.id for n in hierarchy.nodes if n.id != hierarchy.root)
    for agents in held:
        cells = {hierarchy.cell_of.get(a, a) for a in agents}
        assert all(c in agents for c in cells)  # whole cells: the cell controller too
    sizes = [sum(a in hierarchy.cells for a in agents) for agents in held]
    assert max(sizes) - min(sizes) <= 1


def test_blocks_keep_neighbouring_cells_together_and_round_robin_deals_them() -> None:
    hierarchy = cells_hierarchy(cells=4, depth=0, loads=1, generators=1)

    def cells(placement):
        held = place(hierarchy, 2, placement)
        return [tuple(a for a in agents if a in hierarchy.cells) for agents in held]

    assert cells("blocks") == [("cell-0", "cell-1"), ("cell-2", "cell-3")]
    assert cells("round-robin") == [("cell-0", "cell-2"), ("cell-1", "cell-3")]


def roundtrip(content, meta=None):
    """``content`` through the codec, its batch's messages decoded as a receiver would."""
    codec = WireCodec()
    meta = meta or {"sender_id": "a", "sender_addr": ("127.0.0.1", 5), "receiver_id": "b"}
    decoded = codec.decode(codec.encode(MangoMessage(content, meta)))
    content = decoded.content
    if isinstance(content, Batch | Failed):
        assert all(isinstance(m, Encoded) for _, _, m in content.entries)  # as it travelled
        protocol = ProtocolCodec()
        entries = tuple((s, to, protocol.decoded(m)) for s, to, m in content.entries)
        content = dataclasses.replace(content, entries=entries)
    return content, decoded.meta


def test_every_wire_message_survives_the_codec() -> None:
    hierarchy = cells_hierarchy(cells=2, depth=1, loads=2, generators=1)
    states = synthetic_states(hierarchy, seed=4, step=1)
    unit = hierarchy.units[0]
    entries = (
        ("coordinator", hierarchy.units[:2], Update({u: states[u] for u in hierarchy.units[:2]})),
        (unit, hierarchy.parents[unit], Answer(states[unit])),
        ("cell-0", (unit,), Redispatch(Instruction(0.25, -0.5, 0.0))),
        ("coordinator", "cell-0", REQUEST),
    )
    outcome = {unit: State.of((0.0, 2.0, 1.0)), "cell-0": State.of((0.0, 3.5, 0.1 + 0.2))}
    for content in (
        Hello("worker-0", 42, ("10.0.0.2", 5555)),
        Hello("worker-1", 43, "massca/1f2e/worker-1"),
        Assign({"format": "massca-log"}, ("cell-0", unit)),
        Ready("worker-0"),
        Batch(900, 2, entries, outcome),
        Batch(900, 2, entries, outcome, leaving=(1, 3)),
        Batch(0, 0, ()),
        Failed(unit, "redispatch", "RuntimeError: boom", entries[:1]),
        Stop(),
        Gone("worker-1"),
    ):
        decoded, meta = roundtrip(content)
        assert decoded == content
        assert meta == {"sender_id": "a", "sender_addr": ("127.0.0.1", 5), "receiver_id": "b"}
    decoded, _ = roundtrip(Batch(0, 0, (), outcome))
    assert decoded.outcome["cell-0"].production.current == 0.1 + 0.2  # bit for bit


def test_type_ids_are_fixed_not_the_order_of_registration() -> None:
    data = WireCodec().encode(MangoMessage(Ready("w"), {}))
    assert orjson.loads(data)[0] == 3
    assert WireCodec().decode(b"[6, {}, null]").content == Stop()
    assert WireCodec().decode(b'[7, {}, "worker-1"]').content == Gone("worker-1")


BATCH = b"[4, {}, [0, 0, %s]]"
"""A batch on the wire, its entries, outcome and leaving entries to fill in."""


BATCH = b"[4, {}, [0, 0, %s]]"
"""A batch on the wire: its entries, outcome and leaving entries to fill in."""


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b"not json", "JSONDecodeError"),
        (b"[99, {}, null]", "KeyError: 99"),
        (BATCH % b'[["a", "b", "request", {}]], null, null', "TypeError"),
        (BATCH % b'[[1, "b", "request", 2]], null, null' + b"\n{}", "no sender, kind or body"),
        (BATCH % b'[["a", ["b", 7], "request", 2]], null, null' + b"\n{}", "receivers: ['b', 7]"),
        (BATCH % b'[["a", "b", "request", 5]], null, null' + b"\n{}", "add up to 5 bytes, not 2"),
        (BATCH % b'[["a", "b", "request", 2]], null, [1]' + b"\n{}", "no indices of its entries"),
        (b'{"__reduce__": "os.system"}', "ValueError"),
    ],
)
def test_bytes_that_are_no_wire_message_decode_to_unreadable(data, said) -> None:
    content = WireCodec().decode(data).content
    assert isinstance(content, Unreadable)
    assert said in content.problem


def test_a_message_of_no_known_kind_fails_where_it_is_decoded() -> None:
    data = b'[4, {}, [0, 0, [["a", "b", "no_such_kind", 2]], null, null]]\n{}'
    (entry,) = WireCodec().decode(data).content.entries
    with pytest.raises(LogFormatError, match="unknown message kind 'no_such_kind'"):
        ProtocolCodec().decoded(entry[2])


def test_a_multicast_carries_only_what_its_receivers_read() -> None:
    hierarchy = cells_hierarchy(cells=3, depth=1, loads=2, generators=1)
    states = synthetic_states(hierarchy, seed=1, step=0)
    some = hierarchy.units[:2]
    update = narrowed(Update(states), some)
    assert update.states == {u: states[u] for u in some}
    plans = {cell: r.plan for cell, r in reference_step(hierarchy, states).cells.items()}
    orders = narrowed(CellOrders(plans), ("cell-1",))
    assert orders.cells == {"cell-1": plans["cell-1"]}
    assert narrowed(REQUEST, some) is REQUEST


def test_a_worker_runs_its_cells_messages_and_sends_back_what_they_sent() -> None:
    """A cell host fed the coordinator's messages of a step produces the same messages as
    that cell's agents do in one process."""
    hierarchy = cells_hierarchy(cells=2, depth=1, loads=2, generators=1)
    states = synthetic_states(hierarchy, seed=2, step=0)
    runtime = open_runtime("native", hierarchy)
    host = CellHost(runtime.header(), place(hierarchy, 2)[1])
    mine = set(host.agents)
    units = tuple(u for u in hierarchy.units if u in mine)
    sent = host.run(Batch(0, 0, (("coordinator", units, Update(states)),))).entries
    assert sent == ()  # the units answer once asked
    sent = host.run(Batch(0, 0, (("coordinator", ("cell-1",), REQUEST),))).entries
    assert sent[-1][:2] == ("cell-1", "coordinator")  # the cell's answer, after its subtree's
    assert sent[-1][2].state == reference_step(hierarchy, states).aggregates["cell-1"]


def test_a_worker_whose_units_are_asked_before_their_update_answers_once_it_comes() -> None:
    """The coordinator's update and the cells' request may reach a worker in either
    order: asked first, the units answer when their measurements arrive."""
    hierarchy = cells_hierarchy(cells=2, depth=1, loads=2, generators=1)
    states = synthetic_states(hierarchy, seed=2, step=0)
    runtime = open_runtime("native", hierarchy)
    host = CellHost(runtime.header(), place(hierarchy, 2)[1])
    units = tuple(u for u in hierarchy.units if u in host.agents)
    sent = host.run(Batch(0, 0, (("coordinator", ("cell-1",), REQUEST),))).entries
    assert [m.kind for _, _, m in sent] == ["request", "request"]  # down to the units
    assert set(host.agents["cell-1.ctl-1"].awaiting()) == set(units)  # asked, not answered
    sent = host.run(Batch(0, 0, (("coordinator", units, Update(states)),))).entries
    assert sent[-1][:2] == ("cell-1", "coordinator")
    assert sent[-1][2].state == reference_step(hierarchy, states).aggregates["cell-1"]


def test_a_worker_whose_handler_raises_reports_it_with_what_was_sent_before() -> None:
    hierarchy = cells_hierarchy(cells=2, depth=1, loads=2, generators=1)
    runtime = open_runtime("native", hierarchy)
    host = CellHost(runtime.header(), place(hierarchy, 2)[0])
    units = tuple(u for u in hierarchy.units if u in host.agents)
    asked_again = ("cell-0.ctl-1", (units[0],), REQUEST)
    failed = host.run(Batch(0, 0, (("coordinator", "cell-0", REQUEST), asked_again)))
    assert isinstance(failed, Failed)  # a unit asked twice in one step
    assert failed.agent == units[0]
    assert failed.kind == "request"
    assert "asked twice before its update" in failed.error
    assert failed.entries[0][:2] == ("cell-0", host.agents["cell-0"].children)


def test_a_worker_that_cannot_build_its_agents_says_so() -> None:
    async def scenario():
        worker = Worker("worker-0", container=None, coordinator=None)
        worker.receive(Assign({"format": "something else"}, ("cell-0",)))
        return worker._outgoing.get_nowait()

    failed = asyncio.run(scenario())
    assert isinstance(failed, Failed)
    assert failed.kind == "assign"
    assert "not a massca event log" in failed.error
