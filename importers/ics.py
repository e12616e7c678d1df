"""iCalendar (.ics) files and Google Calendar exports (export-formats.md §7): meetings as evidence.

A row is one ``VEVENT``; its row number is the physical line of its ``BEGIN:VEVENT``. In a zip
or folder of calendars (Google's ``<account>.ical.zip`` holds one ``.ics`` per calendar) the
calendars are read in name order and row numbers run on across them: the rows of the second
calendar are numbered after the last line of the first (the job's notes give each calendar's
range).

What a VEVENT becomes:

* **A meeting**: ``Link(kind="meeting", channel="calendar", direction="mutual")`` from the
  owner to every other participant who accepted or tentatively accepted (the organizer counts as
  present unless they declined), timed at the occurrence's start (UTC) and referenced by
  ``UID|start``. When the owner is not a participant at all (a shared calendar), the links run
  from the organizer to the other participants instead.
* **An event**: a VEVENT with more than ``MAX_MEETING_SIZE`` (25) invitees who did not decline
  is not a meeting between people but an event; every present participant (the owner included)
  gets an ``Attendance`` of it (name = ``SUMMARY``, kind ``event`` unless ``--event-kind``).
* **Nothing** (``Skipped`` with the reason): ``STATUS:CANCELLED``; no organizer or attendee (a
  personal entry); the owner declined or never accepted; no other participant accepted; a start
  after the export date (not held yet); every VEVENT of a holiday, birthday or week-number
  calendar; a changed occurrence (``RECURRENCE-ID``) of a series in the same file, which is
  imported with its series.

Participants exclude rooms and resources (``CUTYPE=ROOM|RESOURCE``, and ``GROUP``: a list is not
a person), ``ROLE=NON-PARTICIPANT``, Google resource and group calendar addresses, and
``PARTSTAT=DECLINED``; ``NEEDS-ACTION`` and ``DELEGATED`` invitees are not evidence. A ``CN``
that is an email address is not a name.

**Recurring series** (``RRULE``/``RDATE`` with ``EXDATE`` and ``RECURRENCE-ID`` overrides sharing
the ``UID``) are expanded with recurring-ical-events, bounded: only occurrences up to the export
date, within the last ``MAX_SERIES_YEARS`` (2) years of the series up to then, and at most
``MAX_OCCURRENCES`` (750) per series, the latest kept (a series cut so is named in the job's
notes). The rules themselves are expanded under a work budget (``importers/_rrule.py``:
``SERIES_WORK`` steps and ``SERIES_SECONDS`` per series, counted in days examined, not in
occurrences found): a rule without COUNT starts at its last period before the window, whatever
its DTSTART (``FREQ=SECONDLY`` from years ago costs its window, not every second since), and
stops at the export date, so a rule that can never match (``BYMONTH=2;BYMONTHDAY=31``) ends
there; a COUNT is counted from DTSTART, and one too costly to count (``FREQ=SECONDLY;
COUNT=100000000`` long ago) is rejected with the reason. Each calendar's **export date** is its
latest ``DTSTAMP`` (Google stamps every event with the export time), else the latest start of a
single event; for an invitation (``METHOD:REQUEST``, ``REPLY``, ...: its DTSTAMP is when it was
sent) it is the import date. Occurrences after the export date have not been held and are not
evidence. Each occurrence is judged on its own (an override can cancel it or change who comes).

**The owner** (the ``source=None`` side) is ``--owner`` (an email, several separated by commas,
or a name matched against ``CN``), else the export's account: Google's ``<account>.ical.zip``
name, or the one calendar whose ``X-WR-CALNAME`` is an email address. Otherwise ``parse()``
raises ``MissingOwner`` before anything is written.

Files are streamed line by line with unfolding done on the fly; only the properties that matter
(times, recurrence, participants, status, summary, uid) are kept, so an event with a huge
description or an inline attachment costs no memory. Overrides and time zones are collected in
a first pass (their number, not the file, bounds the memory).
"""

from __future__ import annotations

import io
import re
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo
from pathlib import PurePosixPath
from typing import Any, Iterator
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
import recurring_ical_events
from dateutil.rrule import rrule, rrulestr

from graphsvc.errors import ImportFailed, MissingOwner
from importers._rrule import Budget, OverBudget, iterate
from importers.base import ImportOptions
from importers.names import split_name
from importers.records import Attendance, EventRef, Link, ParsedRow, ParsedSource, PersonRef, Record, Rejected, RowResult, Skipped
from importers.source import Member, Source
from importers.tables import _CountingReader

MAX_MEETING_SIZE = 25
MAX_SERIES_YEARS = 2
SERIES_WINDOW_DAYS = 730
MAX_OCCURRENCES = 750
#: The work one series' expansion may do: steps (days a rule examines, occurrences it yields;
#: ``importers/_rrule.py``) and wall-clock seconds. A rule that needs more (a huge COUNT counted
#: from long ago) is rejected with the reason; an open-ended one never does (it starts at the window).
SERIES_WORK = 200_000
SERIES_SECONDS = 10.0
#: Series cut to their latest occurrences are named in the job's notes, up to this many.
MAX_CUT_NOTES = 20
READ_CHARS = 64 * 1024
MAX_LINE_CHARS = 1024 * 1024
KEPT_PROPERTIES = {
    "UID", "DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID", "SUMMARY", "STATUS",
    "ORGANIZER", "ATTENDEE", "DTSTAMP", "SEQUENCE",
}
CALENDAR_PROPERTIES = {"X-WR-CALNAME", "X-WR-TIMEZONE", "PRODID", "METHOD"}
EXCLUDED_DOMAINS = ("@resource.calendar.google.com", "@group.calendar.google.com", "@group.v.calendar.google.com")
EXCLUDED_CUTYPES = {"ROOM", "RESOURCE", "GROUP"}
PRESENT = {"ACCEPTED", "TENTATIVE"}
SKIPPED_CALENDARS = re.compile(
    r"holiday|birthday|#contacts@|addressbook#|#weeknum@|week numbers|feiertag|festivos|jours f[eé]ri[eé]s", re.IGNORECASE
)
EMAIL = re.compile(r"^[^@\s:;,<>]+@[^@\s:;,<>]+\.[^@\s:;,<>]+$")
STAMP = re.compile(r"^(\d{8})(?:T(\d{6})(Z?))?$")


def _head_text(member: Member, size: int = 64 * 1024) -> str:
    with member.open() as fh:
        return fh.read(size).decode("utf-8-sig", errors="replace")


def _is_calendar(member: Member) -> bool:
    try:
        head = _head_text(member, 4096)
    except ImportFailed:
        return False
    return head.lstrip().upper().startswith("BEGIN:VCALENDAR")


def _calendar_members(source: Source) -> list[Member]:
    if not source.is_container:
        return [source.single] if _is_calendar(source.single) else []
    candidates = [m for m in source.members if m.name.lower().endswith((".ics", ".ical", ".ifb", ".icalendar"))]
    return sorted((m for m in candidates if _is_calendar(m)), key=lambda m: m.name.lower())


# --- streaming: physical lines -> unfolded logical lines -> components ---------------------------


class _Progress:
    bytes_read = 0


def _logical_lines(member: Member, progress: _Progress, keep: set[str] | None) -> Iterator[tuple[int, str]]:
    """(physical line of its start, unfolded line). Inside a VEVENT, lines whose property is not in
    ``keep`` are dropped as they stream (``keep`` None keeps everything), and a kept line longer
    than ``MAX_LINE_CHARS`` is cut there: an unfolded megabyte-long ATTACH never sits in memory."""
    depth_event = 0
    with io.TextIOWrapper(
        io.BufferedReader(_CountingReader(member.open(), progress)), encoding="utf-8-sig", errors="replace", newline=""
    ) as text:
        current: list[str] | None = None
        kept = 0
        start = number = 0
        at_line_start = True
        while chunk := text.readline(READ_CHARS):
            continued = not at_line_start  # the rest of a physical line longer than READ_CHARS
            at_line_start = chunk.endswith(("\n", "\r"))
            line = chunk.rstrip("\r\n")
            if not continued:
                number += 1
            if continued or line[:1] in (" ", "\t"):
                piece = line if continued else line[1:]
                if current is not None and kept + len(piece) <= MAX_LINE_CHARS:
                    current.append(piece)
                    kept += len(piece)
                continue
            if current is not None:
                yield start, "".join(current)
            current, start, kept = [line], number, len(line)
            upper = line.upper()
            if upper.startswith("BEGIN:VEVENT"):
                depth_event += 1
            elif upper.startswith("END:VEVENT"):
                depth_event = max(0, depth_event - 1)
            elif keep is not None and depth_event and not upper.startswith(("BEGIN:", "END:")):
                if _property_name(upper) not in keep:
                    current = None
        if current is not None:
            yield start, "".join(current)


def _property_name(line: str) -> str:
    match = re.match(r"[A-Za-z0-9-]+", line)
    return match.group(0).upper() if match else ""


@dataclass
class _Component:
    kind: str  # VEVENT or VTIMEZONE
    row: int
    lines: list[str]

    def text(self) -> str:
        return "\r\n".join(self.lines) + "\r\n"

    def values(self, name: str) -> list[str]:
        found = []
        for line in self.lines:
            if _property_name(line) == name:
                found.append(line.split(":", 1)[1] if ":" in line else "")
        return found


def _components(member: Member, progress: _Progress, calendar: dict[str, str], lines_seen: list[int]) -> Iterator[_Component]:
    """Top-level VEVENTs (without their VALARMs) and VTIMEZONEs; calendar properties go to ``calendar``."""
    stack: list[str] = []
    current: _Component | None = None
    last = 0
    for number, line in _logical_lines(member, progress, KEPT_PROPERTIES):
        last = number
        upper = line.upper()
        if upper.startswith("BEGIN:"):
            name = upper[6:].strip()
            stack.append(name)
            if current is None and name in ("VEVENT", "VTIMEZONE") and len(stack) == 2:
                current = _Component(name, number, [line])
            elif current is not None and (current.kind == "VTIMEZONE"):
                current.lines.append(line)
            continue
        if upper.startswith("END:"):
            name = upper[4:].strip()
            if stack and stack[-1] == name:
                stack.pop()
            if current is not None:
                if current.kind == "VTIMEZONE" or len(stack) == 1:
                    current.lines.append(line)
                if len(stack) == 1 and name == current.kind:
                    yield current
                    current = None
            continue
        if current is not None:
            if current.kind == "VTIMEZONE" or len(stack) == 2:  # a VEVENT's own lines, not its VALARM's
                current.lines.append(line)
        elif len(stack) == 1:
            prop = _property_name(line)
            if prop in CALENDAR_PROPERTIES and prop not in calendar:
                calendar[prop] = _unescape(line.split(":", 1)[1] if ":" in line else "")
    lines_seen.append(last)


def _unescape(value: str) -> str:
    return re.sub(r"\\([,;\\nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value).strip()


def _calendar_head(member: Member) -> dict[str, str]:
    """Calendar properties, read from the head (they precede the components)."""
    found: dict[str, str] = {}
    unfolded = re.sub(r"\r?\n[ \t]", "", _head_text(member))
    for line in unfolded.splitlines():
        upper = line.upper()
        if upper.startswith("BEGIN:") and not upper.startswith("BEGIN:VCALENDAR"):
            break
        prop = _property_name(line)
        if prop in CALENDAR_PROPERTIES and prop not in found:
            found[prop] = _unescape(line.split(":", 1)[1] if ":" in line else "")
    return found


# --- first pass: what the second pass needs to know -----------------------------------------------


@dataclass
class _CalendarFacts:
    member: Member
    calendar: dict[str, str]
    skip_reason: str = ""
    timezones: list[str] = field(default_factory=list)
    masters: dict[str, int] = field(default_factory=dict)  # UID of a recurring series -> its row
    overrides: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # UID -> VEVENT texts
    lines: int = 0
    events: int = 0
    #: Occurrences after it have not happened yet; series are expanded up to it.
    export_date: datetime = datetime.max.replace(tzinfo=timezone.utc)
    export_basis: str = ""


def _stamp(value: str) -> datetime | None:
    match = STAMP.match(value.strip())
    if not match:
        return None
    day, clock, _ = match.groups()
    try:
        return datetime.strptime(day + (clock or "000000"), "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def _survey(member: Member, calendar: dict[str, str], today: datetime) -> _CalendarFacts:
    facts = _CalendarFacts(member, dict(calendar))
    latest_stamp: datetime | None = None
    latest_single: datetime | None = None
    lines_seen: list[int] = []
    for component in _components(member, _Progress(), facts.calendar, lines_seen):
        if component.kind == "VTIMEZONE":
            facts.timezones.append(component.text())
            continue
        facts.events += 1
        uid = (component.values("UID") or [""])[0].strip()
        for value in component.values("DTSTAMP"):
            moment = _stamp(value)
            if moment and (latest_stamp is None or moment > latest_stamp):
                latest_stamp = moment
        if component.values("RECURRENCE-ID"):
            facts.overrides[uid].append(component.text())
        elif component.values("RRULE") or component.values("RDATE"):
            facts.masters.setdefault(uid, component.row)
        else:
            for value in component.values("DTSTART"):
                moment = _stamp(value)
                if moment and (latest_single is None or moment > latest_single):
                    latest_single = moment
    facts.lines = lines_seen[-1] if lines_seen else 0
    method = facts.calendar.get("METHOD", "").strip().upper()
    if method and method != "PUBLISH":
        facts.export_date, facts.export_basis = today, f"METHOD:{method} (an invitation, not an export): the import date"
    elif latest_stamp is not None:
        facts.export_date, facts.export_basis = latest_stamp, "its latest DTSTAMP"
    elif latest_single is not None:
        facts.export_date, facts.export_basis = latest_single, "its latest single event (no DTSTAMP)"
    else:
        facts.export_date, facts.export_basis = today, "the import date (no DTSTAMP)"
    name = facts.calendar.get("X-WR-CALNAME", "")
    for text in (name, PurePosixPath(member.name).name):
        if SKIPPED_CALENDARS.search(text):
            label = "birthday" if "birthday" in text.lower() or "contacts" in text.lower() else (
                "week-number" if "week" in text.lower() else "holiday"
            )
            facts.skip_reason = f"a {label} calendar ({name or member.name!r}): not meetings"
            break
    return facts


# --- the owner ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Owner:
    person: PersonRef
    emails: frozenset[str]
    name: str  # folded, when --owner gave a name


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def _owner(source: Source, members: list[Member], heads: list[dict[str, str]], options: ImportOptions, notes: list[str]) -> _Owner:
    if options.owner:
        parts = [p for p in re.split(r"[,;\s]+", options.owner.strip()) if p]
        if parts and all(EMAIL.match(p) for p in parts):
            emails = tuple(dict.fromkeys(p.lower() for p in parts))
            return _Owner(PersonRef(emails=emails), frozenset(emails), "")
        name = options.owner.strip()
        first, last = split_name(name)
        notes.append(f"owner given by name: matched against the participants' CN ({name!r})")
        return _Owner(PersonRef(name=name, first_name=first, last_name=last), frozenset(), _fold(name))
    match = re.match(r"^(.+@[^@]+?)\.ical\.zip$", PurePosixPath(source.name).name, re.IGNORECASE)
    if match and EMAIL.match(match.group(1)):
        email = match.group(1).lower()
        notes.append(f"owner from the export's name: {email}")
        return _Owner(PersonRef(emails=(email,)), frozenset({email}), "")
    accounts = sorted({
        head["X-WR-CALNAME"].strip().lower() for head in heads
        if EMAIL.match(head.get("X-WR-CALNAME", "").strip()) and not SKIPPED_CALENDARS.search(head["X-WR-CALNAME"])
    })
    if len(accounts) == 1:
        notes.append(f"owner from the calendar's name (X-WR-CALNAME): {accounts[0]}")
        return _Owner(PersonRef(emails=(accounts[0],)), frozenset(accounts), "")
    hint = f" (calendars named {', '.join(accounts)})" if accounts else ""
    raise MissingOwner(
        f"{source.name}: whose calendar is this{hint}? Pass --owner with the calendar owner's email address"
    )


# --- the importer ------------------------------------------------------------------------------------


class IcsImporter:
    name = "ics"
    description = "iCalendar .ics file, or a Google Calendar export (zip or folder of .ics): meetings"

    def sniff(self, source: Source) -> int:
        try:
            members = _calendar_members(source)
        except ImportFailed:
            return 0
        if not members:
            return 0
        return 95 if not source.is_container else 85

    def parse(self, source: Source, options: ImportOptions) -> ParsedSource:
        members = _calendar_members(source)
        if not members:
            raise ImportFailed(f"{source.name}: no iCalendar data (a file starting with BEGIN:VCALENDAR)")
        heads = [_calendar_head(m) for m in members]
        notes: list[str] = []
        owner = _owner(source, members, heads, options, notes)
        today = datetime.now(timezone.utc).replace(microsecond=0)
        surveys = [_survey(member, head, today) for member, head in zip(members, heads)]
        notes.append(
            f"recurring series expanded up to the export date, over at most {MAX_SERIES_YEARS} years "
            f"({SERIES_WINDOW_DAYS} days) and {MAX_OCCURRENCES} occurrences each; later occurrences are not held yet"
        )
        offset = 0
        for facts in surveys:
            label = facts.calendar.get("X-WR-CALNAME") or facts.member.name
            span = f"rows {offset + 1}-{offset + facts.lines}" if source.is_container else f"{facts.events} events"
            notes.append(
                f"calendar {label!r}: {span}; " + (
                    f"skipped: {facts.skip_reason}" if facts.skip_reason
                    else f"export date {facts.export_date.isoformat()} ({facts.export_basis})"
                )
            )
            offset += facts.lines
        kind = (options.event_kind or "event").strip().lower()
        progress = _Progress()
        done = [0]

        def rows() -> Iterator[RowResult]:
            done[0] = 0
            base = 0
            for facts in surveys:
                yield from _member_rows(facts, base, owner, kind, progress, notes)
                base += facts.lines
                done[0] += facts.member.size
                progress.bytes_read = 0

        return ParsedSource(
            format=self.name, owner=owner.person, rows=rows, notes=notes,
            size=sum(m.size for m in members), position=lambda: done[0] + progress.bytes_read,
        )


# --- second pass: VEVENT -> records -------------------------------------------------------------------


@dataclass
class _Participant:
    email: str
    name: str
    partstat: str
    organizer: bool = False

    def ref(self) -> PersonRef:
        first, last = split_name(self.name) if self.name else ("", "")
        name = f"{first} {last}".strip() if "," in self.name and first and last else self.name  # "Müller, Jürgen"
        return PersonRef(name=name, first_name=first, last_name=last, emails=(self.email,) if self.email else ())


def _member_rows(
    facts: _CalendarFacts, base: int, owner: _Owner, kind: str, progress: _Progress, notes: list[str]
) -> Iterator[RowResult]:
    floating = _floating_zone(facts.calendar.get("X-WR-TIMEZONE", ""))
    if facts.timezones and not facts.skip_reason:
        try:  # registers the file's own VTIMEZONEs (Outlook's "W. Europe Standard Time") with icalendar
            icalendar.Calendar.from_ical("BEGIN:VCALENDAR\r\n" + "".join(facts.timezones) + "END:VCALENDAR\r\n")
        except Exception:  # noqa: BLE001 - a broken VTIMEZONE leaves those times floating
            pass
    calendar: dict[str, str] = {}
    for component in _components(facts.member, progress, calendar, []):
        if component.kind != "VEVENT":
            continue
        row = base + component.row
        if facts.skip_reason:
            yield Skipped(row, facts.skip_reason)
            continue
        uid = (component.values("UID") or [""])[0].strip()
        if component.values("RECURRENCE-ID") and uid in facts.masters:
            yield Skipped(row, f"a changed occurrence of the recurring event on row {base + facts.masters[uid]} (imported with its series)")
            continue
        yield _event_row(row, component, facts, owner, facts.export_date, kind, floating, notes)


def _floating_zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name.strip()) if name.strip() else timezone.utc
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.utc


def _utc(value: Any, floating: tzinfo) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=floating)
        return value.astimezone(timezone.utc)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    raise ValueError(f"not a date: {value!r}")


def _event_row(
    row: int, component: _Component, facts: _CalendarFacts, owner: _Owner, export_date: datetime, kind: str, floating: tzinfo,
    notes: list[str],
) -> RowResult:
    uid = (component.values("UID") or [""])[0].strip()
    recurring = bool(component.values("RRULE") or component.values("RDATE")) and not component.values("RECURRENCE-ID")
    text = component.text() + ("".join(facts.overrides.get(uid, [])) if recurring else "")
    try:
        calendar = icalendar.Calendar.from_ical("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" + text + "END:VCALENDAR\r\n")
        master = calendar.walk("VEVENT")[0]
        if "DTSTART" not in master:
            return Rejected(row, "a VEVENT without DTSTART")
        start = _utc(master.decoded("DTSTART"), floating)
    except Exception as exc:  # noqa: BLE001 - icalendar raises many types on malformed input
        return Rejected(row, f"unreadable VEVENT ({type(exc).__name__}: {str(exc)[:120]})")
    if str(master.get("STATUS", "")).upper() == "CANCELLED":
        return Skipped(row, "a cancelled event (STATUS:CANCELLED)")
    if recurring:
        cut: list[str] = []
        try:
            occurrences = _occurrences(calendar, master, start, export_date, floating, cut)
        except OverBudget as exc:
            rule = "; ".join(str(line)[:80] for line in component.values("RRULE"))
            return Rejected(row, f"a recurrence rule too costly to expand ({rule}: {exc.reason} before its window); not imported")
        except Exception as exc:  # noqa: BLE001
            return Rejected(row, f"unreadable recurrence ({type(exc).__name__}: {str(exc)[:120]})")
        for text in cut:
            _note_cut(notes, f"row {row} (UID {uid[:80]!r}): {text}")
        if not occurrences:
            return Skipped(row, "a recurring event with no occurrence up to the export date")
    else:
        occurrences = [master]
    records: list[Record] = []
    reasons: list[str] = []
    for occurrence in occurrences:
        try:
            found = _occurrence_records(occurrence, uid, owner, export_date, kind, floating)
        except Exception as exc:  # noqa: BLE001 - one malformed VEVENT must not stop the calendar
            return Rejected(row, f"unreadable VEVENT ({type(exc).__name__}: {str(exc)[:120]})")
        if isinstance(found, str):
            reasons.append(found)
        else:
            records.extend(found)
    if records:
        return ParsedRow(row, tuple(records))
    reason = max(set(reasons), key=reasons.count)
    if recurring:
        reason = f"no occurrence is evidence ({len(occurrences)} occurrences; mostly: {reason})"
    return Skipped(row, reason)


def _occurrences(
    calendar: icalendar.Calendar, master: Any, start: datetime, export_date: datetime, floating: tzinfo, cut: list[str]
) -> list[Any]:
    """The occurrences of a recurring series that are evidence: up to the export date, over the
    series' last ``SERIES_WINDOW_DAYS`` up to then, at most ``MAX_OCCURRENCES`` (the latest).

    The RRULEs are expanded here under one ``Budget`` (``SERIES_WORK`` steps, ``SERIES_SECONDS``),
    an open-ended rule from its last period before the window (``importers/_rrule.py``); the
    occurrences found replace the RRULE by RDATEs, so recurring-ical-events only applies
    EXDATEs and overrides to a finite list. ``OverBudget`` escapes when the rule costs more than
    the budget (a huge COUNT counted from a DTSTART long ago); a series cut to its latest
    occurrences says so in ``cut``."""
    rules = master.get("RRULE")
    rules = [] if rules is None else rules if isinstance(rules, list) else [rules]
    original = master.decoded("DTSTART")
    dtstart = original if isinstance(original, datetime) else datetime(original.year, original.month, original.day)
    zone = dtstart.tzinfo if dtstart.tzinfo is not None else (floating if isinstance(original, datetime) else timezone.utc)

    def wall(moment: datetime) -> datetime:  # a UTC time as the rule's wall clock (naive or aware, like DTSTART)
        local = moment.astimezone(zone)
        return local if dtstart.tzinfo is not None else local.replace(tzinfo=None)

    def utc(value: datetime) -> datetime:
        return (value if value.tzinfo is not None else value.replace(tzinfo=zone)).astimezone(timezone.utc)

    budget = Budget(SERIES_WORK, SERIES_SECONDS)
    parsed = [_parse_rule(rule.to_ical().decode(), dtstart) for rule in rules]

    def expand(rule: rrule, jump: datetime | None, since: datetime) -> tuple[list[tuple[datetime, datetime]], int, datetime | None]:
        """(the latest MAX_OCCURRENCES occurrences from ``since`` up to the export date, how many
        there were, the last one)."""
        kept: deque[tuple[datetime, datetime]] = deque(maxlen=MAX_OCCURRENCES)
        seen, last = 0, None
        for value in iterate(rule, budget, stop=wall(export_date), jump_to=jump):
            budget.spend()
            moment = utc(value)
            if moment > export_date:
                break
            last = moment
            if moment >= since:
                kept.append((moment, value))
                seen += 1
        return list(kept), seen, last

    # A COUNT is counted from DTSTART: those rules run from there and tell where the series ends.
    counted = {i: expand(rule, None, start) for i, rule in enumerate(parsed) if rule._count is not None}
    ends: list[datetime | None] = []
    for i, rule in enumerate(rules):
        if i in counted:
            ends.append(counted[i][2] or start)
        elif "UNTIL" in rule:
            ends.append(_utc(rule["UNTIL"][0], floating))
        else:
            ends.append(None)  # open-ended
    window_start = start
    if rules:
        # a day after the series' end (an UNTIL in the year 9999 is the export date's business)
        anchor = export_date if None in ends else min(export_date, min(export_date, max(e for e in ends if e)) + timedelta(days=1))
        window_start = max(start, anchor - timedelta(days=SERIES_WINDOW_DAYS), anchor - _span_of(master, MAX_OCCURRENCES))
        found: dict[datetime, datetime] = {}
        seen = 0
        for i, rule in enumerate(parsed):
            # any other rule starts at its last period before the window (two hours of slack: DST)
            kept, count, _ = counted[i] if i in counted else expand(rule, wall(window_start) - timedelta(hours=2), window_start)
            kept = [(moment, value) for moment, value in kept if moment >= window_start]
            if i in counted:  # how many of a COUNT's occurrences fell in the window: more than kept when its deque was full
                count = count if len(counted[i][0]) == MAX_OCCURRENCES and kept and kept[0] == counted[i][0][0] else len(kept)
            seen += count
            found.update(kept)
        chosen = sorted(found)[-MAX_OCCURRENCES:]
        if seen > len(chosen) and len(chosen) == MAX_OCCURRENCES:
            cut.append(f"the latest {MAX_OCCURRENCES} of its occurrences kept (from {chosen[0].date().isoformat()})")
        del master["RRULE"]  # the occurrences found stand in for the rule
        values = [found[moment] for moment in chosen]
        if not isinstance(original, datetime):
            values = [value.date() for value in values]
        if values:
            master.add("RDATE", values)
    found_occurrences = recurring_ical_events.of(calendar).between(window_start, export_date + timedelta(seconds=1))  # end included
    dated = []
    for occurrence in found_occurrences:
        moment = _utc(occurrence.decoded("DTSTART"), floating)
        if window_start <= moment <= export_date:
            dated.append((moment, occurrence))
    dated.sort(key=lambda pair: pair[0])
    return [occurrence for _, occurrence in dated[-MAX_OCCURRENCES:]]


def _note_cut(notes: list[str], text: str) -> None:
    listed = sum(note.startswith("row ") and "occurrences kept" in note for note in notes)
    if listed < MAX_CUT_NOTES:
        notes.append(text)
    elif listed == MAX_CUT_NOTES and not any(note.startswith("more recurring series were cut") for note in notes):
        notes.append(f"more recurring series were cut to their latest {MAX_OCCURRENCES} occurrences (only the first {MAX_CUT_NOTES} are listed)")


def _parse_rule(text: str, dtstart: datetime) -> rrule:
    """The RRULE as dateutil reads it, from ``dtstart``. An UNTIL in UTC with a floating DTSTART
    (or a floating UNTIL with a zoned one), which dateutil refuses, is read in DTSTART's terms."""
    try:
        return rrulestr(text, dtstart=dtstart, cache=False)
    except ValueError:
        match = re.search(r"UNTIL=(\d{8}(?:T\d{6})?)(Z?)", text)
        if not match:
            raise
        until, zulu = match.groups()
        if dtstart.tzinfo is None:
            fixed = until
        else:
            fixed = (until if "T" in until else until + "T000000") + "Z"
        return rrulestr(text[: match.start()] + "UNTIL=" + fixed + text[match.end() :], dtstart=dtstart, cache=False)


PERIODS = {
    "SECONDLY": timedelta(seconds=1), "MINUTELY": timedelta(minutes=1), "HOURLY": timedelta(hours=1),
    "DAILY": timedelta(days=1), "WEEKLY": timedelta(days=7), "MONTHLY": timedelta(days=28), "YEARLY": timedelta(days=365),
}


def _span_of(master: Any, occurrences: int) -> timedelta:
    """The shortest time ``occurrences`` periods of the series' rule can take: no need to expand further back."""
    rules = master.get("RRULE")
    spans = []
    for rule in rules if isinstance(rules, list) else [rules] if rules is not None else []:
        period = PERIODS.get(str((rule.get("FREQ") or ["DAILY"])[0]).upper(), timedelta(days=1))
        interval = int((rule.get("INTERVAL") or [1])[0] or 1)
        spans.append(period * interval * occurrences)
    return min(spans) if spans else timedelta(days=SERIES_WINDOW_DAYS)


def _address(value: Any) -> str:
    text = str(value).strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    return text.strip().lower()


def _participants(occurrence: Any) -> tuple[list[_Participant], int]:
    """The people invited (resources, rooms and non-participants left out), and how many did not decline."""
    people: dict[str, _Participant] = {}
    organizer = occurrence.get("ORGANIZER")
    if isinstance(organizer, list):  # a repeated ORGANIZER: the first one counts
        organizer = organizer[0] if organizer else None
    organizer_email = ""
    if organizer is not None:
        organizer_email = _address(organizer)
        name = _display_name(organizer.params.get("CN", ""), organizer_email)
        if _is_person_address(organizer_email) or (name and not organizer_email):
            people[organizer_email or f"cn:{_fold(name)}"] = _Participant(organizer_email, name, "ACCEPTED", organizer=True)
    attendees = occurrence.get("ATTENDEE", [])
    for attendee in attendees if isinstance(attendees, list) else [attendees]:
        params = attendee.params
        if str(params.get("CUTYPE", "INDIVIDUAL")).upper() in EXCLUDED_CUTYPES:
            continue
        if str(params.get("ROLE", "")).upper() == "NON-PARTICIPANT":
            continue
        email = _address(attendee)
        name = _display_name(params.get("CN", ""), email)
        if not _is_person_address(email):
            if EMAIL.match(email) or not name:
                continue  # a resource or group calendar, or nobody at all
            email = ""  # "invalid:nomail" with a name
        key = email or f"cn:{_fold(name)}"
        partstat = str(params.get("PARTSTAT", "NEEDS-ACTION")).upper()
        existing = people.get(key)
        if existing is not None and existing.organizer:
            existing.partstat = partstat if partstat == "DECLINED" else "ACCEPTED"
            existing.name = existing.name or name
            continue
        people[key] = _Participant(email, name, partstat)
    invited = sum(p.partstat != "DECLINED" for p in people.values())
    return list(people.values()), invited


def _display_name(cn: Any, email: str) -> str:
    name = str(cn or "").strip().strip('"').strip()
    if not name or "@" in name or name.lower() == email:
        return ""
    return name


def _is_person_address(email: str) -> bool:
    return bool(EMAIL.match(email)) and not email.endswith(EXCLUDED_DOMAINS)


def _is_owner(person: _Participant, owner: _Owner) -> bool:
    if person.email and person.email in owner.emails:
        return True
    return bool(owner.name) and _fold(person.name) == owner.name


def _occurrence_records(
    occurrence: Any, uid: str, owner: _Owner, export_date: datetime, kind: str, floating: tzinfo
) -> list[Record] | str:
    if str(occurrence.get("STATUS", "")).upper() == "CANCELLED":
        return "a cancelled occurrence (STATUS:CANCELLED)"
    at = _utc(occurrence.decoded("DTSTART"), floating)
    if at > export_date:
        return "starts after the export date (not held yet)"
    people, invited = _participants(occurrence)
    if not people:
        return "no organizer or attendees: a personal calendar entry"
    owners = [p for p in people if _is_owner(p, owner)]
    others = [p for p in people if not _is_owner(p, owner)]
    if owners and all(p.partstat == "DECLINED" for p in owners):
        return "the owner declined (PARTSTAT=DECLINED)"
    present = [p for p in others if p.partstat in PRESENT]
    ref = f"{uid}|{at.isoformat()}"
    if invited > MAX_MEETING_SIZE:
        summary = str(occurrence.get("SUMMARY", "")).strip() or "(untitled event)"
        event = EventRef(name=summary, starts_at=at, kind=kind)
        attending = [p.ref() for p in present]
        if owners and any(p.partstat in PRESENT for p in owners):
            attending.insert(0, owner.person)
        if not attending:
            return "nobody accepted"
        return [Attendance(person=person, event=event, at=at) for person in attending]
    if owners:
        if not any(p.partstat in PRESENT for p in owners):
            return f"the owner did not accept (PARTSTAT={owners[0].partstat})"
        if not present:
            return "no other participant accepted"
        return [
            Link(kind="meeting", channel="calendar", source=None, target=p.ref(), at=at, direction="mutual", ref=ref)
            for p in present
        ]
    organizer = next((p for p in people if p.organizer), None)
    if organizer is None:
        return "the owner is not a participant and the event has no organizer"
    targets = [p for p in present if p is not organizer]
    if not targets:
        return "no participant besides the organizer accepted"
    return [
        Link(kind="meeting", channel="calendar", source=organizer.ref(), target=p.ref(), at=at, direction="mutual", ref=ref)
        for p in targets
    ]


IMPORTERS = (IcsImporter(),)
