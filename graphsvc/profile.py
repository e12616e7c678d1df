"""One person, everything graphsvc knows about them: what ``graphsvc person REF`` shows.

Their names and emails as every record of theirs says them (a merged person has several
records), the sources those came from (the imports that sighted them, or evidence entered by
hand), their strongest ties at ``as_of`` (``TieView.ties_of``, each explained by ``view.tie``)
and the events they attended (``snap.events_of``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from graphsvc.errors import InvalidArgument, NotFound
from graphsvc.intros import describe, person_dict
from graphsvc.model import Event, Person

if TYPE_CHECKING:
    from graphsvc.service import Graphsvc

__all__ = ["PersonProfile", "person_profile"]

#: How many ties a profile lists by default (strongest first).
DEFAULT_TIES = 10


@dataclass
class ProfileTie:
    person: Person
    strength: float
    level: str
    channels: list[str]
    because: list[str]  # the strongest components, described

    def to_dict(self) -> dict[str, Any]:
        return {"person": person_dict(self.person), "strength": round(self.strength, 6), "level": self.level,
                "channels": self.channels, "because": self.because}


@dataclass
class PersonProfile:
    person: Person
    as_of: datetime
    names: list[str]
    emails: list[str]
    linkedin_urls: list[str]
    records: list[Person]
    sources: list[dict[str, Any]]
    tags: list[str]
    ties: list[ProfileTie]
    tie_count: int
    events: list[tuple[Event, int]] = field(default_factory=list)  # (event, attendees), newest first

    def to_dict(self) -> dict[str, Any]:
        return {
            "person": person_dict(self.person),
            "asOf": self.as_of.isoformat(),
            "names": self.names,
            "emails": self.emails,
            "linkedinUrls": self.linkedin_urls,
            "records": [{"id": r.id, "name": r.display_name, "organization": r.organization, "emails": list(r.emails)} for r in self.records],
            "sources": self.sources,
            "tags": self.tags,
            "tieCount": self.tie_count,
            "ties": [t.to_dict() for t in self.ties],
            "events": [
                {"id": e.id, "name": e.name, "startsAt": e.starts_at.isoformat() if e.starts_at else None, "kind": e.kind, "attendeeCount": size}
                for e, size in self.events
            ],
        }


def person_profile(service: Graphsvc, workspace_id: str, ref: str, *, ties: int = DEFAULT_TIES, as_of: datetime | None = None) -> PersonProfile:
    """The profile of the person ``ref`` names (an id, email, LinkedIn URL or name).

    Nobody matching is ``NotFound``; several people matching is ``InvalidArgument`` naming them."""
    if ties < 0:
        raise InvalidArgument("ties must be 0 or more")
    match = service.find_person(workspace_id, ref)
    if match.person is None:
        if match.candidates:
            names = ", ".join(f"{c.display_name} ({c.id})" for c in match.candidates[:10])
            raise InvalidArgument(f"{ref!r} matches several people: {names}")
        raise NotFound(f"nobody matches {ref!r}")
    person = match.person
    clustered: Any = service.store
    record_ids = list(clustered.clusters(workspace_id).records_of(person.id)) if hasattr(clustered, "clusters") else [person.id]
    found = service.raw_store.get_people(workspace_id, record_ids)
    records = [found[r] for r in record_ids if r in found] or [person]
    sightings = service.store.sightings(workspace_id, person.id)

    names = list(dict.fromkeys([person.display_name, *(r.display_name for r in records), *(s.name for s in sightings)]))
    emails = list(dict.fromkeys([*person.emails, *(e for r in records for e in r.emails), *(s.email for s in sightings)]))
    urls = list(dict.fromkeys([person.linkedin_url, *(r.linkedin_url for r in records), *(s.linkedin_url for s in sightings)]))

    by_job: dict[str, dict[str, Any]] = {}
    for s in sightings:
        entry = by_job.get(s.job_id)
        if entry is None:
            job = service.store.get_job(workspace_id, s.job_id)
            entry = by_job[s.job_id] = {
                "jobId": s.job_id, "format": s.source_format, "file": job.file_name if job else s.source_name,
                "importedAt": job.started_at.isoformat() if job and job.started_at else None, "rows": [],
            }
        entry["rows"].append(s.row)

    view = service.view(workspace_id, as_of)
    ranked = sorted(view.ties_of(person.id), key=lambda t: (-t[1], t[0]))
    ranked = [t for t in ranked if t[1] > 0]
    top = ranked[:ties]
    others = service.store.get_people(workspace_id, [pid for pid, _ in top])
    profile_ties = []
    for pid, strength in top:
        if pid not in others:
            continue
        explained = view.tie(person.id, pid)
        level = explained.level.value if explained else ""
        channels = explained.channels if explained else []
        because = [describe(part, view.snap.events.get(part.event_id) if part.event_id else None) for part in (explained.contributions[:2] if explained else ())]
        profile_ties.append(ProfileTie(others[pid], strength, level, channels, because))

    events = [(view.snap.events[e], view.snap.event_size.get(e, 0)) for e in view.snap.events_of.get(person.id, ()) if e in view.snap.events]
    events.sort(key=lambda item: (item[0].starts_at is None, -(item[0].starts_at.timestamp() if item[0].starts_at else 0), item[0].name, item[0].id))

    return PersonProfile(
        person=person, as_of=view.as_of, names=[n for n in names if n], emails=[e for e in emails if e], linkedin_urls=[u for u in urls if u],
        records=records, sources=list(by_job.values()), tags=service.store.tags_of(workspace_id, person.id),
        ties=profile_ties, tie_count=len(ranked), events=events,
    )
