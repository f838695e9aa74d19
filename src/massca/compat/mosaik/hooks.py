"""The prototype's decision hooks as massca's strategies and aggregation.

Belongs here: adapters that call a user's ``aggregation_method`` and ``execute_method``
with the prototype's arguments and turn what they return into model values, and
`strategy_for` / `aggregation_for`, which build the step's `Strategy` and `Aggregation`
from a `MasConfig`. Not here: the mosaik API (`simulator`).

``aggregation_method(aeid, aid, requested_states, current_state)`` is called by every
controller, the cells and the coordinator: ``aeid``/``aid`` are its entity id (the MAS's
agent ids are the entity ids), ``requested_states`` its children's states keyed by their
entity ids (in id order), ``current_state`` its own state before aggregating: the
``state_dict`` template, or zeros, as the prototype passed it. It returns the aggregated
state.

``execute_method(aeid, aid, instruction, current_state, requested_states, **params)`` is
called by the coordinator (``instruction=None``, ``current_state`` the system's aggregate,
``requested_states`` the cells') and by every cell and intermediate controller
(``instruction`` its own target state, ``current_state`` its aggregate,
``requested_states`` its children's). ``params`` holds ``state_dict``. It returns the
children's instructions: a mapping of each child's entity id to its target state (a
`State` or the prototype's dictionary), or the prototype's ``(ok, instructions, state)``
tuple. At the coordinator an entry may also be a `CellPlan`. Every decision is checked
(bands, limits, conservation). States are the prototype's dictionaries
``{'production': {'min', 'max', 'current'}, 'consumption': {...}}`` in MW.

To replay a log recorded with these hooks, build the same strategy and aggregation:
``replay_file(path, strategy=hooked_strategy(execute_method),
aggregation=hooked_aggregation(aggregation_method))``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from massca.actors import MODEL_AGGREGATION, Aggregation
from massca.actors.deadline import mark
from massca.compat.mosaik.convert import seed_dict, state_from_seed
from massca.model import (
    ZERO_STATE,
    CallableBetween,
    CallableWithin,
    CellPlan,
    CellView,
    CohdaStrategy,
    ConfigurationError,
    Costs,
    Share,
    State,
    StepConfig,
    Strategy,
    aggregate,
    apply_order,
)
from massca.model.between import callable_name

__all__ = [
    "COORDINATOR_EID",
    "aggregation_for",
    "hooked_aggregation",
    "hooked_strategy",
    "strategy_for",
]

COORDINATOR_EID = "MosaikAgent"
"""The coordinator's entity id (the prototype's "mosaik agent")."""

Hook = Callable[..., Any]


def hooked_aggregation(hook: Hook, state_dict: Any = None) -> Aggregation:
    """An `Aggregation` that calls the prototype's ``aggregation_method`` hook."""

    def combine(agent: str, children: Mapping[str, State]) -> State:
        value = hook(
            aeid=agent,
            aid=agent,
            requested_states={child: seed_dict(state) for child, state in children.items()},
            current_state=_own_state(state_dict),
        )
        return state_from_seed(value, agent, -1, "aggregation_method")

    mark(combine, lambda frame: (frame.f_locals["agent"], "hook aggregation_method"))
    return Aggregation(f"aggregation_method={callable_name(hook)}", combine)


def hooked_strategy(
    execute_method: Hook, state_dict: Any = None, coordinator: str = COORDINATOR_EID
) -> Strategy:
    """A `Strategy` whose both decisions call the prototype's ``execute_method`` hook."""
    label = f"execute_method={callable_name(execute_method)}"
    params = {"state_dict": state_dict}

    def between(cells: Mapping[str, CellView], config: StepConfig) -> Mapping[str, Any]:
        system = aggregate(view.state for view in cells.values())
        value = execute_method(
            aeid=coordinator,
            aid=coordinator,
            instruction=None,
            current_state=seed_dict(system),
            requested_states={cell: seed_dict(view.state) for cell, view in cells.items()},
            **params,
        )
        return _decisions(value, coordinator, cells, allow_plans=True)

    def within(
        node: str, share: Share, state: State, children: Mapping[str, State]
    ) -> Mapping[str, Any]:
        value = execute_method(
            aeid=node,
            aid=node,
            instruction=seed_dict(apply_order(share, state)),
            current_state=seed_dict(state),
            requested_states={child: seed_dict(s) for child, s in children.items()},
            **params,
        )
        return _decisions(value, node, children, allow_plans=False)

    mark(between, lambda frame: (coordinator, "hook execute_method"))
    mark(within, lambda frame: (frame.f_locals["node"], "hook execute_method"))
    return Strategy(CallableBetween(between, label), CallableWithin(within, label))


def _decisions(
    value: Any, agent: str, children: Mapping[str, Any], allow_plans: bool
) -> dict[str, Any]:
    """The per-child decisions in ``value`` (a mapping, or the prototype's tuple)."""
    if isinstance(value, tuple) and len(value) == 3:
        value = value[1]  # the prototype's (ok, instructions, state)
    if not isinstance(value, Mapping):
        raise ConfigurationError(
            f"execute_method at {agent!r} returned {type(value).__name__}: return a mapping "
            "of each child's id to its target state (or the prototype's (ok, instructions, "
            "state))"
        )
    decided = {}
    for child, decision in value.items():
        if isinstance(decision, State) or (allow_plans and isinstance(decision, CellPlan)):
            decided[child] = decision
        elif child in children:
            decided[child] = state_from_seed(decision, str(child), -1, "execute_method")
        else:
            decided[child] = decision  # an unknown child: the strategy's check names it
    return decided


def _own_state(state_dict: Any) -> dict[str, Any]:
    if state_dict is None:
        return seed_dict(ZERO_STATE)
    return {band: dict(values) for band, values in state_dict.items()}  # a fresh copy


def strategy_for(
    between: str | Hook,
    within: str | Hook,
    execute_method: Hook | None,
    *,
    costs: Costs | None = None,
    cohda: CohdaStrategy | None = None,
    priorities: Mapping[str, float] | None = None,
    state_dict: Any = None,
) -> Strategy:
    """The step's strategy from MAS_CONFIG's ``between_cells``, ``within_cell``,
    ``execute_method``, ``costs`` and ``cohda`` (options), and the units' ``priority``
    params."""
    if execute_method is not None:
        return hooked_strategy(execute_method, state_dict)
    merit = within == "merit"
    chosen = between if cohda is None else cohda
    return Strategy.of(chosen, within, priorities=priorities if merit else None, costs=costs)


def aggregation_for(hook: Hook | None, state_dict: Any = None) -> Aggregation:
    """The model's aggregation, or the ``aggregation_method`` hook's."""
    return MODEL_AGGREGATION if hook is None else hooked_aggregation(hook, state_dict)
