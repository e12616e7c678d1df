"""Excel workbooks (``.xlsx``) read as tables, the way the CSV importers read text.

Eventbrite, Zoom and most organisers hand out attendee lists as ``.xlsx``. openpyxl reads the
workbook in read-only (streaming) mode, so a sheet's rows are never all in memory. Each sheet
is tried in order; the first whose first ``max_scan`` rows hold a header the importer accepts
is the table. Cells become the text a CSV export of the sheet would hold: numbers without a
spurious ``.0`` (ids and phone numbers stay whole), dates as ISO text, empty cells as ``""``.
Row numbers are the sheet's row numbers.

The workbook is a zip: ``importers/source.py`` has already held it to the archive caps
(declared expanded size, compression ratio) before openpyxl opens it. A workbook openpyxl
cannot read is refused with a hint to save it again as .xlsx or CSV.
"""

from __future__ import annotations

import zipfile
from contextlib import contextmanager
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any, Callable, Iterator

from graphsvc.errors import ImportFailed
from importers.source import Member

if TYPE_CHECKING:
    from importers.source import Source
    from importers.tables import Table

UNREADABLE_HINT = "an Excel workbook that could not be read ({}); open it in Excel or LibreOffice and save it again as .xlsx or CSV"


@contextmanager
def _workbook(member: Member) -> Iterator[Any]:
    import openpyxl

    fh = member.open()
    try:
        _check_shared_strings(member, fh)
        try:
            book = openpyxl.load_workbook(fh, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError, EOFError) as exc:
            raise ImportFailed(f"{member.name}: " + UNREADABLE_HINT.format(exc)) from exc
        try:
            yield book
        finally:
            book.close()
    finally:
        fh.close()


def _check_shared_strings(member: Member, fh: Any) -> None:
    """openpyxl holds a workbook's shared strings (every distinct text in it) in memory even in
    read-only mode: a workbook whose shared strings expand past ``XLSX_SHARED_STRINGS_BYTES`` is
    refused before they are read (a small file can declare gigabytes of them)."""
    from graphsvc.limits import XLSX_SHARED_STRINGS_BYTES

    if not (hasattr(fh, "seekable") and fh.seekable()):
        return
    try:
        with zipfile.ZipFile(fh) as archive:
            declared = sum(i.file_size for i in archive.infolist() if i.filename.lower().endswith("sharedstrings.xml"))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        declared = 0  # not a zip: openpyxl says what is wrong with it
    finally:
        fh.seek(0)
    if declared > XLSX_SHARED_STRINGS_BYTES:
        raise ImportFailed(
            f"{member.name}: its texts (shared strings) expand to {declared:,} bytes, more than the {XLSX_SHARED_STRINGS_BYTES:,} "
            "a workbook may hold (docs/security.md); save the sheet as CSV, which is read row by row"
        )


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 2**63 else repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ") if (value.hour, value.minute, value.second, value.microsecond) != (0, 0, 0, 0) else value.date().isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


def _rows(sheet: Any) -> Iterator[tuple[int, list[str]]]:
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = [cell_text(v) for v in values]
        while cells and cells[-1] == "":
            cells.pop()
        yield number, cells


def locate_sheet_table(member: Member, is_header: Callable[[list[str]], bool], *, max_scan: int = 30) -> "Table | None":
    from importers.tables import Table, normalise_header

    try:
        with _workbook(member) as book:
            for sheet in book.worksheets:
                for number, cells in _rows(sheet):
                    if number > max_scan:
                        break
                    header = [normalise_header(c) for c in cells]
                    if header and is_header(header):
                        return Table(member, "xlsx", "", header, number, sheet=sheet.title)
    except ImportFailed:
        raise
    except Exception as exc:  # openpyxl raises many kinds of errors on damaged XML
        raise ImportFailed(f"{member.name}: " + UNREADABLE_HINT.format(type(exc).__name__)) from exc
    return None


def sheet_rows(member: Member, sheet_name: str | None, table: "Table") -> Iterator[tuple[int, list[str]]]:
    """Every row of the sheet (the table's, else the first), as cell texts; ``table.bytes_read``
    advances in proportion to the rows read, for progress bars."""
    with _workbook(member) as book:
        sheet = book[sheet_name] if sheet_name and sheet_name in book.sheetnames else book.worksheets[0]
        total = sheet.max_row or 0
        table.bytes_read = 0
        for number, cells in _rows(sheet):
            if total:
                table.bytes_read = min(member.size, member.size * number // total)
            yield number, cells
        table.bytes_read = member.size


def check_workbook(source: "Source") -> None:
    """Before detection: a legacy ``.xls``, or an ``.xlsx`` openpyxl cannot open, is refused with a
    hint, rather than as a format nobody understands."""
    from importers.tables import XLS_HINT

    if source.is_container:
        return
    member = source.single
    if member.kind == "xls":
        raise ImportFailed(f"{source.name}: {XLS_HINT}")
    if member.kind == "xlsx":
        try:
            with _workbook(member):
                pass
        except ImportFailed:
            raise
        except Exception as exc:  # openpyxl raises many kinds of errors on damaged XML
            raise ImportFailed(f"{source.name}: " + UNREADABLE_HINT.format(type(exc).__name__)) from exc
