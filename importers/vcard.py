"""vCard address books (.vcf, export-formats.md §5.2): 2.1, 3.0 and 4.0, several cards a file,
one file or a zip/folder of them.

The file is streamed line by line as bytes and cut into cards at ``BEGIN:VCARD`` /
``END:VCARD``; each card is one row, numbered by the physical line its ``BEGIN`` is on (in a zip
or folder the files are numbered as if concatenated, and rejects name the file and line).
Per card:

* unfolding: a line starting with a space or tab continues the previous one (3.0/4.0 drop
  that one character; 2.1 folds at white space and keeps it); a quoted-printable value ending
  in ``=`` continues on the next line whatever it starts with (the 2.1 soft line break);
* ``[group.]NAME;params:value`` with 2.1 bare params (``TEL;CELL;PREF``), 3.0 ``TYPE=`` lists
  and 4.0 lower-case/quoted params; ``ENCODING=QUOTED-PRINTABLE`` (or bare) is decoded and the
  bytes read in ``CHARSET`` (UTF-8 when absent, then cp1252 for raw 8-bit 2.1 files);
  ``\\,`` ``\\;`` ``\\n`` escapes; ``itemN.`` groups tie a value to its ``X-ABLabel``;
* FN (or N given + additional + family), N, EMAIL, TEL (4.0 ``tel:`` URIs too), ORG (first
  component), TITLE, URL / X-SOCIALPROFILE: a LinkedIn profile becomes ``linkedin_url``, an
  Instagram profile the ``("instagram", username)`` handle;
* ``KIND:org|group|location`` (4.0) and Apple ``X-ABShowAs:COMPANY`` cards are skipped (not a
  person), as is a card with only an organization.

A broken card is rejected at its ``BEGIN`` line with the reason while the others import: a card
never closed by ``END:VCARD`` (the file ends, or another ``BEGIN`` comes first), a line that is
no ``NAME:value`` property, a continuation with nothing to continue, a card with no name, email
or phone. Text outside any card is rejected at its first line. vobject is not used: it refuses
2.1 quoted-printable soft line breaks (the continuation line does not start with white space),
the commonest case in phone exports, and it cannot report the line a card starts on.

Each card is a ``contact`` link (channel ``contacts``) from the owner to the person, exactly as
for Google Contacts; ``--owner`` is required (``MissingOwner`` in ``parse`` otherwise).
"""

from __future__ import annotations

import codecs
import io
import quopri
import re
from dataclasses import dataclass, field
from typing import BinaryIO, Iterator
from urllib.parse import unquote, urlparse

from graphsvc.errors import ImportFailed
from importers.base import ImportOptions
from importers.google_contacts import EMAIL_SHAPE, contact_link, linkedin_url_of, owner_for_address_book
from importers.names import split_name
from importers.records import ParsedRow, ParsedSource, PersonRef, Rejected, RowResult, Skipped
from importers.source import Member, Source

BEGIN = b"BEGIN:VCARD"
END = b"END:VCARD"
BARE_ENCODINGS = {"QUOTED-PRINTABLE", "BASE64", "B", "8BIT", "7BIT"}
INSTAGRAM_USER = re.compile(r"^[a-z0-9._]{1,30}$")


class CardError(ValueError):
    """A card that cannot be read; the message is the reject reason."""


@dataclass
class Property:
    group: str
    name: str
    params: dict[str, list[str]]
    value: str


@dataclass
class RawCard:
    start: int  # the physical line of BEGIN:VCARD
    lines: list[tuple[int, bytes]] = field(default_factory=list)
    size: int = 0  # bytes of its lines so far; past ``limits.VCARD_BYTES`` they are no longer kept


def _is_vcard_head(head: bytes) -> bool:
    head = head.removeprefix(codecs.BOM_UTF8)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            head = head.decode("utf-16", errors="ignore").encode("utf-8")
        except UnicodeError:
            return False
    return head.lstrip().upper().startswith(BEGIN)


class VCardImporter:
    name = "vcard"
    description = "vCard address book (.vcf; vCard 2.1, 3.0, 4.0, several cards a file); needs --owner"

    def sniff(self, source: Source) -> int:
        try:
            return 95 if self._members(source) else 0
        except (ImportFailed, OSError):
            return 0

    def parse(self, source: Source, options: ImportOptions) -> ParsedSource:
        members = self._members(source)
        if not members:
            raise ImportFailed(f"{source.name}: no vCard (a file starting with BEGIN:VCARD) in it")
        owner = owner_for_address_book(source, options, "A vCard file")
        notes = [f"read {', '.join(m.name for m in members)}"] if source.is_container else []
        progress = {"bytes": 0}

        def rows() -> Iterator[RowResult]:
            progress["bytes"] = 0
            offset = 0
            for member in members:
                lines = 0
                for item, lines in _member_rows(member, offset, name_it=source.is_container):
                    if item is not None:
                        yield item
                offset += lines
                progress["bytes"] += member.size

        return ParsedSource(
            format=self.name, owner=owner, rows=rows, notes=notes, size=sum(m.size for m in members),
            position=lambda: progress["bytes"],
        )

    @staticmethod
    def _members(source: Source) -> list[Member]:
        if not source.is_container:
            return [source.single] if _is_vcard_head(source.read_head(size=4096)) else []
        found = [
            m for m in source.members
            if m.basename.lower().endswith((".vcf", ".vcard")) and _is_vcard_head(source.read_head(m, 4096))
        ]
        return sorted(found, key=lambda m: m.name)


# --- cutting a file into cards -------------------------------------------------------------------


def _physical_lines(member: Member) -> Iterator[bytes]:
    """Lines as bytes without their end; UTF-16 files are re-encoded to UTF-8 on the way. A line
    longer than a card may be (``limits.VCARD_BYTES``) is cut there, the rest of it read and
    dropped: its card is rejected for its size, and no line is ever held whole."""
    from graphsvc.limits import VCARD_BYTES

    with io.BufferedReader(_Unclosable(member.open())) as buffered:
        head = buffered.peek(4)[:4]
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            with io.TextIOWrapper(buffered, encoding="utf-16", errors="replace", newline=None) as text:
                while line := text.readline(VCARD_BYTES + 1):
                    if not line.endswith("\n"):
                        while (rest := text.readline(1024 * 1024)) and not rest.endswith("\n"):
                            pass
                    yield line.rstrip("\n").encode("utf-8")
            return
        first = True
        while line := buffered.readline(VCARD_BYTES + 1):
            if not line.endswith(b"\n"):
                while (rest := buffered.readline(1024 * 1024)) and not rest.endswith(b"\n"):
                    pass
            if first:
                line, first = line.removeprefix(codecs.BOM_UTF8), False
            yield line.rstrip(b"\r\n")


class _Unclosable(io.RawIOBase):
    """A raw reader over a member's stream that closes it exactly once, with the wrappers."""

    def __init__(self, inner: BinaryIO) -> None:
        self._inner = inner

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        data = self._inner.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._inner.close()
        super().close()


def _raw_cards(member: Member) -> Iterator[tuple[RawCard | Rejected | None, int]]:
    """(card or reject, physical lines read so far); rows are relative to the file. A card larger
    than ``limits.VCARD_BYTES`` is rejected for its size, its lines dropped as they stream."""
    from graphsvc.limits import VCARD_BYTES

    card: RawCard | None = None
    outside_run = False
    number = 0
    lines = _physical_lines(member)
    try:
        for number, line in enumerate(lines, start=1):
            token = line.rstrip().upper()
            if token == BEGIN:
                if card is not None:
                    yield Rejected(card.start, f"the card is not closed (BEGIN:VCARD again on line {number} before END:VCARD)"), number
                card, outside_run = RawCard(number), False
                continue
            if card is None:
                if line.strip() and not outside_run:
                    yield Rejected(number, "text outside a BEGIN:VCARD … END:VCARD card"), number
                outside_run = bool(line.strip())
                continue
            if token == END and line[:1] not in (b" ", b"\t"):
                if card.size > VCARD_BYTES:
                    yield Rejected(card.start, f"a card larger than {VCARD_BYTES:,} bytes (docs/security.md); not read"), number
                else:
                    yield card, number
                card = None
                continue
            card.size += len(line) + 1
            if card.size <= VCARD_BYTES:
                card.lines.append((number, line))
            elif card.lines:
                card.lines = []  # over the cap: nothing of it is kept
    finally:
        lines.close()
    if card is not None:
        yield Rejected(card.start, "the card is not closed (the file ends before END:VCARD)"), number
    yield None, number


def _member_rows(member: Member, offset: int, *, name_it: bool) -> Iterator[tuple[RowResult | None, int]]:
    where = f"{member.name} " if name_it else ""
    for item, lines in _raw_cards(member):
        if item is None:
            yield None, lines
        elif isinstance(item, Rejected):
            reason = f"{where}line {item.row}: {item.reason}" if name_it else item.reason
            yield Rejected(item.row + offset, reason), lines
        else:
            result = card_result(item)
            if name_it and not isinstance(result, ParsedRow):
                result = type(result)(result.row, f"{where}line {result.row}: {result.reason}")
            yield _shift(result, offset), lines


def _shift(result: RowResult, offset: int) -> RowResult:
    if offset == 0:
        return result
    if isinstance(result, ParsedRow):
        return ParsedRow(result.row + offset, result.records)
    return type(result)(result.row + offset, result.reason)


# --- reading one card ----------------------------------------------------------------------------


def card_result(card: RawCard) -> RowResult:
    try:
        properties = parse_card(card)
    except CardError as exc:
        return Rejected(card.start, str(exc))
    return _card_row(card.start, properties)


def _version(card: RawCard) -> str:
    for _, line in card.lines:
        if line.upper().startswith(b"VERSION:"):
            return line.split(b":", 1)[1].strip().decode("ascii", "replace")
    return ""


def _split_property(line: bytes) -> tuple[bytes, bytes] | None:
    """``NAME;params`` and the value, split at the first colon outside double quotes.

    Found with ``bytes.find`` (C speed, each byte looked at once or twice): a 5 MB PHOTO value
    is not walked byte by byte in Python."""
    pos, colon = 0, line.find(b":")
    while colon != -1:
        quote = line.find(b'"', pos, colon)
        if quote == -1:
            return line[:colon], line[colon + 1 :]
        closing = line.find(b'"', quote + 1)
        if closing == -1:
            return None  # an unclosed quote: no colon outside quotes
        pos = closing + 1
        if colon < pos:
            colon = line.find(b":", pos)
    return None


def _is_quoted_printable(head: bytes) -> bool:
    return b"QUOTED-PRINTABLE" in head.upper()


class _Unfolding:
    """One logical line being unfolded: its pieces are collected and joined once at the end,
    and whether it is a quoted-printable property is decided once its head (up to the first
    colon outside quotes) is complete, from the new pieces only. Unfolding a card is linear in
    its size however many continuation lines it has (joining with ``+=`` and re-reading the
    whole line on each one made a 2 MB PHOTO take 78 s)."""

    __slots__ = ("number", "parts", "head", "quoted", "quoted_printable", "last")

    def __init__(self, number: int, line: bytes) -> None:
        self.number, self.parts = number, []
        self.head: list[bytes] | None = []  # pieces of the head while it is incomplete; None once known
        self.quoted = self.quoted_printable = False
        self.last = b""
        self.add(line)

    def add(self, piece: bytes) -> None:
        self.parts.append(piece)
        if piece:
            self.last = piece[-1:]
        if self.head is None:
            return
        pos = 0
        while True:  # the quote state carried over from the previous pieces
            if self.quoted:
                closing = piece.find(b'"', pos)
                if closing == -1:
                    self.head.append(piece)
                    return
                self.quoted, pos = False, closing + 1
                continue
            colon, quote = piece.find(b":", pos), piece.find(b'"', pos)
            if colon != -1 and (quote == -1 or colon < quote):
                self.head.append(piece[:colon])
                self.quoted_printable = _is_quoted_printable(b"".join(self.head))
                self.head = None
                return
            if quote == -1:
                self.head.append(piece)
                return
            self.quoted, pos = True, quote + 1

    def soft_break(self) -> bool:
        """Whether the line ends in a quoted-printable soft line break (2.1: ``=`` at the end)."""
        return self.head is None and self.quoted_printable and self.last == b"="

    def drop_last_byte(self) -> None:
        while self.parts and not self.parts[-1]:
            self.parts.pop()  # each empty piece is dropped once: still linear
        if self.parts:
            self.parts[-1] = self.parts[-1][:-1]
        self.last = b""
        for part in reversed(self.parts):
            if part:
                self.last = part[-1:]
                break
            self.parts.pop()

    def text(self) -> bytes:
        return b"".join(self.parts)


def _logical_lines(card: RawCard, version: str) -> list[tuple[int, bytes]]:
    logical: list[_Unfolding] = []
    for number, line in card.lines:
        current = logical[-1] if logical else None
        if current is not None and current.soft_break():
            current.drop_last_byte()  # the "=" of a 2.1 soft line break
            current.add(line.lstrip(b" \t"))
            continue
        if line[:1] in (b" ", b"\t"):
            if current is None:
                raise CardError(f"line {number}: a continuation line with nothing to continue")
            current.add(line if version == "2.1" else line[1:])
            continue
        if not line.strip():
            continue  # blank line (ends a 2.1 base64 block)
        logical.append(_Unfolding(number, line))
    return [(u.number, u.text()) for u in logical]


def parse_card(card: RawCard) -> list[Property]:
    version = _version(card)
    properties = []
    for number, line in _logical_lines(card, version):
        split = _split_property(line)
        if split is None:
            preview = line[:40].decode("utf-8", "replace")
            raise CardError(f"line {number}: not a 'NAME:value' property ({preview!r})")
        head, raw_value = split
        parts = _split_params(head.decode("latin-1"))
        name = parts[0].strip()
        group, _, name = name.rpartition(".")
        if not name or not re.fullmatch(r"[A-Za-z0-9-]+", name):
            raise CardError(f"line {number}: {parts[0][:40]!r} is not a property name")
        params: dict[str, list[str]] = {}
        for param in parts[1:]:
            if "=" in param:
                key, _, values = param.partition("=")
                params.setdefault(key.strip().upper(), []).extend(
                    v.strip().strip('"') for v in _split_unquoted(values, ",")
                )
            elif param.strip().upper() in BARE_ENCODINGS:
                params.setdefault("ENCODING", []).append(param.strip())
            elif param.strip():
                params.setdefault("TYPE", []).append(param.strip())
        encoding = (params.get("ENCODING") or [""])[0].upper()
        if encoding in ("B", "BASE64"):
            continue  # a photo or key: nothing we read
        charset = (params.get("CHARSET") or [""])[0]
        if encoding == "QUOTED-PRINTABLE":
            raw_value = quopri.decodestring(raw_value)
        value = _decode(raw_value, charset)
        properties.append(Property(group.upper(), name.upper(), params, value))
    return properties


def _split_unquoted(text: str, separator: str) -> list[str]:
    parts, current, quoted = [], [], False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == separator and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _split_params(head: str) -> list[str]:
    return _split_unquoted(head, ";")


def _decode(raw: bytes, charset: str) -> str:
    for encoding in (charset, "utf-8"):
        if not encoding:
            continue
        try:
            return raw.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return raw.decode("cp1252", errors="replace")


def unescape(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def components(value: str) -> list[str]:
    """A structured value (N, ORG) split at unescaped ``;`` and unescaped."""
    return [unescape(p).strip() for p in re.split(r"(?<!\\);", value)]


def _instagram_handle(value: str) -> str:
    if "instagram.com/" not in value.lower():
        return ""
    url = value if "://" in value else f"https://{value}"
    segments = [s for s in unquote(urlparse(url).path).split("/") if s and s != "_u"]
    handle = segments[0].lstrip("@").lower() if segments else ""
    return handle if INSTAGRAM_USER.match(handle) else ""


def _card_row(row: int, properties: list[Property]) -> RowResult:
    by_name: dict[str, list[Property]] = {}
    for prop in properties:
        by_name.setdefault(prop.name, []).append(prop)
    labels = {p.group: unescape(p.value).strip().lower() for p in by_name.get("X-ABLABEL", []) if p.group}

    def values(name: str) -> list[str]:
        return [unescape(p.value).strip() for p in by_name.get(name, []) if p.value.strip()]

    kind = (values("KIND") or [""])[0].lower()
    if kind in ("org", "group", "location"):
        return Skipped(row, f"a vCard of KIND:{kind}, not a person")
    if (values("X-ABSHOWAS") or [""])[0].upper() == "COMPANY":
        return Skipped(row, "an organization's card (X-ABShowAs:COMPANY), not a person")
    n_parts = (components(by_name["N"][0].value) + [""] * 5)[:5] if by_name.get("N") else [""] * 5
    family, given, additional = (p.replace(",", " ").strip() for p in n_parts[:3])
    full = (values("FN") or [""])[0] or " ".join(p for p in (given, additional, family) if p)
    if full and not (given or family):
        given, family = split_name(full)
    emails: list[str] = []
    for value in values("EMAIL"):
        value = value.removeprefix("mailto:").removeprefix("MAILTO:").strip()
        if EMAIL_SHAPE.match(value):
            emails.append(value)
    phones: list[str] = []
    for value in values("TEL"):
        if value.lower().startswith("tel:"):
            value = value[4:].split(";", 1)[0]
        phones.append(value)
    linkedin, handles = "", []
    for prop in by_name.get("URL", []) + by_name.get("X-SOCIALPROFILE", []):
        value = unescape(prop.value).strip()
        label = labels.get(prop.group, "") if prop.group else ""
        types = " ".join(prop.params.get("TYPE", [])).lower()
        if not linkedin:
            linkedin = linkedin_url_of(value)
            if not linkedin and "linkedin" in (label + types) and "linkedin.com/" in value.lower():
                linkedin = value
        handle = _instagram_handle(value)
        if handle:
            handles.append(("instagram", handle))
    organization = components(by_name["ORG"][0].value)[0] if by_name.get("ORG") else ""
    person = PersonRef(
        name=full, first_name=given, last_name=family, emails=tuple(dict.fromkeys(emails)),
        phones=tuple(dict.fromkeys(phones)), organization=organization, title=(values("TITLE") or [""])[0],
        linkedin_url=linkedin, handles=tuple(dict.fromkeys(handles)),
    )
    if person.is_empty():
        if organization:
            return Skipped(row, "an organization's card with no person's name, email or phone")
        return Rejected(row, "no name, email or phone in the card")
    return ParsedRow(row, (contact_link(person),))


IMPORTERS = (VCardImporter(),)
