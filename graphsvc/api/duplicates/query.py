from __future__ import annotations

import asyncio
import base64

import strawberry

from graphsvc.api.context import Info
from graphsvc.api.duplicates.types import (
    DuplicateCandidate,
    DuplicateCandidateConnection,
    DuplicateCandidateEdge,
    DuplicateCandidatePageInfo,
)
from graphsvc.api.errors import translate_errors
from graphsvc.api.people.types import PersonType
from graphsvc.errors import InvalidArgument

MAX_PAGE = 100


def _cursor(index: int) -> str:
    return base64.urlsafe_b64encode(f"duplicate:{index}".encode()).decode()


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        kind, _, value = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        if kind == "duplicate" and value.isdigit():
            return int(value) + 1
    except (ValueError, UnicodeDecodeError):
        pass
    raise InvalidArgument("invalid cursor")


@strawberry.type
class DuplicatesQuery:
    @strawberry.field(description="Pairs of people who may be one person, most likely first, with the reasons. At most 100 per page.")
    @translate_errors
    async def duplicate_candidates(self, info: Info, first: int = 20, after: str | None = None) -> DuplicateCandidateConnection:
        if not 0 <= first <= MAX_PAGE:
            raise InvalidArgument(f"first must be between 0 and {MAX_PAGE}")
        ctx = info.context
        found = await asyncio.to_thread(ctx.service.duplicates, ctx.workspace_id)
        start = _offset(after)
        page = found[start : start + first]
        people = await asyncio.to_thread(ctx.service.store.get_people, ctx.workspace_id, {p for c in page for p in (c.a, c.b)})
        edges = [
            DuplicateCandidateEdge(
                cursor=_cursor(start + i),
                node=DuplicateCandidate(
                    a=PersonType.from_model(people[c.a]), b=PersonType.from_model(people[c.b]),
                    points=c.points, reasons=list(c.reasons), auto=c.auto,
                ),
            )
            for i, c in enumerate(page)
        ]
        return DuplicateCandidateConnection(
            edges=edges,
            page_info=DuplicateCandidatePageInfo(has_next_page=start + first < len(found), end_cursor=edges[-1].cursor if edges else None),
            total_count=len(found),
        )
