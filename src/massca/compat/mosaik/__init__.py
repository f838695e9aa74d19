"""massca.compat.mosaik: the MAS as a mosaik simulator (``mosaik_api_v3``).

Use ``'python': 'massca.compat.mosaik:MosaikAgents'`` or the prototype's import path
``'python': 'mosaik_components.mas:MosaikAgents'``; for a separate process,
``'cmd': '%(python)s -m massca.compat.mosaik %(addr)s'``.
"""

from massca.compat.mosaik.config import ALIASES, HOOKS, KEYS, MasConfig
from massca.compat.mosaik.simulator import META, MODEL, MosaikAgents

__all__ = ["ALIASES", "HOOKS", "KEYS", "META", "MODEL", "MasConfig", "MosaikAgents"]
