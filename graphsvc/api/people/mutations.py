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

    @strawberry.mutation(
        description="Mark (or with doNotAsk: false unmark) a person nobody should be asked for an introduction: "
        "introPaths goes around them; they can still be reached as a target.",
        permission_classes=[CanWrite],
    )
    @translate_errors
    async def set_do_not_ask(self, info: Info, person: str, do_not_ask: bool = True) -> PersonType:
        ctx = info.context
        found = await asyncio.to_thread(ctx.service.set_do_not_ask, ctx.workspace_id, person, do_not_ask)
        return PersonType.from_model(found)

    @strawberry.mutation(
        description="Erase everything known about a person (a privacy request): their records, keys, sightings, evidence, "
        "tags and marks. Later imports leave rows about them out (their keys are kept only as hashes). Members cannot be forgotten.",
        permission_classes=[CanWrite],
    )
    @translate_errors
    async def forget_person(self, info: Info, person: str) -> ForgetResult:
        ctx = info.context
        person_id, removed = await asyncio.to_thread(ctx.service.forget_person, ctx.workspace_id, person)
        return ForgetResult(person_id=strawberry.ID(person_id), evidence_erased=removed)


@strawberry.type(description="What forgetPerson erased.")
class ForgetResult:
    person_id: strawberry.ID
    evidence_erased: int
