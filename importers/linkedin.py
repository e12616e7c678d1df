"""LinkedIn data export: ``Connections.csv`` alone, or the whole export (zip or folder).

``Connections.csv`` (export-formats.md §1.1): every era, with or without the ``Notes:``
preamble (quoted or not), with or without the ``URL`` column, ``DD Mon YYYY`` and
Excel-resaved ``D-Mon-YY`` dates, BOM and CRLF, quoted commas, and hidden-profile rows (date
only), which are counted as skipped and never become people.

A whole export also reads, in this order (§1.2-§1.4):

* ``messages.csv``: every header era (mapped by name), the all-quoted 2026 variant with
  multi-line CONTENT; one ``message`` link from the sender to each recipient (recipients split
  by URL shape, or their TO names split only into names known elsewhere in the export);
  drafts, sponsored InMail and "LinkedIn Member" senders are skipped with a reason;
* ``Invitations.csv``: ``invitation`` links, direction from ``Direction``;
* ``Endorsement_Received_Info.csv`` / ``Endorsement_Given_Info.csv``: ``endorsement`` links
  (hidden or rejected endorsements skipped);
* ``Recommendations_Received.csv`` / ``Recommendations_Given.csv``: ``recommendation`` links,
  visible ones only; they carry no URL, so people are matched by name against the export.

The owner comes from ``Profile.csv`` (+ ``Email Addresses.csv``, + the current position in
``Positions.csv``) or from ``--owner``. In messages, the owner is recognised by their profile
URL (from ``Invitations.csv``: the OUTGOING inviter / INCOMING invitee; or the URL that sends
under the owner's name; or, failing both, the one URL present in every message), and appears
as ``None`` in the links.

Row numbers: the files' rows are concatenated; row = file index x stride + physical line
(stride 10,000,000 unless a file is larger), with ``Connections.csv`` at index 0 so its rows
keep their physical line. ``ParsedSource.notes`` say which range is which file.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from typing import Callable, Iterator

import ftfy

from graphsvc.errors import ImportFailed, MissingOwner
from importers.base import ImportOptions, person_from_owner_option
from importers.dates import LINKEDIN_CONNECTED_ON, parse_date
from importers.records import (
    Connection, Link, ParsedRow, ParsedSource, PersonRef, Rejected, RowResult, Skipped,
)
from importers.source import Member, Source
from importers.tables import Table, locate_table

CHANNEL = "linkedin"
STRIDE = 10_000_000

MESSAGE_DATE = ("%Y-%m-%d %H:%M:%S UTC", "%Y-%m-%d %H:%M UTC", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")
INVITATION_DATE = ("%m/%d/%y, %I:%M %p", "%m/%d/%Y, %I:%M %p", "%m/%d/%y %I:%M %p", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S")
ENDORSEMENT_DATE = ("%Y/%m/%d %H:%M:%S UTC", "%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S UTC", "%Y-%m-%d %H:%M:%S")
RECOMMENDATION_DATE = ("%m/%d/%y, %I:%M %p", "%m/%d/%Y, %I:%M %p", "%m/%d/%y", "%m/%d/%Y", "%b %Y", "%B %Y")
POSITION_DATE = ("%b %Y", "%B %Y", "%m/%Y", "%Y")

EARLIEST = datetime.min.replace(tzinfo=timezone.utc)  # an undated position sorts first
SPINMAIL = "spinmail"
LINKEDIN_MEMBER = "linkedin member"
#: Credentials LinkedIn users put after a comma in their name ("Lee Chen, PhD").
CREDENTIALS = {
    "phd", "md", "mba", "cpa", "jd", "esq", "jr", "sr", "ii", "iii", "iv", "msc", "ms", "ma", "ba", "bsc", "cfa",
    "pmp", "rn", "dds", "do", "llm", "meng", "peng", "frsa", "cissp", "shrmcp", "ceng", "acca", "aca", "cfp",
}
#: A name in TO spans at most this many ", "-separated pieces ("Lee Chen, PhD, MBA").
MAX_NAME_PIECES = 4


def _is_connections_header(header: list[str]) -> bool:
    return "first name" in header and "last name" in header and "connected on" in header


def _is_profile_header(header: list[str]) -> bool:
    return "first name" in header and "last name" in header and "headline" in header


def _is_emails_header(header: list[str]) -> bool:
    return "email address" in header and "primary" in header


def _is_messages_header(header: list[str]) -> bool:
    return "conversation id" in header and "from" in header and "to" in header and "date" in header


def _is_invitations_header(header: list[str]) -> bool:
    return "from" in header and "to" in header and "sent at" in header and "direction" in header


def _is_endorsement_received_header(header: list[str]) -> bool:
    return "endorsement date" in header and "endorser first name" in header


def _is_endorsement_given_header(header: list[str]) -> bool:
    return "endorsement date" in header and "endorsee first name" in header


def _is_recommendations_header(header: list[str]) -> bool:
    return "first name" in header and "last name" in header and "text" in header


def _is_positions_header(header: list[str]) -> bool:
    return "company name" in header and "title" in header and "started on" in header


# --- small helpers ------------------------------------------------------------------------------


@lru_cache(maxsize=8192)
def fold(text: str) -> str:
    """Case- and accent-folded, punctuation to spaces (as ``graphsvc.identity.records.fold``)."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]+", " ", stripped.casefold()).split())


_SLUG = re.compile(r"linkedin\.com/in/([^/?#\s,]+)", re.IGNORECASE)


@lru_cache(maxsize=8192)
def slug(url: str) -> str:
    match = _SLUG.search(url)
    return match.group(1).strip().casefold() if match else ""


def profile_url(value: str) -> str:
    """Endorsement URLs come without a scheme (``www.linkedin.com/in/slug``): add one."""
    value = value.strip()
    if value and not re.match(r"^[a-z][a-z0-9+.-]*://", value, flags=re.IGNORECASE):
        value = "https://" + value.lstrip("/")
    return value


_URL_START = re.compile(r",\s*(?=(?:https?://|www\.|[a-z]{2,3}\.linkedin\.com|linkedin\.com))", re.IGNORECASE)


def split_urls(value: str) -> list[str]:
    """``RECIPIENT PROFILE URLS`` is comma-joined without spaces: split where a URL starts."""
    return [u.strip() for u in _URL_START.split(value) if u.strip()]


@lru_cache(maxsize=8192)
def fix_name(value: str) -> str:
    """Names with mojibake (``TomÃ¡s``) repaired; ASCII cannot carry mojibake, so skip ftfy there."""
    if not value or value.isascii():
        return value.strip()
    return ftfy.fix_text(value).strip()


def _yes(value: str | None) -> bool:
    return (value or "").strip().lower() in ("yes", "true", "1", "y")


def _join(first: str, last: str) -> str:
    return f"{first} {last}".strip()


# --- what the export says about its people, gathered before the rows are streamed -------------


@dataclass
class Directory:
    """Names and profile URLs seen across the export, and who the owner is.

    Holds one entry per distinct person (not per row), so memory stays bounded by the size of the
    network, not of the files.
    """

    owner_name: str = ""  # folded
    owner_slugs: set[str] = field(default_factory=set)
    #: slug -> (display name, URL as written)
    by_slug: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: folded name -> URL, or "" when two different URLs carry the name
    by_name: dict[str, str] = field(default_factory=dict)
    _ambiguous: set[str] = field(default_factory=set)

    def learn(self, name: str, url: str) -> None:
        name, key = name.strip(), slug(url)
        folded = fold(name)
        if folded == LINKEDIN_MEMBER:
            folded = name = ""
        if key:
            self.by_slug.setdefault(key, (name, url))
            if not self.by_slug[key][0] and name:
                self.by_slug[key] = (name, url)
        if not folded or folded in self._ambiguous:
            return
        known = self.by_name.get(folded)
        if not known:
            self.by_name[folded] = url if key else ""  # "": a name known without a URL (yet)
        elif key and slug(known) != key:
            self.by_name[folded] = ""  # two people of that name: never guess
            self._ambiguous.add(folded)

    def is_owner(self, name: str, url: str) -> bool:
        key = slug(url)
        if key:
            if self.owner_slugs:
                return key in self.owner_slugs
            return bool(self.owner_name) and fold(name) == self.owner_name
        return bool(self.owner_name) and fold(name) == self.owner_name

    def person(self, name: str, url: str = "", **extra: str) -> PersonRef | None:
        """A PersonRef for ``name``/``url``, None for the owner; a missing URL is looked up by name."""
        if self.is_owner(name, url):
            return None
        if not url and name:
            url = self.by_name.get(fold(name), "")
            if url and slug(url) in self.owner_slugs:
                return None
        if not name and url:
            name = self.by_slug.get(slug(url), ("", ""))[0]
        return PersonRef(name=name, linkedin_url=url, **extra)

    def knows_name(self, name: str) -> bool:
        folded = fold(name)
        return bool(folded) and (folded in self.by_name or folded == self.owner_name)

    def split_to(self, to: str) -> list[str]:
        """Split a ``", "``-joined TO into names, only where the pieces are names known elsewhere."""
        tokens = [t.strip() for t in to.split(",")]
        tokens = [t for t in tokens if t]
        if not tokens:
            return []
        n = len(tokens)
        # best[i]: the fewest names covering tokens[i:] with every name known (None: impossible)
        best: list[list[str] | None] = [None] * (n + 1)
        best[n] = []
        for i in range(n - 1, -1, -1):
            for j in range(min(n, i + MAX_NAME_PIECES), i, -1):  # a name spans a few pieces at most
                candidate = ", ".join(tokens[i:j])
                rest = best[j]
                if rest is not None and self.knows_name(candidate):
                    if best[i] is None or len(rest) + 1 < len(best[i]):  # type: ignore[arg-type]
                        best[i] = [candidate, *rest]
        if best[0] is not None:
            return best[0]
        if len(tokens) == 1:
            return tokens
        # Unknown names: a credential after a comma belongs to the name before it.
        names: list[str] = []
        for token in tokens:
            if names and fold(token).replace(" ", "") in CREDENTIALS:
                names[-1] = f"{names[-1]}, {token}"
            else:
                names.append(token)
        return names


# --- the files of a whole export ---------------------------------------------------------------


@dataclass(frozen=True)
class _File:
    label: str
    names: tuple[str, ...]
    is_header: Callable[[list[str]], bool]
    rows: Callable[[Table, Directory], Iterator[RowResult]]


def _connection_file_rows(table: Table, directory: Directory) -> Iterator[RowResult]:
    return _connection_rows(table)


class LinkedInImporter:
    name = "linkedin"
    description = "LinkedIn data export: Connections.csv, or the whole export as a zip or folder"

    def sniff(self, source: Source) -> int:
        member = self._connections_member(source)
        try:
            if member is not None and locate_table(member, _is_connections_header):
                return 95
            if source.is_container:
                for spec in FILES[1:]:
                    other = source.find(*spec.names)
                    if other is not None and locate_table(other, spec.is_header, max_scan=5):
                        return 90
        except ImportFailed:
            return 0
        return 0

    def parse(self, source: Source, options: ImportOptions) -> ParsedSource:
        if not source.is_container:
            return self._parse_connections_file(source, options)
        tables: list[tuple[int, _File, Table]] = []
        notes: list[str] = []
        for index, spec in enumerate(FILES):
            member = source.find(*spec.names)
            if member is None:
                continue
            table = locate_table(member, spec.is_header, max_scan=30 if index == 0 else 5)
            if table is None:
                if index == 0:
                    raise ImportFailed(
                        f"{source.name}: {member.name} has no 'First Name … Connected On' header in its first rows"
                    )
                if member.size:
                    notes.append(f"not read: {member.name} has no {spec.label} header")
                continue
            tables.append((index, spec, table))
        if not tables:
            raise ImportFailed(f"{source.name}: no Connections.csv in this LinkedIn export")
        biggest = max(t.member.size for _, _, t in tables)
        stride = STRIDE if biggest + 1 < STRIDE else 10 ** len(str(biggest + 1))
        for index, _, table in tables:
            if index == 0:
                notes.append(f"read {table.member.name}")
            else:
                base = index * stride
                notes.append(
                    f"read {table.member.name} as rows {base + 1}-{base + stride - 1} (row = {base} + line)"
                )
        owner = self._owner(source, options, notes)
        directory = _directory(tables, owner, notes)
        if owner is not None and not options.owner and not owner.linkedin_url and len(directory.owner_slugs) == 1:
            url = next(
                (u for s, (_, u) in directory.by_slug.items() if s in directory.owner_slugs),
                f"https://www.linkedin.com/in/{next(iter(directory.owner_slugs))}",
            )
            owner = PersonRef(
                name=owner.name, first_name=owner.first_name, last_name=owner.last_name, emails=owner.emails,
                linkedin_url=url, organization=owner.organization, title=owner.title,
            )
        size = sum(t.member.size for _, _, t in tables)
        done = [0]
        current: list[Table | None] = [None]

        def rows() -> Iterator[RowResult]:
            done[0] = 0
            for index, spec, table in tables:
                current[0] = table
                base = index * stride
                for item in spec.rows(table, directory):
                    yield _offset(item, base)
                done[0] += table.member.size
                current[0] = None

        def position() -> int:
            table = current[0]
            return min(size, done[0] + (table.bytes_read if table else 0))

        return ParsedSource(format=self.name, owner=owner, rows=rows, notes=notes, size=size, position=position)

    def _parse_connections_file(self, source: Source, options: ImportOptions) -> ParsedSource:
        member = source.single
        table = locate_table(member, _is_connections_header)
        if table is None:
            raise ImportFailed(
                f"{source.name}: {member.name} has no 'First Name … Connected On' header in its first rows"
            )
        notes = [f"read {source.name}"]
        owner = self._owner(source, options, notes)
        return ParsedSource(
            format=self.name, owner=owner, rows=lambda: _connection_rows(table), notes=notes,
            size=member.size, position=lambda: table.bytes_read,
        )

    @staticmethod
    def _connections_member(source: Source) -> Member | None:
        if source.is_container:
            return source.find("Connections.csv")
        return source.single

    @staticmethod
    def _owner(source: Source, options: ImportOptions, notes: list[str]) -> PersonRef:
        if options.owner:
            return person_from_owner_option(options.owner)
        profile = source.find("Profile.csv") if source.is_container else None
        if profile is None:
            raise MissingOwner(
                f"{source.name}: whose connections are these? A lone Connections.csv needs --owner "
                "(a name, email or LinkedIn URL); a whole export names its owner in Profile.csv"
            )
        table = locate_table(profile, _is_profile_header, max_scan=5)
        first_row = next((r for r in table.rows() if not isinstance(r, Rejected)), None) if table else None
        if first_row is None:
            raise MissingOwner(f"{source.name}: Profile.csv holds no profile row; pass --owner")
        _, row = first_row
        first, last = row.get("first name", ""), row.get("last name", "")
        emails = _owner_emails(source)
        notes.append("owner from Profile.csv" + (" and Email Addresses.csv" if emails else ""))
        organization, title = _owner_position(source, notes)
        return PersonRef(
            name=f"{first} {last}".strip(), first_name=first, last_name=last, emails=emails,
            organization=organization, title=title or row.get("headline", ""),
        )


def _offset(item: RowResult, base: int) -> RowResult:
    if not base:
        return item
    if isinstance(item, ParsedRow):
        return ParsedRow(item.row + base, item.records)
    if isinstance(item, Skipped):
        return Skipped(item.row + base, item.reason)
    return Rejected(item.row + base, item.reason)


def _owner_emails(source: Source) -> tuple[str, ...]:
    member = source.find("Email Addresses.csv")
    table = locate_table(member, _is_emails_header, max_scan=5) if member else None
    if table is None:
        return ()
    found: list[tuple[bool, str]] = []
    for item in table.rows():
        if isinstance(item, Rejected):
            continue
        _, row = item
        address = row.get("email address", "")
        if "@" in address:
            found.append((row.get("primary", "").lower() != "yes", address))
    return tuple(address for _, address in sorted(found, key=lambda f: f[0]))


def _owner_position(source: Source, notes: list[str]) -> tuple[str, str]:
    """The owner's current company and title from ``Positions.csv`` (empty Finished On = current)."""
    member = source.find("Positions.csv")
    table = locate_table(member, _is_positions_header, max_scan=5) if member else None
    if table is None:
        return "", ""
    current: list[tuple[datetime, int, str, str]] = []
    past: list[tuple[datetime, str]] = []
    for order, item in enumerate(table.rows()):
        if isinstance(item, Rejected):
            continue
        _, row = item
        company, title = row.get("company name", ""), row.get("title", "")
        if not company:
            continue
        started = parse_date(row.get("started on", ""), POSITION_DATE, fallback=False) or EARLIEST
        if not row.get("finished on", ""):
            current.append((started, -order, company, title))
        else:
            past.append((started, company))
    if current:
        _, _, company, title = max(current)
        notes.append(f"owner's current position from Positions.csv: {' at '.join(p for p in (title, company) if p)}")
    else:
        company, title = "", ""
    if past:
        names = list(dict.fromkeys(c for _, c in sorted(past, reverse=True)))
        shown = ", ".join(names[:20]) + (f" and {len(names) - 20} more" if len(names) > 20 else "")
        notes.append(f"owner's past companies from Positions.csv: {shown}")
    return company, title


# --- the directory pass -----------------------------------------------------------------------


def _directory(tables: list[tuple[int, _File, Table]], owner: PersonRef | None, notes: list[str]) -> Directory:
    directory = Directory()
    if owner is not None:
        directory.owner_name = fold(owner.display_name()) if (owner.name or owner.first_name or owner.last_name) else ""
        if slug(owner.linkedin_url):
            directory.owner_slugs.add(slug(owner.linkedin_url))
    sources: list[str] = []
    from_name: set[str] = set()
    in_every: set[str] | None = None
    by_label = {spec.label: table for _, spec, table in tables}
    if (table := by_label.get("connections")) is not None:
        for item in table.rows():
            if isinstance(item, Rejected):
                continue
            _, row = item
            directory.learn(_join(row.get("first name", ""), row.get("last name", "")), row.get("url", ""))
    if (table := by_label.get("invitations")) is not None:
        found = set()
        for item in table.rows():
            if isinstance(item, Rejected):
                continue
            _, row = item
            inviter, invitee = row.get("inviterprofileurl", ""), row.get("inviteeprofileurl", "")
            direction = row.get("direction", "").upper()
            if direction == "OUTGOING" and slug(inviter):
                found.add(slug(inviter))
                directory.learn(row.get("to", ""), invitee)
            elif direction == "INCOMING" and slug(invitee):
                found.add(slug(invitee))
                directory.learn(row.get("from", ""), inviter)
        if found:
            directory.owner_slugs |= found
            sources.append("Invitations.csv")
    for label, prefix in (("endorsements received", "endorser"), ("endorsements given", "endorsee")):
        if (table := by_label.get(label)) is not None:
            for item in table.rows():
                if isinstance(item, Rejected):
                    continue
                _, row = item
                directory.learn(
                    _join(row.get(f"{prefix} first name", ""), row.get(f"{prefix} last name", "")),
                    profile_url(row.get(f"{prefix} public url", "")),
                )
    if (table := by_label.get("messages")) is not None:
        for item in table.rows():
            if isinstance(item, Rejected):
                continue
            _, row = item
            sender, sender_url = fix_name(row.get("from", "")), row.get("sender profile url", "")
            urls = split_urls(row.get("recipient profile urls", ""))
            directory.learn(sender, sender_url)
            if len(urls) == 1:
                directory.learn(fix_name(row.get("to", "")), urls[0])
            if slug(sender_url) and directory.owner_name and fold(sender) == directory.owner_name:
                from_name.add(slug(sender_url))
            present = {slug(u) for u in [sender_url, *urls] if slug(u)}
            if urls and present and not (_yes(row.get("is message draft")) or _yes(row.get("is conversation draft"))):
                in_every = present if in_every is None else in_every & present
        if from_name - directory.owner_slugs:
            directory.owner_slugs |= from_name
            sources.append("messages.csv senders named as the owner")
        if not directory.owner_slugs and in_every and len(in_every) == 1:
            directory.owner_slugs |= in_every
            sources.append("the one profile URL present in every message")
    if directory.owner_slugs and sources:
        notes.append(
            "owner's LinkedIn profile: " + ", ".join(sorted(directory.owner_slugs)) + " (from " + "; ".join(sources) + ")"
        )
    elif "messages" in by_label and not directory.owner_slugs:
        notes.append("owner's LinkedIn profile URL not found; the owner is recognised in messages by name only")
    return directory


# --- row streams -------------------------------------------------------------------------------


def _connection_rows(table: Table) -> Iterator[RowResult]:
    for item in table.rows():
        if isinstance(item, Rejected):
            yield item
            continue
        row_number, row = item
        first, last = row.get("first name", ""), row.get("last name", "")
        url, email = row.get("url", ""), row.get("email address", "")
        connected_on = row.get("connected on", "")
        if not (first or last or url or email):
            if row.get("company") or row.get("position"):
                yield Rejected(row_number, "a connection with a company but no name, URL or email")
            else:
                yield Skipped(row_number, "hidden profile: LinkedIn exported only the date")
            continue
        at = parse_date(connected_on, LINKEDIN_CONNECTED_ON, fallback=False)
        if connected_on and at is None:
            yield Rejected(row_number, f"unreadable 'Connected On' date {connected_on[:40]!r}")
            continue
        if url and "linkedin.com/" not in url.lower():
            yield Rejected(row_number, f"'URL' is not a LinkedIn profile URL: {url[:80]!r}")
            continue
        person = PersonRef(
            name=f"{first} {last}".strip(),
            first_name=first,
            last_name=last,
            emails=(email,) if email else (),
            linkedin_url=url,
            organization=row.get("company", ""),
            title=row.get("position", ""),
        )
        yield ParsedRow(row_number, (Connection(person=person, channel=CHANNEL, at=at),))


def _message_rows(table: Table, directory: Directory) -> Iterator[RowResult]:
    for item in table.rows():
        if isinstance(item, Rejected):
            yield item
            continue
        n, row = item
        if _yes(row.get("is message draft")) or _yes(row.get("is conversation draft")):
            yield Skipped(n, "draft message: never sent")
            continue
        sender_name, sender_url = fix_name(row.get("from", "")), row.get("sender profile url", "")
        content = row.get("content", "")
        if not sender_url and SPINMAIL in content[:500].lower():
            yield Skipped(n, "sponsored InMail: no sender profile")
            continue
        if not sender_url and fold(sender_name) == LINKEDIN_MEMBER:
            yield Skipped(n, "sender is 'LinkedIn Member': a hidden profile without a URL")
            continue
        if not (sender_name or sender_url):
            yield Rejected(n, "a message with no sender name or profile URL")
            continue
        if sender_url and not slug(sender_url):
            yield Rejected(n, f"'SENDER PROFILE URL' is not a LinkedIn profile URL: {sender_url[:80]!r}")
            continue
        date = row.get("date", "")
        at = parse_date(date, MESSAGE_DATE, fallback=False)
        if at is None:
            yield Rejected(n, f"unreadable DATE {date[:40]!r}" if date else "a message without a DATE")
            continue
        recipients, problem = _recipients(row, directory)
        if problem:
            yield (Skipped if problem.startswith("recipient is") else Rejected)(n, problem)
            continue
        sender = directory.person(sender_name, sender_url)
        ref = _message_ref(row, sender_name, sender_url, content)
        links = []
        for recipient in recipients:
            if recipient is None and sender is None:
                continue  # the owner in their own recipient list
            if recipient is not None and sender is not None and _same(recipient, sender):
                continue
            links.append(Link("message", CHANNEL, sender, recipient, at, "a->b", ref))
        if not links:
            yield Skipped(n, "a message from the owner to nobody but themselves")
            continue
        yield ParsedRow(n, tuple(links))


def _same(a: PersonRef, b: PersonRef) -> bool:
    if slug(a.linkedin_url) and slug(b.linkedin_url):
        return slug(a.linkedin_url) == slug(b.linkedin_url)
    return fold(a.display_name()) == fold(b.display_name())


def _message_ref(row: dict[str, str], sender_name: str, sender_url: str, content: str) -> str:
    """Conversation id + a digest of the message: stable across two exports of the same account
    (a row number is not), and distinct for two messages sent in the same second."""
    digest = hashlib.sha256(f"{sender_url or sender_name}\0{content}".encode()).hexdigest()[:16]
    return f"{row.get('conversation id', '')}#{digest}"


def _recipients(row: dict[str, str], directory: Directory) -> tuple[list[PersonRef | None], str]:
    to = fix_name(row.get("to", ""))
    urls = split_urls(row.get("recipient profile urls", ""))
    bad = [u for u in urls if not slug(u)]
    if bad:
        return [], f"'RECIPIENT PROFILE URLS' holds something that is not a LinkedIn profile URL: {bad[0][:80]!r}"
    if urls:
        names = directory.split_to(to) if to else []
        by_position = len(names) == len(urls)
        people: list[PersonRef | None] = []
        for i, url in enumerate(urls):
            known = directory.by_slug.get(slug(url), ("", ""))[0]
            name = known or (names[i] if by_position else (to if len(urls) == 1 else ""))
            people.append(directory.person(name, url))
        return people, ""
    if not to:
        return [], "a message with no recipient (TO and RECIPIENT PROFILE URLS are empty)"
    names = [name for name in directory.split_to(to)]
    kept = [name for name in names if fold(name) != LINKEDIN_MEMBER]
    if not kept:
        return [], "recipient is 'LinkedIn Member': a hidden profile without a URL"
    return [directory.person(name) for name in kept], ""


def _invitation_rows(table: Table, directory: Directory) -> Iterator[RowResult]:
    for item in table.rows():
        if isinstance(item, Rejected):
            yield item
            continue
        n, row = item
        direction = row.get("direction", "").strip().upper()
        if direction == "OUTGOING":
            name, url = fix_name(row.get("to", "")), row.get("inviteeprofileurl", "")
        elif direction == "INCOMING":
            name, url = fix_name(row.get("from", "")), row.get("inviterprofileurl", "")
        else:
            yield Rejected(n, f"unknown Direction {direction[:20]!r} (expected INCOMING or OUTGOING)")
            continue
        if not (name or url):
            yield Rejected(n, "an invitation with no name or profile URL on the other side")
            continue
        if url and not slug(url):
            yield Rejected(n, f"the other side's profile URL is not a LinkedIn profile URL: {url[:80]!r}")
            continue
        sent_at = row.get("sent at", "")
        at = parse_date(sent_at, INVITATION_DATE)
        if sent_at and at is None:
            yield Rejected(n, f"unreadable 'Sent At' date {sent_at[:40]!r}")
            continue
        other = _not_owner(directory, name, url)
        if other is None:
            yield Rejected(n, "an invitation between the owner and themselves")
            continue
        if direction == "OUTGOING":
            link = Link("invitation", CHANNEL, None, other, at, "a->b")
        else:
            link = Link("invitation", CHANNEL, other, None, at, "a->b")
        yield ParsedRow(n, (link,))


def _not_owner(directory: Directory, name: str, url: str, **extra: str) -> PersonRef | None:
    """The other side of an owner's record: a URL other than the owner's is never the owner,
    whatever the name says (namesakes exist)."""
    if url and slug(url) not in directory.owner_slugs:
        return PersonRef(name=name, linkedin_url=url, **extra)
    return directory.person(name, url, **extra)


def _endorsement_rows(prefix: str, received: bool) -> Callable[[Table, Directory], Iterator[RowResult]]:
    def rows(table: Table, directory: Directory) -> Iterator[RowResult]:
        for item in table.rows():
            if isinstance(item, Rejected):
                yield item
                continue
            n, row = item
            status = row.get("endorsement status", "").strip().upper()
            if status in ("HIDDEN", "REJECTED"):
                yield Skipped(n, f"endorsement status {status}: not shown on the profile")
                continue
            first, last = row.get(f"{prefix} first name", ""), row.get(f"{prefix} last name", "")
            url = profile_url(row.get(f"{prefix} public url", ""))
            if not (first or last or url):
                yield Rejected(n, f"an endorsement with no {prefix} name or profile URL")
                continue
            if url and not slug(url):
                yield Rejected(n, f"'{prefix.title()} Public Url' is not a LinkedIn profile URL: {url[:80]!r}")
                continue
            date = row.get("endorsement date", "")
            at = parse_date(date, ENDORSEMENT_DATE, fallback=False)
            if date and at is None:
                yield Rejected(n, f"unreadable 'Endorsement Date' {date[:40]!r}")
                continue
            other = _not_owner(directory, _join(first, last), url, first_name=first, last_name=last)
            if other is None:
                yield Rejected(n, "an endorsement between the owner and themselves")
                continue
            skill = row.get("skill name", "")
            source, target = (other, None) if received else (None, other)
            yield ParsedRow(n, (Link("endorsement", CHANNEL, source, target, at, "a->b", skill),))

    return rows


def _recommendation_rows(received: bool) -> Callable[[Table, Directory], Iterator[RowResult]]:
    def rows(table: Table, directory: Directory) -> Iterator[RowResult]:
        has_status = "status" in table.header
        for item in table.rows():
            if isinstance(item, Rejected):
                yield item
                continue
            n, row = item
            status = row.get("status", "").strip().upper() if has_status else "VISIBLE"  # no column: all shown
            if status != "VISIBLE":
                yield Skipped(n, f"recommendation status {status or 'empty'}: only visible recommendations count")
                continue
            first, last = row.get("first name", ""), row.get("last name", "")
            if not (first or last):
                yield Rejected(n, "a recommendation with no name (and recommendations carry no URL)")
                continue
            date = row.get("creation date", "")
            at = parse_date(date, RECOMMENDATION_DATE, fallback=False)
            if date and at is None:
                yield Rejected(n, f"unreadable 'Creation Date' {date[:40]!r}")
                continue
            other = directory.person(
                _join(first, last), first_name=first, last_name=last,
                organization=row.get("company", ""), title=row.get("job title", ""),
            )
            if other is None:
                yield Rejected(n, "a recommendation between the owner and themselves")
                continue
            source, target = (other, None) if received else (None, other)
            yield ParsedRow(n, (Link("recommendation", CHANNEL, source, target, at, "a->b"),))

    return rows


#: The files of a whole export, in row order. The index is the file's row range; never reorder
#: (a job resumes by row number), only append.
FILES: tuple[_File, ...] = (
    _File("connections", ("Connections.csv",), _is_connections_header, _connection_file_rows),
    _File("messages", ("messages.csv",), _is_messages_header, _message_rows),
    _File("invitations", ("Invitations.csv",), _is_invitations_header, _invitation_rows),
    _File(
        "endorsements received", ("Endorsement_Received_Info.csv",), _is_endorsement_received_header,
        _endorsement_rows("endorser", received=True),
    ),
    _File(
        "endorsements given", ("Endorsement_Given_Info.csv",), _is_endorsement_given_header,
        _endorsement_rows("endorsee", received=False),
    ),
    _File(
        "recommendations received", ("Recommendations_Received.csv",), _is_recommendations_header,
        _recommendation_rows(received=True),
    ),
    _File(
        "recommendations given", ("Recommendations_Given.csv",), _is_recommendations_header,
        _recommendation_rows(received=False),
    ),
)


IMPORTERS = (LinkedInImporter(),)
