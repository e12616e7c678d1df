"""Source records: what an importer reports it saw, row by row. No storage, no identity.

An importer yields, for each data row of its file, exactly one of:

* ``ParsedRow`` – the records the row holds (people, connections, attendances);
* ``Rejected`` – a row that cannot be imported, with the reason;
* ``Skipped`` – a row that is valid but carries nobody (a LinkedIn hidden profile), counted
  and reported so the user sees that nothing was silently lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Iterator, Union


@dataclass(frozen=True, slots=True)
class PersonRef:
    """A person as one source saw them."""

    name: str = ""
    first_name: str = ""
    last_name: str = ""
    emails: tuple[str, ...] = ()
    linkedin_url: str = ""
    organization: str = ""
    title: str = ""

    def display_name(self) -> str:
        if self.name:
            return self.name
        joined = " ".join(p for p in (self.first_name, self.last_name) if p)
        return joined or (self.emails[0] if self.emails else self.linkedin_url)

    def is_empty(self) -> bool:
        return not (self.display_name().strip() or self.emails or self.linkedin_url)


@dataclass(frozen=True, slots=True)
class EventRef:
    name: str
    starts_at: datetime | None
    kind: str = "event"


@dataclass(frozen=True, slots=True)
class Connection:
    """A social connection between the export's owner and ``person``."""

    person: PersonRef
    channel: str
    at: datetime | None
    direction: str = "mutual"


@dataclass(frozen=True, slots=True)
class Attendance:
    person: PersonRef
    event: EventRef
    at: datetime | None = None


Record = Union[Connection, Attendance]


@dataclass(frozen=True, slots=True)
class ParsedRow:
    row: int
    records: tuple[Record, ...]


@dataclass(frozen=True, slots=True)
class Rejected:
    row: int
    reason: str


@dataclass(frozen=True, slots=True)
class Skipped:
    row: int
    reason: str


RowResult = Union[ParsedRow, Rejected, Skipped]


@dataclass
class ParsedSource:
    """A file an importer has opened and validated; ``rows()`` streams its rows afresh each call.

    ``owner`` is the person whose export this is (None for attendee lists). ``notes`` are
    file-level facts worth telling the user (which member of a zip was read, defaults used).
    """

    format: str
    owner: PersonRef | None
    rows: Callable[[], Iterator[RowResult]]
    notes: list[str] = field(default_factory=list)
    #: Total bytes the row stream will read, and a probe of how many it has read so far.
    size: int = 0
    position: Callable[[], int] = lambda: 0
