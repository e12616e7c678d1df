from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from graphsvc.api.analytics_thread import run_analytics
from graphsvc import model
from graphsvc.api.errors import translate_errors
from graphsvc.api.pagination import Connection

if TYPE_CHECKING:
    from graphsvc.api.events.types import EventType
    from graphsvc.api.organizations.types import OrganizationType
    from graphsvc.api.ties.types import TieType

# Person links to nodes whose types link back to Person: strawberry resolves them lazily.
LazyOrganization = Annotated["OrganizationType", strawberry.lazy("graphsvc.api.organizations.types")]
LazyTie = Annotated["TieType", strawberry.lazy("graphsvc.api.ties.types")]
LazyEvent = Annotated["EventType", strawberry.lazy("graphsvc.api.events.types")]


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

    @strawberry.field(description="Whether nobody should be asked to introduce through this person (setDoNotAsk): intro paths go around them.")
    async def do_not_ask(self, info: strawberry.Info) -> bool:
        return str(self.id) in await info.context.loaders.do_not_ask()

    @strawberry.field(description="The tags put on this person in this workspace.")
    def tags(self, info: strawberry.Info) -> list[str]:
        return info.context.service.store.tags_of(info.context.workspace_id, str(self.id))

    @strawberry.field(description="How many people are within `hops` of this person on real ties (strength >= 0.1) at asOf.")
    async def reach(self, info: strawberry.Info, hops: int = 2, as_of: datetime | None = None) -> int:
        from graphsvc.analytics.structure import reach

        view = await info.context.loaders.view(as_of)  # one per asOf for a whole page of people
        return await run_analytics(reach, view, str(self.id), hops=max(1, min(hops, 4)))

    @strawberry.field(
        name="organizationRef",
        description="The organization this person works at, as a node to browse (`organization` is the name as a source wrote it).",
    )
    async def organization_ref(self, info: strawberry.Info) -> LazyOrganization | None:
        from graphsvc.api.organizations.types import OrganizationType

        found = (await info.context.loaders.directory()).organization_of(self.organization)
        return OrganizationType.from_model(found) if found else None

    @strawberry.field(
        description="This person's ties at asOf (default: now), strongest first; `minStrength` leaves out weaker ones. At most 100 per page."
    )
    @translate_errors
    async def ties(
        self, info: strawberry.Info, first: int = 20, after: str | None = None, as_of: datetime | None = None, min_strength: float = 0.0
    ) -> Connection[LazyTie]:
        from graphsvc.api.ties.pages import ties_page

        return await ties_page(info, str(self.id), first, after, as_of, min_strength)

    @strawberry.field(description="The events this person attended, most recent first. At most 100 per page.")
    @translate_errors
    async def events(self, info: strawberry.Info, first: int = 20, after: str | None = None) -> Connection[LazyEvent]:
        from graphsvc.api.events.types import events_page

        directory = await info.context.loaders.directory()
        return events_page(directory, directory.events_of_person.get(str(self.id), ()), "person-event", first, after)

    @classmethod
    def from_model(cls, p: model.Person) -> "PersonType":
        return cls(
            id=strawberry.ID(p.id), name=p.display_name, first_name=p.first_name, last_name=p.last_name,
            organization=p.organization, title=p.title, emails=list(p.emails), linkedin_url=p.linkedin_url,
            is_member=p.is_member,
        )


#: A page of people: ``PersonConnection`` / ``PersonEdge`` in the schema.
PersonConnection = Connection[PersonType]
