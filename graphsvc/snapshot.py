"""The in-memory view analytics run on, built from a workspace's evidence.

A snapshot holds evidence, not strength: which pairs are connected on which channel and when,
who messaged or met whom, which events each pair attended together and how large those
events were, and who works at the same (small enough) organization. Strength is computed from
it for a given ``as_of`` (``graphsvc.analytics.strength``). ``graphsvc.analytics.evidence_cache``
keeps one per workspace and data version, in memory and on disk.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from graphsvc.identity.records import normalise_organization
from graphsvc.model import Event, EvidenceKind
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
    """A workspace's evidence at one data version.

    ``facts`` holds direct evidence only (connections, follows, messages, meetings...), per
    pair. Events and organizations are hyperedges: "both attended E" and "both work at O" are
    never stored per pair (a 900-person conference would be 404,550 pairs); ``pair_facts``
    derives them for one pair from ``events_of`` and ``organization_key`` when asked.
    """

    workspace_id: str
    version: int
    members: tuple[str, ...]
    people: set[str] = field(default_factory=set)
    facts: dict[Pair, list[Fact]] = field(default_factory=lambda: defaultdict(list))
    events: dict[str, Event] = field(default_factory=dict)
    event_size: dict[str, int] = field(default_factory=dict)
    attendees: dict[str, set[str]] = field(default_factory=dict)
    organization: dict[str, str] = field(default_factory=dict)  # person id -> organization as written
    #: person id -> the events they attended
    events_of: dict[str, set[str]] = field(default_factory=dict)
    #: person id -> their normalised organization, for organizations small enough to count as a tie
    organization_key: dict[str, str] = field(default_factory=dict)
    #: person id -> the people they share direct evidence with (mutual contacts count these)
    contacts: dict[str, set[str]] = field(default_factory=dict)
    max_event_size: int = 1000
    #: What the analytics core derives from this snapshot once (its evidence arrays).
    derived: dict[str, object] = field(default_factory=dict, repr=False, compare=False)

    def pair_facts(self, a: str, b: str) -> list[Fact]:
        """Every fact about the pair: its direct evidence, then one co-attendance fact per event
        both attended (events above ``max_event_size`` people say nothing), then working at the
        same small organization."""
        facts = list(self.facts.get(pair(a, b), ()))
        mine, theirs = self.events_of.get(a), self.events_of.get(b)
        if mine and theirs:
            for event_id in sorted(mine & theirs):
                if self.event_size.get(event_id, 0) <= self.max_event_size:
                    event = self.events.get(event_id)
                    facts.append(Fact(CO_ATTENDANCE, "event", event.starts_at if event else None, event_id))
        org = self.organization_key.get(a)
        if org is not None and org == self.organization_key.get(b):
            facts.append(Fact(SAME_ORGANIZATION, "organization", None))
        return facts


def pair(a: str, b: str) -> Pair:
    return (a, b) if a < b else (b, a)


def build_snapshot(
    store: Store,
    workspace_id: str,
    *,
    max_event_size: int = 1000,
    max_organization_size: int = 100,
) -> Snapshot:
    """Read the workspace's evidence into a snapshot.

    Events larger than ``max_event_size`` and organizations with more than
    ``max_organization_size`` known people make no ties: at that size co-presence says almost
    nothing. Nothing here grows with the square of an event's size.
    """
    version = store.data_version(workspace_id)
    snap = Snapshot(workspace_id, version, tuple(store.member_ids(workspace_id)), max_event_size=max_event_size)
    attendees: dict[str, set[str]] = defaultdict(set)
    events_of: dict[str, set[str]] = defaultdict(set)
    contacts: dict[str, set[str]] = defaultdict(set)
    for ev in store.iter_evidence(workspace_id):
        if ev.kind is EvidenceKind.ATTENDED:
            if ev.event_id:
                snap.people.add(ev.person_a)
                attendees[ev.event_id].add(ev.person_a)
                events_of[ev.person_a].add(ev.event_id)
            continue
        if not ev.person_b or ev.person_b == ev.person_a:
            continue
        snap.people.update((ev.person_a, ev.person_b))
        key = pair(ev.person_a, ev.person_b)
        direction = "mutual" if ev.direction == "mutual" else ("forward" if key[0] == ev.person_a else "backward")
        snap.facts[key].append(Fact(ev.kind.value, ev.channel.value, ev.at, None, direction))
        contacts[ev.person_a].add(ev.person_b)
        contacts[ev.person_b].add(ev.person_a)
    snap.events = store.get_events(workspace_id, attendees)
    snap.attendees = dict(attendees)
    snap.events_of = dict(events_of)
    snap.contacts = dict(contacts)
    snap.event_size = {event_id: len(people) for event_id, people in sorted(attendees.items())}
    snap.people.update(snap.members)
    organizations_of = getattr(store, "organizations_of", None)
    written = organizations_of(workspace_id) if organizations_of is not None else None
    if written is None:  # a store that cannot read the column alone
        written = {p.id: p.organization for p in store.get_people(workspace_id, snap.people).values() if p.organization}
    _add_organizations(snap, {pid: org for pid, org in written.items() if pid in snap.people}, max_organization_size)
    return snap


def _add_organizations(snap: Snapshot, written: dict[str, str], limit: int) -> None:
    by_org: dict[str, list[str]] = defaultdict(list)
    for person_id, organization in sorted(written.items()):
        snap.organization[person_id] = organization
        by_org[normalise_organization(organization)].append(person_id)
    for org, ids in by_org.items():
        if org and len(ids) <= limit:
            for person_id in ids:
                snap.organization_key[person_id] = org
