"""Intro path search: invariants and equality with a brute-force enumeration (hypothesis)."""

from __future__ import annotations

import math
import random

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphsvc.analytics.paths import is_detour, k_best_paths


def random_tie_graph(seed: int, n: int, p: float) -> nx.Graph:
    rng = random.Random(seed)
    graph = nx.gnp_random_graph(n, p, seed=seed)
    graph = nx.relabel_nodes(graph, {i: f"n{i:02d}" for i in graph})
    for a, b in graph.edges:
        strength = rng.choice([0.05, 0.1, 0.2, 0.35, 0.5, 0.8])
        graph[a][b]["strength"] = strength
        graph[a][b]["cost"] = -math.log(strength)
    return graph


def brute_force(graph: nx.Graph, sources: list[str], target: str, k: int, max_hops: int) -> list[tuple[str, ...]]:
    source_set = set(sources)
    candidates = []
    for source in sorted(source_set):
        if source == target or source not in graph or target not in graph:
            continue
        for path in nx.all_simple_paths(graph, source, target, cutoff=max_hops):
            nodes = tuple(path)
            if any(n in source_set for n in nodes[1:]) or is_detour(graph, nodes):
                continue
            cost = 0.0
            for a, b in zip(nodes, nodes[1:]):
                cost += graph[a][b]["cost"]
            candidates.append((cost, len(nodes) - 1, nodes))
    return [nodes for _, _, nodes in sorted(candidates)[:k]]


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(3, 11),
    p=st.floats(0.15, 0.6),
    k=st.integers(1, 6),
    max_hops=st.integers(1, 4),
    source_count=st.integers(1, 3),
)
def test_k_best_paths_equal_brute_force(seed: int, n: int, p: float, k: int, max_hops: int, source_count: int) -> None:
    graph = random_tie_graph(seed, n, p)
    nodes = sorted(graph)
    rng = random.Random(seed)
    sources = rng.sample(nodes, min(source_count, len(nodes) - 1))
    target = rng.choice([x for x in nodes if x not in sources])
    found = k_best_paths(graph, sources, target, k=k, max_hops=max_hops)
    assert [p.nodes for p in found] == brute_force(graph, sources, target, k, max_hops)
    for path in found:
        assert len(set(path.nodes)) == len(path.nodes), "paths are simple"
        assert 1 <= path.hops <= max_hops
        assert path.nodes[0] in sources and path.nodes[-1] == target
        product = math.prod(graph[a][b]["strength"] for a, b in zip(path.nodes, path.nodes[1:]))
        assert path.strength == pytest.approx(product, rel=1e-9)
    costs = [p.cost for p in found]
    assert costs == sorted(costs)


def test_avoid_list_and_unknown_target() -> None:
    graph = random_tie_graph(3, 10, 0.5)
    paths = k_best_paths(graph, ["n00"], "n09", k=5, max_hops=3)
    assert paths
    middle = {n for p in paths for n in p.nodes[1:-1]}
    avoided = sorted(middle)[0] if middle else None
    if avoided:
        assert all(avoided not in p.nodes for p in k_best_paths(graph, ["n00"], "n09", k=5, max_hops=3, avoid=[avoided]))
    assert k_best_paths(graph, ["n00"], "missing", k=3) == []


def test_results_are_identical_across_runs() -> None:
    graph = random_tie_graph(11, 40, 0.15)
    first = k_best_paths(graph, ["n00", "n01"], "n30", k=5, max_hops=4)
    assert all(k_best_paths(graph, ["n01", "n00"], "n30", k=5, max_hops=4) == first for _ in range(3))


def test_paths_are_identical_across_processes_with_different_hash_seeds() -> None:
    import json
    import os
    import subprocess
    import sys

    code = (
        "import json; from tests.test_paths import random_tie_graph; from graphsvc.analytics.paths import k_best_paths;"
        "g = random_tie_graph(5, 60, 0.12);"
        "print(json.dumps([[p.nodes, p.cost] for t in ('n10', 'n20', 'n30') for p in k_best_paths(g, ['n00', 'n01'], t, k=4, max_hops=4)]))"
    )
    outputs = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                       env={**os.environ, "PYTHONHASHSEED": seed}).stdout
        for seed in ("1", "2", "3")
    }
    assert len(outputs) == 1 and json.loads(outputs.pop())
