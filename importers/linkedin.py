"""LinkedIn data export: ``Connections.csv`` alone, or the whole export (zip or folder).

Handles every era in export-formats.md §1.1: with or without the ``Notes:`` preamble (quoted
or not), with or without the ``URL`` column, ``DD Mon YYYY`` and Excel-resaved ``D-Mon-YY``
dates, BOM and CRLF, quoted commas, and hidden-profile rows (date only), which are counted
as skipped and never become people. The owner comes from ``Profile.csv`` (+ ``Email
Addresses.csv``) in a whole export, or from ``--owner``.
"""

from __future__ import annotations

from typing import Iterator

from graphsvc.errors import ImportFailed, MissingOwner
from importers.base import ImportOptions, person_from_owner_option
from importers.dates import LINKEDIN_CONNECTED_ON, parse_date
from importers.records import Connection, ParsedRow, ParsedSource, PersonRef, Rejected, RowResult, Skipped
from importers.source import Member, Source
from importers.tables import Table, locate_table

CHANNEL = "linkedin"


def _is_connections_header(header: list[str]) -> bool:
    return "first name" in header and "last name" in header and "connected on" in header


def _is_profile_header(header: list[str]) -> bool:
    return "first name" in header and "last name" in header and "headline" in header


def _is_emails_header(header: list[str]) -> bool:
    return "email address" in header and "primary" in header


class LinkedInImporter:
    name = "linkedin"
    description = "LinkedIn data export: Connections.csv, or the whole export as a zip or folder"

    def sniff(self, source: Source) -> int:
        member = self._connections_member(source)
        if member is None:
            return 0
        try:
            return 95 if locate_table(member, _is_connections_header) else 0
        except ImportFailed:
            return 0

    def parse(self, source: Source, options: ImportOptions) -> ParsedSource:
        member = self._connections_member(source)
        if member is None:
            raise ImportFailed(f"{source.name}: no Connections.csv in this LinkedIn export")
        table = locate_table(member, _is_connections_header)
        if table is None:
            raise ImportFailed(
                f"{source.name}: {member.name} has no 'First Name … Connected On' header in its first rows"
            )
        notes = [f"read {member.name}" if source.is_container else f"read {source.name}"]
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
        return PersonRef(
            name=f"{first} {last}".strip(), first_name=first, last_name=last, emails=emails,
            title=row.get("headline", ""),
        )


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


IMPORTERS = (LinkedInImporter(),)
