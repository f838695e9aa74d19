"""The strategies on worked cases: settlement, merit, optimal, user callables and their
checks, and descriptions for the log."""

import math

import pytest

from massca.model import (
    CELLULAR,
    PROPORTIONAL,
    Balance,
    CellPlan,
    CellView,
    ConfigurationError,
    Costs,
    ExchangeLimits,
    InfeasibleRedispatchError,
    MeritInstruction,
    MeritWithin,
    Share,
    State,
    StepConfig,
    Strategy,
    apply_order,
    cells_hierarchy,
    dispatch_cost,
    merge_levels,
    merit_instruction,
    reference_step,
    settle,
    strategy_from_description,
)

UNLIMITED = ExchangeLimits()


def limits_of(table):
    return lambda cell: table.get(cell, UNLIMITED)


def test_surpluses_cover_deficits_pro_rata_and_the_grid_takes_the_rest() -> None:
    settled = settle({"a": 3.0, "b": 1.0, "c": -2.0}, limits_of({}), UNLIMITED)
    assert settled["a"].exchange == pytest.approx(1.5)  # 3/4 of the 2 MW that are netted
    assert settled["b"].exchange == pytest.approx(0.5)
    assert settled["c"].exchange == -2.0
    assert settled["a"].grid == pytest.approx(1.5)  # the 2 MW left go to the grid, pro rata
    assert settled["b"].grid == pytest.approx(0.5)
    assert all(s.unresolved == 0.0 for s in settled.values())


def test_interfaces_and_the_grid_limit_what_can_go_and_the_rest_is_unresolved() -> None:
    settled = settle(
        {"a": 3.0, "b": -1.0},
        limits_of({"a": ExchangeLimits(export_max=2.0)}),
        ExchangeLimits(export_max=0.5),
    )
    a, b = settled["a"], settled["b"]
    assert (a.exchange, b.exchange) == (1.0, -1.0)
    assert a.grid == 0.5  # a's interface passes 2 MW: 1 to b, 0.5 to the grid ...
    assert a.unresolved == pytest.approx(1.5)  # ... 1 MW beyond it, 0.5 the grid refused


def test_merit_uses_lower_levels_first_and_shares_a_level_by_headroom() -> None:
    low = State.of(production=(0.0, 2.0, 2.0))
    high_a = State.of(production=(0.0, 1.0, 1.0))
    high_b = State.of(production=(0.0, 3.0, 3.0))
    levels = merge_levels([((1.0, high_a),), ((0.0, low),), ((1.0, high_b),)])
    assert [level for level, _ in levels] == [0.0, 1.0]
    order = merit_instruction(Share(production=-3.0), levels)
    assert order == MeritInstruction(production=(1.0, -0.25))
    assert apply_order(order, low, 0.0).production.current == 0.0  # fully used
    assert apply_order(order, high_a, 1.0).production.current == 0.75
    assert apply_order(order, high_b, 1.0).production.current == 2.25
    assert apply_order(order, high_b, 2.0) == high_b  # above the level: untouched
    with pytest.raises(InfeasibleRedispatchError, match=r"cannot lower production by 7\.0"):
        merit_instruction(Share(production=-7.0), levels)


def test_merit_in_a_cell_curtails_the_lowest_levels_first() -> None:
    hierarchy = cells_hierarchy(1, depth=2, loads=1, generators=3)
    states = {u: State.of(production=(0.0, 2.0, 2.0)) for u in hierarchy.units if "gen" in u}
    states["cell-0.load-0"] = State.of(consumption=(3.0, 3.0, 3.0))  # +3 MW surplus
    priorities = {"cell-0.gen-0": 2.0, "cell-0.gen-1": 0.0, "cell-0.gen-2": 1.0}
    result = reference_step(
        hierarchy, states, strategy=Strategy.of("cellular", "merit", priorities=priorities)
    )
    produced = {u: result.targets[u].production.current for u in priorities}
    assert produced == {"cell-0.gen-0": 2.0, "cell-0.gen-1": 0.0, "cell-0.gen-2": 1.0}
    assert result.cells["cell-0"].balance is Balance.BALANCED


def two_cells():
    hierarchy = cells_hierarchy(2, depth=0, loads=1, generators=1)
    states = {
        "cell-0.gen-0": State.of(production=(0.0, 6.0, 6.0)),  # cell-0: +4 MW
        "cell-0.load-0": State.of(consumption=(1.8, 2.2, 2.0)),
        "cell-1.gen-0": State.of(production=(0.0, 1.0, 1.0)),  # cell-1: -4 MW
        "cell-1.load-0": State.of(consumption=(4.5, 5.5, 5.0)),
    }
    return hierarchy, states


def test_optimal_moves_a_surplus_to_a_deficit_instead_of_curtailing_and_shedding() -> None:
    hierarchy, states = two_cells()
    optimal = reference_step(hierarchy, states, strategy=Strategy.of("optimal"))
    cellular = reference_step(hierarchy, states)
    surplus, deficit = optimal.cells["cell-0"].plan, optimal.cells["cell-1"].plan
    assert surplus.exchange == pytest.approx(4.0)  # 0.5 per MW, against 1 + 2 per MW
    assert deficit.exchange == pytest.approx(-4.0)
    assert (surplus.production_delta, deficit.consumption_delta) == (0.0, 0.0)
    costs = [dispatch_cost(o.plan for o in r.cells.values()) for r in (optimal, cellular)]
    assert costs[0] == pytest.approx(2.0)
    assert costs[1] == pytest.approx(4 * 1.0 + 0.5 * 2.0 + 3.5 * 3.0)  # curtail, shed, import
    again = reference_step(hierarchy, dict(optimal.targets), strategy=Strategy.of("optimal"))
    assert again.converged


def test_optimal_honours_its_costs() -> None:
    hierarchy, states = two_cells()
    dear_exchange = Strategy.of("optimal", costs=Costs(exchange=10.0))
    result = reference_step(hierarchy, states, strategy=dear_exchange)
    assert result.cells["cell-0"].plan.production_delta == -4.0  # curtails: 1 < 10
    assert result.cells["cell-0"].plan.exchange == 0.0
    with pytest.raises(ConfigurationError, match=r"Costs\.grid = -1"):
        Costs(grid=-1.0)
    with pytest.raises(ConfigurationError, match="parameter of the 'optimal' strategy only"):
        Strategy.of("cellular", costs=Costs())


def test_a_users_between_cells_function_gets_views_and_may_return_target_states() -> None:
    hierarchy, states = two_cells()
    seen = {}

    def keep_everything(cells, config):
        seen.update(cells)
        return {cell: view.state for cell, view in cells.items()}  # nobody moves

    result = reference_step(hierarchy, states, strategy=Strategy.of(keep_everything))
    assert set(seen) == {"cell-0", "cell-1"}
    assert all(isinstance(view, CellView) and view.proposal is None for view in seen.values())
    assert result.converged
    assert result.cells["cell-0"].plan.exchange == 4.0  # the residuals were settled
    assert result.plan.exchange == 0.0


def test_a_users_decision_that_breaks_a_rule_names_the_strategy_and_the_cell() -> None:
    hierarchy, states = two_cells()

    def too_much(cells, config):
        return {c: CellPlan(-9.0, 0.0, 0.0, 0.0, 0.0) for c in cells}

    def unbalanced(cells, config):
        return {c: CellPlan(0.0, 0.0, 0.0, 0.0, 0.0) for c in cells}

    def one_cell_only(cells, config):
        return {"cell-0": cells["cell-0"].state}

    for function, message in [
        (too_much, "cannot lower production by 9.0 MW"),
        (unbalanced, "'cell-0': balance 4.0 \\+ production 0.0"),
        (one_cell_only, "must decide for exactly the cells: missing \\['cell-1'\\]"),
    ]:
        with pytest.raises((InfeasibleRedispatchError, ConfigurationError), match=message):
            reference_step(hierarchy, states, strategy=Strategy.of(function))


def test_a_users_within_cell_function_is_called_at_every_controller_and_checked() -> None:
    hierarchy = cells_hierarchy(1, depth=2, loads=2, generators=2)
    states = {u: State.of(production=(0.0, 2.0, 2.0)) for u in hierarchy.units if "gen" in u}
    states |= {u: State.of(consumption=(0.0, 1.0, 1.0)) for u in hierarchy.units if "load" in u}
    calls = []

    def first_able_child_takes_all(node, share, state, children):
        calls.append((node, share))
        wanted = -share.production
        able = next((c for c, s in children.items() if s.production.headroom_down >= wanted), None)
        return {child: share if child == able else Share() for child in children}

    strategy = Strategy.of("cellular", first_able_child_takes_all)
    result = reference_step(hierarchy, states, strategy=strategy)
    # cell-0 -> ctl-1 -> (ctl-2 -> loads, gen-0, gen-1): a share reaches the units
    assert [node for node, _ in calls] == ["cell-0", "cell-0.ctl-1", "cell-0.ctl-2"]
    assert calls[0][1] == Share(production=-2.0)  # +2 MW: the cell curtails 2 MW
    assert calls[2][1] == Share()  # the loads' controller: nothing to do
    assert result.targets["cell-0.gen-0"].production.current == 0.0
    assert result.targets["cell-0.gen-1"] == states["cell-0.gen-1"]

    def loses_power(node, share, state, children):
        return {child: Share() for child in children}

    with pytest.raises(InfeasibleRedispatchError, match=r"add up to 0\.0 MW, not the -2\.0 MW"):
        reference_step(hierarchy, states, strategy=Strategy.of("cellular", loses_power))


def test_built_in_strategies_are_rebuilt_from_their_descriptions_and_functions_are_not() -> None:
    for strategy in (
        Strategy(),
        Strategy.of("global"),
        Strategy.of("optimal", costs=Costs(grid=7.0)),
        Strategy.of("cellular", "merit", priorities={"a": 1.0, "b": -2.5}),
    ):
        assert strategy_from_description(strategy.describe()) == strategy
    assert Strategy() == Strategy(CELLULAR, PROPORTIONAL)
    assert Strategy.of("cellular", "merit").within == MeritWithin()

    def mine(cells, config):
        return {}

    described = Strategy.of(mine).describe()
    assert described["between"] == {
        "name": "callable",
        "function": f"{__name__}.{mine.__qualname__}",
    }
    with pytest.raises(ConfigurationError, match="a description holds no code"):
        strategy_from_description(described)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("sideways",), "between_cells = 'sideways': choose one of global, cellular, optimal"),
        (("cellular", "random"), "within_cell = 'random': choose one of proportional, merit"),
        ((3,), "between_cells = 3: give a name"),
    ],
)
def test_unknown_strategy_names_list_the_built_ins(arguments, message) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Strategy.of(*arguments)


def test_bad_merit_levels_and_interfaces_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="every priority must be a finite number"):
        MeritWithin({"a": math.nan})
    with pytest.raises(ConfigurationError, match="give ExchangeLimits per cell id"):
        StepConfig(interfaces={"cell-0": (1.0, 2.0)})


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, "1"])
def test_a_cell_plan_with_no_finite_number_is_refused(bad) -> None:
    with pytest.raises(ConfigurationError, match="a cell plan needs finite numbers of MW"):
        CellPlan(0.0, 0.0, 0.0, 0.0, bad)


def test_a_cell_plan_of_finite_numbers_whose_sum_overflows_is_accepted() -> None:
    plan = CellPlan(0.0, 0.0, 0.0, -3e292, -1.7976931348623155e308)  # found by hypothesis
    assert plan.unresolved == -1.7976931348623155e308
