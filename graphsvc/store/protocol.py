"""The ``Store`` protocol: what the rest of graphsvc may ask of a store.

Every method takes the workspace id first; nothing crosses workspaces. Writes happen inside
``atomic()``: an import batch, its rejects and its checkpoint commit together or not at all.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from types import MappingProxyType
from typing import Callable, Iterable, Iterator, Mapping, NamedTuple, Protocol

from graphsvc.model import Event, Evidence, ImportJob, IntroRequest, Person, Reject, Sighting, Token, Workspace


class DataChanges(NamedTuple):
    """What changed after a data version, when that was only evidence and records added, records
    updated and records merged (``Store.changes_since``): an import, a logged interaction."""

    version: int  #: the current data version
    evidence: list[Evidence]  #: the evidence added, in the store's order
    records: frozenset[str]  #: records added, updated, merged or merged into (as people: the people they are part of)
    absorbed: Mapping[str, str] = MappingProxyType({})  #: of those, records now part of another person -> that person


class Store(Protocol):
    #: The most rows an import lets one transaction grow to (``graphsvc.imports.jobs``): a store whose
    #: commit costs grow with the store (SQLite rewrites every index page a transaction touched)
    #: wants large ones, one that holds a transaction's writes in memory until commit wants small.
    import_commit_rows: int

    # workspaces and members
    def workspace(self, name: str) -> Workspace:
        """The workspace called ``name``, created on first use."""

    def member_ids(self, workspace_id: str) -> list[str]: ...
    def add_member(self, workspace_id: str, person_id: str) -> None: ...

    # people and identity
    def get_people(self, workspace_id: str, ids: Iterable[str]) -> dict[str, Person]: ...
    def names_of(self, workspace_id: str, ids: Iterable[str]) -> dict[str, tuple[str, str, str]]:
        """(first name, last name, display name) of each of ``ids`` that exists: what comparing
        names needs, without reading whole people."""

    def search_people(
        self, workspace_id: str, search: str | None, limit: int, after: str | None = None
    ) -> list[Person]:
        """People ordered by (display name, id); ``after`` is the id of the last person of the previous page."""

    def count_people(self, workspace_id: str, search: str | None) -> int: ...
    def person_for_key(self, workspace_id: str, kind: str, value: str) -> str | None: ...
    def keys_of(self, workspace_id: str, person_id: str) -> list[tuple[str, str]]: ...
    def keys_of_many(self, workspace_id: str, person_ids: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
        """``keys_of`` for many people in one call (people without keys are left out)."""

    def add_person(self, workspace_id: str, person: Person) -> None: ...
    def add_people(self, workspace_id: str, people: Iterable[Person]) -> None:
        """``add_person`` for many new people (an import batch's, written at once)."""

    def update_person(self, workspace_id: str, person: Person) -> None: ...
    def add_key(self, workspace_id: str, kind: str, value: str, person_id: str) -> bool:
        """Register an identity key; False when another person already holds it."""

    def add_keys(self, workspace_id: str, keys: Iterable[tuple[str, str, str]]) -> None:
        """Register ``(kind, value, person_id)`` keys nobody holds yet (a key already held is left as it is)."""

    def persons_for_keys(self, workspace_id: str, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """``person_for_key`` for many keys in one call (keys nobody holds are left out)."""

    def add_sighting(self, workspace_id: str, sighting: Sighting) -> None: ...
    def add_sightings(self, workspace_id: str, sightings: Iterable[Sighting]) -> None: ...
    def sightings(self, workspace_id: str, person_id: str) -> list[Sighting]: ...
    def organizations_seen(self, workspace_id: str, person_ids: Iterable[str]) -> dict[str, set[str]]:
        """The organizations (as written) the sightings of each of ``person_ids`` named: a record keeps
        the first one it was given, but a later row with the same email may name a new employer."""


    # events and evidence
    def add_event(self, workspace_id: str, event: Event) -> None: ...
    def add_events(self, workspace_id: str, events: Iterable[Event]) -> None: ...
    def get_events(self, workspace_id: str, ids: Iterable[str]) -> dict[str, Event]: ...
    def add_evidence(self, workspace_id: str, items: Iterable[Evidence]) -> int: ...
    def iter_evidence(self, workspace_id: str) -> Iterator[Evidence]: ...
    def count_evidence(self, workspace_id: str) -> int: ...
    def store_id(self) -> str:
        """An identity of this database that a new (or recreated) database never shares."""
        ...

    # Optional: ``changes_since(workspace_id, version) -> DataChanges | None``, what changed after
    # ``version`` when that was only evidence and records added, updated or merged (the analytics
    # then extend their arrays instead of re-reading everything; SQLiteStore has it).

    def data_version(self, workspace_id: str) -> int:
        """Changes whenever the workspace's people or evidence change (for snapshot caching)."""

    # import jobs
    def add_job(self, job: ImportJob) -> None: ...
    def save_job(self, job: ImportJob) -> None: ...
    def get_job(self, workspace_id: str, job_id: str) -> ImportJob | None: ...
    def list_jobs(self, workspace_id: str) -> list[ImportJob]: ...
    def add_rejects(self, job_id: str, rejects: Iterable[Reject]) -> None: ...
    def rejects(self, job_id: str, *, after: int | None = None, limit: int | None = None, skipped: bool | None = None) -> list[Reject]:
        """By row number: every one, or the first ``limit`` with a row after ``after`` (keyset paging);
        ``skipped``: only the rejected (False) or only the skipped (True) rows."""
        ...

    # tags (labels a user puts on people: "investor", "alumni", ...)
    def add_tag(self, workspace_id: str, person_id: str, tag: str) -> bool: ...
    def people_with_tag(self, workspace_id: str, tag: str) -> list[str]: ...
    def tags_of(self, workspace_id: str, person_id: str) -> list[str]: ...

    # API tokens
    def add_token(self, token: Token) -> None: ...
    def token_by_hash(self, secret_hash: str) -> Token | None:
        """The token with this secret hash, in whichever workspace it belongs to."""

    def list_tokens(self, workspace_id: str) -> list[Token]: ...
    def revoke_token(self, workspace_id: str, token_id: str, at: datetime) -> bool: ...

    # merges (records of one human joined, undoably) and duplicate detection: see graphsvc.identity.merging
    def merge_map(self, workspace_id: str) -> dict[str, str]:
        """Absorbed person id -> the person it was merged into (never itself absorbed)."""

    def set_merged_into(self, workspace_id: str, person_ids: Iterable[str], survivor: str | None, *, manual: bool = False) -> None:
        """Merge ``person_ids`` into ``survivor``; ``None`` undoes their merge. ``manual``: a user's
        decision, which automatic re-checks never undo."""

    def manual_merges(self, workspace_id: str) -> set[str]:
        """The absorbed records a user merged by hand."""

    def add_distinct(self, workspace_id: str, a: str, b: str) -> None:
        """Record that ``a`` and ``b`` are different people (a split, or a dismissed duplicate)."""

    def remove_distinct(self, workspace_id: str, a: str, b: str) -> None: ...
    def distinct_pairs(self, workspace_id: str) -> set[tuple[str, str]]: ...
    def add_blocks(self, workspace_id: str, person_id: str, blocks: Iterable[str]) -> None:
        """File a person under name blocks (``graphsvc.identity.matching.blocking_keys``)."""

    def file_in_blocks(self, workspace_id: str, entries: Iterable[tuple[str, str]]) -> None:
        """``add_blocks`` for many ``(block, person_id)`` entries."""

    def people_in_blocks(self, workspace_id: str, blocks: Iterable[str], limit: int | None = None) -> dict[str, list[str]]:
        """The person ids filed under each of ``blocks``, in id order (blocks nobody is in are left out).

        With ``limit``, blocks of more people are left out too: too common to compare within, and
        reading thousands of ids per block would cost an import more than the comparisons it skips.
        """
    def block_groups(self, workspace_id: str, max_size: int) -> Iterator[list[str]]:
        """The person ids of every block with 2 to ``max_size`` people."""

    def blocks_filed_by(self, workspace_id: str) -> str:
        """The blocking rule version (``graphsvc.identity.matching.BLOCKING_VERSION``) the workspace's name blocks
        were filed by; "" when not known (filed before versions were kept, or never)."""

    def refile_blocks(self, workspace_id: str, blocks_of: Callable[[str, str, str], Iterable[str]], version: str) -> int:
        """File every record of the workspace anew under ``blocks_of(first_name, last_name, display_name)``
        (its old blocks dropped) and note ``version``; the number of records re-filed."""

    # privacy and etiquette
    def set_do_not_ask(self, workspace_id: str, person_id: str, flag: bool, at: datetime) -> None:
        """Mark (or unmark) a person nobody should be asked for an introduction."""

    def do_not_ask(self, workspace_id: str) -> set[str]: ...
    def forget_people(self, workspace_id: str, person_ids: Iterable[str], key_hashes: Iterable[str]) -> int:
        """Erase the records, keys, sightings, evidence (returns how many), tags, merges and marks of
        ``person_ids``; remember ``key_hashes`` so that imports leave them out from now on."""

    def forgotten_keys(self, workspace_id: str) -> set[str]: ...

    # corrections: the import journal, undoing an import, editing and merging events (graphsvc/imports/corrections.py)
    def add_journal(self, workspace_id: str, job_id: str, entries: Iterable[tuple[str, str, str]]) -> None:
        """Note ``(kind, ref, data)`` entries of what ``job_id`` did (in the caller's transaction)."""

    def journal(self, workspace_id: str, job_id: str) -> list[tuple[str, str, str]]:
        """The job's entries, in the order they were added."""

    def journal_jobs(self, workspace_id: str, kind: str, refs: Iterable[str]) -> dict[str, list[str]]:
        """For each of ``refs``: the jobs with an entry of ``kind`` about it, oldest entry first."""

    def drop_journal(self, workspace_id: str, job_id: str, kind: str | None = None, refs: Iterable[str] | None = None) -> None:
        """Remove the job's entries (only those of ``kind`` about ``refs``, when given)."""

    def evidence_owners(self, workspace_id: str, ids: Iterable[str]) -> dict[str, str]:
        """Evidence id -> the job that holds it, for those of ``ids`` that exist."""

    def evidence_where(self, workspace_id: str, *, job_id: str | None = None, event_ids: Iterable[str] | None = None) -> list[Evidence]:
        """The evidence a job holds, or the attendances of ``event_ids``."""

    def put_evidence(self, workspace_id: str, items: Iterable[Evidence]) -> None:
        """Write evidence, replacing any with the same id."""

    def delete_evidence(self, workspace_id: str, ids: Iterable[str]) -> None: ...
    def people_sighted_by(self, workspace_id: str, job_id: str) -> set[str]: ...
    def sighting_jobs(self, workspace_id: str, person_ids: Iterable[str]) -> dict[str, set[str]]:
        """The jobs that sighted each of ``person_ids`` (people nobody sighted are left out)."""

    def delete_sightings(self, workspace_id: str, job_id: str) -> None: ...
    def remove_records(self, workspace_id: str, person_ids: Iterable[str]) -> None:
        """Remove records with their keys, sightings, search text, blocks, tags, marks, membership and
        merges (not their evidence, and nothing is remembered: unlike ``forget_people``)."""

    def remove_keys(self, workspace_id: str, keys: Iterable[tuple[str, str, str]]) -> None:
        """Remove ``(kind, value, person_id)`` keys (a key held by someone else stays)."""

    def remove_member(self, workspace_id: str, person_id: str) -> None: ...
    def put_event(self, workspace_id: str, event: Event) -> None:
        """Write an event, replacing the one with its id."""

    def delete_events(self, workspace_id: str, ids: Iterable[str]) -> None:
        """Remove events (their attendances must be gone) and the aliases that name them."""

    def list_events(self, workspace_id: str) -> list[Event]: ...
    def add_event_alias(self, workspace_id: str, alias: str, event_id: str) -> None:
        """An event merged into ``event_id``: its id (and its own aliases) find ``event_id`` from now on."""

    def event_aliases(self, workspace_id: str) -> dict[str, str]: ...

    # intro requests (graphsvc/intro_requests.py); each write that changes one moves the data version
    def add_intro_request(self, workspace_id: str, request: IntroRequest) -> IntroRequest:
        """Write ``request`` unless one with its idempotency key exists; the stored one either way."""

    def get_intro_request(self, workspace_id: str, request_id: str) -> IntroRequest | None: ...
    def intro_requests(self, workspace_id: str) -> list[IntroRequest]:
        """Every request of the workspace, newest first (then by id)."""

    def save_intro_request(self, workspace_id: str, request: IntroRequest, steps_before: int) -> bool:
        """Write the request's new state and transitions if it still has ``steps_before`` transitions
        (compare-and-set); False when another writer moved it first."""

    def atomic(self) -> AbstractContextManager[None]: ...
    def close(self) -> None: ...
