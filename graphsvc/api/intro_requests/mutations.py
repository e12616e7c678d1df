from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated

import strawberry

from graphsvc.api.context import Info
from graphsvc.api.errors import translate_errors
from graphsvc.api.intro_requests.build import request_nodes
from graphsvc.api.intro_requests.types import IntroRequestState, IntroRequestType
from graphsvc.api.permissions import CanWrite


@strawberry.type
class IntroRequestsMutation:
    @strawberry.mutation(
        permission_classes=[CanWrite],
        description="Draft an intro request from the best path to `to` (through `via`, the connector, when given): "
        "requester, connector (the first hop), target and the path's evidence now. Idempotent: the same "
        "`idempotencyKey`, or without one the same open request, gives the same request (a retry never makes two). "
        "A connector marked do-not-ask is a CONFLICT. graphsvc never sends anything: the ask is drafted for you to send.",
    )
    @translate_errors
    async def request_intro(
        self, info: Info, to: str, via: str | None = None,
        from_: Annotated[str | None, strawberry.argument(name="from")] = None,
        idempotency_key: str | None = None,
    ) -> IntroRequestType:
        ctx = info.context

        def work() -> IntroRequestType:
            request = ctx.service.request_intro(ctx.workspace_id, to, via=via, from_=from_, idempotency_key=idempotency_key)
            return request_nodes(ctx.service, ctx.workspace_id, [request])[0]

        return await asyncio.to_thread(work)

    @strawberry.mutation(
        permission_classes=[CanWrite],
        description="Record a step of an intro request (at `at`, default now). A step its state cannot take is an "
        "ILLEGAL_TRANSITION error; repeating the step it is in changes nothing (a retry). INTRODUCED and MET are written "
        "as evidence between requester and target (docs/tie-strength.md); a declined or unanswered ask spends the "
        "connector's budget.",
    )
    @translate_errors
    async def update_intro_request(
        self, info: Info, id: strawberry.ID, state: IntroRequestState, at: datetime | None = None, note: str = "",  # type: ignore[valid-type]
    ) -> IntroRequestType:
        ctx = info.context

        def work() -> IntroRequestType:
            request = ctx.service.update_intro_request(ctx.workspace_id, str(id), state, at=at, note=note)
            return request_nodes(ctx.service, ctx.workspace_id, [request])[0]

        return await asyncio.to_thread(work)
