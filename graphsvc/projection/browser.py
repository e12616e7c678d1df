"""The Browser view of a Neo4j workspace: what Neo4j Browser's style sheet
(schema/neo4j/style.grass) keys on to colour people by community and draw ``KNOWS`` by
strength (docs/neo4j-browser.md). Written after ``KNOWS`` is projected
(``graphsvc.projection.knows``), by ``graphsvc.projection.sync.sync_store`` and
``graphsvc neo4j browse``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

__all__ = ["COMMUNITY_LABELS", "STRENGTH_BANDS", "BrowserView", "knows_communities", "write_browser_view"]

#: Strength bands of the Browser view: relationship type, lowest strength (inclusive).
STRENGTH_BANDS: tuple[tuple[str, float], ...] = (("KNOWS_STRONG", 0.6), ("KNOWS_MEDIUM", 0.4), ("KNOWS_WEAK", 0.0))
#: Communities that get a label of their own (``Community1`` is the largest); the style sheet
#: has a colour for each.
COMMUNITY_LABELS = 12


@dataclass
class BrowserView:
    communities: int
    people_labelled: int
    bands: dict[str, int]


def _execute_write(store: Any, work: Callable[[Any], Any]) -> Any:
    """Run ``work(tx)`` in one write transaction on a ``Neo4jStore``'s database."""
    driver = getattr(store, "driver", None) or getattr(store, "_driver")
    with driver.session(database=getattr(store, "database", None)) as session:
        return session.execute_write(work)


def knows_communities(store: Any, workspace_id: str, *, seed: int = 0, min_size: int = 2) -> list[list[str]]:
    """Louvain communities (weighted by strength, ``seed``) of the workspace's stored ``KNOWS``
    ties — the graph Browser draws — largest first, as sorted lists of person ids."""
    import networkx as nx

    rows = store.knows(workspace_id)
    ids = sorted({r["a"] for r in rows} | {r["b"] for r in rows})
    index = {pid: n for n, pid in enumerate(ids)}  # integer nodes: the same order in every process
    graph = nx.Graph()
    graph.add_nodes_from(range(len(ids)))
    graph.add_weighted_edges_from(((index[r["a"]], index[r["b"]], float(r["strength"])) for r in rows), weight="strength")
    if graph.number_of_edges() == 0:
        return []
    parts = nx.community.louvain_communities(graph, weight="strength", seed=seed)
    groups = [sorted(ids[n] for n in part) for part in parts if len(part) >= min_size]
    return sorted(groups, key=lambda g: (-len(g), g[0]))


def write_browser_view(store: Any, workspace_id: str, *, seed: int = 0) -> BrowserView:
    """Write what Neo4j Browser's style sheet keys on (GraSS styles by label and relationship
    type only, never by property value); idempotent, replaces the previous view:

    * ``Person.community`` (1 = the largest) and the labels ``Community1`` .. ``Community12``
      on the people of the twelve largest communities of the ``KNOWS`` ties
      (``knows_communities``: Louvain, weighted by strength, seeded, so the same ties give the
      same labels);
    * one ``KNOWS_STRONG`` / ``KNOWS_MEDIUM`` / ``KNOWS_WEAK`` relationship beside each
      ``KNOWS`` (same direction; ``strength`` rounded to 2 decimals for captions, ``level``,
      ``lastContact``; bands in ``STRENGTH_BANDS``), drawn thick to thin.

    ``store`` must be a ``Neo4jStore`` whose ``KNOWS`` relationships are projected.
    """
    groups = knows_communities(store, workspace_id, seed=seed)
    rows = [{"id": pid, "community": index} for index, people in enumerate(groups, 1) for pid in people]
    labels = "".join(f":Community{n}" for n in range(1, COMMUNITY_LABELS + 1))
    band_types = "|".join(name for name, _ in STRENGTH_BANDS)

    def work(tx: Any) -> BrowserView:
        tx.run(
            f"MATCH (p:Person {{workspace: $ws}}) WHERE p.id IS NOT NULL AND p.community IS NOT NULL "
            f"REMOVE p{labels} SET p.community = null",
            ws=workspace_id,
        ).consume()
        tx.run(
            "UNWIND $rows AS r MATCH (p:Person {workspace: $ws, id: r.id}) SET p.community = r.community",
            ws=workspace_id, rows=rows,
        ).consume()
        labelled = 0
        for index, people in enumerate(groups[:COMMUNITY_LABELS], 1):
            labelled += tx.run(
                f"UNWIND $ids AS id MATCH (p:Person {{workspace: $ws, id: id}}) SET p:Community{index} RETURN count(p) AS n",
                ws=workspace_id, ids=people,
            ).single()["n"]
        tx.run(f"MATCH ()-[t:{band_types}]->() WHERE t.workspace = $ws DELETE t", ws=workspace_id).consume()
        bands: dict[str, int] = {}
        upper = None
        for name, lowest in STRENGTH_BANDS:
            condition = "k.strength >= $low" + (" AND k.strength < $high" if upper is not None else "")
            bands[name] = tx.run(
                f"MATCH (a:Person {{workspace: $ws}})-[k:KNOWS]->(b:Person) WHERE a.id IS NOT NULL AND k.workspace = $ws AND {condition} "
                f"CREATE (a)-[t:{name} {{workspace: $ws, strength: round(k.strength, 2), level: k.level, "
                "lastContact: k.lastContact}]->(b) RETURN count(t) AS n",
                ws=workspace_id, low=lowest, high=upper,
            ).single()["n"]
            upper = lowest
        return BrowserView(len(groups), labelled, bands)

    return _execute_write(store, work)
