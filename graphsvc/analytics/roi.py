"""Return on networking: what each event and each channel produced, from the team's own data.

* Per event a member attended: the people met there (other attendees), how many of them
  later interacted with the team (a message, call or meeting after the event), and the
  strength those ties reached by ``as_of``.
* Per channel: how many of the team's strong ties (strength >= ``strong``) have evidence on
  that channel, and how many *started* there (the channel of their earliest dated evidence).
* Both gain ``introductions``: the intro requests whose path rested on the event or channel
  and that led to an introduction (set by the service from the requests, ``graphsvc/intro_service.py``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from graphsvc.analytics.strength import TieView
from graphsvc.model import INTERACTION_KINDS
from graphsvc.snapshot import pair

__all__ = ["ChannelRoi", "EventRoi", "channel_roi", "event_roi"]

INTERACTIONS = {k.value for k in INTERACTION_KINDS}


@dataclass(frozen=True)
class EventRoi:
    event_id: str
    size: int
    people_met: int
    followed_up: int  # people met who later interacted with a member
    strong_ties: int  # people met whose tie with a member reached ``strong``
    mean_strength: float  # mean of the best member tie of each person met
    introductions: int = 0  # intro requests resting on this event that led to an introduction (graphsvc/intro_requests.py)


@dataclass(frozen=True)
class ChannelRoi:
    channel: str
    strong_ties: int  # strong ties with evidence on this channel
    started_here: int  # strong ties whose earliest evidence is on this channel
    introductions: int = 0  # intro requests resting on this channel that led to an introduction


def best_ties(view: TieView, members: list[str]) -> dict[str, tuple[float, str]]:
    """Per person, their strongest tie with a member: ``(strength, member)`` (the first member in
    ``members`` among equals)."""
    best: dict[str, tuple[float, str]] = {}
    for m in members:
        for person, strength in view.ties_of(m):
            if strength > best.get(person, (0.0, ""))[0]:
                best[person] = (strength, m)
    return best


def _best_tie(best: dict[str, tuple[float, str]], person: str) -> tuple[float, str | None]:
    return best.get(person, (0.0, None))


def event_roi(view: TieView, members: list[str], *, strong: float = 0.3, include: Iterable[str] = ()) -> list[EventRoi]:
    """One row per event a member attended, and per event of ``include`` (events an introduction
    rested on, which members need not have attended), most recent first."""
    include = set(include)
    team = set(members)
    best = best_ties(view, members)
    # the last interaction of each person with any member, up to as_of: "followed up after the
    # event" is then one comparison per attendee instead of a look at every member's evidence
    last_interaction: dict[str, datetime] = {}
    for m in members:
        for person in view.snap.contacts.get(m, ()):
            for f in view.snap.facts.get(pair(m, person), ()):
                if f.kind in INTERACTIONS and f.at is not None and f.at <= view.as_of:
                    if person not in last_interaction or f.at > last_interaction[person]:
                        last_interaction[person] = f.at
    rows = []
    for event_id, attendees in view.snap.attendees.items():
        if not attendees & team and event_id not in include:
            continue
        event = view.snap.events.get(event_id)
        starts = event.starts_at if event else None
        if starts is not None and starts > view.as_of:
            continue
        met = sorted(attendees - team)
        followed = strong_ties = 0
        total = 0.0
        for person in met:
            strength, _ = _best_tie(best, person)
            total += strength
            strong_ties += strength >= strong
            last = last_interaction.get(person)
            if last is not None and (starts is None or last >= starts):
                followed += 1
        rows.append(EventRoi(event_id, len(attendees), len(met), followed, strong_ties, total / len(met) if met else 0.0))
    def when(row: EventRoi) -> datetime:
        event = view.snap.events.get(row.event_id)
        return event.starts_at if event and event.starts_at else datetime.min.replace(tzinfo=view.as_of.tzinfo)

    return sorted(rows, key=lambda r: (when(r), r.event_id), reverse=True)


def channel_roi(view: TieView, members: list[str], *, strong: float = 0.3) -> list[ChannelRoi]:
    """Strong ties per channel, most productive channel first."""
    team = set(members)
    with_channel: Counter[str] = Counter()
    started: Counter[str] = Counter()
    seen: set[str] = set()
    best = best_ties(view, members)
    for member in members:
        for person, strength in view.ties_of(member):
            if person in team or person in seen or strength < strong:
                continue
            seen.add(person)
            best_strength, best_member = _best_tie(best, person)
            facts = [f for f in view.snap.pair_facts(best_member or member, person) if f.at is None or f.at <= view.as_of]
            channels = {f.channel for f in facts if f.channel != "organization"}
            for channel in channels:
                with_channel[channel] += 1
            dated = sorted((f.at, f.channel) for f in facts if f.at is not None and f.channel != "organization")
            if dated:
                started[dated[0][1]] += 1
    channels = set(with_channel) | set(started)
    rows = [ChannelRoi(c, with_channel[c], started[c]) for c in channels]
    return sorted(rows, key=lambda r: (-r.strong_ties, -r.started_here, r.channel))
