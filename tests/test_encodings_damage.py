"""Misread data (issues 15 and 17): small Excel sheets in code pages, UTF-8 files with a few bad
bytes, NUL characters, fields over 1 MiB, and the user's ``--encoding``."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest

import importers
from graphsvc.errors import ImportFailed
from graphsvc.imports.jobs import import_file
from graphsvc.store import SQLiteStore
from importers import ImportOptions, ParsedRow, Rejected, Source
from importers.tables import MAX_FIELD_BYTES, member_encoding
from tests.servers import run_cli

ROWS = [("Grace Hollis", "grace@northwind.example"), ("Sam Okafor", "sam@example.com"), ("Lee Chen", "lee@example.com"),
        ("Priya Raman", "priya@example.in"), ("Tom Baker", "tom@example.com"), ("Ana Ruiz", "ana@example.org"),
        ("Ben Wolf", "ben@example.de"), ("Olivia Okafor", "olivia@example.com")]


def _sheet(*extra: tuple[str, str], header: str = "Name,Email") -> str:
    return "\r\n".join([header, *(f"{n},{e}" for n, e in [*ROWS[:4], *extra, *ROWS[4:]])]) + "\r\n"


def _parse(path: Path, **options: str) -> tuple[list[ParsedRow], list[Rejected]]:
    source = Source.from_path(path, encoding=options.pop("encoding", None))
    parsed = importers.get("signin_sheet").parse(source, ImportOptions(event_date="2026-05-20", **options))
    rows = list(parsed.rows())
    return [r for r in rows if isinstance(r, ParsedRow)], [r for r in rows if isinstance(r, Rejected)]


def _names(rows: list[ParsedRow]) -> list[str]:
    return [r.records[0].person.name for r in rows]  # type: ignore[attr-defined]


@pytest.mark.parametrize(("name", "encoding"), [("Ferenc Szabó", "cp1252"), ("Hélène Lefèvre", "cp1252"), ("Jörg Gröning", "mac_roman"),
                                                ("Jiří Dvořák", "cp1250")])
def test_a_ten_row_excel_sheet_with_one_accented_name_is_read_exactly_and_the_job_says_how(
    store: SQLiteStore, ws: str, tmp_path: Path, name: str, encoding: str
) -> None:
    path = tmp_path / "workshop.csv"
    path.write_bytes(_sheet((name, "x@example.org")).encode(encoding))

    rows, rejects = _parse(path)
    assert name in _names(rows) and not rejects
    job = import_file(store, ws, path, options=ImportOptions(event_date="2026-05-20"))
    assert job.rows_imported == 9
    assert any(note.startswith(f"encoding: {encoding} (chosen by the plausibility") for note in job.notes), job.notes


def test_a_utf8_file_with_a_few_bad_bytes_stays_utf8_and_rejects_only_those_rows(tmp_path: Path) -> None:
    text = _sheet(("José Müller", "jose@example.es"), ("Zoë Ångström", "zoe@example.se"))
    data = text.encode("utf-8").replace(b"Lee Chen", b"Lee Ch\xe9n").replace(b"Ben Wolf", b"Ben W\xffolf")
    path = tmp_path / "list.csv"
    path.write_bytes(data)

    assert member_encoding(Source.from_path(path).single).encoding == "utf-8"
    rows, rejects = _parse(path)
    assert "José Müller" in _names(rows) and "Zoë Ångström" in _names(rows)
    assert not any("Ã" in n or "\ufffd" in n for n in _names(rows))
    assert [(r.row, r.reason) for r in rejects] == [
        (4, "bytes that are not valid utf-8 in the row (the rest of the file is utf-8)"),
        (10, "bytes that are not valid utf-8 in the row (the rest of the file is utf-8)"),
    ]


def test_a_utf8_file_with_one_accented_name_and_one_bad_byte_stays_utf8(tmp_path: Path) -> None:
    data = _sheet(("José Müller", "jose@example.es")).encode("utf-8").replace(b"Tom Baker", b"Tom B\xe4ker")
    path = tmp_path / "list.csv"
    path.write_bytes(data)
    rows, rejects = _parse(path)
    assert "José Müller" in _names(rows)
    assert [r.row for r in rejects] == [7]


def test_nul_characters_reject_their_row_wherever_they_are(tmp_path: Path) -> None:
    filler = [(f"Person {i}", f"p{i}@example.org") for i in range(3000)]  # pushes the second NUL past 64 KiB
    text = _sheet(("Early\x00Bird", "early@example.org"), *filler, ("Late\x00Comer", "late@example.org"))
    path = tmp_path / "list.csv"
    path.write_bytes(text.encode("utf-8"))
    assert text.encode().index(b"Late\x00") > 64 * 1024

    rows, rejects = _parse(path)
    reason = "a NUL character in the row (a damaged or binary file?)"
    assert [(r.row, r.reason) for r in rejects] == [(6, reason), (3007, reason)]
    assert len(rows) == 8 + 3000
    assert not any("\x00" in n for n in _names(rows))


def test_a_file_that_is_mostly_nul_bytes_is_not_text(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes(b"Name,Email\r\n" + b"\x00" * 4096)
    with pytest.raises(ImportFailed, match="not text"):
        member_encoding(Source.from_path(path).single)


@pytest.mark.parametrize("shape", ["quoted with newlines", "one long line"])
def test_a_field_over_1_mib_is_one_rejected_row_and_the_next_row_is_kept(tmp_path: Path, shape: str) -> None:
    if shape == "quoted with newlines":
        huge = '"' + ("lorem, ipsum\r\nName,Email\r\nJunk Person,junk@example.org\r\n" * 30_000) + '"'
    else:
        huge = "x" * (MAX_FIELD_BYTES + 500_000)
    text = "Name,Email,Notes\r\nGrace Hollis,grace@northwind.example,\r\n" f"Sam Okafor,sam@example.com,{huge}\r\n" \
        "Lee Chen,lee@example.com,ok\r\nPriya Raman,priya@example.in,\r\n"
    path = tmp_path / "list.csv"
    path.write_text(text, encoding="utf-8", newline="")
    lines_of_huge = huge.count("\r\n")

    rows, rejects = _parse(path)
    assert _names(rows) == ["Grace Hollis", "Lee Chen", "Priya Raman"]
    assert [r.row for r in rows] == [2, 4 + lines_of_huge, 5 + lines_of_huge]
    assert len(rejects) == 1 and rejects[0].row == 3 and "longer than" in rejects[0].reason


def test_a_one_line_member_of_tens_of_megabytes_is_streamed_not_held(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("Name,Email,Notes\r\nGrace Hollis,grace@northwind.example,")
        for _ in range(40):
            fh.write("y" * (1024 * 1024))
        fh.write("\r\nSam Okafor,sam@example.com,\r\n")
    tracemalloc.start()
    try:
        rows, rejects = _parse(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert _names(rows) == ["Sam Okafor"] and [r.row for r in rejects] == [2]
    assert peak < 12 * 1024 * 1024, peak  # the 40 MB line is never in memory


def test_encoding_overrides_detection_and_is_noted(store: SQLiteStore, ws: str, tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes(_sheet(("Hélène Lefèvre", "h@example.fr")).encode("cp1252"))
    rows, _ = _parse(path, encoding="cp1250")
    assert "Hélčne Lefčvre" in _names(rows)  # what the user asked for, byte for byte

    job = import_file(store, ws, path, options=ImportOptions(event_date="2026-05-20", encoding="cp1250"))
    assert "encoding: cp1250 (--encoding)" in job.notes
    assert job.options["encoding"] == "cp1250"
    with pytest.raises(ImportFailed, match="unknown encoding 'klingon'"):
        import_file(store, ws, path, options=ImportOptions(event_date="2026-05-20", encoding="klingon"))


def test_cli_import_takes_encoding_and_prints_the_choice(tmp_path: Path) -> None:
    path = tmp_path / "workshop.csv"
    path.write_bytes(_sheet(("Ferenc Szabó", "f@example.hu")).encode("cp1252"))
    env = {"GRAPHSVC_DATA_DIR": str(tmp_path / "data"), "GRAPHSVC_STORE": ""}

    detected = run_cli(["import", str(path), "--event-date", "2026-05-20", "--json"], env)
    assert detected.returncode == 0, detected.stderr
    notes = json.loads(detected.stdout)["job"]["notes"]
    assert any(n.startswith("encoding: cp1252") for n in notes), notes

    other = tmp_path / "again.csv"
    other.write_bytes(path.read_bytes())
    forced = run_cli(["import", str(other), "--event-date", "2026-05-20", "--encoding", "mac_roman"], env)
    assert forced.returncode == 0, forced.stderr
    assert "encoding: mac_roman (--encoding)" in forced.stdout
