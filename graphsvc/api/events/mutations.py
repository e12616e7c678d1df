from __future__ import annotations

import asyncio

import strawberry

from graphsvc.api.context import Info
from graphsvc.api.errors import translate_errors
from graphsvc.api.events.types import EventType
from graphsvc.api.permissions import CanWrite


async def _event_node(info: Info, event_id: str) -> EventType:
    """The event as ``event(id:)`` answers it now (the directory of the new data version)."""
    directory = await asyncio.to_thread(info.context.service.directory, info.context.workspace_id)
    found = EventType.from_directory(directory, event_id)
    if found is None:  # an event nobody of the workspace attends
        event = (await asyncio.to_thread(info.context.service.raw_store.get_events, info.context.workspace_id, [event_id]))[event_id]
        found = EventType.from_model(event, 0)
    return found


@strawberry.type
class EventsMutation:
    @strawberry.mutation(
        permission_classes=[CanWrite],
        description="Rename, re-date (`date`: YYYY-MM-DD; \"\" clears it) or re-kind an event. Its id stays, so re-importing "
        "its list finds it; attendances dated by the event move with its date.",
    )
    @translate_errors
    async def update_event(
        self, info: Info, id: strawberry.ID, name: str | None = None, date: str | None = None, kind: str | None = None
    ) -> EventType:
        ctx = info.context
        event = await asyncio.to_thread(ctx.service.edit_event, ctx.workspace_id, str(id), name=name, date=date, kind=kind)
        return await _event_node(info, event.id)

    @strawberry.mutation(
        permission_classes=[CanWrite],
        description="Merge event `other` into `keep` (its duplicate): one event, each attendee once; `other`'s id then "
        "finds `keep`, and re-importing its list adds to `keep`.",
    )
    @translate_errors
    async def merge_events(self, info: Info, keep: strawberry.ID, other: strawberry.ID) -> EventType:
        ctx = info.context
        event = await asyncio.to_thread(ctx.service.merge_events, ctx.workspace_id, str(keep), str(other))
        return await _event_node(info, event.id)
