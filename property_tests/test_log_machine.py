"""The event log as a state machine: whatever is recorded and flushed reads back exactly,
in order, with seq 1..n; a torn tail loses only the cut line."""

from __future__ import annotations

import tempfile
from pathlib import Path

import orjson
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from massca.actors.messages import (
    CONFIRM,
    DONE,
    REQUEST,
    Answer,
    ProtocolCodec,
    StepStart,
    Update,
)
from massca.log import EventLog, LogHeader, read_log
from massca.model import cells_hierarchy
from property_tests.strategies import states

HIERARCHY = cells_hierarchy(cells=1, depth=0, loads=1, generators=1)
names = st.sampled_from(["coordinator", "cell-0", "cell-0.gen-0", 'x"y', "ünï"])
messages = st.one_of(
    st.sampled_from([CONFIRM, REQUEST, DONE]),
    st.builds(Answer, states),
    st.builds(Update, st.dictionaries(names, states, max_size=3)),
    st.builds(StepStart, st.dictionaries(names, states, max_size=3)),
)


class LogMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.folder = tempfile.TemporaryDirectory()
        self.path = Path(self.folder.name) / "log.jsonl"
        self.log = EventLog(self.path, LogHeader("test", HIERARCHY, {"k": 1}), ProtocolCodec())
        self.clock = (0, 0)
        self.flushed: list[tuple] = []
        self.pending: list[tuple] = []

    @rule(time=st.integers(0, 10**9), iteration=st.integers(0, 50))
    def begin(self, time: int, iteration: int) -> None:
        self.log.begin(time, iteration)
        self.flushed += self.pending
        self.pending = []
        self.clock = (time, iteration)

    @rule(sender=names, receiver=names, message=messages)
    def record(self, sender: str, receiver: str, message) -> None:
        self.log.record(sender, receiver, message)
        kind, body = ProtocolCodec().encode(message)  # a fresh codec: no cache to share
        self.pending.append((*self.clock, sender, receiver, kind, orjson.loads(body)))

    @rule()
    def flush(self) -> None:
        self.log.flush()
        self.flushed += self.pending
        self.pending = []

    @invariant()
    def the_file_holds_exactly_what_was_flushed(self) -> None:
        contents = read_log(self.path)
        assert contents.torn_line is None
        assert contents.header.config == {"k": 1}
        got = [(e.time, e.iteration, e.sender, e.receiver, e.kind, e.body) for e in contents.events]
        assert got == self.flushed
        assert [e.seq for e in contents.events] == list(range(1, len(got) + 1))

    @rule(cut=st.integers(1, 30))
    def a_torn_tail_loses_only_the_cut_line(self, cut: int) -> None:
        self.log.flush()
        self.flushed += self.pending
        self.pending = []
        raw = self.path.read_bytes()
        torn = Path(self.folder.name) / "torn.jsonl"
        torn.write_bytes(raw[: max(len(raw) - cut, raw.index(b"\n") + 1)])
        contents = read_log(torn)
        assert len(contents.events) >= len(self.flushed) - 1
        if contents.torn_line is not None:
            assert len(contents.events) == len(self.flushed) - 1

    def teardown(self) -> None:
        self.log.close()
        self.folder.cleanup()


TestLogMachine = LogMachine.TestCase
