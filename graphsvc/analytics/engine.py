"""A compact in-memory path engine: the same answers as ``paths.k_best_paths``, fast on big graphs.

Storage
-------
The tie graph is held as CSR arrays and nothing else: ``indptr`` (int64, one per person plus
one), ``indices`` (int32, two per tie: each undirected tie is stored in both directions) and
``costs`` (float64, two per tie). That is 24 bytes per tie plus 8 per person (see
``memory_bytes``), against roughly 500 bytes per tie for a networkx graph with attribute dicts.
Costs stay float64 *on purpose*: the reference adds Python floats along a path, and float32
storage would change sums, orderings and the ``<=`` of the detour rule. People are numbered in
the sorted order of their ids, so comparing tuples of indices is the same as comparing tuples of
ids: the reference's last tie-break (the tuple of node ids) costs nothing. The engine is built
once (``from_graph`` for a networkx tie graph, ``from_arrays`` for node ids plus edge arrays, so
big graphs never need networkx) and is read-only afterwards, hence safe to share between threads.

Query: bounded best-first search (A*) with exact hop-bounded lower bounds
------------------------------------------------------------------------
1. *Reverse ball around the target.* A hop-layered Bellman-Ford from the target set, limited to
   ``max_hops - 1`` hops and vectorised over the CSR arrays, gives for every node ``v`` and every
   budget ``r`` the cheapest cost ``H_r(v)`` of a walk from ``v`` to a target with at most ``r``
   ties (``inf`` outside the ``r``-hop ball). Only nodes whose bound improved in the previous
   layer are pushed again, so the work is the sum of degrees inside the ball. ``H_r`` is finite
   exactly when the node is within ``r`` hops of a target: the same pruning as the reference's
   BFS ball, and in addition a lower bound on the cost of every completion (walks include all
   simple paths, so the bound ignores no valid path).
2. *Best-first over partial paths, ordered by* ``f = cost so far + H_remaining(node)``. The
   sources are those the reference keeps (in the graph, not a target, not avoided). Their ties
   are turned around once per set of sources (``FirstHops``: for every person they know, which
   of them know that person, at what cost), so the first layer is one heap entry per person
   within reach, under the cheapest source that knows them; that person's other sources follow
   one at a time, each under the person's bound as tightened so far. These are exactly the
   partial paths expanding every source would give, without touching every source's whole row
   for every query (a team of 200 whose rows hold 20,000 people each). Expanding a partial
   path takes the node's CSR slice in one vectorised
   step: neighbours outside the ball of the remaining hops, avoided people, starts and nodes
   already on the path are dropped, the children's costs are computed as ``cost + tie`` (the
   very float operation of the reference) and the detour rule is applied exactly as the
   reference does it (``direct <= extended - prefix[i]`` for every earlier node, the direct tie
   found by binary search in the sorted CSR slice). The children enter the heap lazily, one
   sibling at a time, and are sorted by ``f`` ``CHUNK`` at a time (a partition picks the
   cheapest, the rest wait unsorted and are pruned by the limit known when they come up): a
   hub with thousands of neighbours costs one partition, not a sort and thousands of pushes.
   A node's completions (its row filtered to the people who can still reach a target, with
   their bounds) are computed once per query, and the cheapest of them becomes the node's
   bound for every other prefix that reaches it: an entry pushed under the looser bound waits
   in the heap under the tighter one instead of being expanded again. Twenty members who all
   know one well-connected person expand that person once, not twenty times.
3. *Pruning that keeps the answer exact.* (a) Once ``k`` complete paths are known, every
   partial path whose ``f`` exceeds the k-th cost (plus a 1e-9 relative margin that absorbs the
   rounding of summing in another order) can only lead to worse paths, and the search stops when
   the heap's minimum exceeds it. (b) Detour look-ahead (only with ``drop_detours``): if an
   earlier node ``p`` of the path has a direct tie to the target whose cost is below the lower
   bound of the stretch ``p .. target`` of every completion (again with the margin), every
   completion is a detour the reference drops, so the partial path is dropped now. With several
   targets the largest direct cost to them is used, and only when ``p`` knows all of them. This
   is what stops hubs from exploding: without it a source that knows the target directly
   forces an enumeration of its whole 3-hop neighbourhood only to drop every path at the end.
4. *Result.* The complete paths found are ranked by ``(cost, hops, node ids)`` and the first
   ``k`` returned as ``RankedPath``.

Why it equals the reference
---------------------------
The reference yields, best first, every simple path from a start to the first target it
reaches, of at most ``max_hops`` ties, that avoids starts and avoided people inside and is not a
detour; with non-negative costs a best-first search pops complete paths in the order of
``(cost, hops, node ids)`` (a proper prefix always has a smaller key), so ``k_best_paths`` returns
the ``k`` smallest such keys. The engine checks exactly the same conditions, computing costs and
detour comparisons with the same float operations in the same order, so its set of valid paths
and their costs are bit-for-bit the same. Its pruning only removes partial paths that cannot
complete within the hop limit, can only complete as detours, or can only complete with a cost
above the current k-th (all three proven by a lower bound with a safety margin far above the
rounding error), so every path among the ``k`` smallest keys is found; ranking by the same key
then gives the same list in the same order. ``drop_detours=False`` skips the detour rule and
gives the plain k best simple paths under the same hop limit, source and avoid rules. Ties
cost nothing to break because node indices follow the sorted ids; heap ties are broken by an
insertion counter, so runs and processes give identical answers.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
from typing import Any, Callable, Hashable, Iterable, Sequence

import numpy as np

from graphsvc.analytics.paths import RankedPath

__all__ = ["HyperedgePathEngine", "PathEngine"]

_INF = math.inf


def _margin(value: float) -> float:
    """Slack for comparing a lower bound summed in another order with an exact float sum."""
    return 1e-9 * (1.0 + abs(value))


#: Children of one expansion are sorted this many at a time (the cheapest first): a hub's
#: thousands of children cost a partition, and only those the search reaches are ever sorted.
#: Each later batch of the same children is twice as large as the one before, so a hub whose
#: children the search does reach costs O(n log n) in partitions, not O(n^2 / CHUNK).
CHUNK = 32


def _sorted_chunk(
    nodes: np.ndarray, gs: np.ndarray, fs: np.ndarray, limit: float, path: tuple, prefix: tuple, size: int = CHUNK
) -> tuple | None:
    """A heap batch of the cheapest ``size`` children (by ``f``, ties in node order), the others
    kept unsorted as its ``rest`` (taken ``2 * size`` at a time); None when no child is within
    ``limit``."""
    if limit < _INF:
        within = (fs <= limit).nonzero()[0]
        if len(within) < len(fs):
            nodes, gs, fs = nodes[within], gs[within], fs[within]
    if not len(fs):
        return None
    rest = None
    if len(fs) > size:
        part = fs.argpartition(size - 1)
        head, tail = np.sort(part[:size]), part[size:]
        rest = (nodes[tail], gs[tail], fs[tail], 2 * size)
        nodes, gs, fs = nodes[head], gs[head], fs[head]
    rank = fs.argsort(kind="stable")
    return nodes[rank].tolist(), gs[rank].tolist(), fs[rank].tolist(), path, prefix, rest


#: A hyperedge engine derives a row only for the people who can still reach a target when they
#: are fewer than 1/ROW_AMONG_FRACTION of everyone (and the whole row is not cached already).
ROW_AMONG_FRACTION = 4
#: ... and looks up at most this many ties of one person pair by pair (the detour rule).
PAIR_LOOKUPS = 16
#: Heads known only through left-out ties that ``connects`` looks past before it propagates
#: bounds instead.
TWO_HOP_LOOKUPS = 64


def _target_set(target: Hashable | Iterable[Hashable]) -> set[Hashable]:
    """``target`` as a set: one id (a string is one id) or several."""
    if isinstance(target, str):
        return {target}
    try:
        return set(target)  # type: ignore[arg-type]
    except TypeError:
        return {target}


class FirstHops:
    """The sources' ties turned around: for every person the sources know (a *head*), the
    cheapest cost at which one of them knows that person, and, when the search first reaches
    the head, which sources know them at what cost (the head's own ties to the sources: a tie
    is the same from both ends). Built once per set of sources and reused by every query from
    them (a team's 200 members start nearly every search of a view): the search's first layer
    is then one entry per head, ordered by its cheapest source, instead of every source's whole
    row (a member's row at team scale holds ~20,000 people, everyone at every large event they
    attended)."""

    __slots__ = ("heads", "head_min", "_sources_of", "_groups", "_entries")

    #: Sources kept per set of sources for the heads reached so far (then forgotten, all at once).
    KEPT_ENTRIES = 2_000_000

    def __init__(
        self, n: int, rows: Iterable[tuple[np.ndarray, np.ndarray]], sources_of: Callable[[int], tuple[np.ndarray, np.ndarray]]
    ) -> None:
        best = np.full(n, _INF)
        for neighbours, costs in rows:
            if len(neighbours):  # a row names each neighbour once
                best[neighbours] = np.minimum(best[neighbours], costs)
        self.heads = np.flatnonzero(best < _INF)
        self.head_min = best[self.heads]
        self._sources_of = sources_of
        self._groups: dict[int, tuple[list[int], list[float]]] = {}
        self._entries = 0

    def group(self, position: int) -> tuple[list[int], list[float]]:
        """(sources, costs) of the head at ``position``, cheapest first (ties in source order)."""
        found = self._groups.get(position)
        if found is None:
            sources, costs = self._sources_of(int(self.heads[position]))
            rank = np.argsort(costs, kind="stable")
            found = (sources[rank].tolist(), costs[rank].tolist())
            if self._entries > self.KEPT_ENTRIES:
                self._groups, self._entries = {}, 0
            self._groups[position] = found
            self._entries += len(rank)
        return found


class PathEngine:
    """Immutable CSR copy of a tie graph answering ``k_best_paths`` queries (see the module docstring)."""

    __slots__ = ("ids", "index", "indptr", "indices", "costs", "_n", "_ties", "_first_hops")

    def __init__(self, ids: list[Hashable], indptr: np.ndarray, indices: np.ndarray, costs: np.ndarray) -> None:
        # Internal: use from_graph / from_arrays (ids must be sorted, adjacency sorted and symmetric).
        self.ids = ids
        self.index = {node: i for i, node in enumerate(ids)}
        self.indptr = indptr
        self.indices = indices
        self.costs = costs
        self._n = len(ids)
        self._ties = len(indices) // 2
        self._first_hops: dict[tuple[int, ...], FirstHops] = {}

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_graph(cls, graph: Any, weight: str = "cost") -> "PathEngine":
        """From an undirected networkx graph whose edges carry a non-negative ``weight`` (tie_graph's ``cost``)."""
        if graph.is_directed() or graph.is_multigraph():
            raise ValueError("PathEngine needs an undirected simple graph (nx.Graph)")
        node_ids = list(graph)
        position = {node: i for i, node in enumerate(node_ids)}
        m = graph.number_of_edges()
        u = np.empty(m, dtype=np.int64)
        v = np.empty(m, dtype=np.int64)
        cost = np.empty(m, dtype=np.float64)
        count = 0
        for a, b, w in graph.edges(data=weight):
            if a == b:
                continue
            if w is None:
                raise ValueError(f"edge ({a!r}, {b!r}) has no {weight!r} attribute")
            u[count] = position[a]
            v[count] = position[b]
            cost[count] = w
            count += 1
        return cls.from_arrays(node_ids, u[:count], v[:count], cost[:count])

    @classmethod
    def from_arrays(
        cls,
        node_ids: Sequence[Hashable],
        u: Sequence[int] | np.ndarray,
        v: Sequence[int] | np.ndarray,
        cost: Sequence[float] | np.ndarray,
    ) -> "PathEngine":
        """From node ids and undirected ties given once each: ``(node_ids[u[i]], node_ids[v[i]])`` costs ``cost[i]``.

        Ids must be distinct and mutually orderable (they are sorted, for the tie-break);
        self-loops are ignored (no simple path uses them); a tie given twice is an error.
        """
        n = len(node_ids)
        if n >= 2**31 - 1:
            raise ValueError("too many nodes for int32 indices")
        order = sorted(range(n), key=node_ids.__getitem__)
        ids = [node_ids[i] for i in order]
        if any(a == b for a, b in zip(ids, ids[1:])):
            raise ValueError("node ids must be distinct")
        rank = np.empty(n, dtype=np.int64)
        rank[np.asarray(order, dtype=np.int64)] = np.arange(n, dtype=np.int64)
        u = np.asarray(u, dtype=np.int64)
        v = np.asarray(v, dtype=np.int64)
        cost = np.asarray(cost, dtype=np.float64)
        if not (u.shape == v.shape == cost.shape) or u.ndim != 1:
            raise ValueError("u, v and cost must be 1-d arrays of the same length")
        if len(u) and (min(u.min(), v.min()) < 0 or max(u.max(), v.max()) >= n):
            raise ValueError("edge endpoint out of range")
        if not np.all(np.isfinite(cost)) or np.any(cost < 0):
            raise ValueError("costs must be finite and non-negative (cost = -log(strength), 0 < strength <= 1)")
        keep = u != v
        u, v, cost = rank[u[keep]], rank[v[keep]], cost[keep]
        lo, hi = np.minimum(u, v), np.maximum(u, v)
        keys = np.sort(lo * n + hi)
        if np.any(keys[1:] == keys[:-1]):
            raise ValueError("a tie is given more than once")
        rows = np.concatenate([lo, hi])
        cols = np.concatenate([hi, lo])
        both = np.concatenate([cost, cost])
        perm = np.argsort(rows * n + cols)  # keys are distinct, so any sort gives the same order
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
        return cls(ids, indptr, cols[perm].astype(np.int32), np.ascontiguousarray(both[perm]))

    # ------------------------------------------------------------------ facts
    @property
    def node_count(self) -> int:
        return self._n

    @property
    def tie_count(self) -> int:
        return self._ties

    def __contains__(self, node: object) -> bool:
        return node in self.index

    def memory_bytes(self) -> int:
        """Bytes held by the CSR arrays (the id list and id -> index dict are Python objects on top)."""
        return int(self.indptr.nbytes + self.indices.nbytes + self.costs.nbytes)

    def degree(self, node: Hashable) -> int:
        i = self.index[node]
        return int(self.indptr[i + 1] - self.indptr[i])

    # ------------------------------------------------------------------ query
    def k_best_paths(
        self,
        sources: Iterable[Hashable],
        target: Hashable | Iterable[Hashable],
        *,
        k: int = 3,
        max_hops: int = 3,
        avoid: Iterable[Hashable] = (),
        drop_detours: bool = True,
    ) -> list[RankedPath]:
        """The ``k`` best paths, exactly as ``graphsvc.analytics.paths.k_best_paths`` ranks them.

        ``drop_detours=False`` gives the plain k cheapest simple paths of at most ``max_hops``
        ties (same source, target-set and avoid rules, same tie-breaks).
        """
        if k <= 0:
            return []
        setup = self._setup(sources, target, max_hops, avoid)
        if setup is None:
            return []
        targets, target_set, candidates, bounds, first, live, f0 = setup
        n = self._n
        forbidden = np.zeros(n, dtype=bool)
        forbidden[candidates] = True  # sources are never inside a path (blocked: never reached)
        direct = self._direct_to_targets(targets) if drop_detours else None

        finite = [np.flatnonzero(bound < _INF) for bound in bounds]  # per layer, sorted
        best: list[tuple[float, int, tuple[int, ...]]] = []
        limit = _INF
        counter = itertools.count()
        # The first layer: one entry per head (a person some source knows), under its cheapest
        # source; a head's other sources follow one at a time (a member batch: (position,
        # sources, costs, bound)). Expanding a source would give the very same partial paths.
        first_bound = bounds[max_hops - 1]
        first_batch = _sorted_chunk(live, np.zeros(len(live)), f0, _INF, None, None)
        heap: list[tuple[float, int, tuple, int]] = []
        if first_batch is not None:
            heap.append((first_batch[2][0], next(counter), first_batch, 0))
        masked = self._masked_pairs()
        # Per query: a node's completions once computed (its row filtered to the people who can
        # still reach a target, their tie costs and bounds), keyed by (node, hops left).
        expanded: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        while heap:
            f, _, batch, i = heapq.heappop(heap)
            if f > limit:
                break
            if len(batch) == 4 or batch[3] is None:
                # a first hop: source -> head
                if len(batch) == 4:
                    position, sources, costs, h = batch
                else:
                    nodes, _, fs, _, _, rest = batch
                    if i + 1 < len(nodes):
                        heapq.heappush(heap, (fs[i + 1], next(counter), batch, i + 1))
                    elif rest is not None:
                        rest_nodes, rest_gs, rest_fs, size = rest
                        following = _sorted_chunk(rest_nodes, rest_gs, rest_fs, limit, None, None, size)
                        if following is not None:
                            heapq.heappush(heap, (following[2][0], next(counter), following, 0))
                    position, i = nodes[i], 0
                    sources, costs = first.group(position)
                    h = float(first_bound[first.heads[position]])
                    batch = (position, sources, costs, h)
                node = int(first.heads[position])
                now = first_bound[node]  # tightened once the head was expanded for a cheaper source
                if now > h:
                    h = now
                    batch = (position, sources, costs, h)
                    if costs[i] + h > f:
                        if costs[i] + h <= limit:
                            heapq.heappush(heap, (costs[i] + h, next(counter), batch, i))
                        continue
                if i + 1 < len(sources):
                    heapq.heappush(heap, (costs[i + 1] + h, next(counter), batch, i + 1))
                source, g = sources[i], costs[i]
                if masked and node in masked.get(source, ()):
                    continue
                if direct is not None and max_hops > 1 and h > 0.0:
                    d = direct[source]
                    if d < _INF and (g - 0.0) + h > d + _margin(d):
                        continue  # the source knows every target better than any path through here
                parent_path, parent_prefix = (source,), (0.0,)
            else:
                nodes, gs, fs, parent_path, parent_prefix, rest = batch
                if i + 1 < len(nodes):
                    heapq.heappush(heap, (fs[i + 1], next(counter), batch, i + 1))
                elif rest is not None:
                    rest_nodes, rest_gs, rest_fs, size = rest
                    following = _sorted_chunk(rest_nodes, rest_gs, rest_fs, limit, parent_path, parent_prefix, size)
                    if following is not None:
                        heapq.heappush(heap, (following[2][0], next(counter), following, 0))
                node, g = nodes[i], gs[i]
            path = parent_path + (node,)
            prefix = parent_prefix + (g,)
            if node in target_set:
                bisect.insort(best, (g, len(path) - 1, path))
                if len(best) > k:
                    best.pop()
                if len(best) == k:
                    limit = best[-1][0] + _margin(best[-1][0])
                continue
            # Expand: children at position len(path) with `remaining - 1` hops left after them.
            remaining = max_hops - (len(path) - 1)
            if parent_path:
                # The node's bound may have been tightened since this entry was pushed (another
                # prefix expanded it first): wait in the heap under the true bound, or go.
                now = g + bounds[remaining][node]
                if now > f:
                    if now <= limit:
                        heapq.heappush(heap, (now, next(counter), ([node], [g], [now], parent_path, parent_prefix, None), 0))
                    continue
            completions = expanded.get((node, remaining))
            if completions is None:
                completions = self._completions(node, bounds[remaining - 1], finite[remaining - 1])
                expanded[(node, remaining)] = completions
                if parent_path and len(completions[0]):
                    # The cheapest completion bounds every later visit of this node (any prefix):
                    # a tighter, still exact-safe bound, so later prefixes need not expand it.
                    tight = float(np.min(completions[1] + completions[2]))
                    tight -= _margin(tight)
                    if tight > bounds[remaining][node]:
                        bounds[remaining][node] = tight
                elif parent_path:
                    bounds[remaining][node] = _INF
            neighbours, child_costs, h = completions
            if not len(neighbours):
                continue
            ok = ~forbidden[neighbours]
            for earlier in parent_path:
                ok &= neighbours != earlier
            extended = g + child_costs
            if drop_detours:
                for j, earlier in enumerate(parent_path):
                    ok &= ~(self._tie_costs(earlier, neighbours) <= extended - prefix[j])
                inner = h > 0.0
                if remaining > 1:
                    for j, earlier in enumerate(path):
                        d = direct[earlier]
                        if d < _INF:
                            ok &= ~(inner & ((extended - prefix[j]) + h > d + _margin(d)))
            f_children = extended + h
            if limit < _INF:
                ok &= f_children <= limit
            chosen = np.flatnonzero(ok)
            if not len(chosen):
                continue
            child_batch = _sorted_chunk(neighbours[chosen], extended[chosen], f_children[chosen], limit, path, prefix)
            if child_batch is not None:
                heapq.heappush(heap, (child_batch[2][0], next(counter), child_batch, 0))
        ids = self.ids
        return [RankedPath(tuple(ids[x] for x in p), cost) for cost, _, p in best]

    def connects(
        self, sources: Iterable[Hashable], target: Hashable | Iterable[Hashable], *, max_hops: int = 3, avoid: Iterable[Hashable] = ()
    ) -> bool:
        """Whether ``k_best_paths`` (any ``k``, detours dropped or not) finds at least one path.

        That is whether some target is within ``max_hops`` ties of some source, going around
        the other sources and the avoided: the hop bounds are finite exactly there, so no search
        is needed. Dropping detours never empties the answer (shortcutting a detour gives a
        shorter path that is valid too, and the shortest is no detour)."""
        if max_hops >= 2 and self._two_hops(sources, target, avoid):
            return True
        return self._setup(sources, target, max_hops, avoid) is not None

    def _two_hops(self, sources: Iterable[Hashable], target: Hashable | Iterable[Hashable], avoid: Iterable[Hashable]) -> bool:
        """Whether someone a source knows (a head of the sources' ``FirstHops``) knows a target:
        a path of two ties, going around the other sources, the avoided and the targets. The
        question the single-point-of-failure check asks is nearly always answered so, from the
        first layer the query built and the target's row, without propagating bounds over
        everyone (8 ms at team scale, 0.6 here). A head some source knows only through a
        left-out tie is no way in (the first layer is read from the rows before ties are left
        out; the target's row leaves them out)."""
        masked = self._masked_pairs()
        index = self.index
        wanted = _target_set(target)
        targets = sorted(index[t] for t in wanted if t in index)
        blocked = {index[b] for b in set(avoid) - wanted if b in index}
        candidates = sorted({index[s] for s in sources if s in index} - set(targets) - blocked)
        if not targets or not candidates:
            return False
        first = self._first_layer(candidates)
        heads = first.heads
        if not len(heads):
            return False
        outside = np.asarray(sorted(blocked | set(candidates) | set(targets)), dtype=np.int64)
        looked = 0
        for t in targets:
            neighbours = self._row(t)[0]
            neighbours = neighbours[~np.isin(neighbours, outside)]
            at = np.minimum(np.searchsorted(heads, neighbours), len(heads) - 1)
            for position in at[heads[at] == neighbours].tolist():
                head = int(heads[position])
                if head not in masked or any(source not in masked[head] for source in first.group(position)[0]):
                    return True
                looked += 1
                if looked >= TWO_HOP_LOOKUPS:
                    return False  # the bounds answer it
        return False

    # ------------------------------------------------------------------ helpers
    def _setup(
        self, sources: Iterable[Hashable], target: Hashable | Iterable[Hashable], max_hops: int, avoid: Iterable[Hashable]
    ) -> tuple[np.ndarray, set[int], list[int], list[np.ndarray], FirstHops, np.ndarray, np.ndarray] | None:
        """(targets, target set, sources, hop bounds, the sources' first hops, the positions of
        the heads a search may go through and their bounds), or None when no source can reach
        a target."""
        wanted = _target_set(target)
        blocked_ids = set(avoid) - wanted
        index = self.index
        target_list = sorted(index[t] for t in wanted if t in index)
        if max_hops <= 0 or not target_list:
            return None
        targets = np.asarray(target_list, dtype=np.int64)
        target_set = set(target_list)
        blocked = [index[b] for b in blocked_ids if b in index]
        blocked_set = set(blocked)
        candidates = sorted({index[s] for s in set(sources) if s in index} - target_set - blocked_set)
        if not candidates:
            return None
        # Sources and avoided people are never inside a path: the bounds go around them.
        excluded = np.asarray(sorted(set(candidates) | blocked_set), dtype=np.int64)
        bounds = self._hop_bounds(targets, max_hops - 1, excluded)
        first = self._first_layer(candidates)
        h = bounds[max_hops - 1][first.heads]  # inf for sources and the avoided (excluded)
        live = np.flatnonzero(h < _INF)
        masked = self._masked_pairs()
        if masked and len(live):
            # a head some source knows only through a left-out tie is no way in
            touched = np.asarray(sorted(set().union(*masked.values())), dtype=np.int64)
            drop = [
                j
                for j in np.flatnonzero(np.isin(first.heads[live], touched)).tolist()
                if all(int(first.heads[live[j]]) in masked.get(m, ()) for m in first.group(int(live[j]))[0])
            ]
            if drop:
                live = np.delete(live, drop)
        if not len(live):
            return None
        return targets, target_set, candidates, bounds, first, live, first.head_min[live] + h[live]

    def _first_layer(self, candidates: list[int]) -> FirstHops:
        """The ``FirstHops`` of ``candidates`` (kept for the last few sets of sources)."""
        key = tuple(candidates)
        first = self._first_hops.get(key)
        if first is None:
            among = np.asarray(candidates, dtype=np.int64)

            def sources_of(head: int) -> tuple[np.ndarray, np.ndarray]:
                neighbours, costs = self._row(head)
                at = np.minimum(np.searchsorted(among, neighbours), len(among) - 1)
                known = among[at] == neighbours
                return neighbours[known], costs[known]

            first = FirstHops(self._n, (self._row(c) for c in candidates), sources_of)
            if len(self._first_hops) >= 4:
                self._first_hops.clear()
            self._first_hops[key] = first
        return first

    def _masked_pairs(self) -> dict[int, set[int]]:
        """Ties left out for this engine's queries, both ways (none on a CSR engine)."""
        return {}

    def _completions(self, node: int, after: np.ndarray, reachable: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(neighbours that can still reach a target, their tie costs, their bounds ``after``)."""
        neighbours, tie_costs = self._row(node)
        if not len(neighbours):
            return neighbours, tie_costs, tie_costs
        if len(reachable) * 8 < len(neighbours):
            # few people can still reach a target (the last hops): look them up in the row
            # instead of scanning it; positions come out ascending either way
            at = np.minimum(neighbours.searchsorted(reachable), len(neighbours) - 1)
            keep = at[neighbours[at] == reachable]
        else:
            keep = (after[neighbours] < _INF).nonzero()[0]
        neighbours = neighbours[keep]
        h = after[neighbours]
        live = h < _INF  # a bound tightened to inf during the search: nobody to reach from there
        if not live.all():
            keep, neighbours, h = keep[live], neighbours[live], h[live]
        return neighbours, tie_costs[keep], h

    def _row(self, node: int) -> tuple[np.ndarray, np.ndarray]:
        """(neighbours sorted, tie costs) of ``node``."""
        lo, hi = self.indptr[node], self.indptr[node + 1]
        return self.indices[lo:hi], self.costs[lo:hi]

    def _gather(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """CSR positions of all ties of ``rows`` (concatenated) and each row's degree."""
        first = self.indptr[rows]
        lengths = self.indptr[rows + 1] - first
        total = int(lengths.sum())
        if total == 0:
            return np.empty(0, dtype=np.int64), lengths
        shift = np.repeat(first - (np.cumsum(lengths) - lengths), lengths)
        return shift + np.arange(total, dtype=np.int64), lengths

    def _hop_bounds(self, targets: np.ndarray, layers: int, excluded: np.ndarray) -> list[np.ndarray]:
        """``H[r][v]``: cheapest walk from v to a target with at most r ties that passes none of
        ``excluded`` (inf beyond r hops, and for the excluded themselves)."""
        current = np.full(self._n, _INF)
        current[targets] = 0.0
        bounds = [current]
        changed = targets
        for _ in range(layers):
            following = current.copy()
            if len(changed):
                positions, lengths = self._gather(changed)
                if len(positions):
                    values = self.costs[positions] + np.repeat(current[changed], lengths)
                    np.minimum.at(following, self.indices[positions], values)
            following[excluded] = _INF
            changed = np.flatnonzero(following < current)
            bounds.append(following)
            current = following
        return bounds

    def _direct_to_targets(self, targets: np.ndarray) -> np.ndarray:
        """Per node: the largest cost of its direct ties to the targets if it knows them all, else inf."""
        positions, lengths = self._gather(targets)
        neighbours = self.indices[positions]
        values = self.costs[positions]
        if len(targets) == 1:
            direct = np.full(self._n, _INF)
            direct[neighbours] = values
            return direct
        count = np.bincount(neighbours, minlength=self._n)
        largest = np.full(self._n, -_INF)
        np.maximum.at(largest, neighbours, values)
        return np.where(count == len(targets), largest, _INF)

    def _tie_costs(self, node: int, others: np.ndarray) -> np.ndarray:
        """Cost of the tie between ``node`` and each of ``others`` (inf where there is none)."""
        adjacency, costs = self._row(node)
        if not len(adjacency):
            return np.full(len(others), _INF)
        at = adjacency.searchsorted(others)
        np.minimum(at, len(adjacency) - 1, out=at)
        return np.where(adjacency[at] == others, costs[at], _INF)


class HyperedgePathEngine(PathEngine):
    """``PathEngine`` over ``Ties``: the same search, with a person's ties derived when the search
    first reaches them instead of read from a materialised graph.

    Rows come from ``Ties.row`` (direct parts, every event and organization the person shares,
    accumulated per neighbour). Near the targets, where the next hop can only be one of few
    people, a row not derived yet is derived for those people only (``Ties.row_among``: an
    event's other attendees are never read; the entries are bit for bit the whole row's), and
    the detour rule asks a few ties pair by pair (``Ties.strengths``). The hop-layered bounds around the target are exact for one hop
    (the targets' own rows) and, beyond, propagated through the evidence without expanding any
    event (``Ties.spread``): exactly along direct pairs, and along events and organizations with
    ``Ties.shared_lower_bounds``, the least a tie without direct evidence can cost either of
    its people. A bound is finite exactly when the person is within ``r`` ties of a target, as
    on the materialised graph; only how tight the bound is differs, never which paths are valid, so the
    answers are the reference's (see the module docstring and tests/test_hyperedges.py).
    """

    __slots__ = ("tie_index", "_masked", "_masked_rows", "_masked_sets", "_among_of")

    def __init__(self, ties: Any) -> None:
        self.tie_index = ties
        arrays = ties.arrays
        self.ids = arrays.ids
        self.index = arrays.index
        self._n = arrays.n
        empty = np.zeros(0, dtype=np.int64)
        self.indptr, self.indices, self.costs = np.zeros(self._n + 1, dtype=np.int64), empty, np.zeros(0)
        self._ties = -1
        self._masked: dict[int, np.ndarray] = {}
        self._masked_rows: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # per query: a masked engine lives for one
        self._masked_sets: dict[int, set[int]] = {}
        self._among_of: tuple[np.ndarray, Any] | None = None
        self._first_hops: dict[tuple[int, ...], FirstHops] = {}

    def without(self, pairs: Iterable[tuple[Hashable, Hashable]]) -> "HyperedgePathEngine":
        """The same engine with the ties of ``pairs`` left out (for one query: the engine itself is
        shared and never changes). Intro answers use it to look for introductions around a weak
        direct tie."""
        masked: dict[int, set[int]] = {}
        for a, b in pairs:
            if a in self.index and b in self.index:
                masked.setdefault(self.index[a], set()).add(self.index[b])
                masked.setdefault(self.index[b], set()).add(self.index[a])
        engine = HyperedgePathEngine(self.tie_index)
        engine._masked = {node: np.asarray(sorted(others), dtype=np.int64) for node, others in masked.items()}
        engine._masked_sets = {node: set(others) for node, others in masked.items()}
        engine._first_hops = self._first_hops  # unmasked rows: the left-out ties are skipped by the search
        return engine

    def connects(
        self, sources: Iterable[Hashable], target: Hashable | Iterable[Hashable], *, max_hops: int = 3, avoid: Iterable[Hashable] = ()
    ) -> bool:
        # Left-out ties are honoured by the rows but not by the propagated bounds: those stay
        # exact reachability only while every left-out tie touches a source or an avoided
        # person (whom the bounds go around anyway), as the weak direct ties intros leave out do.
        # A source who is also a target is not gone around: a tie touching them does not count.
        if max_hops >= 2 and self._two_hops(sources, target, avoid):
            return True
        if self._masked:
            index = self.index
            wanted = _target_set(target)
            outside = {index[x] for x in (*sources, *avoid) if x in index and x not in wanted}
            if not all(node in outside or others.size == 0 or set(others.tolist()) <= outside for node, others in self._masked.items()):
                return bool(self.k_best_paths(sources, target, k=1, max_hops=max_hops, avoid=avoid))
        return self._setup(sources, target, max_hops, avoid) is not None

    @property
    def tie_count(self) -> int:
        raise NotImplementedError("a hyperedge engine does not enumerate its ties")

    def memory_bytes(self) -> int:
        return 0

    def degree(self, node: Hashable) -> int:
        return len(self.tie_index.row(self.index[node])[0])

    def _completions(self, node: int, after: np.ndarray, reachable: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        # A row not derived yet, of someone whose next hops lead to few people (the last layers
        # of a search), is derived for those people only: combining a hub's ties to everyone at
        # every event it attended, to keep a handful, is most of a query's time otherwise.
        if node in self._masked or len(reachable) * ROW_AMONG_FRACTION >= self._n or self.tie_index.cached_row(node) is not None:
            return super()._completions(node, after, reachable)
        neighbours, strengths = self.tie_index.row_among(node, self._among(reachable))
        h = after[neighbours]
        live = h < _INF  # a bound tightened to inf during the search: nobody to reach from there
        return neighbours[live], -np.log(strengths[live]), h[live]

    def _among(self, reachable: np.ndarray) -> Any:
        """``Ties.among(reachable)``, kept for the arrays of one query."""
        known = self._among_of  # read once: another thread may replace it
        if known is not None and known[0] is reachable:
            return known[1]
        among = self.tie_index.among(reachable)
        self._among_of = (reachable, among)
        return among

    def _tie_costs(self, node: int, others: np.ndarray) -> np.ndarray:
        # the detour rule asks about a few people (the targets, the next hop's children): their
        # pairs' strengths, unless the whole row is at hand anyway
        if len(others) > PAIR_LOOKUPS or node in self._masked or self.tie_index.cached_row(node) is not None:
            return super()._tie_costs(node, others)
        strengths = self.tie_index.strengths(np.full(len(others), node, dtype=np.int64), others)
        with np.errstate(divide="ignore"):
            return np.where(strengths > 0.0, -np.log(strengths), _INF)

    def _row(self, node: int) -> tuple[np.ndarray, np.ndarray]:
        neighbours, _, costs = self.tie_index.row_with_costs(node)
        masked = self._masked.get(node)
        if masked is not None:
            row = self._masked_rows.get(node)
            if row is None:
                keep = ~np.isin(neighbours, masked)
                row = self._masked_rows[node] = (neighbours[keep], costs[keep])
            return row
        return neighbours, costs

    def _hop_bounds(self, targets: np.ndarray, layers: int, excluded: np.ndarray) -> list[np.ndarray]:
        current = np.full(self._n, _INF)
        current[targets] = 0.0
        bounds = [current]
        if layers >= 1:
            following = current.copy()
            for t in targets.tolist():
                neighbours, costs = self._row(t)
                np.minimum.at(following, neighbours, costs)
            following[excluded] = _INF
            bounds.append(following)
            current = following
        for _ in range(layers - 1):
            following = np.minimum(current, self.tie_index.spread(current))
            following[excluded] = _INF
            bounds.append(following)
            current = following
        return bounds

    def _first_layer(self, candidates: list[int]) -> FirstHops:
        # from the unmasked rows, shared with the engine this one was made from ``without``
        key = tuple(candidates)
        first = self._first_hops.get(key)
        if first is None:
            ties = self.tie_index
            among = ties.among(np.asarray(candidates, dtype=np.int64))

            def sources_of(head: int) -> tuple[np.ndarray, np.ndarray]:
                neighbours, strengths = ties.row_among(head, among)  # the same floats as the sources' rows
                return neighbours, -np.log(strengths)

            first = FirstHops(self._n, (ties.row_with_costs(c)[::2] for c in candidates), sources_of)
            if len(self._first_hops) >= 4:
                self._first_hops.clear()
            self._first_hops[key] = first
        return first

    def _masked_pairs(self) -> dict[int, set[int]]:
        return self._masked_sets

    def _direct_to_targets(self, targets: np.ndarray) -> np.ndarray:
        rows = [self._row(t) for t in targets.tolist()]
        if len(rows) == 1:
            direct = np.full(self._n, _INF)
            direct[rows[0][0]] = rows[0][1]
            return direct
        count = np.zeros(self._n, dtype=np.int64)
        largest = np.full(self._n, -_INF)
        for neighbours, costs in rows:
            count[neighbours] += 1
            np.maximum.at(largest, neighbours, costs)
        return np.where(count == len(rows), largest, _INF)
