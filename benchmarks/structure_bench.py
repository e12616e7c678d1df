"""Brokers and communities at team scale, from arrays to answer; and the sampled betweenness's error.

```bash
.venv/bin/python benchmarks/structure_bench.py                 # 36k people: times and peak RSS; error on 2k and 5k people
.venv/bin/python benchmarks/structure_bench.py --scale 10      # 360k people, 200 members
.venv/bin/python benchmarks/structure_bench.py --skip-error    # times only
.venv/bin/python benchmarks/structure_bench.py --reference 2000  # also: default sample vs 2,000 sources at full scale
```

The graph is team-shaped and made from a seed directly as arrays: `network.generate` (Zipf-sized
communities, Pareto sociability, within-community, long-range and triadic-closure ties) keeps
the ties of strength >= 0.1, then `members` workspace members (20 per 36,000 people) each get
3,000 contacts (1/12 of everyone) drawn in proportion to sociability, as the team's own
LinkedIn exports give them: the members are the hubs.

Each operation runs in a fresh child process, so its peak RSS is its own:
* `brokers`: `StructuralTies.of` from the arrays, ranking (betweenness), details of the top 20
  (constraint, effective size, communities bridged, so Louvain too), the figures the service
  serves (`brokers(first: 20)`); and, separately timed, details of a 100-row page;
* `communities`: `StructuralTies.of`, Louvain, grouping.
Labels (organizations, events) need a snapshot and are not part of this; they are one pass over
attendances.

Error: on team-shaped graphs of 2,000 and 5,000 people, exact betweenness against the estimate
from k sampled sources, over 5 seeds each: overlap of the top 20 (members left out, as the
ranking does), Spearman and Kendall correlation of the estimate with the exact values on the
exact top 20, and the largest relative error there.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from network import generate  # noqa: E402

from graphsvc.analytics import structure  # noqa: E402
from graphsvc.analytics.structure import StructuralTies  # noqa: E402

SEED = 20260601


def team_arrays(people: int, seed: int, *, ties_per_person: float = 8.4, members: int | None = None, contacts: int | None = None):
    """``(ids, u, v, strength, member ids)`` of a team-shaped graph (see the module docstring)."""
    net = generate(people, int(people * ties_per_person), seed)
    keep = net.strength >= 0.1
    u, v, strength = net.u[keep], net.v[keep], net.strength[keep]
    rng = np.random.default_rng(seed + 1)
    members = members if members is not None else max(2, round(20 * people / 36_000))
    contacts = contacts if contacts is not None else people // 12
    who = rng.choice(people, size=members, replace=False)
    sociability = rng.pareto(1.5, people) + 1.0
    p = sociability / sociability.sum()
    extra_u, extra_v = [], []
    for m in who:
        chosen = np.unique(rng.choice(people, size=contacts, p=p))
        chosen = chosen[chosen != m]
        extra_u.append(np.full(len(chosen), m))
        extra_v.append(chosen)
    eu, ev = np.concatenate(extra_u), np.concatenate(extra_v)
    es = np.clip(rng.beta(2.0, 4.0, len(eu)) + 0.1, 0.1, 0.99)
    u, v, strength = np.concatenate([u, eu]), np.concatenate([v, ev]), np.concatenate([strength, es])
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    _, first = np.unique(lo * people + hi, return_index=True)
    first = np.sort(first)
    return net.ids, lo[first], hi[first], strength[first], [net.ids[m] for m in who]


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(operation: str, people: int, seed: int) -> dict:
    ids, u, v, s, members = team_arrays(people, seed)
    before = _rss_mib()
    out: dict = {"people": people, "ties": int(len(u)), "members": len(members)}
    start = time.perf_counter()
    ties = StructuralTies.of(ids, u, v, s)
    out["arrays_s"] = time.perf_counter() - start
    if operation == "brokers":
        t = time.perf_counter()
        ranked = structure.broker_ranking_of(ties, members, seed=0)
        out["ranking_s"] = time.perf_counter() - t
        out["sources"] = structure.default_sources(ties.people, ties.ties)
        t = time.perf_counter()
        rows = structure.broker_details_of(ties, ranked[:20], structure.partition_of(ties, seed=0))
        out["details_20_s"] = time.perf_counter() - t
        out["total_s"] = time.perf_counter() - start
        t = time.perf_counter()
        structure.broker_details_of(ties, ranked[:100], structure.partition_of(ties, seed=0))
        out["details_100_s"] = time.perf_counter() - t
        out["top"] = [(b.person_id, round(b.betweenness, 6), round(b.constraint, 4), round(b.effective_size, 1), b.communities_bridged) for b in rows[:5]]
    else:
        t = time.perf_counter()
        membership = structure.partition_of(ties, seed=0)
        groups = structure._groups(ties, membership, 2)
        out["louvain_s"] = time.perf_counter() - t
        out["total_s"] = time.perf_counter() - start
        out["communities"] = len(groups)
        out["largest"] = [len(g) for g in groups[:5]]
        out["modularity"] = ties.graph.modularity(membership.tolist(), weights=ties.strength.tolist())
    out["rss_before_mib"] = before
    out["peak_rss_mib"] = _rss_mib()
    return out


def _ranks(x: np.ndarray) -> np.ndarray:
    order = np.argsort(x, kind="stable")
    r = np.empty(len(x))
    r[order] = np.arange(len(x))
    return r


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(_ranks(a), _ranks(b))[0, 1])


def kendall(a: np.ndarray, b: np.ndarray) -> float:
    i, j = np.triu_indices(len(a), 1)
    s = np.sign(a[i] - a[j]) * np.sign(b[i] - b[j])
    return float(s.sum() / len(s))


def error(people: int, seed: int, sample_sizes: list[int], seeds: int, top: int = 20) -> list[dict]:
    ids, u, v, s, members = team_arrays(people, seed)
    ties = StructuralTies.of(ids, u, v, s)
    t = time.perf_counter()
    exact = structure.betweenness_of(ties, sample_above=ties.people)
    exact_s = time.perf_counter() - t
    eligible = np.ones(ties.people, dtype=bool)
    for m in members:
        eligible[ties.index(m)] = False
    order = np.lexsort((np.arange(ties.people), -exact))
    best = [i for i in order if eligible[i]][:top]
    rows = []
    for k in sample_sizes:
        overlaps, rho, tau, rel, took = [], [], [], [], []
        for r in range(seeds):
            t = time.perf_counter()
            est = structure.betweenness_of(ties, seed=r, sample_above=0, sources=k)
            took.append(time.perf_counter() - t)
            ranked = [i for i in np.lexsort((np.arange(ties.people), -est)) if eligible[i]][:top]
            overlaps.append(len(set(ranked) & set(best)))
            rho.append(spearman(exact[best], est[best]))
            tau.append(kendall(exact[best], est[best]))
            rel.append(float(np.max(np.abs(est[best] - exact[best]) / exact[best])))
        rows.append(
            {
                "people": ties.people, "ties": ties.ties, "k": k, "seeds": seeds, "exact_s": round(exact_s, 2),
                "estimate_s": round(float(np.median(took)), 3),
                "top20_overlap_min": min(overlaps), "top20_overlap_mean": float(np.mean(overlaps)),
                "spearman_min": round(min(rho), 3), "spearman_mean": round(float(np.mean(rho)), 3),
                "kendall_min": round(min(tau), 3), "kendall_mean": round(float(np.mean(tau)), 3),
                "max_rel_error_max": round(max(rel), 3), "max_rel_error_mean": round(float(np.mean(rel)), 3),
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    return rows


def reference(people: int, seed: int, sources: int) -> dict:
    """The default estimate against one from ``sources`` sources, at full size (exact is out of reach)."""
    ids, u, v, s, members = team_arrays(people, seed)
    ties = StructuralTies.of(ids, u, v, s)
    t = time.perf_counter()
    ref = structure.betweenness_of(ties, seed=12345, sample_above=0, sources=sources)
    ref_s = time.perf_counter() - t
    est = structure.betweenness_of(ties, seed=0)
    eligible = np.ones(ties.people, dtype=bool)
    for m in members:
        eligible[ties.index(m)] = False
    best = [i for i in np.lexsort((np.arange(ties.people), -ref)) if eligible[i]][:20]
    ranked = [i for i in np.lexsort((np.arange(ties.people), -est)) if eligible[i]][:20]
    return {
        "people": ties.people, "ties": ties.ties, "reference_sources": sources, "reference_s": round(ref_s, 1),
        "default_sources": structure.default_sources(ties.people, ties.ties),
        "top20_overlap": len(set(best) & set(ranked)), "spearman": round(spearman(ref[best], est[best]), 3),
        "kendall": round(kendall(ref[best], est[best]), 3), "max_rel_error": round(float(np.max(np.abs(est[best] - ref[best]) / ref[best])), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--scale", type=float, default=1.0, help="people = 36,000 x scale")
    parser.add_argument("--skip-error", action="store_true")
    parser.add_argument("--error-sizes", default="2000,5000")
    parser.add_argument("--sample-sizes", default="64,100,200,500")
    parser.add_argument("--error-seeds", type=int, default=5)
    parser.add_argument("--reference", type=int, default=0, help="also compare the default estimate with one from this many sources")
    parser.add_argument("--child", choices=["brokers", "communities"], help=argparse.SUPPRESS)
    parser.add_argument("--people", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.people, args.seed)))
        return
    import igraph

    people = int(36_000 * args.scale)
    print(f"# {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}, numpy {np.__version__}, igraph {igraph.__version__}")
    for operation in ("brokers", "communities"):
        done = subprocess.run(
            [sys.executable, __file__, "--child", operation, "--people", str(people), "--seed", str(args.seed)],
            check=True, capture_output=True, text=True,
        )
        print(operation, done.stdout.strip(), flush=True)
    if args.reference:
        print("reference", json.dumps(reference(people, args.seed, args.reference)), flush=True)
    if not args.skip_error:
        for size in (int(x) for x in args.error_sizes.split(",")):
            error(size, args.seed, [int(x) for x in args.sample_sizes.split(",")], args.error_seeds)


if __name__ == "__main__":
    main()
