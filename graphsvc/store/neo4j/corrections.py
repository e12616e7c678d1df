"""What correcting imports needs (``graphsvc.imports.corrections``): the import journal
(``(:JournalEntry)``, written with the import's batch), event aliases (``(:EventAlias)``), and the
removals and rewrites of undoing an import or merging events, written directly (never part of an
import batch), each in one transaction that moves the workspace's data version and generation."""

from __future__ import annotations

import threading
import time
from typing import Any, Iterable

from graphsvc.model import Event, Evidence
from graphsvc.store.neo4j.connection import _guarded
from graphsvc.store.neo4j.cypher import _EVIDENCE_PATTERN, EVIDENCE_TYPES
from graphsvc.store.neo4j.rows import _chunks, _event_props

_LAST_SEQ = [0]
_SEQ_LOCK = threading.Lock()


def _next_seq() -> int:
    """Increasing within the process, and across processes by the clock (nanoseconds)."""
    with _SEQ_LOCK:
        _LAST_SEQ[0] = max(_LAST_SEQ[0] + 1, time.time_ns())
        return _LAST_SEQ[0]

_BUMP_DIRECT = (
    "MERGE (w:Workspace {id: $ws}) SET w.dataVersion = coalesce(w.dataVersion, 0) + 1, w.generation = coalesce(w.generation, 0) + 1 "
    "RETURN w.generation AS g"
)


class _Corrections:
    """Mixed into ``Neo4jStore``."""

    _driver: Any
    database: str

    def _write_direct(self, workspace_id: str, work: Any) -> Any:
        """``work(tx)`` in one write transaction, with the workspace's version moved; the cache dropped."""
        with self.atomic():  # flush this thread's pending writes first, and hold the write lock
            pass

        def run(tx: Any) -> Any:
            result = work(tx)
            return result, tx.run(_BUMP_DIRECT, ws=workspace_id).single()["g"]

        with self._write_lock:
            with self._session() as session:
                result, _ = session.execute_write(run)
        self._caches.pop(workspace_id, None)
        block = self._block()
        if block is not None and workspace_id in block.validated:
            # this thread's own write, not another writer's: the block's reads come from the store again
            block.validated.pop(workspace_id)
        return result

    # the journal ------------------------------------------------------------------------------------
    @_guarded
    def add_journal(self, workspace_id: str, job_id: str, entries: Iterable[tuple[str, str, str]]) -> None:
        rows = [[job_id, _next_seq(), kind, ref, data] for kind, ref, data in entries]
        if not rows:
            return
        block = self._block()
        if block is not None:
            block.pending(workspace_id).journal.extend(rows)
            return
        self._write_direct(workspace_id, lambda tx: tx.run(
            "UNWIND $rows AS r CREATE (:JournalEntry {workspace: $ws, job: r[0], seq: r[1], kind: r[2], ref: r[3], data: r[4]})",
            ws=workspace_id, rows=rows,
        ).consume())

    def _journal_rows(self, workspace_id: str, query: str, **params: Any) -> list[dict[str, Any]]:
        rows = self._read(query, ws=workspace_id, **params)
        pend = self._pending(workspace_id)
        if pend is not None:
            rows += [{"job": r[0], "seq": r[1], "kind": r[2], "ref": r[3], "data": r[4]} for r in pend.journal]
        return rows

    @_guarded
    def journal(self, workspace_id: str, job_id: str) -> list[tuple[str, str, str]]:
        rows = self._journal_rows(
            workspace_id, "MATCH (j:JournalEntry {workspace: $ws, job: $job}) RETURN j.job AS job, j.seq AS seq, j.kind AS kind, "
            "j.ref AS ref, j.data AS data", job=job_id,
        )
        return [(r["kind"], r["ref"], r["data"]) for r in sorted(rows, key=lambda r: r["seq"]) if r["job"] == job_id]

    @_guarded
    def journal_jobs(self, workspace_id: str, kind: str, refs: Iterable[str]) -> dict[str, list[str]]:
        wanted = sorted(set(refs))
        rows = self._journal_rows(
            workspace_id, "MATCH (j:JournalEntry {workspace: $ws, kind: $kind}) WHERE j.ref IN $refs "
            "RETURN j.job AS job, j.seq AS seq, j.kind AS kind, j.ref AS ref, j.data AS data", kind=kind, refs=wanted,
        )
        chosen = set(wanted)
        found: dict[str, list[str]] = {}
        for r in sorted(rows, key=lambda r: r["seq"]):
            if r["kind"] == kind and r["ref"] in chosen:
                found.setdefault(r["ref"], []).append(r["job"])
        return found

    @_guarded
    def drop_journal(self, workspace_id: str, job_id: str, kind: str | None = None, refs: Iterable[str] | None = None) -> None:
        if refs is None:
            query, params = "MATCH (j:JournalEntry {workspace: $ws, job: $job}) DELETE j", {}
        else:
            query, params = "MATCH (j:JournalEntry {workspace: $ws, job: $job, kind: $kind}) WHERE j.ref IN $refs DELETE j", {
                "kind": kind, "refs": sorted(set(refs))}
        self._write_direct(workspace_id, lambda tx: tx.run(query, ws=workspace_id, job=job_id, **params).consume())

    # evidence ---------------------------------------------------------------------------------------
    def _evidence_rows(self, workspace_id: str, where: str, **params: Any) -> list[Evidence]:
        query = (
            f"MATCH (a:Person {{workspace: $ws}})-[e:{_EVIDENCE_PATTERN}]->(x) WHERE a.id IS NOT NULL AND e.workspace = $ws AND {where} "
            "RETURN [e.id, type(e), e.channel, a.id, CASE WHEN x:Event THEN null WHEN e.dangling THEN null ELSE x.id END, "
            "CASE WHEN x:Event THEN x.id ELSE e.eventId END, toString(e.at), e.jobId, e.direction] AS row ORDER BY e.id"
        )
        rows = self._read_consistent(workspace_id, lambda tx: [rec["row"] for rec in tx.run(query, ws=workspace_id, **params)])
        return [self._evidence(row) for row in rows]

    @_guarded
    def evidence_owners(self, workspace_id: str, ids: Iterable[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for chunk in _chunks(sorted(set(ids))):
            found.update((e.id, e.job_id) for e in self._evidence_rows(workspace_id, "e.id IN $ids", ids=list(chunk)))
        return found

    @_guarded
    def evidence_where(self, workspace_id: str, *, job_id: str | None = None, event_ids: Iterable[str] | None = None) -> list[Evidence]:
        if job_id is not None:
            return self._evidence_rows(workspace_id, "e.jobId = $job", job=job_id)
        wanted = sorted(set(event_ids or ()))
        if not wanted:
            return []
        return self._evidence_rows(workspace_id, "x:Event AND x.id IN $events", events=wanted)

    def _delete_evidence(self, tx: Any, workspace_id: str, ids: list[str]) -> None:
        for rel_type in sorted(set(EVIDENCE_TYPES.values())):
            tx.run(f"MATCH ()-[e:{rel_type} {{workspace: $ws}}]->() WHERE e.id IN $ids DELETE e", ws=workspace_id, ids=ids).consume()

    @_guarded
    def delete_evidence(self, workspace_id: str, ids: Iterable[str]) -> None:
        wanted = sorted(set(ids))
        if wanted:
            self._write_direct(workspace_id, lambda tx: self._delete_evidence(tx, workspace_id, wanted))

    @_guarded
    def put_evidence(self, workspace_id: str, items: Iterable[Evidence]) -> None:
        items = list(items)
        if not items:
            return
        self.delete_evidence(workspace_id, [e.id for e in items])
        with self.atomic():
            self.add_evidence(workspace_id, items)

    # sightings and records ----------------------------------------------------------------------------
    @_guarded
    def people_sighted_by(self, workspace_id: str, job_id: str) -> set[str]:
        rows = self._read_consistent(workspace_id, lambda tx: [
            r["id"] for r in tx.run("MATCH (p:Person {workspace: $ws})-[s:SEEN_IN]->(:ImportJob {workspace: $ws, id: $job}) RETURN DISTINCT p.id AS id",
                                    ws=workspace_id, job=job_id)
        ])
        return set(rows)

    @_guarded
    def sighting_jobs(self, workspace_id: str, person_ids: Iterable[str]) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for chunk in _chunks(sorted(set(person_ids))):
            rows = self._read_consistent(workspace_id, lambda tx: [
                (r["p"], r["j"]) for r in tx.run(
                    "MATCH (p:Person {workspace: $ws})-[s:SEEN_IN]->(j:ImportJob) WHERE p.id IN $ids RETURN DISTINCT p.id AS p, j.id AS j",
                    ws=workspace_id, ids=list(chunk))
            ])
            for person, job in rows:
                found.setdefault(person, set()).add(job)
        return found

    @_guarded
    def delete_sightings(self, workspace_id: str, job_id: str) -> None:
        self._write_direct(workspace_id, lambda tx: tx.run(
            "MATCH (:Person {workspace: $ws})-[s:SEEN_IN]->(:ImportJob {workspace: $ws, id: $job}) DELETE s", ws=workspace_id, job=job_id
        ).consume())

    @_guarded
    def remove_records(self, workspace_id: str, person_ids: Iterable[str]) -> None:
        ids = sorted(set(person_ids))
        if not ids:
            return

        def work(tx: Any) -> None:
            tx.run("MATCH (p:Person {workspace: $ws}) WHERE p.mergedInto IN $ids REMOVE p.mergedInto, p.mergedByHand", ws=workspace_id, ids=ids).consume()
            tx.run("MATCH (p:Person {workspace: $ws}) WHERE p.id IN $ids DETACH DELETE p", ws=workspace_id, ids=ids).consume()
            tx.run("MATCH (k:IdentityKey {workspace: $ws}) WHERE k.person IN $ids DELETE k", ws=workspace_id, ids=ids).consume()
            tx.run("MATCH (d:DistinctPair {workspace: $ws}) WHERE d.a IN $ids OR d.b IN $ids DELETE d", ws=workspace_id, ids=ids).consume()
            tx.run("MATCH (w:Workspace {id: $ws}) SET w.members = [m IN coalesce(w.members, []) WHERE NOT m IN $ids]", ws=workspace_id, ids=ids).consume()

        self._write_direct(workspace_id, work)

    @_guarded
    def remove_keys(self, workspace_id: str, keys: Iterable[tuple[str, str, str]]) -> None:
        rows = [list(k) for k in keys]
        if rows:
            self._write_direct(workspace_id, lambda tx: tx.run(
                "UNWIND $rows AS r MATCH (k:IdentityKey {workspace: $ws, kind: r[0], value: r[1]}) WHERE k.person = r[2] DELETE k",
                ws=workspace_id, rows=rows,
            ).consume())

    @_guarded
    def remove_member(self, workspace_id: str, person_id: str) -> None:
        self._write_direct(workspace_id, lambda tx: tx.run(
            "MATCH (w:Workspace {id: $ws}) SET w.members = [m IN coalesce(w.members, []) WHERE m <> $pid]", ws=workspace_id, pid=person_id
        ).consume())

    # events -------------------------------------------------------------------------------------------
    @_guarded
    def put_event(self, workspace_id: str, event: Event) -> None:
        self._write_direct(workspace_id, lambda tx: tx.run(
            "MERGE (e:Event {workspace: $ws, id: $id}) SET e += $props", ws=workspace_id, id=event.id, props=_event_props(event)
        ).consume())

    @_guarded
    def delete_events(self, workspace_id: str, ids: Iterable[str]) -> None:
        wanted = sorted(set(ids))
        if not wanted:
            return

        def work(tx: Any) -> None:
            tx.run("MATCH (e:Event {workspace: $ws}) WHERE e.id IN $ids DETACH DELETE e", ws=workspace_id, ids=wanted).consume()
            tx.run("MATCH (a:EventAlias {workspace: $ws}) WHERE a.eventId IN $ids DELETE a", ws=workspace_id, ids=wanted).consume()

        self._write_direct(workspace_id, work)

    @_guarded
    def list_events(self, workspace_id: str) -> list[Event]:
        ids = self._read_consistent(workspace_id, lambda tx: [r["id"] for r in tx.run("MATCH (e:Event {workspace: $ws}) RETURN e.id AS id", ws=workspace_id)])
        return sorted(self.get_events(workspace_id, ids).values(), key=lambda e: e.id)

    @_guarded
    def add_event_alias(self, workspace_id: str, alias: str, event_id: str) -> None:
        def work(tx: Any) -> None:
            tx.run("MERGE (a:EventAlias {workspace: $ws, alias: $alias}) SET a.eventId = $event", ws=workspace_id, alias=alias, event=event_id).consume()
            tx.run("MATCH (a:EventAlias {workspace: $ws, eventId: $alias}) SET a.eventId = $event", ws=workspace_id, alias=alias, event=event_id).consume()

        self._write_direct(workspace_id, work)

    @_guarded
    def event_aliases(self, workspace_id: str) -> dict[str, str]:
        rows = self._read("MATCH (a:EventAlias {workspace: $ws}) RETURN a.alias AS alias, a.eventId AS event", ws=workspace_id)
        return {r["alias"]: r["event"] for r in rows}
