"""Stop requests (`massca.interrupts`): a signal raises its interrupt and is remembered, a
swallowed one is silent and raised again by `raise_pending`, and leaving restores the
process's handlers."""

from __future__ import annotations

import contextlib
import signal
import sys

import pytest

from massca.interrupts import (
    INTERRUPTED,
    TERMINATED,
    Terminated,
    raise_pending,
    stop_requests,
)


class _RaisesWhenCollected:
    """Raises ``error`` from ``__del__``: Python only reports it ("Exception ignored")."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def __del__(self) -> None:
        raise self.error


@pytest.mark.parametrize(
    ("sig", "raised", "reason"),
    [(signal.SIGINT, KeyboardInterrupt, INTERRUPTED), (signal.SIGTERM, Terminated, TERMINATED)],
)
def test_a_signal_raises_its_interrupt_and_the_reason_is_kept(sig, raised, reason) -> None:
    with stop_requests() as requests:
        with pytest.raises(raised):
            signal.raise_signal(sig)
        assert requests.reason == reason


@pytest.mark.parametrize(
    ("sig", "raised"), [(signal.SIGINT, KeyboardInterrupt), (signal.SIGTERM, Terminated)]
)
def test_a_swallowed_request_is_raised_again_where_the_command_regains_control(sig, raised) -> None:
    with stop_requests():
        raise_pending()  # nothing received yet: nothing happens
        with contextlib.suppress(KeyboardInterrupt):  # what a library's bare except does
            signal.raise_signal(sig)
        with pytest.raises(raised):
            raise_pending()


def test_raise_pending_outside_stop_requests_does_nothing() -> None:
    raise_pending()


def test_an_interrupt_python_could_only_report_is_silent_and_other_errors_are_reported(
    monkeypatch,
) -> None:
    reported: list[type[BaseException] | None] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda args: reported.append(args.exc_type))
    with stop_requests():
        _RaisesWhenCollected(KeyboardInterrupt())  # dropped at once: __del__ raises
        _RaisesWhenCollected(ValueError("a real defect"))
    assert reported == [ValueError]


def test_leaving_restores_the_handlers_before() -> None:
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    hook = sys.unraisablehook
    with stop_requests():
        assert signal.getsignal(signal.SIGINT) is not handlers[signal.SIGINT]
    assert {sig: signal.getsignal(sig) for sig in handlers} == handlers
    assert sys.unraisablehook is hook


def test_the_results_collector_stops_a_run_whose_interrupt_was_swallowed(tmp_path) -> None:
    from massca.scenario.results import ResultsCollector

    collector = ResultsCollector()
    collector.init("Results-0", path=str(tmp_path / "r.csv"), start="2016-06-01 00:00")
    with stop_requests():
        collector.step(0, {}, 900)  # no request: the step goes on
        with contextlib.suppress(KeyboardInterrupt):
            signal.raise_signal(signal.SIGINT)
        with pytest.raises(KeyboardInterrupt):
            collector.step(900, {}, 900)
    collector.finalize()
    assert (tmp_path / "r.csv").read_text().count("\n") == 2  # the header and step 0
