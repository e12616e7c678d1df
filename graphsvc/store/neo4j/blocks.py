"""Atomic blocks: writes buffered per thread and flushed in one write transaction when the
outermost ``atomic()`` ends; reads inside a block overlay its pending writes on a per-workspace
cache validated by the ``(:Workspace)`` generation counter; the after-import hook, called
once a committed block saved a job as ``COMPLETED``."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from graphsvc.model import Event, Evidence, ImportJob, Person, Reject, Sighting
from graphsvc.store.neo4j.connection import StoreConflict, _guarded
from graphsvc.store.neo4j.cypher import (
    _ADD_DISTINCT,
    _BUMP,
    _CREATE_KEYS,
    _CREATE_PERSONS,
    _EVENTS,
    _EVIDENCE_PATTERN,
    _MEMBERS,
    _MERGE_KEYS,
    _MERGED_INTO,
    _NEW_JOBS,
    _NEW_PERSONS,
    _REJECTS,
    _REMOVE_DISTINCT,
    _SIGHTINGS,
    _UPDATED_JOBS,
    _UPDATED_PERSONS,
    EVIDENCE_TYPES,
    _evidence_query,
)
from graphsvc.store.neo4j.rows import (
    _PERSON_LIST,
    _chunks,
    _event_props,
    _evidence_target,
    _job_props,
    _person,
    _person_row,
    _temporal,
)

if TYPE_CHECKING:
    from graphsvc.store.neo4j.store import Neo4jStore

log = logging.getLogger("graphsvc.store.neo4j")

#: Identity-resolution lookups in one block before the workspace cache is loaded.
CACHE_AFTER_LOOKUPS = 16


@dataclass
class _WsPending:
    new_persons: dict[str, Person] = field(default_factory=dict)
    updated_persons: dict[str, Person] = field(default_factory=dict)
    keys: dict[tuple[str, str], str] = field(default_factory=dict)
    members: list[str] = field(default_factory=list)
    sightings: dict[tuple[str, int, str], Sighting] = field(default_factory=dict)
    events: dict[str, Event] = field(default_factory=dict)
    evidence: dict[str, Evidence] = field(default_factory=dict)
    jobs: dict[str, tuple[ImportJob, bool]] = field(default_factory=dict)  # id -> (copy, is new)
    merges: dict[str, tuple[str | None, bool]] = field(default_factory=dict)  # absorbed -> (survivor or None, by hand)
    distinct: dict[tuple[str, str], bool] = field(default_factory=dict)  # pair -> added (False: removed)
    journal: list[list[Any]] = field(default_factory=list)  # [job, seq, kind, ref, data]: the import journal
    dirty: bool = False  # people, evidence or members changed: data_version moves

    def has_writes(self) -> bool:
        return bool(
            self.new_persons or self.updated_persons or self.keys or self.members or self.sightings
            or self.events or self.evidence or self.jobs or self.merges or self.distinct or self.journal or self.dirty
        )


@dataclass
class _Block:
    depth: int = 1
    ws: dict[str, _WsPending] = field(default_factory=dict)
    rejects: dict[str, dict[int, Reject]] = field(default_factory=dict)
    validated: dict[str, int] = field(default_factory=dict)  # workspace -> generation seen
    lookups: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    completed: set[str] = field(default_factory=set)  # workspaces with a job saved COMPLETED

    def pending(self, workspace_id: str) -> _WsPending:
        found = self.ws.get(workspace_id)
        if found is None:
            found = self.ws[workspace_id] = _WsPending()
        return found

    def has_writes(self, workspace_id: str | None = None) -> bool:
        if workspace_id is not None:
            pend = self.ws.get(workspace_id)
            return bool(pend and pend.has_writes()) or bool(self.rejects)
        return any(p.has_writes() for p in self.ws.values()) or bool(self.rejects)


@dataclass
class _WsCache:
    """What identity resolution reads, for one workspace, as of ``generation``."""

    generation: int
    keys: dict[tuple[str, str], str]
    person_keys: dict[str, set[tuple[str, str]]]
    persons: dict[str, Person]
    members: set[str]
    evidence: set[str]




class _Blocks:
    """``atomic()``, the flush, the workspace cache (mixed into ``Neo4jStore``)."""

    _driver: Any
    _local: Any
    _write_lock: Any
    _caches: dict[str, "_WsCache"]
    #: Called with the workspace id after a committed block saved a job of it as ``COMPLETED``
    #: (while ``project_knows_after_import`` is true); see ``Neo4jStore``.
    after_import: Callable[[str], None] | None
    project_knows_after_import: bool

    def _read_consistent(self, workspace_id: str | None, work: Callable[[Any], Any]) -> Any:
        """``work(tx)``, seeing this thread's pending writes (of ``workspace_id``, or of any workspace
        when it is None): applied in a transaction rolled back after."""
        block = self._block()
        if block is None or not block.has_writes(workspace_id):
            return self._read_tx(work)
        with self._session() as session:
            tx = session.begin_transaction()
            try:
                self._write_block(tx, block, check_generation=False)
                return work(tx)
            finally:
                tx.close()  # never committed: rolls back

    # atomic blocks ----------------------------------------------------------------------------
    def _block(self) -> _Block | None:
        return getattr(self._local, "block", None)

    def atomic(self) -> "_Atomic":
        return _Atomic(self)

    def _begin(self) -> None:
        block = self._block()
        if block is not None:
            block.depth += 1
            return
        self._write_lock.acquire()
        self._local.block = _Block()

    def _end(self, failed: bool) -> None:
        block = self._block()
        assert block is not None
        if block.depth > 1:
            block.depth -= 1
            return
        self._local.block = None
        try:
            if not failed and block.has_writes():
                self._commit(block)
        finally:
            self._write_lock.release()
        if not failed and self.project_knows_after_import and self.after_import is not None:
            for workspace_id in sorted(block.completed):
                self._after_import(workspace_id)

    @_guarded
    def _commit(self, block: _Block) -> None:
        try:
            with self._session() as session:
                generations = session.execute_write(lambda tx: self._write_block(tx, block, check_generation=True))
        except BaseException:
            for workspace_id in block.ws:  # the outcome may be unknown (lost commit): start afresh
                self._caches.pop(workspace_id, None)
            raise
        for workspace_id, old in generations.items():
            cache = self._caches.get(workspace_id)
            if cache is None:
                continue
            if cache.generation != old:
                del self._caches[workspace_id]
                continue
            self._apply_to_cache(cache, block.ws[workspace_id])
            cache.generation = old + 1

    def _after_import(self, workspace_id: str) -> None:
        hook = self.after_import
        if hook is None:
            return
        try:
            hook(workspace_id)
        except Exception:  # the import itself is committed; the next import's hook catches up
            log.warning("the after-import hook failed for workspace %s (KNOWS not rebuilt)", workspace_id, exc_info=True)

    @staticmethod
    def _apply_to_cache(cache: _WsCache, pend: _WsPending) -> None:
        cache.persons.update(pend.new_persons)
        for pid, person in pend.updated_persons.items():
            if pid in cache.persons:
                cache.persons[pid] = person
        for key, pid in pend.keys.items():
            if key not in cache.keys:
                cache.keys[key] = pid
                cache.person_keys.setdefault(pid, set()).add(key)
        cache.members.update(pend.members)
        cache.evidence.update(pend.evidence)

    def _write_block(self, tx: Any, block: _Block, *, check_generation: bool) -> dict[str, int]:
        """Run the statements that write ``block`` in ``tx``; the previous generation per workspace.

        Pure with respect to ``block`` (the driver may retry it) and idempotent (MERGE on keys).
        """
        generations: dict[str, int] = {}
        for ws, pend in block.ws.items():
            if not pend.has_writes():
                continue
            old = tx.run(_BUMP, ws=ws, bump=int(pend.dirty), members=pend.members).single()["g"]
            expected = block.validated.get(ws)
            if check_generation and expected is not None and old != expected:
                raise StoreConflict(
                    f"another writer changed workspace {ws} during this batch; nothing of the batch was written "
                    "(re-run the import to resume it from its checkpoint)"
                )
            generations[ws] = old
            self._write_workspace(tx, ws, pend, known_new=ws in block.validated)
        rows = [
            {"job": job_id, "row": r.row, "reason": r.reason, "skipped": r.skipped}
            for job_id, by_row in block.rejects.items()
            for r in by_row.values()
        ]
        for chunk in _chunks(rows):
            tx.run(_REJECTS, rows=chunk).consume()
        return generations

    def _write_workspace(self, tx: Any, ws: str, pend: _WsPending, known_new: bool) -> None:
        """The statements for one workspace. ``known_new``: the block's reads came from a validated
        cache, so its new people, keys and evidence do not exist yet and can be CREATEd."""

        def run(query: str, rows: list[Any], what: str | None = None, **params: Any) -> None:
            for chunk in _chunks(rows):
                result = tx.run(query, ws=ws, rows=list(chunk), **params)
                if what is None:
                    result.consume()
                    continue
                written = result.single()["n"]
                if written != len(chunk):
                    raise ValueError(f"{len(chunk) - written} {what} refer to people or events that do not exist in workspace {ws}")

        run(_CREATE_PERSONS if known_new else _NEW_PERSONS, [_person_row(p) for p in pend.new_persons.values()])
        run(_UPDATED_PERSONS, [_person_row(p) for p in pend.updated_persons.values()])
        if pend.members:
            tx.run(_MEMBERS, ws=ws, ids=pend.members).consume()
        run(_CREATE_KEYS if known_new else _MERGE_KEYS, [[k, v, pid] for (k, v), pid in pend.keys.items()])
        run(_MERGED_INTO, [[absorbed, survivor, manual] for absorbed, (survivor, manual) in pend.merges.items()])
        run(_ADD_DISTINCT, [list(pair) for pair, added in pend.distinct.items() if added])
        run(_REMOVE_DISTINCT, [list(pair) for pair, added in pend.distinct.items() if not added])
        run(
            "UNWIND $rows AS r CREATE (:JournalEntry {workspace: $ws, job: r[0], seq: r[1], kind: r[2], ref: r[3], data: r[4]})",
            pend.journal,
        )
        run(_NEW_JOBS, [{"id": j.id, "props": _job_props(j)} for j, is_new in pend.jobs.values() if is_new])
        run(_UPDATED_JOBS, [{"id": j.id, "props": _job_props(j)} for j, is_new in pend.jobs.values() if not is_new])
        run(_EVENTS, [{"id": e.id, "props": _event_props(e)} for e in pend.events.values()])
        sightings: dict[tuple[str, str, str], list[list[Any]]] = defaultdict(list)
        for si in pend.sightings.values():
            sightings[(si.job_id, si.source_format, si.source_name)].append(
                [si.person_id, si.row, si.name, si.email, si.linkedin_url, si.organization, si.title]
            )
        for (job_id, fmt, source), rows in sorted(sightings.items()):
            run(_SIGHTINGS, rows, "sightings", job=job_id, format=fmt, source=source)
        evidence: dict[tuple[str, str, str, str, str, str], list[list[Any]]] = defaultdict(list)
        for e in pend.evidence.values():
            target = _evidence_target(e)
            end = e.person_b if target == "person" else e.event_id if target == "event" else None
            extra_event = e.event_id if target != "event" else None
            at_kind, at = _temporal(e.at)
            evidence[(EVIDENCE_TYPES[e.kind], target, at_kind, e.channel.value, e.job_id, e.direction)].append(
                [e.id, e.person_a, end, at, extra_event]
            )
        for (rel_type, target, at_kind, channel, job_id, direction), rows in sorted(evidence.items()):
            run(
                _evidence_query(rel_type, target, at_kind, known_new), rows, "evidence items",
                channel=channel, job=job_id, direction=direction,
            )

    # workspace cache ----------------------------------------------------------------------------
    def _generation(self, workspace_id: str) -> int:
        rows = self._read("MATCH (w:Workspace {id: $ws}) RETURN coalesce(w.generation, 0) AS g", ws=workspace_id)
        return int(rows[0]["g"]) if rows else 0

    def _cache_for(self, block: _Block, workspace_id: str) -> _WsCache | None:
        """The workspace cache if it may answer this block's reads (loading it once lookups pile up)."""
        if workspace_id in block.validated:
            return self._caches.get(workspace_id)
        block.lookups[workspace_id] += 1
        cache = self._caches.get(workspace_id)
        if cache is None and block.lookups[workspace_id] < CACHE_AFTER_LOOKUPS:
            return None
        if cache is not None and cache.generation == self._generation(workspace_id):
            block.validated[workspace_id] = cache.generation
            return cache
        cache = self._read_tx(lambda tx: self._load_cache(tx, workspace_id))
        self._caches[workspace_id] = cache
        block.validated[workspace_id] = cache.generation
        return cache

    @staticmethod
    def _load_cache(tx: Any, ws: str) -> _WsCache:
        head = tx.run(
            "MATCH (w:Workspace {id: $ws}) RETURN coalesce(w.generation, 0) AS g, coalesce(w.members, []) AS m", ws=ws
        ).single()
        generation, members = (int(head["g"]), set(head["m"])) if head else (0, set())
        keys: dict[tuple[str, str], str] = {}
        person_keys: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for rec in tx.run(
            "MATCH (k:IdentityKey {workspace: $ws}) WHERE k.kind IS NOT NULL AND k.value IS NOT NULL "
            "RETURN k.kind AS kind, k.value AS value, k.person AS person",
            ws=ws,
        ):
            key = (rec["kind"], rec["value"])
            keys[key] = rec["person"]
            person_keys[rec["person"]].add(key)
        persons = {
            rec[0][0]: _person(rec[0])
            for rec in tx.run(f"MATCH (p:Person {{workspace: $ws}}) WHERE p.id IS NOT NULL RETURN {_PERSON_LIST}", ws=ws)
        }
        evidence = {
            rec["id"]
            for rec in tx.run(
                f"MATCH (a:Person {{workspace: $ws}})-[e:{_EVIDENCE_PATTERN}]->() WHERE a.id IS NOT NULL AND e.workspace = $ws "
                "RETURN e.id AS id",
                ws=ws,
            )
        }
        return _WsCache(generation, keys, dict(person_keys), persons, members, evidence)

    def _block_now(self) -> _Block:
        block = self._block()
        assert block is not None, "only inside atomic()"
        return block

    def _pending(self, workspace_id: str) -> _WsPending | None:
        block = self._block()
        return block.ws.get(workspace_id) if block is not None else None


class _Atomic:
    """``with store.atomic():`` (a class rather than @contextmanager: commit errors must surface
    from ``__exit__`` and the post-commit hook must run after the lock is released)."""

    def __init__(self, store: Neo4jStore) -> None:
        self.store = store

    def __enter__(self) -> None:
        self.store._begin()

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        self.store._end(failed=exc_type is not None)
        return False
