"""Email in mbox files (export-formats.md §8): Gmail Takeout, Apple Mail, Thunderbird.

A row is one message; its row number is the physical line of its ``From `` separator. The file
is streamed line by line and only a message's header block is held (capped at
``MAX_HEADER_BYTES``): bodies are skipped as they stream, so a multi-GB ``All mail Including
Spam and Trash.mbox`` costs the memory of one message's headers. A separator is a line starting
``From <address, - or MAILER-DAEMON>`` that opens the file or follows a blank line and carries a
time (``hh:mm``), or one
with the full ``From addr Tue Mar  5 14:02:11 2024`` shape anywhere, so an unescaped ``From``
sentence in a body does not split a message. CRLF (Takeout) and LF endings
are both read.

The owner is ``--owner``: the mailbox owner's email address, or several separated by commas
(aliases); ``MissingOwner`` otherwise. Only messages the owner sent or received are evidence:

* each message becomes ``Link(kind="message", channel="email", direction="a->b")`` from the
  sender (``From``) to every recipient (``To``, ``Cc``, ``Bcc``), the owner being ``None`` on
  either side, timed by ``Date`` (RFC 5322, else the separator's date) and referenced by its
  ``Message-ID`` (else a hash of its headers). A message the owner received by ``Bcc`` or alias
  (the owner only in ``Delivered-To`` / ``X-Original-To``) links the sender to the owner; one
  labelled ``Sent`` by Gmail was written by the owner whatever alias its ``From`` shows.
* skipped, with the reason: Gmail ``Spam``/``Trash``/``Draft`` labels (``X-Gmail-Labels``),
  mailing lists (``List-Id``, ``List-Unsubscribe``, ``List-Post``) and bulk mail (``Precedence:
  bulk|list|junk``), automatic messages (``Auto-Submitted`` other than ``no``), no-reply senders
  (``noreply@``, ``no-reply@``, ``do-not-reply@``, ``mailer-daemon@``, ...), mass mailings (more
  than ``MAX_RECIPIENTS`` recipients), messages to oneself, messages without recipients, and
  messages the owner neither sent nor received (evidence between two other people is not kept:
  the owner only saw it forwarded or copied along).
* rejected, with the reason: no or unreadable sender address, no readable date, headers larger
  than the cap.

Display names are decoded (RFC 2047 encoded words, ``"Hollis, Grace"`` -> ``Grace Hollis``); a
display name that is an address is not a name. No-reply recipients are left out.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from email.header import decode_header, make_header
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import PurePosixPath
from typing import BinaryIO, Iterator

from graphsvc.errors import ImportFailed, MissingOwner
from importers.base import ImportOptions
from importers.names import split_name
from importers.records import Link, ParsedRow, ParsedSource, PersonRef, Rejected, RowResult, Skipped
from importers.source import Member, Source
from importers.tables import _CountingReader

MAX_HEADER_BYTES = 256 * 1024
MAX_LINE_BYTES = 64 * 1024
MAX_RECIPIENTS = 50
SEPARATOR = re.compile(rb"^From (\S*@\S*|-|MAILER-DAEMON)\s.*\d{1,2}:\d{2}")
#: The full asctime shape (``From sender Tue Mar  5 14:02:11 2024`` / Gmail's ``+0000 2024``): a
#: separator even where no blank line precedes it (writers that do not leave one).
STRICT_SEPARATOR = re.compile(
    rb"^From \S+ +(Mon|Tue|Wed|Thu|Fri|Sat|Sun) +(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\d{1,2} "
    rb"+\d{1,2}:\d{2}(:\d{2})?( +[+-]\d{4})? +\d{4}\s*$"
)
EMAIL = re.compile(r"^[^@\s<>(),;:\"]+@[^@\s<>(),;:\"]+\.[^@\s<>(),;:\"]+$")
NO_REPLY = re.compile(
    r"^(.*[-_.])?(no[-_.]?reply|do[-_.]?not[-_.]?reply|dont[-_.]?reply|mailer[-_.]daemon|postmaster|bounces?)([-_.+].*)?$"
)
SKIP_LABELS = {"spam": "labelled Spam", "trash": "labelled Trash", "draft": "a draft, never sent", "drafts": "a draft, never sent"}
HEADER_LINE = re.compile(rb"^(From|To|Date|Subject|Message-ID|Received|Return-Path|X-Gmail-Labels|Delivered-To):", re.IGNORECASE | re.MULTILINE)


def _is_mbox(member: Member) -> bool:
    with member.open() as fh:
        head = fh.read(16 * 1024)
    first_line = head.split(b"\n", 1)[0]
    return bool(SEPARATOR.match(first_line)) and bool(HEADER_LINE.search(head))


def _mbox_members(source: Source) -> list[Member]:
    if not source.is_container:
        return [source.single] if _is_mbox(source.single) else []
    candidates = []
    for member in source.members:
        base = PurePosixPath(member.name).name.lower()
        suffix = PurePosixPath(base).suffix
        if base.endswith(".mbox") or base == "mbox" or (not suffix and not base.startswith(".")):
            candidates.append(member)
    return sorted((m for m in candidates if _is_mbox(m)), key=lambda m: m.name.lower())


def _owner_emails(options: ImportOptions, source: Source) -> tuple[str, ...]:
    if not options.owner:
        raise MissingOwner(f"{source.name}: whose mailbox is this? Pass --owner with the mailbox owner's email address")
    parts = [p.strip().strip("<>").lower() for p in re.split(r"[,;\s]+", options.owner.strip()) if p.strip()]
    if not parts or not all(EMAIL.match(p) for p in parts):
        raise MissingOwner(
            f"{source.name}: --owner {options.owner!r} is not an email address; a mailbox's owner is given by "
            "their address (several separated by commas for aliases)"
        )
    return tuple(dict.fromkeys(parts))


class MboxImporter:
    name = "mbox"
    description = "email in mbox files (Gmail Takeout, Apple Mail, Thunderbird); needs --owner EMAIL"

    def sniff(self, source: Source) -> int:
        try:
            members = _mbox_members(source)
        except (ImportFailed, OSError):
            return 0
        if not members:
            return 0
        return 95 if not source.is_container else 90

    def parse(self, source: Source, options: ImportOptions) -> ParsedSource:
        members = _mbox_members(source)
        if not members:
            raise ImportFailed(f"{source.name}: no mbox data (a file starting with a 'From ' separator line)")
        owner_emails = _owner_emails(options, source)
        notes = [f"read {m.name}" for m in members] if source.is_container else []
        if len(members) > 1:
            notes.append("row numbers run on from one mailbox file to the next, in name order")
        owner = PersonRef(emails=owner_emails)
        progress = _Progress()

        def rows() -> Iterator[RowResult]:
            base = 0
            progress.done = 0
            for member in members:
                lines = [0]
                for message in _messages(member, progress, lines):
                    yield _message_row(base + message.row, message, frozenset(owner_emails))
                base += lines[0]
                progress.done += member.size
                progress.bytes_read = 0

        return ParsedSource(
            format=self.name, owner=owner, rows=rows, notes=notes, size=sum(m.size for m in members),
            position=lambda: progress.done + progress.bytes_read,
        )


class _Progress:
    bytes_read = 0
    done = 0


@dataclass
class _Message:
    row: int
    separator: bytes
    headers: bytes
    truncated: bool


def _messages(member: Member, progress: _Progress, lines_seen: list[int]) -> Iterator[_Message]:
    """Messages as (separator line, header block); bodies are read past, never kept."""
    line_no = 0
    previous_blank = True
    current: _Message | None = None
    in_headers = False
    header_parts: list[bytes] = []
    header_size = 0
    raw: BinaryIO
    with io.BufferedReader(_CountingReader(member.open(), progress), buffer_size=1024 * 1024) as raw:
        at_line_start = True
        while True:
            chunk = raw.readline(MAX_LINE_BYTES)
            if not chunk:
                break
            starts_line = at_line_start
            at_line_start = chunk.endswith(b"\n")
            if not starts_line:  # the rest of an over-long physical line
                if in_headers and current is not None:
                    header_size += len(chunk)
                    if header_size <= MAX_HEADER_BYTES:
                        header_parts.append(chunk)
                    else:
                        current.truncated = True
                continue
            line_no += 1
            blank = chunk in (b"\n", b"\r\n")
            if chunk.startswith(b"From ") and (
                (previous_blank and SEPARATOR.match(chunk)) or STRICT_SEPARATOR.match(chunk)
            ):
                if current is not None:
                    current.headers = b"".join(header_parts)
                    yield current
                current = _Message(line_no, chunk.rstrip(b"\r\n"), b"", False)
                in_headers, header_parts, header_size = True, [], 0
                previous_blank = False
                continue
            previous_blank = blank
            if in_headers and current is not None:
                if blank:
                    in_headers = False
                    continue
                header_size += len(chunk)
                if header_size <= MAX_HEADER_BYTES:
                    header_parts.append(chunk)
                else:
                    current.truncated = True
        if current is not None:
            current.headers = b"".join(header_parts)
            yield current
    lines_seen[0] = line_no


# --- one message -> one row -----------------------------------------------------------------------


class _Headers:
    """A message's header block: unfolded values by lower-cased name, in order.

    Hand-rolled rather than ``email.parser``: it is several times faster, and a mailbox has
    hundreds of thousands of header blocks."""

    def __init__(self, text: str) -> None:
        self._values: dict[str, list[str]] = {}
        name = ""
        for line in text.split("\n"):
            line = line.rstrip("\r")
            if line[:1] in (" ", "\t"):
                if name:
                    values = self._values[name]
                    values[-1] = f"{values[-1]} {line.strip()}"
                continue
            head, colon, value = line.partition(":")
            if not colon or not head or " " in head.strip():
                name = ""  # not a header line (a defect): ignored
                continue
            name = head.strip().lower()
            self._values.setdefault(name, []).append(value.strip())

    def get(self, name: str, default: str | None = None) -> str | None:
        values = self._values.get(name.lower())
        return values[0] if values else default

    def get_all(self, name: str) -> list[str]:
        return self._values.get(name.lower(), [])


def _text(value: str) -> str:
    """A header value with RFC 2047 encoded words (``=?UTF-8?B?...?=``) decoded."""
    if "=?" not in value:
        return value.strip()
    try:
        return str(make_header(decode_header(value))).strip()
    except (UnicodeError, LookupError, ValueError, TypeError):
        return value.strip()


SIMPLE_ADDRESS = re.compile(r"^\s*(?:(?P<name>[^<>]*?)\s*<(?P<angle>[^<>\s]+)>|(?P<bare>[^<>\s]+))\s*$")


def _addresses(headers: _Headers, *names: str) -> list[tuple[str, str]]:
    """(display name, lower-cased address) of every well-formed address in the named headers.

    Plain lists (``Name <a@b>, c@d``) are split here; anything with quotes, comments or groups
    goes to ``email.utils.getaddresses``, which never splits on a quoted comma."""
    pairs: list[tuple[str, str]] = []
    for name in names:
        for value in headers.get_all(name):
            if any(c in value for c in '"()\\;:'):
                pairs.extend(getaddresses([value]))
                continue
            for part in value.split(","):
                match = SIMPLE_ADDRESS.match(part)
                if match:
                    pairs.append((match.group("name") or "", match.group("angle") or match.group("bare")))
    found: list[tuple[str, str]] = []
    for display, address in pairs:
        address = address.strip().strip("<>").lower()
        if EMAIL.match(address):
            found.append((_text(display) if display else "", address))
    return found


@lru_cache(maxsize=8192)
def _split(name: str) -> tuple[str, str]:
    return split_name(name)  # nameparser is slow and a mailbox repeats its names


def _person(display: str, address: str) -> PersonRef:
    name = display.strip().strip("'\"").strip()
    if "@" in name or name.lower() == address:
        name = ""
    first, last = _split(name) if name else ("", "")
    if "," in name and first and last:  # "Hollis, Grace"
        name = f"{first} {last}"
    return PersonRef(name=name, first_name=first, last_name=last, emails=(address,))


def _is_no_reply(address: str) -> bool:
    return bool(NO_REPLY.match(address.split("@", 1)[0]))


def _date(message: _Headers, separator: bytes) -> datetime | None:
    for value in (message.get("Date"), None):
        candidate = value if value is not None else _separator_date(separator)
        if not candidate:
            continue
        try:
            moment = parsedate_to_datetime(candidate)
        except (TypeError, ValueError, IndexError, OverflowError):
            continue
        if moment is None:
            continue
        return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
    return None


def _separator_date(separator: bytes) -> str:
    parts = separator.decode("ascii", "replace").split(None, 2)
    return parts[2] if len(parts) == 3 else ""


def _reference(message: _Headers, raw_headers: bytes) -> str:
    message_id = (message.get("Message-ID") or "").strip().strip("<>").strip()
    if message_id:
        return message_id
    return "sha256:" + hashlib.sha256(raw_headers).hexdigest()[:32]


def _message_row(row: int, raw: _Message, owner: frozenset[str]) -> RowResult:
    try:
        return _read_message(row, raw, owner)
    except Exception as exc:  # noqa: BLE001 - one malformed message must not stop a mailbox of a million
        return Rejected(row, f"unreadable message ({type(exc).__name__}: {str(exc)[:120]})")


def _read_message(row: int, raw: _Message, owner: frozenset[str]) -> RowResult:
    if raw.truncated:
        return Rejected(row, f"headers larger than {MAX_HEADER_BYTES} bytes")
    if not raw.headers.strip():
        return Rejected(row, "a message without headers")
    try:  # raw 8-bit headers are UTF-8 in practice; cp1252 from old clients
        text = raw.headers.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.headers.decode("cp1252", errors="replace")
    message = _Headers(text)
    labels = {_text(label).strip().strip('"').lower() for label in (message.get("X-Gmail-Labels") or "").split(",")}
    for label, reason in SKIP_LABELS.items():
        if label in labels:
            return Skipped(row, reason)
    for header in ("List-Id", "List-Unsubscribe", "List-Post"):
        if message.get(header) is not None:
            return Skipped(row, f"a mailing list message ({header})")
    precedence = (message.get("Precedence") or "").strip().lower()
    if precedence in ("bulk", "list", "junk"):
        return Skipped(row, f"bulk mail (Precedence: {precedence})")
    auto = (message.get("Auto-Submitted") or "").strip().lower()
    if auto and auto != "no":
        return Skipped(row, f"an automatic message (Auto-Submitted: {auto})")
    senders = _addresses(message, "From") or _addresses(message, "Sender")
    if not senders:
        return Rejected(row, "no readable sender address (From)")
    sender_name, sender = senders[0]
    if _is_no_reply(sender):
        return Skipped(row, f"a no-reply sender ({sender})")
    at = _date(message, raw.separator)
    if at is None:
        return Rejected(row, "no readable date (Date header or 'From ' line)")
    addressed = _addresses(message, "To", "Cc", "Bcc")
    recipients: dict[str, str] = {}
    for display, address in addressed:
        if address != sender and not _is_no_reply(address) and address not in recipients:
            recipients[address] = display
    hidden = {a for _, a in _addresses(message, "Delivered-To", "X-Original-To")} & owner
    owner_sent = sender in owner or "sent" in labels
    owner_received = bool(owner & recipients.keys()) or bool(hidden)
    if not (owner_sent or owner_received):
        return Skipped(row, "the owner neither sent nor received this message")
    if len(recipients) > MAX_RECIPIENTS:
        return Skipped(row, f"a mass mailing ({len(recipients)} recipients)")
    if owner_sent and addressed and all(a in owner or a == sender for _, a in addressed):
        return Skipped(row, "a message to oneself")
    if owner_sent and not recipients:
        return Skipped(row, "no recipients (To, Cc and Bcc empty, or only no-reply addresses)")
    ref = _reference(message, raw.headers)
    source = None if owner_sent else _person(sender_name, sender)
    links: list[Link] = []
    for address, display in recipients.items():
        if address in owner and source is None:
            continue  # the owner copying another of their addresses
        target = None if address in owner else _person(display, address)
        links.append(Link(kind="message", channel="email", source=source, target=target, at=at, direction="a->b", ref=ref))
    if source is not None and not (owner & recipients.keys()):
        links.append(Link(kind="message", channel="email", source=source, target=None, at=at, direction="a->b", ref=ref))
    return ParsedRow(row, tuple(links))


IMPORTERS = (MboxImporter(),)
