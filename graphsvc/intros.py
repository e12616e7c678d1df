"""Warm introductions, end to end: resolve who is asked about, rank paths, explain every hop.

``IntroPaths.to_dict()`` has exactly the shape of the GraphQL ``introPaths`` field (see
docs/api.md), so the CLI's ``--json`` and the API answer alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from graphsvc.analytics.paths import k_best_paths
from graphsvc.analytics.strength import Contribution, EvidenceLevel, TieStrength, tie_strength
from graphsvc.model import Event, Person
from graphsvc.snapshot import Snapshot


class IntroStatus(str, Enum):
    FOUND = "FOUND"  # paths found
    NO_PATH = "NO_PATH"  # the target is known but unreachable within the hop limit
    AMBIGUOUS = "AMBIGUOUS"  # several people match the target: see candidates
    NOT_FOUND = "NOT_FOUND"  # nobody matches the target


def person_dict(p: Person) -> dict[str, Any]:
    return {"id": p.id, "name": p.display_name, "organization": p.organization, "title": p.title, "isMember": p.is_member}


@dataclass
class HopEvidence:
    kind: str  # CONNECTION | CO_ATTENDANCE
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
            "at": self.at.isoformat() if self.at else None,
            "contribution": self.contribution,
            "description": self.description,
            "event": None
            if self.event is None
            else {
                "id": self.event.id,
                "name": self.event.name,
                "startsAt": self.event.starts_at.isoformat() if self.event.starts_at else None,
                "size": self.event_size,
            },
        }


@dataclass
class Hop:
    source: Person
    target: Person
    strength: float
    level: EvidenceLevel
    is_weakest: bool
    evidence: list[HopEvidence]

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": person_dict(self.source),
            "to": person_dict(self.target),
            "strength": self.strength,
            "level": self.level.name,
            "isWeakest": self.is_weakest,
            "evidence": [e.to_dict() for e in self.evidence],
        }


@dataclass
class IntroPath:
    strength: float
    hops: list[Hop]

    @property
    def weakest_link_strength(self) -> float:
        return min(h.strength for h in self.hops)

    def to_dict(self) -> dict[str, Any]:
        return {
            "strength": self.strength,
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

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "asOf": self.as_of.isoformat(),
            "target": person_dict(self.target) if self.target else None,
            "candidates": [person_dict(c) for c in self.candidates],
            "paths": [p.to_dict() for p in self.paths],
        }


def describe(part: Contribution, event: Event | None) -> str:
    fact = part.fact
    when = fact.at.date().isoformat() if fact.at else "an unknown date"
    if fact.kind == "connection":
        return f"Connected on {fact.channel.capitalize() if fact.channel != 'linkedin' else 'LinkedIn'} on {when}"
    name = event.name if event else "an event"
    return f"Both attended '{name}' ({part.event_size} people) on {when}"


def explain_hop(snap: Snapshot, people: dict[str, Person], a: str, b: str, tie: TieStrength, weakest: bool) -> Hop:
    evidence = []
    for part in tie.contributions:
        event = snap.events.get(part.fact.event_id) if part.fact.event_id else None
        evidence.append(
            HopEvidence(
                kind=part.fact.kind.upper(), channel=part.fact.channel.upper(), at=part.fact.at,
                contribution=part.value, description=describe(part, event), event=event,
                event_size=part.event_size,
            )
        )
    return Hop(people[a], people[b], tie.strength, tie.level, weakest, evidence)


def rank_intro_paths(
    snap: Snapshot,
    graph: "object",
    people_lookup: "callable",  # type: ignore[valid-type]
    sources: list[str],
    target: str,
    *,
    k: int,
    max_hops: int,
    as_of: datetime,
) -> list[IntroPath]:
    ranked = k_best_paths(graph, sources, target, k=k, max_hops=max_hops)  # type: ignore[arg-type]
    people: dict[str, Person] = people_lookup({n for p in ranked for n in p.nodes})
    paths = []
    for candidate in ranked:
        ties = [tie_strength(snap, a, b, as_of) for a, b in zip(candidate.nodes, candidate.nodes[1:])]
        strengths = [t.strength for t in ties if t is not None]
        weakest = strengths.index(min(strengths))
        hops = [
            explain_hop(snap, people, a, b, tie, i == weakest)
            for i, (a, b, tie) in enumerate(zip(candidate.nodes, candidate.nodes[1:], ties))
            if tie is not None
        ]
        paths.append(IntroPath(math.prod(strengths), hops))
    return paths
