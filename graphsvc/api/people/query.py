from __future__ import annotations

import base64

import strawberry

from graphsvc.api.context import Info
from graphsvc.api.errors import translate_errors
from graphsvc.api.people.types import PageInfo, PersonConnection, PersonEdge, PersonType
from graphsvc.errors import InvalidArgument


def encode_cursor(person_id: str) -> str:
    return base64.urlsafe_b64encode(f"person:{person_id}".encode()).decode()


def decode_cursor(cursor: str) -> str:
    try:
        kind, _, value = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidArgument("invalid cursor") from exc
    if kind != "person" or not value:
        raise InvalidArgument("invalid cursor")
    return value


@strawberry.type
class PeopleQuery:
    @strawberry.field(description="People in the workspace, by name; `search` matches name, email, organization or URL. At most 100 per page.")
    @translate_errors
    def people(self, info: Info, search: str | None = None, first: int = 20, after: str | None = None) -> PersonConnection:
        ctx = info.context
        page = ctx.service.people(ctx.workspace_id, search, first, decode_cursor(after) if after else None)
        edges = [PersonEdge(cursor=encode_cursor(p.id), node=PersonType.from_model(p)) for p in page.people]
        return PersonConnection(
            edges=edges,
            page_info=PageInfo(has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None),
            total_count=page.total,
        )

    @strawberry.field(description="One person of the workspace by id.")
    def person(self, info: Info, id: strawberry.ID) -> PersonType | None:
        found = info.context.service.person(info.context.workspace_id, str(id))
        return PersonType.from_model(found) if found else None
