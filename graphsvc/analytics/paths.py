"""Warm introduction paths: the k best simple paths within a hop limit, by product of strengths.

The best path maximises the product of its ties' strengths, i.e. minimises the sum of
``-log(strength)`` (the edge attribute ``cost``). With a hop limit of 2-4 an exact best-first
search over partial paths is both simple and fast: a breadth-first ball around the target
prunes every partial path that can no longer reach it within the remaining hops, and because
costs are non-negative, complete paths leave the priority queue in order of cost. Ties are
broken by hop count and then by the node ids, so answers are deterministic.

Paths never take a detour that a direct tie beats: when two people on a path know each other
directly at least as strongly as the stretch between them (``cost(u, w) <= cost of the
stretch u .. w``), the path is dropped, because skipping the detour is both shorter and at
least as strong. (A connector who knows the target introduces directly.) Without this rule a
10-person workshop yields eight near-copies of every path through it (A -> W_i -> T for each
attendee W_i), crowding out genuinely different routes; with it, a weak direct tie (an
800-person conference) still leaves room for a stronger warm path. The rule is exact under
best-first search: a detour in a partial path stays a detour in every extension of it.
"""

from __future__ import annotations

import heapq
import itertools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Iterator

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["RankedPath", "diverse_paths", "is_detour", "iter_best_paths", "k_best_paths"]


@dataclass(frozen=True)
class RankedPath:
    nodes: tuple[str, ...]
    cost: float

    @property
    def strength(self) -> float:
        return math.exp(-self.cost)

    @property
    def hops(self) -> int:
        return len(self.nodes) - 1


def k_best_paths(
    graph: nx.Graph,
    sources: Iterable[str],
    target: str | Iterable[str],
    *,
    k: int = 3,
    max_hops: int = 3,
    avoid: Iterable[str] = (),
    weight: str = "cost",
) -> list[RankedPath]:
    """The ``k`` cheapest simple paths from any of ``sources`` to ``target`` with at most ``max_hops`` edges.

    ``target`` is one node or a set of nodes (everyone at an organization): a path ends at the
    first target it reaches. Sources never appear inside a path (a path through a teammate
    starts at that teammate), nor do the people in ``avoid``; paths a direct tie beats are
    dropped (see the module docstring).

    >>> import networkx as nx
    >>> g = nx.Graph()
    >>> g.add_edge("me", "a", cost=0.1); g.add_edge("a", "t", cost=0.1); g.add_edge("me", "t", cost=1.0)
    >>> [p.nodes for p in k_best_paths(g, ["me"], "t", k=2)]
    [('me', 'a', 't'), ('me', 't')]
    """
    if k <= 0:
        return []
    return list(itertools.islice(iter_best_paths(graph, sources, target, max_hops=max_hops, avoid=avoid, weight=weight), k))


def iter_best_paths(
    graph: nx.Graph,
    sources: Iterable[str],
    target: str | Iterable[str],
    *,
    max_hops: int = 3,
    avoid: Iterable[str] = (),
    weight: str = "cost",
) -> Iterator[RankedPath]:
    """Paths as ``k_best_paths`` ranks them, best first, lazily (for filters such as diversity)."""
    targets = {target} if isinstance(target, str) else set(target)
    blocked = set(avoid) - targets
    targets = {t for t in targets if t in graph}
    if max_hops <= 0 or not targets:
        return
    distance = hop_distances(graph, targets, max_hops)
    starts = sorted({s for s in sources if s in distance and s not in targets and s not in blocked})
    start_set = set(starts)
    # Queue entries: (cost, hops, path, cost of the path up to each of its nodes).
    queue: list[tuple[float, int, tuple[str, ...], tuple[float, ...]]] = [(0.0, 0, (s,), (0.0,)) for s in starts]
    heapq.heapify(queue)
    while queue:
        cost, hops, path, prefix = heapq.heappop(queue)
        node = path[-1]
        if node in targets:
            yield RankedPath(path, cost)
            continue
        for neighbour, attrs in graph[node].items():
            if neighbour in start_set or neighbour in blocked or neighbour in path:
                continue
            if hops + 1 + distance.get(neighbour, max_hops + 1) > max_hops:
                continue
            extended = cost + attrs[weight]
            neighbour_ties = graph[neighbour]
            if any(
                earlier in neighbour_ties and neighbour_ties[earlier][weight] <= extended - prefix[i]
                for i, earlier in enumerate(path[:-1])
            ):
                continue  # a direct tie beats this detour
            heapq.heappush(queue, (extended, hops + 1, path + (neighbour,), prefix + (extended,)))


def hop_distances(graph: nx.Graph, roots: Iterable[str], cutoff: int) -> dict[str, int]:
    """Hops from the nearest of ``roots`` to every node within ``cutoff`` hops (breadth-first)."""
    distance = {r: 0 for r in roots}
    frontier = list(distance)
    for depth in range(1, cutoff + 1):
        following = []
        for node in frontier:
            for neighbour in graph[node]:
                if neighbour not in distance:
                    distance[neighbour] = depth
                    following.append(neighbour)
        frontier = following
    return distance


def diverse_paths(paths: Iterable[RankedPath], k: int) -> list[RankedPath]:
    """The first ``k`` paths that share no intermediary with a path taken before them."""
    taken: list[RankedPath] = []
    used: set[str] = set()
    for path in paths:
        middle = set(path.nodes[1:-1])
        if middle & used:
            continue
        taken.append(path)
        used |= middle
        if len(taken) == k:
            break
    return taken


def is_detour(graph: nx.Graph, nodes: tuple[str, ...], weight: str = "cost") -> bool:
    """Whether a direct tie between two people of ``nodes`` beats the stretch between them."""
    prefix = [0.0]
    for a, b in zip(nodes, nodes[1:]):
        prefix.append(prefix[-1] + graph[a][b][weight])
    return any(
        graph.has_edge(nodes[i], nodes[j]) and graph[nodes[i]][nodes[j]][weight] <= prefix[j] - prefix[i]
        for i in range(len(nodes))
        for j in range(i + 2, len(nodes))
    )
