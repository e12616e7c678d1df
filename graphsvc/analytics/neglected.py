"""Neglected ties: whom to reconnect with, and why — one reason per person.

Three kinds, each with a plain-language reason and a next step that fits the evidence:

* ``MISSED_FOLLOW_UP`` — met at a small event, or newly connected, and no message, call or
  meeting within the follow-up window (default 14 days) and since; how long a new tie lasts is
  predictable from its first weeks (Vergara Hidd et al. 2023). The most time-bound reason.
* ``KEEP_IN_TOUCH_OVERDUE`` — a rhythm was observed (at least ``RHYTHM_MIN_CONTACTS`` contacts:
  interactions, or meeting at a small event) and the silence is now more than twice its usual
  gap, but under a year. A cadence is only ever claimed from contacts that happened, never assumed.
* ``DORMANT`` — formerly strong, now silent for a year or more. Ranked by the value of
  reconnecting, ``peak strength x dormancy x (0.5 + 0.5 x novelty)``, after Levin, Walter &
  Murnighan (2011): dormant ties (3+ years) give advice as valuable as current ties and more
  novel; novelty is the share of the person's contacts the team does not otherwise know.

A person gets the single most actionable reason (in the order above), from the member who
knows them best for it; the other reasons that hold are listed as secondary facts (``also``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum
from statistics import median

import numpy as np

from graphsvc.analytics.evidence import KIND_CODE, micros
from graphsvc.analytics.strength import TieView, tie_strength
from graphsvc.model import INTERACTION_KINDS
from graphsvc.snapshot import CO_ATTENDANCE, Fact

__all__ = ["DUNBAR_LAYERS", "NeglectKind", "NeglectedTie", "RHYTHM_MIN_CONTACTS", "neglected_ties"]

INTERACTIONS = {k.value for k in INTERACTION_KINDS}
DUNBAR_LAYERS = (5, 15, 50, 150)  # layer sizes: a keep-in-touch rhythm is looked for among the closest 150
#: Contacts needed before a usual gap between them is claimed (three gaps to take a median of).
RHYTHM_MIN_CONTACTS = 4
#: A silence counts as overdue past this many usual gaps.
OVERDUE_GAPS = 2.0


class NeglectKind(str, Enum):
    MISSED_FOLLOW_UP = "MISSED_FOLLOW_UP"
    KEEP_IN_TOUCH_OVERDUE = "KEEP_IN_TOUCH_OVERDUE"
    DORMANT = "DORMANT"


#: Most actionable first: the order a person's reasons are chosen in, and the order of the list.
ACTIONABLE = (NeglectKind.MISSED_FOLLOW_UP, NeglectKind.KEEP_IN_TOUCH_OVERDUE, NeglectKind.DORMANT)


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
    also: tuple[str, ...] = ()  # the other reasons that hold for this person, as facts


@dataclass(frozen=True)
class _Contact:
    at: datetime
    event_name: str | None  # a small event they met at, None for an interaction


def _contacts(facts: list[Fact], view: TieView) -> list[_Contact]:
    """Moments two people were actually in touch (interactions, small shared events), oldest first."""
    found = []
    for fact in facts:
        if fact.at is None or fact.at > view.as_of:
            continue
        if fact.kind in INTERACTIONS:
            found.append(_Contact(fact.at, None))
        elif fact.kind == CO_ATTENDANCE and view.snap.event_size.get(fact.event_id or "", 2) <= view.model.small_event_max_size:
            event = view.snap.events.get(fact.event_id or "")
            found.append(_Contact(fact.at, event.name if event else "an event"))
    return sorted(found, key=lambda c: (c.at, c.event_name or ""))


def neglected_ties(
    view: TieView,
    members: list[str],
    *,
    dormant_after_days: int = 365,
    min_peak_strength: float = 0.3,
    follow_up_window_days: int = 14,
    new_contact_days: int = 120,
) -> list[NeglectedTie]:
    """Neglected ties of the team's ``members``, one per person: kinds in ``ACTIONABLE`` order,
    each ranked by score. A person's reason comes from the member with the best score for it."""
    team = set(members)
    a, ties = view.arrays, view.ties
    ids = a.ids
    team_index = np.asarray(sorted(a.index[m] for m in team if m in a.index), dtype=np.int64)
    # the team and everyone a member shares direct evidence with (``view.neighbours``)
    reached = np.unique(np.concatenate([team_index, *(a.partner[a.partner_ptr[i] : a.partner_ptr[i + 1]] for i in team_index.tolist())]))
    team_reach = {ids[i] for i in reached.tolist()}
    small = (a.event_size <= view.model.small_event_max_size) if len(a.event_ids) else np.zeros(0, dtype=bool)
    # A direct pair can have a reason only through an interaction (a contact) or a connection
    # made inside the follow-up window; without either, only a small shared event can give one.
    now = micros(view.as_of)
    age = (now - a.fact_at) // 86_400_000_000
    interaction = np.isin(a.fact_kind, [KIND_CODE[k] for k in INTERACTIONS if k in KIND_CODE])
    telling = a.fact_dated & (a.fact_at <= now) & (
        interaction | ((a.fact_kind == KIND_CODE["connection"]) & (age >= follow_up_window_days) & (age <= new_contact_days))
    )
    pair_telling = np.zeros(len(a.pair_a), dtype=bool)
    pair_telling[a.fact_pair[telling]] = True
    found: dict[tuple[NeglectKind, str], NeglectedTie] = {}

    def keep(item: NeglectedTie | None) -> None:
        if item is None:
            return
        key = (item.kind, item.person_id)
        if key not in found or (item.score, item.member_id) > (found[key].score, found[key].member_id):
            found[key] = item

    for member in sorted(team):
        i = a.index.get(member)
        if i is None:
            continue
        neighbours, strengths = ties.row(i)
        outside = ~np.isin(neighbours, team_index)
        neighbours, strengths = neighbours[outside], strengths[outside]
        rank_of = np.empty(len(neighbours), dtype=np.int64)  # by strength, then id (indices follow ids)
        rank_of[np.lexsort((neighbours, -strengths))] = np.arange(len(neighbours), dtype=np.int64)
        # Every reason rests on an interaction, a recent connection or a small shared event: only
        # people the member has one of those with are looked at (a member's row holds everyone
        # at every event they went to, and thousands of connections made years ago).
        events = a.person_events[a.person_events_ptr[i] : a.person_events_ptr[i + 1]]
        events = events[small[events]]
        lo, hi = a.partner_ptr[i], a.partner_ptr[i + 1]
        candidates = [a.partner[lo:hi][pair_telling[a.partner_pair[lo:hi]]]]
        candidates += [a.event_people[a.event_people_ptr[e] : a.event_people_ptr[e + 1]] for e in events.tolist()]
        chosen = np.flatnonzero(np.isin(neighbours, np.concatenate(candidates)))
        for position in chosen.tolist():
            person, strength, rank = ids[int(neighbours[position])], float(strengths[position]), int(rank_of[position])
            facts = view.snap.pair_facts(member, person)
            contacts = _contacts(facts, view)
            keep(_missed_follow_up(view, member, person, strength, facts, follow_up_window_days, new_contact_days))
            keep(_overdue(view, member, person, strength, rank, contacts, dormant_after_days))
            keep(_dormant(view, member, person, strength, contacts, team_reach, dormant_after_days, min_peak_strength))
    by_person: dict[str, list[NeglectedTie]] = {}
    for item in found.values():
        by_person.setdefault(item.person_id, []).append(item)
    chosen = []
    for items in by_person.values():
        items.sort(key=lambda t: ACTIONABLE.index(t.kind))
        first, rest = items[0], items[1:]
        chosen.append(replace(first, also=tuple(t.reason for t in rest)))
    return sorted(chosen, key=lambda t: (ACTIONABLE.index(t.kind), -t.score, t.person_id, t.member_id))


def _days(view: TieView, moment: datetime) -> int:
    return (view.as_of - moment).days


def _missed_follow_up(view, member, person, strength, facts, window, recent) -> NeglectedTie | None:  # type: ignore[no-untyped-def]
    met: tuple[datetime, str, float, str | None] | None = None
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
            name = event.name if event else "an event"
            label = f"met at '{name}' ({size} people)"
            weight = 1.0 / max(size - 1, 1) ** 0.5
        elif fact.kind == "connection":
            label = f"connected on {fact.channel.capitalize() if fact.channel != 'linkedin' else 'LinkedIn'}"
            weight, name = 0.3, None
        else:
            continue
        if met is None or (weight, fact.at) > (met[2], met[0]):
            met = (fact.at, label, weight, name)
    if met is None:
        return None
    at, label, weight, event_name = met
    followed = any(f.kind in INTERACTIONS and f.at is not None and at <= f.at <= view.as_of for f in facts)
    if followed:
        return None
    freshness = 1.0 - (_days(view, at) - window) / max(recent - window, 1)
    if event_name is not None:
        step = f"Follow up now with a note about '{event_name}', before the contact goes cold"
    else:
        step = f"Send a short note now: you {label} on {at.date().isoformat()} and never wrote"
    return NeglectedTie(
        NeglectKind.MISSED_FOLLOW_UP, member, person, weight * (0.5 + 0.5 * freshness), strength, at,
        reason=f"{label[0].upper()}{label[1:]} on {at.date().isoformat()}, and no message, call or meeting since",
        next_step=step,
    )


def _overdue(view, member, person, strength, rank, contacts, dormant_after) -> NeglectedTie | None:  # type: ignore[no-untyped-def]
    layer = next((size for size in DUNBAR_LAYERS if rank < size), None)
    if layer is None or len(contacts) < RHYTHM_MIN_CONTACTS:
        return None
    gaps = [(b.at - a.at).days for a, b in zip(contacts, contacts[1:])]
    usual = max(1, round(median(gaps)))
    silent = _days(view, contacts[-1].at)
    if silent <= OVERDUE_GAPS * usual or silent >= dormant_after:  # a year of silence is dormancy, not a missed rhythm
        return None
    overdue = silent / usual
    last = contacts[-1]
    where = f" at '{last.event_name}'" if last.event_name else ""
    return NeglectedTie(
        NeglectKind.KEEP_IN_TOUCH_OVERDUE, member, person, strength * min(overdue, 10.0) / 10.0, strength, last.at,
        reason=f"You were in touch about every {usual} days ({len(contacts)} times since {contacts[0].at.date().isoformat()}); "
        f"the last time{where} was {silent} days ago",
        next_step="Check in: a short message or a call keeps the rhythm",
        dunbar_layer=layer,
    )


def _dormant(view, member, person, strength, contacts, team_reach, dormant_after, min_peak) -> NeglectedTie | None:  # type: ignore[no-untyped-def]
    if not contacts:
        return None
    last = contacts[-1]
    silent = _days(view, last.at)
    if silent < dormant_after:
        return None
    peak = tie_strength(view.snap, member, person, last.at, view.model)
    if peak is None or peak.strength < min_peak:
        return None
    theirs = view.neighbours.get(person, set())
    unknown = len(theirs - team_reach)
    novelty = unknown / len(theirs) if theirs else 0.0
    dormancy = min(1.0, silent / (3 * 365))
    score = peak.strength * dormancy * (0.5 + 0.5 * novelty)
    years = silent / 365
    if unknown:
        reach = f"; they know {unknown} {'person' if unknown == 1 else 'people'} nobody on your team knows"
    elif theirs:
        reach = "; your team already knows everyone they know"
    else:
        reach = ""
    talked = [c for c in contacts if c.event_name is None]
    if talked:
        step = f"Reconnect: recall your last conversation ({talked[-1].at.date().isoformat()}) and ask what they are up to now"
    else:
        step = f"Reconnect: mention '{last.event_name}', where you met, and ask what they are up to now"
    return NeglectedTie(
        NeglectKind.DORMANT, member, person, score, strength, last.at,
        reason=f"Was a strong tie ({peak.strength:.2f} at the last contact, {last.at.date().isoformat()}), "
        f"silent for {years:.1f} years{reach}",
        next_step=step,
        peak_strength=peak.strength, novelty=novelty,
    )
