from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from graphsvc.analytics.strength import how_combined, TieStrength, TieView
from graphsvc.api.intros.types import EvidenceLevel, HopEvent
from graphsvc.api.people.types import PersonType
from graphsvc.intros import describe
from graphsvc.model import Person
from graphsvc.snapshot import Fact

if TYPE_CHECKING:
    from graphsvc.api.events.types import EventType

LazyEvent = Annotated["EventType", strawberry.lazy("graphsvc.api.events.types")]


@strawberry.type(description="One component of a tie's strength and what it contributes (noisy-OR of all components).")
class TieComponent:
    kind: str
    channel: str
    contribution: float
    at: datetime | None
    count: float = strawberry.field(description="Interactions: weighted units (message 1, call 2, meeting 3, ...); mutual contacts: how many.")
    reciprocal: bool
    description: str
    event: HopEvent | None


@strawberry.enum(description="Which way a piece of evidence went, seen from the tie's `a` (for a person's ties: that person).")
class EvidenceDirection(Enum):
    OUTGOING = "outgoing"
    INCOMING = "incoming"
    MUTUAL = "mutual"


@strawberry.type(name="Evidence", description="One observation behind a tie: a connection, a message, a meeting, a shared event, a shared organization.")
class EvidenceType:
    kind: str = strawberry.field(description="CONNECTION, FOLLOW, CONTACT, MESSAGE, MEETING, CALL, ..., CO_ATTENDANCE or SAME_ORGANIZATION.")
    channel: str
    at: datetime | None
    direction: EvidenceDirection
    event: LazyEvent | None = strawberry.field(description="The event both attended (CO_ATTENDANCE).")


def _direction(fact: Fact, a: str, b: str) -> EvidenceDirection:
    """Facts store direction relative to the pair's sorted order; clients want it relative to ``a``."""
    if fact.direction == "mutual":
        return EvidenceDirection.MUTUAL
    a_first = a < b
    return EvidenceDirection.OUTGOING if (fact.direction == "forward") == a_first else EvidenceDirection.INCOMING


@strawberry.type(name="Tie", description="The relationship between two people at asOf, explained.")
class TieType:
    strength: float
    level: EvidenceLevel | None  # type: ignore[valid-type]
    last_contact: datetime | None
    channels: list[str]
    as_of: datetime = strawberry.field(description="The moment the strength is computed for (evidence after it does not count).")
    a_id: strawberry.Private[str]
    b_id: strawberry.Private[str]
    tie: strawberry.Private[TieStrength | None]
    view: strawberry.Private[TieView]
    #: People the resolver that made this tie already held (the rest come from the people loader).
    known: strawberry.Private[dict[str, Person]]

    @strawberry.field
    async def a(self, info: strawberry.Info) -> PersonType:
        return await self._person(info, self.a_id)

    @strawberry.field
    async def b(self, info: strawberry.Info) -> PersonType:
        return await self._person(info, self.b_id)

    @strawberry.field(description="The other end of the tie: for a person's ties, whom they are tied to (the same as b).")
    async def other(self, info: strawberry.Info) -> PersonType:
        return await self._person(info, self.b_id)

    @strawberry.field(description="How the components make the strength: '1 − (1 − 0.431) × (1 − 0.276) × (1 − 0.150) = 0.650: ...' (a noisy-OR).")
    def how_combined(self) -> str | None:
        return how_combined(self.tie, self.view.model) if self.tie else None

    @strawberry.field
    def components(self) -> list[TieComponent]:
        snap, parts = self.view.snap, self.tie.contributions if self.tie else ()
        found = []
        for part in parts:
            event = snap.events.get(part.event_id) if part.event_id else None
            found.append(
                TieComponent(
                    kind=part.kind.upper(), channel=part.channel.upper(), contribution=part.value, at=part.at, count=part.count,
                    reciprocal=part.reciprocal, description=describe(part, event),
                    event=HopEvent(id=strawberry.ID(event.id), name=event.name, starts_at=event.starts_at, size=part.event_size) if event else None,
                )
            )
        return found

    @strawberry.field(description="Every piece of evidence dated up to asOf (or undated), most recent first.")
    def evidence(self) -> list[EvidenceType]:
        from graphsvc.api.events.types import EventType

        snap, as_of = self.view.snap, self.view.as_of
        facts = [f for f in snap.pair_facts(self.a_id, self.b_id) if f.at is None or f.at <= as_of]
        facts.sort(key=lambda f: (f.at is None, -f.at.timestamp() if f.at else 0.0, f.kind, f.event_id or ""))
        found = []
        for fact in facts:
            event = snap.events.get(fact.event_id) if fact.event_id else None
            found.append(
                EvidenceType(
                    kind=fact.kind.upper(), channel=fact.channel.upper(), at=fact.at, direction=_direction(fact, self.a_id, self.b_id),
                    event=EventType.from_model(event, snap.event_size.get(event.id, 0)) if event else None,
                )
            )
        return found

    async def _person(self, info: strawberry.Info, person_id: str) -> PersonType:
        person = self.known.get(person_id) or await info.context.loaders.person(person_id)
        if person is None:  # the snapshot knew them and the store does not: a merge landed in between
            raise LookupError(f"person {person_id} is gone")
        return PersonType.from_model(person)

    @classmethod
    def of(cls, a: str, b: str, tie: TieStrength | None, view: TieView, known: dict[str, Person] | None = None) -> "TieType":
        """The tie seen from ``a``'s side; its people are loaded only if a client asks for them."""
        return cls(
            strength=tie.strength if tie else 0.0, level=EvidenceLevel[tie.level.name] if tie else None,
            last_contact=tie.last_contact if tie else None, channels=tie.channels if tie else [], as_of=view.as_of,
            a_id=a, b_id=b, tie=tie, view=view, known=known or {},
        )

    @classmethod
    def from_model(cls, a: Person, b: Person, tie: TieStrength | None, view: TieView) -> "TieType":
        return cls.of(a.id, b.id, tie, view, {a.id: a, b.id: b})
