from __future__ import annotations

from datetime import datetime

import strawberry

from graphsvc.analytics.strength import TieStrength, TieView
from graphsvc.api.intros.types import EvidenceLevel, HopEvent
from graphsvc.api.people.types import PersonType
from graphsvc.intros import describe
from graphsvc.model import Person


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


@strawberry.type(name="Tie", description="The relationship between two people at asOf, explained.")
class TieType:
    a: PersonType
    b: PersonType
    strength: float
    level: EvidenceLevel | None  # type: ignore[valid-type]
    last_contact: datetime | None
    channels: list[str]
    components: list[TieComponent]

    @classmethod
    def from_model(cls, a: Person, b: Person, tie: TieStrength | None, view: TieView) -> "TieType":
        components = []
        for part in tie.contributions if tie else ():
            event = view.snap.events.get(part.event_id) if part.event_id else None
            components.append(
                TieComponent(
                    kind=part.kind.upper(), channel=part.channel.upper(), contribution=part.value, at=part.at, count=part.count,
                    reciprocal=part.reciprocal, description=describe(part, event),
                    event=HopEvent(id=strawberry.ID(event.id), name=event.name, starts_at=event.starts_at, size=part.event_size) if event else None,
                )
            )
        return cls(
            a=PersonType.from_model(a), b=PersonType.from_model(b), strength=tie.strength if tie else 0.0,
            level=EvidenceLevel[tie.level.name] if tie else None, last_contact=tie.last_contact if tie else None,
            channels=tie.channels if tie else [], components=components,
        )
