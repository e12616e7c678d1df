from __future__ import annotations

import strawberry

from graphsvc.api.context import Info
from graphsvc.api.errors import translate_errors
from graphsvc.api.organizations.types import OrganizationConnection, OrganizationType
from graphsvc.api.pagination import Connection, paginate
from graphsvc.identity.normalise import fold


@strawberry.type
class OrganizationsQuery:
    @strawberry.field(description="One organization of the workspace by id.")
    async def organization(self, info: Info, id: strawberry.ID) -> OrganizationType | None:
        found = (await info.context.loaders.directory()).organizations.get(str(id))
        return OrganizationType.from_model(found) if found else None

    @strawberry.field(description="Organizations people of the workspace work at, by name; `search` matches the name. At most 100 per page.")
    @translate_errors
    async def organizations(self, info: Info, search: str | None = None, first: int = 20, after: str | None = None) -> OrganizationConnection:
        found = (await info.context.loaders.directory()).search_organizations(search)
        page = paginate(found, lambda o: (fold(o.name), o.id), "organization", first, after)
        return Connection.of([OrganizationType.from_model(o) for o in page.items], page.cursors, page.total, page.has_next)
