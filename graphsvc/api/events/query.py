from __future__ import annotations

import strawberry

from graphsvc.api.context import Info
from graphsvc.api.errors import translate_errors
from graphsvc.api.events.types import EventConnection, EventType, events_page


@strawberry.type
class EventsQuery:
    @strawberry.field(description="One event of the workspace by id.")
    async def event(self, info: Info, id: strawberry.ID) -> EventType | None:
        return EventType.from_directory(await info.context.loaders.directory(), str(id))

    @strawberry.field(description="Events people of the workspace attended, most recent first; `search` matches the name. At most 100 per page.")
    @translate_errors
    async def events(self, info: Info, search: str | None = None, first: int = 20, after: str | None = None) -> EventConnection:
        directory = await info.context.loaders.directory()
        return events_page(directory, directory.search_events(search), "event", first, after)
