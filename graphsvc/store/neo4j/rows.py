"""Values to and from Cypher rows: people, jobs, events and evidence as the statements of
``cypher.py`` send and read them (positional lists where many rows go at once), datetimes as
ISO text, and SQLite's ``LIKE`` as a Java regex."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator, Sequence

from graphsvc.model import Event, Evidence, ImportJob, JobStatus, Person

#: Rows per UNWIND statement (a flush sends several statements in one transaction).
CHUNK_ROWS = 10_000
_PROGRESS_PROPS = ("rowsRead", "rowsImported", "rowsRejected", "rowsSkipped", "checkpointRow")


def sort_key(name: str) -> str:
    return name.casefold().strip()


def _native(value: Any) -> datetime | None:
    """A Neo4j temporal back to a ``datetime`` with a plain fixed-offset tzinfo (or naive)."""
    if value is None:
        return None
    moment = value.to_native() if hasattr(value, "to_native") else value
    if moment.tzinfo is not None:
        moment = moment.replace(tzinfo=timezone(moment.utcoffset() or timedelta(0)))
    return moment


def _person_row(person: Person) -> list[Any]:
    """``[id, name, firstName, lastName, organization, title, emails, linkedinUrl, sortName, orgKey]``
    (positional: rows are packed by the driver, and map keys would be packed on every row)."""
    from graphsvc.identity.normalise import normalise_organization

    org_key = normalise_organization(person.organization) if person.organization.strip() else ""
    return [
        person.id, person.display_name, person.first_name, person.last_name, person.organization, person.title,
        list(person.emails), person.linkedin_url, sort_key(person.display_name), org_key,
    ]


#: a person as a list (lists unpack faster than maps: no key per value)
_PERSON_LIST = "[p.id, p.name, p.firstName, p.lastName, p.organization, p.title, p.emails, p.linkedinUrl]"


def _person(row: list[Any], is_member: bool = False) -> Person:
    """A ``Person`` from a ``_PERSON_LIST`` row."""
    pid, name, first, last, org, title, emails, url = row
    return Person(
        id=pid, display_name=name or "", first_name=first or "", last_name=last or "", organization=org or "",
        title=title or "", emails=tuple(emails or ()), linkedin_url=url or "", is_member=is_member,
    )


def _parse_temporal(text: str | None) -> datetime | None:
    """``toString()`` of a Neo4j DATE TIME / LOCAL DATETIME back to a ``datetime`` (reading text is
    several times faster than letting the driver hydrate temporal values)."""
    if text is None:
        return None
    if text.endswith("]"):  # a named zone: the offset before it is enough
        text = text[: text.index("[")]
    return datetime.fromisoformat(text)


def _job_props(job: ImportJob) -> dict[str, Any]:
    props: dict[str, Any] = {
        "name": job.file_name, "fileHash": job.file_hash, "format": job.format, "ownerPersonId": job.owner_person_id,
        "status": job.status.value, "rowsRead": job.rows_read, "rowsImported": job.rows_imported,
        "rowsRejected": job.rows_rejected, "rowsSkipped": job.rows_skipped, "checkpointRow": job.checkpoint_row,
        "error": job.error, "startedAt": job.started_at, "finishedAt": job.finished_at,
        "options": json.dumps(job.options, sort_keys=True), "notes": list(job.notes),
    }
    if job.status is JobStatus.FAILED:  # never move committed progress on a failure (see module doc)
        for key in _PROGRESS_PROPS:
            props.pop(key)
    return props


def _job(row: dict[str, Any]) -> ImportJob:
    return ImportJob(
        id=row["id"], workspace_id=row["workspace"], file_name=row.get("name") or "", file_hash=row.get("fileHash") or "",
        format=row.get("format") or "", owner_person_id=row.get("ownerPersonId"), status=JobStatus(row["status"]),
        rows_read=row.get("rowsRead") or 0, rows_imported=row.get("rowsImported") or 0,
        rows_rejected=row.get("rowsRejected") or 0, rows_skipped=row.get("rowsSkipped") or 0,
        checkpoint_row=row.get("checkpointRow") or 0, error=row.get("error") or "",
        started_at=_native(row.get("startedAt")), finished_at=_native(row.get("finishedAt")),
        options=json.loads(row.get("options") or "{}"), notes=list(row.get("notes") or []),
    )


def _copy_job(job: ImportJob) -> ImportJob:
    return replace(job, options=dict(job.options), notes=list(job.notes))


def _overlay_job(stored: ImportJob, pending: ImportJob) -> ImportJob:
    """``stored`` as a pending ``save_job(pending)`` will leave it."""
    merged = _copy_job(pending)
    if pending.status is JobStatus.FAILED:
        merged.rows_read, merged.rows_imported = stored.rows_read, stored.rows_imported
        merged.rows_rejected, merged.rows_skipped = stored.rows_rejected, stored.rows_skipped
        merged.checkpoint_row = stored.checkpoint_row
    return merged


def _event_props(event: Event) -> dict[str, Any]:
    return {"name": event.name, "startsAt": event.starts_at, "kind": event.kind, "sourceFormat": event.source_format}


def _evidence_target(e: Evidence) -> str:
    """Where the relationship of ``e`` points: another person, an event, or (neither) back at ``a``."""
    if e.person_b:
        return "person"
    if e.event_id:
        return "event"
    return "self"


def _like_regex(search: str) -> str:
    """A Java regex matching what SQLite's ``LIKE '%<search>%'`` matches: ``%`` any run, ``_`` one
    character, case-insensitive for ASCII only (SQLite's default; Java's ``(?i)`` without ``(?u)``)."""
    out = ["(?is).*"]
    for ch in search.casefold().strip():
        if ch == "%":
            out.append(".*")
        elif ch == "_":
            out.append(".")
        elif ch.isascii() and ch.isalnum():
            out.append(ch)
        else:
            out.append(f"\\x{{{ord(ch):x}}}")
    out.append(".*")
    return "".join(out)


def _chunks(rows: Sequence[Any], size: int = CHUNK_ROWS) -> Iterator[Sequence[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _temporal(moment: datetime | None) -> tuple[str, str | None]:
    """``(kind, iso)`` for sending a datetime as text: the Python driver packs ``datetime``
    objects slowly (tens of microseconds each), Cypher parses ISO text fast."""
    if moment is None:
        return "none", None
    return ("aware" if moment.tzinfo is not None else "naive"), moment.isoformat()
