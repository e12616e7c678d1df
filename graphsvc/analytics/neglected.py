"""Neglected ties: whom to reconnect with, and why.

Three kinds, each with a plain-language reason and a suggested next step:

* ``DORMANT`` — formerly strong, now silent. Ranked by the value of reconnecting,
  ``peak strength x dormancy x (0.5 + 0.5 x novelty)``, after Levin, Walter & Murnighan
  (2011): dormant ties (3+ years) give advice as valuable as current ties and more novel;
  novelty is the share of the person's contacts the team does not otherwise know, which
  counters people's bias towards reconnecting with those they spent the most time with.
* ``MISSED_FOLLOW_UP`` — met at a small event, or newly connected, and no interaction within
  the follow-up window (default 14 days); how long a new tie lasts is predictable from its
  first weeks (Vergara Hidd et al. 2023).
* ``KEEP_IN_TOUCH_OVERDUE`` — a member's ties ranked by strength fall into Dunbar layers
  (5 / 15 / 50 / 150) with cadences of a week, a month, half a year and a year; any
  interaction on any channel (or meeting at a small event) resets the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from graphsvc.analytics.strength import TieView, tie_strength
from graphsvc.model import INTERACTION_KINDS
from graphsvc.snapshot import CO_ATTENDANCE, Fact

__all__ = ["NeglectKind", "NeglectedTie", "neglected_ties", "DUNBAR_LAYERS"]

INTERACTIONS = {k.value for k in INTERACTION_KINDS}
DUNBAR_LAYERS = ((5, 7), (15, 30), (50, 182), (150, 365))  # (layer size, cadence in days)


class NeglectKind(str, Enum):
    DORMANT = "DORMANT"
    MISSED_FOLLOW_UP = "MISSED_FOLLOW_UP"
    KEEP_IN_TOUCH_OVERDUE = "KEEP_IN_TOUCH_OVERDUE"


@dataclass(frozen=True)
class NeglectedTie:
    kind: NeglectKind
    member_id: str
    person_id: str
    score: float
    strength: float
    last_contact: datetime | None
    reason: str
    next_step: str
    peak_strength: float | None = None
    novelty: float | None = None
    dunbar_layer: int | None = None


def _contacts(facts: list[Fact], view: TieView) -> list[datetime]:
    """Dates on which two people were actually in touch (interactions, small shared events)."""
    dates = []
    for fact in facts:
        if fact.at is None or fact.at > view.as_of:
            continue
        if fact.kind in INTERACTIONS:
            dates.append(fact.at)
        elif fact.kind == CO_ATTENDANCE and view.snap.event_size.get(fact.event_id or "", 2) <= view.model.small_event_max_size:
            dates.append(fact.at)
    return sorted(dates)


def neglected_ties(
    view: TieView,
    members: list[str],
    *,
    dormant_after_days: int = 365,
    min_peak_strength: float = 0.3,
    follow_up_window_days: int = 14,
    new_contact_days: int = 120,
) -> list[NeglectedTie]:
    """Neglected ties of the team's ``members``: each kind ranked by score, kinds in the order above.

    A person appears once per kind, with the member who knows them best.
    """
    team = set(members)
    team_reach = set(team)
    for m in members:
        team_reach |= view.neighbours.get(m, set())
    found: dict[tuple[NeglectKind, str], NeglectedTie] = {}

    def keep(item: NeglectedTie) -> None:
        key = (item.kind, item.person_id)
        if key not in found or (item.score, item.member_id) > (found[key].score, found[key].member_id):
            found[key] = item

    for member in sorted(team):
        ranked = sorted(((strength, p) for p, strength in view.ties_of(member) if p not in team), key=lambda t: (-t[0], t[1]))
        for rank, (strength, person) in enumerate(ranked):
            facts = view.snap.pair_facts(member, person)
            contacts = _contacts(facts, view)
            item = _dormant(view, member, person, strength, contacts, team_reach, dormant_after_days, min_peak_strength)
            if item:
                keep(item)
            item = _missed_follow_up(view, member, person, strength, facts, follow_up_window_days, new_contact_days)
            if item:
                keep(item)
            item = _overdue(view, member, person, strength, rank, contacts)
            if item:
                keep(item)
    order = list(NeglectKind)
    return sorted(found.values(), key=lambda t: (order.index(t.kind), -t.score, t.person_id, t.member_id))


def _days(view: TieView, moment: datetime) -> int:
    return (view.as_of - moment).days


def _dormant(view, member, person, strength, contacts, team_reach, dormant_after, min_peak) -> NeglectedTie | None:  # type: ignore[no-untyped-def]
    if not contacts:
        return None
    last = contacts[-1]
    silent = _days(view, last)
    if silent < dormant_after:
        return None
    peak = tie_strength(view.snap, member, person, last, view.model)
    if peak is None or peak.strength < min_peak:
        return None
    theirs = view.neighbours.get(person, set())
    novelty = len(theirs - team_reach) / len(theirs) if theirs else 0.0
    dormancy = min(1.0, silent / (3 * 365))
    score = peak.strength * dormancy * (0.5 + 0.5 * novelty)
    years = silent / 365
    return NeglectedTie(
        NeglectKind.DORMANT, member, person, score, strength, last,
        reason=f"Was a strong tie ({peak.strength:.2f} at last contact), silent for {years:.1f} years; "
        f"{round(novelty * 100)}% of their contacts are outside the team's network",
        next_step="Reconnect: mention what you last worked on together and ask what they are up to now",
        peak_strength=peak.strength, novelty=novelty,
    )


def _missed_follow_up(view, member, person, strength, facts, window, recent) -> NeglectedTie | None:  # type: ignore[no-untyped-def]
    met: tuple[datetime, str, float] | None = None
    for fact in facts:
        if fact.at is None or fact.at > view.as_of:
            continue
        age = _days(view, fact.at)
        if not (window <= age <= recent):
            continue
        if fact.kind == CO_ATTENDANCE:
            size = view.snap.event_size.get(fact.event_id or "", 2)
            if size > view.model.small_event_max_size:
                continue
            event = view.snap.events.get(fact.event_id or "")
            label = f"met at '{event.name if event else 'an event'}' ({size} people)"
            weight = 1.0 / max(size - 1, 1) ** 0.5
        elif fact.kind == "connection":
            label = f"connected on {fact.channel.capitalize() if fact.channel != 'linkedin' else 'LinkedIn'}"
            weight = 0.3
        else:
            continue
        if met is None or (weight, fact.at) > (met[2], met[0]):
            met = (fact.at, label, weight)
    if met is None:
        return None
    at, label, weight = met
    followed = any(f.kind in INTERACTIONS and f.at is not None and at <= f.at <= view.as_of for f in facts)
    if followed:
        return None
    freshness = 1.0 - (_days(view, at) - window) / max(recent - window, 1)
    return NeglectedTie(
        NeglectKind.MISSED_FOLLOW_UP, member, person, weight * (0.5 + 0.5 * freshness), strength, at,
        reason=f"{label[0].upper()}{label[1:]} on {at.date().isoformat()}, and no message, call or meeting since",
        next_step="Follow up now with a note about where you met, before the contact goes cold",
    )


def _overdue(view, member, person, strength, rank, contacts) -> NeglectedTie | None:  # type: ignore[no-untyped-def]
    layer = next(((size, cadence) for size, cadence in DUNBAR_LAYERS if rank < size), None)
    if layer is None or not contacts:
        return None
    size, cadence = layer
    silent = _days(view, contacts[-1])
    if silent <= cadence or silent >= 3 * 365:  # three silent years is dormancy, not a missed cadence
        return None
    overdue = silent / cadence
    return NeglectedTie(
        NeglectKind.KEEP_IN_TOUCH_OVERDUE, member, person, strength * min(overdue, 10.0) / 10.0, strength, contacts[-1],
        reason=f"In your closest {size} (rank {rank + 1}), usually in touch every {cadence} days; last contact {silent} days ago",
        next_step="Check in: a short message or a call resets the clock",
        dunbar_layer=size,
    )
