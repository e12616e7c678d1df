from __future__ import annotations

import asyncio

from datetime import datetime

import strawberry

from graphsvc.api.context import Info
from graphsvc.api.errors import translate_errors
from graphsvc.api.neglected.types import NeglectedTieType, NeglectKind


@strawberry.type
class NeglectedQuery:
    @strawberry.field(description="Ties worth reviving, ranked within each kind; `member` narrows to one team member.")
    @translate_errors
    async def neglected_ties(
        self, info: Info, kind: NeglectKind | None = None, member: str | None = None, first: int = 20,  # type: ignore[valid-type]
        as_of: datetime | None = None,
    ) -> list[NeglectedTieType]:
        ctx = info.context
        items = await asyncio.to_thread(
            lambda: ctx.service.neglected(ctx.workspace_id, as_of=as_of, kind=kind, member=member, first=first)
        )
        people = ctx.service.store.get_people(ctx.workspace_id, {i.person_id for i in items} | {i.member_id for i in items})
        return [NeglectedTieType.from_model(i, people) for i in items]
