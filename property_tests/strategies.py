"""Hypothesis strategies for massca's model: bands, states, valid and malformed trees."""

from __future__ import annotations

import math
from dataclasses import replace

from hypothesis import strategies as st

from massca.model import (
    BETWEEN_CELLS,
    TOPOLOGIES,
    WITHIN_CELL,
    ZERO_BAND,
    ZERO_FLEXIBILITY,
    Band,
    CohdaStrategy,
    CohdaWithin,
    ExchangeLimits,
    Flexibility,
    Hierarchy,
    Node,
    NodeKind,
    Resource,
    State,
    StepConfig,
    Strategy,
)

MW = st.floats(min_value=0.0, max_value=1e4, allow_nan=False, allow_infinity=False)


@st.composite
def flexibilities(draw: st.DrawFn) -> Flexibility:
    """A valid band: three magnitudes sorted into min <= current <= max."""
    low, current, high = sorted(draw(st.lists(MW, min_size=3, max_size=3)))
    return Flexibility(low, high, current)


@st.composite
def storage_bands(draw: st.DrawFn) -> Band:
    """A battery's band: charge to ``min <= 0``, discharge to ``max >= 0``, its power
    anywhere between (a full battery has ``min == 0``, an empty one ``max == 0``)."""
    charge, discharge = draw(MW), draw(MW)
    current = draw(st.floats(-charge, discharge, allow_nan=False))
    return Band(-charge + 0.0, discharge, current)


states = st.builds(
    State,
    flexibilities(),
    flexibilities(),
    st.one_of(st.just(ZERO_BAND), storage_bands()),  # half the units hold no storage
)

limits = st.builds(
    ExchangeLimits,
    st.one_of(MW, st.just(float("inf"))),
    st.one_of(MW, st.just(float("inf"))),
)

merit_orders = st.permutations(list(Resource)).map(tuple)

tolerances = st.sampled_from([0.0, 1e-9, 1e-6, 1e-3, 0.5])


@st.composite
def hierarchies(draw: st.DrawFn, max_cells: int = 4, max_controllers: int = 6) -> Hierarchy:
    """A valid tree with shuffled ids, so that id order differs from creation order."""
    cells = draw(st.integers(1, max_cells))
    controllers = draw(st.integers(0, max_controllers))
    extra_units = draw(st.integers(0, 10))
    total = cells + controllers + cells + controllers + extra_units
    names = draw(st.permutations([f"n{i:03d}" for i in range(total)]))
    pool = iter(names)
    nodes = [Node("root", NodeKind.COORDINATOR)]
    holders: list[str] = []
    for _ in range(cells):
        cell = next(pool)
        nodes.append(Node(cell, NodeKind.CELL, "root"))
        holders.append(cell)
    for _ in range(controllers):
        controller = next(pool)
        nodes.append(Node(controller, NodeKind.CONTROLLER, draw(st.sampled_from(holders))))
        holders.append(controller)
    for holder in holders:  # every cell and controller gets one unit of its own
        nodes.append(Node(next(pool), NodeKind.UNIT, holder))
    for _ in range(extra_units):
        nodes.append(Node(next(pool), NodeKind.UNIT, draw(st.sampled_from(holders))))
    order = draw(st.permutations(nodes))
    return Hierarchy(tuple(order))


@st.composite
def hierarchy_with_states(draw: st.DrawFn) -> tuple[Hierarchy, dict[str, State]]:
    """A valid tree and a state for each of its units."""
    hierarchy = draw(hierarchies())
    return hierarchy, {u: draw(states) for u in hierarchy.units}


MUTATIONS = (
    "duplicate",
    "unknown_parent",
    "cycle",
    "empty_cell",
    "unit_parent",
    "no_coordinator",
    "two_coordinators",
    "cell_under_cell",
)


@st.composite
def malformed(draw: st.DrawFn) -> tuple[str, tuple[Node, ...], str]:
    """(mutation, nodes, a phrase the error must contain) for a broken variant of a tree."""
    hierarchy = draw(hierarchies())
    nodes = list(hierarchy.nodes)
    mutation = draw(st.sampled_from(MUTATIONS))
    if mutation == "duplicate":
        victim = draw(st.sampled_from(nodes[1:]))
        nodes.append(victim)
        return mutation, tuple(nodes), f"duplicate id {victim.id!r}"
    if mutation == "unknown_parent":
        i = draw(st.integers(0, len(nodes) - 1).filter(lambda k: nodes[k].parent is not None))
        nodes[i] = replace(nodes[i], parent="ghost")
        return mutation, tuple(nodes), "unknown parent 'ghost'"
    if mutation == "cycle":
        a, b = "cyc-a", "cyc-b"
        nodes += [Node(a, NodeKind.CONTROLLER, b), Node(b, NodeKind.CONTROLLER, a)]
        nodes += [Node("cyc-u", NodeKind.UNIT, a)]
        return mutation, tuple(nodes), "cycle: cyc-a -> cyc-b -> cyc-a"
    if mutation == "empty_cell":
        nodes.append(Node("zz-empty", NodeKind.CELL, hierarchy.root))
        return mutation, tuple(nodes), "empty cell 'zz-empty'"
    if mutation == "unit_parent":
        unit = draw(st.sampled_from(hierarchy.units))
        nodes.append(Node("zz-child", NodeKind.UNIT, unit))
        return mutation, tuple(nodes), f"hangs under unit {unit!r}"
    if mutation == "no_coordinator":
        nodes = [n for n in nodes if n.kind is not NodeKind.COORDINATOR]
        return mutation, tuple(nodes), "no coordinator"
    if mutation == "two_coordinators":
        nodes.append(Node("zz-root", NodeKind.COORDINATOR))
        return mutation, tuple(nodes), "2 coordinators"
    cell = draw(st.sampled_from(hierarchy.cells))
    nodes += [Node("zz-cell", NodeKind.CELL, cell), Node("zz-u", NodeKind.UNIT, "zz-cell")]
    return mutation, tuple(nodes), "cell 'zz-cell' hangs under cell"


interface_limits = st.builds(
    ExchangeLimits,
    st.one_of(MW, st.just(float("inf"))),
    st.one_of(MW, st.just(float("inf"))),
)


def with_cells_near_balance(
    draw: st.DrawFn, hierarchy: Hierarchy, states: dict[str, State], tolerance: float
) -> dict[str, State]:
    """``states`` with some cells set within a few tolerances of balance: one unit of each
    such cell is replaced by one that (nearly) cancels the rest of the cell."""
    states = dict(states)
    offsets = [0.0, 0.5, 1.0, 2.0, -0.5, -1.0, -2.0]
    for cell in hierarchy.cells:
        if not draw(st.booleans()):
            continue
        first, *others = hierarchy.units_below(cell)
        rest = math.fsum(states[u].balance for u in others)
        wanted = draw(st.sampled_from(offsets)) * max(tolerance, 1e-12) - rest
        room = draw(MW)
        if wanted >= 0:
            states[first] = State(Flexibility(0.0, wanted + room, wanted), ZERO_FLEXIBILITY)
        else:
            states[first] = State(ZERO_FLEXIBILITY, Flexibility(0.0, -wanted + room, -wanted))
    return states


@st.composite
def built_in_strategies(draw: st.DrawFn, hierarchy: Hierarchy) -> Strategy:
    """A built-in pair of strategies; merit gets levels 0, 1 or 2 per unit, cohda a few
    levels, any topology and sometimes a message cap it hits."""
    between = draw(st.sampled_from(BETWEEN_CELLS))
    within = draw(st.sampled_from(WITHIN_CELL))
    priorities = None
    if within == "merit":
        priorities = {u: draw(st.sampled_from([0.0, 1.0, 2.0])) for u in hierarchy.units}
    strategy = Strategy.of(between, within, priorities=priorities)
    if between == "cohda":
        strategy = Strategy(draw(cohda_strategies()), strategy.within)
    if within == "cohda":
        strategy = Strategy(strategy.between, draw(cohda_within_strategies()))
    return strategy


@st.composite
def cohda_within_strategies(draw: st.DrawFn) -> CohdaWithin:
    """``cohda`` within cells with 1 to 4 levels (`negotiation_options`)."""
    return CohdaWithin(**negotiation_options(draw, 4))


def negotiation_options(draw: st.DrawFn, levels: int) -> dict[str, object]:
    """1 to ``levels`` levels, any topology and seed, and a cap of 0 to 100,000."""
    return {
        "levels": draw(st.integers(1, levels)),
        "topology": draw(st.sampled_from(TOPOLOGIES)),
        "neighbours": draw(st.integers(0, 3)),
        "seed": draw(st.integers(0, 2**32)),
        "max_messages": draw(st.sampled_from([0, 2, 7, 30, 100_000])),
    }


@st.composite
def cohda_strategies(draw: st.DrawFn) -> CohdaStrategy:
    """``cohda`` with 1 to 5 levels (`negotiation_options`), a target of 0, 0.5 or -1 MW
    and a horizon of 1 to 3."""
    return CohdaStrategy(
        **negotiation_options(draw, 5),
        target=draw(st.sampled_from([0.0, 0.5, -1.0])),
        horizon=draw(st.integers(1, 3)),
    )


@st.composite
def step_cases(
    draw: st.DrawFn, strategy: Strategy | None = None
) -> tuple[Hierarchy, dict[str, State], StepConfig, Strategy]:
    """A tree, unit states (some cells near balance), a config with cell interfaces, and
    a built-in strategy (or ``strategy``)."""
    hierarchy, states = draw(hierarchy_with_states())
    tolerance = draw(tolerances)
    if draw(st.booleans()):
        states = with_cells_near_balance(draw, hierarchy, states, tolerance)
    interfaces = {c: draw(interface_limits) for c in hierarchy.cells if draw(st.booleans())}
    config = StepConfig(draw(limits), tolerance, draw(merit_orders), interfaces)
    return hierarchy, states, config, strategy or draw(built_in_strategies(hierarchy))
