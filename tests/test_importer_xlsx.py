"""Excel attendee lists (.xlsx), read through the same table path as CSV; workbooks are
generated here with openpyxl. A legacy .xls gets a hint to save it as .xlsx or CSV."""

from __future__ import annotations

import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

import importers
from graphsvc.errors import ImportFailed
from graphsvc.imports.jobs import import_file
from graphsvc.store import SQLiteStore
from importers import Attendance, ImportOptions, ParsedRow, Rejected, Source


def _workbook(path: Path, rows: list[list[object]], *, first_sheet: list[list[object]] | None = None) -> Path:
    book = Workbook()
    sheet = book.active
    if first_sheet is not None:
        sheet.title = "Summary"
        for row in first_sheet:
            sheet.append(row)
        sheet = book.create_sheet("Attendees")
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def _rows(path: Path, **options: str) -> tuple[str, list[ParsedRow], list[Rejected]]:
    source = Source.from_path(path)
    importer = importers.detect(source)
    items = list(importer.parse(source, ImportOptions(**options)).rows())
    return importer.name, [i for i in items if isinstance(i, ParsedRow)], [i for i in items if isinstance(i, Rejected)]


def test_an_xlsx_sign_in_sheet_with_a_title_row_is_detected_and_imported(store: SQLiteStore, ws: str, tmp_path: Path) -> None:
    path = _workbook(tmp_path / "Robotics Workshop.xlsx", [
        ["Robotics workshop — sign-in"],
        [],
        ["Name", "Email", "Company", "Phone", "Signed in"],
        ["Hélène Lefèvre", "helene@example.fr", "Société Générale", 33612345678, datetime(2026, 5, 20, 9, 5)],
        ["Łukasz Wójcik", "LUKASZ@example.pl", "Biuro Podróży", None, datetime(2026, 5, 20, 9, 12)],
        [None, None, None, None, None],
        ["Sam Okafor", "sam@example.com", "Okafor & Co, LLC", "+1 415 555 0101", datetime(2026, 5, 20, 9, 30)],
    ])
    name, rows, rejects = _rows(path)
    assert name == "signin_sheet" and not rejects
    people = [r.records[0].person for r in rows]  # type: ignore[attr-defined]
    assert [(p.name, p.emails, p.organization) for p in people] == [
        ("Hélène Lefèvre", ("helene@example.fr",), "Société Générale"),
        ("Łukasz Wójcik", ("lukasz@example.pl",), "Biuro Podróży"),
        ("Sam Okafor", ("sam@example.com",), "Okafor & Co, LLC"),
    ]
    assert [r.row for r in rows] == [4, 5, 7]  # the sheet's row numbers
    first = rows[0].records[0]
    assert isinstance(first, Attendance) and first.event.starts_at is not None and first.event.starts_at.date().isoformat() == "2026-05-20"

    job = import_file(store, ws, path)
    assert (job.format, job.rows_imported, job.rows_rejected) == ("signin_sheet", 3, 0)


def test_an_eventbrite_xlsx_keeps_order_numbers_whole_and_finds_the_sheet_with_the_table(tmp_path: Path) -> None:
    header = ["Order #", "Order Date", "First Name", "Last Name", "Email", "Quantity", "Ticket Type", "Attendee #", "Attendee Status"]
    path = _workbook(tmp_path / "Data Night attendees.xlsx", [
        header,
        [11211912243, datetime(2024, 11, 29, 22, 28), "José", "Núñez", "jose@example.es", 1, "General Admission", 18441583423.0, "Attending"],
        [11211987213, datetime(2024, 11, 29, 22, 54), "Zoë", "Müller", "zoe@example.de", 1, "VIP", 18441700883, "Attending"],
    ], first_sheet=[["Report", "Data Night"], ["Generated", datetime(2024, 12, 1)]])
    name, rows, rejects = _rows(path, event_date="2024-12-05")
    assert name == "eventbrite" and not rejects
    assert [r.records[0].person.name for r in rows] == ["José Núñez", "Zoë Müller"]  # type: ignore[attr-defined]


def test_a_zoom_participants_xlsx_is_read_like_its_csv(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "participants_81234567890.xlsx", [
        ["Name (Original Name)", "User Email", "Join Time", "Leave Time", "Duration (Minutes)", "Guest"],
        ["Grace Hollis", "grace@northwind.example", datetime(2026, 10, 5, 18, 3), datetime(2026, 10, 5, 19, 0), 57, "Yes"],
        ["Søren Kjærgaard", None, datetime(2026, 10, 5, 18, 25), datetime(2026, 10, 5, 19, 0), 35, "Yes"],
    ])
    name, rows, rejects = _rows(path)
    assert name == "zoom" and not rejects
    assert {r.records[0].person.name for r in rows} == {"Grace Hollis", "Søren Kjærgaard"}  # type: ignore[attr-defined]


def test_a_legacy_xls_is_refused_with_a_hint(store: SQLiteStore, ws: str, tmp_path: Path) -> None:
    path = tmp_path / "attendees.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2048)
    with pytest.raises(ImportFailed, match=r"legacy Excel workbook \(\.xls\).*save it as \.xlsx or CSV"):
        import_file(store, ws, path, options=ImportOptions(event_date="2026-01-01"))
    assert store.list_jobs(ws) == []


def test_a_damaged_xlsx_is_refused_with_a_hint(store: SQLiteStore, ws: str, tmp_path: Path) -> None:
    path = tmp_path / "attendees.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook><sheets>")
    with pytest.raises(ImportFailed, match=r"save it again as \.xlsx or CSV"):
        import_file(store, ws, path, options=ImportOptions(event_date="2026-01-01"))
    assert store.list_jobs(ws) == []


def test_a_workbook_is_held_to_the_archive_cap(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "big.xlsx", [["Name", "Email"]] + [[f"Person {i}", f"p{i}@example.org"] for i in range(2000)])
    assert Source.from_path(path).single.kind == "xlsx"
    with pytest.raises(ImportFailed, match="byte cap"):
        Source.from_path(path, max_expanded_bytes=10_000)
