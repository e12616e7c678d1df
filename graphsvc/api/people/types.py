from __future__ import annotations

import asyncio
from datetime import datetime

import strawberry

from graphsvc import model


@strawberry.type(description="What one source said about a person.")
class SourceSighting:
    job_id: strawberry.ID
    format: str
    source_name: str
    row: int
    name: str
    email: str
    linkedin_url: str
    organization: str
    title: str

    @classmethod
    def from_model(cls, s: model.Sighting) -> "SourceSighting":
        return cls(
            job_id=strawberry.ID(s.job_id), format=s.source_format, source_name=s.source_name, row=s.row,
            name=s.name, email=s.email, linkedin_url=s.linkedin_url, organization=s.organization, title=s.title,
        )


@strawberry.type(name="Person", description="A human, possibly seen in many sources.")
class PersonType:
    id: strawberry.ID
    name: str
    first_name: str
    last_name: str
    organization: str
    title: str
    emails: list[str]
    linkedin_url: str
    is_member: bool = strawberry.field(description="Whether this person is a member of the workspace (an export owner).")

    @strawberry.field(description="Which source said what about this person.")
    def sources(self, info: strawberry.Info) -> list[SourceSighting]:
        ctx = info.context
        return [SourceSighting.from_model(s) for s in ctx.service.store.sightings(ctx.workspace_id, str(self.id))]

    @strawberry.field(description="The tags put on this person in this workspace.")
    def tags(self, info: strawberry.Info) -> list[str]:
        return info.context.service.store.tags_of(info.context.workspace_id, str(self.id))

    @strawberry.field(description="How many people are within `hops` of this person on real ties (strength >= 0.1) at asOf.")
    async def reach(self, info: strawberry.Info, hops: int = 2, as_of: datetime | None = None) -> int:
        from graphsvc.analytics.structure import reach

        ctx = info.context
        view = await asyncio.to_thread(ctx.service.view, ctx.workspace_id, as_of)
        return await asyncio.to_thread(reach, view, str(self.id), hops=max(1, min(hops, 4)))

    @classmethod
    def from_model(cls, p: model.Person) -> "PersonType":
        return cls(
            id=strawberry.ID(p.id), name=p.display_name, first_name=p.first_name, last_name=p.last_name,
            organization=p.organization, title=p.title, emails=list(p.emails), linkedin_url=p.linkedin_url,
            is_member=p.is_member,
        )


@strawberry.type
class PersonEdge:
    cursor: str
    node: PersonType


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class PersonConnection:
    edges: list[PersonEdge]
    page_info: PageInfo
    total_count: int
