"""Pin the public surface of `massca.model`: a change here is an API change."""

import massca.model

EXPECTED = {
    "AGGREGATION_RTOL",
    "CIGRE_GENERATORS",
    "CIGRE_LOADS",
    "COORDINATOR_ID",
    "DEFAULT_TOLERANCE",
    "NO_CHANGE",
    "REDISPATCH_RTOL",
    "SEED_MERIT_ORDER",
    "UNLIMITED",
    "ZERO_FLEXIBILITY",
    "ZERO_STATE",
    "AgentError",
    "Balance",
    "ConfigurationError",
    "ConvergenceError",
    "ExchangeLimits",
    "Flexibility",
    "Hierarchy",
    "InfeasibleRedispatchError",
    "Instruction",
    "InvalidStateError",
    "LogFormatError",
    "MasscaError",
    "Node",
    "NodeKind",
    "Plan",
    "ProtocolError",
    "ReplayDivergenceError",
    "ReplayError",
    "Resource",
    "State",
    "StepConfig",
    "StepResult",
    "StepTimeoutError",
    "TopologyError",
    "aggregate",
    "apply",
    "canonical",
    "cell_id",
    "cells_hierarchy",
    "classify",
    "decide",
    "decompose",
    "instruction_for",
    "plan",
    "reference_step",
}


def test_the_model_exports_exactly_its_documented_names() -> None:
    assert set(massca.model.__all__) == EXPECTED
    for name in EXPECTED:
        assert hasattr(massca.model, name), name


def test_every_error_derives_from_massca_error() -> None:
    errors = [getattr(massca.model, n) for n in EXPECTED if n.endswith("Error")]
    assert all(issubclass(e, massca.model.MasscaError) for e in errors)
