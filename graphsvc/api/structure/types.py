from __future__ import annotations

from datetime import datetime

import strawberry

from graphsvc.api.errors import translate_errors
from graphsvc.api.pagination import Connection
from graphsvc.api.people.types import PersonConnection, PersonType


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
    index: int = strawberry.field(description="Its rank among the communities at this asOf and seed (0: the largest).")
    size: int
    organizations: list[LabelCount] = strawberry.field(description="Up to three organizations most of its members work at, most first.")
    events: list[EventCount] = strawberry.field(description="Up to three events most of its members attended (two or more of them), most first.")
    member_ids: strawberry.Private[tuple[str, ...]]

    @strawberry.field(description="Its members, by name. At most 100 per page (only the page's people are read).")
    @translate_errors
    async def members(self, info: strawberry.Info, first: int = 20, after: str | None = None) -> PersonConnection:
        from graphsvc.api.people.pages import people_page

        directory = await info.context.loaders.directory()
        return await people_page(info, sorted(self.member_ids, key=directory.sort_key), directory, "community-member", first, after)


BrokerConnection = Connection[BrokerType]
CommunityConnection = Connection[CommunityType]
