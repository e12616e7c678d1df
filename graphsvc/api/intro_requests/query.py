from __future__ import annotations

import asyncio
from datetime import datetime

import strawberry

from graphsvc import intro_service
from graphsvc.api.context import Info
from graphsvc.api.errors import translate_errors
from graphsvc.api.intro_requests.build import follow_up_key, follow_up_nodes, request_key, request_nodes
from graphsvc.api.intro_requests.types import FollowUpConnection, IntroRequestConnection, IntroRequestState, IntroRequestType
from graphsvc.api.pagination import Connection, paginate
from graphsvc.errors import NotFound


@strawberry.type
class IntroRequestsQuery:
    @strawberry.field(description="The workspace's intro requests, newest first; `state` narrows to one state. At most 100 per page.")
    @translate_errors
    async def intro_requests(
        self, info: Info, state: IntroRequestState | None = None, first: int = 20, after: str | None = None,  # type: ignore[valid-type]
    ) -> IntroRequestConnection:
        ctx = info.context

        def work() -> IntroRequestConnection:
            requests = intro_service.list_requests(ctx.service, ctx.workspace_id, state)
            page = paginate(requests, request_key, "intro-requests", first, after)
            return Connection.of(request_nodes(ctx.service, ctx.workspace_id, page.items), page.cursors, page.total, page.has_next)

        return await asyncio.to_thread(work)

    @strawberry.field(description="One intro request by id, with its steps and the drafted ask; null when the workspace has none by that id.")
    @translate_errors
    async def intro_request(self, info: Info, id: strawberry.ID) -> IntroRequestType | None:
        ctx = info.context

        def work() -> IntroRequestType | None:
            try:
                found = intro_service.get_request(ctx.service, ctx.workspace_id, str(id))
            except NotFound:
                return None
            return request_nodes(ctx.service, ctx.workspace_id, [found])[0]

        return await asyncio.to_thread(work)

    @strawberry.field(
        description="The follow-up to-do list at asOf (default now), each item with its due date, earliest first: asks with "
        "no answer after 7 days, agreed or opted-in intros with no next step after 7 days, introductions with no meeting "
        "after 14 days, people met at an event with no contact since (14 days after the event). `member` narrows to one "
        "team member. At most 100 per page."
    )
    @translate_errors
    async def follow_ups(
        self, info: Info, as_of: datetime | None = None, member: str | None = None, first: int = 20, after: str | None = None
    ) -> FollowUpConnection:
        ctx = info.context

        def work() -> FollowUpConnection:
            items = intro_service.follow_ups(ctx.service, ctx.workspace_id, as_of=as_of, member=member)
            page = paginate(items, follow_up_key, "follow-ups", first, after)
            return Connection.of(follow_up_nodes(ctx.service, ctx.workspace_id, page.items), page.cursors, page.total, page.has_next)

        return await asyncio.to_thread(work)
