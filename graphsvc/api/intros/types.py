from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from graphsvc import intros
from graphsvc.analytics.strength import EvidenceLevel as LibraryEvidenceLevel
from graphsvc.api.people.types import PersonType

IntroStatus = strawberry.enum(intros.IntroStatus, description="Outcome of an introPaths request.")


@strawberry.enum(description="What kind of tie the evidence shows, strongest first.")
class EvidenceLevel(Enum):
    SMALL_EVENT = "SMALL_EVENT"
    CONNECTION = "CONNECTION"
    LARGE_EVENT = "LARGE_EVENT"


@strawberry.type
class HopEvent:
    id: strawberry.ID
    name: str
    starts_at: datetime | None
    size: int | None = strawberry.field(description="Distinct attendees.")


@strawberry.type(description="One piece of evidence behind a hop, with its contribution to the hop's strength.")
class HopEvidence:
    kind: str
    channel: str
    at: datetime | None
    contribution: float
    description: str
    event: HopEvent | None

    @classmethod
    def from_model(cls, e: intros.HopEvidence) -> "HopEvidence":
        event = None
        if e.event is not None:
            event = HopEvent(id=strawberry.ID(e.event.id), name=e.event.name, starts_at=e.event.starts_at, size=e.event_size)
        return cls(kind=e.kind, channel=e.channel, at=e.at, contribution=e.contribution, description=e.description, event=event)


@strawberry.type(description="One tie of a path, explained by its evidence.")
class Hop:
    from_: PersonType = strawberry.field(name="from")
    to: PersonType
    strength: float
    level: EvidenceLevel
    is_weakest: bool = strawberry.field(description="True on the path's weakest link.")
    evidence: list[HopEvidence]

    @classmethod
    def from_model(cls, hop: intros.Hop) -> "Hop":
        return cls(
            from_=PersonType.from_model(hop.source), to=PersonType.from_model(hop.target), strength=hop.strength,
            level=EvidenceLevel[LibraryEvidenceLevel(hop.level).name], is_weakest=hop.is_weakest,
            evidence=[HopEvidence.from_model(e) for e in hop.evidence],
        )


@strawberry.type(description="A chain of ties from a workspace member to the target.")
class IntroPath:
    strength: float = strawberry.field(description="Product of the hops' strengths.")
    weakest_link_strength: float
    hops: list[Hop]

    @classmethod
    def from_model(cls, path: intros.IntroPath) -> "IntroPath":
        return cls(strength=path.strength, weakest_link_strength=path.weakest_link_strength, hops=[Hop.from_model(h) for h in path.hops])


@strawberry.type
class IntroPaths:
    status: IntroStatus  # type: ignore[valid-type]
    as_of: datetime
    target: PersonType | None
    candidates: list[PersonType] = strawberry.field(description="When the target is ambiguous: who it could be.")
    paths: list[IntroPath]

    @classmethod
    def from_model(cls, result: intros.IntroPaths) -> "IntroPaths":
        return cls(
            status=result.status, as_of=result.as_of,
            target=PersonType.from_model(result.target) if result.target else None,
            candidates=[PersonType.from_model(c) for c in result.candidates],
            paths=[IntroPath.from_model(p) for p in result.paths],
        )
