"""A page of people from an in-memory list of ids (an organization's people, an event's attendees)."""

from __future__ import annotations

from typing import Sequence

from graphsvc.api.context import Info
from graphsvc.api.pagination import Connection, paginate
from graphsvc.api.people.types import PersonConnection, PersonType
from graphsvc.directory import Directory


async def people_page(info: Info, ids: Sequence[str], directory: Directory, kind: str, first: int, after: str | None) -> PersonConnection:
    """``ids`` are in name order (the directory's); the page's people come in one batched store call."""
    page = paginate(ids, directory.sort_key, kind, first, after)
    people = await info.context.loaders.people(page.items)
    found = [(cursor, PersonType.from_model(p)) for cursor, p in zip(page.cursors, people) if p is not None]
    return Connection.of([node for _, node in found], [cursor for cursor, _ in found], page.total, page.has_next)
