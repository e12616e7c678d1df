"""Network structure: brokers, communities and reach, on the graph of real ties.

Structure is computed on ties of at least ``min_strength`` (default 0.1), so that the
near-weightless cliques of large events and big organizations do not drown the signal.

The algorithms work on arrays (``StructuralTies``: sorted person ids, each undirected tie once as
``u < v`` with its strength), never on a networkx graph; ``structural_ties(view, min_strength)``
is the one adapter from a tie view to those arrays. Figures and defaults are in
docs/performance.md, "Structure at scale".

* Brokers: betweenness on distances ``-log(strength)`` (python-igraph's Brandes, in C). Exact
  (normalised as networkx's ``betweenness_centrality(normalized=True)``, equal to it) up to
  ``sample_above`` people (2,000); above, a seeded estimate from ``k`` sampled sources
  (``default_sources``: about 3.5 s of work, at least 64 and at most 1,000 sources), scaled as
  networkx scales its ``k`` estimate, and with the same sources networkx would pick for the
  same seed. With Burt's constraint and effective size (weight = strength, equal to networkx's)
  for the people shown: low constraint and high effective size mean access to non-redundant
  circles.
* Communities: Louvain (igraph's multilevel) with a seed, on weight = strength, labelled by
  their dominant organizations and events.
* Reach: how many people are within two hops.

Determinism: sources are drawn with ``random.Random(seed)``; igraph's random numbers come from a
``random.Random(seed)`` installed for the duration of one call (under a lock, as igraph's
generator is process-wide); edges are in ``(u, v)`` order and ids sorted, so nothing depends on
Python's per-process string hash salt.
"""

from __future__ import annotations

import bisect
import math
import random
import threading
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import igraph
    import networkx as nx
    from graphsvc.analytics.strength import TieView

__all__ = [
    "Broker",
    "Community",
    "StructuralTies",
    "betweenness_of",
    "broker_details",
    "broker_details_of",
    "broker_ranking",
    "broker_ranking_of",
    "brokers",
    "brokers_of",
    "communities",
    "communities_of",
    "constraint_of",
    "default_sources",
    "effective_size_of",
    "partition_of",
    "reach",
    "reach_of",
    "structural_graph",
    "structural_ties",
]

#: Above this many people, betweenness is estimated from sampled sources.
SAMPLE_ABOVE = 2000
#: Work budget of the sampled estimate, in (people + 2 × ties) summed over sources: one source
#: costs 45-70 ns per unit on the reference machine (46 ms on the 36,000-person, 311,000-tie team
#: graph of benchmarks/structure_bench.py), so 5e7 is about 3.5 s on one core there (76 sources).
SOURCE_WORK = 50_000_000
MIN_SOURCES = 64
MAX_SOURCES = 1000


@dataclass(frozen=True)
class Broker:
    person_id: str
    betweenness: float
    constraint: float
    effective_size: float
    communities_bridged: int


@dataclass(frozen=True)
class Community:
    index: int
    members: tuple[str, ...]
    organizations: tuple[tuple[str, int], ...]  # (organization, members there), most first
    events: tuple[tuple[str, int], ...]  # (event id, members who attended), most first


@dataclass(frozen=True, eq=False)
class StructuralTies:
    """The ties structure looks at, as arrays.

    ``ids`` are the person ids, sorted; a person's index is their position. Each undirected tie
    is there once, ``u[i] < v[i]``, ties in ``(u, v)`` order, with its ``strength`` in (0, 1].
    ``of`` builds one from ties in any order and orientation.
    """

    ids: list[str]
    u: np.ndarray  # int32
    v: np.ndarray  # int32
    strength: np.ndarray  # float64

    @classmethod
    def of(cls, ids: Iterable[str], u: Any, v: Any, strength: Any) -> StructuralTies:
        """Canonical ties: ``ids`` sorted (the indices in ``u``, ``v`` refer to ``ids`` as given), ``u < v``, in ``(u, v)`` order."""
        given = list(ids)
        order = sorted(range(len(given)), key=given.__getitem__)
        rank = np.empty(len(given), dtype=np.int64)
        rank[np.asarray(order, dtype=np.int64)] = np.arange(len(given), dtype=np.int64)
        a = rank[np.asarray(u, dtype=np.int64)] if len(given) else np.asarray(u, dtype=np.int64)
        b = rank[np.asarray(v, dtype=np.int64)] if len(given) else np.asarray(v, dtype=np.int64)
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        s = np.asarray(strength, dtype=np.float64)
        by = np.lexsort((hi, lo))
        return cls([given[i] for i in order], lo[by].astype(np.int32), hi[by].astype(np.int32), s[by])

    @property
    def people(self) -> int:
        return len(self.ids)

    @property
    def ties(self) -> int:
        return len(self.u)

    @cached_property
    def cost(self) -> np.ndarray:
        """Distance of each tie for shortest paths: ``-log(strength)``."""
        return -np.log(self.strength)

    def index(self, person: str) -> int | None:
        at = bisect.bisect_left(self.ids, person)
        return at if at < len(self.ids) and self.ids[at] == person else None

    @cached_property
    def csr(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(indptr, neighbour, strength)``: the neighbours of ``i`` are ``neighbour[indptr[i]:indptr[i + 1]]``, ascending."""
        n = self.people
        rows = np.concatenate([self.u, self.v]).astype(np.int64)
        cols = np.concatenate([self.v, self.u]).astype(np.int64)
        weight = np.concatenate([self.strength, self.strength])
        order = np.lexsort((cols, rows))
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
        return indptr, cols[order], weight[order]

    @cached_property
    def degree(self) -> np.ndarray:
        return np.diff(self.csr[0])

    @cached_property
    def total_strength(self) -> np.ndarray:
        """Sum of the strengths of each person's ties."""
        return np.bincount(np.concatenate([self.u, self.v]), weights=np.concatenate([self.strength, self.strength]), minlength=self.people)

    @cached_property
    def strongest(self) -> np.ndarray:
        """Strength of each person's strongest tie (0 without ties)."""
        result = np.zeros(self.people)
        np.maximum.at(result, self.u, self.strength)
        np.maximum.at(result, self.v, self.strength)
        return result

    @cached_property
    def graph(self) -> igraph.Graph:
        """The same ties as an undirected igraph graph, edge ``i`` = tie ``i``."""
        edges = np.column_stack([self.u, self.v]).astype(np.int64)
        import igraph  # loaded when structure is first asked for: it costs a CLI's start 0.1 s

        return igraph.Graph(n=self.people, edges=edges, directed=False)


def structural_ties(view: TieView, min_strength: float = 0.1) -> StructuralTies:
    """The ties of ``view`` of at least ``min_strength``, workspace members always among the people.

    The one adapter between a tie view and structure; cached in ``view.cache``. A view that can
    hand out its ties as arrays (``view.structural_ties(min_strength)``, ``(ids, u, v, strength)``
    or a ``StructuralTies``) is used as it is.
    """
    key = ("structural-ties", min_strength)
    cached = view.cache.get(key)
    if cached is not None:
        return cached  # type: ignore[return-value]
    if hasattr(view, "structural_ties"):
        handed = view.structural_ties(min_strength)  # the core's arrays: (ids, u, v, strength) or StructuralTies
        ties = handed if isinstance(handed, StructuralTies) else StructuralTies.of(*handed)
    else:
        kept = [(a, b, d["strength"]) for a, b, d in view.graph.edges(data=True) if d["strength"] >= min_strength]
        ids = sorted({*view.snap.members, *(a for a, _, _ in kept), *(b for _, b, _ in kept)})
        index = {person: i for i, person in enumerate(ids)}
        ties = StructuralTies.of(
            ids,
            np.fromiter((index[a] for a, _, _ in kept), dtype=np.int64, count=len(kept)),
            np.fromiter((index[b] for _, b, _ in kept), dtype=np.int64, count=len(kept)),
            np.fromiter((s for _, _, s in kept), dtype=np.float64, count=len(kept)),
        )
    view.cache[key] = ties
    return ties


def structural_graph(view: TieView, min_strength: float = 0.1) -> tuple[nx.Graph, list[str]]:
    """The ties of at least ``min_strength`` as a networkx graph on integer nodes (index into the ids), with the ids.

    For callers that want networkx; structure itself works on ``structural_ties``. Edges carry
    ``strength`` and ``cost``; integer nodes keep networkx's set iterations independent of the
    per-process string hash salt.
    """
    key = ("structural", min_strength)
    cached = view.cache.get(key)
    if cached is not None:
        return cached  # type: ignore[return-value]
    ties = structural_ties(view, min_strength)
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(range(ties.people))
    graph.add_edges_from(
        (int(a), int(b), {"strength": float(s), "cost": float(c)}) for a, b, s, c in zip(ties.u, ties.v, ties.strength, ties.cost)
    )
    view.cache[key] = (graph, ties.ids)
    return graph, ties.ids


# --- igraph's random numbers -------------------------------------------------------------------

_RNG_LOCK = threading.Lock()


class _SeededIgraph:
    """Within ``with``: igraph draws from ``random.Random(seed)``; the default generator after."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def __enter__(self) -> None:
        _RNG_LOCK.acquire()
        import igraph

        igraph.set_random_number_generator(random.Random(self.seed))

    def __exit__(self, *exc: object) -> None:
        try:
            import igraph

            igraph.set_random_number_generator(random)
        finally:
            _RNG_LOCK.release()


# --- betweenness -------------------------------------------------------------------------------


def default_sources(people: int, ties: int) -> int:
    """How many sampled sources the estimate uses on a graph of this size: ``SOURCE_WORK`` of work, within [64, 1000]."""
    return max(MIN_SOURCES, min(MAX_SOURCES, SOURCE_WORK // max(1, people + 2 * ties)))


def betweenness_of(ties: StructuralTies, *, seed: int = 0, sample_above: int = SAMPLE_ABOVE, sources: int | None = None) -> np.ndarray:
    """Normalised betweenness of every person on distances ``-log(strength)``.

    Exact (equal to networkx's ``betweenness_centrality(G, weight="cost", normalized=True)``) up
    to ``sample_above`` people; above, estimated from ``sources`` sampled sources (default
    ``default_sources``), the sources and the scaling being those of networkx's
    ``betweenness_centrality(G, k=sources, seed=seed, ...)`` on the integer-labelled graph.
    """
    n = ties.people
    result = np.zeros(n)
    if n <= 2 or ties.ties == 0:
        return result
    graph, cost = ties.graph, ties.cost.tolist()
    if n <= sample_above:
        # igraph counts each unordered pair once, as networkx before normalising.
        raw = np.asarray(graph.betweenness(directed=False, weights=cost), dtype=np.float64)
        return raw * (2.0 / ((n - 1) * (n - 2)))
    k = min(n, sources if sources is not None else default_sources(n, ties.ties))
    chosen = random.Random(seed).sample(range(n), k)
    # igraph halves subset betweenness on undirected graphs; networkx sums ordered pairs.
    raw = 2.0 * np.asarray(graph.betweenness(directed=False, weights=cost, sources=chosen), dtype=np.float64)
    scale = np.full(n, 1.0 / (k * (n - 2)))
    scale[chosen] = 1.0 / ((k - 1) * (n - 2)) if k > 1 else math.nan
    return raw * scale


def broker_ranking_of(
    ties: StructuralTies,
    members: Collection[str] = (),
    *,
    seed: int = 0,
    sample_above: int = SAMPLE_ABOVE,
    sources: int | None = None,
    include_members: bool = False,
) -> list[tuple[str, float]]:
    """``(person id, betweenness)`` of everyone with betweenness above zero, highest first (then by id); ``members`` left out unless ``include_members``."""
    scores = betweenness_of(ties, seed=seed, sample_above=sample_above, sources=sources)
    keep = scores > 0
    if not include_members:
        for person in members:
            at = ties.index(person)
            if at is not None:
                keep[at] = False
    nodes = np.flatnonzero(keep)
    ids = ties.ids
    return sorted(((ids[i], float(scores[i])) for i in nodes), key=lambda t: (-t[1], t[0]))


# --- Burt's constraint and effective size ------------------------------------------------------


def _ego(ties: StructuralTies, node: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Around ``node``: its neighbours ``nb`` and tie strengths ``w``, and every tie between two
    neighbours in both directions as positions ``(i, j)`` into ``nb`` with strength ``wij``."""
    indptr, neighbour, strength = ties.csr
    lo, hi = indptr[node], indptr[node + 1]
    nb, w = neighbour[lo:hi], strength[lo:hi]
    starts, counts = indptr[nb], indptr[nb + 1] - indptr[nb]
    total = int(counts.sum())
    owner = np.repeat(np.arange(len(nb)), counts)  # position in nb of each arc's tail
    offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    arcs = np.repeat(starts, counts) + offsets
    heads = neighbour[arcs]
    at = np.searchsorted(nb, heads)
    inside = (at < len(nb)) & (nb[np.minimum(at, len(nb) - 1)] == heads)
    return nb, w, owner[inside], at[inside], strength[arcs][inside]


def constraint_of(ties: StructuralTies, nodes: Sequence[int]) -> np.ndarray:
    """Burt's constraint of each of ``nodes`` (weight = strength), as networkx's ``constraint``; NaN if isolated.

    ``c(v) = Σ_j (p_vj + Σ_q p_vq p_qj)²`` over neighbours ``j`` and ``q``, ``p_xy`` = strength of
    ``xy`` / total strength of ``x``.
    """
    result = np.full(len(nodes), math.nan)
    for k, node in enumerate(nodes):
        if ties.degree[node] == 0:
            continue
        nb, w, i, j, wij = _ego(ties, int(node))
        p = w / w.sum()
        totals = ties.total_strength[nb]
        indirect = np.bincount(j, weights=p[i] * wij / totals[i], minlength=len(nb))
        result[k] = float(np.sum((p + indirect) ** 2))
    return result


def effective_size_of(ties: StructuralTies, nodes: Sequence[int]) -> np.ndarray:
    """Burt's effective size of each of ``nodes`` (weight = strength), as networkx's ``effective_size``; NaN if isolated.

    ``e(v) = Σ_j (1 - Σ_q p_vq m_jq)`` over neighbours ``j`` and ``q``, ``m_jq`` = strength of
    ``jq`` / strongest tie of ``j``.
    """
    result = np.full(len(nodes), math.nan)
    for k, node in enumerate(nodes):
        if ties.degree[node] == 0:
            continue
        nb, w, i, j, wij = _ego(ties, int(node))
        p = w / w.sum()
        maxima = ties.strongest[nb]
        # arcs (i -> j) cover both directions, so summing p_vq m_jq over (j=i, q=j) is complete.
        result[k] = float(len(nb) - np.sum(p[j] * wij / maxima[i]))
    return result


# --- communities -------------------------------------------------------------------------------


def partition_of(ties: StructuralTies, *, seed: int = 0, resolution: float = 1.0) -> np.ndarray:
    """Community number of every person: Louvain (igraph multilevel, weight = strength), seeded.

    Numbers are dense from 0, in order of each community's first person; isolated people are
    communities of one.
    """
    if ties.people == 0:
        return np.zeros(0, dtype=np.int64)
    with _SeededIgraph(seed):
        found = ties.graph.community_multilevel(weights=ties.strength.tolist(), resolution=resolution)
    raw = np.asarray(found.membership, dtype=np.int64)
    _, first, inverse = np.unique(raw, return_index=True, return_inverse=True)
    renumber = np.empty(len(first), dtype=np.int64)
    renumber[np.argsort(np.argsort(first))] = np.arange(len(first))
    return renumber[inverse]


def _partition(view: TieView, ties: StructuralTies, seed: int, resolution: float, min_strength: float) -> np.ndarray:
    key = ("structural-partition", min_strength, seed, resolution)
    cached = view.cache.get(key)
    if cached is None:
        cached = view.cache[key] = partition_of(ties, seed=seed, resolution=resolution)
    return cached  # type: ignore[return-value]


def communities_of(ties: StructuralTies, *, seed: int = 0, resolution: float = 1.0, min_size: int = 2) -> list[list[str]]:
    """Communities as sorted lists of person ids, largest first (then by first id), of at least ``min_size`` people."""
    return _groups(ties, partition_of(ties, seed=seed, resolution=resolution), min_size)


def _groups(ties: StructuralTies, membership: np.ndarray, min_size: int) -> list[list[str]]:
    if len(membership) == 0:
        return []
    order = np.argsort(membership, kind="stable")  # ids are sorted, so each group comes out sorted
    bounds = np.flatnonzero(np.diff(membership[order])) + 1
    ids = ties.ids
    groups = [[ids[i] for i in chunk] for chunk in np.split(order, bounds) if len(chunk) >= min_size]
    return sorted(groups, key=lambda p: (-len(p), p[0]))


def communities(view: TieView, *, seed: int = 0, resolution: float = 1.0, min_strength: float = 0.1, min_size: int = 2) -> list[Community]:
    """Louvain communities, largest first, each labelled by organizations and events."""
    ties = structural_ties(view, min_strength)
    ordered = _groups(ties, _partition(view, ties, seed, resolution, min_strength), min_size)
    where = {person: index for index, people in enumerate(ordered) for person in people}
    organizations: list[Counter[str]] = [Counter() for _ in ordered]
    for person, organization in view.snap.organization.items():
        index = where.get(person)
        if index is not None:
            organizations[index][organization] += 1
    events: list[Counter[str]] = [Counter() for _ in ordered]
    for event, attendees in view.snap.attendees.items():
        for person in attendees:
            index = where.get(person)
            if index is not None:
                events[index][event] += 1
    return [
        Community(
            index,
            tuple(people),
            tuple(sorted(organizations[index].items(), key=lambda t: (-t[1], t[0]))[:3]),
            tuple(sorted(((e, c) for e, c in events[index].items() if c >= 2), key=lambda t: (-t[1], t[0]))[:3]),
        )
        for index, people in enumerate(ordered)
    ]


# --- brokers -----------------------------------------------------------------------------------


def broker_details_of(ties: StructuralTies, ranked: Sequence[tuple[str, float]], membership: np.ndarray) -> list[Broker]:
    """``Broker`` rows for ``(person id, betweenness)`` entries; ``membership`` is ``partition_of``'s."""
    if not ranked:
        return []
    chosen = []
    for person, _ in ranked:
        at = ties.index(person)
        if at is None:
            raise KeyError(person)
        chosen.append(at)
    constraint = constraint_of(ties, chosen)
    effective = effective_size_of(ties, chosen)
    indptr, neighbour, _ = ties.csr
    result = []
    for k, (node, (person, score)) in enumerate(zip(chosen, ranked)):
        around = membership[neighbour[indptr[node] : indptr[node + 1]]]
        bridged = len(set(around.tolist()) | {int(membership[node])})
        result.append(Broker(person, score, float(constraint[k]), float(effective[k]), bridged))
    return result


def brokers_of(
    ties: StructuralTies,
    members: Collection[str] = (),
    *,
    top: int = 20,
    seed: int = 0,
    sample_above: int = SAMPLE_ABOVE,
    sources: int | None = None,
    include_members: bool = False,
    resolution: float = 1.0,
) -> list[Broker]:
    """The ``top`` brokers of ``ties`` with their details: ``broker_ranking_of`` then ``broker_details_of``."""
    ranked = broker_ranking_of(ties, members, seed=seed, sample_above=sample_above, sources=sources, include_members=include_members)
    if not ranked[:top]:
        return []
    return broker_details_of(ties, ranked[:top], partition_of(ties, seed=seed, resolution=resolution))


def brokers(
    view: TieView, *, top: int = 20, seed: int = 0, min_strength: float = 0.1, sample_above: int = SAMPLE_ABOVE, include_members: bool = False
) -> list[Broker]:
    """People who bridge otherwise separate circles, by betweenness (highest first).

    Workspace members are left out unless ``include_members``: in a graph built from the
    team's own exports the team is central by construction, and the question is who *else*
    connects circles.
    """
    ranking = broker_ranking(view, seed=seed, min_strength=min_strength, sample_above=sample_above, include_members=include_members)
    return broker_details(view, ranking[:top], seed=seed, min_strength=min_strength)


def broker_ranking(
    view: TieView, *, seed: int = 0, min_strength: float = 0.1, sample_above: int = SAMPLE_ABOVE, include_members: bool = False
) -> list[tuple[str, float]]:
    """``(person id, betweenness)`` of everyone who lies on shortest paths between others, highest first.

    The cheap half of ``brokers``: constraint and effective size cost far more per person, so a
    client paging through the ranking pays for them page by page (``broker_details``).
    """
    ties = structural_ties(view, min_strength)
    return broker_ranking_of(ties, view.snap.members, seed=seed, sample_above=sample_above, include_members=include_members)


def broker_details(view: TieView, ranked: list[tuple[str, float]], *, seed: int = 0, min_strength: float = 0.1) -> list[Broker]:
    """``Broker`` rows (constraint, effective size, communities bridged) for entries of ``broker_ranking``."""
    if not ranked:
        return []
    ties = structural_ties(view, min_strength)
    return broker_details_of(ties, ranked, _partition(view, ties, seed, 1.0, min_strength))


def reach_of(ties: StructuralTies, node: int, *, hops: int = 2) -> int:
    """How many people are within ``hops`` ties of person ``node`` (an index)."""
    indptr, neighbour, _ = ties.csr
    seen = np.zeros(ties.people, dtype=bool)
    seen[node] = True
    frontier = np.array([node], dtype=np.int64)
    for _ in range(hops):
        if len(frontier) == 0:
            break
        counts = indptr[frontier + 1] - indptr[frontier]
        arcs = np.repeat(indptr[frontier], counts) + (np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts))
        found = np.unique(neighbour[arcs])
        frontier = found[~seen[found]]
        seen[frontier] = True
    return int(seen.sum()) - 1


def reach(view: TieView, person: str, *, hops: int = 2, min_strength: float = 0.1) -> int:
    """How many people are within ``hops`` of ``person`` on real ties."""
    ties = structural_ties(view, min_strength)
    at = ties.index(person)
    return 0 if at is None else reach_of(ties, at, hops=hops)
