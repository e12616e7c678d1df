from __future__ import annotations

import asyncio

import strawberry

from graphsvc.api.context import Info
from graphsvc.api.duplicates.types import MergeResult, SplitResult
from graphsvc.api.errors import translate_errors
from graphsvc.api.people.types import PersonType
from graphsvc.api.permissions import CanWrite


@strawberry.type
class DuplicatesMutation:
    @strawberry.mutation(
        permission_classes=[CanWrite],
        description="Merge person b into person a (ids, emails, LinkedIn URLs or names). With dryRun nothing changes and "
        "the result shows what would. Two different LinkedIn (X, Instagram, Meetup, Facebook) accounts refuse with CONFLICT.",
    )
    @translate_errors
    async def merge_people(self, info: Info, a: str, b: str, dry_run: bool = False) -> MergeResult:
        ctx = info.context
        result = await asyncio.to_thread(ctx.service.merge_people, ctx.workspace_id, a, b, dry_run=dry_run)
        return MergeResult(
            person=PersonType.from_model(result.person), absorbed_records=[strawberry.ID(r) for r in result.absorbed],
            points=result.score.points, reasons=list(result.score.reasons), applied=result.applied,
        )

    @strawberry.mutation(
        permission_classes=[CanWrite],
        description="Undo the merges that made a person: each merged record (or only `record`) becomes a person again, "
        "and is never merged back automatically.",
    )
    @translate_errors
    async def split_person(self, info: Info, person: str, record: strawberry.ID | None = None) -> SplitResult:
        ctx = info.context
        result = await asyncio.to_thread(ctx.service.split_person, ctx.workspace_id, person, record=str(record) if record else None)
        return SplitResult(people=[PersonType.from_model(p) for p in result.people])

    @strawberry.mutation(
        permission_classes=[CanWrite],
        description="Say that two people are different: they leave duplicateCandidates and never merge automatically.",
    )
    @translate_errors
    async def dismiss_duplicate(self, info: Info, a: str, b: str) -> bool:
        ctx = info.context
        await asyncio.to_thread(ctx.service.dismiss_duplicate, ctx.workspace_id, a, b)
        return True
