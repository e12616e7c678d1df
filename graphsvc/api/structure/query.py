from __future__ import annotations

import asyncio

from datetime import datetime

import strawberry

from graphsvc.api.context import Info
from graphsvc.api.errors import translate_errors
from graphsvc.api.people.types import PersonType
from graphsvc.api.structure.types import BrokerType, CommunityType, EventCount, LabelCount


@strawberry.type
class StructureQuery:
    @strawberry.field(description="Brokers by betweenness on real ties (workspace members left out), with Burt's constraint and effective size.")
    @translate_errors
    async def brokers(self, info: Info, first: int = 20, seed: int = 0, as_of: datetime | None = None) -> list[BrokerType]:
        ctx = info.context
        found = await asyncio.to_thread(lambda: ctx.service.brokers(ctx.workspace_id, as_of=as_of, first=first, seed=seed))
        people = ctx.service.store.get_people(ctx.workspace_id, [b.person_id for b in found])
        return [
            BrokerType(person=PersonType.from_model(people[b.person_id]), betweenness=b.betweenness, constraint=b.constraint,
                       effective_size=b.effective_size, communities_bridged=b.communities_bridged)
            for b in found
        ]

    @strawberry.field(description="Communities (Louvain with `seed`), largest first.")
    @translate_errors
    async def communities(self, info: Info, seed: int = 0, first: int = 20, as_of: datetime | None = None) -> list[CommunityType]:
        ctx = info.context
        found = (await asyncio.to_thread(lambda: ctx.service.communities(ctx.workspace_id, as_of=as_of, seed=seed)))[: min(max(first, 0), 100)]
        people = ctx.service.store.get_people(ctx.workspace_id, {p for c in found for p in c.members[:100]})
        view = ctx.service.view(ctx.workspace_id, as_of)
        result = []
        for c in found:
            members = sorted((people[p] for p in c.members[:100]), key=lambda p: (p.display_name.casefold(), p.id))
            events = [
                EventCount(event_id=strawberry.ID(e), name=view.snap.events[e].name if e in view.snap.events else e,
                           starts_at=view.snap.events[e].starts_at if e in view.snap.events else None, count=n)
                for e, n in c.events
            ]
            result.append(CommunityType(
                index=c.index, size=len(c.members), members=[PersonType.from_model(p) for p in members],
                organizations=[LabelCount(label=o, count=n) for o, n in c.organizations], events=events,
            ))
        return result
