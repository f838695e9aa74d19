"""``cohda`` between cells: the cells negotiate with COHDA (`massca.model.cohda`) how far
each moves its own units, so that their exports add up to a target exchange with the
external grid.

Belongs here: `CohdaStrategy`: each cell's candidates, the negotiation's problem, and the
decision made from its outcome. Not here: the protocol (`cohda`), overlays (`overlay`),
who sends what (`massca.actors`).

Every cell is a participant. Its candidate schedules (one interval, H = 1) are its
exports after a move ``d`` of its own units, ``balance + d``, for ``d`` in this order:

* 0, no move (first: of equally good picks, a cell keeps the one that leaves it be);
* the move that balances the cell by itself, as far as its own flexibility reaches;
* ``levels`` moves evenly spaced from the largest decrease of its balance to the largest
  increase its bands allow (`massca.model.candidates.band_candidates` over the band of
  its possible moves);

a move within the tolerance counts as none, and repeated schedules are dropped. The
target is ``target`` MW exported to the external grid (default 0: the system covers
itself), one interval of weight 1. The overlay is ``topology`` over the cells in id
order (``small-world`` adds ``neighbours`` links per cell drawn with ``seed``). At most
``max_messages`` views are delivered; a negotiation stopped there is reported in its
`Negotiation` (``capped``) and still decides with the best it has.

The decision (`conclude`): if the cells as they stand meet the target within the
tolerance, nobody moves and nothing is negotiated (`problem` is None). Otherwise each
cell moves by its pick's ``d``, spread over its own resources in the step's merit order
(`plan` with ``imbalance = -d``), unless staying put is within the tolerance as good as
the solution: then nobody moves, so that the weak loop converges. A cell the solution
does not cover (a negotiation capped before news reached everyone) stays. Residuals go
between cells and to the grid as for every strategy (`massca.model.settlement`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from types import MappingProxyType
from typing import Any, ClassVar

from massca.errors import ConfigurationError, ProtocolError
from massca.model.between import own_resources_first
from massca.model.candidates import band_candidates
from massca.model.cohda import Negotiation, Schedule, Target, negotiate, performance
from massca.model.config import StepConfig
from massca.model.dispatch import CellView, Dispatch, settled_plans, system_plan
from massca.model.orders import NO_SHARE, Share
from massca.model.overlay import TOPOLOGIES, Overlay, overlay_of
from massca.model.redispatch import ExchangeLimits, Plan, plan
from massca.model.state import Band, State

__all__ = ["CohdaStrategy", "option_problems"]

_NO_EXCHANGE = ExchangeLimits(0.0, 0.0)


def _whole(value: object, least: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


def option_problems(options: Any) -> list[str]:
    """What is wrong with a negotiating strategy's ``levels``, ``topology``,
    ``neighbours``, ``seed`` and ``max_messages`` (attributes of ``options``)."""
    problems = []
    if not _whole(options.levels, 1):
        problems.append(f"levels = {options.levels!r}: give a whole number of levels >= 1")
    if options.topology not in TOPOLOGIES:
        problems.append(f"topology = {options.topology!r}: choose one of {', '.join(TOPOLOGIES)}")
    if not _whole(options.neighbours, 0):
        problems.append(f"neighbours = {options.neighbours!r}: a whole number of links >= 0")
    if not _whole(options.seed, 0):
        problems.append(f"seed = {options.seed!r}: a whole number >= 0")
    if not _whole(options.max_messages, 0):
        problems.append(f"max_messages = {options.max_messages!r}: a whole number >= 0")
    return problems


@dataclass(frozen=True, slots=True)
class CohdaStrategy:
    """``cohda``: the cells negotiate their own moves; see the module docstring."""

    levels: int = 9
    topology: str = "small-world"
    neighbours: int = 2
    seed: int = 0
    max_messages: int = 100_000
    target: float = 0.0
    name: ClassVar[str] = "cohda"

    def __post_init__(self) -> None:
        problems = option_problems(self)
        target = self.target
        if not (isinstance(target, int | float) and not isinstance(target, bool)) or not (
            math.isfinite(target)
        ):
            problems.append(f"target = {target!r}: a finite number of MW exported to the grid")
        if problems:
            raise ConfigurationError("cohda: " + "; ".join(problems))
        object.__setattr__(self, "target", float(target) + 0.0)

    def describe(self) -> dict[str, Any]:
        """The strategy and its parameters as plain values (for a log's header)."""
        return {"name": self.name, **asdict(self)}

    @classmethod
    def from_description(cls, description: Mapping[str, Any]) -> CohdaStrategy:
        """The strategy `describe` gave ``description``; `ConfigurationError` if malformed."""
        parameters = {k: v for k, v in description.items() if k != "name"}
        try:
            return cls(**parameters)
        except TypeError as error:
            raise ConfigurationError(
                f"cohda: malformed description {dict(description)!r}"
            ) from error

    def propose(self, state: State, interface: ExchangeLimits, config: StepConfig) -> Plan | None:
        """Cells propose nothing: they negotiate."""
        return None

    def moves(self, state: State, config: StepConfig) -> dict[Schedule, float]:
        """A cell's candidate schedules (see the module docstring), each with its move."""
        balance = state.balance
        production, consumption, storage = state.production, state.consumption, state.storage
        up = production.headroom_up + consumption.headroom_down + storage.headroom_up
        down = production.headroom_down + consumption.headroom_up + storage.headroom_down
        spread = band_candidates((Band(-down, up, 0.0),), self.levels)
        found: dict[Schedule, float] = {}
        for move in (0.0, min(max(-balance, -down), up), *(s[0] for s in spread)):
            d = move + 0.0 if abs(move) > config.tolerance else 0.0
            found.setdefault((balance + d + 0.0,), d)
        return found

    def options(self, state: State, config: StepConfig) -> tuple[Schedule, ...]:
        """A cell's candidate schedules, in order (the keys of `moves`)."""
        return tuple(self.moves(state, config))

    @property
    def goal(self) -> Target:
        """The negotiation's target: ``target`` MW over one interval."""
        return Target.of((self.target,))

    def problem(self, cells: Mapping[str, CellView], config: StepConfig) -> Overlay | None:
        """The overlay to negotiate on, or None when the cells as they stand meet the
        target within the tolerance (nothing to negotiate)."""
        if -self._standing(cells) <= config.tolerance:
            return None
        return overlay_of(self.topology, cells, self.neighbours, self.seed)

    def conclude(
        self,
        cells: Mapping[str, CellView],
        config: StepConfig,
        negotiation: Negotiation | None,
    ) -> Dispatch:
        """The decision from a negotiation's outcome (None: nothing was negotiated)."""
        moves: dict[str, Share] = dict.fromkeys(cells, NO_SHARE)
        if negotiation is not None:
            solution = negotiation.solution
            if self._standing(cells) < solution.performance - config.tolerance:
                for cell, schedule in solution.schedules.items():
                    if cell not in cells:
                        raise ProtocolError(f"cohda: the solution names {cell!r}, not a cell")
                    moves[cell] = self._share(cell, cells[cell].state, schedule, config)
        plans = settled_plans(cells, moves, config)
        return Dispatch(MappingProxyType(plans), system_plan(cells, plans), negotiation)

    def decide(self, cells: Mapping[str, CellView], config: StepConfig) -> Dispatch:
        """The reference decision: `negotiate` the `problem`, then `conclude`."""
        overlay = self.problem(cells, config)
        if overlay is None:
            return self.conclude(cells, config, None)
        options = {cell: self.options(view.state, config) for cell, view in cells.items()}
        outcome = negotiate(options, self.goal, overlay, self.max_messages)
        return self.conclude(cells, config, outcome)

    def _standing(self, cells: Mapping[str, CellView]) -> float:
        """The performance of every cell staying where it is."""
        return performance({c: (view.state.balance,) for c, view in cells.items()}, self.goal)

    def _share(self, cell: str, state: State, schedule: Schedule, config: StepConfig) -> Share:
        """The own move of ``cell`` to the picked ``schedule``, in the merit order."""
        move = self.moves(state, config).get(tuple(schedule))
        if move is None:
            raise ProtocolError(f"cohda: {schedule} is not a candidate of cell {cell!r}")
        if move == 0.0:
            return NO_SHARE
        own = plan(
            state,
            _NO_EXCHANGE,
            config.tolerance,
            own_resources_first(config.merit_order),
            imbalance=-move,
        )
        return Share(own.production_delta, own.consumption_delta, own.storage_delta)
