"""Delimited text as it really arrives: any encoding, any delimiter, a preamble above the header.

Encoding: a BOM wins; then strict UTF-8; then charset-normalizer; cp1252 is never assumed
blindly. Delimiter: the candidate giving the most rows with the same (>1) field count in a
sample. Header: the first row, within the first ``max_scan`` rows, that the importer's
predicate accepts, so preambles (LinkedIn's ``Notes:``, a sheet's title row) are skipped
without hard-coded offsets. Row numbers are the physical line on which a row starts.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from dataclasses import dataclass
from typing import BinaryIO, Callable, Iterator

from charset_normalizer import from_bytes

from graphsvc.errors import ImportFailed
from importers.records import Rejected
from importers.source import Member, Source

csv.field_size_limit(1024 * 1024)
MAX_FIELD_BYTES = 1024 * 1024
DELIMITERS = (",", ";", "\t", "|")
HEAD_BYTES = 64 * 1024


def sniff_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if not head:
        return "utf-8"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        if b"\x00" not in head:
            return "utf-8"
    except UnicodeDecodeError:
        pass
    if len(head) >= 4 and head[1::2].count(0) > len(head) // 4 and head[0::2].count(0) == 0:
        return "utf-16-le"
    best = from_bytes(head).best()
    if best is None or b"\x00" in head:
        raise ImportFailed("the file is not text (binary content or an unknown encoding)")
    return best.encoding


def decode_head(head: bytes, encoding: str) -> str:
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
    cell = cell.replace("\ufeff", "").strip().strip('"').strip()
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

    def rows(self) -> Iterator[tuple[int, dict[str, str]] | Rejected]:
        counter = _CountingReader(self.member.open(), self)
        with io.TextIOWrapper(io.BufferedReader(counter), encoding=self.encoding, errors="replace", newline="") as text:
            reader = csv.reader(text, delimiter=self.delimiter)
            start = 1
            seen_header = False
            width, longest = len(self.header), MAX_FIELD_BYTES // 4
            # each named column at its first place: with duplicated headers, the first one wins
            columns = [(i, name) for i, name in enumerate(self.header) if name and name not in self.header[:i]]
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    row, start = start, reader.line_num + 1
                    if seen_header:
                        yield Rejected(row, f"malformed CSV row ({exc})")
                    continue
                row, start = start, reader.line_num + 1
                if not seen_header:
                    seen_header = row >= self.header_row
                    continue
                if not "".join(cells).strip():
                    continue
                if len(cells) > width and "".join(cells[width:]).strip():
                    yield Rejected(row, f"{len(cells)} fields where the header has {width} (an unquoted delimiter?)")
                    continue
                if max(map(len, cells)) > longest:
                    yield Rejected(row, "a field is implausibly long")
                    continue
                yield row, {name: cells[i].strip() for i, name in columns if i < len(cells)}


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
    head = _read_head(member)
    encoding = sniff_encoding(head)
    if encoding == "utf-8" and head.isascii() and len(head) == HEAD_BYTES:
        encoding = _sniff_later_encoding(member)
    sample = decode_head(head, encoding)
    delimiter = sniff_delimiter(sample)
    lines = sample.splitlines(keepends=True)
    if len(head) == HEAD_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the sample may end mid-row
    reader = csv.reader(io.StringIO("".join(lines)), delimiter=delimiter)
    start = 1
    for _ in range(max_scan):
        try:
            cells = next(reader)
        except (StopIteration, csv.Error):
            return None
        row, start = start, reader.line_num + 1
        header = [normalise_header(c) for c in cells]
        if is_header(header):
            return Table(member, encoding, delimiter, header, row)
    return None


def _read_head(member: Member) -> bytes:
    with member.open() as fh:
        return fh.read(HEAD_BYTES)


def _sniff_later_encoding(member: Member) -> str:
    """An all-ASCII head says nothing about the encoding (an Excel cp1252 sheet's first accent
    may come after it): sniff on the first chunk that holds a non-ASCII byte, if any."""
    with member.open() as fh:
        fh.read(HEAD_BYTES)
        while chunk := fh.read(HEAD_BYTES):
            if not chunk.isascii():
                first = next(i for i, byte in enumerate(chunk) if byte >= 0x80)
                try:  # start on ASCII, a character boundary in every encoding we accept
                    return sniff_encoding(chunk[max(0, first - 1024) :])
                except ImportFailed:
                    return "utf-8"
    return "utf-8"


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
