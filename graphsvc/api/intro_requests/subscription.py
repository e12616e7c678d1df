from __future__ import annotations

import asyncio
from typing import AsyncGenerator

import strawberry

from graphsvc.api.context import Info
from graphsvc.api.errors import to_graphql_error
from graphsvc.api.intro_requests.build import request_nodes
from graphsvc.api.intro_requests.types import IntroRequestType
from graphsvc.errors import NotFound
from graphsvc.intro_requests import TRANSITIONS

#: How often the subscription looks at the requests.
POLL_SECONDS = 0.2


@strawberry.type
class IntroRequestsSubscription:
    @strawberry.subscription(
        description="Intro requests as their state changes: with `id`, that request now and after every step, ending "
        "when it can move no further (MET, declined, EXPIRED, WITHDRAWN); without, every request of the workspace "
        "that is created or moves, until the client stops. Over WebSocket (graphql-transport-ws) at /graphql; an "
        "unknown id (or another workspace's) is a NOT_FOUND error."
    )
    async def intro_request_changed(self, info: Info, id: strawberry.ID | None = None) -> AsyncGenerator[IntroRequestType, None]:
        ctx = info.context
        service, workspace_id = ctx.service, ctx.workspace_id
        seen: dict[str, int] = {}
        first = True
        while True:
            if id is not None:
                found = await asyncio.to_thread(service.store.get_intro_request, workspace_id, str(id))
                if found is None:
                    raise to_graphql_error(NotFound(f"no intro request {str(id)!r}"))
                requests = [found]
            else:
                requests = await asyncio.to_thread(service.store.intro_requests, workspace_id)
            changed = [r for r in requests if seen.get(r.id) != len(r.transitions)]
            for r in requests:
                seen[r.id] = len(r.transitions)
            if id is None and first:
                changed = []  # the workspace's changes from now on
            first = False
            if changed:
                for node in await asyncio.to_thread(request_nodes, service, workspace_id, list(reversed(changed)), with_ask=False):
                    yield node
            if id is not None and not TRANSITIONS[requests[0].state]:
                return
            await asyncio.sleep(POLL_SECONDS)
