"""Intro-path latency: PathEngine against networkx Yen and the reference search, on seeded networks.

    python benchmarks/paths_bench.py            # 10k people / 100k ties and 100k / 1M (≈ 25 min on 2 cores)
    python benchmarks/paths_bench.py --quick    # small sizes, few queries (≈ 1 min): a smoke run

For each network size it reports build time and memory of the engine (bytes per tie: CSR arrays,
and everything tracemalloc sees, id index included) and of a networkx graph with ``strength``
and ``cost`` on every edge, then p50/p95 latency over seeded queries (a team of 1-5 people
from one community, a target 2 or 3 hops from the team, k=3, max_hops=3):

* ``engine`` — ``PathEngine.k_best_paths`` as the service uses it (detours dropped);
* ``engine (plain)`` — the same with ``drop_detours=False``: plain k best simple paths;
* ``networkx Yen`` — ``nx.shortest_simple_paths(G, S, t, weight="cost")`` from a virtual
  super-source ``S`` joined to the team members by zero-cost edges (added to the graph for the
  query and removed afterwards). Paths are read in Yen's order; a path is kept when it has at most
  ``max_hops`` ties after dropping ``S`` and no other team member inside it, until k are kept.
  Zero-cost edges add exactly 0.0 to every sum, so costs are bit-identical. Its answers are
  compared with ``engine (plain)``: any difference counts as a mismatch. It runs on a subset of
  the queries with a time cap per query (SIGALRM); capped queries count at the cap, so its
  percentiles are then lower bounds, and the report says how many hit the cap;
* ``networkx enumerate`` — ``nx.all_simple_paths(G, member, t, cutoff=max_hops)`` for each team
  member, teammates inside filtered out, ranked by (cost, hops, ids): compared with
  ``engine (plain)`` too;
* ``reference`` — ``graphsvc.analytics.paths.k_best_paths`` on the networkx graph (same subset
  and cap), compared with ``engine`` (detours dropped);
* two stress sets, engine only plus the reference check: ``hub`` queries (the team includes one of the
  0.5% best-connected people, or the target is one) and ``organisation`` queries (the target
  is everyone in a community of 5-300 people, 2-3 hops away).

Every latency is the median of ``--rounds`` runs of the query (engine; baseline and reference
once), measured in this process with the garbage collector's tracked objects frozen after the
graphs are built (a full collection over a million networkx dicts would otherwise land as a
~1 s pause on whichever query triggers it, for both engines). The ratio is baseline / engine
over the same queries. Results go to a table on stdout and JSON in benchmarks/out/.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import platform
import signal
import statistics
import sys
import time
import tracemalloc
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from network import Network, generate  # noqa: E402

from graphsvc.analytics.engine import PathEngine  # noqa: E402
from graphsvc.analytics.paths import k_best_paths  # noqa: E402

K = 3
MAX_HOPS = 3
SUPER_SOURCE = ("__team__",)  # a node id no person can have


class Capped(Exception):
    pass


def _alarm(signum, frame):  # noqa: ARG001
    raise Capped()


def capped_call(seconds: float, fn, *args, **kwargs):
    """(result, elapsed seconds, capped?) with a wall-clock cap enforced by SIGALRM."""
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    start = time.perf_counter()
    try:
        result = fn(*args, **kwargs)
        elapsed = time.perf_counter() - start
        return result, elapsed, False
    except Capped:
        return None, seconds, True
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass
class Query:
    kind: str
    team: list[str]
    target: str | list[str]
    distance: int


@dataclass
class Series:
    name: str
    latencies_ms: list[float] = field(default_factory=list)
    capped: int = 0
    compared: int = 0
    mismatches: int = 0
    mismatch_examples: list = field(default_factory=list)

    def summary(self) -> dict:
        lat = np.asarray(self.latencies_ms, dtype=float)
        if not len(lat):
            return {"name": self.name, "queries": 0}
        return {
            "name": self.name,
            "queries": len(lat),
            "p50_ms": float(np.percentile(lat, 50)),
            "p95_ms": float(np.percentile(lat, 95)),
            "max_ms": float(lat.max()),
            "mean_ms": float(lat.mean()),
            "capped": self.capped,
            "compared": self.compared,
            "mismatches": self.mismatches,
            "mismatch_examples": self.mismatch_examples[:3],
            "capped_count_at_cap_so_percentiles_may_be_lower_bounds": bool(self.capped),
        }


# ---------------------------------------------------------------------------- graphs
def build_networkx(net: Network) -> nx.Graph:
    graph = nx.Graph()
    graph.add_nodes_from(net.ids)
    ids = net.ids
    graph.add_edges_from(
        (ids[a], ids[b], {"strength": s, "cost": c})
        for a, b, s, c in zip(net.u.tolist(), net.v.tolist(), net.strength.tolist(), net.cost.tolist())
    )
    return graph


def traced_bytes(fn):
    """(result, bytes still allocated when fn returns, as tracemalloc counts them)."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        result = fn()
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return result, after - before


# ---------------------------------------------------------------------------- queries
def hop_distances(engine: PathEngine, roots: list[int], cutoff: int) -> np.ndarray:
    dist = np.full(engine.node_count, -1, dtype=np.int64)
    dist[roots] = 0
    frontier = np.asarray(roots, dtype=np.int64)
    for depth in range(1, cutoff + 1):
        positions, _ = engine._gather(frontier)
        following = np.unique(engine.indices[positions]).astype(np.int64)
        following = following[dist[following] < 0]
        dist[following] = depth
        frontier = following
    return dist


def make_queries(engine: PathEngine, net: Network, count: int, seed: int) -> dict[str, list[Query]]:
    """Seeded query sets in engine indices turned to ids: main, hub and organisation queries."""
    rng = np.random.default_rng(seed)
    # engine index of each generated person (engine numbers people in sorted id order)
    engine_index = np.array([engine.index[i] for i in net.ids], dtype=np.int64)
    community = np.empty(engine.node_count, dtype=np.int64)
    community[engine_index] = net.community
    members: dict[int, np.ndarray] = {}
    order = np.argsort(community, kind="stable")
    bounds = np.searchsorted(community[order], np.arange(community.max() + 2))
    for c in range(community.max() + 1):
        members[c] = order[bounds[c] : bounds[c + 1]]
    degree = np.diff(engine.indptr)
    hubs = np.argsort(-degree, kind="stable")[: max(5, engine.node_count // 200)]
    ids = engine.ids

    def team_around(anchor: int) -> list[int]:
        size = int(rng.integers(1, 6))
        pool = members[int(community[anchor])]
        others = [int(x) for x in rng.choice(pool, size=min(len(pool), size + 2), replace=False) if x != anchor]
        return sorted({anchor, *others[: size - 1]})

    def pick_target(team: list[int], allowed=None) -> tuple[int, int] | None:
        dist = hop_distances(engine, team, 3)
        want = int(rng.integers(2, 4))
        for d in (want, 5 - want):
            candidates = np.flatnonzero(dist == d)
            if allowed is not None:
                candidates = np.intersect1d(candidates, allowed)
            if len(candidates):
                return int(rng.choice(candidates)), d
        return None

    sets: dict[str, list[Query]] = {"main": [], "hub": [], "organisation": []}
    while len(sets["main"]) < count:
        anchor = int(rng.integers(engine.node_count))
        if degree[anchor] == 0:
            continue
        team = team_around(anchor)
        found = pick_target(team)
        if found:
            sets["main"].append(Query("main", [ids[x] for x in team], ids[found[0]], found[1]))
    hub_count = max(10, count // 4)
    attempts = 0
    while len(sets["hub"]) < hub_count and attempts < 50 * hub_count:
        attempts += 1
        if len(sets["hub"]) % 2 == 0:  # a hub in the team
            team = team_around(int(rng.choice(hubs)))
            found = pick_target(team)
        else:  # a hub as the target
            anchor = int(rng.integers(engine.node_count))
            if degree[anchor] == 0:
                continue
            team = team_around(anchor)
            found = pick_target(team, allowed=hubs)
        if found:
            sets["hub"].append(Query("hub", [ids[x] for x in team], ids[found[0]], found[1]))
    sizes = np.array([len(members[c]) for c in range(len(members))])
    organisations = np.flatnonzero((sizes >= 5) & (sizes <= 300))
    attempts = 0
    while len(sets["organisation"]) < hub_count and attempts < 50 * hub_count:
        attempts += 1
        org = int(rng.choice(organisations))
        anchor = int(rng.integers(engine.node_count))
        if degree[anchor] == 0 or community[anchor] == org:
            continue
        team = team_around(anchor)
        dist = hop_distances(engine, team, 3)
        reach = dist[members[org]]
        nearest = reach[reach >= 0].min() if np.any(reach >= 0) else -1
        if nearest in (2, 3):
            target = [ids[x] for x in members[org]]
            sets["organisation"].append(Query("organisation", [ids[x] for x in team], target, int(nearest)))
    return sets


# ---------------------------------------------------------------------------- the contenders
def networkx_yen(graph: nx.Graph, team: list[str], target: str, k: int, max_hops: int) -> list[tuple[tuple, float]]:
    """First k paths of Yen's order with at most max_hops ties and no other team member inside."""
    team_set = set(team)
    graph.add_node(SUPER_SOURCE)
    for member in team:
        graph.add_edge(SUPER_SOURCE, member, cost=0.0)
    try:
        kept = []
        for path in nx.shortest_simple_paths(graph, SUPER_SOURCE, target, weight="cost"):
            nodes = tuple(path[1:])
            if len(nodes) - 1 > max_hops or any(n in team_set for n in nodes[1:]):
                continue
            kept.append((nodes, path_cost(graph, nodes)))
            if len(kept) == k:
                break
        return kept
    finally:
        graph.remove_node(SUPER_SOURCE)


def networkx_enumerate(graph: nx.Graph, team: list[str], target: str, k: int, max_hops: int) -> list[tuple[tuple, float]]:
    """Every simple path of at most max_hops ties from each member (nx.all_simple_paths), ranked."""
    team_set = set(team)
    found = []
    for member in sorted(team_set):
        for path in nx.all_simple_paths(graph, member, target, cutoff=max_hops):
            nodes = tuple(path)
            if any(n in team_set for n in nodes[1:]):
                continue
            found.append((path_cost(graph, nodes), len(nodes) - 1, nodes))
    found.sort()
    return [(nodes, cost) for cost, _, nodes in found[:k]]


def path_cost(graph: nx.Graph, nodes: tuple) -> float:
    cost = 0.0
    for a, b in zip(nodes, nodes[1:]):
        cost += graph[a][b]["cost"]
    return cost


def timed_engine(engine: PathEngine, query: Query, rounds: int, drop_detours: bool):
    samples = []
    result = None
    for _ in range(rounds):
        start = time.perf_counter()
        result = engine.k_best_paths(query.team, query.target, k=K, max_hops=MAX_HOPS, drop_detours=drop_detours)
        samples.append(time.perf_counter() - start)
    return result, statistics.median(samples) * 1000


def answers_digest(results) -> str:
    h = hashlib.sha256()
    for paths in results:
        h.update(repr([(p.nodes, p.cost.hex()) for p in paths]).encode())
    return h.hexdigest()[:16]


# ---------------------------------------------------------------------------- one size
def run_size(people: int, ties: int, big: bool, args) -> dict:
    print(f"\n== {people:,} people / {ties:,} ties (seed {args.seed}) ==", flush=True)
    start = time.perf_counter()
    net = generate(people, ties, args.seed)
    generate_s = time.perf_counter() - start
    degree = net.degrees()
    print(
        f"generated in {generate_s:.1f}s: degree median {np.median(degree):.0f}, mean {degree.mean():.1f}, "
        f"p99 {np.percentile(degree, 99):.0f}, max {degree.max()}",
        flush=True,
    )
    builds = []
    for _ in range(3):
        gc.collect()
        start = time.perf_counter()
        engine = PathEngine.from_arrays(net.ids, net.u, net.v, net.cost)
        builds.append(time.perf_counter() - start)
    engine_build_s = min(builds)
    _, engine_traced = traced_bytes(lambda: PathEngine.from_arrays(net.ids, net.u, net.v, net.cost))
    start = time.perf_counter()
    graph = build_networkx(net)
    nx_build_s = time.perf_counter() - start
    del graph
    graph, nx_traced = traced_bytes(lambda: build_networkx(net))
    start = time.perf_counter()
    from_graph = PathEngine.from_graph(graph)
    from_graph_s = time.perf_counter() - start
    assert from_graph.ids == engine.ids and np.array_equal(from_graph.indices, engine.indices)
    assert np.array_equal(from_graph.costs, engine.costs) and np.array_equal(from_graph.indptr, engine.indptr)
    del from_graph
    memory = {
        "engine_array_bytes": engine.memory_bytes(),
        "engine_array_bytes_per_tie": engine.memory_bytes() / net.ties,
        "engine_traced_bytes_per_tie": engine_traced / net.ties,
        "networkx_traced_bytes_per_edge": nx_traced / net.ties,
    }
    print(
        f"engine: built from arrays in {engine_build_s:.2f}s (from the networkx graph {from_graph_s:.2f}s); "
        f"{memory['engine_array_bytes_per_tie']:.1f} B/tie in arrays, {memory['engine_traced_bytes_per_tie']:.1f} B/tie "
        f"with the id index; networkx graph built in {nx_build_s:.1f}s, {memory['networkx_traced_bytes_per_edge']:.0f} B/edge",
        flush=True,
    )

    queries = make_queries(engine, net, args.queries, args.seed + 1)
    main = queries["main"]
    gc.collect()
    gc.freeze()
    for query in main[:20]:  # warm-up
        engine.k_best_paths(query.team, query.target, k=K, max_hops=MAX_HOPS)

    series: dict[str, Series] = {}
    engine_results: dict[bool, list] = {True: [], False: []}
    for drop, name in ((True, "engine"), (False, "engine (plain)")):
        s = series[name] = Series(name)
        for query in main:
            result, ms = timed_engine(engine, query, args.rounds, drop)
            engine_results[drop].append(result)
            s.latencies_ms.append(ms)
    digest = answers_digest(engine_results[True])
    print(f"engine answers digest {digest}", flush=True)

    def compare(name, subset_size, cap, fn, expected):
        """Time ``fn(query)`` on the first ``subset_size`` main queries, alternated with the engine."""
        subset = main[:subset_size]
        s = series[name] = Series(name)
        label = f"  engine on the same {len(subset)}"
        paired = series[f"{label} ({name})"] = Series(label)
        ratios = []
        for i, query in enumerate(subset):
            _, engine_ms = timed_engine(engine, query, args.rounds, expected is engine_results[True])
            paired.latencies_ms.append(engine_ms)
            answer, elapsed, capped = capped_call(cap, fn, query)
            s.latencies_ms.append(elapsed * 1000)
            ratios.append(elapsed * 1000 / engine_ms)
            if capped:
                s.capped += 1
            else:
                s.compared += 1
                ours = expected[i]
                if fn is not reference_fn:
                    ours = [(p.nodes, p.cost) for p in ours]
                if answer != ours:
                    s.mismatches += 1
                    s.mismatch_examples.append({"team": query.team, "target": query.target, "theirs": answer, "engine": ours})
            if (i + 1) % 50 == 0:
                print(f"  {name}: {i + 1}/{len(subset)} queries", flush=True)
        theirs, ours = np.asarray(s.latencies_ms), np.asarray(paired.latencies_ms)
        speedups[name] = {
            "queries": len(subset),
            "capped": s.capped,
            "p50_ratio": float(np.percentile(theirs, 50) / np.percentile(ours, 50)),
            "p95_ratio": float(np.percentile(theirs, 95) / np.percentile(ours, 95)),
            "median_per_query_ratio": float(np.median(ratios)),
            "min_per_query_ratio": float(np.min(ratios)),
        }

    def yen_fn(query):
        return networkx_yen(graph, query.team, query.target, K, MAX_HOPS)

    def enumerate_fn(query):
        return networkx_enumerate(graph, query.team, query.target, K, MAX_HOPS)

    def reference_fn(query):
        return k_best_paths(graph, query.team, query.target, k=K, max_hops=MAX_HOPS)

    speedups: dict[str, dict] = {}
    compare("networkx Yen (plain)", args.yen_queries[big], args.cap, yen_fn, engine_results[False])
    compare("networkx enumerate (plain)", args.enumerate_queries[big], args.cap, enumerate_fn, engine_results[False])
    compare("reference paths.py", args.reference_queries[big], args.cap, reference_fn, engine_results[True])

    s = series["engine, max_hops=4"] = Series("engine, max_hops=4")
    for i, query in enumerate(main):
        samples = []
        for _ in range(args.rounds):
            start = time.perf_counter()
            result = engine.k_best_paths(query.team, query.target, k=K, max_hops=4)
            samples.append(time.perf_counter() - start)
        s.latencies_ms.append(statistics.median(samples) * 1000)
        if i < args.hops4_checks:
            answer, _, capped = capped_call(args.cap, k_best_paths, graph, query.team, query.target, k=K, max_hops=4)
            if capped:
                s.capped += 1
            else:
                s.compared += 1
                s.mismatches += answer != result

    for kind in ("hub", "organisation"):
        s = series[f"engine, {kind} queries"] = Series(f"engine, {kind} queries")
        for query in queries[kind]:
            result, ms = timed_engine(engine, query, args.rounds, True)
            s.latencies_ms.append(ms)
            answer, _, capped = capped_call(args.cap, k_best_paths, graph, query.team, query.target, k=K, max_hops=MAX_HOPS)
            if capped:
                s.capped += 1
                continue
            s.compared += 1
            if answer != result:
                s.mismatches += 1
                s.mismatch_examples.append({"team": query.team, "target": query.target})
    gc.unfreeze()

    report = {
        "people": people,
        "ties": net.ties,
        "generate_s": generate_s,
        "degree": {
            "median": float(np.median(degree)),
            "mean": float(degree.mean()),
            "p99": float(np.percentile(degree, 99)),
            "max": int(degree.max()),
        },
        "engine_build_s": engine_build_s,
        "engine_from_networkx_s": from_graph_s,
        "networkx_build_s": nx_build_s,
        "memory": memory,
        "queries": {kind: len(qs) for kind, qs in queries.items()},
        "query_distance_counts": {str(d): sum(1 for q in main if q.distance == d) for d in (2, 3)},
        "paths_found": {
            "engine": [sum(1 for r in engine_results[True] if len(r) == n) for n in range(K + 1)],
            "engine (plain)": [sum(1 for r in engine_results[False] if len(r) == n) for n in range(K + 1)],
        },
        "engine_answers_digest": digest,
        "series": {name: s.summary() for name, s in series.items()},
        "speedup": speedups,
    }
    print_table(report)
    del graph
    gc.collect()
    return report


def print_table(report: dict) -> None:
    print(f"\n{'series':34} {'queries':>7} {'p50 ms':>10} {'p95 ms':>10} {'max ms':>10} {'capped':>6} {'compared':>8} {'mismatch':>8}")
    for s in report["series"].values():
        if not s.get("queries"):
            continue
        print(
            f"{s['name']:34} {s['queries']:>7} {s['p50_ms']:>10.3f} {s['p95_ms']:>10.3f} {s['max_ms']:>10.2f} "
            f"{s['capped']:>6} {s['compared'] or '-':>8} {s['mismatches'] if s['compared'] else '-':>8}"
        )
    for name, sp in report["speedup"].items():
        note = f" ({sp['capped']} of {sp['queries']} capped: lower bounds)" if sp["capped"] else ""
        print(
            f"speed-up {name} / engine: p50 {sp['p50_ratio']:,.0f}x, p95 {sp['p95_ratio']:,.0f}x, "
            f"per-query median {sp['median_per_query_ratio']:,.0f}x, min {sp['min_per_query_ratio']:,.1f}x{note}",
            flush=True,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small networks and few queries (smoke run)")
    parser.add_argument("--seed", type=int, default=20260601)
    parser.add_argument("--queries", type=int, default=None, help="main queries per size (default 200, quick 50)")
    parser.add_argument("--rounds", type=int, default=3, help="engine runs per query (median taken)")
    parser.add_argument("--cap", type=float, default=None, help="seconds per baseline/reference query (default 10, quick 1)")
    parser.add_argument("--out", type=Path, default=HERE / "out")
    args = parser.parse_args(argv)
    # (small network, big network) subset sizes for the slow contenders
    if args.quick:
        sizes = [(2_000, 20_000), (10_000, 100_000)]
        args.queries = args.queries or 50
        args.cap = args.cap or 1.0
        args.yen_queries = (10, 10)
        args.enumerate_queries = (50, 50)
        args.reference_queries = (50, 50)
        args.hops4_checks = 10
    else:
        sizes = [(10_000, 100_000), (100_000, 1_000_000)]
        args.queries = args.queries or 200
        args.cap = args.cap or 10.0
        args.yen_queries = (60, 30)
        args.enumerate_queries = (200, 100)
        args.reference_queries = (200, 100)
        args.hops4_checks = 30
    reports = [run_size(people, ties, i == len(sizes) - 1, args) for i, (people, ties) in enumerate(sizes)]
    output = {
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "numpy": np.__version__,
            "networkx": nx.__version__,
        },
        "parameters": {
            "k": K,
            "max_hops": MAX_HOPS,
            "seed": args.seed,
            "rounds": args.rounds,
            "cap_s": args.cap,
            "subsets (small, big)": {"yen": args.yen_queries, "enumerate": args.enumerate_queries, "reference": args.reference_queries},
            "quick": args.quick,
        },
        "sizes": reports,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / ("paths_bench_quick.json" if args.quick else "paths_bench.json")
    path.write_text(json.dumps(output, indent=2, default=str))
    print(f"\nwrote {path}")
    bad = sum(s["mismatches"] for r in reports for s in r["series"].values() if s.get("queries"))
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
