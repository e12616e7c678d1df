from __future__ import annotations

from datetime import datetime

import strawberry

from graphsvc.api.pagination import Connection


@strawberry.type(name="EventRoi", description="What one event a member attended produced.")
class EventRoiType:
    event_id: strawberry.ID
    name: str
    starts_at: datetime | None
    kind: str
    size: int
    people_met: int
    followed_up: int = strawberry.field(description="People met who later interacted with a member.")
    strong_ties: int
    mean_strength: float
    introductions: int = strawberry.field(default=0, description="Intro requests whose path rested on this event that led to an introduction.")


@strawberry.type(name="ChannelRoi", description="How many of the team's strong ties a channel carries, and how many started there.")
class ChannelRoiType:
    channel: str
    strong_ties: int
    started_here: int
    introductions: int = strawberry.field(default=0, description="Intro requests whose path rested on this channel that led to an introduction.")


EventRoiConnection = Connection[EventRoiType]
