"""``cohda`` between cells: the cells negotiate with COHDA (`massca.model.cohda`) how far
each moves its own units, so that their exports add up to a target exchange with the
external grid.

Belongs here: `CohdaStrategy`: each cell's candidates, the negotiation's problem, and the
decision made from its outcome. Not here: the protocol (`cohda`), overlays (`overlay`),
who sends what (`massca.actors`).

Every cell is a participant. Its candidate schedules are its exports over the
``horizon`` (H intervals: the present one, then its forecast, `massca.model.forecast`)
after a move ``d`` of its own units in each interval, ``balance + d``, with ``d`` in
this order:

* 0, no move (first: of equally good picks, a cell keeps the one that leaves it be);
* the move that balances the cell by itself, as far as its own flexibility reaches;
* ``levels`` moves from the largest decrease of its balance to the largest increase its
  bands allow (`massca.model.candidates.band_candidates` over the band of its possible
  moves in each interval; for H > 1 the inner levels take seeded shapes, ``seed``);

a move within the tolerance counts as none, and repeated schedules are dropped. The
target is ``target`` MW exported to the external grid in every interval (default 0: the
system covers itself), each of weight 1. Only the present interval's move is carried
out: the MAS plans again at the next step (a rolling horizon). The overlay is
``topology`` over the cells in id order (``small-world`` adds ``neighbours`` links per
cell drawn with ``seed``). At most ``max_messages`` views are delivered; a negotiation
stopped there is reported in its `Negotiation` (``capped``) and still decides with the
best it has.

The decision (`conclude`), judged on the present interval, the only one carried out: if
the cells as they stand meet the target within the tolerance, nobody moves and nothing
is negotiated (`problem` is None). Otherwise each cell moves by its pick's present ``d``,
spread over its own resources in the step's merit order (`plan` with ``imbalance =
-d``), unless staying put now is within the tolerance as good as the solution now: then
nobody moves, so that the weak loop converges. A cell the solution
does not cover (a negotiation capped before news reached everyone) stays. Residuals go
between cells and to the grid as for every strategy (`massca.model.settlement`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from types import MappingProxyType
from typing import Any, ClassVar

from massca.errors import ConfigurationError, ProtocolError
from massca.model.between import own_resources_first
from massca.model.candidates import band_candidates
from massca.model.cohda import Negotiation, Schedule, Target, negotiate, performance
from massca.model.config import StepConfig
from massca.model.dispatch import CellView, Dispatch, settled_plans, system_plan
from massca.model.forecast import padded
from massca.model.orders import NO_SHARE, Share
from massca.model.overlay import TOPOLOGIES, Overlay, overlay_of
from massca.model.redispatch import ExchangeLimits, Plan, plan
from massca.model.state import Band, State

__all__ = ["CohdaStrategy", "option_problems", "rebuilt"]

_NO_EXCHANGE = ExchangeLimits(0.0, 0.0)


def _room(state: State) -> tuple[float, float]:
    """How far a cell in ``state`` can lower and raise its balance with its own units."""
    production, consumption, storage = state.production, state.consumption, state.storage
    down = production.headroom_down + consumption.headroom_up + storage.headroom_down
    up = production.headroom_up + consumption.headroom_down + storage.headroom_up
    return down, up


def _whole(value: object, least: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


def rebuilt[T](kind: Callable[..., T], description: Mapping[str, Any]) -> T:
    """A negotiating strategy of ``kind`` from its ``describe()``: its parameters are the
    description's keys but ``name``; `ConfigurationError` for a key it does not take."""
    parameters = {k: v for k, v in description.items() if k != "name"}
    try:
        return kind(**parameters)
    except TypeError as error:
        raise ConfigurationError(f"cohda: malformed description {dict(description)!r}") from error


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
    horizon: int = 1
    name: ClassVar[str] = "cohda"

    def __post_init__(self) -> None:
        problems = option_problems(self)
        if not _whole(self.horizon, 1):
            problems.append(f"horizon = {self.horizon!r}: a whole number of intervals >= 1")
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
        return rebuilt(cls, description)

    def propose(self, state: State, interface: ExchangeLimits, config: StepConfig) -> Plan | None:
        """Cells propose nothing: they negotiate."""
        return None

    def moves(
        self, state: State, config: StepConfig, forecast: Sequence[State] = ()
    ) -> dict[Schedule, float]:
        """A cell's candidate schedules over the horizon (see the module docstring), each
        with its move in the present interval."""
        states = (state, *padded(state, forecast, self.horizon - 1))
        balances = [s.balance for s in states]
        rooms = [_room(s) for s in states]
        moves = [
            tuple(0.0 for _ in states),
            tuple(min(max(-b, -down), up) for b, (down, up) in zip(balances, rooms, strict=True)),
            *band_candidates(
                [Band(-down, up, 0.0) for down, up in rooms],
                self.levels,
                self.seed if self.horizon > 1 else None,
            ),
        ]
        tolerance = config.tolerance
        found: dict[Schedule, float] = {}
        for move in moves:
            snapped = [d + 0.0 if abs(d) > tolerance else 0.0 for d in move]
            schedule = tuple(b + d + 0.0 for b, d in zip(balances, snapped, strict=True))
            found.setdefault(schedule, snapped[0])
        return found

    def options(
        self, state: State, config: StepConfig, forecast: Sequence[State] = ()
    ) -> tuple[Schedule, ...]:
        """A cell's candidate schedules, in order (the keys of `moves`)."""
        return tuple(self.moves(state, config, forecast))

    @property
    def goal(self) -> Target:
        """The negotiation's target: ``target`` MW in each interval of the horizon."""
        return Target.of((self.target,) * self.horizon)

    def problem(self, cells: Mapping[str, CellView], config: StepConfig) -> Overlay | None:
        """The overlay to negotiate on, or None when the cells as they stand meet the
        target within the tolerance (nothing to negotiate)."""
        if -self._now({c: (view.state.balance,) for c, view in cells.items()}) <= config.tolerance:
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
            picks = negotiation.solution.schedules
            unknown = sorted(set(picks) - set(cells))
            if unknown:
                raise ProtocolError(f"cohda: the solution names {unknown[0]!r}, not a cell")
            standing = {c: (view.state.balance,) for c, view in cells.items()}
            now = {**standing, **{c: schedule[:1] for c, schedule in picks.items()}}
            if self._now(standing) < self._now(now) - config.tolerance:
                for cell, schedule in picks.items():
                    moves[cell] = self._share(cell, cells[cell], schedule, config)
        plans = settled_plans(cells, moves, config)
        return Dispatch(MappingProxyType(plans), system_plan(cells, plans), negotiation)

    def decide(self, cells: Mapping[str, CellView], config: StepConfig) -> Dispatch:
        """The reference decision: `negotiate` the `problem`, then `conclude`."""
        overlay = self.problem(cells, config)
        if overlay is None:
            return self.conclude(cells, config, None)
        options = {
            cell: self.options(view.state, config, view.forecast) for cell, view in cells.items()
        }
        outcome = negotiate(options, self.goal, overlay, self.max_messages)
        return self.conclude(cells, config, outcome)

    def _now(self, exports: Mapping[str, Schedule]) -> float:
        """The performance of the cells' ``exports`` in the present interval."""
        return performance(exports, Target.of((self.target,)))

    def _share(self, cell: str, view: CellView, schedule: Schedule, config: StepConfig) -> Share:
        """The own move of ``cell`` to the picked ``schedule`` now, in the merit order."""
        state = view.state
        move = self.moves(state, config, view.forecast).get(tuple(schedule))
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
