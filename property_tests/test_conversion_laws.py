"""The mosaik shell's two shapes of input, an entity per unit and a unit group's lists,
give the same states and the same errors; a unit reporting exactly its target gets that
very state back."""

from __future__ import annotations

import math
from functools import partial

from hypothesis import example, given
from hypothesis import strategies as st

from massca.compat.mosaik.convert import (
    STORAGE_INPUTS,
    state_from_inputs,
    storage_state_from_inputs,
    unit_state,
)
from massca.compat.mosaik.groups import UnitGroup, read_group
from massca.model import ZERO_FLEXIBILITY, Flexibility, MasscaError, State

values = st.one_of(
    st.floats(-1e6, 1e6),
    st.sampled_from([0.0, -0.0, math.inf, -math.inf, math.nan]),
    st.integers(-5, 5),
    st.just("1.0"),
)
SOURCE = "Sim-0.units"


def outcome(convert) -> State | str:
    """What ``convert()`` gives: a state, or the text of the error it raises."""
    try:
        return convert()
    except MasscaError as error:
        return f"{type(error).__name__}: {error}"


def group_outcomes(group: UnitGroup, data: dict, hours: float = 0.25) -> list[State | str]:
    """Each member's outcome when the group reads ``data`` (the members before the first
    error get their states, the one that fails its error, the rest nothing)."""
    into: dict = {}
    failed = outcome(lambda: read_group(group, data, hours, 0, into))
    got: list[State | str] = [into[m] for m in group.members if m in into]
    if isinstance(failed, str):
        got.append(failed)
    return got


def single_outcomes(outcomes: list[State | str]) -> list[State | str]:
    """The per-unit outcomes up to and including the first error."""
    cut = next((i for i, o in enumerate(outcomes) if isinstance(o, str)), len(outcomes) - 1)
    return outcomes[: cut + 1]


@given(
    rows=st.lists(
        st.tuples(st.sampled_from(["production", "consumption"]), values, values, values),
        min_size=1,
        max_size=6,
    ),
    banded=st.booleans(),
)
@example(
    rows=[("production", 1.4764804022140963 * (1 + 2e-16), 0.0, 1.4764804022140963)], banded=True
)  # snapped onto the band
@example(rows=[("consumption", 2.1, 0.0, 2.0)], banded=True)  # really outside: an error
@example(rows=[("production", -2.0, 0.0, 2.0)], banded=True)  # a generator's negative power
def test_a_group_converts_each_member_as_a_unit_entity_would(rows, banded) -> None:
    members = tuple(f"Agent_{i}" for i in range(len(rows)))
    group = UnitGroup("Units_0", members, tuple(band for band, *_ in rows))
    data = {"current": {SOURCE: [current for _, current, _, _ in rows]}}
    if banded:
        data["min"] = {SOURCE: [low for _, _, low, _ in rows]}
        data["max"] = {SOURCE: [high for _, _, _, high in rows]}
    single = []
    for member, (band, current, low, high) in zip(members, rows, strict=True):
        inputs = {"current": {SOURCE: current}}
        if banded:
            inputs |= {"min": {SOURCE: low}, "max": {SOURCE: high}}
        single.append(outcome(partial(state_from_inputs, member, band, inputs, {}, 0)))
    assert group_outcomes(group, data) == single_outcomes(single)


battery_values = st.one_of(st.floats(-2.0, 2.0), st.sampled_from([math.nan, 0.0, 1.0, "x"]))


@given(
    batteries=st.lists(
        st.fixed_dictionaries(
            {"current": battery_values, "soc": battery_values, "capacity": battery_values},
            optional={
                "charge_max": battery_values,
                "discharge_max": battery_values,
                "soc_min": st.sampled_from([0.0, 0.1]),
                "charge_efficiency": st.sampled_from([1.0, 0.9, 0.0]),
            },
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_a_storage_group_converts_each_battery_as_a_storage_entity_would(batteries) -> None:
    members = tuple(f"Agent_{i}" for i in range(len(batteries)))
    group = UnitGroup("Units_0", members, ("storage",) * len(batteries))
    filled = [{"charge_max": 1.0, "discharge_max": 1.0} | b for b in batteries]
    attrs = sorted({a for b in batteries for a in b} | {"charge_max", "discharge_max"})
    data = {}
    for attr in attrs:
        default = STORAGE_INPUTS[attr]
        data[attr] = {SOURCE: [b.get(attr, default) for b in filled]}
    single = []
    for i, member in enumerate(members):
        inputs = {attr: {SOURCE: data[attr][SOURCE][i]} for attr in attrs}
        single.append(outcome(partial(storage_state_from_inputs, member, inputs, 0.25, 0)))
    assert group_outcomes(group, data) == single_outcomes(single)


bands = st.lists(st.floats(0.0, 1e6), min_size=3, max_size=3).map(sorted)


@given(
    reported=bands.map(lambda b: Flexibility(b[0], b[2], b[1])),
    other=st.just(ZERO_FLEXIBILITY) | bands.map(lambda b: Flexibility(b[0], b[2], b[1])),
    band=st.sampled_from(["production", "consumption"]),
    exact=st.booleans(),
    current=st.floats(0.0, 1e6),
    low=st.floats(0.0, 1e6),
    high=st.floats(0.0, 1e6),
)
def test_a_unit_reporting_exactly_its_target_gets_that_very_state(
    reported, other, band, exact, current, low, high
) -> None:
    target = State(reported, other) if band == "production" else State(other, reported)
    if exact:
        current, low, high = reported.current, reported.min, reported.max
    fresh = outcome(lambda: unit_state("u", band, low, high, current, 0))
    told = outcome(lambda: unit_state("u", band, low, high, current, 0, target))
    assert told == fresh  # equal values, or the same error
    if exact and other.max == 0.0:
        assert told is target  # and nothing built again
    if isinstance(fresh, State):
        flexibility = getattr(fresh, band)
        assert math.copysign(1.0, flexibility.min) == 1.0  # no -0.0 slips through
        assert math.copysign(1.0, flexibility.current) == 1.0
