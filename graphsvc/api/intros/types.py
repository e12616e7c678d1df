from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from graphsvc import intros
from graphsvc.analytics.strength import EvidenceLevel as LibraryEvidenceLevel
from graphsvc.api.people.types import PersonType

IntroStatus = strawberry.enum(intros.IntroStatus, description="Outcome of an introPaths request.")


EvidenceLevel = strawberry.enum(
    Enum("EvidenceLevel", {level.name: level.name for level in LibraryEvidenceLevel}),  # type: ignore[misc]
    description="What kind of tie the evidence shows, strongest first: INTERACTION > SMALL_EVENT > CONNECTION > LARGE_EVENT > SAME_ORGANIZATION.",
)
PathKind = strawberry.enum(
    intros.PathKind,
    description="DIRECT: one hop, a member knows the target (never an introduction); WARM_INTRODUCTION when every hop "
    "rests on a real tie; WARM_UP_ROUTE otherwise.",
)


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
    last_contact: datetime | None = strawberry.field(description="The most recent dated evidence of this tie.")
    channels: list[str]
    evidence: list[HopEvidence]

    @classmethod
    def from_model(cls, hop: intros.Hop) -> "Hop":
        return cls(
            from_=PersonType.from_model(hop.source), to=PersonType.from_model(hop.target), strength=hop.strength,
            level=EvidenceLevel[hop.level.name], is_weakest=hop.is_weakest, last_contact=hop.last_contact,
            channels=list(hop.channels),
            evidence=[HopEvidence.from_model(e) for e in hop.evidence],
        )


@strawberry.type(description="A chain of ties from a workspace member to the target.")
class IntroPath:
    strength: float = strawberry.field(description="Product of the hops' strengths.")
    kind: PathKind  # type: ignore[valid-type]
    advice: str = strawberry.field(description="What to do, in words: 'Warm introduction via Lukas Braun: Maya asks Lukas Braun for an introduction to ...'.")
    weakest_link_strength: float
    hops: list[Hop]

    @classmethod
    def from_model(cls, path: intros.IntroPath) -> "IntroPath":
        return cls(strength=path.strength, kind=path.kind, advice=path.advice, weakest_link_strength=path.weakest_link_strength,
                   hops=[Hop.from_model(h) for h in path.hops])


@strawberry.type(description="A member's own tie to the target, too weak to replace an introduction: shown beside the routes, not instead of them.")
class DirectTie:
    advice: str = strawberry.field(description="'Maya met Tara at ... on ...: reconnect first'.")
    hop: Hop

    @classmethod
    def from_model(cls, direct: intros.DirectTie) -> "DirectTie":
        return cls(advice=direct.advice, hop=Hop.from_model(direct.hop))


@strawberry.type
class IntroPaths:
    status: IntroStatus  # type: ignore[valid-type]
    as_of: datetime
    target: PersonType | None
    target_count: int = strawberry.field(description="How many people the target stands for (1 for a person; everyone matching a target set).")
    candidates: list[PersonType] = strawberry.field(description="When the target is ambiguous: who it could be.")
    single_point_of_failure: PersonType | None = strawberry.field(description="Set when every path passes through this one person.")
    direct_tie: DirectTie | None = strawberry.field(
        description="The best member's own tie to the target when it is weaker than a warm tie (docs/tie-strength.md): "
        "the paths are then the introductions around it."
    )
    paths: list[IntroPath]

    @classmethod
    def from_model(cls, result: intros.IntroPaths) -> "IntroPaths":
        return cls(
            status=result.status, as_of=result.as_of,
            target=PersonType.from_model(result.target) if result.target else None,
            target_count=result.target_count,
            candidates=[PersonType.from_model(c) for c in result.candidates],
            single_point_of_failure=PersonType.from_model(result.single_point_of_failure) if result.single_point_of_failure else None,
            direct_tie=DirectTie.from_model(result.direct_tie) if result.direct_tie else None,
            paths=[IntroPath.from_model(p) for p in result.paths],
        )
