"""Replay refuses a log whose event stream was altered: events dropped, repeated, moved,
re-timed or re-numbered, or fields of the wrong type; it names the line and the rule."""

from __future__ import annotations

import pytest

from massca.actors import replay_file
from massca.errors import LogFormatError
from tests.integration.test_replay import record, rewrite

EVENTS = 1  # the header is line 1: event i (0-based) is on line i + 2


def _events_of(lines: list[bytes], time: int) -> list[int]:
    marker = b'"time":%d,' % time
    return [i for i, line in enumerate(lines) if i >= EVENTS and marker in line]


def drop_a_step(lines):
    doomed = set(_events_of(lines, 900))
    return [line for i, line in enumerate(lines) if i not in doomed]


def repeat_a_step(lines):
    step = _events_of(lines, 900)
    return lines[: step[-1] + 1] + [lines[i] for i in step] + lines[step[-1] + 1 :]


def swap_two_steps(lines):
    first, second = _events_of(lines, 900), _events_of(lines, 1800)
    return lines[: first[0]] + [lines[i] for i in second + first] + lines[second[-1] + 1 :]


def jump_a_seq(lines):
    lines[5] = lines[5].replace(b'"seq":5,', b'"seq":6,', 1)
    return lines


def retime_a_step(lines):  # the step at 1800 claims to be at 300: time runs backwards
    return [line.replace(b'"time":1800,', b'"time":300,', 1) for line in lines]


def renumber_an_iteration(lines):
    lines[10] = lines[10].replace(b'"iteration":0,', b'"iteration":1,', 1)
    return lines


def make_time_a_word(lines):
    lines[3] = lines[3].replace(b'"time":0,', b'"time":"zero",', 1)
    return lines


def start_a_time_at_iteration_one(lines):
    return [
        line.replace(b'"time":1800,"iteration":0,', b'"time":1800,"iteration":1,', 1)
        for line in lines
    ]


@pytest.mark.parametrize(
    ("alteration", "rule"),
    [
        (drop_a_step, "an event missing, repeated or moved"),
        (repeat_a_step, "an event missing, repeated or moved"),
        (swap_two_steps, "an event missing, repeated or moved"),
        (jump_a_seq, "line 6 breaks the log's structure: seq 6, expected 5"),
        (retime_a_step, "time 300 after time 900: time never decreases"),
        (renumber_an_iteration, "line 11 breaks the log's structure: an event of step (0, 1)"),
        (make_time_a_word, "line 4 breaks the log's structure: time = 'zero' is not a whole"),
        (start_a_time_at_iteration_one, "the first step of time 1800 must have iteration 0"),
    ],
)
def test_an_altered_event_stream_is_refused_naming_the_line_and_the_rule(
    tmp_path, alteration, rule
) -> None:
    path = record(tmp_path / "run.jsonl")
    rewrite(path, alteration)
    with pytest.raises(LogFormatError, match="breaks the log's structure") as refused:
        replay_file(path)
    assert rule in str(refused.value)
    assert str(path) in str(refused.value)


def test_a_last_step_left_open_passes_the_structure_and_replay_finds_its_missing_report(
    tmp_path,
) -> None:
    """A run that stopped mid-step leaves its last step open, which the structure allows;
    if the agents would have sent more, the replay itself reports it."""
    path = record(tmp_path / "run.jsonl")

    def drop_the_last_report(lines):
        last_report = max(i for i, line in enumerate(lines) if b'"kind":"report"' in line)
        return [*lines[:last_report], b""]

    rewrite(path, drop_the_last_report)
    _, report = replay_file(path)
    assert not report.ok
    assert report.divergence.kind == "report"
    assert report.divergence.expected == "the log to end here"
