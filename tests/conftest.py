"""Shared fixtures: a small seed-style hierarchy and a way to run coroutines per runtime."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import pytest

from massca.compat.runtimes import RUNTIMES, loop_for
from massca.model import Hierarchy, cells_hierarchy


@pytest.fixture(params=RUNTIMES)
def runtime_kind(request: pytest.FixtureRequest) -> str:
    """Each test that takes this fixture runs once per agent runtime (the conformance suite)."""
    return str(request.param)


def run_on(runtime_kind: str, coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run ``coroutine`` on the event loop that ``runtime_kind`` needs."""
    with asyncio.Runner(loop_factory=loop_for(runtime_kind)) as runner:
        return runner.run(coroutine)


@pytest.fixture
def small_hierarchy() -> Hierarchy:
    """Three cells of 4 loads + 2 generators, two intermediate controllers each."""
    return cells_hierarchy(cells=3, depth=2, loads=4, generators=2)
