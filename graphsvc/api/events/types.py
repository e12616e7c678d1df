from __future__ import annotations

from datetime import datetime
from typing import Sequence

import strawberry

from graphsvc.api.errors import translate_errors
from graphsvc.api.pagination import Connection, paginate
from graphsvc.api.people.types import PersonConnection
from graphsvc.directory import Directory, event_key
from graphsvc.model import Event


@strawberry.type(name="Event", description="A gathering people attended: a workshop, a conference, a meetup, a meeting series.")
class EventType:
    id: strawberry.ID
    name: str
    starts_at: datetime | None
    kind: str = strawberry.field(description="What the import said it was (workshop, conference, meetup, ...); may be empty.")
    attendee_count: int = strawberry.field(description="Distinct attendees.")
    source: str = strawberry.field(default="", description="The importer its attendances first came from (signin_sheet, eventbrite, ...).")

    @strawberry.field(description="Who attended, by name. At most 100 per page.")
    @translate_errors
    async def attendees(self, info: strawberry.Info, first: int = 20, after: str | None = None) -> PersonConnection:
        from graphsvc.api.people.pages import people_page

        directory = await info.context.loaders.directory()
        return await people_page(info, directory.attendees.get(str(self.id), ()), directory, "attendee", first, after)

    @classmethod
    def from_model(cls, event: Event, attendee_count: int) -> "EventType":
        return cls(id=strawberry.ID(event.id), name=event.name, starts_at=event.starts_at, kind=event.kind, attendee_count=attendee_count,
                   source=event.source_format)

    @classmethod
    def from_directory(cls, directory: Directory, event_id: str) -> "EventType | None":
        event = directory.event(event_id)
        return cls.from_model(event, directory.attendee_count(event_id)) if event else None


EventConnection = Connection[EventType]


def events_page(directory: Directory, event_ids: Sequence[str], kind: str, first: int, after: str | None) -> EventConnection:
    """A page of ``event_ids`` (in the directory's event order: most recent first)."""
    page = paginate(event_ids, lambda e: event_key(directory.snapshot.events[e]), kind, first, after)
    nodes = [EventType.from_model(directory.snapshot.events[e], directory.attendee_count(e)) for e in page.items]
    return Connection.of(nodes, page.cursors, page.total, page.has_next)
