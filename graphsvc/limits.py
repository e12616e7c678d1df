"""Length limits on strings (docs/api.md, "Limits").

The API refuses an over-long argument before anything runs (``graphsvc.api.limits``); an
import rejects a row whose person or event carries an over-long field, with the reason
(``too_long``, called for every row by ``graphsvc.imports.jobs``). Nothing is truncated: a cut name
would be a different name, and would be matched as one.
"""

from __future__ import annotations

from importers.records import Attendance, Connection, Link, PersonRef

#: A tag (``tagPerson``, ``introPaths(toTag:)``), and how many tags one call may set.
TAG = 100
TAGS_PER_CALL = 100
#: A token's name (``createToken``, ``graphsvc token create``).
TOKEN_NAME = 200
#: Search text (``people``, ``events``, ``organizations``).
SEARCH = 200
#: A person's name, first or last name, title or organization; an event's name (imports, import options).
NAME = 500
#: An email address (RFC 5321 allows 254; some exports pad them).
EMAIL = 320
#: A phone number as written.
PHONE = 64
#: A profile URL, a handle.
URL = 2048
#: An event's kind (``--event-kind``).
KIND = 100
#: Anything else passed as an argument: ids, cursors, people named by email, URL or name, ...
ARGUMENT = 10_000

# Importers stream their files row by row; a few inputs can only be read whole, and are capped
# (docs/security.md, "Hostile inputs"), refused with this reason above the cap:
#: A JSON file read whole (Facebook and Instagram export files are one document each; Facebook
#: splits a long Messenger thread into parts far below this), in bytes.
JSON_DOCUMENT_BYTES = 32 * 1024 * 1024
#: One entry of an X archive's streamed array (a direct-message conversation with all its
#: messages is one entry), in characters.
JSON_ENTRY_CHARS = 32 * 1024 * 1024
#: One vCard (a card with a photo is rarely over a megabyte), in bytes; a line is never held longer.
VCARD_BYTES = 16 * 1024 * 1024
#: An Excel workbook's shared strings (every distinct text of the workbook, which openpyxl holds
#: in memory even in read-only mode), in expanded bytes.
XLSX_SHARED_STRINGS_BYTES = 64 * 1024 * 1024


def person_too_long(ref: PersonRef) -> str | None:
    """Why ``ref`` cannot be imported for its lengths, or None."""
    fields = (
        ("name", ref.name, NAME), ("first name", ref.first_name, NAME), ("last name", ref.last_name, NAME),
        ("title", ref.title, NAME), ("organization", ref.organization, NAME), ("LinkedIn URL", ref.linkedin_url, URL),
        *(("email", email, EMAIL) for email in ref.emails), *(("phone", phone, PHONE) for phone in ref.phones),
        *((f"{kind} handle", handle, URL) for kind, handle in ref.handles),
    )
    for label, value, limit in fields:
        if len(value) > limit:
            article = "an" if label[0] in "aeiou" else "a"
            return f"{article} {label} longer than {limit:,} characters ({len(value):,}): not imported (docs/api.md, Limits)"
    return None


def too_long(record: object) -> str | None:
    """Why an importer's record cannot be imported for its lengths, or None."""
    refs: tuple[PersonRef | None, ...] = ()
    if isinstance(record, Link):
        refs = (record.source, record.target)
    elif isinstance(record, (Connection, Attendance)):
        refs = (record.person,)
    if isinstance(record, Attendance):
        if len(record.event.name) > NAME:
            return f"an event name longer than {NAME:,} characters ({len(record.event.name):,}): not imported (docs/api.md, Limits)"
        if len(record.event.kind) > KIND:
            return f"an event kind longer than {KIND:,} characters: not imported (docs/api.md, Limits)"
    for ref in refs:
        if ref is not None and (problem := person_too_long(ref)):
            return problem
    return None
