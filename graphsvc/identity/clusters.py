"""People as users see them: every record merged into a person reads as that person.

Imports write *records* (one per set of identity keys) and never rewrite them; a merge only
notes that record B is part of person A (``Store.set_merged_into``). ``ClusteredStore`` wraps a
store so that everything above it — analytics, the API, the CLI, the Neo4j projection — sees
one person with the union of their records' emails, sources, tags and evidence, while the
records stay intact underneath. That is what makes a merge undoable (``graphsvc split``) and
keeps re-imports idempotent: an import still resolves to the same record ids it always did.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Iterator

from graphsvc.model import Evidence, EvidenceKind, Person, Sighting, stable_id
from graphsvc.store.protocol import DataChanges, Store


@dataclass(frozen=True)
class Clusters:
    """Which records make up which person, in one workspace.

    Built once from the store's merge map (``from_merge_map``) and then kept current as merges
    and splits happen (``join``, ``release``): each touches only the records that move and the
    persons they leave or join, never the whole map, so merging n records one at a time is
    linear in n, not quadratic (``graphsvc.identity.merging``). ``records`` is always exactly what
    ``from_merge_map`` of the map as it now stands would give.
    """

    survivor_of: dict[str, str] = field(default_factory=dict)  # absorbed record -> person
    records: dict[str, tuple[str, ...]] = field(default_factory=dict)  # person -> its records (itself first)

    @classmethod
    def from_merge_map(cls, merge_map: dict[str, str]) -> "Clusters":
        grouped: dict[str, list[str]] = {}
        for absorbed, survivor in merge_map.items():
            grouped.setdefault(survivor, []).append(absorbed)
        return cls(dict(merge_map), {s: (s, *sorted(a)) for s, a in grouped.items()})

    def canonical(self, person_id: str) -> str:
        return self.survivor_of.get(person_id, person_id)

    def records_of(self, person_id: str) -> tuple[str, ...]:
        person = self.canonical(person_id)
        return self.records.get(person, (person,))

    def copy(self) -> "Clusters":
        return Clusters(dict(self.survivor_of), dict(self.records))

    # kept current in place (by the one who owns this copy: ``graphsvc.identity.merging``) -------------------
    def join(self, records: Iterable[str], survivor: str) -> None:
        """``records`` are now part of ``survivor`` (``Store.set_merged_into(records, survivor)``)."""
        self._move(records, survivor)

    def release(self, records: Iterable[str]) -> None:
        """``records`` are people of their own again (``Store.set_merged_into(records, None)``)."""
        self._move(records, None)

    def _move(self, records: Iterable[str], survivor: str | None) -> None:
        leaving: dict[str, set[str]] = {}  # person -> its records that leave it
        arriving: list[str] = []
        for record in dict.fromkeys(records):
            before = self.survivor_of.get(record)
            if before == survivor:
                continue
            if before is not None:
                leaving.setdefault(before, set()).add(record)
            if survivor is None:
                del self.survivor_of[record]
            else:
                self.survivor_of[record] = survivor
                arriving.append(record)
        for person, gone in leaving.items():
            rest = tuple(r for r in self.records[person][1:] if r not in gone)
            if rest:
                self.records[person] = (person, *rest)
            else:
                del self.records[person]
        if arriving:
            self.records[survivor] = (survivor, *sorted((*self.records.get(survivor, (survivor,))[1:], *arriving)))  # type: ignore[index]


def combine(people: list[Person], is_member: bool) -> Person:
    """One person from their records (the survivor first): the survivor's fields win, gaps are
    filled from the others in order, and emails are the union."""
    head, *rest = people
    values = {name: getattr(head, name) for name in ("first_name", "last_name", "organization", "title", "linkedin_url")}
    for other in rest:
        for name, value in values.items():
            if not value:
                values[name] = getattr(other, name)
    display = head.display_name
    if not _looks_like_name(display):
        display = next((p.display_name for p in rest if _looks_like_name(p.display_name)), display)
    emails = tuple(dict.fromkeys(e for p in people for e in p.emails))
    return replace(head, display_name=display, emails=emails, is_member=is_member, **values)


def _looks_like_name(value: str) -> bool:
    return bool(value.strip()) and "@" not in value and "linkedin.com" not in value.lower()


def _between_people(ev: Evidence, canonical: Any, workspace_id: str) -> Evidence | None:
    """``ev`` between the people its records are part of; None when both are one person's
    (evidence between two records of the same person says nothing). A connection moved onto
    people takes their pair's key: one connection per pair and channel, as imports key it
    (graphsvc.imports.jobs)."""
    a = canonical(ev.person_a)
    b = canonical(ev.person_b) if ev.person_b else None
    if b is not None and a == b:
        return None
    if (a, b) != (ev.person_a, ev.person_b):
        ev = replace(ev, person_a=a, person_b=b)
        if ev.kind is EvidenceKind.CONNECTION:
            ev = replace(ev, id=stable_id("ev", workspace_id, ev.kind.value, ev.channel.value, *sorted((a, b or ""))))
    return ev


class ClusteredStore:
    """A ``Store`` whose reads see merged records as one person; writes go through unchanged
    (except tags, which go to the person). Anything not overridden here is the wrapped store's."""

    def __init__(self, raw: Store) -> None:
        self.raw = raw
        self._cache: dict[str, tuple[int, Clusters]] = {}
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)

    def clusters(self, workspace_id: str) -> Clusters:
        version = self.raw.data_version(workspace_id)
        with self._lock:
            cached = self._cache.get(workspace_id)
            if cached and cached[0] == version:
                return cached[1]
        found = Clusters.from_merge_map(self.raw.merge_map(workspace_id))
        with self._lock:
            self._cache[workspace_id] = (version, found)
        return found

    # people -----------------------------------------------------------------------------------
    def organizations_of(self, workspace_id: str, ids: Iterable[str] | None = None) -> dict[str, str] | None:
        """Person id -> organization, for everyone (of ``ids``) with one, as ``get_people`` would
        combine it (the survivor's, else the first of its other records'), without building any
        person. None when the wrapped store cannot read the column alone."""
        read = getattr(self.raw, "organizations_of", None)
        if read is None:
            return None
        clusters = self.clusters(workspace_id)
        if ids is None:
            by_record: dict[str, str] = read(workspace_id)
        else:
            by_record = read(workspace_id, [r for person in set(ids) for r in clusters.records_of(person)])
        found: dict[str, str] = {}
        borrowed: dict[str, tuple[str, str]] = {}  # person -> (record, organization) of a non-survivor
        for record, organization in by_record.items():
            person = clusters.canonical(record)
            if person == record:
                found[person] = organization
            elif person not in borrowed or record < borrowed[person][0]:
                borrowed[person] = (record, organization)
        for person, (_, organization) in borrowed.items():
            found.setdefault(person, organization)
        return found

    def get_people(self, workspace_id: str, ids: Iterable[str]) -> dict[str, Person]:
        wanted = list(dict.fromkeys(ids))
        clusters = self.clusters(workspace_id)
        if not clusters.survivor_of:
            return self.raw.get_people(workspace_id, wanted)
        persons = {pid: clusters.canonical(pid) for pid in wanted}
        every = {r for person in set(persons.values()) for r in clusters.records_of(person)}
        records = self.raw.get_people(workspace_id, every)
        combined: dict[str, Person] = {}
        for person in set(persons.values()):
            parts = [records[r] for r in clusters.records_of(person) if r in records]
            if len(parts) == 1 and parts[0].id == person and parts[0].emails == tuple(dict.fromkeys(parts[0].emails)):
                combined[person] = parts[0]  # a person of one record is that record (what ``combine`` would make of it)
            elif parts and parts[0].id == person:
                combined[person] = combine(parts, any(p.is_member for p in parts))
        return {pid: combined[person] for pid, person in persons.items() if person in combined}

    def search_people(self, workspace_id: str, search: str | None, limit: int, after: str | None = None) -> list[Person]:
        found = self.raw.search_people(workspace_id, search, limit, after)
        if not self.clusters(workspace_id).records:
            return found
        people = self.get_people(workspace_id, [p.id for p in found])
        return [people[p.id] for p in found if p.id in people]

    def person_for_key(self, workspace_id: str, kind: str, value: str) -> str | None:
        found = self.raw.person_for_key(workspace_id, kind, value)
        return self.clusters(workspace_id).canonical(found) if found else None

    def keys_of(self, workspace_id: str, person_id: str) -> list[tuple[str, str]]:
        return sorted({k for r in self.clusters(workspace_id).records_of(person_id) for k in self.raw.keys_of(workspace_id, r)})

    def keys_of_many(self, workspace_id: str, person_ids: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
        return {pid: keys for pid in person_ids if (keys := self.keys_of(workspace_id, pid))}

    def sightings(self, workspace_id: str, person_id: str) -> list[Sighting]:
        clusters = self.clusters(workspace_id)
        person = clusters.canonical(person_id)
        found = [replace(s, person_id=person) for r in clusters.records_of(person) for s in self.raw.sightings(workspace_id, r)]
        return sorted(found, key=lambda s: (s.job_id, s.row))

    def member_ids(self, workspace_id: str) -> list[str]:
        clusters = self.clusters(workspace_id)
        return sorted({clusters.canonical(m) for m in self.raw.member_ids(workspace_id)})

    # evidence -----------------------------------------------------------------------------------
    def changes_since(self, workspace_id: str, version: int) -> DataChanges | None:
        """The wrapped store's ``changes_since``, its records seen as people (as ``iter_evidence``
        sees them): the evidence between people, the records touched as the people they are part
        of now, and which of them were merged away, into whom."""
        since = getattr(self.raw, "changes_since", None)
        found = since(workspace_id, version) if since is not None else None
        if found is None:
            return None
        canonical = self.clusters(workspace_id).canonical
        seen = [person for person in (_between_people(ev, canonical, workspace_id) for ev in found.evidence) if person is not None]
        records = found.records | set(found.absorbed)
        return DataChanges(
            found.version, seen, frozenset(canonical(r) for r in records), {r: canonical(r) for r in records if canonical(r) != r}
        )

    def iter_evidence(self, workspace_id: str) -> Iterator[Evidence]:
        clusters = self.clusters(workspace_id)
        if not clusters.survivor_of:
            yield from self.raw.iter_evidence(workspace_id)
            return
        canonical = clusters.canonical
        connections: set[str] = set()
        for record_ev in self.raw.iter_evidence(workspace_id):
            ev = _between_people(record_ev, canonical, workspace_id)
            if ev is None:
                continue
            if ev.kind is EvidenceKind.CONNECTION:
                if ev.id in connections:
                    continue
                connections.add(ev.id)
            yield ev

    def evidence_rows(self, workspace_id: str) -> Iterator[tuple[Any, ...]] | None:
        """The wrapped store's ``evidence_rows`` seen as ``iter_evidence`` sees its evidence
        (records as people, evidence inside one person dropped, one connection per pair and
        channel), or None when it cannot read rows."""
        read = getattr(self.raw, "evidence_rows", None)
        if read is None:
            return None
        clusters = self.clusters(workspace_id)
        if not clusters.survivor_of:
            return read(workspace_id)
        return self._clustered_rows(read(workspace_id), clusters.survivor_of.get, workspace_id)

    @staticmethod
    def _clustered_rows(rows: Iterable[tuple[Any, ...]], survivor: Any, workspace_id: str) -> Iterator[tuple[Any, ...]]:
        connections: set[str] = set()
        for row in rows:
            kind, channel, first, second, event_id, at, direction, key = row
            a = survivor(first, first)
            b = survivor(second, second) if second else None
            if b is not None and a == b:
                continue  # evidence between two records of the same person says nothing
            if (a, b) != (first, second):
                if kind == EvidenceKind.CONNECTION.value:
                    # one connection per pair and channel, as imports key it (as iter_evidence)
                    key = stable_id("ev", workspace_id, kind, channel, *sorted((a, b or "")))
                row = (kind, channel, a, b, event_id, at, direction, key)
            if kind == EvidenceKind.CONNECTION.value:
                if key in connections:
                    continue
                connections.add(key)
            yield row

    def count_evidence(self, workspace_id: str) -> int:
        if not self.clusters(workspace_id).survivor_of:
            return self.raw.count_evidence(workspace_id)
        return sum(1 for _ in self.iter_evidence(workspace_id))

    # tags -----------------------------------------------------------------------------------------
    def add_tag(self, workspace_id: str, person_id: str, tag: str) -> bool:
        return self.raw.add_tag(workspace_id, self.clusters(workspace_id).canonical(person_id), tag)

    def people_with_tag(self, workspace_id: str, tag: str) -> list[str]:
        clusters = self.clusters(workspace_id)
        return sorted({clusters.canonical(p) for p in self.raw.people_with_tag(workspace_id, tag)})

    def tags_of(self, workspace_id: str, person_id: str) -> list[str]:
        return sorted({t for r in self.clusters(workspace_id).records_of(person_id) for t in self.raw.tags_of(workspace_id, r)})

    # marks ----------------------------------------------------------------------------------------
    def set_do_not_ask(self, workspace_id: str, person_id: str, flag: bool, at: Any) -> None:
        self.raw.set_do_not_ask(workspace_id, self.clusters(workspace_id).canonical(person_id), flag, at)

    def do_not_ask(self, workspace_id: str) -> set[str]:
        clusters = self.clusters(workspace_id)
        return {clusters.canonical(p) for p in self.raw.do_not_ask(workspace_id)}
