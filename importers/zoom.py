"""Zoom reports (export-formats.md §6.4): webinar attendee report and meeting participants report.

Both are CSVs whose data does not start on line 1:

* **Webinar attendee report**: a preamble (``Attendee Report`` / ``Attendee Report,``, ``Report
  Generated:,<date>`` or ``Report generated time,<date>``), a summary block (``Topic,Webinar
  ID,Actual Start Time,...`` and one row of values), then sections (``Host Details``, ``Panelist
  Details``, ``Attendee Details``, ``Other Attended``, ...), each a title row followed by its own
  header row and its rows, all padded with trailing commas to the widest section.
* **Meeting participants report**: optionally a summary block (``Meeting ID,Topic,Start
  Time,...``, one row, a blank line), then ``Name (Original Name),User Email,Join Time,...``.
  Older variants lack ``Recording Consent``, say ``Total Duration (Minutes)``, or repeat
  ``Topic,Meeting ID`` in front of every row.

Rules:

* The rows are streamed once to find the rejoins and once to import; only each person's
  earliest join per event is remembered (memory grows with distinct attendees, never with rows).
* **Rejoins are one attendance**: every join session row of a person (same email, else same
  name) is imported, and all of them carry the same attendance, timed at the person's earliest
  join, so the event gets one ``attended`` evidence per person.
* Hosts and panelists attended their own webinar: their rows are attendances like any other.
  ``Attended = No`` (registered, never joined: ``--`` times) is skipped. A dial-in caller known
  only by a valid phone number is a person keyed by that number; a masked or invalid number
  without a name or email is skipped as anonymous.
* ``User Name (Original Name)`` is ``display (original)``: the original (account) name is kept
  as the name unless first/last columns say otherwise (``(he/him)``-style pronouns are not names).
* The event's name, date and kind come from the report: the summary's ``Topic`` and ``Actual
  Start Time`` / ``Start Time`` (or per-row ``Topic`` / ``Start Time`` columns), kind
  ``webinar`` or ``meeting``. What the report lacks comes from ``--event-name`` /
  ``--event-date`` / ``--event-kind``; then the name falls back to the file name and the date to
  the earliest join. Dates are in the account's timezone with no marker and are read as UTC, like
  every unmarked date (``importers.dates``); a time-only join (``18:14``) takes the event's day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Iterator

import phonenumbers

from graphsvc.errors import ImportFailed, MissingEventInfo
from importers.base import ImportOptions
from importers.dates import parse_date
from importers.names import split_name
from importers.records import Attendance, EventRef, ParsedRow, ParsedSource, PersonRef, Rejected, RowResult, Skipped
from importers.signin_sheet import EMAIL_SHAPE, PLACEHOLDERS, _event_name_from_file, _option_date
from importers.source import Source
from importers.tables import Table, locate_table, normalise_header

ZOOM_DATES = (
    "%b %d, %Y %H:%M:%S",
    "%b %d, %Y %I:%M:%S %p",
    "%b %d, %Y %I:%M %p",
    "%b %d, %Y %H:%M",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%SZ",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
)
TIME_ONLY = re.compile(r"^\d{1,2}:\d{2}(:\d{2})?(\s?[AaPp][Mm])?$")
NAME_COLUMNS = ("user name (original name)", "name (original name)", "participant", "user name", "name", "display name")
EMAIL_COLUMNS = ("email", "user email", "attendee email", "participant email")
START_COLUMNS = ("actual start time", "start time", "scheduled time")
PREAMBLE = ("attendee report", "report generated:", "report generated", "report generated time")
SECTION_TITLE = re.compile(r"(details|attended|attendees|participants|panelists|hosts|report|summary)$")
PRONOUNS = re.compile(r"^\s*(he|she|they|ze|xe)\s*/\s*\w+\s*$", re.IGNORECASE)
#: Wide enough for any section plus its registration questions; cells past it are refused as malformed.
RAW_WIDTH = 512


def _is_person_header(cells: list[str]) -> bool:
    return "join time" in cells and any(c in cells for c in NAME_COLUMNS + EMAIL_COLUMNS)


def _is_summary_header(cells: list[str]) -> bool:
    return "topic" in cells and ("webinar id" in cells or "meeting id" in cells) and "join time" not in cells


def _is_start(cells: list[str]) -> bool:
    """The first row Zoom writes: the report title, a summary header or the participants header."""
    return (bool(cells) and cells[0] in ("attendee report",)) or _is_summary_header(cells) or _is_person_header(cells)


def _raw(table: Table) -> Table:
    """The rows under ``table``'s first row, keyed by column index: sections have headers of their own."""
    return Table(table.member, table.encoding, table.delimiter, [str(i) for i in range(RAW_WIDTH)], table.header_row)


def _cells(record: dict[str, str]) -> list[str]:
    return [record[str(i)] for i in range(len(record))]


def _placeholder(value: str) -> str:
    value = value.strip()
    return "" if value.lower() in PLACEHOLDERS else value


@dataclass
class ReportInfo:
    kind: str  # "webinar" or "meeting"
    topic: str = ""
    start: datetime | None = None
    start_raw: str = ""


@dataclass
class Session:
    """One join session of one person."""

    row: int
    event: str
    key: str
    person: PersonRef
    join: datetime | None
    per_row_start: datetime | None


class ZoomImporter:
    name = "zoom"
    description = "Zoom webinar attendee report or meeting participants report (CSV with preamble and sections)"

    def sniff(self, source: Source) -> int:
        if source.is_container:
            return 0
        try:
            table = locate_table(source.single, _is_start, max_scan=10)
            if table is None:
                return 0
            if _is_person_header(table.header) or any(
                _is_person_header([normalise_header(c) for c in cells]) for _, cells in _head(table, 80)
            ):
                return 95
        except ImportFailed:
            return 0
        return 0

    def parse(self, source: Source, options: ImportOptions) -> ParsedSource:
        if source.is_container:
            raise ImportFailed(f"{source.name}: a Zoom report is a single CSV file, not an archive")
        table = locate_table(source.single, _is_start, max_scan=10)
        if table is None:
            raise ImportFailed(
                f"{source.name}: not a Zoom report: no 'Attendee Report' title, summary ('Topic', 'Webinar ID' / "
                "'Meeting ID') or participants header ('Name (Original Name)', 'Join Time', ...) in the first rows"
            )
        info = _report_info(table)
        notes = [f"Zoom {info.kind} report" + (f": {info.topic!r}" if info.topic else "")]
        if info.start_raw and info.start is None:
            raise ImportFailed(f"{source.name}: unreadable start time {info.start_raw[:40]!r} in the report's summary")
        if info.topic and options.event_name:
            notes.append("--event-name ignored: the report names its topic")
        if info.start and options.event_date:
            notes.append("--event-date ignored: the report gives its start time")
        person_header = _first_person_header(table)
        default_name = info.topic or options.event_name or _event_name_from_file(source.name)
        if "topic" in person_header:
            notes.append("event name from each row's 'Topic'")
        elif not info.topic and not options.event_name:
            notes.append(f"event name taken from the file name: {default_name!r}")
        option_date = _option_date(options)
        kind = info.kind if info.topic or not options.event_kind else options.event_kind.strip().lower()
        default_start = info.start or option_date
        if default_start is None and not any(c in person_header for c in START_COLUMNS):
            earliest = _earliest_joins(table, default_name, None)
            if not earliest:
                raise MissingEventInfo(
                    f"{source.name}: the report has no start time and no readable join time; pass --event-date YYYY-MM-DD"
                )
            notes.append("event date taken from the earliest join")

        def rows() -> Iterator[RowResult]:
            return _attendances(table, default_name, default_start, kind)

        return ParsedSource(
            format=self.name, owner=None, rows=rows, notes=notes, size=source.single.size,
            position=lambda: table.bytes_read,
        )


def _head(table: Table, limit: int) -> Iterator[tuple[int, list[str]]]:
    raw = _raw(table)
    for i, item in enumerate(raw.rows()):
        if i >= limit:
            return
        if not isinstance(item, Rejected):
            yield item[0], _cells(item[1])


def _report_info(table: Table) -> ReportInfo:
    kind = "webinar" if table.header and table.header[0] == "attendee report" else "meeting"
    summary: list[str] | None = table.header if _is_summary_header(table.header) else None
    for _, cells in _head(table, 20):
        normalised = [normalise_header(c) for c in cells]
        if summary is not None:
            values = dict(zip(summary, cells))
            start_column = next((c for c in START_COLUMNS if c in values), None)
            start_raw = _placeholder(values.get(start_column, "")) if start_column else ""
            if "webinar id" in summary:
                kind = "webinar"
            return ReportInfo(kind, _placeholder(values.get("topic", "")), _zoom_date(start_raw), start_raw)
        if _is_summary_header(normalised):
            summary = normalised
        elif _is_person_header(normalised):
            break
    return ReportInfo(kind)


def _first_person_header(table: Table) -> list[str]:
    if _is_person_header(table.header):
        return table.header
    for _, cells in _head(table, 40):
        normalised = [normalise_header(c) for c in cells]
        if _is_person_header(normalised):
            return normalised
    return []


def _zoom_date(value: str, day: datetime | None = None) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    if TIME_ONLY.match(value):
        if day is None:
            return None
        for fmt in ("%H:%M:%S", "%H:%M", "%I:%M:%S %p", "%I:%M %p", "%I:%M:%S%p", "%I:%M%p"):
            try:
                moment = datetime.strptime(value.upper(), fmt)
            except ValueError:
                continue
            return day.replace(hour=moment.hour, minute=moment.minute, second=moment.second, microsecond=0)
        return None
    return parse_date(value, ZOOM_DATES, fallback=False)


def _split_display(value: str) -> tuple[str, str]:
    """``Grace H (Grace Hollis)`` -> (``Grace H``, ``Grace Hollis``); pronouns are not an original name."""
    match = re.match(r"^(.*?)\s*\(([^()]*)\)\s*$", value)
    if not match or not match.group(1).strip() or PRONOUNS.match(match.group(2)):
        return value, ""
    return match.group(1).strip(), match.group(2).strip()


def _phone_caller(name: str) -> str:
    """A valid phone number shown as the participant's name (a dial-in caller), else ""."""
    digits = re.sub(r"[\s().-]", "", name)
    if not re.fullmatch(r"\+?\d{7,15}", digits):
        return ""
    try:
        parsed = phonenumbers.parse(digits, None if digits.startswith("+") else "US")
    except phonenumbers.NumberParseException:
        return ""
    return digits if phonenumbers.is_valid_number(parsed) else ""


def _sessions(table: Table, default_name: str, default_start: datetime | None) -> Iterator[Session | Rejected | Skipped]:
    """Every person row of every section, as a ``Session`` or the reason it is none."""
    header: list[str] | None = table.header if _is_person_header(table.header) else None
    summary_pending = _is_summary_header(table.header)
    for item in _raw(table).rows():
        if isinstance(item, Rejected):
            yield item
            continue
        row_number, record = item
        cells = _cells(record)
        normalised = [normalise_header(c) for c in cells]
        if summary_pending:  # the summary's one row of values
            summary_pending = False
            continue
        if _is_summary_header(normalised):
            summary_pending, header = True, None
            continue
        if _is_person_header(normalised):
            header = normalised
            continue
        if normalised and normalised[0] in PREAMBLE:
            continue
        if sum(bool(c.strip()) for c in cells) == 1 and SECTION_TITLE.search(normalised[0]):
            header = None  # "Host Details", "Panelist Details", "Attendee Details", "Other Attended", ...
            continue
        if header is None:
            continue  # summary or preamble material, not a person
        row: dict[str, str] = {}
        for name, value in zip(header, cells):
            if name and name not in row:  # duplicated headers: the first one wins, as in tables.py
                row[name] = value
        yield _session(row_number, row, default_name, default_start)


def _session(row_number: int, row: dict[str, str], default_name: str, default_start: datetime | None) -> Session | Rejected | Skipped:
    if row.get("attended", "").strip().lower() == "no":
        return Skipped(row_number, "registered but did not attend (Attended = No)")
    event_name = _placeholder(row.get("topic", "")) or default_name
    per_row_raw = next((_placeholder(row[c]) for c in START_COLUMNS if c in row and _placeholder(row[c])), "")
    per_row_start = _zoom_date(per_row_raw) if per_row_raw else None
    if per_row_raw and per_row_start is None:
        return Rejected(row_number, f"unreadable start time {per_row_raw[:40]!r}")
    email = next((_placeholder(row[c]) for c in EMAIL_COLUMNS if c in row and _placeholder(row[c])), "").lower()
    if email and not EMAIL_SHAPE.match(email):
        return Rejected(row_number, f"invalid email {email[:80]!r}")
    shown = next((_placeholder(row[c]) for c in NAME_COLUMNS if c in row and _placeholder(row[c])), "")
    display, original = _split_display(shown)
    first, last = _placeholder(row.get("first name", "")), _placeholder(row.get("last name", ""))
    name = f"{first} {last}".strip() if (first or last) else (original or display)
    if not (first or last) and name:
        first, last = split_name(name)
    phone = "" if email else _phone_caller(name)
    if phone:
        first, last = "", ""  # the number as Zoom shows it names the caller
    elif not email and name and re.fullmatch(r"[\d\s()+*.#-]+", name):
        return Skipped(row_number, "an anonymous dial-in caller (no name, email or valid phone number)")
    if not (email or phone or re.search(r"\w", name)):
        return Rejected(row_number, "no name and no email")
    join_raw = _placeholder(row.get("join time", ""))
    join = _zoom_date(join_raw, per_row_start or default_start) if join_raw else None
    if join_raw and join is None and not TIME_ONLY.match(join_raw):
        return Rejected(row_number, f"unreadable join time {join_raw[:40]!r}")
    person = PersonRef(
        name=name, first_name=first, last_name=last, emails=(email,) if email else (), phones=(phone,) if phone else (),
    )
    key = f"email:{email}" if email else (f"phone:{phone}" if phone else f"name:{' '.join(name.casefold().split())}")
    return Session(row_number, event_name, key, person, join, per_row_start)


def _earliest_joins(table: Table, default_name: str, default_start: datetime | None) -> dict[tuple[str, str], datetime]:
    """(event, person key) -> earliest join, and (event, "") -> the event's earliest join."""
    earliest: dict[tuple[str, str], datetime] = {}
    for session in _sessions(table, default_name, default_start):
        if not isinstance(session, Session) or session.join is None:
            continue
        for key in ((session.event, session.key), (session.event, "")):
            if key not in earliest or session.join < earliest[key]:
                earliest[key] = session.join
    return earliest


def _attendances(table: Table, default_name: str, default_start: datetime | None, kind: str) -> Iterator[RowResult]:
    earliest = _earliest_joins(table, default_name, default_start)
    for session in _sessions(table, default_name, default_start):
        if not isinstance(session, Session):
            yield session
            continue
        starts_at = session.per_row_start or default_start or earliest.get((session.event, ""))
        if starts_at is None:
            yield Rejected(session.row, "no event date for this row; pass --event-date")
            continue
        event = EventRef(name=session.event, starts_at=starts_at, kind=kind)
        at = earliest.get((session.event, session.key), session.join)
        yield ParsedRow(session.row, (Attendance(person=session.person, event=event, at=at),))


IMPORTERS = (ZoomImporter(),)
