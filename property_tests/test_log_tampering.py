"""Law: replay reports every alteration of a recorded log that changes its meaning.

A state machine (hypothesis) alters a recorded run (two cells, three time steps of two
iterations each) again and again at random: an event dropped, repeated or moved,
re-timed, re-numbered or given another iteration, a field given a value of the wrong
type, or a number in an agent's message changed. After every alteration that leaves it
different from the record, replay must refuse the log (`LogFormatError`, naming the
line) or report a divergence; it may never say the altered log is fine."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import orjson
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from tests.integration.test_replay import record

from massca.actors import replay_file
from massca.errors import LogFormatError
from massca.log import ENVIRONMENT

ALTERATIONS = (
    "drop",
    "repeat",
    "move",
    "retime",
    "renumber",
    "reiterate",
    "mistype",
    "change_a_number",
)


@functools.cache
def recorded() -> tuple[bytes, ...]:
    """The lines of one recorded log (header first), recorded once per test session."""
    with tempfile.TemporaryDirectory() as scratch:
        path = record(Path(scratch) / "run.jsonl")
        return tuple(path.read_bytes().rstrip(b"\n").split(b"\n"))


def _numbers_in(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    if isinstance(value, dict):
        return any(_numbers_in(v) for v in value.values())
    if isinstance(value, list):
        return any(_numbers_in(v) for v in value)
    return False


def _change_a_number(value: object, delta: float) -> object:
    """``value`` with its first number (depth first) raised by ``delta``."""
    done = False

    def walk(item: object) -> object:
        nonlocal done
        if done or isinstance(item, bool) or item is None or isinstance(item, str):
            return item
        if isinstance(item, int | float):
            done = True
            return item + delta
        if isinstance(item, dict):
            return {k: walk(v) for k, v in item.items()}
        if isinstance(item, list):
            return [walk(v) for v in item]
        return item

    return walk(value)


def _shift(event: dict, field: str, delta: int) -> None:
    """Move a whole-number field by ``delta`` (one mistyped before starts from 0)."""
    value = event[field]
    event[field] = (value if type(value) is int else 0) + delta


def alter(kind: str, events: list[dict], draw) -> None:
    """Apply one alteration of ``kind`` to ``events`` in place, drawing its details."""
    # never the last event: without its report the last step is open, which is the
    # legitimate log of a run that stopped there
    i = draw(st.integers(0, len(events) - 2))
    if kind == "drop":
        del events[i]
    elif kind == "repeat":
        events.insert(i, dict(events[i]))
    elif kind == "move":
        j = draw(st.integers(0, len(events) - 2).filter(lambda k: k != i))
        events.insert(j, events.pop(i))
    elif kind == "retime":
        _shift(events[i], "time", draw(st.sampled_from([-900, -1, 1, 900])))
    elif kind == "renumber":
        _shift(events[i], "seq", draw(st.sampled_from([-2, -1, 1, 5])))
    elif kind == "reiterate":
        _shift(events[i], "iteration", draw(st.sampled_from([-1, 1, 2])))
    elif kind == "mistype":
        field = draw(st.sampled_from(["seq", "time", "iteration", "sender", "receiver"]))
        events[i][field] = draw(st.sampled_from(["zero", 1.5, None, True, [], 7]))
        if field in ("seq", "time", "iteration") and events[i][field] == 7:
            events[i][field] = "7"  # a number where one belongs would be another alteration
    else:  # change a number in a message an agent sent
        senders = [k for k, e in enumerate(events) if e["sender"] != ENVIRONMENT]
        numbered = [k for k in senders if _numbers_in(events[k]["body"])]
        k = draw(st.sampled_from(numbered))
        delta = draw(st.sampled_from([1e-9, 0.5, -3.0]))
        events[k]["body"] = _change_a_number(events[k]["body"], delta)


class LogAlterations(RuleBasedStateMachine):
    """Alter a recorded log again and again; after every alteration that leaves it
    different from the record, replay must refuse it or report a divergence."""

    def __init__(self) -> None:
        super().__init__()
        lines = recorded()
        self.header = lines[0]
        self.original = [orjson.loads(line) for line in lines[1:]]
        self.events = [dict(e) for e in self.original]
        self.done: list[str] = []

    @rule(kind=st.sampled_from(ALTERATIONS), data=st.data())
    def alter_the_log(self, kind: str, data: st.DataObject) -> None:
        alter(kind, self.events, data.draw)
        self.done.append(kind)

    @invariant()
    def replay_reports_every_alteration_that_changes_the_meaning(self) -> None:
        if self.events == self.original:  # nothing altered, or altered back
            return
        lines = [self.header, *(orjson.dumps(e) for e in self.events)]
        with tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / "altered.jsonl"
            path.write_bytes(b"\n".join(lines) + b"\n")
            try:
                _, report = replay_file(path)
            except LogFormatError as refused:  # refused before replay: it names the line
                refusal = str(refused)
            else:
                refusal = None
        if refusal is not None:
            assert " line " in refusal, self.done
            return
        assert not report.ok, f"{self.done}: the altered log replayed without a divergence"


TestLogAlterations = LogAlterations.TestCase
TestLogAlterations.settings = settings(max_examples=60, stateful_step_count=4, deadline=None)
