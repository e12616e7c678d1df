"""What every importer is: a name, a content sniffer, and a parser that opens a source."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from typing import Protocol

from importers.records import ParsedSource, PersonRef
from importers.source import Source


#: The kinds of event a user can give (``--event-kind``, GraphQL ``options.eventKind``, an events
#: manifest's ``kind``): what a list's event was. Files may say other kinds themselves (Zoom's
#: ``webinar``/``meeting``, a Meetup ``group``); those are kept as they come.
EVENT_KINDS = (
    "event", "conference", "meetup", "workshop", "webinar", "meeting", "breakfast", "lunch", "dinner", "party",
    "talk", "class", "course", "hackathon", "retreat", "fair", "networking", "volunteering", "group",
    "roundtable", "summit", "panel", "seminar", "forum", "expo", "mixer", "demo-day", "office-hours", "coffee",
)


def check_event_kind(kind: str | None) -> str | None:
    """``kind`` trimmed and lowercased (None or empty stays None); a kind not in ``EVENT_KINDS``
    is an ``InvalidArgument`` naming the kinds there are."""
    if kind is None or not kind.strip():
        return None
    cleaned = kind.strip().lower()
    if cleaned not in EVENT_KINDS:
        from graphsvc.errors import InvalidArgument

        raise InvalidArgument(f"unknown event kind {kind.strip()!r}; one of: {', '.join(EVENT_KINDS)}")
    return cleaned


@dataclass(frozen=True)
class ImportOptions:
    """Facts the file may not hold, given by the user (CLI flags, GraphQL ``options``)."""

    owner: str | None = None  # name, email or LinkedIn URL of the export's owner
    event_name: str | None = None
    event_date: str | None = None
    event_kind: str | None = None
    encoding: str | None = None  # the text files' encoding, over detection (``--encoding``)

    def checked(self) -> "ImportOptions":
        """These options with the event kind checked and normalised (``check_event_kind``)."""
        kind = check_event_kind(self.event_kind)
        return self if kind == self.event_kind else replace(self, event_kind=kind)

    def as_dict(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}

    @classmethod
    def from_dict(cls, values: dict[str, str] | None) -> "ImportOptions":
        values = values or {}
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            from graphsvc.errors import InvalidArgument

            raise InvalidArgument(f"unknown import option(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return cls(**{k: (str(v) if v is not None else None) for k, v in values.items()})


class Importer(Protocol):
    #: The format's name, as given to ``--format``.
    name: str
    #: One line for error messages and ``--help``.
    description: str

    def sniff(self, source: Source) -> int:
        """How sure (0-100) this importer is that it understands ``source``; 0 means no."""

    def parse(self, source: Source, options: ImportOptions) -> ParsedSource:
        """Validate ``source`` and return its row stream; raise ``ImportFailed`` if it cannot be read."""


def person_from_owner_option(value: str) -> PersonRef:
    """``--owner`` takes a name, an email or a LinkedIn URL."""
    value = value.strip()
    if "linkedin.com/in/" in value.lower():
        return PersonRef(linkedin_url=value)
    if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
        return PersonRef(emails=(value,))
    from importers.names import split_name

    first, last = split_name(value)
    return PersonRef(name=value, first_name=first, last_name=last)
