from __future__ import annotations

import strawberry

from graphsvc import directory as library
from graphsvc.api.errors import translate_errors
from graphsvc.api.pagination import Connection
from graphsvc.api.people.types import PersonConnection


@strawberry.type(
    name="Organization",
    description="Where people work, as their sources wrote it; every spelling that normalises alike ('Globex Corp.', 'Globex Corporation') is one organization.",
)
class OrganizationType:
    id: strawberry.ID
    name: str = strawberry.field(description="The most common way the workspace's sources write it.")
    person_ids: strawberry.Private[tuple[str, ...]]

    @strawberry.field(description="Who works there, by name. At most 100 per page.")
    @translate_errors
    async def people(self, info: strawberry.Info, first: int = 20, after: str | None = None) -> PersonConnection:
        from graphsvc.api.people.pages import people_page

        return await people_page(info, self.person_ids, await info.context.loaders.directory(), "member", first, after)

    @classmethod
    def from_model(cls, organization: library.Organization) -> "OrganizationType":
        return cls(id=strawberry.ID(organization.id), name=organization.name, person_ids=organization.person_ids)


OrganizationConnection = Connection[OrganizationType]
