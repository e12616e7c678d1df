"""The in-memory view analytics run on, built from a workspace's evidence.

A snapshot holds evidence, not strength: which pairs are connected on which channel and when,
who messaged or met whom, which events each pair attended together and how large those
events were, and who works at the same (small enough) organization. Strength is computed from
it for a given ``as_of`` (``graphsvc.analytics.strength``). Snapshots are cached per workspace
and rebuilt when the store's data version changes.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from graphsvc import foreground
from graphsvc.identity import normalise_organization
from graphsvc.model import Event, EvidenceKind, Person
from graphsvc.store.protocol import Store

Pair = tuple[str, str]

CO_ATTENDANCE = "co_attendance"
SAME_ORGANIZATION = "same_organization"


@dataclass(frozen=True, slots=True)
class Fact:
    """One piece of evidence about a pair.

    ``kind`` is an ``EvidenceKind`` value, or ``"co_attendance"`` (both attended ``event_id``)
    or ``"same_organization"``. ``direction`` is relative to the pair's sorted order:
    ``"forward"`` (first -> second), ``"backward"`` or ``"mutual"``.
    """

    kind: str
    channel: str
    at: datetime | None
    event_id: str | None = None
    direction: str = "mutual"


@dataclass
class Snapshot:
    workspace_id: str
    version: int
    members: tuple[str, ...]
    people: set[str] = field(default_factory=set)
    facts: dict[Pair, list[Fact]] = field(default_factory=lambda: defaultdict(list))
    events: dict[str, Event] = field(default_factory=dict)
    event_size: dict[str, int] = field(default_factory=dict)
    attendees: dict[str, set[str]] = field(default_factory=dict)
    organization: dict[str, str] = field(default_factory=dict)  # person id -> organization as written

    def pair_facts(self, a: str, b: str) -> list[Fact]:
        return self.facts.get(pair(a, b), [])


def pair(a: str, b: str) -> Pair:
    return (a, b) if a < b else (b, a)


def build_snapshot(
    store: Store,
    workspace_id: str,
    *,
    max_event_size: int = 1000,
    max_organization_size: int = 100,
    pause: Callable[[], object] | None = None,
) -> Snapshot:
    """Read the workspace's evidence into a snapshot.

    Events larger than ``max_event_size`` and organizations with more than
    ``max_organization_size`` known people keep their facts per person but create no pairwise
    facts: at that size co-presence says almost nothing and the pairs grow quadratically.
    ``pause`` is called between events and every few hundred people once the evidence is read (a
    snapshot built in the background steps aside for requests with it, as
    ``graphsvc.analytics.strength.tie_graph`` does).
    """
    version = store.data_version(workspace_id)
    snap = Snapshot(workspace_id, version, tuple(store.member_ids(workspace_id)))
    attendees: dict[str, set[str]] = defaultdict(set)
    # No pause while the evidence cursor is open: a read transaction held open for long keeps SQLite
    # from checkpointing an import's writes, the WAL grows, and every read slows down with it.
    for ev in store.iter_evidence(workspace_id):
        if ev.kind is EvidenceKind.ATTENDED:
            if ev.event_id:
                snap.people.add(ev.person_a)
                attendees[ev.event_id].add(ev.person_a)
            continue
        if not ev.person_b or ev.person_b == ev.person_a:
            continue
        snap.people.update((ev.person_a, ev.person_b))
        key = pair(ev.person_a, ev.person_b)
        direction = "mutual" if ev.direction == "mutual" else ("forward" if key[0] == ev.person_a else "backward")
        snap.facts[key].append(Fact(ev.kind.value, ev.channel.value, ev.at, None, direction))
    snap.events = store.get_events(workspace_id, attendees)
    snap.attendees = dict(attendees)
    snap.people.update(snap.members)
    for event_id in sorted(attendees):
        if pause is not None:
            pause()
        people = sorted(attendees[event_id])
        snap.event_size[event_id] = len(people)
        if len(people) > max_event_size:
            continue
        event = snap.events.get(event_id)
        at = event.starts_at if event else None
        for i, a in enumerate(people):
            for b in people[i + 1 :]:
                snap.facts[(a, b)].append(Fact(CO_ATTENDANCE, "event", at, event_id))
    _add_organizations(snap, store.get_people(workspace_id, snap.people).values(), max_organization_size, pause)
    return snap


def _add_organizations(snap: Snapshot, people: "list[Person] | object", limit: int, pause: Callable[[], object] | None = None) -> None:
    by_org: dict[str, list[str]] = defaultdict(list)
    for done, person in enumerate(people, 1):  # type: ignore[call-overload]
        if pause is not None and done % foreground.PAUSE_EVERY == 0:
            pause()
        if person.organization:
            snap.organization[person.id] = person.organization
            by_org[normalise_organization(person.organization)].append(person.id)
    for org, ids in sorted(by_org.items()):
        if not org or len(ids) > limit:
            continue
        ids.sort()
        for i, a in enumerate(ids):
            for b in ids[i + 1 :]:
                snap.facts[(a, b)].append(Fact(SAME_ORGANIZATION, "organization", None))


class SnapshotCache:
    """One snapshot per workspace, rebuilt when the store's data version moves."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._snapshots: dict[str, Snapshot] = {}

    def get(self, workspace_id: str, *, pause: Callable[[], object] | None = None) -> Snapshot:
        """The snapshot of the workspace's current data. With ``pause`` (a build in the background),
        it is built outside the lock: a request that needs the snapshot meanwhile builds its own
        rather than wait for one that steps aside while requests are in flight."""
        version = self.store.data_version(workspace_id)
        with self._lock:
            cached = self._snapshots.get(workspace_id)
            if cached is not None and cached.version == version:
                return cached
            if pause is None:
                snap = build_snapshot(self.store, workspace_id)
                self._snapshots[workspace_id] = snap
                return snap
        snap = build_snapshot(self.store, workspace_id, pause=pause)
        with self._lock:
            current = self._snapshots.get(workspace_id)
            if current is None or current.version < snap.version:
                self._snapshots[workspace_id] = snap
        return snap
