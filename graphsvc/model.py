"""Domain types: what the store keeps and what analytics and the API hand around.

Evidence is the truth; strength is derived (see docs/tie-strength.md), so nothing here
carries a strength except the analytic results in ``graphsvc.analytics``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum


def stable_id(prefix: str, *parts: object) -> str:
    """A deterministic id, so that importing the same thing twice yields the same rows."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()
    return f"{prefix}_{digest[:20]}"


class Channel(str, Enum):
    """Where a piece of evidence came from."""

    EVENT = "event"
    LINKEDIN = "linkedin"
    X = "x"
    FACEBOOK = "facebook"
    INSTAGRAM = "instagram"
    CONTACTS = "contacts"
    CALENDAR = "calendar"
    EMAIL = "email"
    MANUAL = "manual"  # recorded by the user (recordInteraction)


class EvidenceKind(str, Enum):
    """What a piece of evidence observed. Pairwise kinds link ``person_a`` and ``person_b``."""

    CONNECTION = "connection"  # a mutual social connection (LinkedIn, Facebook friends)
    FOLLOW = "follow"  # a one-way follow (X, Instagram); direction a -> b
    ATTENDED = "attended"  # a person attended an event (co-attendance is derived from it)
    MESSAGE = "message"  # a message from a to b (email, DM, LinkedIn message)
    MEETING = "meeting"  # a meeting both attended (calendar, recorded)
    CALL = "call"
    INVITATION = "invitation"  # a connection invitation from a to b
    ENDORSEMENT = "endorsement"  # a endorsed b
    RECOMMENDATION = "recommendation"  # a recommended b
    INTRODUCTION = "introduction"  # an introduction made between a and b
    CONTACT = "contact"  # b is in a's address book


#: Kinds that show two people actually interacted (not merely connected or co-present).
INTERACTION_KINDS = frozenset(
    {EvidenceKind.MESSAGE, EvidenceKind.MEETING, EvidenceKind.CALL, EvidenceKind.INTRODUCTION, EvidenceKind.RECOMMENDATION}
)


class JobStatus(str, Enum):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    #: Stopped on request (``cancelImport``) at a batch boundary: the committed batches stay, and
    #: importing the same file again resumes after the last of them, like a failed job.
    CANCELLED = "cancelled"
    #: Undone (``graphsvc job undo``, ``undoImport``): what it added is gone; importing the same
    #: file again imports it afresh.
    UNDONE = "undone"


@dataclass(frozen=True, slots=True)
class Workspace:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Person:
    id: str
    display_name: str
    first_name: str = ""
    last_name: str = ""
    organization: str = ""
    title: str = ""
    emails: tuple[str, ...] = ()
    linkedin_url: str = ""
    is_member: bool = False


@dataclass(frozen=True, slots=True)
class Sighting:
    """What one source said about a person (provenance)."""

    person_id: str
    job_id: str
    source_format: str
    source_name: str
    row: int
    name: str
    email: str
    linkedin_url: str
    organization: str
    title: str


@dataclass(frozen=True, slots=True)
class Event:
    id: str
    name: str
    starts_at: datetime | None
    kind: str
    source_format: str


@dataclass(frozen=True, slots=True)
class Evidence:
    """One observation linking people.

    Pairwise kinds link ``person_a`` and ``person_b`` (``direction`` is ``"a->b"`` for one-way
    evidence such as a message or a follow, ``"mutual"`` otherwise); an ``ATTENDED`` links
    ``person_a`` to ``event_id`` (co-attendance between two people is derived from two
    attendances).
    """

    id: str
    kind: EvidenceKind
    channel: Channel
    person_a: str
    person_b: str | None
    event_id: str | None
    at: datetime | None
    job_id: str
    direction: str = "mutual"


@dataclass(frozen=True, slots=True)
class Reject:
    """A row that was not imported: rejected (bad data) or skipped (valid but carries nobody)."""

    row: int
    reason: str
    skipped: bool = False


@dataclass(slots=True)
class ImportJob:
    id: str
    workspace_id: str
    file_name: str
    file_hash: str
    format: str
    owner_person_id: str | None
    status: JobStatus
    rows_read: int = 0
    rows_imported: int = 0
    rows_rejected: int = 0
    rows_skipped: int = 0
    checkpoint_row: int = 0
    error: str = ""
    started_at: datetime | None = None
    finished_at: datetime | None = None
    options: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class Role(str, Enum):
    """What a token may do: ``read_only`` queries; ``member`` also imports and records; ``admin`` also manages tokens."""

    ADMIN = "admin"
    MEMBER = "member"
    READ_ONLY = "read_only"


@dataclass(frozen=True, slots=True)
class Token:
    """A bearer token of a workspace member. Only the SHA-256 of the secret is stored."""

    id: str
    workspace_id: str
    name: str
    role: Role
    secret_hash: str
    created_at: datetime
    revoked_at: datetime | None = None
    expires_at: datetime | None = None  # None: until revoked


class IntroState(str, Enum):
    """Where an intro request stands (``graphsvc/intro_requests.py`` holds the state machine)."""

    DRAFTED = "drafted"
    ASKED_CONNECTOR = "asked_connector"
    CONNECTOR_AGREED = "connector_agreed"
    CONNECTOR_DECLINED = "connector_declined"
    TARGET_OPTED_IN = "target_opted_in"
    TARGET_DECLINED = "target_declined"
    INTRODUCED = "introduced"
    MET = "met"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True, slots=True)
class IntroTransition:
    """One step of an intro request: the state it entered, when, and an optional note."""

    state: IntroState
    at: datetime
    note: str = ""


@dataclass(frozen=True, slots=True)
class IntroRequest:
    """A request to be introduced: ``requester`` asks ``connector`` (the first hop of a chosen
    path) to introduce them to ``target``. ``path`` is the path's evidence when it was made
    (JSON-ready: ``IntroPath.to_dict()``), so the ask can be drafted later exactly as it was
    seen. ``idempotency_key`` is unique per workspace: a retried creation finds the same request."""

    id: str
    idempotency_key: str
    requester_id: str
    connector_id: str
    target_id: str
    state: IntroState
    created_at: datetime
    updated_at: datetime
    transitions: tuple[IntroTransition, ...]
    path: dict = field(default_factory=dict)

    def entered(self, state: IntroState) -> datetime | None:
        """When the request (last) entered ``state``."""
        found = [t.at for t in self.transitions if t.state is state]
        return found[-1] if found else None
