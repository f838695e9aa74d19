"""The agents on mango-agents 2.x: in one container (`MangoRuntime`), or spread over
worker processes that hold whole cells, talking through mango's TCP containers
(`ProcessRuntime`).

Modules: `local` (one container), `processes` (the coordinator's side of many),
`worker` (a worker process), `wire` (what crosses between processes, and its codec),
`containers` (mango's TCP container with the defects of mango 2.4 that bite massca worked
around). Which worker holds which cells: `massca.compat.spread`.
"""

from massca.compat.mango.local import LOOPBACK, MangoRuntime
from massca.compat.mango.processes import ProcessRuntime

__all__ = ["LOOPBACK", "MangoRuntime", "ProcessRuntime"]
