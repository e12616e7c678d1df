"""Events and evidence: one relationship type per evidence kind (``cypher.EVIDENCE_TYPES``),
attendances as ``(:Person)-[:ATTENDED]->(:Event)``."""

from __future__ import annotations

from typing import Any, Iterable, Iterator

from neo4j import READ_ACCESS
from neo4j import exceptions as neo4j_errors

from graphsvc.model import Channel, Event, Evidence
from graphsvc.store.neo4j.connection import _guarded
from graphsvc.store.neo4j.cypher import _EVIDENCE_PATTERN, EVIDENCE_TYPES, KIND_OF_TYPE
from graphsvc.store.neo4j.rows import _chunks, _native, _parse_temporal


class _Evidence:
    """Mixed into ``Neo4jStore``."""

    # events and evidence ------------------------------------------------------------------------
    @_guarded
    def add_event(self, workspace_id: str, event: Event) -> None:
        with self.atomic():
            self._block_now().pending(workspace_id).events.setdefault(event.id, event)

    def add_events(self, workspace_id: str, events: Iterable[Event]) -> None:
        with self.atomic():
            for event in events:
                self.add_event(workspace_id, event)

    @_guarded
    def get_events(self, workspace_id: str, ids: Iterable[str]) -> dict[str, Event]:
        wanted = list(dict.fromkeys(ids))

        def work(tx: Any) -> dict[str, Event]:
            found: dict[str, Event] = {}
            for chunk in _chunks(wanted):
                for rec in tx.run(
                    "UNWIND $ids AS id MATCH (e:Event {workspace: $ws, id: id}) "
                    "RETURN e.id AS id, e.name AS name, e.startsAt AS startsAt, e.kind AS kind, e.sourceFormat AS fmt",
                    ws=workspace_id, ids=list(chunk),
                ):
                    found[rec["id"]] = Event(rec["id"], rec["name"], _native(rec["startsAt"]), rec["kind"], rec["fmt"])
            return found

        found = self._read_consistent(workspace_id, work) if wanted else {}
        return {eid: found[eid] for eid in wanted if eid in found}

    @_guarded
    def add_evidence(self, workspace_id: str, items: Iterable[Evidence]) -> int:
        items = list(items)
        if not items:
            return 0
        with self.atomic():
            block = self._block_now()
            pend = block.pending(workspace_id)
            fresh: dict[str, Evidence] = {}
            for e in items:
                if e.id not in pend.evidence and e.id not in fresh:
                    fresh[e.id] = e
            if not fresh:
                return 0
            cache = self._cache_for(block, workspace_id)
            if cache is not None:
                stored = {eid for eid in fresh if eid in cache.evidence}
            else:
                stored = self._stored_evidence_ids(workspace_id, list(fresh))
            added = 0
            for eid, e in fresh.items():
                if eid not in stored:
                    pend.evidence[eid] = e
                    added += 1
            if added:
                pend.dirty = True
            return added

    def _stored_evidence_ids(self, workspace_id: str, ids: list[str]) -> set[str]:
        query = " UNION ".join(
            f"UNWIND $ids AS id MATCH ()-[e:{rel_type} {{workspace: $ws, id: id}}]->() RETURN e.id AS found"
            for rel_type in EVIDENCE_TYPES.values()
        )
        found: set[str] = set()
        for chunk in _chunks(ids):
            rows = self._read(query, ws=workspace_id, ids=list(chunk))
            found.update(r["found"] for r in rows)
        return found

    _EVIDENCE_QUERY = (
        f"MATCH (a:Person {{workspace: $ws}})-[e:{_EVIDENCE_PATTERN}]->(x) WHERE a.id IS NOT NULL AND e.workspace = $ws "
        "RETURN [e.id, type(e), e.channel, a.id, CASE WHEN x:Event THEN null WHEN e.dangling THEN null ELSE x.id END, "
        "CASE WHEN x:Event THEN x.id ELSE e.eventId END, toString(e.at), e.jobId, e.direction] AS row ORDER BY e.id"
    )

    @staticmethod
    def _evidence(row: list[Any]) -> Evidence:
        eid, rel_type, channel, a, b, event_id, at, job_id, direction = row
        return Evidence(
            eid, KIND_OF_TYPE[rel_type], Channel(channel), a, b, event_id, _parse_temporal(at), job_id, direction or "mutual"
        )

    def iter_evidence(self, workspace_id: str) -> Iterator[Evidence]:
        block = self._block()
        if block is not None and block.has_writes(workspace_id):
            items = self._guarded_call(
                lambda: self._read_consistent(
                    workspace_id, lambda tx: [self._evidence(r[0]) for r in tx.run(self._EVIDENCE_QUERY, ws=workspace_id)]
                )
            )
            yield from items
            return
        try:
            with self._session(READ_ACCESS) as session:
                with session.begin_transaction() as tx:
                    for rec in tx.run(self._EVIDENCE_QUERY, ws=workspace_id):
                        yield self._evidence(rec[0])
        except (neo4j_errors.Neo4jError, neo4j_errors.DriverError) as exc:
            translated = self._translate(exc)
            if translated is None:
                raise
            raise translated from exc


    @_guarded
    def count_evidence(self, workspace_id: str) -> int:
        query = (
            f"MATCH (a:Person {{workspace: $ws}})-[e:{_EVIDENCE_PATTERN}]->() WHERE a.id IS NOT NULL AND e.workspace = $ws "
            "RETURN count(e) AS n"
        )
        return int(self._read_consistent(workspace_id, lambda tx: tx.run(query, ws=workspace_id).single()["n"]))
