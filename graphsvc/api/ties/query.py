from __future__ import annotations

from datetime import datetime

import strawberry

from graphsvc.api.analytics_thread import run_analytics
from graphsvc.api.context import Info
from graphsvc.api.errors import translate_errors
from graphsvc.api.ties.types import TieType


@strawberry.type
class TiesQuery:
    @strawberry.field(description="The tie between a and b (ids, emails, URLs or names) at asOf, component by component.")
    @translate_errors
    async def tie(self, info: Info, a: str, b: str, as_of: datetime | None = None) -> TieType:
        ctx = info.context
        first, second, tie, view = await run_analytics(ctx.service.explain, ctx.workspace_id, a, b, as_of)
        return TieType.from_model(first, second, tie, view)
