"""A generic event attendee list or sign-in sheet (CSV), including Google Forms responses.

No standard exists (export-formats.md §6.5), so columns are recognised by header synonyms,
the delimiter and encoding are sniffed, title rows above the header are skipped, and one
free-text name column or first/last columns are accepted. The event's name, date and kind
come from the sheet when it has them (per-row event columns, or the earliest sign-in
timestamp) and from options otherwise; the event's size is derived later from its distinct
attendees.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import PurePosixPath
from typing import Iterator

from graphsvc.errors import ImportFailed, MissingEventInfo
from importers.base import ImportOptions
from importers.dates import GENERIC, parse_date
from importers.names import split_name
from importers.records import Attendance, EventRef, ParsedRow, ParsedSource, PersonRef, Rejected, RowResult
from importers.source import Source
from importers.tables import Table, locate_table, sniff_table

SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": ("name", "full name", "attendee", "attendee name", "your name", "participant", "guest", "guest name"),
    "first": ("first name", "given name", "firstname", "first"),
    "last": ("last name", "surname", "family name", "lastname", "last"),
    "email": ("email", "e-mail", "email address", "e-mail address", "work email", "your email", "mail"),
    "organization": ("company", "organization", "organisation", "affiliation", "employer", "company name"),
    "title": ("title", "job title", "role", "position"),
    "phone": ("phone", "mobile", "cell", "phone number"),
    "linkedin": ("linkedin", "linkedin url", "linkedin profile"),
    "time": ("timestamp", "date", "time in", "signed in", "check-in time", "checked in at", "time"),
    "event": ("event", "event name", "session"),
    "event_date": ("event date",),
    "event_kind": ("event type", "event kind", "kind"),
}
PLACEHOLDERS = {"", "-", "--", "n/a", "na", "none", "null", "?"}
EMAIL_SHAPE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _clean_header(cell: str) -> str:
    return re.sub(r"[\s]+", " ", re.sub(r"[?:*()]", " ", cell)).strip()


def column_map(header: list[str]) -> dict[str, str]:
    """Canonical field -> the header cell that holds it (first match wins)."""
    cleaned = {_clean_header(h): h for h in reversed(header) if h}
    found: dict[str, str] = {}
    for field, names in SYNONYMS.items():
        for name in names:
            if name in cleaned:
                found[field] = cleaned[name]
                break
    return found


def _is_sheet_header(header: list[str]) -> bool:
    if "connected on" in header:  # a LinkedIn Connections.csv is not a sign-in sheet
        return False
    columns = column_map(header)
    has_person = "name" in columns or "email" in columns or ("first" in columns and "last" in columns)
    return has_person and len(columns) >= 2 or ("name" in columns and len([h for h in header if h]) == 1)


class SigninSheetImporter:
    name = "signin_sheet"
    description = "event attendee list or sign-in sheet (CSV/TSV; name or first/last, email, company, title)"

    def sniff(self, source: Source) -> int:
        return sniff_table(source, _is_sheet_header, 60)

    def parse(self, source: Source, options: ImportOptions) -> ParsedSource:
        if source.is_container:
            raise ImportFailed(f"{source.name}: a sign-in sheet is a single CSV file, not an archive")
        table = locate_table(source.single, _is_sheet_header)
        if table is None:
            raise ImportFailed(f"{source.name}: no header with a name or email column in the first rows")
        columns = column_map(table.header)
        notes = [f"columns: " + ", ".join(f"{k}={v!r}" for k, v in sorted(columns.items()))]
        default_name = options.event_name or _event_name_from_file(source.name)
        if not options.event_name and "event" not in columns:
            notes.append(f"event name taken from the file name: {default_name!r}")
        event_date = _option_date(options)
        first_seen: dict[str, datetime] = {}
        if event_date is None and "event_date" not in columns:
            if "time" not in columns:
                raise MissingEventInfo(
                    f"{source.name}: the sheet has no dates; pass the event date (--event-date YYYY-MM-DD)"
                )
            first_seen = _earliest_times(table, columns, default_name)
            if not first_seen:
                raise MissingEventInfo(
                    f"{source.name}: no readable sign-in time in column {columns['time']!r}; pass --event-date"
                )
            notes.append("event date taken from the earliest sign-in time")
        kind = (options.event_kind or "event").strip().lower()

        def rows() -> Iterator[RowResult]:
            return _attendance_rows(table, columns, default_name, event_date, first_seen, kind)

        return ParsedSource(
            format=self.name, owner=None, rows=rows, notes=notes, size=source.single.size,
            position=lambda: table.bytes_read,
        )


def _event_name_from_file(file_name: str) -> str:
    stem = PurePosixPath(file_name.replace("\\", "/")).stem
    return re.sub(r"[_]+", " ", stem).strip() or "event"


def _option_date(options: ImportOptions) -> datetime | None:
    if not options.event_date:
        return None
    parsed = parse_date(options.event_date, GENERIC, fallback=False)
    if parsed is None:
        raise MissingEventInfo(f"--event-date {options.event_date!r} is not a date (use YYYY-MM-DD)")
    return parsed


def _value(row: dict[str, str], columns: dict[str, str], field: str) -> str:
    column = columns.get(field)
    value = row.get(column, "").strip() if column else ""
    return "" if value.lower() in PLACEHOLDERS else value


def _earliest_times(table: Table, columns: dict[str, str], default_name: str) -> dict[str, datetime]:
    earliest: dict[str, datetime] = {}
    for item in table.rows():
        if isinstance(item, Rejected):
            continue
        _, row = item
        moment = parse_date(_value(row, columns, "time"))
        if moment is None:
            continue
        name = _value(row, columns, "event") or default_name
        if name not in earliest or moment < earliest[name]:
            earliest[name] = moment
    return earliest


def _attendance_rows(
    table: Table,
    columns: dict[str, str],
    default_name: str,
    event_date: datetime | None,
    first_seen: dict[str, datetime],
    kind: str,
) -> Iterator[RowResult]:
    for item in table.rows():
        if isinstance(item, Rejected):
            yield item
            continue
        row_number, row = item
        email = _value(row, columns, "email").lower()
        if email and not EMAIL_SHAPE.match(email):
            yield Rejected(row_number, f"invalid email {email[:80]!r}")
            continue
        full = _value(row, columns, "name")
        first, last = _value(row, columns, "first"), _value(row, columns, "last")
        if full and not (first or last):
            first, last = split_name(full)
        full = full or f"{first} {last}".strip()
        if not (full or email):
            yield Rejected(row_number, "no name and no email")
            continue
        event_name = _value(row, columns, "event") or default_name
        starts_at = event_date or parse_date(_value(row, columns, "event_date")) or first_seen.get(event_name)
        if starts_at is None:
            yield Rejected(row_number, "no event date for this row; pass --event-date")
            continue
        person = PersonRef(
            name=full,
            first_name=first,
            last_name=last,
            emails=(email,) if email else (),
            linkedin_url=_value(row, columns, "linkedin"),
            organization=_value(row, columns, "organization"),
            title=_value(row, columns, "title"),
        )
        event = EventRef(name=event_name, starts_at=starts_at, kind=_value(row, columns, "event_kind").lower() or kind)
        yield ParsedRow(row_number, (Attendance(person=person, event=event, at=parse_date(_value(row, columns, "time"))),))


IMPORTERS = (SigninSheetImporter(),)
