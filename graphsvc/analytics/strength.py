"""Tie strength: how strong a tie is at ``as_of``, explained component by component.

Each component of a tie's evidence contributes a value ``c`` in [0, 1) and the components
combine as a noisy-OR, ``strength = 1 - prod(1 - c)``: every extra channel or shared event
raises strength without passing 1 (multiplexity). Components:

* one per social fact (connection, follow, address-book contact, invitation, endorsement,
  recommendation): ``weight x decay(age)``;
* one per shared event: ``weight x size_factor(n) x decay(age)``, after Newman (2001);
* one for all interactions together (messages, meetings, calls, introductions):
  ``weight x intensity x recency x reciprocity x duration`` with intensity log-scaled;
* one for mutual contacts (Gilbert & Karahalios's structural dimension): the people both
  share direct evidence with, only on ties with direct evidence of their own (co-attendees of
  an event are that event's part, never mutual contacts too);
* one for working at the same (small enough) organization.

Decay is exponential towards a floor: ``floor + (1 - floor) x 0.5 ** (age / half_life)``.
The formula, each default and its source are in docs/tie-strength.md.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Iterable

from graphsvc.model import INTERACTION_KINDS, EvidenceKind
from graphsvc.snapshot import CO_ATTENDANCE, SAME_ORGANIZATION, Fact, Snapshot

if TYPE_CHECKING:
    import networkx as nx


class EvidenceLevel(str, Enum):
    """What kind of tie the evidence shows, strongest first (travels with every tie)."""

    INTERACTION = "interaction"  # they messaged, met or called
    SMALL_EVENT = "small_event"  # met at a gathering small enough to talk to everyone
    CONNECTION = "connection"  # connected on a social network or in an address book
    LARGE_EVENT = "large_event"  # attended the same large event
    SAME_ORGANIZATION = "same_organization"  # work at the same organization


LEVEL_ORDER = list(EvidenceLevel)
WARM_LEVELS = {EvidenceLevel.INTERACTION, EvidenceLevel.SMALL_EVENT, EvidenceLevel.CONNECTION}


@dataclass(frozen=True)
class Decay:
    weight: float
    floor: float
    half_life_days: float


SOCIAL_DEFAULTS: dict[str, Decay] = {
    EvidenceKind.CONNECTION.value: Decay(0.45, 0.6, 730.0),
    EvidenceKind.CONTACT.value: Decay(0.35, 0.7, 1460.0),
    EvidenceKind.FOLLOW.value: Decay(0.12, 0.5, 730.0),
    EvidenceKind.INVITATION.value: Decay(0.10, 0.3, 365.0),
    EvidenceKind.ENDORSEMENT.value: Decay(0.15, 0.3, 365.0),
}
INTERACTION_UNITS = {
    EvidenceKind.MESSAGE.value: 1.0,
    EvidenceKind.CALL.value: 2.0,
    EvidenceKind.MEETING.value: 3.0,
    EvidenceKind.INTRODUCTION.value: 3.0,
    EvidenceKind.RECOMMENDATION.value: 5.0,
}


@dataclass(frozen=True)
class StrengthModel:
    social: dict[str, Decay] = field(default_factory=lambda: dict(SOCIAL_DEFAULTS))
    event: Decay = Decay(0.6, 0.25, 365.0)
    event_full_size: int = 5
    small_event_max_size: int = 30
    interaction: Decay = Decay(0.85, 0.15, 180.0)
    interaction_full_units: float = 30.0  # interaction units at which intensity saturates
    one_way_factor: float = 0.7  # interactions never answered count less (reciprocity)
    duration_full_days: float = 365.0
    mutual_weight: float = 0.15
    mutual_full_count: int = 8
    same_organization_weight: float = 0.08
    max_strength: float = 0.99


DEFAULT_MODEL = StrengthModel()


def model_with_half_lives(half_lives: dict[str, float], base: StrengthModel = DEFAULT_MODEL) -> StrengthModel:
    """``base`` with the half-lives (days) of some evidence kinds replaced.

    Keys: a social kind (``connection``, ``contact``, ``follow``, ``invitation``,
    ``endorsement``), ``event`` (co-attendance) or ``interaction`` (messages, calls, meetings).

    >>> model_with_half_lives({"interaction": 90}).interaction.half_life_days
    90.0
    """
    from dataclasses import replace

    from graphsvc.errors import ConfigurationError

    social = dict(base.social)
    model = base
    for kind, days in half_lives.items():
        if float(days) <= 0:
            raise ConfigurationError(f"half-life of {kind!r} must be positive, not {days}")
        if kind in social:
            social[kind] = replace(social[kind], half_life_days=float(days))
        elif kind in ("event", "interaction"):
            model = replace(model, **{kind: replace(getattr(model, kind), half_life_days=float(days))})
        else:
            known = ", ".join([*sorted(social), "event", "interaction"])
            raise ConfigurationError(f"unknown evidence kind {kind!r} in half-lives; known: {known}")
    return replace(model, social=social)


@dataclass(frozen=True)
class Contribution:
    """One component of a tie's strength, with the facts behind it."""

    kind: str  # an evidence kind, "co_attendance", "interactions", "mutual_contacts", "same_organization"
    channel: str
    value: float
    at: datetime | None  # the most recent fact
    facts: tuple[Fact, ...] = ()
    event_id: str | None = None
    event_size: int | None = None
    count: float = 0.0  # interactions: weighted units; mutual contacts: how many
    reciprocal: bool = False
    first_at: datetime | None = None


@dataclass(frozen=True)
class TieStrength:
    strength: float
    level: EvidenceLevel
    contributions: tuple[Contribution, ...]  # strongest first

    @property
    def channels(self) -> list[str]:
        return sorted({c.channel for c in self.contributions if c.channel not in ("organization", "network")})

    @property
    def last_contact(self) -> datetime | None:
        dates = [c.at for c in self.contributions if c.at is not None]
        return max(dates) if dates else None


def decay(age_days: float | None, spec: Decay) -> float:
    """>>> round(decay(365.0, Decay(1.0, 0.5, 365.0)), 3)
    0.75
    """
    if age_days is None:
        return spec.floor
    return spec.floor + (1.0 - spec.floor) * 0.5 ** (max(age_days, 0.0) / spec.half_life_days)


def event_size_factor(size: int, model: StrengthModel = DEFAULT_MODEL) -> float:
    """>>> event_size_factor(10) > 9 * event_size_factor(800)
    True
    """
    if size <= model.event_full_size:
        return 1.0
    return math.sqrt((model.event_full_size - 1) / (size - 1))


def _age(at: datetime | None, as_of: datetime) -> float | None:
    return None if at is None else (as_of - at).total_seconds() / 86400.0


def contributions(
    facts: Iterable[Fact], snap: Snapshot, as_of: datetime, model: StrengthModel = DEFAULT_MODEL, mutual: int = 0
) -> list[Contribution]:
    """The components of a tie from its facts (those dated after ``as_of`` are ignored)."""
    parts: list[Contribution] = []
    interactions: list[Fact] = []
    for fact in facts:
        if fact.at is not None and fact.at > as_of:
            continue
        if fact.kind in INTERACTION_UNITS:
            interactions.append(fact)
        elif fact.kind == CO_ATTENDANCE:
            size = snap.event_size.get(fact.event_id or "", 2)
            value = model.event.weight * event_size_factor(size, model) * decay(_age(fact.at, as_of), model.event)
            parts.append(Contribution(CO_ATTENDANCE, "event", value, fact.at, (fact,), fact.event_id, size))
        elif fact.kind == SAME_ORGANIZATION:
            parts.append(Contribution(SAME_ORGANIZATION, "organization", model.same_organization_weight, None, (fact,)))
        else:
            spec = model.social.get(fact.kind)
            if spec is not None:
                value = spec.weight * decay(_age(fact.at, as_of), spec)
                parts.append(Contribution(fact.kind, fact.channel, value, fact.at, (fact,)))
    if interactions:
        parts.append(_interactions(interactions, as_of, model))
    direct = [p for p in parts if p.kind not in (SAME_ORGANIZATION, CO_ATTENDANCE)]
    if mutual and direct:
        value = model.mutual_weight * min(1.0, mutual / model.mutual_full_count)
        parts.append(Contribution("mutual_contacts", "network", value, None, (), count=mutual))
    parts.sort(key=lambda c: (-c.value, c.kind, c.event_id or "", c.at or datetime.min.replace(tzinfo=as_of.tzinfo)))
    return parts


def _interactions(facts: list[Fact], as_of: datetime, model: StrengthModel) -> Contribution:
    units = sum(INTERACTION_UNITS[f.kind] for f in facts)
    dated = sorted(f.at for f in facts if f.at is not None)
    last, first = (dated[-1], dated[0]) if dated else (None, None)
    directions = {f.direction for f in facts}
    reciprocal = "mutual" in directions or {"forward", "backward"} <= directions
    intensity = min(1.0, math.log1p(units) / math.log1p(model.interaction_full_units))
    duration = min(1.0, (last - first).days / model.duration_full_days) if first and last else 0.0
    value = (
        model.interaction.weight
        * intensity
        * decay(_age(last, as_of), model.interaction)
        * (1.0 if reciprocal else model.one_way_factor)
        * (0.8 + 0.2 * duration)
    )
    channels = sorted({f.channel for f in facts})
    channel = channels[0] if len(channels) == 1 else "+".join(channels)
    return Contribution("interactions", channel, value, last, tuple(facts), count=units, reciprocal=reciprocal, first_at=first)


def how_combined(tie: TieStrength, model: StrengthModel = DEFAULT_MODEL) -> str:
    """How a tie's parts make its strength, as arithmetic a person can check.

    Each part closes its share of the gap that remains to 1 (a noisy-OR), so parts never add
    up past 1 and every extra one still counts:

    >>> parts = [Contribution("connection", "linkedin", 0.431, None), Contribution("co_attendance", "event", 0.276, None)]
    >>> how_combined(combine(parts))
    '1 − (1 − 0.431) × (1 − 0.276) = 0.588: each part closes its share of what the others leave to 1'
    """
    factors = " × ".join(f"(1 − {part.value:.3f})" for part in tie.contributions)
    remaining = 1.0
    for part in tie.contributions:
        remaining *= 1.0 - part.value
    text = f"1 − {factors} = {1.0 - remaining:.3f}"
    if len(tie.contributions) == 1:
        return f"{text}: one part, the whole strength"
    text += ": each part closes its share of what the others leave to 1"
    if 1.0 - remaining > model.max_strength:
        text += f"; capped at {model.max_strength}"
    return text


def combine(parts: list[Contribution], model: StrengthModel = DEFAULT_MODEL) -> TieStrength | None:
    if not parts:
        return None
    remaining = 1.0
    for part in parts:
        remaining *= 1.0 - part.value
    return TieStrength(min(1.0 - remaining, model.max_strength), level_of(parts, model), tuple(parts))


def level_of(parts: Iterable[Contribution], model: StrengthModel = DEFAULT_MODEL) -> EvidenceLevel:
    levels = set()
    for part in parts:
        if part.kind == "interactions":
            levels.add(EvidenceLevel.INTERACTION)
        elif part.kind == CO_ATTENDANCE:
            small = (part.event_size or 0) <= model.small_event_max_size
            levels.add(EvidenceLevel.SMALL_EVENT if small else EvidenceLevel.LARGE_EVENT)
        elif part.kind == SAME_ORGANIZATION:
            levels.add(EvidenceLevel.SAME_ORGANIZATION)
        elif part.kind != "mutual_contacts":
            levels.add(EvidenceLevel.CONNECTION)
    return next(level for level in LEVEL_ORDER if level in levels)


def mutual_contacts(snap: Snapshot, a: str, b: str) -> int:
    """How many people both ``a`` and ``b`` share direct evidence with (connections, contacts,
    follows, messages...). Co-attendance is not direct evidence: the other attendees of an event
    the pair shared are that event's part already, and counting them again would count the
    event twice."""
    mine, theirs = snap.contacts.get(a), snap.contacts.get(b)
    if not mine or not theirs:
        return 0
    if len(mine) > len(theirs):
        mine, theirs = theirs, mine
    return sum(1 for person in mine if person in theirs)


def tie_strength(snap: Snapshot, a: str, b: str, as_of: datetime, model: StrengthModel = DEFAULT_MODEL) -> TieStrength | None:
    """The tie between ``a`` and ``b`` at ``as_of`` (None when no evidence predates ``as_of``).

    This is the reference: readable, one pair at a time. ``graphsvc.analytics.ties`` computes
    the same strengths for many pairs at once, from arrays.
    """
    if a == b:
        return None
    return combine(contributions(snap.pair_facts(a, b), snap, as_of, model, mutual_contacts(snap, a, b)), model)


def tie_graph(snap: Snapshot, as_of: datetime, model: StrengthModel = DEFAULT_MODEL) -> "nx.Graph":
    """The fully materialised tie graph at ``as_of``: edge attributes ``strength``, ``cost`` (-log strength), ``level``.

    The reference the analytics core is checked against on small networks: it expands every
    event into all its pairs, which is quadratic in event sizes. Analytics never build it.

    >>> g = tie_graph(Snapshot("ws", 0, ()), datetime(2026, 1, 1))
    >>> g.number_of_edges()
    0
    """
    import networkx as nx

    pairs = set(snap.facts)
    for event_id, people in snap.attendees.items():
        if len(people) <= snap.max_event_size:
            ordered = sorted(people)
            pairs.update((x, y) for i, x in enumerate(ordered) for y in ordered[i + 1 :])
    by_org: dict[str, list[str]] = defaultdict(list)
    for person, org in snap.organization_key.items():
        by_org[org].append(person)
    for people in by_org.values():
        ordered = sorted(people)
        pairs.update((x, y) for i, x in enumerate(ordered) for y in ordered[i + 1 :])
    graph = nx.Graph()
    graph.add_nodes_from(sorted(snap.people))
    for a, b in sorted(pairs):
        tie = tie_strength(snap, a, b, as_of, model)
        if tie is not None and tie.strength > 0:
            graph.add_edge(a, b, strength=tie.strength, cost=-math.log(tie.strength), level=tie.level)
    return graph


from graphsvc.analytics.view import TieView, tie_view  # noqa: E402  (the view builds on the model above)
