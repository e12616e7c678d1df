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
    #: Phone numbers as written (identity resolution normalises them to E.164).
    phones: tuple[str, ...] = ()
    #: Strong source-specific ids: ("x", account id), ("x_handle", screen name), ("instagram", username),
    #: ("meetup", member id), ("facebook", profile id or name-URL slug), ...
    handles: tuple[tuple[str, str], ...] = ()

    def display_name(self) -> str:
        if self.name:
            return self.name
        joined = " ".join(p for p in (self.first_name, self.last_name) if p)
        if joined:
            return joined
        if self.emails:
            return self.emails[0]
        if self.linkedin_url:
            return self.linkedin_url
        handle = next((f"@{value}" for kind, value in self.handles if kind in ("x_handle", "instagram")), "")
        return handle or next((f"{kind}:{value}" for kind, value in self.handles if value), "")

    def is_empty(self) -> bool:
        return not (self.display_name().strip() or self.emails or self.linkedin_url or self.phones or self.handles)


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


@dataclass(frozen=True, slots=True)
class Link:
    """Any other evidence between two people: a message, a follow, a meeting, an invitation...

    ``source`` or ``target`` is None for the export's owner. ``kind`` is a
    ``graphsvc.model.EvidenceKind`` value (``message``, ``follow``, ``meeting``, ``call``,
    ``invitation``, ``endorsement``, ``recommendation``, ``introduction``, ``contact``,
    ``connection``); ``channel`` a ``graphsvc.model.Channel`` value (``linkedin``, ``x``,
    ``facebook``, ``instagram``, ``contacts``, ``calendar``, ``email``, ``event``).
    ``direction`` is ``"a->b"`` (source to target) or ``"mutual"``. ``ref`` distinguishes two
    otherwise identical observations (two messages in the same second: their message ids).
    """

    kind: str
    channel: str
    source: PersonRef | None
    target: PersonRef | None
    at: datetime | None
    direction: str = "a->b"
    ref: str = ""


Record = Union[Connection, Attendance, Link]


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
