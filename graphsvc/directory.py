"""Organizations and events as people browse them, derived from a workspace's snapshot.

The store keeps an organization only as a string on each person, written however each source
wrote it ("Globex Corporation", "Globex Corp."), and keeps events only through their
attendances. Browsing needs both as things with ids, members and a stable order, so the
directory indexes them once per snapshot (that is, per data version) instead of asking the
store again for every page or every person of a page.
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping

from graphsvc.model import Event, Person, stable_id
from graphsvc.identity.normalise import fold, normalise_organization
from graphsvc.snapshot import Snapshot

#: Sort key of a person in every list of people: by name, then id (the order of ``people``).
NameKey = tuple[str, str]
#: Sort key of an event: dated events first, most recent first, then by name and id.
EventKey = tuple[int, float, str, str]


def organization_id(workspace_id: str, written: str) -> str:
    """The id of the organization a person's ``written`` organization names ("" when it names none).

    Derived from the normalised name, so that every spelling of one organization gets one id,
    and from the workspace, so that an id from another workspace finds nothing here.
    """
    key = normalise_organization(written)
    return stable_id("org", workspace_id, key) if key else ""


@dataclass(frozen=True)
class Organization:
    id: str
    #: The most common way the workspace's sources write it.
    name: str
    #: Its people, in name order.
    person_ids: tuple[str, ...]


@dataclass
class Directory:
    workspace_id: str
    snapshot: Snapshot
    #: Every organization, in name order.
    organizations: dict[str, Organization] = field(default_factory=dict)
    #: Every event with attendees, most recent first.
    event_ids: tuple[str, ...] = ()
    #: Event id -> its attendees, in name order.
    attendees: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: Person id -> the events they attended, most recent first.
    events_of_person: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: Person id -> where they sort in a list of people (cursors of in-memory people pages).
    name_key: dict[str, NameKey] = field(default_factory=dict)

    def organization_of(self, written: str) -> Organization | None:
        return self.organizations.get(organization_id(self.workspace_id, written))

    def sort_key(self, person_id: str) -> NameKey:
        return self.name_key.get(person_id, ("", person_id))

    def event(self, event_id: str) -> Event | None:
        return self.snapshot.events.get(event_id)

    def attendee_count(self, event_id: str) -> int:
        return self.snapshot.event_size.get(event_id, 0)

    def search_organizations(self, text: str | None) -> list[Organization]:
        wanted = fold(text or "")
        return [o for o in self.organizations.values() if wanted in fold(o.name)]

    def search_events(self, text: str | None) -> list[str]:
        wanted = fold(text or "")
        return [e for e in self.event_ids if wanted in fold(self.snapshot.events[e].name)]


def event_key(event: Event) -> EventKey:
    if event.starts_at is None:
        return (1, 0.0, fold(event.name), event.id)
    return (0, -event.starts_at.timestamp(), fold(event.name), event.id)


def build_directory(snap: Snapshot, people: Mapping[str, Person]) -> Directory:
    """Index ``snap``'s organizations and events; ``people`` are its people (for names and organizations)."""
    name_key: dict[str, NameKey] = {pid: (fold(p.display_name), pid) for pid, p in people.items()}

    def by_name(ids: Iterable[str]) -> tuple[str, ...]:
        return tuple(sorted(ids, key=lambda pid: name_key.setdefault(pid, ("", pid))))

    members: dict[str, list[str]] = defaultdict(list)
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for pid, person in people.items():
        org = organization_id(snap.workspace_id, person.organization)
        if org:
            members[org].append(pid)
            spellings[org][person.organization.strip()] += 1
    organizations = []
    for org, ids in members.items():
        name = min(spellings[org].items(), key=lambda item: (-item[1], item[0]))[0]
        organizations.append(Organization(org, name, by_name(ids)))
    organizations.sort(key=lambda o: (fold(o.name), o.id))

    events = [snap.events[e] for e in snap.attendees if e in snap.events]
    event_ids = tuple(e.id for e in sorted(events, key=event_key))
    attended: dict[str, list[str]] = defaultdict(list)
    for event_id in event_ids:  # in event order, so each person's list is too
        for pid in snap.attendees[event_id]:
            attended[pid].append(event_id)
    return Directory(
        workspace_id=snap.workspace_id,
        snapshot=snap,
        organizations={o.id: o for o in organizations},
        event_ids=event_ids,
        attendees={e: by_name(snap.attendees[e]) for e in event_ids},
        events_of_person={pid: tuple(ids) for pid, ids in attended.items()},
        name_key=name_key,
    )


class DirectoryCache:
    """One directory per workspace, rebuilt when the workspace's snapshot is."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._directories: dict[str, Directory] = {}

    def get(self, snap: Snapshot, people: Callable[[set[str]], Mapping[str, Person]]) -> Directory:
        """The directory of ``snap``; ``people`` reads its people, only when it has to be built."""
        with self._lock:
            cached = self._directories.get(snap.workspace_id)
        if cached is not None and cached.snapshot is snap:
            return cached
        built = build_directory(snap, people(snap.people))
        with self._lock:
            self._directories[snap.workspace_id] = built
        return built

