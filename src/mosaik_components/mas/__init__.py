"""The prototype's import path, kept working: ``mosaik_components.mas:MosaikAgents``.

``mosaik_components`` is a namespace package shared with other mosaik components (such as
mosaik-pandapower-2's ``mosaik_components.pandapower``), so massca ships only this
sub-package and no ``mosaik_components/__init__.py``.
"""

from massca.compat.mosaik import META, MosaikAgents

__all__ = ["META", "MosaikAgents"]
