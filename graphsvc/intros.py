"""Warm introductions, end to end: rank paths to a person or a target set, explain every hop.

``IntroPaths.to_dict()`` has exactly the shape of the GraphQL ``introPaths`` field (see
docs/api.md), so the CLI's ``--json`` and the API answer alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any, Callable, Iterable

from graphsvc.analytics.paths import diverse_paths
from graphsvc.analytics.strength import WARM_LEVELS, Contribution, EvidenceLevel, TieStrength, TieView
from graphsvc.model import Event, Person


class IntroStatus(str, Enum):
    FOUND = "FOUND"  # paths found
    NO_PATH = "NO_PATH"  # the target is known but unreachable within the hop limit
    AMBIGUOUS = "AMBIGUOUS"  # several people match the target: see candidates
    NOT_FOUND = "NOT_FOUND"  # nobody matches the target


class PathKind(str, Enum):
    WARM_INTRODUCTION = "WARM_INTRODUCTION"  # every hop rests on a real tie
    WARM_UP_ROUTE = "WARM_UP_ROUTE"  # some hop rests only on weak evidence: warm it up first


#: A hop below this strength is weak whatever its evidence level.
WARM_MIN_STRENGTH = 0.15


def person_dict(p: Person) -> dict[str, Any]:
    return {"id": p.id, "name": p.display_name, "organization": p.organization, "title": p.title, "isMember": p.is_member}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


@dataclass
class HopEvidence:
    kind: str
    channel: str
    at: datetime | None
    contribution: float
    description: str
    event: Event | None
    event_size: int | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "channel": self.channel,
            "at": _iso(self.at),
            "contribution": self.contribution,
            "description": self.description,
            "event": None
            if self.event is None
            else {"id": self.event.id, "name": self.event.name, "startsAt": _iso(self.event.starts_at), "size": self.event_size},
        }


@dataclass
class Hop:
    source: Person
    target: Person
    strength: float
    level: EvidenceLevel
    is_weakest: bool
    last_contact: datetime | None
    channels: list[str]
    evidence: list[HopEvidence]

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": person_dict(self.source),
            "to": person_dict(self.target),
            "strength": self.strength,
            "level": self.level.name,
            "isWeakest": self.is_weakest,
            "lastContact": _iso(self.last_contact),
            "channels": self.channels,
            "evidence": [e.to_dict() for e in self.evidence],
        }


@dataclass
class IntroPath:
    strength: float
    kind: PathKind
    hops: list[Hop]

    @property
    def weakest_link_strength(self) -> float:
        return min(h.strength for h in self.hops)

    def to_dict(self) -> dict[str, Any]:
        return {
            "strength": self.strength,
            "kind": self.kind.value,
            "weakestLinkStrength": self.weakest_link_strength,
            "hops": [h.to_dict() for h in self.hops],
        }


@dataclass
class IntroPaths:
    status: IntroStatus
    as_of: datetime
    target: Person | None = None
    candidates: list[Person] = field(default_factory=list)
    paths: list[IntroPath] = field(default_factory=list)
    single_point_of_failure: Person | None = None
    target_count: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "asOf": self.as_of.isoformat(),
            "target": person_dict(self.target) if self.target else None,
            "targetCount": self.target_count,
            "candidates": [person_dict(c) for c in self.candidates],
            "singlePointOfFailure": person_dict(self.single_point_of_failure) if self.single_point_of_failure else None,
            "paths": [p.to_dict() for p in self.paths],
        }


KIND_WORDS = {
    "connection": "Connected",
    "contact": "In the address book",
    "follow": "Follow",
    "invitation": "Invitation",
    "endorsement": "Endorsement",
}
CHANNEL_NAMES = {
    "linkedin": "LinkedIn", "x": "X", "facebook": "Facebook", "instagram": "Instagram", "contacts": "contacts",
    "calendar": "the calendar", "email": "email", "manual": "a recorded interaction", "event": "an event",
}


def describe(part: Contribution, event: Event | None) -> str:
    when = part.at.date().isoformat() if part.at else "an unknown date"
    channel = CHANNEL_NAMES.get(part.channel, part.channel)
    if part.kind == "co_attendance":
        name = event.name if event else "an event"
        return f"Both attended '{name}' ({part.event_size} people) on {when}"
    if part.kind == "interactions":
        ways = "both ways" if part.reciprocal else "one way only"
        channels = " and ".join(CHANNEL_NAMES.get(c, c) for c in part.channel.split("+"))
        return f"{len(part.facts)} interactions on {channels}, last on {when}, {ways}"
    if part.kind == "mutual_contacts":
        count = int(part.count)
        return f"{count} mutual contact{'s' if count != 1 else ''}"
    if part.kind == "same_organization":
        return "Work at the same organization"
    return f"{KIND_WORDS.get(part.kind, part.kind.capitalize())} on {channel} on {when}"


def explain_hop(view: TieView, people: dict[str, Person], a: str, b: str, tie: TieStrength, weakest: bool) -> Hop:
    evidence = []
    for part in tie.contributions:
        event = view.snap.events.get(part.event_id) if part.event_id else None
        evidence.append(
            HopEvidence(
                kind=part.kind.upper(), channel=part.channel.upper(), at=part.at, contribution=part.value,
                description=describe(part, event), event=event, event_size=part.event_size,
            )
        )
    return Hop(people[a], people[b], tie.strength, tie.level, weakest, tie.last_contact, tie.channels, evidence)


def path_kind(hops: list[Hop]) -> PathKind:
    warm = all(h.level in WARM_LEVELS and h.strength >= WARM_MIN_STRENGTH for h in hops)
    return PathKind.WARM_INTRODUCTION if warm else PathKind.WARM_UP_ROUTE


def rank_intro_paths(
    view: TieView,
    lookup: Callable[[Iterable[str]], dict[str, Person]],
    sources: list[str],
    targets: set[str],
    *,
    k: int,
    max_hops: int,
    avoid: Iterable[str] = (),
    diverse: bool = False,
) -> tuple[list[IntroPath], Person | None]:
    """The explained paths, and the single point of failure when every path passes one person."""
    avoid = set(avoid)
    engine = view.path_engine()
    if diverse:
        ranked = diverse_paths(engine.k_best_paths(sources, targets, k=50 * k, max_hops=max_hops, avoid=avoid), k)
    else:
        ranked = engine.k_best_paths(sources, targets, k=k, max_hops=max_hops, avoid=avoid)
    spof_id = _single_point_of_failure(view, sources, targets, max_hops, avoid, ranked[0].nodes if ranked else ())
    people = lookup({n for p in ranked for n in p.nodes} | ({spof_id} if spof_id else set()))
    paths = []
    for candidate in ranked:
        ties = [view.tie(a, b) for a, b in zip(candidate.nodes, candidate.nodes[1:])]
        strengths = [t.strength for t in ties if t is not None]
        weakest = strengths.index(min(strengths))
        hops = [
            explain_hop(view, people, a, b, tie, i == weakest)
            for i, (a, b, tie) in enumerate(zip(candidate.nodes, candidate.nodes[1:], ties))
            if tie is not None
        ]
        paths.append(IntroPath(math.prod(strengths), path_kind(hops), hops))
    return paths, people.get(spof_id) if spof_id else None


def _single_point_of_failure(
    view: TieView, sources: list[str], targets: set[str], max_hops: int, avoid: set[str], best: tuple[str, ...]
) -> str | None:
    """An intermediary of the best path without whom no path remains (None when there is none)."""
    engine = view.path_engine()
    for candidate in best[1:-1]:
        if candidate in targets:
            continue
        if not engine.k_best_paths(sources, targets, k=1, max_hops=max_hops, avoid=avoid | {candidate}):
            return candidate
    return None
