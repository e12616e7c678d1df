"""Eventbrite attendee summary / attendee report CSV (export-formats.md §6.1).

* The header is located by name (``Order #`` with ``Attendee #`` / ``Attendee Status`` /
  ``Ticket Type``), never by position: custom-question columns, ``Barcode #``, ``Cell Phone``,
  ``Event Name``, ``Checked In``, "Work ..." address blocks come and go between organizers.
* One row per ticket. ``Attending`` and ``Checked In`` are attendances; every other
  ``Attendee Status`` (``Not Attending``, ``Refunded``, ``Transferred``, ``Deleted``, ...) is
  skipped with the status as the reason.
* When the organizer did not collect per-attendee details, every ticket of an order carries the
  buyer's name and email: the buyer's later tickets are skipped ("an unnamed guest of the buyer"),
  never made into people. Tickets of one order are consecutive in the export, so only the
  current order is remembered and memory stays bounded however long the list is.
* ``Order Date`` is when the ticket was bought, not when the event took place, so it is not the
  event date. The event's name and date come from the file's own ``Event Name`` / ``Event Date``
  columns when it has them, else from ``--event-name`` / ``--event-date`` (the name falls back
  to the file name); without any event date ``parse()`` raises ``MissingEventInfo`` before
  anything is written. A parseable ``Checked In`` time is the attendance's time.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Iterator

from graphsvc.errors import ImportFailed, MissingEventInfo
from importers.base import ImportOptions
from importers.dates import GENERIC, parse_date
from importers.records import Attendance, EventRef, ParsedRow, ParsedSource, PersonRef, Rejected, RowResult, Skipped
from importers.signin_sheet import EMAIL_SHAPE, PLACEHOLDERS, _event_name_from_file, _option_date
from importers.source import Source
from importers.tables import Table, locate_table, sniff_table

#: Order Date as Eventbrite writes it in different eras/locales (§9), then the generic list.
EVENTBRITE_DATES = (
    "%m/%d/%y %H:%M",
    "%m/%d/%Y %H:%M",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%b %d, %Y %I:%M %p",
    "%B %d, %Y %I:%M %p",
    "%m/%d/%y %I:%M %p",
    "%m/%d/%Y %I:%M %p",
) + GENERIC
ORDER = ("order #", "order no.", "order no", "order number", "order id")
KEEP_STATUSES = {"attending", "checked in", "checked-in"}
EVENT_NAME = ("event name", "event title", "event")
EVENT_DATE = ("event date", "event start date", "event start", "event start time", "event start date/time")
PHONES = ("cell phone", "mobile phone", "work phone", "home phone", "phone")


def _first(header: list[str] | dict[str, str], names: tuple[str, ...]) -> str | None:
    return next((n for n in names if n in header), None)


def _is_header(header: list[str]) -> bool:
    has_person = "email" in header or ("first name" in header and "last name" in header)
    has_ticket = "attendee #" in header or "attendee status" in header or "ticket type" in header
    return _first(header, ORDER) is not None and has_ticket and has_person


def _clean(row: dict[str, str], column: str | None) -> str:
    value = row.get(column, "").strip() if column else ""
    return "" if value.lower() in PLACEHOLDERS else value


def _has_word(text: str) -> bool:
    return bool(re.search(r"\w", text))


class EventbriteImporter:
    name = "eventbrite"
    description = "Eventbrite attendee summary / attendee report CSV"

    def sniff(self, source: Source) -> int:
        return sniff_table(source, _is_header, 90)

    def parse(self, source: Source, options: ImportOptions) -> ParsedSource:
        if source.is_container:
            raise ImportFailed(f"{source.name}: an Eventbrite attendee report is a single CSV file, not an archive")
        table = locate_table(source.single, _is_header)
        if table is None:
            raise ImportFailed(f"{source.name}: no Eventbrite header ('Order #', 'Attendee #', 'Email', ...) in the first rows")
        notes: list[str] = []
        name_column, date_column = _first(table.header, EVENT_NAME), _first(table.header, EVENT_DATE)
        option_date = _option_date(options)
        if name_column:
            notes.append(f"event name from the {name_column!r} column")
            if options.event_name:
                notes.append("--event-name ignored where the row names its event")
        default_name = options.event_name or _event_name_from_file(source.name)
        if not name_column and not options.event_name:
            notes.append(f"event name taken from the file name: {default_name!r}")
        if date_column:
            notes.append(f"event date from the {date_column!r} column")
        elif option_date is None:
            raise MissingEventInfo(
                f"{source.name}: an Eventbrite report dates orders, not the event; "
                "pass the event date (--event-date YYYY-MM-DD)"
            )
        kind = (options.event_kind or "event").strip().lower()

        def rows() -> Iterator[RowResult]:
            return _rows(table, name_column, date_column, default_name, option_date, kind)

        return ParsedSource(
            format=self.name, owner=None, rows=rows, notes=notes, size=source.single.size,
            position=lambda: table.bytes_read,
        )


def _rows(
    table: Table,
    name_column: str | None,
    date_column: str | None,
    default_name: str,
    option_date: datetime | None,
    kind: str,
) -> Iterator[RowResult]:
    header = table.header
    order_column = _first(header, ORDER)
    status_column = "attendee status" if "attendee status" in header else None
    phone_columns = [c for c in PHONES if c in header]
    current_order, seen_in_order = "", set()  # only the current order: memory stays bounded
    for item in table.rows():
        if isinstance(item, Rejected):
            yield item
            continue
        row_number, row = item
        status = _clean(row, status_column)
        if status and status.lower() not in KEEP_STATUSES:
            yield Skipped(row_number, f"attendee status {status!r}: not attending")
            continue
        first, last = _clean(row, "first name"), _clean(row, "last name")
        full = f"{first} {last}".strip() or _clean(row, "name") or _clean(row, "attendee name")
        email = _clean(row, "email").lower()
        if email and not EMAIL_SHAPE.match(email):
            yield Rejected(row_number, f"invalid email {email[:80]!r}")
            continue
        if not (_has_word(full) or email):
            yield Rejected(row_number, "no name and no email")
            continue
        order = _clean(row, order_column)
        if order != current_order:
            current_order, seen_in_order = order, set()
        key = (full.casefold(), email)
        if order and key in seen_in_order:
            yield Skipped(
                row_number,
                f"another ticket of order {order} under the same name and email: an unnamed guest of the buyer",
            )
            continue
        seen_in_order.add(key)
        event_name = _clean(row, name_column) or default_name
        starts_at = option_date
        if date_column:
            raw = _clean(row, date_column)
            starts_at = parse_date(raw, EVENTBRITE_DATES) if raw else option_date
            if starts_at is None:
                yield Rejected(
                    row_number, f"unreadable event date {raw[:40]!r}" if raw else "no event date for this row; pass --event-date"
                )
                continue
        checked_in = _clean(row, "checked in") or _clean(row, "check-in date") or _clean(row, "checked in at")
        at = parse_date(checked_in, EVENTBRITE_DATES, fallback=False) if checked_in else None
        person = PersonRef(
            name=full,
            first_name=first,
            last_name=last,
            emails=(email,) if email else (),
            organization=_clean(row, "company"),
            title=_clean(row, "job title"),
            phones=tuple(p for p in (_clean(row, c) for c in phone_columns) if p),
        )
        event = EventRef(name=event_name, starts_at=starts_at, kind=kind)
        yield ParsedRow(row_number, (Attendance(person=person, event=event, at=at),))


IMPORTERS = (EventbriteImporter(),)
