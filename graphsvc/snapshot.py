"""The in-memory view analytics run on, built from a workspace's evidence.

A snapshot holds evidence, not strength: which pairs are connected on which channel and when,
which events each pair attended together and how large those events were. Strength is
computed from it for a given ``as_of`` (``graphsvc.analytics.strength``). Snapshots are cached
per workspace and rebuilt when the store's data version changes.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from graphsvc.model import Event, EvidenceKind
from graphsvc.store.protocol import Store

Pair = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Fact:
    """One piece of evidence about a pair: a connection, or an event both attended."""

    kind: str  # "connection" | "co_attendance"
    channel: str
    at: datetime | None
    event_id: str | None = None


@dataclass
class Snapshot:
    workspace_id: str
    version: int
    members: tuple[str, ...]
    people: set[str] = field(default_factory=set)
    facts: dict[Pair, list[Fact]] = field(default_factory=lambda: defaultdict(list))
    events: dict[str, Event] = field(default_factory=dict)
    event_size: dict[str, int] = field(default_factory=dict)

    def pair_facts(self, a: str, b: str) -> list[Fact]:
        return self.facts.get(pair(a, b), [])


def pair(a: str, b: str) -> Pair:
    return (a, b) if a < b else (b, a)


def build_snapshot(store: Store, workspace_id: str, *, max_event_size: int = 1000) -> Snapshot:
    """Read the workspace's evidence into a snapshot.

    Events larger than ``max_event_size`` keep their attendance but create no pairwise facts:
    at that size co-attendance says almost nothing and the pairs grow quadratically.
    """
    version = store.data_version(workspace_id)
    snap = Snapshot(workspace_id, version, tuple(store.member_ids(workspace_id)))
    attendees: dict[str, set[str]] = defaultdict(set)
    first_seen: dict[tuple[str, str], datetime | None] = {}
    for ev in store.iter_evidence(workspace_id):
        if ev.kind is EvidenceKind.CONNECTION and ev.person_b:
            snap.people.update((ev.person_a, ev.person_b))
            snap.facts[pair(ev.person_a, ev.person_b)].append(Fact("connection", ev.channel.value, ev.at))
        elif ev.kind is EvidenceKind.ATTENDED and ev.event_id:
            snap.people.add(ev.person_a)
            attendees[ev.event_id].add(ev.person_a)
            first_seen[(ev.event_id, ev.person_a)] = ev.at
    snap.events = store.get_events(workspace_id, attendees)
    snap.people.update(snap.members)
    for event_id in sorted(attendees):
        people = sorted(attendees[event_id])
        snap.event_size[event_id] = len(people)
        if len(people) > max_event_size:
            continue
        event = snap.events.get(event_id)
        at = event.starts_at if event else None
        for i, a in enumerate(people):
            for b in people[i + 1 :]:
                snap.facts[(a, b)].append(Fact("co_attendance", "event", at, event_id))
    return snap


class SnapshotCache:
    """One snapshot per workspace, rebuilt when the store's data version moves."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._snapshots: dict[str, Snapshot] = {}

    def get(self, workspace_id: str) -> Snapshot:
        version = self.store.data_version(workspace_id)
        with self._lock:
            cached = self._snapshots.get(workspace_id)
            if cached is not None and cached.version == version:
                return cached
            snap = build_snapshot(self.store, workspace_id)
            self._snapshots[workspace_id] = snap
            return snap
