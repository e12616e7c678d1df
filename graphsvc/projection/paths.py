"""Intro paths computed inside Neo4j with Cypher, with the answers of the in-memory engine.

``cypher_k_best_paths(store, ws, sources, target, k=3, max_hops=3, avoid=())`` runs **one**
Cypher query over the workspace's derived ``KNOWS`` relationships (``project_knows``) and returns
the same ``RankedPath`` list as ``PathEngine.k_best_paths`` / ``paths.k_best_paths`` on the tie
graph those relationships hold:

* a hop-bounded variable-length match over ``KNOWS`` (read undirected) from the source people to
  the target (or to the first of a set of targets it reaches), all nodes distinct, no source,
  avoided person or target inside the path;
* ``cost = sum of -log(strength)``, summed left to right with ``reduce`` (prefix sums), so the
  product of strengths is maximised;
* the detour rule in Cypher: a path is dropped when two non-adjacent people on it have a direct
  ``KNOWS`` whose cost is ``<=`` the cost of the stretch between them;
* ``ORDER BY cost, hops, node ids`` and a ``LIMIT``.

**KNOWS must hold every tie.** ``project_knows`` keeps only the warm levels by default; the
in-memory tie graph also has co-presence at large events and same-employer ties. For equal
answers project all levels first: ``project_knows(store, ws, as_of, levels=list(EvidenceLevel))``
(and with the same ``as_of`` the in-memory answer is computed for), or ``project_all_knows``
(both in ``graphsvc.projection.knows``), which writes the same ties in batches (large events
make them too many for one transaction of a small Neo4j).

**Speed.** Exact but slow: the match enumerates every path within the hop limit before ranking
(10k people / 100k ties: p50 1.7 s, p95 8.4 s against 0.6 / 0.8 ms in memory; see
``benchmarks/cypher_paths_bench.py``). The in-memory engine stays the serving path.

**Floats.** Neo4j's ``log`` (Java) may differ from Python's ``math.log`` in the last bit, so the
query's order could differ from Python's between paths whose costs are equal or a few ulps apart.
The query therefore returns a few more rows than ``k`` (``LIMIT k + spare``) with each path's
strengths; the costs are then recomputed in Python exactly as the reference does
(``0.0 + c1 + c2 ...`` with ``c = -math.log(strength)``, bit-identical to ``tie_graph``'s
``cost``), and the rows ranked by ``(cost, hops, node ids)``. If the last row returned is within
a 1e-9 relative margin of the k-th cost, rows beyond the limit could tie, so the query is rerun
with a larger limit (rare). What remains is the detour rule's ``<=`` evaluated with Java's
``log``: it could only decide differently for a direct tie whose cost equals the stretch's cost
to the last bit.
"""

from __future__ import annotations

import math
from typing import Any, Hashable, Iterable

from graphsvc.analytics.paths import RankedPath

__all__ = ["cypher_k_best_paths", "k_best_paths_query", "write_tie_graph"]

MAX_HOPS_LIMIT = 6  # the variable-length bound is written into the query text


def k_best_paths_query(max_hops: int) -> str:
    """The Cypher text for ``max_hops`` (the bound of a variable-length pattern cannot be a parameter)."""
    if not isinstance(max_hops, int) or not 1 <= max_hops <= MAX_HOPS_LIMIT:
        raise ValueError(f"max_hops must be an integer from 1 to {MAX_HOPS_LIMIT}")
    return (
        "MATCH (t:Person {workspace: $ws}) WHERE t.id IN $targets "
        "MATCH (s:Person {workspace: $ws}) WHERE s.id IN $starts "
        f"MATCH p = (s)-[:KNOWS*1..{max_hops} {{workspace: $ws}}]-(t) "
        "WITH nodes(p) AS ns, relationships(p) AS rs "
        # no source, avoided person or target inside; all nodes distinct (simple path)
        "WHERE ALL(n IN ns[1..-1] WHERE NOT n.id IN $inner) "
        "AND ALL(i IN range(0, size(ns) - 2) WHERE NONE(j IN range(i + 1, size(ns) - 1) WHERE ns[i] = ns[j])) "
        # prefix sums of the costs, left to right as the reference adds them
        "WITH ns, rs, reduce(acc = [0.0], r IN rs | acc + [acc[-1] + (-log(r.strength))]) AS prefix "
        # the detour rule: a direct tie at least as strong as the stretch it skips drops the path
        "WHERE NONE(i IN range(0, size(ns) - 3) WHERE ANY(j IN range(i + 2, size(ns) - 1) WHERE EXISTS { "
        "  MATCH (a)-[d:KNOWS]-(b) WHERE a = ns[i] AND b = ns[j] AND d.workspace = $ws "
        "  AND -log(d.strength) <= prefix[j] - prefix[i] })) "
        "WITH [n IN ns | n.id] AS ids, [r IN rs | r.strength] AS strengths, prefix[-1] AS cost, size(rs) AS hops "
        "RETURN ids, strengths, cost, hops ORDER BY cost, hops, ids LIMIT $limit"
    )


def _margin(value: float) -> float:
    return 1e-9 * (1.0 + abs(value))


def _python_cost(strengths: list[float]) -> float:
    cost = 0.0
    for strength in strengths:
        cost = cost + -math.log(strength)  # the reference's float operations, in its order
    return cost


def cypher_k_best_paths(
    store: Any,
    workspace_id: str,
    sources: Iterable[Hashable],
    target: Hashable | Iterable[Hashable],
    *,
    k: int = 3,
    max_hops: int = 3,
    avoid: Iterable[Hashable] = (),
    spare: int | None = None,
) -> list[RankedPath]:
    """The ``k`` best intro paths computed by Neo4j over ``KNOWS`` (see the module docstring).

    ``store`` is a ``Neo4jStore`` whose workspace ``KNOWS`` was projected with all levels.
    ``spare`` extra rows are fetched for the float-robust tie-break (default ``max(k, 8)``).
    """
    if k <= 0 or max_hops <= 0:
        return []
    query = k_best_paths_query(max_hops)
    targets = {target} if isinstance(target, str) else set(target)  # type: ignore[arg-type]
    source_set = set(sources)
    blocked = set(avoid) - targets
    starts = sorted(source_set - targets - blocked)
    if not starts or not targets:
        return []
    inner = sorted(source_set | blocked | targets)
    limit = k + (max(k, 8) if spare is None else max(0, spare))
    while True:
        rows = store._read(query, ws=workspace_id, targets=sorted(targets), starts=starts, inner=inner, limit=limit)
        ranked = sorted(
            ((_python_cost(r["strengths"]), len(r["ids"]) - 1, tuple(r["ids"])) for r in rows),
            key=lambda x: (x[0], x[1], x[2]),
        )
        if len(rows) < limit or len(ranked) < k:
            break
        kth = ranked[k - 1][0]
        if rows[-1]["cost"] > kth + _margin(kth):
            break  # every path not returned costs more than the k-th: the ranking is final
        limit *= 4
    return [RankedPath(ids, cost) for cost, _, ids in ranked[:k]]


def write_tie_graph(
    store: Any,
    workspace_id: str,
    ids: list[str],
    ties: Iterable[tuple[str, str, float]],
    *,
    batch: int = 10_000,
) -> int:
    """Write a bare tie graph (benchmarks, tests): ``(:Person {workspace, id})`` per id and one
    ``KNOWS {workspace, strength}`` per ``(a, b, strength)``, pointing from the smaller id, in
    ``UNWIND`` batches. Meant for a fresh workspace holding nothing else. Returns ties written."""
    driver, db = store._driver, store.database
    for start in range(0, len(ids), batch):
        driver.execute_query(
            "UNWIND $ids AS id CREATE (:Person {workspace: $ws, id: id})",
            {"ws": workspace_id, "ids": ids[start:start + batch]}, database_=db,
        )
    rows = [[a, b, float(s)] if a < b else [b, a, float(s)] for a, b, s in ties]
    written = 0
    for start in range(0, len(rows), batch):
        records, _, _ = driver.execute_query(
            "UNWIND $rows AS r MATCH (a:Person {workspace: $ws, id: r[0]}) MATCH (b:Person {workspace: $ws, id: r[1]}) "
            "CREATE (a)-[:KNOWS {workspace: $ws, strength: r[2]}]->(b) RETURN count(*) AS n",
            {"ws": workspace_id, "rows": rows[start:start + batch]}, database_=db,
        )
        written += records[0]["n"]
    return written
