"""Pin the public surface of `massca.model`: a change here is an API change."""

import massca.model

EXPECTED = {
    "MAX_MW",
    "DEFAULT_MERIT_ORDER",
    "ZERO_BAND",
    "Band",
    "Storage",
    "charged",
    "storage_band",
    "AGGREGATION_RTOL",
    "BETWEEN_CELLS",
    "CELLULAR",
    "CIGRE_GENERATORS",
    "CIGRE_LOADS",
    "COORDINATOR_ID",
    "DEFAULT_TOLERANCE",
    "GLOBAL",
    "NO_CHANGE",
    "NO_SHARE",
    "OPTIMAL",
    "PROPORTIONAL",
    "REDISPATCH_RTOL",
    "SEED_MERIT_ORDER",
    "UNLIMITED",
    "WITHIN_CELL",
    "ZERO_FLEXIBILITY",
    "ZERO_STATE",
    "Balance",
    "BetweenCells",
    "CallableBetween",
    "CallableWithin",
    "CellPlan",
    "CellResult",
    "CellView",
    "CellularStrategy",
    "ConfigurationError",
    "Costs",
    "Dispatch",
    "ExchangeLimits",
    "Flexibility",
    "GlobalStrategy",
    "Hierarchy",
    "InfeasibleRedispatchError",
    "Instruction",
    "InvalidStateError",
    "Levels",
    "MasscaError",
    "MeritInstruction",
    "MeritWithin",
    "Node",
    "NodeKind",
    "OptimalStrategy",
    "CohdaStrategy",
    "CohdaWithin",
    "TOPOLOGIES",
    "Order",
    "Plan",
    "ProportionalWithin",
    "ProtocolError",
    "Resource",
    "Settled",
    "Share",
    "State",
    "StepConfig",
    "StepResult",
    "Strategy",
    "TopologyError",
    "WithinCell",
    "aggregate",
    "apply",
    "apply_order",
    "between_cells",
    "canonical",
    "cell_id",
    "cells_hierarchy",
    "checked_dispatch",
    "classify",
    "decompose",
    "dispatch_cost",
    "dispatch_from_targets",
    "instruction_for",
    "merge_levels",
    "merit_instruction",
    "merit_order_of",
    "plan",
    "reference_step",
    "settle",
    "share_of",
    "strategy_from_description",
    "within_cell",
}


def test_the_model_exports_exactly_its_documented_names() -> None:
    assert set(massca.model.__all__) == EXPECTED
    for name in EXPECTED:
        assert hasattr(massca.model, name), name


def test_every_error_derives_from_massca_error() -> None:
    errors = [getattr(massca.model, n) for n in EXPECTED if n.endswith("Error")]
    assert all(issubclass(e, massca.model.MasscaError) for e in errors)


def test_the_model_re_exports_only_the_errors_it_raises() -> None:
    import massca.errors

    model_errors = {n for n in massca.model.__all__ if n.endswith("Error")}
    assert model_errors == {e.__name__ for e in massca.errors.MODEL_ERRORS}
    every = {n for n in massca.errors.__all__ if n.endswith("Error")}
    assert model_errors < every
    assert all(getattr(massca.model, n) is getattr(massca.errors, n) for n in model_errors)
