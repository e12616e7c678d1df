"""A tie view: everything analytics need at one ``as_of``.

It holds the snapshot (evidence as Python objects, for explanations), the evidence arrays
(``graphsvc.analytics.evidence``, built once per data version) and the ties at ``as_of``
(``graphsvc.analytics.ties``), from which a person's ties, any pair's strength, the path
engine and the ties that structure runs on are derived when asked. Building a view is one
vectorised pass over the evidence: no pair of any event is built until someone asks for it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np

from graphsvc.analytics.evidence import EvidenceArrays
from graphsvc.analytics.strength import DEFAULT_MODEL, StrengthModel, TieStrength, tie_strength
from graphsvc.analytics.ties import Ties
from graphsvc.snapshot import Snapshot

if TYPE_CHECKING:
    import networkx as nx

    from graphsvc.analytics.engine import HyperedgePathEngine

__all__ = ["TieView", "evidence_arrays", "tie_view"]


def evidence_arrays(snap: Snapshot) -> EvidenceArrays:
    """The snapshot's evidence arrays, built once per snapshot."""
    arrays = snap.derived.get("arrays")
    if arrays is None:
        arrays = snap.derived["arrays"] = EvidenceArrays.from_snapshot(snap)
    return arrays  # type: ignore[return-value]


@dataclass
class TieView:
    snap: Snapshot
    as_of: datetime
    model: StrengthModel = DEFAULT_MODEL
    ties: Ties = field(init=False, repr=False)
    #: Derived structures analytics compute once per view (the path engine, structural ties...).
    cache: dict[object, object] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.ties = Ties(evidence_arrays(self.snap), self.as_of, self.model)

    @property
    def arrays(self) -> EvidenceArrays:
        return self.ties.arrays

    @property
    def neighbours(self) -> dict[str, set[str]]:
        """Person -> the people they share direct evidence with."""
        return self.snap.contacts

    def tie(self, a: str, b: str) -> TieStrength | None:
        """The tie between ``a`` and ``b``, explained part by part."""
        return tie_strength(self.snap, a, b, self.as_of, self.model)

    def ties_of(self, person: str) -> list[tuple[str, float]]:
        """``(other person, strength)`` of every tie of ``person`` at ``as_of``, by id."""
        i = self.arrays.index.get(person)
        if i is None:
            return []
        others, strengths = self.ties.row(i)
        ids = self.arrays.ids
        return [(ids[o], s) for o, s in zip(others.tolist(), strengths.tolist())]

    def strength(self, a: str, b: str) -> float:
        """The strength of the tie between ``a`` and ``b`` (0 without one)."""
        index = self.arrays.index
        if a not in index or b not in index or a == b:
            return 0.0
        return float(self.ties.strengths(np.asarray([index[a]]), np.asarray([index[b]]))[0])

    def path_engine(self) -> "HyperedgePathEngine":
        from graphsvc.analytics.engine import HyperedgePathEngine

        engine = self.cache.get("path_engine")
        if engine is None:
            engine = self.cache["path_engine"] = HyperedgePathEngine(self.ties)
        return engine  # type: ignore[return-value]

    def structural_ties(self, min_strength: float = 0.1) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
        """The ties structure runs on: ``(ids, u, v, strength)`` with ``u < v`` indexing ``ids``
        (sorted: the members and everyone with such a tie), each tie once, for ties of at least
        ``min_strength`` that rest on direct evidence or a small event (at most
        ``model.small_event_max_size`` people). Ties resting only on large events or an
        organization are co-presence, not relationships (docs/tie-strength.md)."""
        key = ("structural_ties", min_strength)
        cached = self.cache.get(key)
        if cached is None:
            u, v = self.ties.warm_pairs()
            strength = self.ties.strengths(u, v)
            keep = strength >= min_strength
            u, v, strength = u[keep], v[keep], strength[keep]
            people = np.unique(np.concatenate([u, v, self.arrays.members]))
            position = np.full(self.arrays.n, -1, dtype=np.int64)
            position[people] = np.arange(len(people))
            ids = [self.arrays.ids[i] for i in people.tolist()]
            cached = self.cache[key] = (ids, position[u], position[v], strength)
        return cached  # type: ignore[return-value]

    @property
    def graph(self) -> "nx.Graph":
        """The whole tie graph as networkx (every pair of every event): for small networks and
        tests only; analytics use rows, pairs and the path engine instead."""
        cached = self.cache.get("graph")
        if cached is None:
            import networkx as nx

            graph = nx.Graph()
            ids = self.arrays.ids
            graph.add_nodes_from(ids)
            for i in range(len(ids)):
                others, strengths = self.ties.row(i)
                for o, s in zip(others.tolist(), strengths.tolist()):
                    if o > i and s > 0:
                        tie = self.tie(ids[i], ids[o])
                        graph.add_edge(ids[i], ids[o], strength=s, cost=-math.log(s), level=tie.level if tie else None)
            cached = self.cache["graph"] = graph
        return cached  # type: ignore[return-value]


def tie_view(snap: Snapshot, as_of: datetime, model: StrengthModel = DEFAULT_MODEL) -> TieView:
    """The tie view of ``snap`` at ``as_of``."""
    return TieView(snap, as_of, model)


