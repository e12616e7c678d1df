"""Event platforms (export-formats.md §6.1-6.4): Eventbrite, Meetup, Luma and Zoom, from tests/fixtures/events/.

Every fixture goes through ``graphsvc.imports.jobs.import_file`` into a fresh SQLite store; counts are
exact, and row numbers are the physical lines of the fixture files.
"""

from __future__ import annotations

import shutil
import tracemalloc
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path


import pytest

import importers
from graphsvc.errors import ImportFailed, MissingEventInfo
from graphsvc.imports.jobs import import_file
from graphsvc.model import Channel, Event, EvidenceKind, ImportJob, JobStatus
from graphsvc.snapshot import build_snapshot
from graphsvc.store import SQLiteStore
from importers import Attendance, ImportOptions, ParsedRow, Rejected, Skipped, Source

FIXTURES = Path(__file__).parent / "fixtures" / "events"
SIGNIN = Path(__file__).parent / "fixtures" / "signin"
UTC = timezone.utc


def _import(store: SQLiteStore, ws: str, path: Path, **options: str) -> ImportJob:
    return import_file(store, ws, path, options=ImportOptions(**options))


def _rows(format: str, path: Path, **options: str) -> dict[int, object]:
    parsed = importers.get(format).parse(Source.from_path(path), ImportOptions(**options))
    found: dict[int, object] = {}
    for item in parsed.rows():
        assert item.row not in found or isinstance(item, ParsedRow)
        if isinstance(item, ParsedRow):
            (record,) = item.records
            assert isinstance(record, Attendance)
            found[item.row] = record
        else:
            found[item.row] = item
    return found


def _events(store: SQLiteStore, ws: str) -> dict[str, tuple[Event, int]]:
    snap = build_snapshot(store, ws)
    return {e.name: (e, snap.event_size[e.id]) for e in snap.events.values()}


@dataclass(frozen=True)
class Expected:
    format: str
    name: str
    options: dict[str, str]
    read: int
    imported: int
    rejected: dict[int, str]
    skipped: dict[int, str]
    people: frozenset[str]
    event: str
    starts_at: datetime | None
    kind: str = "event"
    evidence: int = field(default=-1)

    @property
    def path(self) -> Path:
        return FIXTURES / self.name

    @property
    def size(self) -> int:
        return len(self.people)


CASES = [
    Expected(
        "eventbrite", "eventbrite_attendee_summary_2024.csv", {"event_date": "2024-12-05"}, read=11, imported=5,
        rejected={9: "invalid email 'ana(at)example.com'", 11: "no name and no email"},
        skipped={
            6: "another ticket of order 11212000001 under the same name and email: an unnamed guest of the buyer",
            7: "another ticket of order 11212000001 under the same name and email: an unnamed guest of the buyer",
            8: "attendee status 'Refunded': not attending",
            12: "attendee status 'Not Attending': not attending",
        },
        people=frozenset({"Grace Hollis", "Sam Okafor", "Lee Chen", "Priya Raman", "Marcus O'Brien"}),
        event="eventbrite attendee summary 2024", starts_at=datetime(2024, 12, 5, tzinfo=UTC),
    ),
    Expected(
        "eventbrite", "eventbrite_report_custom_columns.csv", {}, read=6, imported=3,
        rejected={6: "unreadable event date 'TBD'"},
        skipped={4: "attendee status 'Transferred': not attending", 5: "attendee status 'Deleted': not attending"},
        people=frozenset({"Grace Hollis", "Sam Okafor", "Priya Raman"}),
        event="Data Night", starts_at=datetime(2026, 9, 26, 19, 0, tzinfo=UTC),
    ),
    Expected(
        "meetup", "meetup_rsvps_attendance_marked.csv", {"event_date": "2025-06-10", "event_name": "PyData June 2025"},
        read=7, imported=3, rejected={8: "no name and no member id"},
        skipped={
            3: "RSVP 'Yes' but not marked as attended: a no-show", 4: "RSVP 'No': not attending",
            6: "RSVP 'Waitlist': not attending",
        },
        people=frozenset({"Grace Hollis", "Priya Raman", "Ana Ruiz"}),
        event="PyData June 2025", starts_at=datetime(2025, 6, 10, tzinfo=UTC),
    ),
    Expected(
        "meetup", "meetup_rsvps_no_attendance.csv", {"event_date": "2025-09-10"}, read=4, imported=3, rejected={},
        skipped={5: "RSVP 'No': not attending"},
        people=frozenset({"Grace Hollis", "Marcus O'Brien", "Zoë Ångström"}),
        event="meetup rsvps no attendance", starts_at=datetime(2025, 9, 10, tzinfo=UTC),
    ),
    Expected(
        "meetup", "PyData-London-Meetup_Member_List_on_06-22-15.xls", {}, read=5, imported=3,
        rejected={5: "unreadable 'Joined Group on' date '13/45/2014'", 6: "no name and no member id"}, skipped={},
        people=frozenset({"Grace Hollis", "Priya Raman", "Bruno Silva"}),
        event="PyData-London-Meetup", starts_at=None, kind="group",
    ),
    Expected(
        "meetup", "meetup_members_2024.csv", {"event_date": "2024-11-01"}, read=3, imported=3, rejected={}, skipped={},
        people=frozenset({"Ana Ruiz", "Jürgen Müller", "Sam Okafor"}),
        event="ml-meetup-berlin", starts_at=None, kind="group",
    ),
    Expected(
        "luma", "luma_guests_2024_api_id.csv", {}, read=7, imported=2,
        rejected={7: "unreadable 'checked_in_at' time 'yesterday'", 8: "invalid email 'marcus at example.com'"},
        skipped={
            3: "registered but not checked in: a no-show, or the event has not happened yet",
            4: "approval status 'pending_approval' and not checked in",
            6: "approval status 'waitlist' and not checked in",
        },
        people=frozenset({"Grace Hollis", "Priya Raman"}),
        event="luma guests 2024 api id", starts_at=datetime(2024, 5, 14, 17, 55, 30, tzinfo=UTC),
    ),
    Expected(
        "luma", "luma_guests_2026_guest_id.csv", {"event_name": "AI Founders Dinner"}, read=6, imported=3, rejected={},
        skipped={
            4: "approval status 'pending_approval' and not checked in",
            6: "registered but not checked in: a no-show, or the event has not happened yet",
            7: "approval status 'declined' and not checked in",
        },
        people=frozenset({"Grace Hollis", "Sam Okafor", "Priya Raman"}),
        event="AI Founders Dinner", starts_at=datetime(2026, 9, 20, 18, 1, tzinfo=UTC),
    ),
    Expected(
        "zoom", "zoom_webinar_attendee_report.csv", {}, read=7, imported=6, rejected={},
        skipped={15: "registered but did not attend (Attended = No)"},
        people=frozenset({"Nadia K.", "Sam Okafor", "Grace Hollis", "Priya Raman", "Tom Baker"}),
        event="Growth Masterclass", starts_at=datetime(2025, 3, 22, 19, 13, tzinfo=UTC), kind="webinar",
    ),
    Expected(
        "zoom", "zoom_webinar_attendee_report_12h.csv", {}, read=7, imported=4,
        rejected={13: "invalid email 'bad@@example'", 14: "unreadable join time 'sometime'"},
        skipped={12: "registered but did not attend (Attended = No)"},
        people=frozenset({"Grace Hollis", "Lee Chen", "Zoë Ångström"}),
        event="Founders AMA", starts_at=datetime(2026, 5, 12, 9, 2, 11, tzinfo=UTC), kind="webinar",
    ),
    Expected(
        "zoom", "zoom_meeting_participants_with_meeting_data.csv", {}, read=7, imported=6, rejected={},
        skipped={11: "an anonymous dial-in caller (no name, email or valid phone number)"},
        people=frozenset({"Nadia Karim", "Grace Hollis", "Sam Okafor", "Lee Chen", "+44 20 7946 0018"}),
        event="Weekly partner sync", starts_at=datetime(2026, 10, 5, 17, 55, tzinfo=UTC), kind="meeting",
    ),
    Expected(
        "zoom", "zoom_participants_per_row_topic.csv", {}, read=4, imported=3, rejected={5: "no name and no email"},
        skipped={}, people=frozenset({"Grace Hollis", "Priya Raman"}),
        event="Board prep", starts_at=datetime(2026, 10, 7, 9, 0, tzinfo=UTC), kind="meeting",
    ),
    Expected(
        "zoom", "zoom_participants_time_only.csv", {"event_date": "2026-10-08"}, read=3, imported=3, rejected={},
        skipped={}, people=frozenset({"Grace Hollis", "Lee Chen"}),
        event="zoom participants time only", starts_at=datetime(2026, 10, 8, tzinfo=UTC), kind="meeting",
    ),
]
IDS = [c.name for c in CASES]


def test_every_fixture_of_the_suite_is_covered() -> None:
    assert sorted(p.name for p in FIXTURES.iterdir() if not p.name.startswith(".")) == sorted(IDS)


# --- whole-file imports: exact counts ------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_each_export_imports_with_exact_rows_people_evidence_and_event(store: SQLiteStore, ws: str, case: Expected) -> None:
    job = _import(store, ws, case.path, **case.options)

    assert job.status is JobStatus.COMPLETED and job.format == case.format
    assert (job.rows_read, job.rows_imported, job.rows_rejected, job.rows_skipped) == (
        case.read, case.imported, len(case.rejected), len(case.skipped),
    )
    assert store.count_people(ws, None) == len(case.people)
    assert {p.display_name for p in store.search_people(ws, None, 1000)} == case.people
    evidence = list(store.iter_evidence(ws))
    assert store.count_evidence(ws) == len(evidence) == len(case.people)  # one attendance per person
    assert {(e.kind, e.channel, e.direction, e.person_b) for e in evidence} == {
        (EvidenceKind.ATTENDED, Channel.EVENT, "mutual", None)
    }
    assert all(e.at is not None for e in evidence)
    assert store.member_ids(ws) == []  # an attendee list has no owner
    ((name, (event, size)),) = _events(store, ws).items()
    assert (name, event.starts_at, event.kind, event.source_format, size) == (
        case.event, case.starts_at, case.kind, case.format, case.size,
    )


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_rejected_and_skipped_rows_are_reported_by_physical_line_with_their_reason(
    store: SQLiteStore, ws: str, case: Expected
) -> None:
    job = _import(store, ws, case.path, **case.options)

    found = {r.row: (r.reason, r.skipped) for r in store.rejects(job.id)}
    assert found == {
        **{row: (reason, False) for row, reason in case.rejected.items()},
        **{row: (reason, True) for row, reason in case.skipped.items()},
    }


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_importing_the_same_export_again_changes_nothing(store: SQLiteStore, ws: str, case: Expected) -> None:
    first = _import(store, ws, case.path, **case.options)
    before = (store.count_people(ws, None), store.count_evidence(ws), store.data_version(ws))

    again = _import(store, ws, case.path, **case.options)

    assert again.id == first.id and again.finished_at == first.finished_at
    assert [j.id for j in store.list_jobs(ws)] == [first.id]
    assert (store.count_people(ws, None), store.count_evidence(ws), store.data_version(ws)) == before


# --- detection by content --------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("renamed", ["export.csv", "attendees.txt", "no_extension"])
def test_each_platform_is_detected_by_content_whatever_the_file_is_called(tmp_path: Path, case: Expected, renamed: str) -> None:
    path = tmp_path / renamed
    shutil.copyfile(case.path, path)
    assert importers.detect(Source.from_path(path)).name == case.format


@pytest.mark.parametrize("name", sorted(p.name for p in SIGNIN.iterdir() if p.suffix in (".csv", ".tsv")))
def test_generic_sign_in_sheets_are_still_detected_as_sign_in_sheets(name: str) -> None:
    assert importers.detect(Source.from_path(SIGNIN / name)).name == "signin_sheet"


def test_platform_sniffers_beat_the_generic_sign_in_sheet_that_also_reads_them() -> None:
    for case in CASES:
        source = Source.from_path(case.path)
        generic = importers.get("signin_sheet").sniff(source)
        assert importers.get(case.format).sniff(source) > max(generic, 60), case.name


# --- event information: from the file, else options, else MissingEventInfo -------------------------


MISSING_DATE = [
    ("eventbrite_attendee_summary_2024.csv", "dates orders, not the event"),
    ("meetup_rsvps_attendance_marked.csv", "does not say when the event was"),
    ("zoom_participants_time_only.csv", "no start time and no readable join time"),
    ("meetup_members_2024.csv", "neither when members joined nor when it was exported"),
]


@pytest.mark.parametrize(("name", "message"), MISSING_DATE, ids=[m[0] for m in MISSING_DATE])
def test_an_export_without_an_event_date_needs_the_option_and_writes_nothing_without_it(
    store: SQLiteStore, ws: str, name: str, message: str
) -> None:
    with pytest.raises(MissingEventInfo, match=message) as caught:
        _import(store, ws, FIXTURES / name)
    assert "--event-date" in str(caught.value)
    with pytest.raises(MissingEventInfo, match="not a date"):
        _import(store, ws, FIXTURES / name, event_date="soon")
    assert store.list_jobs(ws) == []
    assert (store.count_people(ws, None), store.count_evidence(ws), store.data_version(ws)) == (0, 0, 0)


def test_a_luma_list_without_any_check_in_needs_the_event_date(store: SQLiteStore, ws: str, tmp_path: Path) -> None:
    lines = (FIXTURES / "luma_guests_2024_api_id.csv").read_text(encoding="utf-8-sig").splitlines()
    path = tmp_path / "no_checkins.csv"
    path.write_text("\n".join([lines[0], lines[2], lines[3]]) + "\n", encoding="utf-8")

    with pytest.raises(MissingEventInfo, match="no guest has a 'checked_in_at' time"):
        _import(store, ws, path)
    assert store.list_jobs(ws) == []

    job = _import(store, ws, path, event_date="2024-05-14")
    assert (job.rows_read, job.rows_imported, job.rows_skipped) == (2, 0, 2)
    assert store.count_people(ws, None) == 0


def test_the_zoom_reports_own_topic_and_start_win_over_the_options() -> None:
    parsed = importers.get("zoom").parse(
        Source.from_path(FIXTURES / "zoom_webinar_attendee_report.csv"),
        ImportOptions(event_name="Something else", event_date="2020-01-01"),
    )
    assert "--event-name ignored: the report names its topic" in parsed.notes
    assert "--event-date ignored: the report gives its start time" in parsed.notes
    events = {r.records[0].event for r in parsed.rows() if isinstance(r, ParsedRow)}
    assert events == {importers.EventRef("Growth Masterclass", datetime(2025, 3, 22, 19, 13, tzinfo=UTC), "webinar")}


def test_options_name_and_kind_the_event_when_the_file_does_not(store: SQLiteStore, ws: str) -> None:
    _import(
        store, ws, FIXTURES / "eventbrite_attendee_summary_2024.csv",
        event_name="Growth Summit 2024", event_date="2024-12-05", event_kind="Conference",
    )
    ((name, (event, size)),) = _events(store, ws).items()
    assert (name, event.kind, size) == ("Growth Summit 2024", "conference", 5)


# --- Eventbrite ------------------------------------------------------------------------------------


def test_eventbrite_buyer_tickets_are_one_person_and_check_in_times_time_the_attendance(store: SQLiteStore, ws: str) -> None:
    rows = _rows("eventbrite", FIXTURES / "eventbrite_report_custom_columns.csv")
    grace = rows[2]
    assert (grace.person.organization, grace.person.title, grace.person.phones) == ("Northwind", "VP Sales", ("+44 20 7946 0000",))
    assert grace.at == datetime(2026, 9, 26, 19, 5, tzinfo=UTC)  # 'Checked In' column, not the order date
    assert rows[3].at is None and rows[3].person.organization == "Okafor & Co, LLC"

    rows = _rows("eventbrite", FIXTURES / "eventbrite_attendee_summary_2024.csv", event_date="2024-12-05")
    assert rows[10].person.emails == ("marcus@example.com",)  # lower-cased
    assert rows[10].person.title == 'Head of "Special" Projects'
    _import(store, ws, FIXTURES / "eventbrite_attendee_summary_2024.csv", event_date="2024-12-05")
    (priya,) = store.search_people(ws, "Priya", 10)
    assert [s.row for s in store.sightings(ws, priya.id)] == [5]  # the buyer's other tickets made nobody


# --- Meetup ----------------------------------------------------------------------------------------


def test_meetup_member_ids_are_handles_that_join_rsvp_lists_and_member_lists(store: SQLiteStore, ws: str) -> None:
    rows = _rows("meetup", FIXTURES / "meetup_rsvps_no_attendance.csv", event_date="2025-09-10")
    assert rows[2].person.handles == (("meetup", "12537919"),)  # 'user 12537919'
    assert rows[4].person.handles == (("meetup", "66260701"),)  # no User ID: taken from the profile URL
    assert all(not r.person.emails for r in rows.values() if isinstance(r, Attendance))  # Meetup never exports emails
    parsed = importers.get("meetup").parse(
        Source.from_path(FIXTURES / "meetup_rsvps_attendance_marked.csv"), ImportOptions(event_date="2025-06-10")
    )
    assert parsed.notes[1:] == [
        "event name taken from the file name: 'meetup rsvps attendance marked'",
        "the host marked attendance: only members marked 'Y' attended",
        "3 unnamed guest(s) in the 'Guests' column are not people and are not counted",
    ]

    _import(store, ws, FIXTURES / "meetup_rsvps_attendance_marked.csv", event_date="2025-06-10")
    _import(store, ws, FIXTURES / "PyData-London-Meetup_Member_List_on_06-22-15.xls")

    (grace,) = store.search_people(ws, "Grace Hollis", 10)
    assert ("meetup", "12537919") in store.keys_of(ws, grace.id)
    assert grace.organization == "Northwind"  # the member list's membership question
    assert store.count_people(ws, None) == 4  # Grace and Priya are in both files, Ana and Bruno in one
    assert {name: size for name, (_, size) in _events(store, ws).items()} == {
        "meetup rsvps attendance marked": 3, "PyData-London-Meetup": 3,
    }


def test_meetup_member_list_is_tab_separated_text_with_padded_cells_and_joined_dates() -> None:
    raw = (FIXTURES / "PyData-London-Meetup_Member_List_on_06-22-15.xls").read_bytes()
    assert raw.startswith(b"Name\tUser ID\tTitle\tMember ID") and b"\t 14\t" in raw and b"/ \t" in raw

    rows = _rows("meetup", FIXTURES / "PyData-London-Meetup_Member_List_on_06-22-15.xls")

    assert rows[2].person.handles == (("meetup", "12537919"),)
    assert rows[2].at == datetime(2014, 4, 24, tzinfo=UTC)
    newer = _rows("meetup", FIXTURES / "meetup_members_2024.csv", event_date="2024-11-01")
    assert {r.at for r in newer.values()} == {datetime(2024, 11, 1, tzinfo=UTC)}  # no join dates: the export date
    assert rows[2].event == importers.EventRef("PyData-London-Meetup", None, "group")
    assert rows[3].person.organization == "Contoso"


def test_a_real_workbook_is_refused_with_a_hint_to_save_it_as_text(store: SQLiteStore, ws: str, tmp_path: Path) -> None:
    xlsx = tmp_path / "Group_Member_List_on_01-01-24.xlsx"
    with zipfile.ZipFile(xlsx, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", "<worksheet/>")
    ole2 = tmp_path / "Group_Member_List_on_01-01-24.xls"
    ole2.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024)

    for path in (xlsx, ole2):
        with pytest.raises(ImportFailed, match="save the Meetup list as CSV"):
            import_file(store, ws, path, format="meetup")
    assert store.list_jobs(ws) == []


# --- Luma ------------------------------------------------------------------------------------------


def test_luma_reads_both_eras_names_and_question_columns() -> None:
    newer = _rows("luma", FIXTURES / "luma_guests_2026_guest_id.csv")
    grace = newer[2].person
    assert (grace.organization, grace.title, grace.linkedin_url) == ("Northwind", "VP Sales", "linkedin.com/in/gracehollis")
    sam = newer[3].person
    assert (sam.name, sam.first_name, sam.last_name, sam.organization) == ("Sam Okafor", "Sam", "Okafor", "Okafor & Co, LLC")
    priya = newer[5].person  # 'name' empty, first/last set
    assert (priya.name, priya.emails, priya.linkedin_url) == (
        "Priya Raman", ("priya@example.org",), "https://www.linkedin.com/in/priya-raman-4b1c2a/",
    )
    assert newer[5].at == datetime(2026, 9, 20, 18, 40, tzinfo=UTC)  # ISO without milliseconds

    older = _rows("luma", FIXTURES / "luma_guests_2024_api_id.csv")
    assert (older[2].person.organization, older[2].person.title) == ("Northwind", "VP Sales")
    assert older[5].at == datetime(2024, 5, 14, 17, 55, 30, tzinfo=UTC)  # 'invited' but checked in: attended


def test_luma_notes_the_era_and_the_event_id_from_the_qr_code_url() -> None:
    parsed = importers.get("luma").parse(Source.from_path(FIXTURES / "luma_guests_2026_guest_id.csv"), ImportOptions())
    assert parsed.notes[0] == "Luma guest list, newer (guest_id) era"
    assert "Luma event id evt-Xy12" in parsed.notes
    assert "event date taken from the earliest check-in" in parsed.notes


# --- Zoom ------------------------------------------------------------------------------------------


def test_zoom_rejoins_are_one_attendance_timed_at_the_earliest_join(store: SQLiteStore, ws: str) -> None:
    rows = _rows("zoom", FIXTURES / "zoom_webinar_attendee_report.csv")
    assert rows[13] == rows[14]  # the later session is listed first; both carry the merged attendance
    assert rows[13].at == datetime(2025, 3, 22, 19, 20, 5, tzinfo=UTC)

    _import(store, ws, FIXTURES / "zoom_webinar_attendee_report.csv")
    (grace,) = store.search_people(ws, "Grace Hollis", 10)
    attended = [e for e in store.iter_evidence(ws) if e.person_a == grace.id]
    assert [e.at for e in attended] == [datetime(2025, 3, 22, 19, 20, 5, tzinfo=UTC)]
    assert sorted(s.row for s in store.sightings(ws, grace.id)) == [13, 14]


def test_zoom_sections_hosts_panelists_and_original_names() -> None:
    rows = _rows("zoom", FIXTURES / "zoom_webinar_attendee_report.csv")
    assert min(r for r in rows) == 7  # preamble, summary and section titles are not rows
    assert rows[7].person.emails == ("nadia@example.com",)  # the host attended
    assert rows[10].person.emails == ("sam@example.com",)  # the panelist attended
    assert (rows[16].person.name, rows[16].person.first_name) == ("Priya Raman", "Priya")  # '(she/her)' is no name
    assert (rows[17].person.name, rows[17].person.emails) == ("Tom Baker", ())  # 'Tom B (Tom Baker)'

    meeting = _rows("zoom", FIXTURES / "zoom_meeting_participants_with_meeting_data.csv")
    assert meeting[5].person.name == "Nadia Karim"
    assert (meeting[7].person.name, meeting[7].person.emails) == ("Sam Okafor", ())  # a guest without email
    assert meeting[10].person.phones == ("+442079460018",)  # a dial-in caller known by number
    assert meeting[8].at == meeting[9].at == datetime(2026, 10, 5, 18, 0, tzinfo=UTC)


def test_zoom_time_only_joins_take_the_event_day() -> None:
    rows = _rows("zoom", FIXTURES / "zoom_participants_time_only.csv", event_date="2026-10-08")
    assert rows[2].at == datetime(2026, 10, 8, 18, 14, tzinfo=UTC)
    assert rows[3].at == rows[4].at == datetime(2026, 10, 8, 18, 5, tzinfo=UTC)


# --- streaming -------------------------------------------------------------------------------------


def test_a_long_attendee_report_is_streamed_not_loaded(tmp_path: Path) -> None:
    header = (FIXTURES / "eventbrite_attendee_summary_2024.csv").read_text().splitlines()[0]
    answer = "a long answer to the organizer's question, " * 15  # wide rows: a big file in few rows (tracemalloc is slow)
    row = "{n},11/29/24 22:28,P{n},Q{n},p{n}@example.com,1,,GA,{n},,Free Order,USD,0,0,0,0,Attending,,,,,,,\"{a}\",Engineer,Acme\n"
    path = tmp_path / "big.csv"
    with path.open("w") as out:
        out.write(header + "\n")
        for n in range(8_000):
            out.write(row.format(n=n, a=answer))
    size = path.stat().st_size
    parsed = importers.get("eventbrite").parse(Source.from_path(path), ImportOptions(event_date="2024-12-05"))

    tracemalloc.start()
    try:
        count = sum(1 for item in parsed.rows() if isinstance(item, ParsedRow))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert count == 8_000
    assert size > 5_000_000 and peak < size / 20


def test_rows_are_yielded_in_increasing_row_order_for_resumable_jobs() -> None:
    for case in CASES:
        parsed = importers.get(case.format).parse(Source.from_path(case.path), ImportOptions(**case.options))
        numbers = [item.row for item in parsed.rows()]
        assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers), case.name
        assert all(isinstance(i, (ParsedRow, Rejected, Skipped)) for i in parsed.rows())
