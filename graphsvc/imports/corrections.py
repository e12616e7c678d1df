"""Correcting what imports wrote: events edited or merged with their duplicate, imports undone.

What an import did that its own rows cannot tell is kept in the store's *import journal*, written
with each batch (``graphsvc.imports.jobs``) in the batch's transaction:

* ``person``: a record that existed and that the import enriched, as it was before;
* ``key``: an identity key the import gave a record that existed;
* ``merge``: a record whose person an automatic merge (or re-check) changed, with the person before;
* ``member``: the export's owner, made a workspace member by the import;
* ``event``: an event the import corrected (a re-import of the same list, see ``docs/events.md``),
  as it was before;
* ``claim``: evidence the import produced that an earlier job held already (evidence ids are
  derived from what they say, so two imports of overlapping exports produce the same rows).

``undo_import`` removes exactly what the job added: its evidence (handed over to a live job that
claims it, if any), its sightings, the records no other job mentions, the merges it made (each
record back to the person it had before) and its keys and enrichments of older records, the
events left without attendances; and undoes its event corrections. The job stays, ``UNDONE``: a
second undo changes nothing, and importing the file again imports it afresh.

Everything here takes the raw store.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from graphsvc.errors import InvalidArgument, NotFound
from graphsvc.model import Event, Evidence, EvidenceKind, JobStatus, Person, stable_id
from graphsvc.store.protocol import Store


@dataclass(frozen=True)
class UndoResult:
    job_id: str
    evidence_removed: int
    sightings_removed: int
    people_removed: int
    merges_undone: int
    events_removed: int
    already_undone: bool = False


# ----------------------------------------------------------------------------------------------
# journal entries (written by graphsvc.imports.jobs)


def person_entry(person: Person) -> tuple[str, str, str]:
    return ("person", person.id, json.dumps(asdict(person), sort_keys=True))


def key_entry(kind: str, value: str, person_id: str) -> tuple[str, str, str]:
    return ("key", person_id, json.dumps([kind, value]))


def merge_entry(record: str, before: str | None, after: str | None) -> tuple[str, str, str]:
    return ("merge", record, json.dumps([before, after]))


def member_entry(person_id: str) -> tuple[str, str, str]:
    return ("member", person_id, "")


def event_entry(event: Event) -> tuple[str, str, str]:
    return ("event", event.id, json.dumps(_event_dict(event)))


def claim_entry(evidence_id: str) -> tuple[str, str, str]:
    return ("claim", evidence_id, "")


def _event_dict(event: Event) -> dict[str, Any]:
    return {"name": event.name, "starts_at": event.starts_at.isoformat() if event.starts_at else None, "kind": event.kind,
            "source_format": event.source_format}


def _event_from(event_id: str, data: str) -> Event:
    values = json.loads(data)
    starts = datetime.fromisoformat(values["starts_at"]) if values["starts_at"] else None
    return Event(event_id, values["name"], starts, values["kind"], values["source_format"])


class MergeJournal:
    """Stands in for the store while ``auto_merge`` and ``recheck`` run in an import batch: every
    merge they write is noted (the record, its person before and after) for ``undo_import``.
    Everything else goes to the store. One per import run, so the merge map kept in memory by
    ``graphsvc.identity.merging`` is built once per run, as it is for the store itself."""

    def __init__(self, store: Store, workspace_id: str) -> None:
        self._store = store
        self._workspace_id = workspace_id
        self.entries: list[tuple[str, str, str]] = []
        self._primed = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    # the same key as the store in ``graphsvc.identity.merging``'s kept merge maps: no rebuild per import
    def __hash__(self) -> int:
        return hash(self._store)

    def __eq__(self, other: object) -> bool:
        return other is self or other is self._store or (isinstance(other, MergeJournal) and other._store is self._store)

    def prime(self) -> None:
        """Key the kept merge map by the store itself (an entry keyed by this stand-in would go with it)."""
        if not self._primed:
            from graphsvc.identity.merging import current_clusters

            current_clusters(self._store, self._workspace_id)
            self._primed = True

    def set_merged_into(self, workspace_id: str, person_ids: Any, survivor: str | None, *, manual: bool = False) -> None:
        from graphsvc.identity.merging import current_clusters  # the map as the caller has it, before this write

        ids = list(person_ids)
        self.prime()
        clusters = current_clusters(self, workspace_id)
        for record in ids:
            before = clusters.canonical(record)
            self.entries.append(merge_entry(record, None if before == record else before, survivor))
        self._store.set_merged_into(workspace_id, ids, survivor, manual=manual)

    def take(self) -> list[tuple[str, str, str]]:
        entries, self.entries = self.entries, []
        return entries


# ----------------------------------------------------------------------------------------------
# events


def find_event(store: Store, workspace_id: str, event_id: str) -> Event:
    event_id = store.event_aliases(workspace_id).get(event_id, event_id)
    found = store.get_events(workspace_id, [event_id]).get(event_id)
    if found is None:
        raise NotFound(f"no event {event_id!r} in this workspace")
    return found


def parse_event_date(value: str) -> datetime | None:
    """A date as ``--event-date`` takes it (YYYY-MM-DD, or a date and time); "" clears it."""
    if not value.strip():
        return None
    from importers.dates import GENERIC, parse_date

    parsed = parse_date(value.strip(), GENERIC, fallback=False)
    if parsed is None:
        raise InvalidArgument(f"{value!r} is not a date (use YYYY-MM-DD)")
    return parsed


def edit_event(store: Store, workspace_id: str, event_id: str, *, name: str | None = None, date: str | None = None,
               kind: str | None = None) -> Event:
    """Rename, re-date or re-kind an event (its id stays: re-importing its list finds it). A kind is
    one of ``importers.base.EVENT_KINDS`` (checked as ``--event-kind`` is); ``""`` clears it."""
    from graphsvc import limits

    if name is not None and not name.strip():
        raise InvalidArgument("an event needs a name")
    if name is not None and len(name) > limits.NAME:
        raise InvalidArgument(f"an event name has at most {limits.NAME} characters")
    if kind is not None and len(kind) > limits.KIND:
        raise InvalidArgument(f"an event kind has at most {limits.KIND} characters")
    if kind is not None and kind.strip():  # "" clears the kind; anything else is one of EVENT_KINDS, as on import
        from importers.base import check_event_kind

        kind = check_event_kind(kind)
    with store.atomic():
        old = find_event(store, workspace_id, event_id)
        new = replace(
            old,
            name=old.name if name is None else name.strip(),
            starts_at=old.starts_at if date is None else parse_event_date(date),
            kind=old.kind if kind is None else kind.strip().lower(),
        )
        if new != old:
            correct_event(store, workspace_id, old, new)
    return new


def correct_event(store: Store, workspace_id: str, old: Event, new: Event) -> None:
    """Write ``new`` over ``old`` (same id); attendances dated by the event (not by their own
    sign-in time) move with its date."""
    store.put_event(workspace_id, new)
    if old.starts_at != new.starts_at:
        moved = [replace(e, at=new.starts_at) for e in store.evidence_where(workspace_id, event_ids=[old.id]) if e.at == old.starts_at]
        store.put_evidence(workspace_id, moved)


def attendance_id(workspace_id: str, event_id: str, person_id: str) -> str:
    return stable_id("ev", workspace_id, EvidenceKind.ATTENDED.value, event_id, person_id)


def merge_events(store: Store, workspace_id: str, keep: str, other: str) -> Event:
    """Merge event ``other`` into ``keep``: its attendances become ``keep``'s (one per person), it
    is gone, and its id stays an alias of ``keep``, so that re-importing its list adds to ``keep``."""
    with store.atomic():
        kept, gone = find_event(store, workspace_id, keep), find_event(store, workspace_id, other)
        if kept.id == gone.id:
            raise InvalidArgument("an event cannot be merged with itself")
        present = {e.person_a for e in store.evidence_where(workspace_id, event_ids=[kept.id])}
        moved: list[Evidence] = []
        claims: dict[str, list[tuple[str, str, str]]] = {}
        for e in store.evidence_where(workspace_id, event_ids=[gone.id]):
            new_id = attendance_id(workspace_id, kept.id, e.person_a)
            if e.person_a in present:  # attended both: one attendance, the job that wrote the other still claims it
                claims.setdefault(e.job_id, []).append(claim_entry(new_id))
            else:
                present.add(e.person_a)
                moved.append(replace(e, id=new_id, event_id=kept.id, at=kept.starts_at if e.at == gone.starts_at else e.at))
        store.delete_evidence(workspace_id, [e.id for e in store.evidence_where(workspace_id, event_ids=[gone.id])])
        store.put_evidence(workspace_id, moved)
        for job_id, entries in claims.items():
            store.add_journal(workspace_id, job_id, entries)
        store.delete_events(workspace_id, [gone.id])
        store.add_event_alias(workspace_id, gone.id, kept.id)
    return kept


# ----------------------------------------------------------------------------------------------
# undo


def undo_import(store: Store, workspace_id: str, job_id: str) -> UndoResult:
    job = store.get_job(workspace_id, job_id)
    if job is None:
        raise NotFound(f"no import job {job_id!r} in this workspace")
    if job.status is JobStatus.UNDONE:
        return UndoResult(job_id, 0, 0, 0, 0, 0, already_undone=True)
    with store.atomic():
        entries = store.journal(workspace_id, job_id)
        live = {j.id for j in store.list_jobs(workspace_id) if j.id != job_id and j.status is not JobStatus.UNDONE}

        # its evidence: handed over to a live job that produced it too, removed otherwise
        own = store.evidence_where(workspace_id, job_id=job_id)
        claims = store.journal_jobs(workspace_id, "claim", [e.id for e in own]) if own else {}
        handed: list[Evidence] = []
        removed: list[str] = []
        for e in own:
            heirs = [j for j in claims.get(e.id, []) if j in live]
            if heirs:
                handed.append(replace(e, job_id=heirs[0]))
                store.drop_journal(workspace_id, heirs[0], "claim", [e.id])
            else:
                removed.append(e.id)
        store.put_evidence(workspace_id, handed)
        store.delete_evidence(workspace_id, removed)

        # its sightings
        sighted = store.people_sighted_by(workspace_id, job_id)
        if job.owner_person_id:
            sighted.add(job.owner_person_id)
        store.delete_sightings(workspace_id, job_id)
        remaining = store.sighting_jobs(workspace_id, sighted)
        orphans = {p for p in sighted if not remaining.get(p)}
        if orphans:  # a record evidence still names (recorded by hand) stays
            for e in store.iter_evidence(workspace_id):
                orphans.discard(e.person_a)
                if e.person_b:
                    orphans.discard(e.person_b)

        # what it changed, undone newest first
        merges_undone = 0
        merge_map = store.merge_map(workspace_id) if any(kind == "merge" for kind, _, _ in entries) else {}
        owners = {j.owner_person_id for j in store.list_jobs(workspace_id) if j.id in live}
        for kind, ref, data in reversed(entries):
            if kind == "person" and ref not in orphans:
                values = json.loads(data)
                values["emails"] = tuple(values["emails"])
                if store.get_people(workspace_id, [ref]):
                    store.update_person(workspace_id, Person(**values))
            elif kind == "key":
                key_kind, value = json.loads(data)
                store.remove_keys(workspace_id, [(key_kind, value, ref)])
            elif kind == "merge":
                before, after = json.loads(data)
                if ref in orphans or merge_map.get(ref) != after:
                    continue  # gone with its record, or changed since by someone else
                if before in orphans:
                    before = None
                store.set_merged_into(workspace_id, [ref], before)
                merge_map[ref] = before  # type: ignore[assignment]
                merges_undone += 1
            elif kind == "member" and ref not in owners:
                store.remove_member(workspace_id, ref)
            elif kind == "event":
                current = store.get_events(workspace_id, [ref]).get(ref)
                if current is not None:
                    correct_event(store, workspace_id, current, _event_from(ref, data))
        merges_undone += sum(1 for absorbed, survivor in store.merge_map(workspace_id).items() if absorbed in orphans or survivor in orphans)
        store.remove_records(workspace_id, orphans)

        # events its attendances named that nothing else attends now
        touched = {e.event_id for e in own if e.event_id}
        still = {e.event_id for e in store.evidence_where(workspace_id, event_ids=touched)} if touched else set()
        store.delete_events(workspace_id, touched - still)

        store.drop_journal(workspace_id, job_id)
        job.status = JobStatus.UNDONE
        job.finished_at = datetime.now().astimezone()
        store.save_job(job)
    return UndoResult(job_id, len(removed), len(sighted), len(orphans), merges_undone, len(touched - still))
