"""Network structure: brokers, communities and reach, on the graph of real ties.

Structure is computed on ties of at least ``min_strength`` (default 0.1), so that the
near-weightless cliques of large events and big organizations do not drown the signal.

* Brokers: betweenness on distances ``-log(strength)`` (sampled with a seed above 2,000
  people), with Burt's constraint and effective size (weight = strength): low constraint and
  high effective size mean access to non-redundant circles.
* Communities: Louvain with a seed (networkx), labelled by their dominant organizations and
  events.
* Reach: how many people are within two hops.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import networkx as nx

from graphsvc.analytics.strength import TieView

__all__ = ["Broker", "Community", "brokers", "communities", "reach", "structural_graph"]


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


def structural_graph(view: TieView, min_strength: float = 0.1) -> nx.Graph:
    graph = nx.Graph()
    graph.add_nodes_from(view.snap.members)
    for a, b, data in view.graph.edges(data=True):
        if data["strength"] >= min_strength:
            graph.add_edge(a, b, strength=data["strength"], cost=data["cost"])
    return graph


def communities(view: TieView, *, seed: int = 0, resolution: float = 1.0, min_strength: float = 0.1, min_size: int = 2) -> list[Community]:
    """Louvain communities, largest first, each labelled by organizations and events."""
    graph = structural_graph(view, min_strength)
    parts = nx.community.louvain_communities(graph, weight="strength", resolution=resolution, seed=seed)
    ordered = sorted((sorted(p) for p in parts if len(p) >= min_size), key=lambda p: (-len(p), p[0]))
    result = []
    for index, people in enumerate(ordered):
        orgs = Counter(view.snap.organization[p] for p in people if p in view.snap.organization)
        members = set(people)
        events = Counter({e: len(a & members) for e, a in view.snap.attendees.items() if len(a & members) >= 2})
        result.append(
            Community(
                index, tuple(people),
                tuple(sorted(orgs.items(), key=lambda t: (-t[1], t[0]))[:3]),
                tuple(sorted(events.items(), key=lambda t: (-t[1], t[0]))[:3]),
            )
        )
    return result


def brokers(
    view: TieView, *, top: int = 20, seed: int = 0, min_strength: float = 0.1, sample_above: int = 2000, include_members: bool = False
) -> list[Broker]:
    """People who bridge otherwise separate circles, by betweenness (highest first).

    Workspace members are left out unless ``include_members``: in a graph built from the
    team's own exports the team is central by construction, and the question is who *else*
    connects circles.
    """
    graph = structural_graph(view, min_strength)
    if graph.number_of_nodes() == 0:
        return []
    sample = min(graph.number_of_nodes(), 1000) if graph.number_of_nodes() > sample_above else None
    betweenness = nx.betweenness_centrality(graph, k=sample, weight="cost", seed=seed, normalized=True)
    excluded = set() if include_members else set(view.snap.members)
    ranked = sorted(((p, b) for p, b in betweenness.items() if p not in excluded), key=lambda t: (-t[1], t[0]))[:top]
    chosen = [p for p, score in ranked if score > 0]
    constraint = nx.constraint(graph, chosen, weight="strength")
    effective = nx.effective_size(graph, chosen, weight="strength")
    membership = {p: c.index for c in communities(view, seed=seed, min_strength=min_strength, min_size=1) for p in c.members}
    result = []
    for person in chosen:
        bridged = len({membership.get(n) for n in graph[person]} | {membership.get(person)})
        result.append(Broker(person, betweenness[person], float(constraint[person]), float(effective[person]), bridged))
    return result


def reach(view: TieView, person: str, *, hops: int = 2, min_strength: float = 0.1) -> int:
    """How many people are within ``hops`` of ``person`` on real ties."""
    graph = structural_graph(view, min_strength)
    if person not in graph:
        return 0
    return len(nx.single_source_shortest_path_length(graph, person, cutoff=hops)) - 1
