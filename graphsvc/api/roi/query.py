from __future__ import annotations

import asyncio
from datetime import datetime

import strawberry

from graphsvc.analytics.roi import EventRoi, event_roi
from graphsvc.analytics.strength import TieView
from graphsvc.api.context import Info
from graphsvc.api.derived import per_view
from graphsvc.api.errors import translate_errors
from graphsvc.api.pagination import Connection, paginate
from graphsvc.intro_requests import intro_outcomes
from graphsvc.api.roi.types import ChannelRoiType, EventRoiConnection, EventRoiType

#: An event's place in eventRoi, which lists the most recent first: (dated, start, event id), largest first.
RoiKey = tuple[int, float, str]


def _key(view: TieView, row: EventRoi) -> RoiKey:
    event = view.snap.events.get(row.event_id)
    if event is None or event.starts_at is None:
        return (0, 0.0, row.event_id)  # undated events last
    return (1, event.starts_at.timestamp(), row.event_id)


@strawberry.type
class RoiQuery:
    @strawberry.field(
        description="Per event a member attended (and per event an introduction rested on): people met, follow-ups, "
        "strength reached, introductions. Most recent first (undated events last). At most 100 per page."
    )
    @translate_errors
    async def event_roi(self, info: Info, first: int = 20, after: str | None = None, as_of: datetime | None = None) -> EventRoiConnection:
        ctx = info.context
        view = await ctx.loaders.view(as_of)
        members = await asyncio.to_thread(ctx.service.store.member_ids, ctx.workspace_id)
        # events introductions rested on (graphsvc/intro_requests.py) are listed even when no member attended
        by_event, _ = intro_outcomes(await asyncio.to_thread(ctx.service.store.intro_requests, ctx.workspace_id))
        rows = await asyncio.to_thread(
            per_view, view, "event_roi", (tuple(sorted(members)), tuple(sorted(by_event))),
            lambda: sorted(event_roi(view, members, include=by_event), key=lambda r: _key(view, r), reverse=True),  # the order event_roi gives
        )
        page = paginate(rows, lambda r: _key(view, r), "event-roi", first, after, descending=True)
        nodes = []
        for r in page.items:
            event = view.snap.events.get(r.event_id)
            nodes.append(EventRoiType(
                event_id=strawberry.ID(r.event_id), name=event.name if event else r.event_id,
                starts_at=event.starts_at if event else None, kind=event.kind if event else "", size=r.size,
                people_met=r.people_met, followed_up=r.followed_up, strong_ties=r.strong_ties, mean_strength=r.mean_strength,
                introductions=by_event.get(r.event_id, 0),
            ))
        return Connection.of(nodes, page.cursors, page.total, page.has_next)

    @strawberry.field(
        description="Per channel: the team's strong ties (strength >= strong) it carries and how many started there. A list, "
        "not a connection: one row per channel evidence comes from (LinkedIn, X, email, events, ...), nine at most."
    )
    @translate_errors
    async def channel_roi(self, info: Info, strong: float = 0.3, as_of: datetime | None = None) -> list[ChannelRoiType]:
        ctx = info.context
        return [
            ChannelRoiType(channel=r.channel.upper(), strong_ties=r.strong_ties, started_here=r.started_here, introductions=r.introductions)
            for r in await asyncio.to_thread(lambda: ctx.service.channel_roi(ctx.workspace_id, as_of=as_of, strong=strong))
        ]
