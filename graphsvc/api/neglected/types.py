from __future__ import annotations

from datetime import datetime

import strawberry

from graphsvc.analytics import neglected
from graphsvc.api.pagination import Connection
from graphsvc.api.people.types import PersonType
from graphsvc.model import Person

NeglectKind = strawberry.enum(neglected.NeglectKind, description="MISSED_FOLLOW_UP, KEEP_IN_TOUCH_OVERDUE or DORMANT: one per person, the most actionable reason.")


@strawberry.type(name="NeglectedTie", description="A tie worth reviving, with why and what to do.")
class NeglectedTieType:
    kind: NeglectKind  # type: ignore[valid-type]
    member: PersonType = strawberry.field(description="The team member who knows them best.")
    person: PersonType
    score: float
    strength: float = strawberry.field(description="Strength now.")
    last_contact: datetime | None
    reason: str
    next_step: str
    peak_strength: float | None
    novelty: float | None
    dunbar_layer: int | None
    also: list[str] = strawberry.field(description="Other reasons that hold for this person, as facts (the kind is the most actionable one).")

    @classmethod
    def from_model(cls, item: neglected.NeglectedTie, people: dict[str, Person]) -> "NeglectedTieType":
        return cls(
            kind=item.kind, member=PersonType.from_model(people[item.member_id]), person=PersonType.from_model(people[item.person_id]),
            score=item.score, strength=item.strength, last_contact=item.last_contact, reason=item.reason, next_step=item.next_step,
            peak_strength=item.peak_strength, novelty=item.novelty, dunbar_layer=item.dunbar_layer, also=list(item.also),
        )


#: A page of neglected ties: ``NeglectedTieConnection`` / ``NeglectedTieEdge`` in the schema.
NeglectedTieConnection = Connection[NeglectedTieType]
