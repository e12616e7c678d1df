from __future__ import annotations

import asyncio
from datetime import datetime

import strawberry

from graphsvc.api.analytics_thread import run_analytics
from graphsvc.analytics.neglected import NeglectedTie, NeglectKind as Kind, neglected_ties
from graphsvc.api.context import Info
from graphsvc.api.derived import per_view
from graphsvc.api.errors import translate_errors
from graphsvc.api.neglected.types import NeglectedTieConnection, NeglectedTieType, NeglectKind
from graphsvc.api.pagination import Connection, paginate
from graphsvc.intro_service import with_open_asks

#: The ranking's own order: kinds in their order, then highest score, then person and member.
KINDS = list(Kind)


def _key(item: NeglectedTie) -> tuple[int, float, str, str]:
    return (KINDS.index(item.kind), -item.score, item.person_id, item.member_id)


@strawberry.type
class NeglectedQuery:
    @strawberry.field(
        description="Ties worth reviving, ranked within each kind (kinds in the order of NeglectKind); `member` narrows to "
        "one team member. At most 100 per page."
    )
    @translate_errors
    async def neglected_ties(
        self, info: Info, kind: NeglectKind | None = None, member: str | None = None,  # type: ignore[valid-type]
        first: int = 20, after: str | None = None, as_of: datetime | None = None,
    ) -> NeglectedTieConnection:
        ctx = info.context
        service, ws = ctx.service, ctx.workspace_id
        members = await asyncio.to_thread(
            lambda: service.resolve_people(ws, [member], "member") if member else service.store.member_ids(ws)
        )
        view = await ctx.loaders.view(as_of)
        ranked = await run_analytics(per_view, view, "neglected", tuple(sorted(members)), lambda: neglected_ties(view, members))
        items = [i for i in ranked if i.kind is kind] if kind is not None else ranked
        page = paginate(items, _key, "neglected", first, after)
        people = await ctx.loaders.people(sorted({i.person_id for i in page.items} | {i.member_id for i in page.items}))
        found = {p.id: p for p in people if p is not None}
        shown = [(c, i) for c, i in zip(page.cursors, page.items) if i.person_id in found and i.member_id in found]
        # a tie that is party to an open intro request says so (graphsvc/intro_service.py)
        asked = await asyncio.to_thread(with_open_asks, service, ws, [i for _, i in shown])
        shown = [(c, i) for (c, _), i in zip(shown, asked)]
        return Connection.of(
            [NeglectedTieType.from_model(i, found) for _, i in shown], [c for c, _ in shown], page.total, page.has_next
        )
