from __future__ import annotations

import asyncio

import strawberry

from graphsvc.api.context import Info
from graphsvc.api.duplicates.types import DuplicateCandidate, DuplicateCandidateConnection
from graphsvc.api.errors import translate_errors
from graphsvc.api.pagination import Connection, paginate
from graphsvc.api.people.types import PersonType
from graphsvc.identity.merging import DuplicateCandidate as Candidate


def _candidate_key(candidate: Candidate) -> tuple[float, str, str]:
    """The list's own order: most likely first, then by the two records' ids."""
    return (-candidate.points, candidate.a, candidate.b)


@strawberry.type
class DuplicatesQuery:
    @strawberry.field(description="Pairs of people who may be one person, most likely first, with the reasons. At most 100 per page.")
    @translate_errors
    async def duplicate_candidates(self, info: Info, first: int = 20, after: str | None = None) -> DuplicateCandidateConnection:
        ctx = info.context
        found = await asyncio.to_thread(ctx.service.duplicates, ctx.workspace_id)
        page = paginate(found, _candidate_key, "duplicate", first, after)
        people = await asyncio.to_thread(ctx.service.store.get_people, ctx.workspace_id, {p for c in page.items for p in (c.a, c.b)})
        nodes = [
            DuplicateCandidate(
                a=PersonType.from_model(people[c.a]), b=PersonType.from_model(people[c.b]), points=c.points, reasons=list(c.reasons), auto=c.auto,
            )
            for c in page.items
        ]
        return Connection.of(nodes, page.cursors, page.total, page.has_next)
