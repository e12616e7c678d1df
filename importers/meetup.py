"""Meetup.com exports (export-formats.md §6.2): an event's RSVP list and a group's member list.

Meetup never exports emails: identity is the numeric member id (``User ID`` reads
``user 12537919``; ``Member ID`` is bare; the profile URL ends in it), kept as the handle
``("meetup", id)``, plus the name.

**RSVP / attendee list** (``Name,Attendance,User ID,...,RSVP,Guests,RSVPed on,...``): ``RSVP``
``No`` and ``Waitlist`` are skipped. When the host marked attendance (``Attendance = Y`` on at
least one row), only the marked ``Yes`` RSVPs are attendances and the others are skipped as
no-shows; when nobody was marked, every ``Yes`` RSVP is an attendance. Unnamed guests
(``Guests``) cannot be people and are not counted. ``RSVPed on`` is when the member answered,
not the event date: the event date comes from ``--event-date`` (else ``MissingEventInfo``),
the name from ``--event-name`` or the file name.

**Group member list**, historically a ``.xls`` that is really tab-separated text
(``<Group>_Member_List_on_MM-DD-YY.xls``), and the newer comma-separated export (``Name, Member
ID, Location, Events attended, ...``): each member "attended" the group, an event of kind
``group`` named after the group (``--event-name``, else the group's slug in the profile URLs,
else the file name) and without a date, so that re-exports of the same group add nothing; the
attendance's time is ``Joined Group on``, else the export date in the file name (``_on_MM-DD-YY``),
else ``--event-date``; a list with neither join dates nor an export date raises
``MissingEventInfo``. Groups larger than the analytics' event cap yield no
pairwise facts (see ``graphsvc.snapshot``). A real Excel workbook (a zip) or a binary ``.xls``
is refused with a hint to save it as CSV or text.
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
from importers.records import Attendance, EventRef, ParsedRow, ParsedSource, PersonRef, Rejected, RowResult, Skipped
from importers.signin_sheet import PLACEHOLDERS, _event_name_from_file, _option_date
from importers.source import Source
from importers.tables import Table, locate_table

MEETUP_DATES = ("%m/%d/%Y", "%m/%d/%y", "%Y-%m-%d") + GENERIC
PROFILE = re.compile(r"meetup\.com/([^/\s]+)/members/(\d+)", re.IGNORECASE)
OLE2_MAGIC = b"\xd0\xcf\x11\xe0"


def _is_rsvp_header(header: list[str]) -> bool:
    return "rsvp" in header and "name" in header and ("user id" in header or "url of member profile" in header)


def _is_member_header(header: list[str]) -> bool:
    if "rsvp" in header or "name" not in header:
        return False
    return "url of member profile" in header and ("member id" in header or "user id" in header or "joined group on" in header)


def _clean(row: dict[str, str], column: str) -> str:
    value = row.get(column, "").strip()
    return "" if value.lower() in PLACEHOLDERS else value


def _member_id(row: dict[str, str]) -> str:
    for column in ("member id", "user id"):
        value = _clean(row, column)
        value = re.sub(r"^user\s*", "", value, flags=re.IGNORECASE).strip()
        if value.isdigit():
            return value
    match = PROFILE.search(row.get("url of member profile", ""))
    return match.group(2) if match else ""


def _person(row: dict[str, str], member_id: str, *, organization: str = "") -> PersonRef:
    full = _clean(row, "name")
    first, last = split_name(full) if full else ("", "")
    return PersonRef(
        name=full, first_name=first, last_name=last, organization=organization,
        handles=(("meetup", member_id),) if member_id else (),
    )


class MeetupImporter:
    name = "meetup"
    description = "Meetup.com event RSVP list or group member list (CSV, or tab-separated text saved as .xls)"

    def sniff(self, source: Source) -> int:
        if source.is_container:
            return 0
        try:
            if locate_table(source.single, _is_rsvp_header) or locate_table(source.single, _is_member_header):
                return 90
        except ImportFailed:
            return 0
        return 0

    def parse(self, source: Source, options: ImportOptions) -> ParsedSource:
        if source.is_container:
            raise ImportFailed(
                f"{source.name}: a zip (or a real Excel workbook); save the Meetup list as CSV or tab-separated text"
            )
        if source.read_head(size=8).startswith(OLE2_MAGIC):
            raise ImportFailed(f"{source.name}: a binary Excel workbook; save the Meetup list as CSV or tab-separated text")
        table = locate_table(source.single, _is_rsvp_header)
        if table is not None:
            return self._rsvp_list(source, table, options)
        table = locate_table(source.single, _is_member_header)
        if table is not None:
            return self._member_list(source, table, options)
        raise ImportFailed(
            f"{source.name}: no Meetup RSVP header ('Name', 'User ID', 'RSVP', ...) or member list header "
            "('Name', 'Member ID', 'URL of Member Profile', ...) in the first rows"
        )

    def _rsvp_list(self, source: Source, table: Table, options: ImportOptions) -> ParsedSource:
        event_date = _option_date(options)
        if event_date is None:
            raise MissingEventInfo(
                f"{source.name}: a Meetup RSVP list does not say when the event was; pass --event-date YYYY-MM-DD"
            )
        event_name = options.event_name or _event_name_from_file(source.name)
        notes = ["Meetup RSVP list"]
        if not options.event_name:
            notes.append(f"event name taken from the file name: {event_name!r}")
        marked, guests = _survey_rsvps(table)
        notes.append(
            "the host marked attendance: only members marked 'Y' attended"
            if marked else "no attendance marked: every 'Yes' RSVP counts as attending"
        )
        if guests:
            notes.append(f"{guests} unnamed guest(s) in the 'Guests' column are not people and are not counted")
        event = EventRef(name=event_name, starts_at=event_date, kind=(options.event_kind or "event").strip().lower())
        return ParsedSource(
            format=self.name, owner=None, rows=lambda: _rsvp_rows(table, event, marked), notes=notes,
            size=source.single.size, position=lambda: table.bytes_read,
        )

    def _member_list(self, source: Source, table: Table, options: ImportOptions) -> ParsedSource:
        group = options.event_name or _group_from_profiles(table) or _group_from_file_name(source.name)
        notes = [f"Meetup member list of the group {group!r} (an event of kind 'group' without a date)"]
        exported = _export_date_from_file_name(source.name) or _option_date(options)
        if exported is None and "joined group on" not in table.header:
            raise MissingEventInfo(
                f"{source.name}: the member list says neither when members joined nor when it was exported; "
                "pass the export date (--event-date YYYY-MM-DD)"
            )
        if exported is not None:
            notes.append(f"members without a join date are timed at the export date {exported.date().isoformat()}")
        event = EventRef(name=group, starts_at=None, kind=(options.event_kind or "group").strip().lower())
        return ParsedSource(
            format=self.name, owner=None, rows=lambda: _member_rows(table, event, exported), notes=notes,
            size=source.single.size, position=lambda: table.bytes_read,
        )


def _export_date_from_file_name(file_name: str) -> datetime | None:
    """``<Group>_Member_List_on_06-22-15.xls`` -> 2015-06-22."""
    match = re.search(r"_on_(\d{2}-\d{2}-\d{2,4})$", PurePosixPath(file_name.replace("\\", "/")).stem, re.IGNORECASE)
    return parse_date(match.group(1), ("%m-%d-%y", "%m-%d-%Y"), fallback=False) if match else None


def _survey_rsvps(table: Table) -> tuple[bool, int]:
    """Whether the host marked attendance on any row, and how many unnamed guests the 'Yes' RSVPs bring."""
    marked, guests = False, 0
    for item in table.rows():
        if isinstance(item, Rejected):
            continue
        row = item[1]
        marked = marked or row.get("attendance", "").strip().lower() in ("y", "yes")
        count = row.get("guests", "").strip()
        if row.get("rsvp", "").strip().lower() == "yes" and count.isdigit():
            guests += int(count)
    return marked, guests


def _group_from_profiles(table: Table, scan: int = 50) -> str:
    for i, item in enumerate(table.rows()):
        if i >= scan:
            break
        if not isinstance(item, Rejected):
            match = PROFILE.search(item[1].get("url of member profile", ""))
            if match:
                return match.group(1)
    return ""


def _group_from_file_name(file_name: str) -> str:
    stem = PurePosixPath(file_name.replace("\\", "/")).stem
    match = re.match(r"(.+?)_Member_List(_on_[\d-]+)?$", stem, flags=re.IGNORECASE)
    return match.group(1).replace("_", " ").strip() if match else _event_name_from_file(file_name)


def _rsvp_rows(table: Table, event: EventRef, marked: bool) -> Iterator[RowResult]:
    for item in table.rows():
        if isinstance(item, Rejected):
            yield item
            continue
        row_number, row = item
        rsvp = _clean(row, "rsvp")
        if rsvp.lower() != "yes":
            yield Skipped(row_number, f"RSVP {rsvp!r}: not attending" if rsvp else "no RSVP answer")
            continue
        if marked and row.get("attendance", "").strip().lower() not in ("y", "yes"):
            yield Skipped(row_number, "RSVP 'Yes' but not marked as attended: a no-show")
            continue
        member_id = _member_id(row)
        if not (member_id or re.search(r"\w", _clean(row, "name"))):
            yield Rejected(row_number, "no name and no member id")
            continue
        yield ParsedRow(row_number, (Attendance(person=_person(row, member_id), event=event),))


def _member_rows(table: Table, event: EventRef, exported: datetime | None) -> Iterator[RowResult]:
    org_column = "company" if "company" in table.header else next(
        (h for h in table.header if "company" in h or "organization" in h or "organisation" in h), ""
    )
    for item in table.rows():
        if isinstance(item, Rejected):
            yield item
            continue
        row_number, row = item
        member_id = _member_id(row)
        if not (member_id or re.search(r"\w", _clean(row, "name"))):
            yield Rejected(row_number, "no name and no member id")
            continue
        joined_raw = _clean(row, "joined group on")
        joined: datetime | None = parse_date(joined_raw, MEETUP_DATES, fallback=False) if joined_raw else None
        if joined_raw and joined is None:
            yield Rejected(row_number, f"unreadable 'Joined Group on' date {joined_raw[:40]!r}")
            continue
        if joined is None and exported is None:
            yield Rejected(row_number, "no 'Joined Group on' date and no export date; pass --event-date")
            continue
        person = _person(row, member_id, organization=_clean(row, org_column) if org_column else "")
        yield ParsedRow(row_number, (Attendance(person=person, event=event, at=joined or exported),))


IMPORTERS = (MeetupImporter(),)
