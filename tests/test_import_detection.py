"""Which importer reads a file (by content, never by extension), ``--format``, and what is refused.

Every refusal must happen before anything is written: no job, no people, no evidence.
"""

from __future__ import annotations

import random
import shutil
import struct
import time
import zipfile
import zlib
from pathlib import Path
from typing import Callable

import pytest

import importers
from graphsvc.errors import ImportFailed, MissingOwner, UnrecognisedFormat
from graphsvc.imports.jobs import import_file
from graphsvc.store import SQLiteStore
from importers import ImportOptions, Source

FIXTURES = Path(__file__).parent / "fixtures"
LINKEDIN = FIXTURES / "linkedin"
SIGNIN = FIXTURES / "signin"
CONNECTIONS = LINKEDIN / "connections_2024_url.csv"
EXPORT_FOLDER = LINKEDIN / "export_folder"
FORMATS = ("linkedin", "signin_sheet")


def _assert_nothing_written(store: SQLiteStore, ws: str) -> None:
    assert store.list_jobs(ws) == []
    assert store.count_people(ws, None) == 0
    assert store.count_evidence(ws) == 0
    assert store.data_version(ws) == 0


def _copy(src: Path, dst: Path) -> Path:
    shutil.copyfile(src, dst)
    return dst


# --- detection by content --------------------------------------------------------------------------


LINKEDIN_FILES = sorted(p.name for p in LINKEDIN.glob("*.csv"))
SIGNIN_FILES = sorted(p.name for p in SIGNIN.iterdir() if p.suffix in (".csv", ".tsv"))


@pytest.mark.parametrize("name", LINKEDIN_FILES)
@pytest.mark.parametrize("renamed", ["data.txt", "export.xlsx", "no_extension", "Connections.CSV"])
def test_every_connections_era_is_detected_as_linkedin_whatever_the_file_is_called(
    tmp_path: Path, name: str, renamed: str
) -> None:
    path = _copy(LINKEDIN / name, tmp_path / renamed)
    assert importers.detect(Source.from_path(path)).name == "linkedin"


@pytest.mark.parametrize("name", SIGNIN_FILES)
@pytest.mark.parametrize("renamed", ["attendees.txt", "guests.json", "no_extension", "Connections.csv"])
def test_every_sign_in_sheet_is_detected_as_signin_sheet_whatever_the_file_is_called(
    tmp_path: Path, name: str, renamed: str
) -> None:
    path = _copy(SIGNIN / name, tmp_path / renamed)
    assert importers.detect(Source.from_path(path)).name == "signin_sheet"


def test_fixture_sets_cover_all_eras_and_sheets() -> None:
    assert len(LINKEDIN_FILES) == 6 and len(SIGNIN_FILES) == 4


def test_a_whole_export_is_detected_as_linkedin_as_a_folder_and_as_a_zip(tmp_path: Path) -> None:
    assert importers.detect(Source.from_path(EXPORT_FOLDER)).name == "linkedin"
    archive = tmp_path / "download.bin"  # a zip is recognised by its magic bytes, not its name
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for p in sorted(EXPORT_FOLDER.rglob("*.csv")):
            z.write(p, "Export\\" + p.name)
    assert importers.detect(Source.from_path(archive)).name == "linkedin"


def test_a_renamed_sign_in_sheet_imports_under_its_detected_format(store: SQLiteStore, ws: str, tmp_path: Path) -> None:
    path = _copy(SIGNIN / "google_forms_responses.csv", tmp_path / "responses.txt")

    job = import_file(store, ws, path)

    assert job.format == "signin_sheet"
    assert (job.rows_read, job.rows_imported) == (4, 4)
    assert store.count_people(ws, None) == 3


# --- --format --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("linkedin", "linkedin"), ("LinkedIn", "linkedin"), ("linkedin-connections", "linkedin"),
        ("signin_sheet", "signin_sheet"), ("signin-sheet", "signin_sheet"), ("signin", "signin_sheet"),
        (" Attendees ", "signin_sheet"),
    ],
)
def test_format_names_and_aliases_select_the_importer(given: str, expected: str) -> None:
    assert importers.get(given).name == expected


def test_an_unknown_format_name_is_refused_naming_the_formats_understood() -> None:
    with pytest.raises(UnrecognisedFormat) as caught:
        importers.get("myspace")
    message = str(caught.value)
    assert "'myspace'" in message and all(f in message for f in FORMATS)


def test_format_override_imports_a_file_under_the_named_format(store: SQLiteStore, ws: str, tmp_path: Path) -> None:
    path = _copy(CONNECTIONS, tmp_path / "blob.dat")

    job = import_file(store, ws, path, format="LinkedIn", options=ImportOptions(owner="Olivia Okafor"))

    assert job.format == "linkedin"
    assert (job.rows_read, job.rows_imported, job.rows_rejected, job.rows_skipped) == (9, 5, 3, 1)


def test_an_alias_and_detection_give_the_same_job(store: SQLiteStore, ws: str) -> None:
    detected = import_file(store, ws, SIGNIN / "meetup_checkins.tsv")
    forced = import_file(store, ws, SIGNIN / "meetup_checkins.tsv", format="attendees")

    assert forced.id == detected.id
    assert len(store.list_jobs(ws)) == 1


def test_forcing_the_wrong_format_fails_and_writes_nothing(store: SQLiteStore, ws: str) -> None:
    with pytest.raises(ImportFailed, match="no header with a name or email column"):
        import_file(store, ws, CONNECTIONS, format="signin_sheet", options=ImportOptions(event_date="2026-01-01"))
    with pytest.raises(ImportFailed, match="Connected On"):
        import_file(store, ws, SIGNIN / "robotics_workshop_signin.csv", format="linkedin",
                    options=ImportOptions(owner="Olivia Okafor"))
    with pytest.raises(ImportFailed, match="not an archive"):
        import_file(store, ws, EXPORT_FOLDER, format="signin_sheet", options=ImportOptions(event_date="2026-01-01"))
    with pytest.raises(UnrecognisedFormat, match="formats understood"):
        import_file(store, ws, CONNECTIONS, format="myspace")
    with pytest.raises(ImportFailed):
        import_file(store, ws, CONNECTIONS, format="facebook")
    _assert_nothing_written(store, ws)


# --- what is refused -------------------------------------------------------------------------------


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b"")


def _xlsx(path: Path) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr("xl/worksheets/sheet1.xml", "<worksheet><sheetData><row><c t='inlineStr'><is><t>Name</t></is></c></row></sheetData></worksheet>")


UNRECOGNISED: dict[str, Callable[[Path], None]] = {
    "random_bytes.csv": lambda p: p.write_bytes(random.Random(20260208).randbytes(4096)),
    "empty.csv": lambda p: p.write_bytes(b""),
    "blank_lines.csv": lambda p: p.write_bytes(b"\n \r\n\t\n"),
    "unknown_columns.csv": lambda p: p.write_bytes(b"sku,quantity,unit price\n"),
    "inventory.csv": lambda p: p.write_bytes(b"sku;quantity;unit price\nA-1;3;9.99\nB-2;1;19.50\n"),
    "photo.png": lambda p: p.write_bytes(_png()),
    "attendees.xlsx": _xlsx,  # a real spreadsheet is a zip of XML, not a CSV
}


@pytest.mark.parametrize("name", sorted(UNRECOGNISED))
def test_an_unrecognised_file_is_refused_naming_the_formats_understood_and_writes_nothing(
    store: SQLiteStore, ws: str, tmp_path: Path, name: str
) -> None:
    path = tmp_path / name
    UNRECOGNISED[name](path)

    with pytest.raises(UnrecognisedFormat) as caught:
        importers.detect(Source.from_path(path))
    assert name in str(caught.value)
    assert all(f in str(caught.value) for f in FORMATS)

    with pytest.raises(UnrecognisedFormat):
        import_file(store, ws, path, options=ImportOptions(owner="Olivia Okafor", event_date="2026-01-01"))
    _assert_nothing_written(store, ws)


def test_a_missing_path_is_refused(store: SQLiteStore, ws: str, tmp_path: Path) -> None:
    with pytest.raises(ImportFailed, match="no such file"):
        import_file(store, ws, tmp_path / "nope.csv")
    _assert_nothing_written(store, ws)


@pytest.mark.parametrize("name", LINKEDIN_FILES)
def test_a_lone_connections_csv_without_owner_raises_missing_owner_and_writes_nothing(
    store: SQLiteStore, ws: str, name: str
) -> None:
    with pytest.raises(MissingOwner) as caught:
        import_file(store, ws, LINKEDIN / name)
    assert "--owner" in str(caught.value)
    _assert_nothing_written(store, ws)


def test_a_zip_with_only_connections_csv_also_needs_an_owner(store: SQLiteStore, ws: str, tmp_path: Path) -> None:
    archive = tmp_path / "connections_only.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(CONNECTIONS, "Connections.csv")

    with pytest.raises(MissingOwner):
        import_file(store, ws, archive)
    _assert_nothing_written(store, ws)


@pytest.mark.parametrize("evil", ["../evil.csv", "Export/../../evil.csv", "..\\evil.csv", "/etc/evil.csv", "C:\\evil.csv"])
def test_a_zip_with_a_member_escaping_the_archive_is_refused(
    store: SQLiteStore, ws: str, tmp_path: Path, evil: str
) -> None:
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(CONNECTIONS, "Connections.csv")
        z.writestr(zipfile.ZipInfo(evil), b"First Name,Last Name\n")
    assert evil in zipfile.ZipFile(archive).namelist()

    with pytest.raises(ImportFailed, match="unsafe member path"):
        import_file(store, ws, archive, options=ImportOptions(owner="Olivia Okafor"))
    _assert_nothing_written(store, ws)


def _zip_of_zeros(path: Path, size: int = 50 * 1024 * 1024) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(CONNECTIONS, "Connections.csv")
        z.writestr("Profile.csv", b"\0" * size)
    return path


def _patch_declared_size(archive: Path, member: str, size: int) -> None:
    """Overwrite the uncompressed size of ``member`` in the zip's central directory."""
    data = bytearray(archive.read_bytes())
    entry = data.find(b"PK\x01\x02")
    while entry >= 0:
        (name_length,) = struct.unpack_from("<H", data, entry + 28)
        if data[entry + 46 : entry + 46 + name_length] == member.encode():
            struct.pack_into("<I", data, entry + 24, size)
            archive.write_bytes(bytes(data))
            return
        entry = data.find(b"PK\x01\x02", entry + 4)
    raise AssertionError(f"{member} not in the central directory")


def test_a_zip_bomb_is_refused_from_the_directory_without_inflating_it(
    store: SQLiteStore, ws: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = _zip_of_zeros(tmp_path / "export.zip")
    assert archive.stat().st_size < 200 * 1024  # 50 MiB of zeros squeezed ~1000x

    def no_inflating(*args: object, **kwargs: object) -> None:
        raise AssertionError("a zip member was opened")

    monkeypatch.setattr(zipfile.ZipFile, "open", no_inflating)
    started = time.perf_counter()
    with pytest.raises(ImportFailed, match="zip bomb"):
        import_file(store, ws, archive, options=ImportOptions(owner="Olivia Okafor"))
    assert time.perf_counter() - started < 1.0
    _assert_nothing_written(store, ws)


@pytest.mark.parametrize(
    ("owner", "refusal"),
    [(None, "not text"), ("Olivia Okafor", r"damaged \(Bad CRC-32 for file 'Profile.csv'\)")],
    ids=["profile-sniffed", "profile-hashed"],
)
def test_a_zip_that_understates_a_members_size_never_inflates_past_it(
    store: SQLiteStore, ws: str, tmp_path: Path, owner: str | None, refusal: str
) -> None:
    # The same bomb with its central directory lying: 100 kB declared, so the ratio looks harmless.
    archive = _zip_of_zeros(tmp_path / "export.zip")
    _patch_declared_size(archive, "Profile.csv", 100_000)
    assert zipfile.ZipFile(archive).getinfo("Profile.csv").file_size == 100_000

    started = time.perf_counter()
    with pytest.raises(ImportFailed, match=refusal):
        import_file(store, ws, archive, options=ImportOptions(owner=owner))
    assert time.perf_counter() - started < 1.0
    _assert_nothing_written(store, ws)
