"""The derived ``KNOWS`` relationships: the store writes and reads them; what they hold is
computed above the analytics (``graphsvc.projection.knows``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, Sequence

from graphsvc.store.neo4j.connection import _guarded
from graphsvc.store.neo4j.rows import _chunks, _native, _temporal


_DELETE_KNOWS = "MATCH ()-[k:KNOWS {workspace: $ws}]->() DELETE k"
_DELETE_SOME_KNOWS = "MATCH ()-[k:KNOWS {workspace: $ws}]->() WITH k LIMIT $batch DELETE k RETURN count(*) AS n"
_CREATE_KNOWS = (
    "UNWIND $rows AS r "
    "MATCH (a:Person {workspace: $ws, id: r[0]}) MATCH (b:Person {workspace: $ws, id: r[1]}) "
    "CREATE (a)-[:KNOWS {workspace: $ws, strength: r[2], level: r[3], lastContact: CASE WHEN r[4] IS NULL "
    "THEN null WHEN r[5] THEN datetime(r[4]) ELSE localdatetime(r[4]) END, channels: r[6], asOf: $asOf}]->(b) "
    "RETURN count(*) AS n"
)
_EVENT_SIZES = "UNWIND $rows AS r MATCH (e:Event {workspace: $ws, id: r.id}) SET e.size = r.size"
_KNOWS_DONE = "MATCH (w:Workspace {id: $ws}) SET w.knowsAsOf = $asOf, w.knowsCount = $n"


class _Knows:
    """Mixed into ``Neo4jStore``."""

    # derived KNOWS ------------------------------------------------------------------------------
    @_guarded
    def refresh_knows(
        self,
        workspace_id: str,
        ties: Iterable[tuple[str, str, float, Any, datetime | None, Sequence[str]]],
        *,
        as_of: datetime | None = None,
        event_sizes: dict[str, int] | None = None,
        batch: int | None = None,
    ) -> int:
        """Replace the workspace's ``KNOWS`` relationships with ``ties`` in one transaction.

        Each tie is ``(a, b, strength, level, last_contact, channels)``; the relationship points
        from the smaller id to the larger (read it undirected). ``event_sizes`` (event id ->
        attendees) is written to ``Event.size``. Not part of an ``atomic()`` block: it commits
        on its own. Returns the number of ``KNOWS`` relationships written.

        ``batch``: one transaction per ``batch`` ties instead (the old ones deleted first, in
        batches too), for more ties than one transaction of a small Neo4j holds; readers can
        see a partial ``KNOWS`` meanwhile.
        """
        rows = []
        for a, b, strength, level, last_contact, channels in ties:
            if a == b:
                continue
            a, b = (a, b) if a < b else (b, a)
            kind, iso = _temporal(last_contact)
            rows.append([a, b, float(strength), getattr(level, "value", level), iso, kind == "aware", list(channels)])
        sizes = [{"id": k, "size": int(v)} for k, v in sorted((event_sizes or {}).items())]

        def create(tx: Any, ties_rows: Sequence[Any]) -> int:
            written = 0
            for chunk in _chunks(ties_rows):
                written += tx.run(_CREATE_KNOWS, ws=workspace_id, rows=list(chunk), asOf=as_of).single()["n"]
            return written

        def finish(tx: Any, written: int) -> None:
            for chunk in _chunks(sizes):
                tx.run(_EVENT_SIZES, ws=workspace_id, rows=list(chunk)).consume()
            tx.run(_KNOWS_DONE, ws=workspace_id, asOf=as_of, n=written).consume()

        def work(tx: Any) -> int:
            tx.run(_DELETE_KNOWS, ws=workspace_id).consume()
            written = create(tx, rows)
            finish(tx, written)
            return written

        with self._session() as session:
            if batch is None:
                return int(session.execute_write(work))
            while session.execute_write(lambda tx: tx.run(_DELETE_SOME_KNOWS, ws=workspace_id, batch=batch).single()["n"]):
                pass
            written = 0
            for start in range(0, len(rows), batch):
                written += session.execute_write(create, rows[start : start + batch])
            session.execute_write(finish, written)
            return written
    @_guarded
    def knows(self, workspace_id: str) -> list[dict[str, Any]]:
        """The stored ``KNOWS`` relationships: ``a``, ``b`` (a < b), ``strength``, ``level``,
        ``lastContact``, ``channels``, ``asOf``; sorted by (a, b)."""
        rows = self._read(
            "MATCH (a:Person {workspace: $ws})-[k:KNOWS]->(b:Person) WHERE a.id IS NOT NULL AND k.workspace = $ws "
            "RETURN a.id AS a, b.id AS b, k.strength AS strength, k.level AS level, k.lastContact AS lastContact, "
            "k.channels AS channels, k.asOf AS asOf ORDER BY a, b",
            ws=workspace_id,
        )
        for row in rows:
            row["lastContact"], row["asOf"] = _native(row["lastContact"]), _native(row["asOf"])
        return rows
