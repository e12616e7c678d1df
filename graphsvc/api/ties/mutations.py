from __future__ import annotations

import asyncio
from datetime import datetime
from enum import Enum
from typing import Annotated

import strawberry

from graphsvc.api.context import Info
from graphsvc.api.errors import translate_errors
from graphsvc.api.permissions import CanWrite
from graphsvc.api.ties.types import TieType


@strawberry.enum(description="What happened between a member and a person.")
class InteractionKind(Enum):
    MET = "met"
    CALL = "call"
    MESSAGE = "message"
    INTRODUCTION = "introduction"


@strawberry.type
class TiesMutation:
    @strawberry.mutation(
        description="Record an interaction between a member (default: the only member) and a person. It counts as "
        "evidence like any import: tie strength rises, neglected-tie clocks reset. Returns the tie afterwards.",
        permission_classes=[CanWrite],
    )
    @translate_errors
    async def record_interaction(
        self, info: Info, with_: Annotated[str, strawberry.argument(name="with")], kind: InteractionKind = InteractionKind.MET,
        at: datetime | None = None, member: str | None = None,
    ) -> TieType:
        ctx = info.context
        service = ctx.service
        member_id, person_id = await asyncio.to_thread(
            lambda: service.record_interaction(ctx.workspace_id, with_, kind.value, at=at, member=member)
        )
        first, second, tie, view = await asyncio.to_thread(service.explain, ctx.workspace_id, member_id, person_id, None)
        return TieType.from_model(first, second, tie, view)
