"""Laws of a step over a simulated network (`massca.model.network`, the native core):
without loss it is the oracle's step; a cell that misses the deadline is decided as if it
were not there; whatever is lost, every cell's account adds up, nothing is left to
chance, and the log replays."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path
from tempfile import TemporaryDirectory

from hypothesis import given, settings
from hypothesis import strategies as st

from massca.actors import NativeRuntime, replay_file
from massca.model import (
    BETWEEN_CELLS,
    WITHIN_CELL,
    Hierarchy,
    State,
    StepConfig,
    StepResult,
    Strategy,
    reference_step,
)
from massca.model.network import Network
from property_tests.strategies import step_cases

DELAYS = st.sampled_from([0.0, 0.001, 0.25, 1.0, 3.7, 40.0])


@st.composite
def uncoordinated_strategies(draw: st.DrawFn, hierarchy: Hierarchy) -> Strategy:
    """A built-in strategy that does not negotiate (cohda cannot run over a network)."""
    between = draw(st.sampled_from([b for b in BETWEEN_CELLS if b != "cohda"]))
    within = draw(st.sampled_from([w for w in WITHIN_CELL if w != "cohda"]))
    priorities = None
    if within == "merit":
        priorities = {u: draw(st.sampled_from([0.0, 1.0, 2.0])) for u in hierarchy.units}
    return Strategy.of(between, within, priorities=priorities)


@st.composite
def network_cases(draw: st.DrawFn):
    hierarchy, states, config, _ = draw(step_cases(Strategy()))
    return hierarchy, states, config, draw(uncoordinated_strategies(hierarchy))


def _step(
    hierarchy: Hierarchy,
    states: dict[str, State],
    config: StepConfig,
    strategy: Strategy,
    network: Network,
    log: Path | None = None,
) -> tuple[StepResult, StepResult]:
    """Two iterations over ``network``, the second from the first's targets."""

    async def run() -> tuple[StepResult, StepResult]:
        runtime = NativeRuntime(hierarchy, config, strategy=strategy, network=network, log=log)
        async with runtime:
            first = await runtime.step(0, 0, states)
            return first, await runtime.step(0, 1, dict(first.targets))

    return asyncio.run(run())


@settings(max_examples=60)
@given(network_cases(), DELAYS, st.dictionaries(st.integers(0, 50), DELAYS, max_size=4))
def test_without_loss_a_step_over_any_delays_is_the_oracles_step(case, delay, links) -> None:
    """The default deadline lets every answer arrive, whatever the delays: a late timer (or
    a rounding error in simulated time) would leave a child out and break this."""
    hierarchy, states, config, strategy = case
    agents = [n.id for n in hierarchy.nodes if n.parent is not None]
    per_link = {agents[i % len(agents)]: d for i, d in links.items()}
    first, second = _step(hierarchy, states, config, strategy, Network(delay, per_link))
    assert first == reference_step(hierarchy, states, config, strategy)
    assert second == reference_step(hierarchy, dict(first.targets), config, strategy)


def _without(hierarchy: Hierarchy, cell: str) -> Hierarchy:
    return Hierarchy(
        tuple(n for n in hierarchy.nodes if n.id != cell and hierarchy.cell_of.get(n.id) != cell)
    )


@settings(max_examples=60)
@given(network_cases(), st.data())
def test_a_cell_that_misses_the_deadline_is_decided_as_if_it_were_not_there(case, data) -> None:
    """One cell's link is slower than half the deadline, all others 1 ms: the coordinator
    decides from the others exactly what the oracle decides without that cell, the slow
    cell's units keep their states, and the slow cell is named as missing."""
    hierarchy, states, config, strategy = case
    if len(hierarchy.cells) < 2:
        return
    slow = data.draw(st.sampled_from(hierarchy.cells))
    network = Network(1.0, {slow: 60.0}, deadline_ms=100.0)
    result, _ = _step(hierarchy, states, config, strategy, network)
    rest = _without(hierarchy, slow)
    interfaces = {c: limits for c, limits in config.interfaces.items() if c != slow}
    rest_config = StepConfig(config.limits, config.tolerance, config.merit_order, interfaces)
    rest_states = {u: states[u] for u in rest.units}
    expected = reference_step(rest, rest_states, rest_config, strategy)
    assert result.missing == (slow,)
    assert {c: result.cells[c] for c in rest.cells} == dict(expected.cells)
    assert {u: result.targets[u] for u in rest.units} == dict(expected.targets)
    assert all(result.targets[u] == states[u] for u in hierarchy.units_below(slow))
    assert result.cells[slow].plan.unresolved == result.cells[slow].state.balance


def _adds_up(result: StepResult, before: dict[str, State], tolerance: float) -> None:
    for cell, outcome in result.cells.items():
        plan = outcome.plan
        balance = result.aggregates[cell].balance
        settled = math.fsum((plan.exchange, plan.grid, plan.unresolved))
        scale = max(1.0, result.aggregates[cell].extent, outcome.state.extent)
        assert math.isclose(balance + plan.own_change, settled, abs_tol=1e-9 * scale), cell
        assert math.isclose(outcome.state.balance, balance + plan.own_change, abs_tol=1e-9 * scale)


@settings(max_examples=40)
@given(
    network_cases(),
    st.sampled_from([0.02, 0.1, 0.3, 0.7, 1.0]),
    st.integers(0, 2**32),
    DELAYS,
)
def test_whatever_is_lost_every_cell_adds_up_and_the_log_replays(case, loss, seed, delay) -> None:
    """Each cell's realized account closes: its balance plus what its units really
    changed is what goes between cells, to the grid or unresolved; each unit either
    carried out an order within its band or kept its state; the same seed loses the same
    messages with or without a log, and the log replays without divergence."""
    hierarchy, states, config, strategy = case
    network = Network(delay, loss=loss, seed=seed)
    with TemporaryDirectory() as folder:
        log = Path(folder) / "events.jsonl"
        first, second = _step(hierarchy, states, config, strategy, network, log)
        _, report = replay_file(log)
        assert report.ok, report.divergence and report.divergence.describe()
    assert (first, second) == _step(hierarchy, states, config, strategy, network)
    _adds_up(first, states, config.tolerance)
    for unit, target in first.targets.items():
        state = states[unit]
        for band in ("production", "consumption"):
            value, limits = getattr(target, band).current, getattr(state, band)
            assert limits.min - 1e-9 * max(1.0, limits.max) <= value
            assert value <= limits.max + 1e-9 * max(1.0, limits.max)
    assert set(first.cells) == set(hierarchy.cells)
    if loss == 1.0:  # every request lost: no cell heard, no unit moved
        assert first.missing == hierarchy.cells
        assert dict(first.targets) == states
