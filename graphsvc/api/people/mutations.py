from __future__ import annotations

import asyncio

import strawberry

from graphsvc.api.context import Info
from graphsvc.api.errors import translate_errors
from graphsvc.api.people.types import PersonType
from graphsvc.api.permissions import CanWrite


@strawberry.type
class PeopleMutation:
    @strawberry.mutation(description="Put tags on a person (id, email, LinkedIn URL or name); introPaths(toTag:) reaches them.", permission_classes=[CanWrite])
    @translate_errors
    async def tag_person(self, info: Info, person: str, tags: list[str]) -> PersonType:
        ctx = info.context
        found, _ = await asyncio.to_thread(ctx.service.tag, ctx.workspace_id, person, tags)
        return PersonType.from_model(found)
