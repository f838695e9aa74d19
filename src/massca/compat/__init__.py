"""Compatibility shells around the actor core: mosaik (simulator API) and mango (agents).

The shells convert and host; every decision stays in `massca.model`.
"""
