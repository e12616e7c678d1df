"""Google Contacts CSV (export-formats.md §5.1): the current "Google CSV", the legacy (pre-2020)
one, and the Outlook CSV variant, told apart by their header sets.

* current: ``First Name, Middle Name, Last Name, ..., Organization Name, Organization Title,
  ..., Labels, E-mail N - Label/Value, Phone N - Label/Value, Website N - Label/Value``;
* legacy: ``Name, Given Name, Additional Name, Family Name, ..., Group Membership,
  E-mail N - Type/Value, Phone N - Type/Value, Organization 1 - Name/Title, ...`` (often
  UTF-16: the encoding is sniffed);
* Outlook (column list unverified): ``First Name, Middle Name, Last Name, ..., Company, Job
  Title, E-mail Address, E-mail 2 Address, ..., Mobile Phone, Business Phone, ...``.

A cell holding several values joins them with `` ::: `` (two emails under one label): every
email and phone of every numbered column is read. A name typed as one string in First Name
is split. A website that is a LinkedIn profile becomes the contact's LinkedIn URL. Malformed
email values (no ``@``) are dropped; a contact left with no name, email or phone is rejected
(or skipped when it is an organization's entry with no person in it).

Each contact is a ``contact`` link (channel ``contacts``) from the address book's owner to
the person: the file does not say whose book it is, so ``--owner`` is required and its
absence raises ``MissingOwner`` in ``parse``, before anything is written. Address books carry
no date for a contact, so the evidence has no timestamp. Rows are physical CSV lines.

``contact_link`` and ``owner_for_address_book`` are shared with the vCard importer.
"""

from __future__ import annotations

import re
from typing import Iterator

from graphsvc.errors import ImportFailed, MissingOwner
from importers.base import ImportOptions, person_from_owner_option
from importers.names import split_name
from importers.records import Link, ParsedRow, ParsedSource, PersonRef, Rejected, RowResult, Skipped
from importers.source import Member, Source
from importers.tables import Table, locate_table

CHANNEL = "contacts"
MULTI = " ::: "
NUMBERED = re.compile(r"^(e-mail|phone|website) (\d+) - (value|label|type)$")
OUTLOOK_EMAIL = re.compile(r"^e-mail( \d+)? address$")
OUTLOOK_PHONE = re.compile(r"^(?!.*fax).*phone( \d+)?$")
EMAIL_SHAPE = re.compile(r"^[^@\s]+@[^@\s]+$")


def contact_link(person: PersonRef) -> Link:
    """The evidence an address book holds: ``person`` is in the owner's contacts."""
    return Link(kind="contact", channel=CHANNEL, source=None, target=person, at=None, direction="a->b")


def owner_for_address_book(source: Source, options: ImportOptions, what: str) -> PersonRef:
    if not options.owner:
        raise MissingOwner(
            f"{source.name}: whose address book is this? {what} does not say; pass --owner "
            "(your name, email or LinkedIn URL)"
        )
    return person_from_owner_option(options.owner)


def linkedin_url_of(value: str) -> str:
    return value.strip() if "linkedin.com/in/" in value.lower() else ""


def split_multi(value: str) -> list[str]:
    return [v.strip() for v in value.split(MULTI.strip()) if v.strip()] if value else []


def variant(header: list[str]) -> str | None:
    """Which Google/Outlook CSV ``header`` is (normalised cells), or None."""
    cells = set(header)
    numbered = any(NUMBERED.match(h) for h in header)
    if {"first name", "last name"} <= cells and ("labels" in cells or "organization name" in cells) and numbered:
        return "google"
    if {"given name", "family name"} <= cells and ("group membership" in cells or numbered):
        return "google_legacy"
    if {"first name", "last name", "e-mail address"} <= cells and (
        "e-mail 2 address" in cells or "mobile phone" in cells or "business phone" in cells
    ):
        return "outlook"
    return None


def _is_header(header: list[str]) -> bool:
    return variant(header) is not None


class GoogleContactsImporter:
    name = "google_contacts"
    description = "Google Contacts CSV (current or legacy 'Google CSV', or Outlook CSV); needs --owner"

    def sniff(self, source: Source) -> int:
        try:
            return 90 if self._table(source) is not None else 0
        except ImportFailed:
            return 0

    def parse(self, source: Source, options: ImportOptions) -> ParsedSource:
        table = self._table(source)
        if table is None:
            raise ImportFailed(
                f"{source.name}: no Google Contacts header (First Name, Last Name, Labels, E-mail 1 - Value, ... "
                "or the legacy Given Name, Family Name, Group Membership, ...) in the first rows"
            )
        owner = owner_for_address_book(source, options, "A Google Contacts CSV")
        kind = variant(table.header)
        notes = [f"read {table.member.name}" if source.is_container else f"read {source.name}", f"{kind} CSV header"]
        return ParsedSource(
            format=self.name, owner=owner, rows=lambda: _contact_rows(table, kind or "google"), notes=notes,
            size=table.member.size, position=lambda: table.bytes_read,
        )

    @staticmethod
    def _table(source: Source) -> Table | None:
        if not source.is_container:
            return locate_table(source.single, _is_header, max_scan=5)
        candidates: list[Member] = sorted(
            (m for m in source.members if m.basename.lower().endswith(".csv")), key=lambda m: (m.name.count("/"), m.name)
        )
        for member in candidates:
            try:
                table = locate_table(member, _is_header, max_scan=5)
            except ImportFailed:
                continue
            if table is not None:
                return table
        return None


def _columns(header: list[str], kind: str, value: str = "value") -> list[str]:
    return sorted(
        (h for h in header if (m := NUMBERED.match(h)) and m.group(1) == kind and m.group(3) == value),
        key=lambda h: int(NUMBERED.match(h).group(2)),  # type: ignore[union-attr]
    )


def _first(value: str) -> str:
    values = split_multi(value)
    return values[0] if values else ""


def _contact_rows(table: Table, kind: str) -> Iterator[RowResult]:
    header = table.header
    if kind == "outlook":
        email_cols = [h for h in header if OUTLOOK_EMAIL.match(h)]
        phone_cols = [h for h in header if OUTLOOK_PHONE.match(h)]
        web_cols = [h for h in header if h in ("web page", "personal web page", "business web page")]
    else:
        email_cols, phone_cols, web_cols = _columns(header, "e-mail"), _columns(header, "phone"), _columns(header, "website")
    for item in table.rows():
        if isinstance(item, Rejected):
            yield item
            continue
        row_number, row = item
        if kind == "google_legacy":
            first, middle, last = row.get("given name", ""), row.get("additional name", ""), row.get("family name", "")
            full = row.get("name", "")
            organization = _first(row.get("organization 1 - name", ""))
            title = _first(row.get("organization 1 - title", ""))
        else:
            first, middle, last = row.get("first name", ""), row.get("middle name", ""), row.get("last name", "")
            full = ""
            organization = _first(row.get("organization name", "") or row.get("company", ""))
            title = _first(row.get("organization title", "") or row.get("job title", ""))
        full = full or " ".join(p for p in (first, middle, last) if p) or row.get("nickname", "")
        if full and not last:
            first, last = split_name(full)
        emails = [e for col in email_cols for e in split_multi(row.get(col, ""))]
        phones = [p for col in phone_cols for p in split_multi(row.get(col, ""))]
        websites = [w for col in web_cols for w in split_multi(row.get(col, ""))]
        good_emails = tuple(dict.fromkeys(e for e in emails if EMAIL_SHAPE.match(e)))
        person = PersonRef(
            name=full, first_name=first, last_name=last, emails=good_emails,
            phones=tuple(dict.fromkeys(phones)), organization=organization, title=title,
            linkedin_url=next((u for w in websites if (u := linkedin_url_of(w))), ""),
        )
        if person.is_empty():
            if organization:
                yield Skipped(row_number, "an organization's entry with no person's name, email or phone")
            elif emails:
                yield Rejected(row_number, f"invalid email {emails[0][:80]!r} and no name or phone")
            else:
                yield Rejected(row_number, "no name, email or phone")
            continue
        yield ParsedRow(row_number, (contact_link(person),))


IMPORTERS = (GoogleContactsImporter(),)
