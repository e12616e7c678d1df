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
        description="The k best warm introduction paths to `to` (a person id, email, LinkedIn URL or name) or to a "
        "target set (toOrganization, toTitle, toEvent, toTag), from `from` or, by default, from any workspace member. "
        "An ambiguous name returns candidates, never a guess."
    )
    @translate_errors
    async def intro_paths(
        self,
        info: Info,
        to: str | None = None,
        from_: Annotated[str | None, strawberry.argument(name="from")] = None,
        to_organization: Annotated[str | None, strawberry.argument(description="Anyone at this organization.")] = None,
        to_title: Annotated[str | None, strawberry.argument(description="Anyone whose title has all these words.")] = None,
        to_event: Annotated[str | None, strawberry.argument(description="Anyone who attended this event (id or name).")] = None,
        to_tag: Annotated[str | None, strawberry.argument(description="Anyone with this tag.")] = None,
        k: int = 3,
        max_hops: int = 3,
        as_of: datetime | None = None,
        avoid: Annotated[list[str] | None, strawberry.argument(description="People not to ask (ids, emails, URLs or names).")] = None,
        diverse: Annotated[bool, strawberry.argument(description="No two paths share an intermediary.")] = False,
    ) -> IntroPaths:
        ctx = info.context
        result = await ctx.ask(
            "intro_paths", ctx.workspace_id, to, from_=from_, to_organization=to_organization, to_title=to_title, to_event=to_event, to_tag=to_tag,
            k=k, max_hops=max_hops, as_of=as_of, avoid=avoid or (), diverse=diverse,
        )
        return IntroPaths.from_model(result)
