"""iCalendar files and Google Calendar exports (export-formats.md §7), from tests/fixtures/calendar/.

Each calendar goes through ``graphsvc.imports.jobs.import_file`` into a fresh SQLite store; counts are
exact, and row numbers are the physical line of each ``BEGIN:VEVENT`` (running on across the
calendars of a zip or folder, in name order).
"""

from __future__ import annotations

import shutil
import tracemalloc
import zipfile
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path


import pytest

import importers
from graphsvc.errors import MissingOwner
from graphsvc.imports.jobs import import_file
from graphsvc.model import Channel, EvidenceKind, ImportJob, JobStatus
from graphsvc.snapshot import build_snapshot
from graphsvc.store import SQLiteStore
from importers import Attendance, ImportOptions, Link, ParsedRow, Source
from importers.ics import MAX_OCCURRENCES

FIXTURES = Path(__file__).parent / "fixtures" / "calendar"
GOOGLE = FIXTURES / "google_primary.ics"
OUTLOOK = FIXTURES / "outlook_request.ics"
EXPORT = FIXTURES / "google_export"
UTC = timezone.utc
OWNER = "grace@northwind.example"


def _import(store: SQLiteStore, ws: str, path: Path, **options: str) -> ImportJob:
    return import_file(store, ws, path, options=ImportOptions(**options))


def _kinds(store: SQLiteStore, ws: str) -> Counter[str]:
    return Counter(e.kind.value for e in store.iter_evidence(ws))


def _records(path: Path, **options: str) -> dict[int, object]:
    parsed = importers.get("ics").parse(Source.from_path(path), ImportOptions(**options))
    return {item.row: (item.records if isinstance(item, ParsedRow) else item) for item in parsed.rows()}


def _people(store: SQLiteStore, ws: str) -> set[str]:
    return {p.display_name for p in store.search_people(ws, None, 1000)}


ALL_HANDS = {"Olivia Okafor", *(f"Alex{i:02d} Northwind" for i in range(1, 26))}
GOOGLE_PEOPLE = {
    OWNER, "Lee Chen", "Priya Raman", "Ana Ruiz", "Marcus O'Brien", "Zoe Angstrom", "Bruno Silva", "Carla Mendes",
    "Frank Ng", *ALL_HANDS,
}
GOOGLE_SKIPPED = {
    26: "no other participant accepted",
    87: "a changed occurrence of the recurring event on row 76 (imported with its series)",
    128: "a cancelled event (STATUS:CANCELLED)",
    138: "no organizer or attendees: a personal calendar entry",
    146: "the owner declined (PARTSTAT=DECLINED)",
    156: "starts after the export date (not held yet)",
}
GOOGLE_REJECTED = {165: "unreadable VEVENT (ValueError: not a date: 'notadate')"}


@dataclass(frozen=True)
class Expected:
    path: Path
    options: dict[str, str]
    read: int
    imported: int
    rejected: dict[int, str]
    skipped: dict[int, str]
    people: frozenset[str]
    meetings: int
    attended: int = 0


EXPORT_SKIPPED = {
    5: "a birthday calendar ('Birthdays'): not meetings",
    36: "a holiday calendar ('Holidays in United Kingdom'): not meetings",
    43: "a holiday calendar ('Holidays in United Kingdom'): not meetings",
}
CASES = [
    Expected(
        GOOGLE, {}, read=14, imported=7, rejected=GOOGLE_REJECTED, skipped=GOOGLE_SKIPPED,
        people=frozenset(GOOGLE_PEOPLE), meetings=1 + 2 + 5 + 104 + 1 + 1, attended=27,
    ),
    Expected(
        OUTLOOK, {"owner": "ana@example.com"}, read=3, imported=2, rejected={},
        skipped={67: "the owner did not accept (PARTSTAT=NEEDS-ACTION)"},
        people=frozenset({"ana@example.com", "Jürgen Müller", "Lee Chen"}), meetings=2 + 8,
    ),
    Expected(
        EXPORT, {}, read=6, imported=3, rejected={}, skipped=EXPORT_SKIPPED,
        people=frozenset({OWNER, "Sam Okafor", "Lee Chen", "Priya Raman"}), meetings=2 + 1 + 1,
    ),
]
IDS = [c.path.name for c in CASES]


# --- whole-file imports: exact counts ------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_each_calendar_imports_with_exact_rows_people_and_evidence(store: SQLiteStore, ws: str, case: Expected) -> None:
    job = _import(store, ws, case.path, **case.options)

    assert job.status is JobStatus.COMPLETED and job.format == "ics"
    assert (job.rows_read, job.rows_imported, job.rows_rejected, job.rows_skipped) == (
        case.read, case.imported, len(case.rejected), len(case.skipped),
    )
    assert store.count_people(ws, None) == len(case.people)
    assert _people(store, ws) == case.people
    assert store.count_evidence(ws) == case.meetings + case.attended
    assert _kinds(store, ws) == Counter({"meeting": case.meetings, "attended": case.attended}) - Counter()
    for e in store.iter_evidence(ws):
        assert e.at is not None and e.direction == "mutual"
        assert (e.kind, e.channel) in {(EvidenceKind.MEETING, Channel.CALENDAR), (EvidenceKind.ATTENDED, Channel.EVENT)}
    assert len(store.member_ids(ws)) == 1  # the calendar's owner


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_rejected_and_skipped_vevents_are_reported_by_the_line_of_begin_vevent(
    store: SQLiteStore, ws: str, case: Expected
) -> None:
    job = _import(store, ws, case.path, **case.options)

    found = {r.row: (r.reason, r.skipped) for r in store.rejects(job.id)}
    assert found == {
        **{row: (reason, False) for row, reason in case.rejected.items()},
        **{row: (reason, True) for row, reason in case.skipped.items()},
    }
    lines = GOOGLE.read_text().splitlines()
    assert all(lines[row - 1] == "BEGIN:VEVENT" for row in (*GOOGLE_SKIPPED, *GOOGLE_REJECTED))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_importing_the_same_calendar_again_changes_nothing(store: SQLiteStore, ws: str, case: Expected) -> None:
    first = _import(store, ws, case.path, **case.options)
    before = (store.count_people(ws, None), store.count_evidence(ws), store.data_version(ws))

    again = _import(store, ws, case.path, **case.options)

    assert again.id == first.id and again.finished_at == first.finished_at
    assert (store.count_people(ws, None), store.count_evidence(ws), store.data_version(ws)) == before


# --- what a meeting is -----------------------------------------------------------------------------


def test_links_run_from_the_owner_to_each_accepted_or_tentative_participant() -> None:
    rows = _records(GOOGLE)

    (coffee,) = rows[48]
    assert isinstance(coffee, Link) and coffee.source is None
    assert (coffee.kind, coffee.channel, coffee.direction) == ("meeting", "calendar", "mutual")
    assert coffee.target.emails == ("lee@example.com",) and coffee.target.name == "Lee Chen"
    assert coffee.at == datetime(2025, 1, 10, 9, 0, tzinfo=UTC)
    assert coffee.ref == "coffee-lee-001@google.com|2025-01-10T09:00:00+00:00"

    board = rows[60]  # declined, room, group calendar, non-participant and resource are left out
    assert [link.target.emails for link in board] == [("priya@example.org",), ("ana@example.com",)]  # folded mid-email
    assert board[0].at == datetime(2025, 2, 12, 14, 0, tzinfo=UTC)  # TZID=Europe/London, winter


def test_time_forms_all_day_floating_and_tzid_become_utc() -> None:
    rows = _records(GOOGLE)
    assert rows[109][0].at == datetime(2025, 2, 18, tzinfo=UTC)  # VALUE=DATE
    assert rows[118][0].at == datetime(2024, 7, 20, 17, 30, tzinfo=UTC)  # floating, read in X-WR-TIMEZONE (BST)
    outlook = _records(OUTLOOK, owner="ana@example.com")
    assert outlook[21][0].at == datetime(2025, 6, 12, 8, 0, tzinfo=UTC)  # the file's own "W. Europe Standard Time"


def test_a_recurring_series_is_expanded_with_exdate_and_overrides() -> None:
    weekly = _records(GOOGLE)[76]

    assert [(link.at.date().isoformat(), link.target.emails[0]) for link in weekly] == [
        ("2025-01-06", "marcus@example.com"),
        # 01-13 is an EXDATE; 01-20 moved to 01-21, Marcus declined it and Zoe came
        ("2025-01-21", "zoe@example.se"),
        ("2025-01-27", "marcus@example.com"),
        ("2025-02-03", "marcus@example.com"),
        ("2025-02-10", "marcus@example.com"),
    ]
    assert len({link.ref for link in weekly}) == 5


def test_an_endless_series_is_expanded_over_the_two_years_before_the_export_date() -> None:
    mondays = _records(GOOGLE)[98]

    export = datetime(2025, 3, 7, 13, 22, 7, tzinfo=UTC)  # the latest DTSTAMP
    assert len(mondays) == 104
    assert mondays[0].at == datetime(2023, 3, 13, 9, 0, tzinfo=UTC)  # the first Monday in the 730 days before
    assert mondays[-1].at == datetime(2025, 3, 3, 9, 0, tzinfo=UTC)  # the last Monday before the export
    assert all(export - timedelta(days=730) <= link.at <= export for link in mondays)


def test_a_finished_series_is_expanded_to_its_until() -> None:
    jour_fixe = _records(OUTLOOK, owner="ana@example.com")[57]
    assert [link.at.date().isoformat() for link in jour_fixe] == [
        "2024-01-08", "2024-01-15", "2024-01-22", "2024-01-29", "2024-02-05", "2024-02-12", "2024-02-19", "2024-02-26",
    ]
    assert {link.target.name for link in jour_fixe} == {"Jürgen Müller"}  # CN "Müller, Jürgen"


def test_a_sub_daily_series_is_capped_at_the_latest_occurrences(tmp_path: Path) -> None:
    path = tmp_path / "hourly.ics"
    path.write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nX-WR-CALNAME:grace@northwind.example\r\n"
        "BEGIN:VEVENT\r\nUID:hourly\r\nDTSTART:20240101T000000Z\r\nDTEND:20240101T001500Z\r\nRRULE:FREQ=HOURLY\r\n"
        "DTSTAMP:20250101T000000Z\r\nORGANIZER:mailto:grace@northwind.example\r\n"
        "ATTENDEE;PARTSTAT=ACCEPTED;CN=Lee Chen:mailto:lee@example.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    (links,) = _records(path).values()

    assert len(links) == MAX_OCCURRENCES == 750
    assert links[-1].at == datetime(2025, 1, 1, tzinfo=UTC)
    assert links[0].at == datetime(2025, 1, 1, tzinfo=UTC) - timedelta(hours=749)


def test_a_meeting_with_more_than_25_invitees_is_an_event_attended_by_who_came(store: SQLiteStore, ws: str) -> None:
    attendances = _records(GOOGLE)[174]
    assert all(isinstance(a, Attendance) for a in attendances) and len(attendances) == 27
    assert attendances[0].person.emails == (OWNER,)  # the owner came too
    assert {a.event.name for a in attendances} == {"All hands, March"}  # '\\,' unescaped

    _import(store, ws, GOOGLE)
    snap = build_snapshot(store, ws)
    ((event_id, event),) = snap.events.items()
    assert (event.name, event.starts_at, event.kind, snap.event_size[event_id]) == (
        "All hands, March", datetime(2025, 3, 5, 17, 0, tzinfo=UTC), "event", 27,
    )


def test_when_the_owner_is_not_a_participant_the_organizer_links_to_the_others() -> None:
    rows = _records(EXPORT)
    links = rows[19]
    assert {link.source.emails for link in links} == {("sam@example.com",)}
    assert [link.target.emails[0] for link in links] == ["lee@example.com", "priya@example.org"]
    (coffee,) = rows[58]
    assert coffee.source is None and coffee.target.name == "Lee Chen"  # the organizer is present unless declining


def test_an_email_as_cn_is_not_a_name() -> None:
    (coffee,) = _records(EXPORT)[58]
    assert coffee.target.emails == ("lee@example.com",)
    participants = importers.get("ics").parse(Source.from_path(GOOGLE), ImportOptions())
    assert participants.owner.emails == (OWNER,) and participants.owner.name == ""


# --- the owner ---------------------------------------------------------------------------------------


def test_a_calendar_without_its_owners_address_needs_the_owner_option(store: SQLiteStore, ws: str) -> None:
    with pytest.raises(MissingOwner, match="--owner"):
        _import(store, ws, OUTLOOK)
    assert store.list_jobs(ws) == [] and store.count_people(ws, None) == 0


def test_the_owner_can_be_named_and_is_matched_on_cn(store: SQLiteStore, ws: str) -> None:
    job = _import(store, ws, OUTLOOK, owner="Ana Ruiz")

    assert (job.rows_imported, job.rows_skipped) == (2, 1)
    assert _people(store, ws) == {"Ana Ruiz", "Jürgen Müller", "Lee Chen"}
    assert store.count_evidence(ws) == 10


def test_an_owner_option_overrides_the_calendar_name(store: SQLiteStore, ws: str) -> None:
    job = _import(store, ws, EXPORT / "c_team@group.calendar.google.com.ics", owner="lee@example.com")
    # Lee is a participant now: links from Lee to Sam (organizer) and Priya (tentative)
    assert (job.rows_imported, store.count_evidence(ws)) == (1, 2)
    assert _people(store, ws) == {"lee@example.com", "Sam Okafor", "Priya Raman"}


# --- zips and folders --------------------------------------------------------------------------------


def _zip(path: Path, layout: str) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for file in sorted(EXPORT.glob("*.ics")):
            if layout == "flat":
                z.write(file, file.name)
            elif layout == "macos":
                z.write(file, f"Takeout/Calendar/{file.name}")
                z.writestr(f"__MACOSX/Takeout/Calendar/._{file.name}", b"\x00\x05\x16\x07junk")
            else:
                z.write(file, f"Takeout\\Calendar\\{file.name}")
        if layout == "macos":
            z.writestr("Takeout/.DS_Store", b"\x00\x00\x00\x01Bud1")
        z.writestr("Takeout/archive_browser.html", "<html>Calendar</html>")
    return path


@pytest.mark.parametrize("layout", ["flat", "macos", "windows"])
def test_a_google_export_zip_imports_like_its_folder_whatever_its_layout(
    store: SQLiteStore, ws: str, tmp_path: Path, layout: str
) -> None:
    archive = _zip(tmp_path / f"{OWNER}.ical.zip", layout)
    assert importers.detect(Source.from_path(archive)).name == "ics"

    job = _import(store, ws, archive)

    assert (job.rows_read, job.rows_imported, job.rows_rejected, job.rows_skipped) == (6, 3, 0, 3)
    assert _people(store, ws) == {OWNER, "Sam Okafor", "Lee Chen", "Priya Raman"}
    assert store.count_evidence(ws) == 4
    assert f"owner from the export's name: {OWNER}" in job.notes
    assert sorted(r.row for r in store.rejects(job.id) if r.skipped) == sorted(EXPORT_SKIPPED)


def test_the_notes_say_which_calendar_holds_which_rows_and_the_export_date() -> None:
    parsed = importers.get("ics").parse(Source.from_path(EXPORT), ImportOptions())
    assert "calendar 'Birthdays': rows 1-13; skipped: a birthday calendar ('Birthdays'): not meetings" in parsed.notes
    assert (
        "calendar 'grace@northwind.example': rows 51-78; export date 2025-03-07T13:22:07+00:00 (its latest DTSTAMP)"
        in parsed.notes
    )


@pytest.mark.parametrize("path", [GOOGLE, OUTLOOK, *sorted(EXPORT.glob("*.ics"))], ids=lambda p: p.name)
def test_calendars_are_detected_by_content_whatever_they_are_called(tmp_path: Path, path: Path) -> None:
    copy = tmp_path / "calendar.txt"
    shutil.copyfile(path, copy)
    assert importers.detect(Source.from_path(copy)).name == "ics"
    assert importers.detect(Source.from_path(EXPORT)).name == "ics"


# --- streaming -------------------------------------------------------------------------------------


@pytest.mark.parametrize("folded", [True, False], ids=["folded", "one-line"])
def test_huge_descriptions_and_attachments_are_dropped_as_they_stream(tmp_path: Path, folded: bool) -> None:
    blob = "QUJD" * 19 + ("\r\n " if folded else "")
    path = tmp_path / "attachments.ics"
    with path.open("w", newline="") as out:
        out.write("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nX-WR-CALNAME:grace@northwind.example\r\nBEGIN:VEVENT\r\nUID:a\r\n")
        out.write("DTSTART:20250110T090000Z\r\nDTSTAMP:20250307T132207Z\r\nORGANIZER:mailto:grace@northwind.example\r\n")
        out.write("ATTENDEE;PARTSTAT=ACCEPTED:mailto:lee@example.com\r\nATTACH;ENCODING=BASE64;VALUE=BINARY:")
        out.write(blob * 80_000 + "QUJD\r\n")
        out.write("END:VEVENT\r\nEND:VCALENDAR\r\n")
    size = path.stat().st_size
    parsed = importers.get("ics").parse(Source.from_path(path), ImportOptions())

    tracemalloc.start()
    try:
        rows = list(parsed.rows())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert [len(r.records) for r in rows] == [1]
    assert size > 6_000_000 and peak < size / 10
