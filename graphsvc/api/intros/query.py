from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from graphsvc.api.context import Info
from graphsvc.api.errors import translate_errors
from graphsvc.api.intros.types import IntroPaths


@strawberry.type
class IntrosQuery:
    @strawberry.field(
        description="The k best warm introduction paths to `to` (a person id, email, LinkedIn URL or name), "
        "from `from` or, by default, from any workspace member. An ambiguous name returns candidates, never a guess."
    )
    @translate_errors
    def intro_paths(
        self,
        info: Info,
        to: str,
        from_: Annotated[str | None, strawberry.argument(name="from")] = None,
        k: int = 3,
        max_hops: int = 3,
        as_of: datetime | None = None,
    ) -> IntroPaths:
        ctx = info.context
        result = ctx.service.intro_paths(ctx.workspace_id, to, from_=from_, k=k, max_hops=max_hops, as_of=as_of)
        return IntroPaths.from_model(result)
