from __future__ import annotations

import asyncio

from datetime import datetime

import strawberry

from graphsvc.api.context import Info
from graphsvc.api.errors import translate_errors
from graphsvc.api.roi.types import ChannelRoiType, EventRoiType


@strawberry.type
class RoiQuery:
    @strawberry.field(description="Per event a member attended: people met, follow-ups, strength reached. Most recent first.")
    @translate_errors
    async def event_roi(self, info: Info, as_of: datetime | None = None) -> list[EventRoiType]:
        ctx = info.context
        view = await asyncio.to_thread(ctx.service.view, ctx.workspace_id, as_of)
        rows = []
        for r in await asyncio.to_thread(lambda: ctx.service.event_roi(ctx.workspace_id, as_of=as_of)):
            event = view.snap.events.get(r.event_id)
            rows.append(EventRoiType(
                event_id=strawberry.ID(r.event_id), name=event.name if event else r.event_id,
                starts_at=event.starts_at if event else None, kind=event.kind if event else "", size=r.size,
                people_met=r.people_met, followed_up=r.followed_up, strong_ties=r.strong_ties, mean_strength=r.mean_strength,
            ))
        return rows

    @strawberry.field(description="Per channel: the team's strong ties (strength >= strong) it carries and how many started there.")
    @translate_errors
    async def channel_roi(self, info: Info, strong: float = 0.3, as_of: datetime | None = None) -> list[ChannelRoiType]:
        ctx = info.context
        return [
            ChannelRoiType(channel=r.channel.upper(), strong_ties=r.strong_ties, started_here=r.started_here)
            for r in await asyncio.to_thread(lambda: ctx.service.channel_roi(ctx.workspace_id, as_of=as_of, strong=strong))
        ]
