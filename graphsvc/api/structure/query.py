from __future__ import annotations

import asyncio
import sys
from datetime import datetime

import strawberry

from graphsvc.analytics.structure import Community, broker_details, broker_ranking, communities
from graphsvc.api.context import Info
from graphsvc.api.derived import per_view
from graphsvc.api.errors import translate_errors
from graphsvc.api.pagination import Connection, paginate
from graphsvc.api.people.types import PersonType
from graphsvc.api.structure.types import BrokerConnection, BrokerType, CommunityConnection, CommunityType, EventCount, LabelCount


def _broker_key(ranked: tuple[str, float]) -> tuple[float, str]:
    """The ranking's own order: highest betweenness first, then by person id."""
    return (-ranked[1], ranked[0])


def _community_key(community: Community) -> tuple[int, str]:
    """The ranking's own order: largest first, then by the smallest member id (communities do not overlap)."""
    return (-len(community.members), community.members[0])


@strawberry.type
class StructureQuery:
    @strawberry.field(
        description="Brokers by betweenness on real ties (workspace members left out), with Burt's constraint and effective "
        "size; highest betweenness first. The ranking at an asOf and seed is computed once and paged. At most 100 per page."
    )
    @translate_errors
    async def brokers(
        self, info: Info, first: int = 20, after: str | None = None, seed: int = 0, as_of: datetime | None = None
    ) -> BrokerConnection:
        ctx = info.context
        view = await ctx.loaders.view(as_of)
        # betweenness ranks everyone once per view; constraint and effective size (the costly part) only for the page
        ranked = await asyncio.to_thread(per_view, view, "brokers", seed, lambda: broker_ranking(view, seed=seed))
        page = paginate(ranked, _broker_key, "broker", first, after)
        details = await asyncio.to_thread(broker_details, view, page.items, seed=seed)
        people = await ctx.loaders.people([b.person_id for b in details])
        shown = [(cursor, b, p) for cursor, b, p in zip(page.cursors, details, people) if p is not None]
        nodes = [
            BrokerType(person=PersonType.from_model(p), betweenness=b.betweenness, constraint=b.constraint,
                       effective_size=b.effective_size, communities_bridged=b.communities_bridged)
            for _, b, p in shown
        ]
        return Connection.of(nodes, [cursor for cursor, _, _ in shown], page.total, page.has_next)

    @strawberry.field(description="Communities (Louvain with `seed`), largest first. At most 100 per page.")
    @translate_errors
    async def communities(
        self, info: Info, seed: int = 0, first: int = 20, after: str | None = None, as_of: datetime | None = None
    ) -> CommunityConnection:
        view = await info.context.loaders.view(as_of)
        found = await asyncio.to_thread(per_view, view, "communities", seed, lambda: communities(view, seed=seed))
        page = paginate(found, _community_key, "community", first, after)
        events = view.snap.events
        nodes = [
            CommunityType(
                index=c.index, size=len(c.members), member_ids=c.members,
                organizations=[LabelCount(label=o, count=n) for o, n in c.organizations],
                events=[
                    EventCount(event_id=strawberry.ID(e), name=events[e].name if e in events else e,
                               starts_at=events[e].starts_at if e in events else None, count=n)
                    for e, n in c.events
                ],
            )
            for c in page.items
        ]
        return Connection.of(nodes, page.cursors, page.total, page.has_next)
