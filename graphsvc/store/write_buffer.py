"""One import batch's identity writes, held in memory and written with one statement per table.

Resolving a row asks "who holds this key?" and writes a person, keys, a sighting, name blocks
and perhaps an event: six round trips per row when each goes to the store. A ``WriteBuffer``
stands in for the store while a batch is resolved (``graphsvc.identity.records.Resolver.buffered``):
it looks up every key of the batch in one query up front (``prefetch``), answers the resolver's
reads from what it has fetched and what the batch has written so far, and ``flush()`` writes
the batch with one bulk call per table, inside the batch's transaction (people a batch only
enriches are updated one call each: few, and each a different row).

Only what the resolver reads and writes is here; everything else goes to the store itself,
after ``flush()``.
"""

from __future__ import annotations

from typing import Iterable

from graphsvc.model import Event, Person, Sighting
from graphsvc.store.protocol import Store

__all__ = ["WriteBuffer"]


class WriteBuffer:
    def __init__(self, store: Store, workspace_id: str) -> None:
        self.store = store
        self.workspace_id = workspace_id
        self._holders: dict[tuple[str, str], str | None] = {}  # key -> person (None: nobody), fetched or written
        self._people: dict[str, Person] = {}  # fetched or written
        self._new_people: dict[str, Person] = {}
        self._updated_people: dict[str, Person] = {}
        self._before: dict[str, Person] = {}  # people the batch updated, as they were (the import journal)
        self._new_keys: list[tuple[str, str, str]] = []
        self._keys_by_person: dict[str, list[tuple[str, str]]] = {}
        self._sightings: list[Sighting] = []
        self._events: dict[str, Event] = {}
        self._blocks: list[tuple[str, str]] = []
        self._forgotten: set[str] | None = None
        self._flushed = False

    def _own(self, workspace_id: str) -> None:
        if workspace_id != self.workspace_id:
            raise ValueError(f"this buffer holds workspace {self.workspace_id!r}, not {workspace_id!r}")
        if self._flushed:
            raise RuntimeError("this write buffer was flushed already")

    # reads --------------------------------------------------------------------------------
    def prefetch(self, keys: Iterable[tuple[str, str]]) -> None:
        """Look up who holds each of ``keys`` in one call, so that ``person_for_key`` needs none,
        and read those people in one more, so that ``get_people`` (the resolver enriching each
        person a row finds: most rows of a list of known people) needs none either."""
        wanted = {key for key in keys if key not in self._holders}
        if wanted:
            found = self.store.persons_for_keys(self.workspace_id, wanted)
            for key in wanted:
                self._holders[key] = found.get(key)
            unread = {person for person in found.values() if person not in self._people}
            if unread:
                self._people.update(self.store.get_people(self.workspace_id, unread))

    def person_for_key(self, workspace_id: str, kind: str, value: str) -> str | None:
        self._own(workspace_id)
        key = (kind, value)
        if key not in self._holders:
            self._holders[key] = self.store.person_for_key(workspace_id, kind, value)
        return self._holders[key]

    def keys_of(self, workspace_id: str, person_id: str) -> list[tuple[str, str]]:
        self._own(workspace_id)
        stored = [] if person_id in self._new_people else self.store.keys_of(workspace_id, person_id)
        return sorted({*stored, *self._keys_by_person.get(person_id, ())})

    def get_people(self, workspace_id: str, ids: Iterable[str]) -> dict[str, Person]:
        self._own(workspace_id)
        wanted = list(dict.fromkeys(ids))
        missing = [pid for pid in wanted if pid not in self._people]
        if missing:
            self._people.update(self.store.get_people(workspace_id, missing))
        return {pid: self._people[pid] for pid in wanted if pid in self._people}

    def member_ids(self, workspace_id: str) -> list[str]:
        self._own(workspace_id)
        return self.store.member_ids(workspace_id)  # a batch adds no members

    def forgotten_keys(self, workspace_id: str) -> set[str]:
        self._own(workspace_id)
        if self._forgotten is None:
            self._forgotten = self.store.forgotten_keys(workspace_id)
        return self._forgotten

    # writes -------------------------------------------------------------------------------
    def add_person(self, workspace_id: str, person: Person) -> None:
        self._own(workspace_id)
        self._people[person.id] = person
        self._new_people[person.id] = person

    def update_person(self, workspace_id: str, person: Person) -> None:
        self._own(workspace_id)
        if person.id in self._new_people:
            self._new_people[person.id] = person
        else:
            if person.id not in self._before and person.id in self._people:
                self._before[person.id] = self._people[person.id]
            self._updated_people[person.id] = person
        self._people[person.id] = person

    def add_key(self, workspace_id: str, kind: str, value: str, person_id: str) -> bool:
        holder = self.person_for_key(workspace_id, kind, value)
        if holder is not None:
            return holder == person_id
        self._holders[(kind, value)] = person_id
        self._new_keys.append((kind, value, person_id))
        self._keys_by_person.setdefault(person_id, []).append((kind, value))
        return True

    def add_sighting(self, workspace_id: str, sighting: Sighting) -> None:
        self._own(workspace_id)
        self._sightings.append(sighting)

    def add_event(self, workspace_id: str, event: Event) -> None:
        self._own(workspace_id)
        self._events.setdefault(event.id, event)

    def add_blocks(self, workspace_id: str, person_id: str, blocks: Iterable[str]) -> None:
        self._own(workspace_id)
        self._blocks.extend((block, person_id) for block in blocks)

    # ---------------------------------------------------------------------------------------
    def new_people(self) -> dict[str, Person]:
        """The people created through this buffer, as they stand."""
        return dict(self._new_people)

    def updated_before(self) -> dict[str, Person]:
        """The existing people the batch updated, as they were before it."""
        return dict(self._before)

    def new_keys_of(self, person_id: str) -> list[tuple[str, str]]:
        return sorted(self._keys_by_person.get(person_id, ()))

    def new_keys(self) -> dict[str, list[tuple[str, str]]]:
        """The keys written here, by person."""
        return {person: list(keys) for person, keys in self._keys_by_person.items()}

    def filed_under(self) -> dict[str, list[str]]:
        """The name blocks people were filed under here, by person."""
        found: dict[str, list[str]] = {}
        for block, person in self._blocks:
            found.setdefault(person, []).append(block)
        return found

    def flush(self) -> None:
        """Write everything buffered to the store, in the caller's transaction. Once: what was
        written stays readable here (``new_people``, ``new_keys``, ``filed_under``), but nothing more can be."""
        if self._flushed:
            raise RuntimeError("this write buffer was flushed already")
        self._flushed = True
        store, ws = self.store, self.workspace_id
        store.add_people(ws, self._new_people.values())
        for person in self._updated_people.values():
            store.update_person(ws, person)
        store.add_keys(ws, self._new_keys)
        store.add_sightings(ws, self._sightings)
        store.add_events(ws, self._events.values())
        store.file_in_blocks(ws, self._blocks)
