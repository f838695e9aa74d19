"""The structure every event log must have before its messages can be replayed.

Belongs here: `structured`, a pure check of a log's event stream as it is read. Not here:
what the messages say (replay compares those with what the agents send).

The rules; the first event that breaks one raises `LogFormatError` naming its line
(the header is line 1) and the rule:

* types: ``seq``, ``time`` and ``iteration`` are whole numbers (not booleans), ``time``
  and ``iteration`` ``>= 0``; ``sender`` and ``kind`` are non-empty strings; ``receiver``
  is a non-empty string or a non-empty list of them;
* names: the sender and every receiver are agents of the header's hierarchy or the
  environment;
* sequence: ``seq`` starts at 1 and rises by exactly one per event, so no event is
  missing, repeated or moved;
* steps: a step (one ``time`` and ``iteration``) opens with the environment's
  ``step_start`` and closes with a ``report`` to the environment; every event lies in
  an open step, and a step opens only when the one before has closed;
* time and iterations: ``time`` never decreases; the first step of a time has iteration
  0, every further step of that time the previous iteration plus one.

Only the last step may still be open: the log of a run that stopped mid-step ends there.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from massca.errors import LogFormatError
from massca.log.events import ENVIRONMENT, Event, LogHeader

__all__ = ["structured"]

FIRST_SEQ = 1


def structured(
    numbered: Iterable[tuple[int, Event]], header: LogHeader, where: str = "log"
) -> Iterator[tuple[int, Event]]:
    """The ``(line, event)`` pairs of ``numbered``, each passed on once it is checked:
    `LogFormatError` for the first that breaks a rule (see the module docstring)."""
    open_step: tuple[int, int] | None = None
    last: tuple[int, int] | None = None  # the last step that opened
    names = {*header.hierarchy.kinds, ENVIRONMENT}
    expected = FIRST_SEQ
    for line, event in numbered:
        rule = _types_broken(event) or _names_broken(event, names)
        if rule is None and event.seq != expected:
            rule = f"seq {event.seq}, expected {expected} (an event missing, repeated or moved)"
        if rule is not None:
            raise _broken(where, line, rule)
        expected += 1
        step = (event.time, event.iteration)
        if event.kind == "step_start" and event.sender == ENVIRONMENT:
            if open_step is not None:
                rule = f"step {step} opens before step {open_step} closed with its report"
                raise _broken(where, line, rule)
            rule = _order_broken(last, step)
            if rule is not None:
                raise _broken(where, line, rule)
            open_step = last = step
        elif open_step is None:
            rule = f"a {event.kind} event outside any step (no step_start opened one)"
            raise _broken(where, line, rule)
        elif step != open_step:
            raise _broken(where, line, f"an event of step {step} inside step {open_step}")
        elif event.kind == "report" and event.receiver == ENVIRONMENT:
            open_step = None
        yield line, event


def _broken(where: str, line: int, rule: str) -> LogFormatError:
    """The error for the event on ``line`` of the log ``where``, which breaks ``rule``."""
    return LogFormatError(f"{where}: line {line} breaks the log's structure: {rule}")


def _types_broken(event: Event) -> str | None:
    """The type rule ``event`` breaks, if any."""
    for field in ("seq", "time", "iteration"):
        value = getattr(event, field)
        if type(value) is not int:
            return f"{field} = {value!r} is not a whole number"
    if event.time < 0 or event.iteration < 0:
        return f"time {event.time} and iteration {event.iteration} must be >= 0"
    for field in ("sender", "kind"):
        value = getattr(event, field)
        if type(value) is not str or not value:
            return f"{field} = {value!r} is not a name"
    receiver = event.receiver
    names = (receiver,) if type(receiver) is str else receiver
    if not (type(names) is tuple and names and all(type(n) is str and n for n in names)):
        return f"receiver = {receiver!r} is not a name or a list of names"
    return None


def _order_broken(last: tuple[int, int] | None, step: tuple[int, int]) -> str | None:
    """The rule of time and iterations the step ``step`` breaks after ``last``, if any."""
    time, iteration = step
    if last is None or time > last[0]:
        if iteration != 0:
            return f"step {step}: the first step of time {time} must have iteration 0"
        return None
    if time < last[0]:
        return f"time {time} after time {last[0]}: time never decreases"
    if iteration != last[1] + 1:
        return (
            f"step {step} after step {last}: iterations of a time rise by one, expected "
            f"iteration {last[1] + 1}"
        )
    return None


def _names_broken(event: Event, names: set[str]) -> str | None:
    """Sender and receivers are agents of the header's hierarchy, or the environment."""
    receivers = (event.receiver,) if type(event.receiver) is str else event.receiver
    strangers = [n for n in (event.sender, *receivers) if n not in names]
    if strangers:
        return f"{', '.join(map(repr, strangers))} is no agent of the log's hierarchy"
    return None
