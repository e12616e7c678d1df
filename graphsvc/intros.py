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

import numpy as np

from graphsvc.analytics.paths import diverse_paths
from graphsvc.analytics.strength import WARM_LEVELS, Contribution, EvidenceLevel, TieStrength, TieView
from graphsvc.model import Event, Person


class IntroStatus(str, Enum):
    FOUND = "FOUND"  # paths found
    NO_PATH = "NO_PATH"  # the target is known but unreachable within the hop limit
    AMBIGUOUS = "AMBIGUOUS"  # several people match the target: see candidates
    NOT_FOUND = "NOT_FOUND"  # nobody matches the target


class PathKind(str, Enum):
    DIRECT = "DIRECT"  # one hop: you know them yourself (never called an introduction)
    WARM_INTRODUCTION = "WARM_INTRODUCTION"  # every hop rests on a real tie
    WARM_UP_ROUTE = "WARM_UP_ROUTE"  # some hop rests only on weak evidence: warm it up first


#: A hop below this strength is weak whatever its evidence level.
WARM_MIN_STRENGTH = 0.15
#: A member's own tie to the target is one to use directly when it rests on interactions or is
#: at least this strong; a weaker one (met once at an event, an old connection) does not replace
#: an introduction: intro answers look for routes around it and show it on its own line.
KNOW_DIRECTLY = 0.4


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

    @property
    def advice(self) -> str:
        """What to do, in a person's words."""
        return path_advice(self.kind, self.hops)

    def to_dict(self) -> dict[str, Any]:
        return {
            "strength": self.strength,
            "kind": self.kind.value,
            "advice": self.advice,
            "weakestLinkStrength": self.weakest_link_strength,
            "hops": [h.to_dict() for h in self.hops],
        }


@dataclass
class DirectTie:
    """A member's own tie to the target, too weak to replace an introduction (``KNOW_DIRECTLY``)."""

    hop: Hop

    @property
    def advice(self) -> str:
        return direct_advice(self.hop)

    def to_dict(self) -> dict[str, Any]:
        return {"advice": self.advice, "hop": self.hop.to_dict()}


@dataclass
class IntroPaths:
    status: IntroStatus
    as_of: datetime
    target: Person | None = None
    candidates: list[Person] = field(default_factory=list)
    paths: list[IntroPath] = field(default_factory=list)
    single_point_of_failure: Person | None = None
    target_count: int = 0
    direct_tie: DirectTie | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "asOf": self.as_of.isoformat(),
            "target": person_dict(self.target) if self.target else None,
            "targetCount": self.target_count,
            "candidates": [person_dict(c) for c in self.candidates],
            "singlePointOfFailure": person_dict(self.single_point_of_failure) if self.single_point_of_failure else None,
            "directTie": self.direct_tie.to_dict() if self.direct_tie else None,
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
    if len(hops) == 1:
        return PathKind.DIRECT
    warm = all(h.level in WARM_LEVELS and h.strength >= WARM_MIN_STRENGTH for h in hops)
    return PathKind.WARM_INTRODUCTION if warm else PathKind.WARM_UP_ROUTE


def _names(people: list[Person]) -> str:
    names = [p.display_name for p in people]
    return names[0] if len(names) == 1 else ", then ".join(names)


def path_advice(kind: PathKind, hops: list[Hop]) -> str:
    """What the user does with a path.

    >>> from graphsvc.model import Person
    >>> me, lukas, tara = Person("a", "Me"), Person("b", "Lukas Braun"), Person("c", "Tara Voss")
    >>> hop = lambda x, y, s: Hop(x, y, s, EvidenceLevel.CONNECTION, False, None, [], [])
    >>> path_advice(PathKind.WARM_INTRODUCTION, [hop(me, lukas, 0.6), hop(lukas, tara, 0.5)])
    'Warm introduction via Lukas Braun: Me asks Lukas Braun for an introduction to Tara Voss'
    >>> path_advice(PathKind.DIRECT, [hop(me, tara, 0.7)])
    'Me knows Tara Voss directly: reach out without an introduction'
    """
    target = hops[-1].target.display_name
    requester = hops[0].source.display_name
    if kind is PathKind.DIRECT:
        return f"{requester} knows {target} directly: reach out without an introduction"
    via = _names([h.target for h in hops[:-1]])
    if kind is PathKind.WARM_INTRODUCTION:
        return f"Warm introduction via {via}: {requester} asks {hops[0].target.display_name} for an introduction to {target}"
    weakest = min(hops, key=lambda h: h.strength)
    return (
        f"Warm-up route via {via}: strengthen the weak link first "
        f"({weakest.source.display_name} – {weakest.target.display_name}, {weakest.strength:.2f})"
    )


def direct_advice(hop: Hop) -> str:
    """The line for a weak direct tie: what it rests on, and that it comes first."""
    events = [e for e in hop.evidence if e.kind == "CO_ATTENDANCE" and e.event is not None]
    who = hop.target.display_name
    if events:
        latest = max(events, key=lambda e: (e.at is not None, e.at or datetime.min))
        when = f" on {latest.at.date().isoformat()}" if latest.at else ""
        return f"{hop.source.display_name} met {who} at '{latest.event.name}'{when}: reconnect first"  # type: ignore[union-attr]
    channels = " and ".join(CHANNEL_NAMES.get(c, c) for c in hop.channels) or "a weak tie"
    return f"{hop.source.display_name} knows {who} only weakly ({channels}, {hop.strength:.2f}): reconnect first"


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
) -> tuple[list[IntroPath], Person | None, DirectTie | None]:
    """The explained paths, the single point of failure when every path passes one person, and
    the best weak direct tie (shown on its own line: the routes are searched around it)."""
    avoid = set(avoid)
    engine = view.path_engine()
    weak = _weak_direct_ties(view, sources, targets)
    if weak:
        engine = engine.without((a, b) for _, a, b in weak)
    if diverse:
        ranked = diverse_paths(engine.k_best_paths(sources, targets, k=50 * k, max_hops=max_hops, avoid=avoid), k)
    else:
        ranked = engine.k_best_paths(sources, targets, k=k, max_hops=max_hops, avoid=avoid)
    spof_id = _single_point_of_failure(engine, sources, targets, max_hops, avoid, ranked)
    direct = weak[0] if weak else None
    people = lookup({n for p in ranked for n in p.nodes} | ({spof_id} if spof_id else set()) | (set(direct[1:]) if direct else set()))
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
    direct_tie = None
    if direct is not None:
        tie = view.tie(direct[1], direct[2])
        if tie is not None:
            direct_tie = DirectTie(explain_hop(view, people, direct[1], direct[2], tie, False))
    return paths, people.get(spof_id) if spof_id else None, direct_tie


def _weak_direct_ties(view: TieView, sources: list[str], targets: set[str]) -> list[tuple[float, str, str]]:
    """``(strength, source, target)`` of every source's tie to a target that is weaker than
    ``KNOW_DIRECTLY`` and rests on no interaction, strongest first; empty when some source
    knows a target well enough to reach out directly (then the direct path is the answer)."""
    if len(targets) > 50 or len(sources) * len(targets) > 5000:
        return []  # a target set (everyone at a company): direct ties there are answers of their own
    weak = []
    index = view.arrays.index
    pairs = [(s, t) for s in sources for t in targets if s in index and t in index]
    if not pairs:
        return []
    strengths = view.ties.strengths(np.asarray([index[s] for s, _ in pairs]), np.asarray([index[t] for _, t in pairs]))
    for (source, target), strength in zip(pairs, strengths.tolist()):
        if strength <= 0:
            continue  # no tie: nothing to explain (a team of 200 asks about one person)
        tie = view.tie(source, target)
        if tie is not None:
            if tie.level is EvidenceLevel.INTERACTION or tie.strength >= KNOW_DIRECTLY:
                return []
            weak.append((tie.strength, source, target))
    return sorted(weak, key=lambda t: (-t[0], t[1], t[2]))


def _single_point_of_failure(
    engine: Any, sources: list[str], targets: set[str], max_hops: int, avoid: set[str], ranked: list[Any]
) -> str | None:
    """An intermediary of the best path without whom no path remains (None when there is none).
    Another path found already that goes around someone proves they are not one, without a search."""
    best = ranked[0].nodes if ranked else ()
    for candidate in best[1:-1]:
        if candidate in targets:
            continue
        if any(candidate not in other.nodes[1:-1] for other in ranked[1:]):
            continue
        if not engine.connects(sources, targets, max_hops=max_hops, avoid=avoid | {candidate}):
            return candidate
    return None
