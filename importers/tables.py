"""Delimited text as it really arrives: any encoding, any delimiter, a preamble above the header.

Encoding: the user's ``--encoding``; else a BOM; else the candidate whose decoding of the file's
non-ASCII words is the most plausible (``importers/encoding.py``); the choice is kept on the
member and reported in the job's notes. A row holding bytes the chosen encoding cannot decode
(a UTF-8 file with a few bad bytes) is rejected with that reason; the file is never re-decoded
as another code page. A row holding a NUL character is rejected, wherever it is in the file.

Delimiter: the candidate giving the most rows with the same (>1) field count in a sample.
Header: the first row, within the first ``max_scan`` rows, that the importer's predicate
accepts, so preambles (LinkedIn's ``Notes:``, a sheet's title row) are skipped without
hard-coded offsets. Row numbers are the physical line on which a row starts.

Records are cut by ``_records`` (RFC 4180 quoting, the ``csv`` module's own rules) before the
``csv`` module parses each one, reading at most ``LINE_CHUNK`` characters at a time: a record
longer than ``MAX_FIELD_BYTES`` (an unterminated quote, a 1 GB line) is one rejected row, read
past without being held in memory, and reading resumes at the next record.

Excel workbooks (``.xlsx``) are tables too: ``importers/xlsx.py`` reads their rows as cells, and
they go through the same header location and row checks.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass
from typing import BinaryIO, Callable, Iterable, Iterator

from graphsvc.errors import ImportFailed
from importers.encoding import EncodingChoice, detect_encoding
from importers.records import Rejected
from importers.source import Member, Source

MAX_FIELD_BYTES = 1024 * 1024
csv.field_size_limit(MAX_FIELD_BYTES + 16)
LINE_CHUNK = 256 * 1024
DELIMITERS = (",", ";", "\t", "|")
HEAD_BYTES = 64 * 1024
XLS_HINT = "a legacy Excel workbook (.xls); open it in Excel or LibreOffice and save it as .xlsx or CSV"


def member_encoding(member: Member) -> EncodingChoice:
    """The encoding ``member`` is read with: decided once, kept on the member (``facts``)."""
    choice = member.facts.get("encoding")
    if isinstance(choice, EncodingChoice):
        return choice
    if member.encoding:
        choice = EncodingChoice(member.encoding, "override")
    else:
        with member.open() as fh:
            choice = detect_encoding(fh)
    member.facts["encoding"] = choice
    return choice


def decode_head(head: bytes, encoding: str) -> str:
    import codecs

    return codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=False)


def sniff_delimiter(sample: str) -> str:
    lines = [line for line in sample.splitlines()[:-1] or sample.splitlines() if line.strip()][:40]
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        counts = Counter(len(row) for row in csv.reader(lines, delimiter=delimiter) if len(row) > 1)
        if not counts:
            continue
        width, rows = counts.most_common(1)[0]
        score = (rows, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def normalise_header(cell: str) -> str:
    cell = cell.replace("\ufeff", "").replace("\x00", "").strip().strip('"').strip()
    return re.sub(r"\s+", " ", cell).lower()


@dataclass
class Table:
    """A located header and a way to stream the rows under it as dicts keyed by normalised header."""

    member: Member
    encoding: str
    delimiter: str
    header: list[str]
    header_row: int
    bytes_read: int = 0  # how far the current ``rows()`` pass has read, for progress bars
    sheet: str | None = None  # a workbook's sheet (None: its first)

    def rows(self) -> Iterator[tuple[int, dict[str, str]] | Rejected]:
        if self.member.kind == "xlsx":
            from importers.xlsx import sheet_rows

            return _checked_rows(self, sheet_rows(self.member, self.sheet, self), undecodable=None)
        return _checked_rows(self, self._csv_rows(), undecodable=self.encoding)

    def _csv_rows(self) -> Iterator[tuple[int, list[str] | str]]:
        counter = _CountingReader(self.member.open(), self)
        with io.TextIOWrapper(io.BufferedReader(counter), encoding=self.encoding, errors="replace", newline="") as text:
            for row, record in _records(text, self.delimiter, MAX_FIELD_BYTES):
                if record is None:
                    yield row, f"a record longer than {MAX_FIELD_BYTES} characters (an unclosed quote or a runaway field); skipped up to its end"
                    continue
                if '"' not in record:  # what the csv module makes of a record without quotes
                    yield row, record.rstrip("\r\n").split(self.delimiter)
                    continue
                try:
                    yield row, next(csv.reader((record,), delimiter=self.delimiter), [])
                except csv.Error as exc:
                    yield row, f"malformed CSV row ({exc})"


def _checked_rows(
    table: Table, rows: Iterable[tuple[int, list[str] | str]], *, undecodable: str | None
) -> Iterator[tuple[int, dict[str, str]] | Rejected]:
    """The rows under the header as dicts; blank rows dropped; damaged rows rejected with a reason."""
    width, longest = len(table.header), MAX_FIELD_BYTES // 4
    # each named column at its first place: with duplicated headers, the first one wins
    columns = [(i, name) for i, name in enumerate(table.header) if name and name not in table.header[:i]]
    for row, cells in rows:
        if row <= table.header_row:
            continue
        if isinstance(cells, str):
            yield Rejected(row, cells)
            continue
        joined = "".join(cells)
        if not joined.replace("\x00", "").strip():
            continue
        if "\x00" in joined:
            yield Rejected(row, "a NUL character in the row (a damaged or binary file?)")
            continue
        if undecodable and "\ufffd" in joined:
            yield Rejected(row, f"bytes that are not valid {undecodable} in the row (the rest of the file is {undecodable})")
            continue
        if len(cells) > width and "".join(cells[width:]).strip():
            yield Rejected(row, f"{len(cells)} fields where the header has {width} (an unquoted delimiter?)")
            continue
        if max(map(len, cells)) > longest:
            yield Rejected(row, "a field is implausibly long")
            continue
        yield row, {name: cells[i].strip() for i, name in columns if i < len(cells)}


_START, _FIELD, _QUOTED, _QUOTE_IN_QUOTED = range(4)


def _scan(text: str, state: int, delimiter: str) -> int:
    """The ``csv`` module's parser state after ``text`` (no line end in it), quote char ``"``."""
    i, n = 0, len(text)
    while i < n:
        if state == _QUOTED:
            j = text.find('"', i)
            if j < 0:
                return _QUOTED
            state, i = _QUOTE_IN_QUOTED, j + 1
        elif state == _FIELD:
            j = text.find(delimiter, i)
            if j < 0:
                return _FIELD
            state, i = _START, j + 1
        else:
            c = text[i]
            if state == _QUOTE_IN_QUOTED:
                state = _QUOTED if c == '"' else _START if c == delimiter else _FIELD
                i += 1
            elif c == '"':
                state, i = _QUOTED, i + 1
            elif c == delimiter:
                i += 1
            else:
                state = _FIELD
    return state


def _records(text: io.TextIOBase, delimiter: str, limit: int) -> Iterator[tuple[int, str | None]]:
    """``(first physical line, record)`` for each CSV record of ``text``; ``None`` for a record
    over ``limit`` characters, which is read past (never held) up to where the record ends."""
    line, start, state = 1, 1, _START
    parts: list[str] = []
    size, over, after_cr = 0, False, False
    while True:
        piece = text.readline(LINE_CHUNK)
        if not piece:
            if parts or over:
                yield start, None if over else "".join(parts)
            return
        if after_cr and piece.startswith("\n"):
            # a "\r\n" the chunked read cut in two: the line already ended
            after_cr = False
            piece = piece[1:]
            if not piece:
                continue
        ends = piece.endswith(("\n", "\r"))
        after_cr = piece.endswith("\r")
        body = piece.rstrip("\r\n") if ends else piece
        if state in (_START, _FIELD) and '"' not in body:
            state = _FIELD if body else state
        else:
            state = _scan(body, state, delimiter)
        if not over:
            parts.append(piece)
            size += len(piece)
            if size > limit:
                over, parts = True, []
        if ends:
            line += 1
            if state != _QUOTED:
                yield start, None if over else "".join(parts)
                parts, size, over, state, start = [], 0, False, _START, line


def sniff_table(source: Source, is_header: Callable[[list[str]], bool], score: int) -> int:
    """``score`` when ``source`` is a single file holding a table ``is_header`` accepts, else 0
    (an importer's ``sniff`` for one-table formats: archives and unreadable files are not theirs)."""
    if source.is_container:
        return 0
    try:
        return score if locate_table(source.single, is_header) else 0
    except ImportFailed:
        return 0


def locate_table(
    member: Member, is_header: Callable[[list[str]], bool], *, max_scan: int = 30
) -> Table | None:
    """Find the header row ``is_header`` accepts; None when the member holds no such table."""
    if member.kind == "xls":
        raise ImportFailed(f"{member.name}: {XLS_HINT}")
    if member.kind == "xlsx":
        from importers.xlsx import locate_sheet_table

        return locate_sheet_table(member, is_header, max_scan=max_scan)
    head = _read_head(member)
    encoding = member_encoding(member).encoding
    sample = decode_head(head, encoding)
    delimiter = sniff_delimiter(sample)
    lines = sample.splitlines(keepends=True)
    if len(head) == HEAD_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the sample may end mid-row
    text = io.StringIO("".join(lines), newline="")
    scanned = 0
    for row, record in _records(text, delimiter, MAX_FIELD_BYTES):
        scanned += 1
        if scanned > max_scan:
            return None
        if record is None:
            continue
        try:
            cells = next(csv.reader((record,), delimiter=delimiter), [])
        except csv.Error:
            return None
        header = [normalise_header(c) for c in cells]
        if is_header(header):
            return Table(member, encoding, delimiter, header, row)
    return None


def _read_head(member: Member) -> bytes:
    with member.open() as fh:
        return fh.read(HEAD_BYTES)


class _CountingReader(io.RawIOBase):
    def __init__(self, inner: BinaryIO, table: Table) -> None:
        self._inner, self._table = inner, table
        table.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        data = self._inner.read(len(buffer))
        buffer[: len(data)] = data
        self._table.bytes_read += len(data)
        return len(data)

    def close(self) -> None:
        self._inner.close()
        super().close()
