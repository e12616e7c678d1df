"""What every importer is: a name, a content sniffer, and a parser that opens a source."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import Protocol

from importers.records import ParsedSource, PersonRef
from importers.source import Source


@dataclass(frozen=True)
class ImportOptions:
    """Facts the file may not hold, given by the user (CLI flags, GraphQL ``options``)."""

    owner: str | None = None  # name, email or LinkedIn URL of the export's owner
    event_name: str | None = None
    event_date: str | None = None
    event_kind: str | None = None
    encoding: str | None = None  # the text files' encoding, over detection (``--encoding``)

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
