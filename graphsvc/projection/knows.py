"""The derived ``KNOWS`` relationships of a Neo4j store: the analytics' ties, written to the graph.

``knows_ties(snapshot, as_of, levels)`` computes the ties exactly as the analytics do
(``tie_view`` over the evidence snapshot, ``tie_strength`` per pair); ``project_knows(store,
workspace_id, as_of, levels)`` builds the snapshot from the store (merged records read as one
person) and replaces the workspace's ``KNOWS`` with them through the store's one primitive,
``Neo4jStore.refresh_knows``; ``project_all_knows`` does the same with every level, in batches.

This sits above the analytics, so the store never imports them: the store only calls the
``after_import`` hook that ``graphsvc.projection.open_store`` gives it (see
``graphsvc/projection/__init__.py``).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable

from graphsvc.analytics.strength import WARM_LEVELS, EvidenceLevel, tie_strength
from graphsvc.analytics.view import tie_view
from graphsvc.identity.clusters import ClusteredStore
from graphsvc.snapshot import Snapshot, build_snapshot

__all__ = ["knows_ties", "project_all_knows", "project_knows"]


def knows_ties(snap: Any, as_of: datetime, levels: Iterable[Any] | None = None) -> list[tuple]:
    """The ties of ``snap`` at ``as_of`` that ``project_knows`` writes, sorted by pair:
    ``(a, b, strength, level, last_contact, channels)`` with ``a < b``.

    Every tie whose level is in ``levels`` (default: the warm levels: interaction, small event,
    connection; pass ``list(EvidenceLevel)`` for all), with ``tie_strength``'s strength, level,
    last contact and channels. A warm tie rests on direct evidence or a small event, so only
    direct pairs and the pairs of small events are evaluated: no large event is ever expanded
    into its pairs. All levels (for Cypher path answers) do expand every event.
    """
    wanted = set(WARM_LEVELS if levels is None else levels)
    view = tie_view(snap, as_of)
    ids = view.arrays.ids
    if wanted <= set(WARM_LEVELS):
        first, second = view.ties.warm_pairs()
        pairs = [(ids[a], ids[b]) for a, b in zip(first.tolist(), second.tolist())]
    else:
        pairs = [(ids[a], ids[b]) for a in range(len(ids)) for b in view.ties.row(a)[0].tolist() if a < b]
    ties = []
    for a, b in sorted(pairs):
        tie = tie_strength(snap, a, b, as_of)
        if tie is not None and tie.strength > 0 and tie.level in wanted:
            ties.append((a, b, tie.strength, tie.level.value, tie.last_contact, tie.channels))
    return ties


def _snapshot(store: Any, workspace_id: str) -> Snapshot:
    # KNOWS is between people: merged records count as the person they are part of
    return build_snapshot(store if isinstance(store, ClusteredStore) else ClusteredStore(store), workspace_id)  # type: ignore[arg-type]


def project_knows(store: Any, workspace_id: str, as_of: datetime | None = None, levels: Iterable[Any] | None = None) -> int:
    """Recompute the workspace's ties at ``as_of`` (default: now, to the minute) from its
    evidence and replace its ``KNOWS`` relationships with them (``knows_ties``); also writes
    ``Event.size``. ``store`` is a ``Neo4jStore`` (or a ``ClusteredStore`` over one). Returns
    how many ``KNOWS`` relationships were written."""
    as_of = _as_of(as_of)
    snap = _snapshot(store, workspace_id)
    return store.refresh_knows(workspace_id, knows_ties(snap, as_of, levels), as_of=as_of, event_sizes=snap.event_size)


def project_all_knows(store: Any, workspace_id: str, as_of: Any = None, *, batch: int = 20_000) -> int:
    """``project_knows`` with every level (``levels=list(EvidenceLevel)``), written in batches.

    Every level includes co-presence at large events, quadratic in their size (an 800-person
    conference alone is 320,000 ties): more than one transaction of a small Neo4j (1 GB heap,
    ``dbms.memory.transaction.total.max``) can hold. This writes the very ties of
    ``knows_ties(snapshot, as_of, list(EvidenceLevel))`` with ``refresh_knows(..., batch=batch)``:
    the old ones deleted first, then one transaction per ``batch`` ties, so readers can see a
    partial ``KNOWS`` meanwhile. Returns the number of ties written.
    """
    as_of = _as_of(as_of)
    snap = _snapshot(store, workspace_id)
    ties = knows_ties(snap, as_of, list(EvidenceLevel))
    return store.refresh_knows(workspace_id, ties, as_of=as_of, event_sizes=snap.event_size, batch=batch)


def _as_of(as_of: datetime | None) -> datetime:
    if as_of is None:
        return datetime.now(timezone.utc).replace(second=0, microsecond=0)
    return as_of.replace(tzinfo=timezone.utc) if as_of.tzinfo is None else as_of.astimezone(timezone.utc)
