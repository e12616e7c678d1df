"""LinkedIn Connections.csv in every export era (export-formats.md §1.1), alone or in a whole export.

Fixtures are in tests/fixtures/linkedin/, written byte-exact; the row numbers in the comments
below are physical lines of those files. Each import goes through ``graphsvc.imports.jobs.import_file``
into a fresh SQLite store and is checked with exact counts.
"""

from __future__ import annotations

import shutil
import zipfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path


import pytest

import importers
from graphsvc.errors import MissingOwner
from graphsvc.imports.jobs import import_file
from graphsvc.model import EvidenceKind, ImportJob, JobStatus
from graphsvc.identity.clusters import ClusteredStore
from graphsvc.store import SQLiteStore
from importers import Connection, ImportOptions, ParsedRow, Rejected, Skipped, Source

FIXTURES = Path(__file__).parent / "fixtures" / "linkedin"
EXPORT_FOLDER = FIXTURES / "export_folder"
EXPORT_TOP = "Basic_LinkedInDataExport_02-08-2026"
OWNER = "Olivia Okafor"
HIDDEN = "hidden profile"


def _import(store: SQLiteStore, ws: str, path: Path, **options: str) -> ImportJob:
    return import_file(store, ws, path, options=ImportOptions(**options))


def _names(store: SQLiteStore, ws: str) -> set[str]:
    return {p.display_name for p in store.search_people(ws, None, 1000)}


def _parse(path: Path, **options: str) -> list:
    parsed = importers.get("linkedin").parse(Source.from_path(path), ImportOptions(**options))
    return list(parsed.rows())


def _connections(path: Path) -> dict[str, Connection]:
    """Parsed connections by display name (files here never repeat a name with different data)."""
    found: dict[str, Connection] = {}
    for item in _parse(path, owner=OWNER):
        if isinstance(item, ParsedRow):
            (record,) = item.records
            assert isinstance(record, Connection)
            found[record.person.display_name()] = record
    return found


@dataclass(frozen=True)
class Expected:
    file: str
    read: int
    imported: int
    rejected: dict[int, str]  # row -> a substring of the reason
    skipped: tuple[int, ...]  # hidden-profile rows
    people: frozenset[str]  # display names, owner included
    evidence: int
    dates: dict[str, date] = field(default_factory=dict)


ERAS = [
    Expected(
        "connections_2020_no_preamble.csv", read=5, imported=3,
        rejected={6: "unreadable 'Connected On' date '31 Feb 2020'"}, skipped=(5,),
        people=frozenset({OWNER, "Priya Raman", "Tomás Ortega", "Lee Chen, PhD"}), evidence=3,
        dates={"Priya Raman": date(2019, 3, 14), "Tomás Ortega": date(2019, 11, 2), "Lee Chen, PhD": date(2020, 2, 8)},
    ),
    Expected(
        "connections_2022_notes_preamble.csv", read=7, imported=4,
        rejected={10: "unreadable 'Connected On' date 'yesterday'"}, skipped=(8, 9),
        people=frozenset({OWNER, "Ana María Ruiz", "Sam 🚀 Okoro", "Nakamura", "Wen"}), evidence=4,
        dates={"Ana María Ruiz": date(2021, 9, 21), "Nakamura": date(2022, 8, 15), "Wen": date(2023, 6, 30)},
    ),
    Expected(
        "connections_2024_url.csv", read=9, imported=5,
        rejected={
            11: "'URL' is not a LinkedIn profile URL",
            12: "unreadable 'Connected On' date '2024-13-45'",
            13: "a connection with a company but no name",
        },
        skipped=(8,),
        people=frozenset({OWNER, "Priya Raman", "Tomás Ortega", "Lee Chen, PhD", "Dana Whitfield", "Maya Lin"}),
        evidence=5,
        dates={"Priya Raman": date(2024, 3, 14), "Dana Whitfield": date(2023, 4, 1), "Maya Lin": date(2025, 7, 22)},
    ),
    Expected(
        "connections_2026_no_trailing_newline.csv", read=5, imported=2, rejected={}, skipped=(6, 7, 8),
        people=frozenset({OWNER, "Aisha Bello", "Kofi Mensah"}), evidence=2,
        dates={"Aisha Bello": date(2026, 2, 8), "Kofi Mensah": date(2026, 2, 28)},
    ),
    Expected(
        "connections_excel_resave.csv", read=5, imported=3,
        rejected={9: "unreadable 'Connected On' date 'Mar-23'"}, skipped=(7,),
        people=frozenset({OWNER, "Priya Raman", "Tomás Ortega", "Lee Chen, PhD"}), evidence=3,
        dates={"Priya Raman": date(2022, 2, 7), "Tomás Ortega": date(2021, 4, 4), "Lee Chen, PhD": date(2023, 11, 15)},
    ),
    Expected(
        "connections_quoted_notes.csv", read=3, imported=3, rejected={}, skipped=(),
        people=frozenset({OWNER, "Zoe Adams", "Ravi Shankar"}), evidence=2,
        dates={"Zoe Adams": date(2024, 10, 19), "Ravi Shankar": date(2024, 12, 1)},
    ),
]
ERA_IDS = [e.file.removesuffix(".csv") for e in ERAS]


# --- the fixtures really carry their quirk ---------------------------------------------------


def test_fixture_bytes_carry_the_quirk_each_era_is_about() -> None:
    def raw(name: str) -> bytes:
        return (FIXTURES / name).read_bytes()

    assert raw("connections_2020_no_preamble.csv").startswith(b"First Name,Last Name,Email Address,Company,")
    assert raw("connections_2022_notes_preamble.csv").startswith(b'Notes:\n"When exporting')
    assert b"\nFirst Name,Last Name,Email Address," in raw("connections_2022_notes_preamble.csv")
    assert b"\nFirst Name,Last Name,URL,Email Address," in raw("connections_2024_url.csv")
    no_eol = raw("connections_2026_no_trailing_newline.csv")
    assert not no_eol.endswith(b"\n") and no_eol.endswith(b",28 Feb 2026")
    excel = raw("connections_excel_resave.csv")
    assert excel.startswith(b"\xef\xbb\xbfNotes:") and excel.count(b"\r\n") == excel.count(b"\n") == 10
    assert b",7-Feb-22\r\n" in excel
    assert raw("connections_quoted_notes.csv").startswith(b'"Notes:"\n')
    for expected in ERAS:
        assert b"\r" not in raw(expected.file) or expected.file == "connections_excel_resave.csv"


# --- whole-file imports: exact counts --------------------------------------------------------


@pytest.mark.parametrize("expected", ERAS, ids=ERA_IDS)
def test_each_era_imports_with_exact_row_people_and_evidence_counts(
    store: SQLiteStore, ws: str, expected: Expected
) -> None:
    job = _import(store, ws, FIXTURES / expected.file, owner=OWNER)

    assert job.status is JobStatus.COMPLETED and job.format == "linkedin"
    assert (job.rows_read, job.rows_imported, job.rows_rejected, job.rows_skipped) == (
        expected.read, expected.imported, len(expected.rejected), len(expected.skipped),
    )
    assert job.rows_read == job.rows_imported + job.rows_rejected + job.rows_skipped
    assert store.count_people(ws, None) == len(expected.people)
    assert store.count_evidence(ws) == expected.evidence
    assert all(e.kind is EvidenceKind.CONNECTION for e in store.iter_evidence(ws))
    assert store.member_ids(ws) == [job.owner_person_id]


@pytest.mark.parametrize("expected", ERAS, ids=ERA_IDS)
def test_rejected_and_skipped_rows_are_reported_by_physical_line_with_a_reason(
    store: SQLiteStore, ws: str, expected: Expected
) -> None:
    job = _import(store, ws, FIXTURES / expected.file, owner=OWNER)
    rejects = store.rejects(job.id)

    assert {r.row for r in rejects if not r.skipped} == set(expected.rejected)
    assert tuple(r.row for r in rejects if r.skipped) == expected.skipped
    for r in rejects:
        if r.skipped:
            assert HIDDEN in r.reason
        else:
            assert expected.rejected[r.row] in r.reason


@pytest.mark.parametrize("expected", ERAS, ids=ERA_IDS)
def test_people_are_the_owner_and_the_named_connections_never_a_hidden_profile(
    store: SQLiteStore, ws: str, expected: Expected
) -> None:
    _import(store, ws, FIXTURES / expected.file, owner=OWNER)

    people = store.search_people(ws, None, 1000)
    assert {p.display_name for p in people} == expected.people
    assert all(p.display_name.strip() for p in people)  # no nameless person from a date-only row
    evidence = list(store.iter_evidence(ws))
    assert {e.at.date() for e in evidence if e.at} >= set(expected.dates.values())


@pytest.mark.parametrize("expected", ERAS, ids=ERA_IDS)
def test_importing_the_same_file_again_returns_the_same_job_and_changes_nothing(
    store: SQLiteStore, ws: str, expected: Expected
) -> None:
    path = FIXTURES / expected.file
    first = _import(store, ws, path, owner=OWNER)
    before = (store.count_people(ws, None), store.count_evidence(ws), store.data_version(ws), len(store.rejects(first.id)))

    again = _import(store, ws, path, owner=OWNER)

    assert again.id == first.id
    assert (again.started_at, again.finished_at) == (first.started_at, first.finished_at)  # not run again
    assert (again.rows_read, again.rows_imported, again.rows_rejected, again.rows_skipped) == (
        first.rows_read, first.rows_imported, first.rows_rejected, first.rows_skipped,
    )
    assert [j.id for j in store.list_jobs(ws)] == [first.id]
    assert (store.count_people(ws, None), store.count_evidence(ws), store.data_version(ws), len(store.rejects(first.id))) == before


# --- the importer itself, row by row ------------------------------------------------------------


@pytest.mark.parametrize("expected", ERAS, ids=ERA_IDS)
def test_connected_on_parses_to_the_right_calendar_day_in_every_era(expected: Expected) -> None:
    connections = _connections(FIXTURES / expected.file)
    for name, day in expected.dates.items():
        at = connections[name].at
        assert at is not None and at.date() == day, name
        assert (at.hour, at.minute, at.utcoffset().total_seconds()) == (0, 0, 0.0)  # date only, taken as UTC


@pytest.mark.parametrize("expected", ERAS, ids=ERA_IDS)
def test_importer_yields_one_result_per_data_row_in_file_order(expected: Expected) -> None:
    results = _parse(FIXTURES / expected.file, owner=OWNER)

    assert len(results) == expected.read
    assert [r.row for r in results] == sorted(r.row for r in results)
    assert tuple(r.row for r in results if isinstance(r, Skipped)) == expected.skipped
    assert {r.row for r in results if isinstance(r, Rejected)} == set(expected.rejected)


@pytest.mark.parametrize(
    "file", ["connections_2020_no_preamble.csv", "connections_2024_url.csv", "connections_excel_resave.csv"]
)
def test_quoted_commas_doubled_quotes_and_credentials_survive_parsing(file: str) -> None:
    connections = _connections(FIXTURES / file)

    priya = connections["Priya Raman"].person
    assert priya.organization == "Northwind Traders, Inc."
    assert connections["Tomás Ortega"].person.title == "Engineer, Platform"
    assert connections["Tomás Ortega"].person.emails == ("tomas.ortega@example.org",)
    lee = connections["Lee Chen, PhD"].person
    assert (lee.first_name, lee.last_name) == ("Lee", "Chen, PhD")
    assert lee.title == 'Senior Engineer "Data"'
    assert lee.emails == ()  # Email Address is usually empty


def test_url_column_is_read_only_from_the_eras_that_have_it() -> None:
    assert {c.person.linkedin_url for c in _connections(FIXTURES / "connections_2020_no_preamble.csv").values()} == {""}
    with_url = _connections(FIXTURES / "connections_2024_url.csv")
    assert with_url["Priya Raman"].person.linkedin_url == "https://www.linkedin.com/in/priya-raman-4b1c2a"
    assert with_url["Maya Lin"].person.organization == "" and with_url["Maya Lin"].person.title == ""


def test_emoji_and_an_empty_first_or_last_name_are_kept_as_written() -> None:
    connections = _connections(FIXTURES / "connections_2022_notes_preamble.csv")

    sam = connections["Sam 🚀 Okoro"].person
    assert (sam.first_name, sam.last_name, sam.title) == ("Sam 🚀", "Okoro", "Growth Hacker ✨")
    assert (connections["Nakamura"].person.first_name, connections["Nakamura"].person.last_name) == ("", "Nakamura")
    assert (connections["Wen"].person.first_name, connections["Wen"].person.last_name) == ("Wen", "")


def test_a_quoted_newline_keeps_the_row_whole_and_later_rows_keep_their_physical_line() -> None:
    results = _parse(FIXTURES / "connections_2024_url.csv", owner=OWNER)
    by_row = {r.row: r for r in results}

    dana = by_row[9]
    assert isinstance(dana, ParsedRow)
    assert dana.records[0].person.title == "Founder\nBoard Advisor"
    assert 10 not in by_row  # line 10 is the rest of row 9
    assert isinstance(by_row[11], Rejected) and "example.com/chris" in by_row[11].reason


def test_the_same_connection_listed_twice_is_one_person_and_one_edge(store: SQLiteStore, ws: str) -> None:
    # Row 7 repeats row 5 with the slug in another case, a trailing slash and a tracking query.
    job = _import(store, ws, FIXTURES / "connections_quoted_notes.csv", owner=OWNER)

    assert job.rows_imported == 3
    assert _names(store, ws) == {OWNER, "Zoe Adams", "Ravi Shankar"}
    assert store.count_evidence(ws) == 2


def test_hidden_profile_rows_carry_only_a_date_and_never_reach_identity(store: SQLiteStore, ws: str) -> None:
    job = _import(store, ws, FIXTURES / "connections_2026_no_trailing_newline.csv", owner=OWNER)

    assert job.rows_skipped == 3
    sighted_rows = {
        s.row for p in store.search_people(ws, None, 1000) for s in store.sightings(ws, p.id) if s.job_id == job.id
    }
    assert sighted_rows == {0, 5, 9}  # the owner (row 0) and the two named rows; 6-8 are hidden


def test_the_same_connections_exported_in_three_eras_resolve_to_the_same_people(store: SQLiteStore, ws: str) -> None:
    # 2020 (no URL: matched on name + company), 2024 (URL) and the Excel re-save (URL, other dates).
    for name in ("connections_2020_no_preamble.csv", "connections_2024_url.csv", "connections_excel_resave.csv"):
        _import(store, ws, FIXTURES / name, owner=OWNER)

    assert _names(store, ws) == {OWNER, "Priya Raman", "Tomás Ortega", "Lee Chen, PhD", "Dana Whitfield", "Maya Lin"}
    # The 2020 rows are records of their own (no URL) merged into the URL records by name and
    # company; read as people, there is one LinkedIn connection per pair, however often it is seen.
    assert ClusteredStore(store).count_evidence(ws) == 5
    assert len(store.merge_map(ws)) == 2  # Priya and Lee (Tomás shares an email across eras)
    assert len(store.list_jobs(ws)) == 3


# --- a whole export: zip or folder, owner from Profile.csv ---------------------------------------


def _zip_export(target: Path, layout: str) -> Path:
    """The checked-in export folder, zipped the way real tools re-zip it."""
    files = sorted(p for p in (EXPORT_FOLDER / EXPORT_TOP).iterdir() if p.is_file())
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        if layout == "macos":  # Finder "Compress": an extra top folder, __MACOSX/ and .DS_Store
            archive.writestr(f"{EXPORT_TOP}/", b"")
            for p in files:
                archive.write(p, f"{EXPORT_TOP}/{p.name}")
                archive.writestr(f"__MACOSX/{EXPORT_TOP}/._{p.name}", b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X")
            archive.writestr(f"{EXPORT_TOP}/.DS_Store", b"\x00\x00\x00\x01Bud1\x00\x00\x10\x00")
        elif layout == "windows":  # Compress-Archive on old .NET: backslash separators
            for p in files:
                archive.write(p, f"{EXPORT_TOP}\\{p.name}")
        elif layout == "mixed":  # all of the above in one archive, and a stray copy deeper down
            for i, p in enumerate(files):
                archive.write(p, f"{EXPORT_TOP}\\{p.name}" if i % 2 else f"{EXPORT_TOP}/{p.name}")
                archive.writestr(f"__MACOSX/{EXPORT_TOP}/._{p.name}", b"\x00\x05\x16\x07junk")
            archive.writestr(
                f"{EXPORT_TOP}/Articles/Articles/Connections.csv",
                "First Name,Last Name,Email Address,Company,Position,Connected On\nStray,Copy,,,,01 Jan 2020\n",
            )
        else:  # as LinkedIn ships it: files at the root
            for p in files:
                archive.write(p, p.name)
    return target


def _assert_export_imported(store: SQLiteStore, ws: str, job: ImportJob) -> None:
    # Connections.csv (rows 5-8) and the one OUTGOING invitation in Invitations.csv (row 20000002)
    assert (job.rows_read, job.rows_imported, job.rows_rejected, job.rows_skipped) == (5, 4, 0, 1)
    assert [r.row for r in store.rejects(job.id)] == [7]
    assert store.count_people(ws, None) == 5
    assert store.count_evidence(ws) == 4
    owner = store.get_people(ws, [job.owner_person_id])[job.owner_person_id]
    assert owner.display_name == OWNER and owner.is_member
    assert owner.emails == ("olivia@okafor.example", "olivia.old@example.org")  # primary first, lower-cased
    assert owner.title == "Partner at Okafor Ventures, angel investor"
    assert "owner from Profile.csv and Email Addresses.csv" in job.notes
    assert _names(store, ws) == {OWNER, "Priya Raman", "Tomás Ortega", "Lee Chen, PhD", "Maya Lin"}
    assert owner.linkedin_url == "https://www.linkedin.com/in/oliviaokafor"  # the OUTGOING inviter


@pytest.mark.parametrize("layout", ["root", "macos", "windows", "mixed"])
def test_whole_export_zip_reads_connections_and_takes_the_owner_from_profile(
    store: SQLiteStore, ws: str, tmp_path: Path, layout: str
) -> None:
    archive = _zip_export(tmp_path / "Basic_LinkedInDataExport_02-08-2026.zip", layout)

    job = _import(store, ws, archive)

    _assert_export_imported(store, ws, job)
    read_note = next(n for n in job.notes if n.startswith("read "))
    assert read_note == ("read Connections.csv" if layout == "root" else f"read {EXPORT_TOP}/Connections.csv")


@pytest.mark.parametrize("layout", ["macos", "windows"])
def test_the_folder_zipped_with_junk_or_backslashes_is_recognised_as_the_same_import(
    store: SQLiteStore, ws: str, tmp_path: Path, layout: str
) -> None:
    folder_job = _import(store, ws, EXPORT_FOLDER)
    _assert_export_imported(store, ws, folder_job)
    assert f"read {EXPORT_TOP}/Connections.csv" in folder_job.notes
    version = store.data_version(ws)

    # Same member paths (junk dropped, separators normalised) and bytes: the same content hash.
    zip_job = _import(store, ws, _zip_export(tmp_path / "export.zip", layout))

    assert zip_job.id == folder_job.id
    assert [j.id for j in store.list_jobs(ws)] == [folder_job.id]
    assert store.data_version(ws) == version


def test_the_export_zipped_at_its_root_is_another_job_but_the_same_graph(
    store: SQLiteStore, ws: str, tmp_path: Path
) -> None:
    folder_job = _import(store, ws, EXPORT_FOLDER)

    zip_job = _import(store, ws, _zip_export(tmp_path / "export.zip", "root"))

    assert zip_job.id != folder_job.id  # other member paths, another file
    assert zip_job.owner_person_id == folder_job.owner_person_id
    assert store.count_people(ws, None) == 5
    assert store.count_evidence(ws) == 4


def test_whole_export_parses_owner_and_rows_at_importer_level() -> None:
    parsed = importers.get("linkedin").parse(Source.from_path(EXPORT_FOLDER), ImportOptions())

    assert parsed.owner is not None
    assert (parsed.owner.first_name, parsed.owner.last_name) == ("Olivia", "Okafor")
    assert parsed.owner.emails == ("Olivia@Okafor.example", "olivia.old@example.org")
    rows = list(parsed.rows())
    assert [type(r).__name__ for r in rows] == ["ParsedRow", "ParsedRow", "Skipped", "ParsedRow", "ParsedRow"]
    assert rows[-1].row == 20_000_002  # Invitations.csv line 2 (file index 2 x 10,000,000 + line)
    last = rows[-2]
    assert isinstance(last, ParsedRow) and last.row == 8  # a final line without a newline is a row
    assert last.records[0].at is not None and last.records[0].at.date() == date(2026, 2, 8)


def test_owner_option_wins_over_profile_csv(store: SQLiteStore, ws: str) -> None:
    job = _import(store, ws, EXPORT_FOLDER, owner="https://www.linkedin.com/in/someone-else")

    owner = store.get_people(ws, [job.owner_person_id])[job.owner_person_id]
    assert owner.linkedin_url == "https://www.linkedin.com/in/someone-else"
    assert "owner from Profile.csv and Email Addresses.csv" not in job.notes
    assert store.count_people(ws, None) == 5  # + Maya Lin, invited by the export's owner


def test_export_without_profile_csv_needs_an_owner_and_writes_nothing_until_given(
    store: SQLiteStore, ws: str, tmp_path: Path
) -> None:
    folder = tmp_path / "partial_export"
    folder.mkdir()
    shutil.copy(EXPORT_FOLDER / EXPORT_TOP / "Connections.csv", folder / "Connections.csv")

    with pytest.raises(MissingOwner, match="--owner"):
        _import(store, ws, folder)
    assert store.list_jobs(ws) == [] and store.count_people(ws, None) == 0

    job = _import(store, ws, folder, owner=OWNER)
    assert (job.rows_imported, job.rows_skipped) == (3, 1)
    assert store.count_people(ws, None) == 4
