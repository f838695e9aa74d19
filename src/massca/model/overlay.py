"""Overlays: who talks to whom in a negotiation (COHDA's neighbourhoods).

Belongs here: building the three topologies and checking any overlay. Not here: the
negotiation (`cohda`). An overlay maps each participant to its neighbours, sorted by id;
links are symmetric and every participant reaches every other (a negotiation on a
split overlay never ends with one solution).

* `ring`: each participant linked to the next and the previous one in id order;
* `clique`: everyone linked to everyone;
* `small_world`: the ring plus, for each participant, ``k`` links to participants drawn
  with ``seed`` (`massca.model.seeded`), so that news crosses the ring in a few hops.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from massca.errors import ConfigurationError
from massca.model.seeded import uniforms

__all__ = ["TOPOLOGIES", "Overlay", "check_overlay", "clique", "overlay_of", "ring", "small_world"]

Overlay = Mapping[str, tuple[str, ...]]
TOPOLOGIES = ("ring", "small-world", "clique")


def _overlay(ids: Sequence[str], links: Iterable[tuple[str, str]]) -> dict[str, tuple[str, ...]]:
    neighbours: dict[str, set[str]] = {i: set() for i in ids}
    for a, b in links:
        if a != b:
            neighbours[a].add(b)
            neighbours[b].add(a)
    return {i: tuple(sorted(neighbours[i])) for i in ids}


def ring(ids: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Each participant linked to its successor and predecessor in id order."""
    order = sorted(ids)
    return _overlay(order, ((a, order[(n + 1) % len(order)]) for n, a in enumerate(order)))


def clique(ids: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Everyone linked to everyone."""
    order = sorted(ids)
    return _overlay(order, ((a, b) for a in order for b in order))


def small_world(ids: Iterable[str], k: int = 2, seed: int = 0) -> dict[str, tuple[str, ...]]:
    """The `ring` plus ``k`` links from each participant to others drawn with ``seed``."""
    if isinstance(k, bool) or not isinstance(k, int) or k < 0:
        raise ConfigurationError(f"small world k = {k!r}: give a whole number of links >= 0")
    order = sorted(ids)
    draws = uniforms(seed, len(order) * k, stream=1)
    extra = (
        (a, order[int(draws[n * k + j] * len(order))])
        for n, a in enumerate(order)
        for j in range(k)
    )
    links = [*((a, order[(n + 1) % len(order)]) for n, a in enumerate(order)), *extra]
    return _overlay(order, links)


def overlay_of(topology: str, ids: Iterable[str], k: int = 2, seed: int = 0) -> Overlay:
    """The overlay ``topology`` (one of `TOPOLOGIES`) over ``ids``."""
    if topology == "ring":
        return ring(ids)
    if topology == "clique":
        return clique(ids)
    if topology == "small-world":
        return small_world(ids, k, seed)
    raise ConfigurationError(f"topology {topology!r}: choose one of {', '.join(TOPOLOGIES)}")


def check_overlay(overlay: Mapping[str, Sequence[str]], ids: Iterable[str]) -> None:
    """`ConfigurationError` unless ``overlay`` links exactly the participants ``ids``,
    symmetrically, and every one reaches every other; the message names the first
    participant that breaks a rule."""
    wanted = sorted(ids)
    missing = [i for i in wanted if i not in overlay]
    if missing:
        raise ConfigurationError(f"overlay: participant {missing[0]!r} has no neighbour list")
    for who in wanted:
        for other in overlay[who]:
            if other not in overlay or who not in overlay[other]:
                raise ConfigurationError(
                    f"overlay: {who!r} links to {other!r}, which does not link back"
                )
    if not wanted:
        return
    seen = {wanted[0]}
    frontier = [wanted[0]]
    while frontier:
        for other in overlay[frontier.pop()]:
            if other not in seen:
                seen.add(other)
                frontier.append(other)
    cut_off = [i for i in wanted if i not in seen]
    if cut_off:
        raise ConfigurationError(
            f"overlay: participant {cut_off[0]!r} is not connected to {wanted[0]!r} "
            f"({len(cut_off)} cut off): a negotiation would never reach it"
        )
