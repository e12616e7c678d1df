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

import bisect
from collections import Counter
from dataclasses import dataclass

import networkx as nx

from graphsvc.analytics.strength import TieView

__all__ = ["Broker", "Community", "broker_details", "broker_ranking", "brokers", "communities", "reach", "structural_graph"]


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


def structural_graph(view: TieView, min_strength: float = 0.1) -> tuple[nx.Graph, list[str]]:
    """The ties of at least ``min_strength``, on integer nodes, with the person id of each node.

    Integer nodes keep networkx's internal set iterations (constraint, Louvain) in the same
    order in every process: string hashes are salted per process, integer hashes are not, and
    the order of floating-point sums must not depend on the salt.
    """
    cached = view.cache.get(("structural", min_strength))
    if cached is not None:
        return cached  # type: ignore[return-value]
    kept = [(a, b, d) for a, b, d in view.graph.edges(data=True) if d["strength"] >= min_strength]
    ids = sorted({*view.snap.members, *(a for a, _, _ in kept), *(b for _, b, _ in kept)})
    index = {person: i for i, person in enumerate(ids)}
    graph = nx.Graph()
    graph.add_nodes_from(range(len(ids)))
    for a, b, data in sorted(kept, key=lambda e: (index[e[0]], index[e[1]]) if index[e[0]] < index[e[1]] else (index[e[1]], index[e[0]])):
        graph.add_edge(index[a], index[b], strength=data["strength"], cost=data["cost"])
    view.cache[("structural", min_strength)] = (graph, ids)
    return graph, ids


def communities(view: TieView, *, seed: int = 0, resolution: float = 1.0, min_strength: float = 0.1, min_size: int = 2) -> list[Community]:
    """Louvain communities, largest first, each labelled by organizations and events."""
    graph, ids = structural_graph(view, min_strength)
    parts = nx.community.louvain_communities(graph, weight="strength", resolution=resolution, seed=seed)
    ordered = sorted((sorted(ids[n] for n in p) for p in parts if len(p) >= min_size), key=lambda p: (-len(p), p[0]))
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
    ranking = broker_ranking(view, seed=seed, min_strength=min_strength, sample_above=sample_above, include_members=include_members)
    return broker_details(view, ranking[:top], seed=seed, min_strength=min_strength)


def broker_ranking(
    view: TieView, *, seed: int = 0, min_strength: float = 0.1, sample_above: int = 2000, include_members: bool = False
) -> list[tuple[str, float]]:
    """``(person id, betweenness)`` of everyone who lies on shortest paths between others, highest first.

    The cheap half of ``brokers``: constraint and effective size cost far more per person, so a
    client paging through the ranking pays for them page by page (``broker_details``).
    """
    graph, ids = structural_graph(view, min_strength)
    if graph.number_of_nodes() == 0:
        return []
    sample = min(graph.number_of_nodes(), 1000) if graph.number_of_nodes() > sample_above else None
    betweenness = nx.betweenness_centrality(graph, k=sample, weight="cost", seed=seed, normalized=True)
    excluded = set() if include_members else set(view.snap.members)
    ranked = sorted(((ids[n], b) for n, b in betweenness.items() if ids[n] not in excluded and b > 0), key=lambda t: (-t[1], t[0]))
    return ranked


def broker_details(view: TieView, ranked: list[tuple[str, float]], *, seed: int = 0, min_strength: float = 0.1) -> list[Broker]:
    """``Broker`` rows (constraint, effective size, communities bridged) for entries of ``broker_ranking``."""
    if not ranked:
        return []
    graph, ids = structural_graph(view, min_strength)
    position = {person: i for i, person in enumerate(ids)}
    chosen = [position[person] for person, _ in ranked]
    constraint = nx.constraint(graph, chosen, weight="strength")
    effective = nx.effective_size(graph, chosen, weight="strength")
    membership = {p: c.index for c in communities(view, seed=seed, min_strength=min_strength, min_size=1) for p in c.members}
    result = []
    for node, (person, score) in zip(chosen, ranked):
        bridged = len({membership.get(ids[n]) for n in graph[node]} | {membership.get(person)})
        result.append(Broker(person, score, float(constraint[node]), float(effective[node]), bridged))
    return result


def reach(view: TieView, person: str, *, hops: int = 2, min_strength: float = 0.1) -> int:
    """How many people are within ``hops`` of ``person`` on real ties."""
    graph, ids = structural_graph(view, min_strength)
    position = bisect.bisect_left(ids, person)
    if position == len(ids) or ids[position] != person:
        return 0
    return len(nx.single_source_shortest_path_length(graph, position, cutoff=hops)) - 1
