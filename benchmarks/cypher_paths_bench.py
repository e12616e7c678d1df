"""Intro path latency computed in Cypher (Neo4j) versus in memory (PathEngine), same graph and queries.

    python benchmarks/cypher_paths_bench.py                 # 10k people / 100k ties, 100 queries
    python benchmarks/cypher_paths_bench.py --quick         # 2k / 20k, 30 queries (smoke run)
    python benchmarks/cypher_paths_bench.py --bolt-uri bolt://127.0.0.1:7687 --password ...   # an existing Neo4j

A seeded network from ``network.py`` (the one ``paths_bench.py`` uses) is written into a fresh
workspace of Neo4j as ``(:Person)`` nodes and ``KNOWS {strength}`` relationships (``UNWIND``
batches, ``graphsvc.projection.paths.write_tie_graph``); the in-memory ``PathEngine`` is built
from the same strengths (``cost = -math.log(strength)``, as ``tie_graph`` computes it). The
queries are ``paths_bench.make_queries``' main set (a team of 1-5 people of one community, a
target 2 or 3 hops away; k=3, max_hops=3). Each query runs ``--rounds`` times (default 1) on
each, alternated, with no untimed warm-up (the query text is the same for every query, so
Neo4j's plan cache is warm after the first); the median per query is kept and the last answers
compared. Reported: p50/p95/max per contender and the number of identical answers (node sequences
equal, costs within 1e-9 relative): it must be all of them (exit status 1 otherwise).
Neo4j is started with the test runtime (``Neo4jServer``: Community 5.26, 1 GB heap, 64 MB page
cache) unless ``--bolt-uri`` is given. JSON in benchmarks/out/cypher_paths_bench.json.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
import uuid
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
for entry in (ROOT, ROOT / "benchmarks"):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

import neo4j_target  # noqa: E402
from network import generate  # noqa: E402
from paths_bench import make_queries  # noqa: E402

from graphsvc.analytics.engine import PathEngine  # noqa: E402
from graphsvc.projection.paths import cypher_k_best_paths, write_tie_graph  # noqa: E402

K = 3
MAX_HOPS = 3


def same(a, b) -> bool:
    return [p.nodes for p in a] == [p.nodes for p in b] and all(
        math.isclose(x.cost, y.cost, rel_tol=1e-9, abs_tol=1e-12) for x, y in zip(a, b)
    )


def percentiles(values: list[float]) -> dict:
    arr = np.asarray(values, dtype=float)
    return {"p50_ms": round(float(np.percentile(arr, 50)), 3), "p95_ms": round(float(np.percentile(arr, 95)), 3),
            "max_ms": round(float(arr.max()), 3), "mean_ms": round(float(arr.mean()), 3)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--ties", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--seed", type=int, default=20260601)
    parser.add_argument("--quick", action="store_true")
    neo4j_target.add_arguments(parser)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "cypher_paths_bench.json")
    args = parser.parse_args(argv)
    if args.quick:
        args.people, args.ties, args.queries = 2_000, 20_000, 30
        if args.out.name == "cypher_paths_bench.json":
            args.out = args.out.with_name("cypher_paths_bench_quick.json")

    net = generate(args.people, args.ties, args.seed)
    strengths = [float(s) for s in net.strength]
    engine = PathEngine.from_arrays(net.ids, net.u, net.v, [-math.log(s) for s in strengths])
    queries = make_queries(engine, net, args.queries, args.seed + 1)["main"][: args.queries]
    print(f"network: {net.people} people, {net.ties} ties (seed {args.seed}); {len(queries)} queries", flush=True)

    report: dict = {
        "people": net.people, "ties": net.ties, "seed": args.seed, "queries": len(queries), "k": K, "max_hops": MAX_HOPS,
        "rounds": args.rounds,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "load_average": os.getloadavg()},
    }
    with neo4j_target.neo4j_store(args) as store:
        ws = f"cypher-paths-bench-{uuid.uuid4().hex[:12]}"
        start = time.perf_counter()
        ties = [(net.ids[a], net.ids[b], s) for a, b, s in zip(net.u.tolist(), net.v.tolist(), strengths)]
        written = write_tie_graph(store, ws, list(net.ids), ties)
        report["write_seconds"] = round(time.perf_counter() - start, 2)
        assert written == net.ties, (written, net.ties)
        print(f"wrote {written} KNOWS in {report['write_seconds']} s into workspace {ws}", flush=True)

        cypher_ms: list[float] = []
        memory_ms: list[float] = []
        identical = 0
        mismatches = []
        for number, q in enumerate(queries):
            # every timed run's answer is compared (there is no untimed warm-up run)
            c_times, m_times = [], []
            for _ in range(args.rounds):
                t0 = time.perf_counter()
                got = cypher_k_best_paths(store, ws, q.team, q.target, k=K, max_hops=MAX_HOPS)
                c_times.append((time.perf_counter() - t0) * 1000)
                t0 = time.perf_counter()
                expected = engine.k_best_paths(q.team, q.target, k=K, max_hops=MAX_HOPS)
                m_times.append((time.perf_counter() - t0) * 1000)
            if same(got, expected):
                identical += 1
            elif len(mismatches) < 5:
                mismatches.append({"team": q.team, "target": q.target, "cypher": [list(p.nodes) for p in got],
                                   "memory": [list(p.nodes) for p in expected]})
            cypher_ms.append(statistics.median(c_times))
            memory_ms.append(statistics.median(m_times))
            if (number + 1) % 20 == 0:
                print(f"  {number + 1} queries, {identical} identical", flush=True)
        report["cypher"] = percentiles(cypher_ms)
        report["memory"] = percentiles(memory_ms)
        report["identical_answers"] = identical
        report["mismatch_examples"] = mismatches
        report["speedup_p50"] = round(report["cypher"]["p50_ms"] / max(report["memory"]["p50_ms"], 1e-9), 1)
        # tidy up the benchmark workspace
        while store._driver.execute_query(
            "MATCH (p:Person {workspace: $ws}) WITH p LIMIT 5000 DETACH DELETE p RETURN count(*) AS n",
            {"ws": ws}, database_=store.database,
        ).records[0]["n"]:
            pass

    print(f"\n{len(queries)} queries (k={K}, max_hops={MAX_HOPS}) on {net.people} people / {net.ties} ties, median of {args.rounds} per query:")
    print(f"  {'':8} {'p50 ms':>9} {'p95 ms':>9} {'max ms':>9}")
    for name in ("cypher", "memory"):
        r = report[name]
        print(f"  {name:8} {r['p50_ms']:>9} {r['p95_ms']:>9} {r['max_ms']:>9}")
    print(f"  identical answers: {report['identical_answers']} / {len(queries)}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written to {args.out}")
    return 0 if report["identical_answers"] == len(queries) else 1


if __name__ == "__main__":
    raise SystemExit(main())
