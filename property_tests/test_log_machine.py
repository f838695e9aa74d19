"""The event log as a state machine, plain and compact: whatever is recorded and flushed
reads back exactly, in order, with seq 1..n, also from a compact log whose compressed
stream is still open (what a killed run leaves); a torn tail of a plain log loses only
the cut line, a compact log cut anywhere reads back a prefix of what was flushed."""

from __future__ import annotations

import tempfile
from pathlib import Path

import orjson
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from massca.actors.messages import (
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
    st.sampled_from([REQUEST, DONE]),
    st.builds(Answer, states),
    st.builds(Update, st.dictionaries(names, states, max_size=3)),
    st.builds(StepStart, st.dictionaries(names, states, max_size=3)),
)


class LogMachine(RuleBasedStateMachine):
    suffix = ".jsonl"

    def __init__(self) -> None:
        super().__init__()
        self.folder = tempfile.TemporaryDirectory()
        self.path = Path(self.folder.name) / f"log{self.suffix}"
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
        self.log.recorder((sender, receiver, message))
        kind, body = ProtocolCodec().encode(message)  # a fresh codec: no cache to share
        self.pending.append((*self.clock, sender, receiver, kind, orjson.loads(body)))

    @rule()
    def flush(self) -> None:
        self.log.flush()
        self.flushed += self.pending
        self.pending = []

    def events(self, path: Path) -> tuple[list[tuple], int | None]:
        """The events read back from ``path`` (with their seq checked) and its torn line."""
        contents = read_log(path)
        assert contents.header.config == {"k": 1}
        got = [(e.time, e.iteration, e.sender, e.receiver, e.kind, e.body) for e in contents.events]
        assert [e.seq for e in contents.events] == list(range(1, len(got) + 1))
        return got, contents.torn_line

    @invariant()
    def the_file_holds_exactly_what_was_flushed(self) -> None:
        self.log.sync()
        got, torn = self.events(self.path)
        assert torn is None
        assert got == self.flushed

    @rule(cut=st.integers(1, 30))
    def a_torn_tail_loses_only_the_cut_line(self, cut: int) -> None:
        self.flush()
        raw = self.path.read_bytes()
        torn_path = Path(self.folder.name) / "torn.jsonl"
        torn_path.write_bytes(raw[: max(len(raw) - cut, raw.index(b"\n") + 1)])
        got, torn = self.events(torn_path)
        assert got == self.flushed[: len(got)]
        assert len(got) >= len(self.flushed) - 1
        if torn is not None:
            assert len(got) == len(self.flushed) - 1

    def teardown(self) -> None:
        self.log.close()
        self.folder.cleanup()


TestLogMachine = LogMachine.TestCase


multicasts = st.lists(st.sampled_from(HIERARCHY.nodes).map(lambda n: n.id), min_size=2, max_size=3)


class CompactLogMachine(LogMachine):
    """The same laws for a compact log (agents of the header's hierarchy only; multicast
    receiver lists defined once). An open compressed stream reads as cut after its last
    line, so its torn line, if any, lies past every event."""

    suffix = ".zst"

    def __init__(self) -> None:
        super().__init__()
        self.log.sync()
        self.header_bytes: int | None = self.path.stat().st_size  # its block, flushed whole

    @rule(
        sender=st.sampled_from([n.id for n in HIERARCHY.nodes]),
        receiver=st.sampled_from([n.id for n in HIERARCHY.nodes]) | multicasts.map(tuple),
        message=messages,
    )
    def record(self, sender: str, receiver, message) -> None:
        super().record(sender, receiver, message)

    def events(self, path: Path) -> tuple[list[tuple], int | None]:
        got, torn = super().events(path)
        return got, None if torn is not None and torn > len(got) + 1 else torn

    @rule(cut=st.integers(1, 200))
    def a_torn_tail_loses_only_the_cut_line(self, cut: int) -> None:
        self.flush()
        self.log.sync()
        raw = self.path.read_bytes()
        torn_path = Path(self.folder.name) / "torn.zst"
        header = self.header_bytes or 0
        torn_path.write_bytes(raw[: max(len(raw) - cut, header)])
        got, _ = self.events(torn_path)
        assert got == self.flushed[: len(got)]  # a prefix: whole blocks, nothing garbled


TestCompactLogMachine = CompactLogMachine.TestCase
