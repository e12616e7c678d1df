"""The analytics core alone, at team scale and beyond: evidence arrays, ties, paths, structure.

A team-shaped workspace is generated from a seed straight into a snapshot (no files, no store):
20 x scale members, each with 3,000 connections drawn from a population of 60,000 x scale
people with Pareto sociability, messages with a few hundred of them, and 300 x scale events
(half with 8-25 people, 40 % with 30-150, 10 % with 300-900). It measures what the core adds on
top of reading the evidence: building the arrays, saving and loading them, a view at a new
as_of, intro path queries (p50/p95/p99 over --queries targets met at events), neglected ties,
the ties structure runs on, and the peak RSS. benchmarks/team_bench.py measures the same product
end to end through the real importers, CLI and server.

    .venv/bin/python benchmarks/core_bench.py --scale 1
    .venv/bin/python benchmarks/core_bench.py --scale 10 --queries 300
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from graphsvc.analytics.evidence_cache import load_snapshot, save_snapshot  # noqa: E402
from graphsvc.analytics.neglected import neglected_ties  # noqa: E402
from graphsvc.analytics.view import evidence_arrays, tie_view  # noqa: E402
from graphsvc.model import Event  # noqa: E402
from graphsvc.snapshot import Fact, Snapshot, pair  # noqa: E402

AS_OF = datetime(2026, 11, 1, tzinfo=timezone.utc)


def generate(scale: float, seed: int) -> tuple[Snapshot, list[str]]:
    rng = random.Random(seed)
    population = int(60_000 * scale)
    ids = [f"p{i:07d}" for i in range(population)]
    weights = [rng.paretovariate(1.2) for _ in ids]
    members = tuple(sorted(rng.sample(ids, max(1, int(20 * scale)))))
    facts: dict[tuple[str, str], list[Fact]] = defaultdict(list)
    contacts: dict[str, set[str]] = defaultdict(set)
    people = set(members)
    for m in members:
        chosen = set(rng.choices(ids, weights=weights, k=3300))
        chosen.discard(m)
        for other in list(chosen)[:3000]:
            at = AS_OF - timedelta(days=rng.uniform(0, 3000))
            facts[pair(m, other)].append(Fact("connection", "linkedin", at))
            contacts[m].add(other)
            contacts[other].add(m)
            people.add(other)
            if rng.random() < 0.05:
                for _ in range(rng.randint(1, 12)):
                    facts[pair(m, other)].append(Fact("message", "email", AS_OF - timedelta(days=rng.uniform(0, 900)), None, "forward"))
    snap = Snapshot("ws", 1, members, people, facts)
    snap.contacts = dict(contacts)
    targets = []
    for e in range(int(300 * scale)):
        roll = rng.random()
        size = rng.randint(8, 25) if roll < 0.5 else rng.randint(30, 150) if roll < 0.9 else rng.randint(300, 900)
        attendees = set(rng.choices(ids, weights=weights, k=size))
        if rng.random() < 0.5:
            attendees.add(rng.choice(members))
        event_id = f"e{e:05d}"
        snap.attendees[event_id] = attendees
        snap.event_size[event_id] = len(attendees)
        snap.events[event_id] = Event(event_id, f"Event {e}", AS_OF - timedelta(days=rng.uniform(0, 1200)), "meetup", "bench")
        for person in attendees:
            snap.events_of.setdefault(person, set()).add(event_id)
            snap.people.add(person)
        targets.extend(rng.sample(sorted(attendees), 1))
    return snap, targets


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"p50_ms": pick(0.5) * 1000, "p95_ms": pick(0.95) * 1000, "p99_ms": pick(0.99) * 1000, "max_ms": ordered[-1] * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    result: dict[str, object] = {"scale": args.scale, "seed": args.seed}

    started = time.perf_counter()
    snap, targets = generate(args.scale, args.seed)
    result["generate_s"] = time.perf_counter() - started
    result["people"] = len(snap.people)
    result["direct_pairs"] = len(snap.facts)
    result["attendances"] = sum(len(a) for a in snap.attendees.values())
    result["co_attendance_pairs_if_materialised"] = sum(len(a) * (len(a) - 1) // 2 for a in snap.attendees.values())
    result["rss_after_generate_mb"] = peak_mb()

    started = time.perf_counter()
    arrays = evidence_arrays(snap)
    result["arrays_s"] = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "evidence.npz"
        started = time.perf_counter()
        save_snapshot(path, snap, arrays, "bench")
        result["save_s"] = time.perf_counter() - started
        result["file_mb"] = path.stat().st_size / 2**20
        started = time.perf_counter()
        loaded = load_snapshot(path, "bench", "ws", 1)
        result["load_s"] = time.perf_counter() - started
    assert loaded is not None

    started = time.perf_counter()
    view = tie_view(loaded, AS_OF)
    result["view_s"] = time.perf_counter() - started
    engine = view.path_engine()
    members = list(loaded.members)
    rng = random.Random(args.seed)
    asked = [rng.choice(targets) for _ in range(args.queries)]
    cold, warm = [], []
    for target in asked:
        t = time.perf_counter()
        engine.k_best_paths(members, target, k=3, max_hops=3)
        cold.append(time.perf_counter() - t)
    for target in asked:
        t = time.perf_counter()
        engine.k_best_paths(members, target, k=3, max_hops=3)
        warm.append(time.perf_counter() - t)
    result["paths_first_time"] = percentiles(cold)
    result["paths_again"] = percentiles(warm)
    started = time.perf_counter()
    neglected_ties(view, members)
    result["neglected_s"] = time.perf_counter() - started
    started = time.perf_counter()
    ids, u, v, strength = view.structural_ties()
    result["structural_ties_s"] = time.perf_counter() - started
    result["structural_ties"] = len(u)
    result["peak_rss_mb"] = peak_mb()
    print(json.dumps(result, indent=1, default=float))


if __name__ == "__main__":
    main()
