"""A person's ties, page by page (``Person.ties``)."""

from __future__ import annotations

from datetime import datetime

from graphsvc.api.context import Info
from graphsvc.api.pagination import Connection, paginate
from graphsvc.api.ties.types import TieType

#: A tie sorts by (-strength, the other person's id): strongest first, ties broken stably.
TieKey = tuple[float, str]


async def ties_page(info: Info, person_id: str, first: int, after: str | None, as_of: datetime | None, min_strength: float) -> Connection[TieType]:
    """The person's row of the view holds every tie's strength: only the page's ties are explained."""
    view = await info.context.loaders.view(as_of)
    keys: list[TieKey] = sorted((-strength, other) for other, strength in view.ties_of(person_id) if strength >= min_strength)
    page = paginate(keys, lambda key: key, "tie", first, after)
    nodes = [TieType.of(person_id, other, view.tie(person_id, other), view) for _, other in page.items]
    return Connection.of(nodes, page.cursors, page.total, page.has_next)
