"""``cohda`` between and within cells: candidates, when it negotiates, what it decides,
bad input."""

from __future__ import annotations

import math

import pytest

from massca.actors.negotiation import Participant
from massca.actors.negotiation_messages import NegotiationRound, NegotiationView
from massca.model import (
    NO_SHARE,
    ZERO_FLEXIBILITY,
    CellView,
    CohdaStrategy,
    CohdaWithin,
    ConfigurationError,
    Flexibility,
    ProtocolError,
    Share,
    State,
    StepConfig,
    Strategy,
    aggregate,
    cells_hierarchy,
    reference_step,
    strategy_from_description,
)
from massca.model.cohda import Target, View, start
from massca.model.redispatch import UNLIMITED
from massca.workload import synthetic_states

CONFIG = StepConfig(tolerance=1e-6)


def cell(production: tuple[float, float, float], load: tuple[float, float, float]) -> CellView:
    return CellView(State(Flexibility(*production), Flexibility(*load)), UNLIMITED)


def test_bad_options_are_one_error_naming_each() -> None:
    with pytest.raises(ConfigurationError) as caught:
        CohdaStrategy(
            levels=0, topology="star", neighbours=-1, seed=-1, max_messages=-5, target=math.nan
        )
    message = str(caught.value)
    for part in ("levels = 0", "topology = 'star'", "neighbours = -1", "seed = -1"):
        assert part in message
    assert "max_messages = -5" in message
    assert "target = nan" in message


def test_a_cells_candidates_stay_first_then_balance_it_then_span_its_bands() -> None:
    view = cell((0.0, 8.0, 5.0), (6.0, 8.0, 7.0))  # balance -2; moves from -6 to +4
    moves = CohdaStrategy(levels=3).moves(view.state, CONFIG)
    assert list(moves.items()) == [
        ((-2.0,), 0.0),
        ((0.0,), 2.0),
        ((-8.0,), -6.0),
        ((-3.0,), -1.0),
        ((2.0,), 4.0),
    ]
    assert CohdaStrategy(levels=3).options(view.state, CONFIG) == tuple(moves)


def test_a_move_within_the_tolerance_is_no_move() -> None:
    view = cell((0.0, 8.0, 5.0), (0.0, 8.0, 5.0 + 1e-9))
    moves = CohdaStrategy(levels=1).moves(view.state, CONFIG)
    assert list(moves.values()) == [0.0]  # balancing itself is within the tolerance


def test_cells_that_meet_the_target_together_negotiate_nothing() -> None:
    cells = {"a": cell((0.0, 5.0, 3.0), (0.0, 5.0, 2.0)), "b": cell((0.0, 5.0, 2.0), (0, 5.0, 3.0))}
    dispatch = CohdaStrategy().decide(cells, CONFIG)
    assert dispatch.negotiation is None
    assert all(p.is_no_change for p in dispatch.cells.values())
    assert dispatch.cells["a"].exchange == 1.0
    assert dispatch.cells["b"].exchange == -1.0


@pytest.mark.parametrize("seed", range(6))
def test_a_negotiated_step_resolves_and_the_next_iteration_keeps_it(seed: int) -> None:
    hierarchy = cells_hierarchy(cells=6, depth=1, loads=3, generators=2)
    states = synthetic_states(hierarchy, seed)
    strategy = Strategy(CohdaStrategy(levels=5, seed=seed))
    first = reference_step(hierarchy, states, CONFIG, strategy)
    assert first.negotiation is not None
    assert first.negotiation.messages > 0
    assert not first.negotiation.capped
    assert abs(first.plan.exchange) <= abs(first.plan.imbalance)
    second = reference_step(hierarchy, dict(first.targets), CONFIG, strategy)
    assert second.converged  # the weak loop ends: nobody moves again


def test_a_target_out_of_reach_is_approached_and_then_kept() -> None:
    cells = {
        "a": cell((0.0, 1.0, 1.0), (4.0, 4.0, 4.0)),
        "b": cell((0.0, 2.0, 1.0), (1.0, 1.0, 1.0)),
    }
    strategy = CohdaStrategy(levels=3)
    dispatch = strategy.decide(cells, CONFIG)  # deficit 3, b can raise 1: 2 MW from the grid
    assert dispatch.negotiation is not None
    assert dispatch.cells["b"].production_delta == pytest.approx(1.0)
    assert dispatch.plan.exchange == pytest.approx(-2.0)
    moved = {"a": cells["a"], "b": cell((0.0, 2.0, 2.0), (1.0, 1.0, 1.0))}
    again = strategy.decide(moved, CONFIG)
    assert all(p.is_no_change for p in again.cells.values())


def test_a_capped_negotiation_is_reported_and_the_cells_it_missed_stay() -> None:
    cells = {
        "a": cell((0.0, 5.0, 1.0), (0.0, 5.0, 3.0)),
        "b": cell((0.0, 5.0, 1.0), (0.0, 5.0, 3.0)),
        "c": cell((0.0, 5.0, 1.0), (0.0, 5.0, 3.0)),
    }
    dispatch = CohdaStrategy(max_messages=0).decide(cells, CONFIG)
    negotiation = dispatch.negotiation
    assert negotiation is not None
    assert (negotiation.capped, negotiation.rounds, negotiation.messages) == (True, 0, 0)
    assert set(negotiation.solution.schedules) == {"a"}  # only a's own start
    assert not dispatch.cells["a"].is_no_change
    assert dispatch.cells["b"].is_no_change
    assert dispatch.cells["c"].is_no_change


def test_the_description_rebuilds_the_strategy_with_its_parameters() -> None:
    strategy = Strategy(CohdaStrategy(levels=4, topology="ring", seed=7, max_messages=90))
    described = strategy.describe()
    assert described["between"]["topology"] == "ring"
    assert strategy_from_description(described) == strategy
    assert Strategy.of("cohda").name == "cohda/proportional"
    with pytest.raises(ConfigurationError, match="malformed"):
        strategy_from_description({**described, "between": {**described["between"], "k": 1}})


def test_a_participant_refuses_views_out_of_turn() -> None:
    target = Target.of((0.0,))
    options = ((1.0,), (0.0,))
    sent: list[tuple[str, object, object]] = []
    overlay = {"a": ("b",), "b": ("a", "c"), "c": ("b",)}
    participant = Participant("a", "root", lambda *m: sent.append(m), options, target, overlay)
    memory = start("c", options, target)
    view = View(memory.config, memory.candidate)
    with pytest.raises(ProtocolError, match="from 'c'"):  # not a neighbour
        participant.on_view("c", NegotiationView(1, view))
    participant.on_round(NegotiationRound(1, ("a", "b")))
    assert sent[0][1] == ("b",)  # a told its neighbour
    assert participant.awaiting() == ("b",)
    participant.on_view("b", NegotiationView(1, view))
    assert participant.awaiting() == ()
    assert sent[-1][1] == "root"  # and reported to the moderator
    with pytest.raises(ProtocolError, match="round 1 from 'b'"):  # that round is over
        participant.on_view("b", NegotiationView(1, view))
    with pytest.raises(ProtocolError, match="round 1"):
        participant.on_round(NegotiationRound(1, ("a",)))
    participant.on_view("b", NegotiationView(4, view))  # early: kept for its round
    participant.on_round(NegotiationRound(4, ("b",)))  # rounds 2 and 3 sat out
    assert sent[-1][2].round == 4


def test_within_cells_bad_options_are_one_error() -> None:
    with pytest.raises(ConfigurationError, match=r"levels = 0.*topology = 'hub'"):
        CohdaWithin(levels=0, topology="hub")


def test_a_childs_candidates_are_no_change_then_its_bands_at_each_level() -> None:
    state = State(Flexibility(0.0, 4.0, 1.0), ZERO_FLEXIBILITY)
    assert CohdaWithin(levels=3).options(state) == (
        (0.0, 0.0, 0.0),
        (-1.0, 0.0, 0.0),
        (1.0, 0.0, 0.0),
        (3.0, 0.0, 0.0),
    )


def test_children_carry_out_exactly_their_parents_share() -> None:
    children = {
        f"u{n}": State(Flexibility(0.0, 3.0 + n, 1.0 + 0.5 * n), Flexibility(0.0, 2.0, 1.0))
        for n in range(5)
    }
    parent = aggregate(children.values())
    share = Share(2.7, -1.3)
    within = CohdaWithin(levels=4, topology="ring")
    orders = within.split("cell", share, parent, children, None)
    assert set(orders) == set(children)
    for band in ("production", "consumption", "storage"):
        moved = math.fsum(getattr(orders[c], band) for c in children)
        assert moved == pytest.approx(getattr(share, band), abs=1e-9)
    for child, state in children.items():
        after = orders[child].applied_to(state)
        assert state.production.min <= after.production.current <= state.production.max


def test_one_child_takes_the_whole_share_and_no_share_negotiates_nothing() -> None:
    child = {"u": State(Flexibility(0.0, 3.0, 1.0), ZERO_FLEXIBILITY)}
    within = CohdaWithin()
    assert within.problem(Share(1.0), child) is None
    assert within.split("c", Share(1.0), child["u"], child, None) == {"u": Share(1.0)}
    two = {**child, "v": child["u"]}
    assert within.problem(NO_SHARE, two) is None
    assert within.problem(Share(1.0), two) is not None


def test_within_cells_is_described_and_rebuilt() -> None:
    strategy = Strategy(within=CohdaWithin(levels=3, topology="clique", max_messages=50))
    assert strategy_from_description(strategy.describe()) == strategy
    assert Strategy.of("cellular", "cohda").name == "cellular/cohda"


def test_over_a_horizon_candidates_follow_the_forecast_and_only_now_is_carried_out() -> None:
    now = cell((0.0, 8.0, 5.0), (6.0, 8.0, 7.0)).state  # balance -2
    later = cell((0.0, 8.0, 8.0), (6.0, 8.0, 6.0)).state  # balance +2
    strategy = CohdaStrategy(levels=2, horizon=3)
    moves = strategy.moves(now, CONFIG, (later,))  # the missing interval repeats `now`
    schedules = list(moves)
    assert schedules[0] == (-2.0, 2.0, -2.0)  # stay
    assert schedules[1] == (0.0, 0.0, 0.0)  # balance itself in every interval
    assert moves[schedules[1]] == 2.0  # what it does now
    assert all(len(s) == 3 for s in schedules)
    assert strategy.goal.schedule == (0.0, 0.0, 0.0)
    with pytest.raises(ConfigurationError, match="horizon = 0"):
        CohdaStrategy(horizon=0)


def test_forecasts_reach_the_cells_through_the_tree() -> None:
    hierarchy = cells_hierarchy(cells=3, depth=2, loads=2, generators=2)
    states = synthetic_states(hierarchy, seed=4)
    fixed = {  # later: every unit at a point without flexibility, 1 MW less production
        u: State(
            Flexibility(
                max(s.production.current - 1.0, 0.0), *[max(s.production.current - 1.0, 0.0)] * 2
            ),
            Flexibility(*[s.consumption.current] * 3),
        )
        for u, s in states.items()
    }
    strategy = Strategy(CohdaStrategy(levels=3, horizon=2))
    result = reference_step(
        hierarchy, states, CONFIG, strategy, {u: (s,) for u, s in fixed.items()}
    )
    assert result.negotiation is not None
    for cell, schedule in result.negotiation.solution.schedules.items():
        later = aggregate(fixed[u] for u in hierarchy.units_below(cell)).balance
        assert schedule[1] == pytest.approx(later)
    with pytest.raises(ConfigurationError, match="no unit: 'cell-0'"):
        reference_step(hierarchy, states, CONFIG, strategy, {"cell-0": ()})
    with pytest.raises(ConfigurationError, match="sequence of State"):
        reference_step(hierarchy, states, CONFIG, strategy, {hierarchy.units[0]: (1.0,)})
