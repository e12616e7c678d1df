"""Generic sign-in sheets and attendee lists (export-formats.md §6.5), from tests/fixtures/signin/.

Each sheet goes through ``graphsvc.imports.jobs.import_file`` into a fresh SQLite store; counts are
exact and row numbers are physical lines of the fixture files.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path


import pytest

import importers
from graphsvc.errors import MissingEventInfo
from graphsvc.imports.jobs import import_file
from graphsvc.model import Event, EvidenceKind, ImportJob, JobStatus
from graphsvc.snapshot import build_snapshot
from graphsvc.store import SQLiteStore
from importers import Attendance, ImportOptions, ParsedRow, Rejected, Source
from importers.signin_sheet import column_map

FIXTURES = Path(__file__).parent / "fixtures" / "signin"
WORKSHOP = FIXTURES / "robotics_workshop_signin.csv"
SEMICOLON = FIXTURES / "kundentreffen_semicolon_cp1252.csv"
TABS = FIXTURES / "meetup_checkins.tsv"
FORMS = FIXTURES / "google_forms_responses.csv"


def _import(store: SQLiteStore, ws: str, path: Path, **options: str) -> ImportJob:
    return import_file(store, ws, path, options=ImportOptions(**options))


def _attendances(path: Path, **options: str) -> dict[int, Attendance | Rejected]:
    parsed = importers.get("signin_sheet").parse(Source.from_path(path), ImportOptions(**options))
    found: dict[int, Attendance | Rejected] = {}
    for item in parsed.rows():
        if isinstance(item, ParsedRow):
            (record,) = item.records
            assert isinstance(record, Attendance)
            found[item.row] = record
        else:
            assert isinstance(item, Rejected)
            found[item.row] = item
    return found


def _events(store: SQLiteStore, ws: str) -> dict[str, tuple[Event, int]]:
    """Event name -> (event, size as the analytics see it: distinct attendees)."""
    snap = build_snapshot(store, ws)
    return {e.name: (e, snap.event_size[e.id]) for e in snap.events.values()}


@dataclass(frozen=True)
class Expected:
    path: Path
    options: dict[str, str]
    read: int
    imported: int
    rejected: dict[int, str]
    people: frozenset[str]
    evidence: int
    event: str
    starts_at: datetime
    size: int


SHEETS = [
    Expected(
        WORKSHOP, {"event_date": "2026-09-10"}, read=8, imported=6,
        rejected={7: "invalid email 'dev(at)example.com'", 8: "no name and no email"},
        people=frozenset({"Ada Quinn", "Bruno Silva", "Carla Mendes", "Eve", "Frank Ng"}), evidence=5,
        event="robotics workshop signin", starts_at=datetime(2026, 9, 10, tzinfo=timezone.utc), size=5,
    ),
    Expected(
        SEMICOLON, {"event_date": "2026-03-05"}, read=5, imported=4, rejected={6: "no name and no email"},
        people=frozenset({"Jürgen Müller", "José García", "Zoë Ångström", "François Lefèvre"}), evidence=4,
        event="kundentreffen semicolon cp1252", starts_at=datetime(2026, 3, 5, tzinfo=timezone.utc), size=4,
    ),
    Expected(
        TABS, {}, read=5, imported=4, rejected={6: "no name and no email"},
        people=frozenset({"Dr. Lena Fischer, PhD", "Marcus O'Brien", "Priya Raman"}), evidence=3,
        event="meetup checkins", starts_at=datetime(2025, 5, 12, 18, 1, tzinfo=timezone.utc), size=3,
    ),
    Expected(
        FORMS, {}, read=4, imported=4, rejected={},
        people=frozenset({"Ada Quinn", "Tara Voss", "Bruno Silva"}), evidence=3,
        event="google forms responses", starts_at=datetime(2024, 1, 15, 17, 58, 9, tzinfo=timezone.utc), size=3,
    ),
]
SHEET_IDS = [e.path.name for e in SHEETS]


def test_fixture_bytes_carry_the_delimiter_and_encoding_each_sheet_is_about() -> None:
    semicolon = SEMICOLON.read_bytes()
    assert b"J\xfcrgen M\xfcller;" in semicolon and b"Jos\xe9 Garc\xeda;" in semicolon  # cp1252, not UTF-8
    with pytest.raises(UnicodeDecodeError):
        semicolon.decode("utf-8")
    assert semicolon.count(b"\r\n") == semicolon.count(b"\n")
    assert TABS.read_bytes().startswith(b"Full Name\tWork Email\tAffiliation\tRole\tTime In\n")
    assert WORKSHOP.read_bytes().startswith("Robotics Workshop – Sign-in sheet,,,,\n".encode())
    assert FORMS.read_bytes().startswith(b"Timestamp,Email Address,Your name,")


# --- whole-file imports: exact counts ------------------------------------------------------------


@pytest.mark.parametrize("expected", SHEETS, ids=SHEET_IDS)
def test_each_sheet_imports_with_exact_row_people_evidence_and_event_counts(
    store: SQLiteStore, ws: str, expected: Expected
) -> None:
    job = _import(store, ws, expected.path, **expected.options)

    assert job.status is JobStatus.COMPLETED and job.format == "signin_sheet"
    assert (job.rows_read, job.rows_imported, job.rows_rejected, job.rows_skipped) == (
        expected.read, expected.imported, len(expected.rejected), 0,
    )
    assert store.count_people(ws, None) == len(expected.people)
    assert {p.display_name for p in store.search_people(ws, None, 1000)} == expected.people
    assert store.count_evidence(ws) == expected.evidence
    assert all(e.kind is EvidenceKind.ATTENDED for e in store.iter_evidence(ws))
    assert store.member_ids(ws) == []  # an attendee list has no owner
    events = _events(store, ws)
    assert list(events) == [expected.event]
    event, size = events[expected.event]
    assert (event.starts_at, size) == (expected.starts_at, expected.size)


@pytest.mark.parametrize("expected", SHEETS, ids=SHEET_IDS)
def test_rejected_rows_are_reported_by_physical_line_with_a_reason(
    store: SQLiteStore, ws: str, expected: Expected
) -> None:
    job = _import(store, ws, expected.path, **expected.options)
    rejects = store.rejects(job.id)

    assert [r.row for r in rejects] == sorted(expected.rejected)
    for r in rejects:
        assert not r.skipped and expected.rejected[r.row] in r.reason


@pytest.mark.parametrize("expected", SHEETS, ids=SHEET_IDS)
def test_importing_the_same_sheet_again_returns_the_same_job_and_changes_nothing(
    store: SQLiteStore, ws: str, expected: Expected
) -> None:
    first = _import(store, ws, expected.path, **expected.options)
    before = (store.count_people(ws, None), store.count_evidence(ws), store.data_version(ws))

    again = _import(store, ws, expected.path, **expected.options)

    assert again.id == first.id
    assert (again.started_at, again.finished_at) == (first.started_at, first.finished_at)  # not run again
    assert (again.rows_read, again.rows_imported, again.rows_rejected) == (first.rows_read, first.rows_imported, first.rows_rejected)
    assert [j.id for j in store.list_jobs(ws)] == [first.id]
    assert (store.count_people(ws, None), store.count_evidence(ws), store.data_version(ws)) == before


# --- rows: names, emails, rejects, rejoins ------------------------------------------------------


def test_title_row_is_skipped_and_first_last_columns_and_synonyms_are_read() -> None:
    rows = _attendances(WORKSHOP, event_date="2026-09-10")

    assert min(rows) == 4  # lines 1-2 are a title and a padded blank, line 3 the header
    ada = rows[4].person
    assert (ada.name, ada.first_name, ada.last_name) == ("Ada Quinn", "Ada", "Quinn")
    assert ada.emails == ("ada@acme-robotics.example",)  # from 'E-mail'
    assert ada.organization == "Acme Robotics, Inc."  # from 'Organisation', quoted comma kept
    assert ada.title == "Engineer"  # from 'Job Title'
    assert rows[5].person.title == 'Head of "Special" Projects'


def test_blank_and_placeholder_emails_are_missing_and_emails_are_lower_cased() -> None:
    rows = _attendances(WORKSHOP, event_date="2026-09-10")

    assert rows[5].person.emails == ()  # 'n/a'
    assert rows[11].person.emails == ()  # blank
    assert rows[6].person.emails == ("carla.mendes@example.com",)
    assert (rows[10].person.name, rows[10].person.last_name) == ("Eve", "")


def test_invalid_email_and_a_row_without_name_or_email_are_rejected_not_imported(store: SQLiteStore, ws: str) -> None:
    rows = _attendances(WORKSHOP, event_date="2026-09-10")
    assert isinstance(rows[7], Rejected) and "invalid email" in rows[7].reason
    assert isinstance(rows[8], Rejected) and rows[8].reason == "no name and no email"

    _import(store, ws, WORKSHOP, event_date="2026-09-10")
    assert store.count_people(ws, "patel") == 0  # the row with the invalid email made nobody
    assert store.count_people(ws, "umbrella") == 0


def test_someone_signing_in_twice_is_one_person_counted_once_towards_the_event_size(store: SQLiteStore, ws: str) -> None:
    job = _import(store, ws, WORKSHOP, event_date="2026-09-10")

    assert job.rows_imported == 6  # both of Ada's rows are valid rows ...
    (ada,) = store.search_people(ws, "Ada Quinn", 10)
    assert sorted(s.row for s in store.sightings(ws, ada.id)) == [4, 9]  # ... seen twice
    attended = [e for e in store.iter_evidence(ws) if e.person_a == ada.id]
    assert len(attended) == 1  # ... but attended once
    assert _events(store, ws)["robotics workshop signin"][1] == 5


def test_cp1252_semicolon_sheet_decodes_accented_names() -> None:
    rows = _attendances(SEMICOLON, event_date="2026-03-05")

    jurgen = rows[2].person
    assert (jurgen.name, jurgen.first_name, jurgen.last_name) == ("Jürgen Müller", "Jürgen", "Müller")
    assert (jurgen.organization, jurgen.title) == ("Müller & Söhne GmbH", "Geschäftsführer")
    assert rows[3].person.organization == "Café Olé S.L."
    assert rows[4].person.emails == ()  # 'n/a'
    assert all("\ufffd" not in r.person.name for r in rows.values() if isinstance(r, Attendance))


def test_full_name_column_drops_titles_and_credentials_and_one_email_is_one_person(store: SQLiteStore, ws: str) -> None:
    rows = _attendances(TABS)
    lena = rows[2].person
    assert (lena.name, lena.first_name, lena.last_name) == ("Dr. Lena Fischer, PhD", "Lena", "Fischer")
    assert (lena.emails, lena.organization, lena.title) == (("lena.fischer@example.org",), "Charité", "Researcher")
    assert rows[5].person.emails == ("lena.fischer@example.org",)  # 'LENA.FISCHER@…' lower-cased

    _import(store, ws, TABS)
    (person,) = store.search_people(ws, "fischer", 10)
    assert sorted(s.row for s in store.sightings(ws, person.id)) == [2, 5]


def test_sign_in_times_set_each_attendance_and_the_earliest_sets_the_event_date() -> None:
    rows = _attendances(TABS)
    assert rows[3].at == datetime(2025, 5, 12, 18, 1, tzinfo=timezone.utc)
    assert rows[5].at == datetime(2025, 5, 12, 19, 15, tzinfo=timezone.utc)
    assert {r.event.starts_at for r in rows.values() if isinstance(r, Attendance)} == {rows[3].at}


def test_google_forms_timestamps_give_the_event_date_from_the_earliest_response(store: SQLiteStore, ws: str) -> None:
    rows = _attendances(FORMS)
    assert rows[2].at == datetime(2024, 1, 15, 18, 3, 22, tzinfo=timezone.utc)
    assert rows[5].at == datetime(2024, 1, 16, 9, 1, tzinfo=timezone.utc)  # 'H:MM:SS' without zero pad
    assert {r.event.starts_at for r in rows.values()} == {datetime(2024, 1, 15, 17, 58, 9, tzinfo=timezone.utc)}
    assert rows[2].person.organization == "Acme Robotics"  # the free-text question column is ignored

    job = _import(store, ws, FORMS)
    assert "event date taken from the earliest sign-in time" in job.notes
    (tara,) = store.search_people(ws, "Tara Voss", 10)
    assert len([e for e in store.iter_evidence(ws) if e.person_a == tara.id]) == 1  # submitted twice


def test_event_name_date_and_kind_options_name_the_event(store: SQLiteStore, ws: str) -> None:
    _import(store, ws, WORKSHOP, event_name="Robotics Workshop", event_date="2026-09-10", event_kind="Workshop")

    ((name, (event, size)),) = _events(store, ws).items()
    assert (name, event.kind, event.starts_at.date(), size) == ("Robotics Workshop", "workshop", date(2026, 9, 10), 5)


def test_event_date_option_overrides_the_sheets_own_times() -> None:
    rows = _attendances(FORMS, event_date="2024-02-01")
    assert {r.event.starts_at for r in rows.values()} == {datetime(2024, 2, 1, tzinfo=timezone.utc)}
    assert rows[2].at == datetime(2024, 1, 15, 18, 3, 22, tzinfo=timezone.utc)  # the sign-in time stays


# --- sheets without dates --------------------------------------------------------------------------


@pytest.mark.parametrize("path", [WORKSHOP, SEMICOLON], ids=lambda p: p.name)
def test_a_sheet_without_dates_needs_the_event_date_and_writes_nothing_without_it(
    store: SQLiteStore, ws: str, path: Path
) -> None:
    with pytest.raises(MissingEventInfo, match="--event-date"):
        _import(store, ws, path)
    with pytest.raises(MissingEventInfo, match="not a date"):
        _import(store, ws, path, event_date="next friday")

    assert store.list_jobs(ws) == []
    assert (store.count_people(ws, None), store.count_evidence(ws), store.data_version(ws)) == (0, 0, 0)


def test_header_synonyms_map_to_canonical_fields() -> None:
    header = ["timestamp", "e-mail", "full name", "organisation", "job title", "linkedin url", "mobile", "comments"]
    assert column_map(header) == {
        "time": "timestamp", "email": "e-mail", "name": "full name", "organization": "organisation",
        "title": "job title", "linkedin": "linkedin url", "phone": "mobile",
    }
    assert column_map(["given name", "surname", "work email", "affiliation", "role"]) == {
        "first": "given name", "last": "surname", "email": "work email", "organization": "affiliation", "title": "role",
    }


# --- regressions: encodings and dates beyond the first look ------------------------------------


def test_cp1252_accents_after_the_first_64_kib_are_decoded_not_replaced(tmp_path: Path) -> None:
    # An Excel "CSV" export whose first 64 KiB happen to be plain ASCII.
    lines = ["Name;E-Mail;Organisation"] + [f"Person {i};p{i}@example.org;Acme" for i in range(3000)]
    lines.append("Jürgen Müller;jm@example.de;Müller & Söhne GmbH")
    path = tmp_path / "big_sheet.csv"
    path.write_bytes("\r\n".join(lines).encode("cp1252"))
    assert path.read_bytes()[: 64 * 1024].isascii()

    rows = _attendances(path, event_date="2026-01-01")

    assert len(rows) == 3001
    last = rows[3002]
    assert (last.person.name, last.person.organization) == ("Jürgen Müller", "Müller & Söhne GmbH")


def test_dotted_dates_are_read_day_first(tmp_path: Path) -> None:
    path = tmp_path / "stammtisch.csv"
    path.write_text("Name;E-Mail;Datum;Date\nAnna Schmidt;anna@example.de;x;05.03.2024 18:30\nBen Wolf;ben@example.de;x;05.03.2024\n")

    rows = _attendances(path)

    assert rows[2].at == datetime(2024, 3, 5, 18, 30, tzinfo=timezone.utc)  # 5 March, not May 3
    assert {r.event.starts_at.date() for r in rows.values()} == {date(2024, 3, 5)}
