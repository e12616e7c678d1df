from __future__ import annotations

import strawberry

from graphsvc.api.context import Info
from graphsvc.api.errors import translate_errors
from graphsvc.api.pagination import Connection, decode_cursor, encode_cursor
from graphsvc.api.people.types import PersonConnection, PersonType

#: The store pages people by id after (name, id): a cursor carries the last person's id.
CURSOR = "person"


@strawberry.type
class PeopleQuery:
    @strawberry.field(description="People in the workspace, by name; `search` matches name, email, organization or URL. At most 100 per page.")
    @translate_errors
    def people(self, info: Info, search: str | None = None, first: int = 20, after: str | None = None) -> PersonConnection:
        ctx = info.context
        page = ctx.service.people(ctx.workspace_id, search, first, decode_cursor(CURSOR, after) if after else None)
        return Connection.of(
            [PersonType.from_model(p) for p in page.people], [encode_cursor(CURSOR, p.id) for p in page.people], page.total, page.has_next
        )

    @strawberry.field(description="One person of the workspace by id.")
    def person(self, info: Info, id: strawberry.ID) -> PersonType | None:
        found = info.context.service.person(info.context.workspace_id, str(id))
        return PersonType.from_model(found) if found else None
