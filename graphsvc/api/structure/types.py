from __future__ import annotations

from datetime import datetime

import strawberry

from graphsvc.api.people.types import PersonType


@strawberry.type(name="Broker", description="Someone who bridges otherwise separate circles.")
class BrokerType:
    person: PersonType
    betweenness: float
    constraint: float = strawberry.field(description="Burt's constraint: low means non-redundant contacts.")
    effective_size: float
    communities_bridged: int


@strawberry.type
class LabelCount:
    label: str
    count: int


@strawberry.type
class EventCount:
    event_id: strawberry.ID
    name: str
    starts_at: datetime | None
    count: int


@strawberry.type(name="Community", description="A densely tied group (Louvain), labelled by organizations and events.")
class CommunityType:
    index: int
    size: int
    members: list[PersonType] = strawberry.field(description="Up to 100 members, by name.")
    organizations: list[LabelCount]
    events: list[EventCount]
