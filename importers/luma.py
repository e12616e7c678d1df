"""Luma (lu.ma / luma.com) guest list CSV, both eras (export-formats.md §6.3).

* Older era: ``api_id, ..., custom_source, ...``; newer era: ``guest_id, ..., utm_source,
  [referrer, referred_by,] ...``. Both are UTF-8 with a BOM, snake_case, one row per guest, then
  one column per registration question with the question text as its header (quotes, commas and
  trailing spaces included). Questions about the company, job title or LinkedIn profile fill
  those fields of the person.
* **Check-in is attendance.** A guest with a ``checked_in_at`` time attended, whatever their
  ``approval_status``; a guest without one is skipped with the reason: a no-show (or an event
  that has not happened yet) for ``approved`` guests, the approval status otherwise
  (``pending_approval``, ``declined``, ``invited``, ``waitlist``).
* ``name`` may be empty while first/last are set, or written "Last, First": the first and last
  names win when present.
* The file holds no event name and no event date: the name is ``--event-name`` or the file name,
  the date ``--event-date`` or the earliest check-in; ``MissingEventInfo`` when neither exists.
  The event id (``evt-…``, only inside ``qr_code_url``) is reported in the job's notes.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Iterator

from graphsvc.errors import ImportFailed, MissingEventInfo
from importers.base import ImportOptions
from importers.dates import parse_date
from importers.names import split_name
from importers.records import Attendance, EventRef, ParsedRow, ParsedSource, PersonRef, Rejected, RowResult, Skipped
from importers.signin_sheet import EMAIL_SHAPE, PLACEHOLDERS, _earliest_times, _event_name_from_file, _option_date
from importers.source import Source
from importers.tables import Table, locate_table, sniff_table

ISO_UTC = ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z")
EVENT_ID = re.compile(r"/check-in/(evt-[A-Za-z0-9]+)")


def _is_header(header: list[str]) -> bool:
    return (
        ("guest_id" in header or "api_id" in header)
        and "approval_status" in header
        and "checked_in_at" in header
        and "email" in header
    )


def _clean(row: dict[str, str], column: str | None) -> str:
    value = row.get(column, "").strip() if column else ""
    return "" if value.lower() in PLACEHOLDERS else value


def _question_columns(header: list[str]) -> dict[str, str]:
    """Registration questions that name the guest's company, job title or LinkedIn profile."""
    found: dict[str, str] = {}
    fixed = header.index("ticket_name") + 1 if "ticket_name" in header else 0
    for column in header[fixed:]:
        text = re.sub(r"[^a-z ]+", " ", column.lower())
        words = set(text.split())
        if "linkedin" in words and "linkedin" not in found:
            found["linkedin"] = column
        elif words & {"company", "organization", "organisation", "employer"} and "organization" not in found:
            found["organization"] = column
        elif ("job" in words and "title" in words or words & {"role", "position"}) and "title" not in found:
            found["title"] = column
    return found


class LumaImporter:
    name = "luma"
    description = "Luma guest list CSV (both eras: api_id or guest_id); checked-in guests are attendances"

    def sniff(self, source: Source) -> int:
        return sniff_table(source, _is_header, 90)

    def parse(self, source: Source, options: ImportOptions) -> ParsedSource:
        if source.is_container:
            raise ImportFailed(f"{source.name}: a Luma guest list is a single CSV file, not an archive")
        table = locate_table(source.single, _is_header)
        if table is None:
            raise ImportFailed(
                f"{source.name}: no Luma header ('guest_id' or 'api_id', 'approval_status', 'checked_in_at') in the first rows"
            )
        era = "newer (guest_id)" if "guest_id" in table.header else "older (api_id)"
        notes = [f"Luma guest list, {era} era"]
        event_name = options.event_name or _event_name_from_file(source.name)
        if not options.event_name:
            notes.append(f"event name taken from the file name: {event_name!r}")
        event_date = _option_date(options)
        if event_date is None:
            earliest = _earliest_times(table, {"time": "checked_in_at"}, event_name)
            if not earliest:
                raise MissingEventInfo(
                    f"{source.name}: no guest has a 'checked_in_at' time, so the event date is unknown; "
                    "pass --event-date YYYY-MM-DD"
                )
            event_date = earliest[event_name]
            notes.append("event date taken from the earliest check-in")
        event_id = _luma_event_id(table)
        if event_id:
            notes.append(f"Luma event id {event_id}")
        event = EventRef(name=event_name, starts_at=event_date, kind=(options.event_kind or "event").strip().lower())
        questions = _question_columns(table.header)

        def rows() -> Iterator[RowResult]:
            return _rows(table, event, questions)

        return ParsedSource(
            format=self.name, owner=None, rows=rows, notes=notes, size=source.single.size,
            position=lambda: table.bytes_read,
        )


def _luma_event_id(table: Table, scan: int = 20) -> str:
    for i, item in enumerate(table.rows()):
        if i >= scan:
            break
        if not isinstance(item, Rejected):
            match = EVENT_ID.search(item[1].get("qr_code_url", ""))
            if match:
                return match.group(1)
    return ""


def _checked_in(value: str) -> datetime | None:
    return parse_date(value, ISO_UTC)


def _rows(table: Table, event: EventRef, questions: dict[str, str]) -> Iterator[RowResult]:
    for item in table.rows():
        if isinstance(item, Rejected):
            yield item
            continue
        row_number, row = item
        checked_in_raw = _clean(row, "checked_in_at")
        status = _clean(row, "approval_status").lower()
        if not checked_in_raw:
            if status == "approved" or not status:
                yield Skipped(row_number, "registered but not checked in: a no-show, or the event has not happened yet")
            else:
                yield Skipped(row_number, f"approval status {status!r} and not checked in")
            continue
        at = _checked_in(checked_in_raw)
        if at is None:
            yield Rejected(row_number, f"unreadable 'checked_in_at' time {checked_in_raw[:40]!r}")
            continue
        email = _clean(row, "email").lower()
        if email and not EMAIL_SHAPE.match(email):
            yield Rejected(row_number, f"invalid email {email[:80]!r}")
            continue
        first, last = _clean(row, "first_name"), _clean(row, "last_name")
        full = _clean(row, "name")
        if full and not (first or last):
            first, last = split_name(full)
        if first or last:
            full = f"{first} {last}".strip()
        if not (re.search(r"\w", full) or email):
            yield Rejected(row_number, "no name and no email")
            continue
        linkedin = _clean(row, questions.get("linkedin"))
        person = PersonRef(
            name=full,
            first_name=first,
            last_name=last,
            emails=(email,) if email else (),
            linkedin_url=linkedin if "linkedin.com/" in linkedin.lower() else "",
            organization=_clean(row, questions.get("organization")),
            title=_clean(row, questions.get("title")),
            phones=(p,) if (p := _clean(row, "phone_number")) else (),
        )
        yield ParsedRow(row_number, (Attendance(person=person, event=event, at=at),))


IMPORTERS = (LumaImporter(),)
