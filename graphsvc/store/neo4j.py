"""The Neo4j store: the same ``Store`` protocol as ``SQLiteStore``, on a Neo4j 5 server.

The graph is made for exploring in Neo4j Browser (schema/neo4j/model.md):
``(:Person)``, ``(:Organization)``, ``(:Event)``, ``(:Person)-[:WORKS_AT]->(:Organization)``,
``(:Person)-[:ATTENDED]->(:Event)``, one relationship type per evidence kind
(``CONNECTED``, ``MESSAGED``, ...), provenance ``(:Person)-[:SEEN_IN]->(:ImportJob)``, and the
derived ``(:Person)-[:KNOWS {strength, level, lastContact, channels}]->(:Person)`` that
``project_knows`` rebuilds after each import. Every node and relationship carries
``workspace`` and every query filters on it; keys are unique per workspace
(schema/neo4j/constraints.cypher, applied idempotently when the store opens).

How writes work (throughput and atomicity):

* Inside ``atomic()`` writes are buffered in memory, per thread. At the end of the outermost
  block they are flushed in ONE Neo4j write transaction made of a few
  ``UNWIND $rows AS r MERGE ...`` statements keyed on uniqueness-constrained properties. If the
  block raises, or the flush fails, nothing is written. Writes outside ``atomic()`` are a
  block of their own.
* Reads inside a block see the block's own pending writes: the identity-resolution reads
  (``person_for_key``, ``keys_of``, ``get_people``, ``member_ids``, ``get_job``,
  ``data_version``) overlay the buffer on the store; other reads run in a transaction that
  applies the buffer first and is then rolled back.
* Identity resolution asks for keys and people row by row. A per-workspace cache of keys,
  people and evidence ids answers those reads inside blocks without round trips; it is
  validated once per block against a generation counter on the ``(:Workspace)`` node, which
  every flush increments. If another process wrote the workspace during a block, the flush
  rolls back with ``StoreConflict`` (the import job fails and resumes from its checkpoint).
* Outermost blocks are serialised within the process (as SQLite's ``BEGIN IMMEDIATE`` does).

Driver failures (unreachable server, wrong credentials, a connection lost mid-transaction)
surface as ``graphsvc.errors.StoreUnavailable`` with a message naming the server (never the
password). A save of a FAILED job never moves its committed progress (``checkpoint_row`` and
the row counts): the failure may be the commit of the batch that advanced them in memory.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Sequence, TypeVar

from neo4j import READ_ACCESS, WRITE_ACCESS, GraphDatabase
from neo4j import exceptions as neo4j_errors

from graphsvc.errors import ConfigurationError, GraphsvcError, StoreUnavailable
from graphsvc.model import (
    Channel,
    Event,
    Evidence,
    EvidenceKind,
    ImportJob,
    JobStatus,
    Person,
    Reject,
    Role,
    Sighting,
    Token,
    Workspace,
    stable_id,
)

if TYPE_CHECKING:
    from graphsvc.settings import Settings

log = logging.getLogger(__name__)

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema" / "neo4j" / "constraints.cypher"

#: Relationship type of each evidence kind: ``(a)-[:TYPE]->(b)``, or ``(a)-[:ATTENDED]->(:Event)``.
EVIDENCE_TYPES: dict[EvidenceKind, str] = {
    EvidenceKind.CONNECTION: "CONNECTED",
    EvidenceKind.FOLLOW: "FOLLOWS",
    EvidenceKind.ATTENDED: "ATTENDED",
    EvidenceKind.MESSAGE: "MESSAGED",
    EvidenceKind.MEETING: "MET",
    EvidenceKind.CALL: "CALLED",
    EvidenceKind.INVITATION: "INVITED",
    EvidenceKind.ENDORSEMENT: "ENDORSED",
    EvidenceKind.RECOMMENDATION: "RECOMMENDED",
    EvidenceKind.INTRODUCTION: "INTRODUCED",
    EvidenceKind.CONTACT: "HAS_CONTACT",
}
KIND_OF_TYPE = {rel_type: kind for kind, rel_type in EVIDENCE_TYPES.items()}
assert set(EVIDENCE_TYPES) == set(EvidenceKind), "every evidence kind needs a relationship type"
_EVIDENCE_PATTERN = "|".join(EVIDENCE_TYPES.values())

#: Identity-resolution lookups in one block before the workspace cache is loaded.
CACHE_AFTER_LOOKUPS = 16
#: Rows per UNWIND statement (a flush sends several statements in one transaction).
CHUNK_ROWS = 10_000
_PROGRESS_PROPS = ("rowsRead", "rowsImported", "rowsRejected", "rowsSkipped", "checkpointRow")

_UNAVAILABLE = (
    neo4j_errors.ServiceUnavailable,  # includes IncompleteCommit, Read/WriteServiceUnavailable
    neo4j_errors.SessionExpired,
    neo4j_errors.AuthError,  # includes TokenExpired
    neo4j_errors.DatabaseUnavailable,
    neo4j_errors.ConnectionAcquisitionTimeoutError,
)


class StoreConflict(GraphsvcError):
    """Another process wrote the workspace while this block was being prepared; nothing of the
    block was written. Re-running an import resumes it from its last checkpoint."""

    code = "STORE_CONFLICT"


def sort_key(name: str) -> str:
    return name.casefold().strip()


# ------------------------------------------------------------------------------------------
# pending writes and caches


@dataclass
class _WsPending:
    new_persons: dict[str, Person] = field(default_factory=dict)
    updated_persons: dict[str, Person] = field(default_factory=dict)
    keys: dict[tuple[str, str], str] = field(default_factory=dict)
    members: list[str] = field(default_factory=list)
    sightings: dict[tuple[str, int, str], Sighting] = field(default_factory=dict)
    events: dict[str, Event] = field(default_factory=dict)
    evidence: dict[str, Evidence] = field(default_factory=dict)
    jobs: dict[str, tuple[ImportJob, bool]] = field(default_factory=dict)  # id -> (copy, is new)
    merges: dict[str, tuple[str | None, bool]] = field(default_factory=dict)  # absorbed -> (survivor or None, by hand)
    distinct: dict[tuple[str, str], bool] = field(default_factory=dict)  # pair -> added (False: removed)
    dirty: bool = False  # people, evidence or members changed: data_version moves

    def has_writes(self) -> bool:
        return bool(
            self.new_persons or self.updated_persons or self.keys or self.members or self.sightings
            or self.events or self.evidence or self.jobs or self.merges or self.distinct or self.dirty
        )


@dataclass
class _Block:
    depth: int = 1
    ws: dict[str, _WsPending] = field(default_factory=dict)
    rejects: dict[str, dict[int, Reject]] = field(default_factory=dict)
    validated: dict[str, int] = field(default_factory=dict)  # workspace -> generation seen
    lookups: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    completed: set[str] = field(default_factory=set)  # workspaces with a job saved COMPLETED

    def pending(self, workspace_id: str) -> _WsPending:
        found = self.ws.get(workspace_id)
        if found is None:
            found = self.ws[workspace_id] = _WsPending()
        return found

    def has_writes(self, workspace_id: str | None = None) -> bool:
        if workspace_id is not None:
            pend = self.ws.get(workspace_id)
            return bool(pend and pend.has_writes()) or bool(self.rejects)
        return any(p.has_writes() for p in self.ws.values()) or bool(self.rejects)


@dataclass
class _WsCache:
    """What identity resolution reads, for one workspace, as of ``generation``."""

    generation: int
    keys: dict[tuple[str, str], str]
    person_keys: dict[str, set[tuple[str, str]]]
    persons: dict[str, Person]
    members: set[str]
    evidence: set[str]


# ------------------------------------------------------------------------------------------
# value conversion


def _native(value: Any) -> datetime | None:
    """A Neo4j temporal back to a ``datetime`` with a plain fixed-offset tzinfo (or naive)."""
    if value is None:
        return None
    moment = value.to_native() if hasattr(value, "to_native") else value
    if moment.tzinfo is not None:
        moment = moment.replace(tzinfo=timezone(moment.utcoffset() or timedelta(0)))
    return moment


def _person_row(person: Person) -> list[Any]:
    """``[id, name, firstName, lastName, organization, title, emails, linkedinUrl, sortName, orgKey]``
    (positional: rows are packed by the driver, and map keys would be packed on every row)."""
    from graphsvc.identity import normalise_organization

    org_key = normalise_organization(person.organization) if person.organization.strip() else ""
    return [
        person.id, person.display_name, person.first_name, person.last_name, person.organization, person.title,
        list(person.emails), person.linkedin_url, sort_key(person.display_name), org_key,
    ]


#: a person as a list (lists unpack faster than maps: no key per value)
_PERSON_LIST = "[p.id, p.name, p.firstName, p.lastName, p.organization, p.title, p.emails, p.linkedinUrl]"


def _person(row: list[Any], is_member: bool = False) -> Person:
    """A ``Person`` from a ``_PERSON_LIST`` row."""
    pid, name, first, last, org, title, emails, url = row
    return Person(
        id=pid, display_name=name or "", first_name=first or "", last_name=last or "", organization=org or "",
        title=title or "", emails=tuple(emails or ()), linkedin_url=url or "", is_member=is_member,
    )


def _parse_temporal(text: str | None) -> datetime | None:
    """``toString()`` of a Neo4j DATE TIME / LOCAL DATETIME back to a ``datetime`` (reading text is
    several times faster than letting the driver hydrate temporal values)."""
    if text is None:
        return None
    if text.endswith("]"):  # a named zone: the offset before it is enough
        text = text[: text.index("[")]
    return datetime.fromisoformat(text)


def _job_props(job: ImportJob) -> dict[str, Any]:
    props: dict[str, Any] = {
        "name": job.file_name, "fileHash": job.file_hash, "format": job.format, "ownerPersonId": job.owner_person_id,
        "status": job.status.value, "rowsRead": job.rows_read, "rowsImported": job.rows_imported,
        "rowsRejected": job.rows_rejected, "rowsSkipped": job.rows_skipped, "checkpointRow": job.checkpoint_row,
        "error": job.error, "startedAt": job.started_at, "finishedAt": job.finished_at,
        "options": json.dumps(job.options, sort_keys=True), "notes": list(job.notes),
    }
    if job.status is JobStatus.FAILED:  # never move committed progress on a failure (see module doc)
        for key in _PROGRESS_PROPS:
            props.pop(key)
    return props


def _job(row: dict[str, Any]) -> ImportJob:
    return ImportJob(
        id=row["id"], workspace_id=row["workspace"], file_name=row.get("name") or "", file_hash=row.get("fileHash") or "",
        format=row.get("format") or "", owner_person_id=row.get("ownerPersonId"), status=JobStatus(row["status"]),
        rows_read=row.get("rowsRead") or 0, rows_imported=row.get("rowsImported") or 0,
        rows_rejected=row.get("rowsRejected") or 0, rows_skipped=row.get("rowsSkipped") or 0,
        checkpoint_row=row.get("checkpointRow") or 0, error=row.get("error") or "",
        started_at=_native(row.get("startedAt")), finished_at=_native(row.get("finishedAt")),
        options=json.loads(row.get("options") or "{}"), notes=list(row.get("notes") or []),
    )


def _copy_job(job: ImportJob) -> ImportJob:
    return replace(job, options=dict(job.options), notes=list(job.notes))


def _overlay_job(stored: ImportJob, pending: ImportJob) -> ImportJob:
    """``stored`` as a pending ``save_job(pending)`` will leave it."""
    merged = _copy_job(pending)
    if pending.status is JobStatus.FAILED:
        merged.rows_read, merged.rows_imported = stored.rows_read, stored.rows_imported
        merged.rows_rejected, merged.rows_skipped = stored.rows_rejected, stored.rows_skipped
        merged.checkpoint_row = stored.checkpoint_row
    return merged


def _event_props(event: Event) -> dict[str, Any]:
    return {"name": event.name, "startsAt": event.starts_at, "kind": event.kind, "sourceFormat": event.source_format}


def _evidence_target(e: Evidence) -> str:
    """Where the relationship of ``e`` points: another person, an event, or (neither) back at ``a``."""
    if e.person_b:
        return "person"
    if e.event_id:
        return "event"
    return "self"


def _like_regex(search: str) -> str:
    """A Java regex matching what SQLite's ``LIKE '%<search>%'`` matches: ``%`` any run, ``_`` one
    character, case-insensitive for ASCII only (SQLite's default; Java's ``(?i)`` without ``(?u)``)."""
    out = ["(?is).*"]
    for ch in search.casefold().strip():
        if ch == "%":
            out.append(".*")
        elif ch == "_":
            out.append(".")
        elif ch.isascii() and ch.isalnum():
            out.append(ch)
        else:
            out.append(f"\\x{{{ord(ch):x}}}")
    out.append(".*")
    return "".join(out)


def _chunks(rows: Sequence[Any], size: int = CHUNK_ROWS) -> Iterator[Sequence[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def schema_statements(path: Path = SCHEMA_FILE) -> list[str]:
    """The statements of ``constraints.cypher`` (``//`` comment lines dropped, split on ``;``)."""
    text = "\n".join(line for line in path.read_text(encoding="utf-8").splitlines() if not line.strip().startswith("//"))
    return [s.strip() for s in text.split(";") if s.strip()]


# ------------------------------------------------------------------------------------------
# Cypher

_BUMP = """
MERGE (w:Workspace {id: $ws})
ON CREATE SET w.generation = 0, w.dataVersion = 0, w.members = []
WITH w, coalesce(w.generation, 0) AS g, coalesce(w.members, []) AS members
SET w.generation = g + 1,
    w.dataVersion = coalesce(w.dataVersion, 0) + $bump,
    w.members = members + [m IN $members WHERE NOT m IN members]
RETURN g
"""
_PERSON_PROPS = (
    "p.name = r[1], p.firstName = r[2], p.lastName = r[3], p.organization = r[4], p.title = r[5], "
    "p.emails = r[6], p.linkedinUrl = r[7], p.sortName = r[8]"
)
_NEW_PERSONS = f"""
MATCH (w:Workspace {{id: $ws}})
WITH coalesce(w.members, []) AS members
UNWIND $rows AS r
MERGE (p:Person {{workspace: $ws, id: r[0]}})
SET {_PERSON_PROPS}
FOREACH (_ IN CASE WHEN r[0] IN members THEN [1] ELSE [] END | SET p:Member)
WITH p, r WHERE r[9] <> ''
MERGE (o:Organization {{workspace: $ws, key: r[9]}}) ON CREATE SET o.name = trim(r[4])
MERGE (p)-[wa:WORKS_AT]->(o) ON CREATE SET wa.workspace = $ws
"""
#: the same, when the people are known to be new (a validated cache): CREATE skips the MERGE locks
_CREATE_PERSONS = f"""
MATCH (w:Workspace {{id: $ws}})
WITH coalesce(w.members, []) AS members
UNWIND $rows AS r
CREATE (p:Person {{workspace: $ws, id: r[0]}})
SET {_PERSON_PROPS}
FOREACH (_ IN CASE WHEN r[0] IN members THEN [1] ELSE [] END | SET p:Member)
WITH p, r WHERE r[9] <> ''
MERGE (o:Organization {{workspace: $ws, key: r[9]}}) ON CREATE SET o.name = trim(r[4])
CREATE (p)-[:WORKS_AT {{workspace: $ws}}]->(o)
"""
_UPDATED_PERSONS = f"""
UNWIND $rows AS r
MATCH (p:Person {{workspace: $ws, id: r[0]}})
SET {_PERSON_PROPS}
WITH p, r
OPTIONAL MATCH (p)-[old:WORKS_AT]->(o0:Organization)
WITH p, r, [x IN collect(old) WHERE endNode(x).key <> r[9]] AS stale
FOREACH (x IN stale | DELETE x)
WITH p, r WHERE r[9] <> ''
MERGE (o:Organization {{workspace: $ws, key: r[9]}}) ON CREATE SET o.name = trim(r[4])
MERGE (p)-[wa:WORKS_AT]->(o) ON CREATE SET wa.workspace = $ws
"""
_MERGED_INTO = (
    "UNWIND $rows AS r MATCH (p:Person {workspace: $ws, id: r[0]}) "
    "SET p.mergedInto = r[1], p.mergedByHand = CASE WHEN r[1] IS NULL THEN null ELSE coalesce(p.mergedByHand, false) OR r[2] END"
)
_ADD_DISTINCT = "UNWIND $rows AS r MERGE (:DistinctPair {workspace: $ws, a: r[0], b: r[1]})"
_REMOVE_DISTINCT = "UNWIND $rows AS r MATCH (d:DistinctPair {workspace: $ws, a: r[0], b: r[1]}) DELETE d"
_MEMBERS = "UNWIND $ids AS id MATCH (p:Person {workspace: $ws, id: id}) SET p:Member"
_MERGE_KEYS = """
UNWIND $rows AS r
MERGE (k:IdentityKey {workspace: $ws, kind: r[0], value: r[1]})
ON CREATE SET k.person = r[2]
"""
_CREATE_KEYS = "UNWIND $rows AS r CREATE (:IdentityKey {workspace: $ws, kind: r[0], value: r[1], person: r[2]})"
_NEW_JOBS = """
UNWIND $rows AS r
MERGE (j:ImportJob {workspace: $ws, id: r.id})
SET j += r.props
"""
_UPDATED_JOBS = """
UNWIND $rows AS r
MATCH (j:ImportJob {workspace: $ws, id: r.id}) WHERE j.status IS NOT NULL
SET j += r.props
"""
_EVENTS = """
UNWIND $rows AS r
MERGE (e:Event {workspace: $ws, id: r.id})
ON CREATE SET e += r.props
"""
#: sightings of one job and source; rows ``[person, row, name, email, linkedinUrl, organization, title]``
_SIGHTINGS = """
MERGE (j:ImportJob {workspace: $ws, id: $job})
WITH j
UNWIND $rows AS r
MATCH (p:Person {workspace: $ws, id: r[0]})
MERGE (p)-[s:SEEN_IN {workspace: $ws, key: $job + '|' + toString(r[1]) + '|' + r[0]}]->(j)
ON CREATE SET s.jobId = $job, s.sourceFormat = $format, s.sourceName = $source, s.row = r[1], s.name = r[2],
    s.email = r[3], s.linkedinUrl = r[4], s.organization = r[5], s.title = r[6]
RETURN count(*) AS n
"""
_TARGETS = {
    "person": "MATCH (x:Person {workspace: $ws, id: r[2]})",
    "event": "MATCH (x:Event {workspace: $ws, id: r[2]})",
    "self": "WITH a, r, a AS x",
}
_REJECTS = """
UNWIND $rows AS r
OPTIONAL MATCH (j:ImportJob {id: r.job})
MERGE (x:Reject {jobId: r.job, row: r.row})
SET x.reason = r.reason, x.skipped = r.skipped, x.workspace = coalesce(j.workspace, '')
FOREACH (_ IN CASE WHEN j IS NULL THEN [] ELSE [1] END | MERGE (j)-[:REJECTED]->(x))
"""


def _temporal(moment: datetime | None) -> tuple[str, str | None]:
    """``(kind, iso)`` for sending a datetime as text: the Python driver packs ``datetime``
    objects slowly (tens of microseconds each), Cypher parses ISO text fast."""
    if moment is None:
        return "none", None
    return ("aware" if moment.tzinfo is not None else "naive"), moment.isoformat()


_PARSE = {"none": "null", "aware": "datetime({0})", "naive": "localdatetime({0})"}


def _evidence_query(rel_type: str, target: str, at: str, create: bool) -> str:
    """Evidence of one type, target kind, channel, job, direction and kind of ``at``;
    rows ``[id, a, b or event, at (ISO text), eventId]``."""
    assert rel_type in KIND_OF_TYPE and target in _TARGETS and at in _PARSE
    props = f"e.channel = $channel, e.jobId = $job, e.direction = $direction, e.at = {_PARSE[at].format('r[3]')}, e.eventId = r[4]"
    if target == "self":
        props += ", e.dangling = true"
    write = (
        f"CREATE (a)-[e:{rel_type} {{workspace: $ws, id: r[0]}}]->(x)\nSET {props}"
        if create
        else f"MERGE (a)-[e:{rel_type} {{workspace: $ws, id: r[0]}}]->(x)\nON CREATE SET {props}"
    )
    return f"UNWIND $rows AS r\nMATCH (a:Person {{workspace: $ws, id: r[1]}})\n{_TARGETS[target]}\n{write}\nRETURN count(*) AS n"


_F = TypeVar("_F", bound=Callable[..., Any])


def _guarded(method: _F) -> _F:
    """Driver failures become ``StoreUnavailable`` (or ``ConfigurationError``) with a clear message."""

    @functools.wraps(method)
    def wrapper(self: "Neo4jStore", *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except neo4j_errors.Neo4jError as exc:
            translated = self._translate(exc)
            if translated is None:
                raise
            raise translated from exc
        except neo4j_errors.DriverError as exc:
            translated = self._translate(exc)
            if translated is None:
                raise
            raise translated from exc

    return wrapper  # type: ignore[return-value]


class Neo4jStore:
    """A ``Store`` on Neo4j 5 (Community or Enterprise) through the official driver."""

    #: A transaction's writes wait in memory (here and in the server) until it commits: every
    #: import batch commits on its own.
    import_commit_rows = 0

    def __init__(
        self,
        uri: str,
        user: str = "neo4j",
        password: str = "",
        *,
        database: str = "neo4j",
        connection_timeout: float = 5.0,
        max_retry_time: float = 15.0,
        project_knows_after_import: bool = True,
        apply_schema: bool = True,
    ) -> None:
        self.uri = uri
        self.user = user
        self.database = database
        self.project_knows_after_import = project_knows_after_import
        self._local = threading.local()
        self._write_lock = threading.RLock()
        self._caches: dict[str, _WsCache] = {}
        try:
            self._driver = GraphDatabase.driver(
                uri, auth=(user, password), connection_timeout=connection_timeout,
                connection_acquisition_timeout=max(connection_timeout * 2, 10.0),
                max_transaction_retry_time=max_retry_time, notifications_min_severity="OFF",
            )
        except (neo4j_errors.ConfigurationError, ValueError) as exc:
            raise ConfigurationError(f"cannot use Neo4j at {uri!r}: {exc}") from exc
        try:
            self._open(apply_schema)
        except BaseException:
            self._driver.close()
            raise

    @classmethod
    def from_settings(cls, settings: "Settings") -> "Neo4jStore":
        target = settings.neo4j_target()
        return cls(
            target.uri, target.user, target.password, database=target.database,
            connection_timeout=settings.neo4j_connect_timeout, max_retry_time=settings.neo4j_max_retry_seconds,
            project_knows_after_import=settings.neo4j_project_knows,
        )

    @_guarded
    def _open(self, apply_schema: bool) -> None:
        self._driver.verify_connectivity()
        if apply_schema:
            self.apply_schema()

    def apply_schema(self) -> None:
        """Create the constraints and indexes of schema/neo4j/constraints.cypher (idempotent)."""
        for statement in schema_statements():
            self._driver.execute_query(statement, database_=self.database)
        self._driver.execute_query("CALL db.awaitIndexes(300)", database_=self.database)

    def close(self) -> None:
        self._driver.close()
        self._caches.clear()

    # errors -----------------------------------------------------------------------------------
    def _translate(self, exc: Exception) -> GraphsvcError | None:
        detail = " ".join(str(exc).split()) or type(exc).__name__
        if isinstance(exc, neo4j_errors.AuthError):
            return StoreUnavailable(
                f"Neo4j at {self.uri} rejected the credentials of user {self.user!r} ({detail}); "
                "check the user and password in GRAPHSVC_STORE (or GRAPHSVC_NEO4J_USER / GRAPHSVC_NEO4J_PASSWORD)"
            )
        if isinstance(exc, _UNAVAILABLE):
            return StoreUnavailable(
                f"Neo4j at {self.uri} is unavailable ({type(exc).__name__}: {detail}); is the server running and "
                "reachable? Nothing of the interrupted operation was written; re-running an interrupted import "
                "resumes it from its last checkpoint"
            )
        code = getattr(exc, "code", None) or ""
        if code == "Neo.ClientError.Database.DatabaseNotFound":
            return ConfigurationError(f"Neo4j at {self.uri} has no database {self.database!r} ({detail})")
        return None

    # tags (written directly: a user's labels, never part of an import batch) -----------------------
    @_guarded
    def add_tag(self, workspace_id: str, person_id: str, tag: str) -> bool:
        records, _, _ = self._driver.execute_query(
            "MATCH (p:Person {workspace: $ws, id: $pid}) "
            "MERGE (t:Tag {workspace: $ws, name: $tag}) "
            "WITH p, t, EXISTS { (p)-[:TAGGED]->(t) } AS had "
            "MERGE (p)-[:TAGGED]->(t) RETURN NOT had AS added",
            {"ws": workspace_id, "pid": person_id, "tag": tag}, database_=self.database,
        )
        return bool(records and records[0]["added"])

    @_guarded
    def people_with_tag(self, workspace_id: str, tag: str) -> list[str]:
        rows = self._read(
            "MATCH (p:Person {workspace: $ws})-[:TAGGED]->(:Tag {workspace: $ws, name: $tag}) RETURN p.id AS id ORDER BY id",
            ws=workspace_id, tag=tag,
        )
        return [r["id"] for r in rows]

    @_guarded
    def tags_of(self, workspace_id: str, person_id: str) -> list[str]:
        rows = self._read(
            "MATCH (:Person {workspace: $ws, id: $pid})-[:TAGGED]->(t:Tag) RETURN t.name AS name ORDER BY name",
            ws=workspace_id, pid=person_id,
        )
        return [r["name"] for r in rows]

    # API tokens (written directly: they are not import data and never part of a batch) --------------
    @_guarded
    def add_token(self, token: Token) -> None:
        self._driver.execute_query(
            "CREATE (t:ApiToken {id: $id, workspace: $ws, name: $name, role: $role, secretHash: $hash, "
            "createdAt: $created, revokedAt: null, expiresAt: $expires})",
            {"id": token.id, "ws": token.workspace_id, "name": token.name, "role": token.role.value,
             "hash": token.secret_hash, "created": token.created_at.isoformat(),
             "expires": token.expires_at.isoformat() if token.expires_at else None},
            database_=self.database,
        )

    @staticmethod
    def _token(row: dict[str, Any]) -> Token:
        return Token(
            row["id"], row["workspace"], row["name"], Role(row["role"]), row["secretHash"],
            datetime.fromisoformat(row["createdAt"]), datetime.fromisoformat(row["revokedAt"]) if row.get("revokedAt") else None,
            datetime.fromisoformat(row["expiresAt"]) if row.get("expiresAt") else None,
        )

    @_guarded
    def token_by_hash(self, secret_hash: str) -> Token | None:
        rows = self._read("MATCH (t:ApiToken {secretHash: $hash}) RETURN properties(t) AS t", hash=secret_hash)
        return self._token(rows[0]["t"]) if rows else None

    @_guarded
    def list_tokens(self, workspace_id: str) -> list[Token]:
        rows = self._read("MATCH (t:ApiToken {workspace: $ws}) RETURN properties(t) AS t ORDER BY t.createdAt, t.id", ws=workspace_id)
        return [self._token(r["t"]) for r in rows]

    @_guarded
    def revoke_token(self, workspace_id: str, token_id: str, at: datetime) -> bool:
        records, _, _ = self._driver.execute_query(
            "MATCH (t:ApiToken {workspace: $ws, id: $id}) WHERE t.revokedAt IS NULL SET t.revokedAt = $at RETURN count(t) AS n",
            {"ws": workspace_id, "id": token_id, "at": at.isoformat()},
            database_=self.database,
        )
        return bool(records[0]["n"])

    # sessions ---------------------------------------------------------------------------------
    def _session(self, access_mode: str = WRITE_ACCESS) -> Any:
        # the bookmark manager execute_query uses: causal consistency (read your writes) across
        # all of the store's sessions, also on a cluster
        return self._driver.session(
            database=self.database, default_access_mode=access_mode,
            bookmark_manager=self._driver.execute_query_bookmark_manager,
        )

    def _read(self, query: str, **params: Any) -> list[dict[str, Any]]:
        records, _, _ = self._driver.execute_query(query, params, database_=self.database, routing_="r")
        return [r.data() for r in records]

    def _read_tx(self, work: Callable[[Any], Any]) -> Any:
        with self._session(READ_ACCESS) as session:
            return session.execute_read(work)

    def _read_consistent(self, workspace_id: str, work: Callable[[Any], Any]) -> Any:
        """``work(tx)``, seeing this thread's pending writes: applied in a transaction rolled back after."""
        block = self._block()
        if block is None or not block.has_writes(workspace_id):
            return self._read_tx(work)
        with self._session() as session:
            tx = session.begin_transaction()
            try:
                self._write_block(tx, block, check_generation=False)
                return work(tx)
            finally:
                tx.close()  # never committed: rolls back

    # atomic blocks ----------------------------------------------------------------------------
    def _block(self) -> _Block | None:
        return getattr(self._local, "block", None)

    def atomic(self) -> "_Atomic":
        return _Atomic(self)

    def _begin(self) -> None:
        block = self._block()
        if block is not None:
            block.depth += 1
            return
        self._write_lock.acquire()
        self._local.block = _Block()

    def _end(self, failed: bool) -> None:
        block = self._block()
        assert block is not None
        if block.depth > 1:
            block.depth -= 1
            return
        self._local.block = None
        try:
            if not failed and block.has_writes():
                self._commit(block)
        finally:
            self._write_lock.release()
        if not failed and self.project_knows_after_import:
            for workspace_id in sorted(block.completed):
                self._after_import(workspace_id)

    @_guarded
    def _commit(self, block: _Block) -> None:
        try:
            with self._session() as session:
                generations = session.execute_write(lambda tx: self._write_block(tx, block, check_generation=True))
        except BaseException:
            for workspace_id in block.ws:  # the outcome may be unknown (lost commit): start afresh
                self._caches.pop(workspace_id, None)
            raise
        for workspace_id, old in generations.items():
            cache = self._caches.get(workspace_id)
            if cache is None:
                continue
            if cache.generation != old:
                del self._caches[workspace_id]
                continue
            self._apply_to_cache(cache, block.ws[workspace_id])
            cache.generation = old + 1

    def _after_import(self, workspace_id: str) -> None:
        try:
            from graphsvc.clusters import ClusteredStore

            project_knows(ClusteredStore(self), workspace_id)  # type: ignore[arg-type]
        except Exception:  # the import itself is committed; KNOWS catches up at the next import
            log.warning("could not rebuild KNOWS for workspace %s", workspace_id, exc_info=True)

    @staticmethod
    def _apply_to_cache(cache: _WsCache, pend: _WsPending) -> None:
        cache.persons.update(pend.new_persons)
        for pid, person in pend.updated_persons.items():
            if pid in cache.persons:
                cache.persons[pid] = person
        for key, pid in pend.keys.items():
            if key not in cache.keys:
                cache.keys[key] = pid
                cache.person_keys.setdefault(pid, set()).add(key)
        cache.members.update(pend.members)
        cache.evidence.update(pend.evidence)

    def _write_block(self, tx: Any, block: _Block, *, check_generation: bool) -> dict[str, int]:
        """Run the statements that write ``block`` in ``tx``; the previous generation per workspace.

        Pure with respect to ``block`` (the driver may retry it) and idempotent (MERGE on keys).
        """
        generations: dict[str, int] = {}
        for ws, pend in block.ws.items():
            if not pend.has_writes():
                continue
            old = tx.run(_BUMP, ws=ws, bump=int(pend.dirty), members=pend.members).single()["g"]
            expected = block.validated.get(ws)
            if check_generation and expected is not None and old != expected:
                raise StoreConflict(
                    f"another writer changed workspace {ws} during this batch; nothing of the batch was written "
                    "(re-run the import to resume it from its checkpoint)"
                )
            generations[ws] = old
            self._write_workspace(tx, ws, pend, known_new=ws in block.validated)
        rows = [
            {"job": job_id, "row": r.row, "reason": r.reason, "skipped": r.skipped}
            for job_id, by_row in block.rejects.items()
            for r in by_row.values()
        ]
        for chunk in _chunks(rows):
            tx.run(_REJECTS, rows=chunk).consume()
        return generations

    def _write_workspace(self, tx: Any, ws: str, pend: _WsPending, known_new: bool) -> None:
        """The statements for one workspace. ``known_new``: the block's reads came from a validated
        cache, so its new people, keys and evidence do not exist yet and can be CREATEd."""

        def run(query: str, rows: list[Any], what: str | None = None, **params: Any) -> None:
            for chunk in _chunks(rows):
                result = tx.run(query, ws=ws, rows=list(chunk), **params)
                if what is None:
                    result.consume()
                    continue
                written = result.single()["n"]
                if written != len(chunk):
                    raise ValueError(f"{len(chunk) - written} {what} refer to people or events that do not exist in workspace {ws}")

        run(_CREATE_PERSONS if known_new else _NEW_PERSONS, [_person_row(p) for p in pend.new_persons.values()])
        run(_UPDATED_PERSONS, [_person_row(p) for p in pend.updated_persons.values()])
        if pend.members:
            tx.run(_MEMBERS, ws=ws, ids=pend.members).consume()
        run(_CREATE_KEYS if known_new else _MERGE_KEYS, [[k, v, pid] for (k, v), pid in pend.keys.items()])
        run(_MERGED_INTO, [[absorbed, survivor, manual] for absorbed, (survivor, manual) in pend.merges.items()])
        run(_ADD_DISTINCT, [list(pair) for pair, added in pend.distinct.items() if added])
        run(_REMOVE_DISTINCT, [list(pair) for pair, added in pend.distinct.items() if not added])
        run(_NEW_JOBS, [{"id": j.id, "props": _job_props(j)} for j, is_new in pend.jobs.values() if is_new])
        run(_UPDATED_JOBS, [{"id": j.id, "props": _job_props(j)} for j, is_new in pend.jobs.values() if not is_new])
        run(_EVENTS, [{"id": e.id, "props": _event_props(e)} for e in pend.events.values()])
        sightings: dict[tuple[str, str, str], list[list[Any]]] = defaultdict(list)
        for si in pend.sightings.values():
            sightings[(si.job_id, si.source_format, si.source_name)].append(
                [si.person_id, si.row, si.name, si.email, si.linkedin_url, si.organization, si.title]
            )
        for (job_id, fmt, source), rows in sorted(sightings.items()):
            run(_SIGHTINGS, rows, "sightings", job=job_id, format=fmt, source=source)
        evidence: dict[tuple[str, str, str, str, str, str], list[list[Any]]] = defaultdict(list)
        for e in pend.evidence.values():
            target = _evidence_target(e)
            end = e.person_b if target == "person" else e.event_id if target == "event" else None
            extra_event = e.event_id if target != "event" else None
            at_kind, at = _temporal(e.at)
            evidence[(EVIDENCE_TYPES[e.kind], target, at_kind, e.channel.value, e.job_id, e.direction)].append(
                [e.id, e.person_a, end, at, extra_event]
            )
        for (rel_type, target, at_kind, channel, job_id, direction), rows in sorted(evidence.items()):
            run(
                _evidence_query(rel_type, target, at_kind, known_new), rows, "evidence items",
                channel=channel, job=job_id, direction=direction,
            )

    # workspace cache ----------------------------------------------------------------------------
    def _generation(self, workspace_id: str) -> int:
        rows = self._read("MATCH (w:Workspace {id: $ws}) RETURN coalesce(w.generation, 0) AS g", ws=workspace_id)
        return int(rows[0]["g"]) if rows else 0

    def _cache_for(self, block: _Block, workspace_id: str) -> _WsCache | None:
        """The workspace cache if it may answer this block's reads (loading it once lookups pile up)."""
        if workspace_id in block.validated:
            return self._caches.get(workspace_id)
        block.lookups[workspace_id] += 1
        cache = self._caches.get(workspace_id)
        if cache is None and block.lookups[workspace_id] < CACHE_AFTER_LOOKUPS:
            return None
        if cache is not None and cache.generation == self._generation(workspace_id):
            block.validated[workspace_id] = cache.generation
            return cache
        cache = self._read_tx(lambda tx: self._load_cache(tx, workspace_id))
        self._caches[workspace_id] = cache
        block.validated[workspace_id] = cache.generation
        return cache

    @staticmethod
    def _load_cache(tx: Any, ws: str) -> _WsCache:
        head = tx.run(
            "MATCH (w:Workspace {id: $ws}) RETURN coalesce(w.generation, 0) AS g, coalesce(w.members, []) AS m", ws=ws
        ).single()
        generation, members = (int(head["g"]), set(head["m"])) if head else (0, set())
        keys: dict[tuple[str, str], str] = {}
        person_keys: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for rec in tx.run(
            "MATCH (k:IdentityKey {workspace: $ws}) WHERE k.kind IS NOT NULL AND k.value IS NOT NULL "
            "RETURN k.kind AS kind, k.value AS value, k.person AS person",
            ws=ws,
        ):
            key = (rec["kind"], rec["value"])
            keys[key] = rec["person"]
            person_keys[rec["person"]].add(key)
        persons = {
            rec[0][0]: _person(rec[0])
            for rec in tx.run(f"MATCH (p:Person {{workspace: $ws}}) WHERE p.id IS NOT NULL RETURN {_PERSON_LIST}", ws=ws)
        }
        evidence = {
            rec["id"]
            for rec in tx.run(
                f"MATCH (a:Person {{workspace: $ws}})-[e:{_EVIDENCE_PATTERN}]->() WHERE a.id IS NOT NULL AND e.workspace = $ws "
                "RETURN e.id AS id",
                ws=ws,
            )
        }
        return _WsCache(generation, keys, dict(person_keys), persons, members, evidence)

    # workspaces -------------------------------------------------------------------------------
    @_guarded
    def workspace(self, name: str) -> Workspace:
        rows = self._read("MATCH (w:Workspace {name: $name}) RETURN w.id AS id", name=name)
        if rows:
            return Workspace(rows[0]["id"], name)
        workspace = Workspace(stable_id("ws", name), name)
        self._driver.execute_query(
            "MERGE (w:Workspace {id: $id}) "
            "ON CREATE SET w.generation = 0, w.dataVersion = 0, w.members = [], w.createdAt = datetime() "
            "SET w.name = $name",
            id=workspace.id, name=name, database_=self.database,
        )
        return workspace

    def _member_set(self, workspace_id: str) -> set[str]:
        block = self._block()
        members: set[str] = set()
        if block is not None:
            cache = self._cache_for(block, workspace_id)
            if cache is not None:
                members = set(cache.members)
            else:
                members = set(self._stored_members(workspace_id))
            pend = block.ws.get(workspace_id)
            if pend:
                members.update(pend.members)
            return members
        return set(self._stored_members(workspace_id))

    def _stored_members(self, workspace_id: str) -> list[str]:
        rows = self._read("MATCH (w:Workspace {id: $ws}) RETURN coalesce(w.members, []) AS m", ws=workspace_id)
        return list(rows[0]["m"]) if rows else []

    @_guarded
    def member_ids(self, workspace_id: str) -> list[str]:
        return sorted(self._member_set(workspace_id))

    @_guarded
    def add_member(self, workspace_id: str, person_id: str) -> None:
        with self.atomic():
            if person_id in self._member_set(workspace_id):
                return
            pend = self._block_now().pending(workspace_id)
            pend.members.append(person_id)
            pend.dirty = True

    def _block_now(self) -> _Block:
        block = self._block()
        assert block is not None, "only inside atomic()"
        return block

    # people -----------------------------------------------------------------------------------
    @_guarded
    def get_people(self, workspace_id: str, ids: Iterable[str]) -> dict[str, Person]:
        wanted = list(dict.fromkeys(ids))
        block = self._block()
        pend = block.ws.get(workspace_id) if block else None
        found: dict[str, Person] = {}
        rest = wanted
        if pend is not None:
            found.update({pid: pend.new_persons[pid] for pid in wanted if pid in pend.new_persons})
            rest = [pid for pid in wanted if pid not in found]
        cache = self._cache_for(block, workspace_id) if block is not None and rest else None
        if cache is not None:
            found.update({pid: cache.persons[pid] for pid in rest if pid in cache.persons})
        elif rest:
            found.update(self._stored_people(workspace_id, rest))
        if pend is not None:
            found.update({pid: p for pid, p in pend.updated_persons.items() if pid in found})
        members = self._member_set(workspace_id) if found else set()
        # stored and pending people carry is_member=False: only members need a copy
        return {pid: replace(found[pid], is_member=True) if pid in members else found[pid] for pid in wanted if pid in found}

    def names_of(self, workspace_id: str, ids: Iterable[str]) -> dict[str, tuple[str, str, str]]:
        # inside an import block people come from its cache: a lighter query would read no less
        return {pid: (p.first_name, p.last_name, p.display_name) for pid, p in self.get_people(workspace_id, ids).items()}

    def _stored_people(self, workspace_id: str, ids: list[str]) -> dict[str, Person]:
        found: dict[str, Person] = {}
        for chunk in _chunks(ids):
            for row in self._read(
                f"UNWIND $ids AS id MATCH (p:Person {{workspace: $ws, id: id}}) RETURN {_PERSON_LIST} AS p",
                ws=workspace_id, ids=list(chunk),
            ):
                found[row["p"][0]] = _person(row["p"])
        return found

    @staticmethod
    def _search_where(search: str | None) -> tuple[str, dict[str, Any]]:
        if not search:
            return "", {}
        return (
            " AND (p.sortName =~ $re OR p.organization =~ $re OR p.linkedinUrl =~ $re"
            # SQLite matches the JSON text of the emails list (json.dumps: '["a@x", "b@y"]')
            " OR '[' + reduce(s = '', e IN coalesce(p.emails, []) | s + CASE s WHEN '' THEN '' ELSE ', ' END"
            " + '\"' + e + '\"') + ']' =~ $re)",
            {"re": _like_regex(search)},
        )

    @_guarded
    def search_people(self, workspace_id: str, search: str | None, limit: int, after: str | None = None) -> list[Person]:
        where, params = self._search_where(search)

        def work(tx: Any) -> list[dict[str, Any]] | None:
            args = dict(params, ws=workspace_id)
            clause = where
            if after:
                anchor = tx.run("MATCH (a:Person {workspace: $ws, id: $id}) RETURN a.sortName AS s", ws=workspace_id, id=after).single()
                if anchor is None:
                    return None
                clause += " AND (p.sortName > $s OR (p.sortName = $s AND p.id > $after))"
                args.update(s=anchor["s"], after=after)
            limit_clause = " LIMIT $limit" if limit >= 0 else ""
            query = (
                f"MATCH (p:Person {{workspace: $ws}}) WHERE p.id IS NOT NULL AND p.mergedInto IS NULL{clause} "
                f"RETURN {_PERSON_LIST} AS person ORDER BY p.sortName, p.id{limit_clause}"
            )
            return [r["person"] for r in tx.run(query, args, limit=limit).data()]

        rows = self._read_consistent(workspace_id, work)
        if not rows:
            return []
        members = self._member_set(workspace_id)
        return [_person(row, row[0] in members) for row in rows]

    @_guarded
    def count_people(self, workspace_id: str, search: str | None) -> int:
        where, params = self._search_where(search)
        query = f"MATCH (p:Person {{workspace: $ws}}) WHERE p.id IS NOT NULL AND p.mergedInto IS NULL{where} RETURN count(p) AS n"
        return int(self._read_consistent(workspace_id, lambda tx: tx.run(query, dict(params, ws=workspace_id)).single()["n"]))

    @_guarded
    def person_for_key(self, workspace_id: str, kind: str, value: str) -> str | None:
        block = self._block()
        if block is not None:
            pend = block.ws.get(workspace_id)
            if pend is not None and (kind, value) in pend.keys:
                return pend.keys[(kind, value)]
            cache = self._cache_for(block, workspace_id)
            if cache is not None:
                return cache.keys.get((kind, value))
        rows = self._read(
            "MATCH (k:IdentityKey {workspace: $ws, kind: $kind, value: $value}) RETURN k.person AS p",
            ws=workspace_id, kind=kind, value=value,
        )
        return rows[0]["p"] if rows else None

    @_guarded
    def keys_of(self, workspace_id: str, person_id: str) -> list[tuple[str, str]]:
        keys: set[tuple[str, str]] = set()
        block = self._block()
        cache = self._cache_for(block, workspace_id) if block is not None else None
        if cache is not None:
            keys.update(cache.person_keys.get(person_id, ()))
        else:
            rows = self._read(
                "MATCH (k:IdentityKey {workspace: $ws, person: $pid}) RETURN k.kind AS kind, k.value AS value",
                ws=workspace_id, pid=person_id,
            )
            keys.update((r["kind"], r["value"]) for r in rows)
        pend = block.ws.get(workspace_id) if block is not None else None
        if pend is not None:
            keys.update(key for key, pid in pend.keys.items() if pid == person_id)
        return sorted(keys)

    @_guarded
    def keys_of_many(self, workspace_id: str, person_ids: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
        wanted = sorted(set(person_ids))
        block = self._block()
        cache = self._cache_for(block, workspace_id) if block is not None else None
        found: dict[str, set[tuple[str, str]]] = {}
        if cache is not None:
            for pid in wanted:
                if cache.person_keys.get(pid):
                    found[pid] = set(cache.person_keys[pid])
        else:
            for chunk in _chunks(wanted):
                for r in self._read(
                    "UNWIND $ids AS id MATCH (k:IdentityKey {workspace: $ws, person: id}) RETURN k.person AS p, k.kind AS kind, k.value AS value",
                    ws=workspace_id, ids=list(chunk),
                ):
                    found.setdefault(r["p"], set()).add((r["kind"], r["value"]))
        pend = block.ws.get(workspace_id) if block is not None else None
        if pend is not None:
            wanted_set = set(wanted)
            for key, pid in pend.keys.items():
                if pid in wanted_set:
                    found.setdefault(pid, set()).add(key)
        return {pid: sorted(keys) for pid, keys in found.items()}

    @_guarded
    def add_person(self, workspace_id: str, person: Person) -> None:
        with self.atomic():
            pend = self._block_now().pending(workspace_id)
            pend.new_persons[person.id] = replace(person, is_member=False)
            pend.updated_persons.pop(person.id, None)
            pend.dirty = True

    def add_people(self, workspace_id: str, people: Iterable[Person]) -> None:
        with self.atomic():  # pending until the block commits, like every write here
            for person in people:
                self.add_person(workspace_id, person)

    @_guarded
    def update_person(self, workspace_id: str, person: Person) -> None:
        with self.atomic():
            pend = self._block_now().pending(workspace_id)
            stored = replace(person, is_member=False)
            if person.id in pend.new_persons:
                pend.new_persons[person.id] = stored
            else:
                pend.updated_persons[person.id] = stored
            pend.dirty = True

    @_guarded
    def add_key(self, workspace_id: str, kind: str, value: str, person_id: str) -> bool:
        with self.atomic():
            holder = self.person_for_key(workspace_id, kind, value)
            if holder is None:
                self._block_now().pending(workspace_id).keys[(kind, value)] = person_id
                return True
            return holder == person_id

    def add_keys(self, workspace_id: str, keys: Iterable[tuple[str, str, str]]) -> None:
        with self.atomic():
            for kind, value, person_id in keys:
                self.add_key(workspace_id, kind, value, person_id)

    @_guarded
    def persons_for_keys(self, workspace_id: str, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
        wanted = sorted(set(keys))
        if self._block() is not None:
            # inside a block the pending keys and, after CACHE_AFTER_LOOKUPS lookups, the workspace
            # cache answer these: an import batch reads the workspace once, not once per batch
            found = {key: self.person_for_key(workspace_id, *key) for key in wanted}
            return {key: person for key, person in found.items() if person is not None}
        result: dict[tuple[str, str], str] = {}
        for chunk in _chunks(wanted):
            rows = self._read(
                "UNWIND $keys AS key MATCH (k:IdentityKey {workspace: $ws, kind: key[0], value: key[1]}) "
                "RETURN k.kind AS kind, k.value AS value, k.person AS p",
                ws=workspace_id, keys=[list(key) for key in chunk],
            )
            result.update(((r["kind"], r["value"]), r["p"]) for r in rows)
        return result

    def add_sightings(self, workspace_id: str, sightings: Iterable[Sighting]) -> None:
        with self.atomic():
            for sighting in sightings:
                self.add_sighting(workspace_id, sighting)

    @_guarded
    def add_sighting(self, workspace_id: str, sighting: Sighting) -> None:
        with self.atomic():
            pend = self._block_now().pending(workspace_id)
            pend.sightings.setdefault((sighting.job_id, sighting.row, sighting.person_id), sighting)

    @_guarded
    def sightings(self, workspace_id: str, person_id: str) -> list[Sighting]:
        def work(tx: Any) -> list[Sighting]:
            rows = tx.run(
                "MATCH (p:Person {workspace: $ws, id: $pid})-[s:SEEN_IN]->(:ImportJob) WHERE s.workspace = $ws "
                "RETURN s {.jobId, .sourceFormat, .sourceName, .row, .name, .email, .linkedinUrl, .organization, .title} AS s",
                ws=workspace_id, pid=person_id,
            ).data()
            return [
                Sighting(person_id, s["jobId"], s["sourceFormat"], s["sourceName"], s["row"], s["name"], s["email"],
                         s["linkedinUrl"], s["organization"], s["title"])
                for s in (r["s"] for r in rows)
            ]

        return sorted(self._read_consistent(workspace_id, work), key=lambda s: (s.job_id, s.row))

    @_guarded
    def organizations_seen(self, workspace_id: str, person_ids: Iterable[str]) -> dict[str, set[str]]:
        wanted = sorted(set(person_ids))
        found: dict[str, set[str]] = defaultdict(set)
        for chunk in _chunks(wanted):
            for r in self._read(
                "UNWIND $ids AS id MATCH (:Person {workspace: $ws, id: id})-[s:SEEN_IN]->(:ImportJob) "
                "WHERE s.workspace = $ws AND s.organization <> '' RETURN id, collect(DISTINCT s.organization) AS organizations",
                ws=workspace_id, ids=list(chunk),
            ):
                found[r["id"]].update(r["organizations"])
        pend = self._pending(workspace_id)  # this block's sightings are not written yet
        if pend is not None:
            chosen = set(wanted)
            for sighting in pend.sightings.values():
                if sighting.person_id in chosen and sighting.organization:
                    found[sighting.person_id].add(sighting.organization)
        return dict(found)

    # events and evidence ------------------------------------------------------------------------
    @_guarded
    def add_event(self, workspace_id: str, event: Event) -> None:
        with self.atomic():
            self._block_now().pending(workspace_id).events.setdefault(event.id, event)

    def add_events(self, workspace_id: str, events: Iterable[Event]) -> None:
        with self.atomic():
            for event in events:
                self.add_event(workspace_id, event)

    @_guarded
    def get_events(self, workspace_id: str, ids: Iterable[str]) -> dict[str, Event]:
        wanted = list(dict.fromkeys(ids))

        def work(tx: Any) -> dict[str, Event]:
            found: dict[str, Event] = {}
            for chunk in _chunks(wanted):
                for rec in tx.run(
                    "UNWIND $ids AS id MATCH (e:Event {workspace: $ws, id: id}) "
                    "RETURN e.id AS id, e.name AS name, e.startsAt AS startsAt, e.kind AS kind, e.sourceFormat AS fmt",
                    ws=workspace_id, ids=list(chunk),
                ):
                    found[rec["id"]] = Event(rec["id"], rec["name"], _native(rec["startsAt"]), rec["kind"], rec["fmt"])
            return found

        found = self._read_consistent(workspace_id, work) if wanted else {}
        return {eid: found[eid] for eid in wanted if eid in found}

    @_guarded
    def add_evidence(self, workspace_id: str, items: Iterable[Evidence]) -> int:
        items = list(items)
        if not items:
            return 0
        with self.atomic():
            block = self._block_now()
            pend = block.pending(workspace_id)
            fresh: dict[str, Evidence] = {}
            for e in items:
                if e.id not in pend.evidence and e.id not in fresh:
                    fresh[e.id] = e
            if not fresh:
                return 0
            cache = self._cache_for(block, workspace_id)
            if cache is not None:
                stored = {eid for eid in fresh if eid in cache.evidence}
            else:
                stored = self._stored_evidence_ids(workspace_id, list(fresh))
            added = 0
            for eid, e in fresh.items():
                if eid not in stored:
                    pend.evidence[eid] = e
                    added += 1
            if added:
                pend.dirty = True
            return added

    def _stored_evidence_ids(self, workspace_id: str, ids: list[str]) -> set[str]:
        query = " UNION ".join(
            f"UNWIND $ids AS id MATCH ()-[e:{rel_type} {{workspace: $ws, id: id}}]->() RETURN e.id AS found"
            for rel_type in EVIDENCE_TYPES.values()
        )
        found: set[str] = set()
        for chunk in _chunks(ids):
            rows = self._read(query, ws=workspace_id, ids=list(chunk))
            found.update(r["found"] for r in rows)
        return found

    _EVIDENCE_QUERY = (
        f"MATCH (a:Person {{workspace: $ws}})-[e:{_EVIDENCE_PATTERN}]->(x) WHERE a.id IS NOT NULL AND e.workspace = $ws "
        "RETURN [e.id, type(e), e.channel, a.id, CASE WHEN x:Event THEN null WHEN e.dangling THEN null ELSE x.id END, "
        "CASE WHEN x:Event THEN x.id ELSE e.eventId END, toString(e.at), e.jobId, e.direction] AS row ORDER BY e.id"
    )

    @staticmethod
    def _evidence(row: list[Any]) -> Evidence:
        eid, rel_type, channel, a, b, event_id, at, job_id, direction = row
        return Evidence(
            eid, KIND_OF_TYPE[rel_type], Channel(channel), a, b, event_id, _parse_temporal(at), job_id, direction or "mutual"
        )

    def iter_evidence(self, workspace_id: str) -> Iterator[Evidence]:
        block = self._block()
        if block is not None and block.has_writes(workspace_id):
            items = self._guarded_call(
                lambda: self._read_consistent(
                    workspace_id, lambda tx: [self._evidence(r[0]) for r in tx.run(self._EVIDENCE_QUERY, ws=workspace_id)]
                )
            )
            yield from items
            return
        try:
            with self._session(READ_ACCESS) as session:
                with session.begin_transaction() as tx:
                    for rec in tx.run(self._EVIDENCE_QUERY, ws=workspace_id):
                        yield self._evidence(rec[0])
        except (neo4j_errors.Neo4jError, neo4j_errors.DriverError) as exc:
            translated = self._translate(exc)
            if translated is None:
                raise
            raise translated from exc

    @_guarded
    def _guarded_call(self, fn: Callable[[], Any]) -> Any:
        return fn()

    @_guarded
    def count_evidence(self, workspace_id: str) -> int:
        query = (
            f"MATCH (a:Person {{workspace: $ws}})-[e:{_EVIDENCE_PATTERN}]->() WHERE a.id IS NOT NULL AND e.workspace = $ws "
            "RETURN count(e) AS n"
        )
        return int(self._read_consistent(workspace_id, lambda tx: tx.run(query, ws=workspace_id).single()["n"]))

    def store_id(self) -> str:
        rows = self._read("CALL db.info() YIELD id RETURN id")
        return f"{self.database}:{rows[0]['id']}"

    @_guarded
    def data_version(self, workspace_id: str) -> int:
        rows = self._read("MATCH (w:Workspace {id: $ws}) RETURN coalesce(w.dataVersion, 0) AS v", ws=workspace_id)
        version = int(rows[0]["v"]) if rows else 0
        block = self._block()
        pend = block.ws.get(workspace_id) if block is not None else None
        return version + 1 if pend is not None and pend.dirty else version

    # import jobs --------------------------------------------------------------------------------
    @_guarded
    def add_job(self, job: ImportJob) -> None:
        with self.atomic():
            self._block_now().pending(job.workspace_id).jobs[job.id] = (_copy_job(job), True)
            if job.status is JobStatus.COMPLETED:
                self._block_now().completed.add(job.workspace_id)

    @_guarded
    def save_job(self, job: ImportJob) -> None:
        with self.atomic():
            pend = self._block_now().pending(job.workspace_id)
            is_new = job.id in pend.jobs and pend.jobs[job.id][1]
            pend.jobs[job.id] = (_copy_job(job), is_new)
            if job.status is JobStatus.COMPLETED:
                self._block_now().completed.add(job.workspace_id)

    _JOB_MAP = (
        "j {.id, .workspace, .name, .fileHash, .format, .ownerPersonId, .status, .rowsRead, .rowsImported, "
        ".rowsRejected, .rowsSkipped, .checkpointRow, .error, .startedAt, .finishedAt, .options, .notes}"
    )

    @_guarded
    def get_job(self, workspace_id: str, job_id: str) -> ImportJob | None:
        block = self._block()
        pend = block.ws.get(workspace_id) if block is not None else None
        entry = pend.jobs.get(job_id) if pend is not None else None
        if entry is not None and entry[1]:
            return _copy_job(entry[0])
        rows = self._read(
            f"MATCH (j:ImportJob {{workspace: $ws, id: $id}}) WHERE j.status IS NOT NULL RETURN {self._JOB_MAP} AS j",
            ws=workspace_id, id=job_id,
        )
        if not rows:
            return None
        stored = _job(rows[0]["j"])
        return _overlay_job(stored, entry[0]) if entry is not None else stored

    @_guarded
    def list_jobs(self, workspace_id: str) -> list[ImportJob]:
        query = f"MATCH (j:ImportJob {{workspace: $ws}}) WHERE j.id IS NOT NULL AND j.status IS NOT NULL RETURN {self._JOB_MAP} AS j"
        jobs = self._read_consistent(workspace_id, lambda tx: [_job(r["j"]) for r in tx.run(query, ws=workspace_id).data()])
        # SQLite's ORDER BY started_at (ISO text, NULL first), id
        return sorted(jobs, key=lambda j: (j.started_at is not None, j.started_at.isoformat() if j.started_at else "", j.id))

    @_guarded
    def add_rejects(self, job_id: str, rejects: Iterable[Reject]) -> None:
        rejects = list(rejects)
        if not rejects:
            return
        with self.atomic():
            by_row = self._block_now().rejects.setdefault(job_id, {})
            for r in rejects:
                by_row[r.row] = r

    @_guarded
    def rejects(self, job_id: str) -> list[Reject]:
        def work(tx: Any) -> list[Reject]:
            rows = tx.run(
                "MATCH (j:ImportJob {id: $job}) WITH collect(j.workspace) + [''] AS spaces "
                "MATCH (r:Reject {jobId: $job}) WHERE r.workspace IN spaces "
                "RETURN r.row AS row, r.reason AS reason, r.skipped AS skipped ORDER BY row",
                job=job_id,
            )
            return [Reject(r["row"], r["reason"], bool(r["skipped"])) for r in rows]

        block = self._block()
        if block is not None and block.has_writes():
            # the reject's workspace comes from its job: apply every pending write
            with self._session() as session:
                tx = session.begin_transaction()
                try:
                    self._write_block(tx, block, check_generation=False)
                    return work(tx)
                finally:
                    tx.close()
        return self._read_tx(work)

    # merges and duplicate detection --------------------------------------------------------------
    def _pending(self, workspace_id: str) -> _WsPending | None:
        block = self._block()
        return block.ws.get(workspace_id) if block is not None else None

    @_guarded
    def merge_map(self, workspace_id: str) -> dict[str, str]:
        rows = self._read(
            "MATCH (p:Person {workspace: $ws}) WHERE p.id IS NOT NULL AND p.mergedInto IS NOT NULL "
            "RETURN p.id AS id, p.mergedInto AS survivor",
            ws=workspace_id,
        )
        found = {r["id"]: r["survivor"] for r in rows}
        pend = self._pending(workspace_id)
        for absorbed, (survivor, _) in (pend.merges.items() if pend else ()):
            if survivor is None:
                found.pop(absorbed, None)
            else:
                found[absorbed] = survivor
        return found

    @_guarded
    def manual_merges(self, workspace_id: str) -> set[str]:
        rows = self._read(
            "MATCH (p:Person {workspace: $ws}) WHERE p.id IS NOT NULL AND p.mergedByHand RETURN p.id AS id", ws=workspace_id
        )
        found = {r["id"] for r in rows}
        pend = self._pending(workspace_id)
        for absorbed, (survivor, manual) in (pend.merges.items() if pend else ()):
            if survivor is None:
                found.discard(absorbed)
            elif manual:
                found.add(absorbed)
        return found

    @_guarded
    def set_merged_into(self, workspace_id: str, person_ids: Iterable[str], survivor: str | None, *, manual: bool = False) -> None:
        with self.atomic():
            pend = self._block_now().pending(workspace_id)
            for person_id in person_ids:
                earlier = pend.merges.get(person_id, (None, False))[1]
                pend.merges[person_id] = (survivor, survivor is not None and (manual or earlier))
                pend.dirty = True

    @_guarded
    def add_distinct(self, workspace_id: str, a: str, b: str) -> None:
        with self.atomic():
            self._block_now().pending(workspace_id).distinct[tuple(sorted((a, b)))] = True  # type: ignore[index]

    @_guarded
    def remove_distinct(self, workspace_id: str, a: str, b: str) -> None:
        with self.atomic():
            self._block_now().pending(workspace_id).distinct[tuple(sorted((a, b)))] = False  # type: ignore[index]

    @_guarded
    def distinct_pairs(self, workspace_id: str) -> set[tuple[str, str]]:
        rows = self._read("MATCH (d:DistinctPair {workspace: $ws}) RETURN d.a AS a, d.b AS b", ws=workspace_id)
        found = {(r["a"], r["b"]) for r in rows}
        pend = self._pending(workspace_id)
        for pair, added in (pend.distinct.items() if pend else ()):
            (found.add if added else found.discard)(pair)
        return found

    def add_blocks(self, workspace_id: str, person_id: str, blocks: Iterable[str]) -> None:
        """Nothing to store: blocks are computed from the people when asked (see ``_blocks``)."""

    def file_in_blocks(self, workspace_id: str, entries: Iterable[tuple[str, str]]) -> None:
        """Nothing to store, as for ``add_blocks``."""

    def blocks_filed_by(self, workspace_id: str) -> str:
        """Always the current rule's: blocks are computed from the names when read (``_blocks``)."""
        from graphsvc.matching import BLOCKING_VERSION

        return BLOCKING_VERSION

    def refile_blocks(self, workspace_id: str, blocks_of: Callable[[str, str, str], Iterable[str]], version: str) -> int:
        """Nothing to re-file, as for ``add_blocks``."""
        return 0

    def _blocks(self, workspace_id: str) -> dict[str, list[str]]:
        from graphsvc.matching import blocking_keys, name_parts

        block = self._block()
        cache = self._cache_for(block, workspace_id) if block is not None else None
        if cache is not None:
            people = dict(cache.persons)
        else:
            rows = self._read(f"MATCH (p:Person {{workspace: $ws}}) WHERE p.id IS NOT NULL RETURN {_PERSON_LIST} AS p", ws=workspace_id)
            people = {r["p"][0]: _person(r["p"]) for r in rows}
        pend = self._pending(workspace_id)
        if pend is not None:
            people.update(pend.new_persons)
            people.update(pend.updated_persons)
        found: dict[str, list[str]] = defaultdict(list)
        for pid in sorted(people):
            p = people[pid]
            for key in blocking_keys(name_parts(p.first_name, p.last_name, p.display_name)):
                found[key].append(pid)
        return found

    @_guarded
    def people_in_blocks(self, workspace_id: str, blocks: Iterable[str], limit: int | None = None) -> dict[str, list[str]]:
        every = self._blocks(workspace_id)
        return {b: every[b] for b in sorted(set(blocks)) if b in every and (limit is None or len(every[b]) <= limit)}

    @_guarded
    def block_groups(self, workspace_id: str, max_size: int) -> Iterator[list[str]]:
        every = self._blocks(workspace_id)
        return iter([every[b] for b in sorted(every) if 2 <= len(every[b]) <= max_size])

    # do not ask, forget (written directly: a user's decisions, never part of an import batch) ------
    @_guarded
    def set_do_not_ask(self, workspace_id: str, person_id: str, flag: bool, at: datetime) -> None:
        self._driver.execute_query(
            "MATCH (p:Person {workspace: $ws, id: $pid}) SET p.doNotAsk = CASE WHEN $flag THEN coalesce(p.doNotAsk, $at) ELSE null END "
            "WITH count(p) AS n MATCH (w:Workspace {id: $ws}) SET w.dataVersion = coalesce(w.dataVersion, 0) + 1",
            {"ws": workspace_id, "pid": person_id, "flag": flag, "at": at.isoformat()}, database_=self.database,
        )

    @_guarded
    def do_not_ask(self, workspace_id: str) -> set[str]:
        rows = self._read("MATCH (p:Person {workspace: $ws}) WHERE p.id IS NOT NULL AND p.doNotAsk IS NOT NULL RETURN p.id AS id", ws=workspace_id)
        return {r["id"] for r in rows}

    @_guarded
    def forget_people(self, workspace_id: str, person_ids: Iterable[str], key_hashes: Iterable[str]) -> int:
        ids, hashes = sorted(set(person_ids)), sorted(set(key_hashes))

        def work(tx: Any) -> int:
            removed = tx.run(
                f"MATCH (a:Person {{workspace: $ws}})-[e:{_EVIDENCE_PATTERN}]-() WHERE a.id IN $ids AND e.workspace = $ws "
                "RETURN count(DISTINCT e) AS n",
                ws=workspace_id, ids=ids,
            ).single()["n"]
            tx.run("MATCH (p:Person {workspace: $ws}) WHERE p.id IN $ids DETACH DELETE p", ws=workspace_id, ids=ids).consume()
            tx.run("MATCH (k:IdentityKey {workspace: $ws}) WHERE k.person IN $ids DELETE k", ws=workspace_id, ids=ids).consume()
            tx.run("MATCH (d:DistinctPair {workspace: $ws}) WHERE d.a IN $ids OR d.b IN $ids DELETE d", ws=workspace_id, ids=ids).consume()
            tx.run(
                "MATCH (w:Workspace {id: $ws}) SET w.members = [m IN coalesce(w.members, []) WHERE NOT m IN $ids], "
                "w.forgottenKeys = coalesce(w.forgottenKeys, []) + [h IN $hashes WHERE NOT h IN coalesce(w.forgottenKeys, [])], "
                "w.dataVersion = coalesce(w.dataVersion, 0) + 1, w.generation = coalesce(w.generation, 0) + 1",
                ws=workspace_id, ids=ids, hashes=hashes,
            ).consume()
            return int(removed)

        with self._session() as session:
            removed = session.execute_write(work)
        self._caches.pop(workspace_id, None)
        return removed

    @_guarded
    def forgotten_keys(self, workspace_id: str) -> set[str]:
        rows = self._read("MATCH (w:Workspace {id: $ws}) RETURN coalesce(w.forgottenKeys, []) AS k", ws=workspace_id)
        return set(rows[0]["k"]) if rows else set()

    # derived KNOWS ------------------------------------------------------------------------------
    @_guarded
    def refresh_knows(
        self,
        workspace_id: str,
        ties: Iterable[tuple[str, str, float, Any, datetime | None, Sequence[str]]],
        *,
        as_of: datetime | None = None,
        event_sizes: dict[str, int] | None = None,
    ) -> int:
        """Replace the workspace's ``KNOWS`` relationships with ``ties`` in one transaction.

        Each tie is ``(a, b, strength, level, last_contact, channels)``; the relationship points
        from the smaller id to the larger (read it undirected). ``event_sizes`` (event id ->
        attendees) is written to ``Event.size``. Not part of an ``atomic()`` block: it commits
        on its own. Returns the number of ``KNOWS`` relationships written.
        """
        rows = []
        for a, b, strength, level, last_contact, channels in ties:
            if a == b:
                continue
            a, b = (a, b) if a < b else (b, a)
            kind, iso = _temporal(last_contact)
            rows.append([a, b, float(strength), getattr(level, "value", level), iso, kind == "aware", list(channels)])
        sizes = [{"id": k, "size": int(v)} for k, v in sorted((event_sizes or {}).items())]

        def work(tx: Any) -> int:
            tx.run("MATCH ()-[k:KNOWS {workspace: $ws}]->() DELETE k", ws=workspace_id).consume()
            written = 0
            for chunk in _chunks(rows):
                written += tx.run(
                    "UNWIND $rows AS r "
                    "MATCH (a:Person {workspace: $ws, id: r[0]}) MATCH (b:Person {workspace: $ws, id: r[1]}) "
                    "CREATE (a)-[:KNOWS {workspace: $ws, strength: r[2], level: r[3], lastContact: CASE WHEN r[4] IS NULL "
                    "THEN null WHEN r[5] THEN datetime(r[4]) ELSE localdatetime(r[4]) END, channels: r[6], asOf: $asOf}]->(b) "
                    "RETURN count(*) AS n",
                    ws=workspace_id, rows=list(chunk), asOf=as_of,
                ).single()["n"]
            for chunk in _chunks(sizes):
                tx.run(
                    "UNWIND $rows AS r MATCH (e:Event {workspace: $ws, id: r.id}) SET e.size = r.size",
                    ws=workspace_id, rows=list(chunk),
                ).consume()
            tx.run(
                "MATCH (w:Workspace {id: $ws}) SET w.knowsAsOf = $asOf, w.knowsCount = $n", ws=workspace_id, asOf=as_of, n=written
            ).consume()
            return written

        with self._session() as session:
            return int(session.execute_write(work))

    @_guarded
    def knows(self, workspace_id: str) -> list[dict[str, Any]]:
        """The stored ``KNOWS`` relationships: ``a``, ``b`` (a < b), ``strength``, ``level``,
        ``lastContact``, ``channels``, ``asOf``; sorted by (a, b)."""
        rows = self._read(
            "MATCH (a:Person {workspace: $ws})-[k:KNOWS]->(b:Person) WHERE a.id IS NOT NULL AND k.workspace = $ws "
            "RETURN a.id AS a, b.id AS b, k.strength AS strength, k.level AS level, k.lastContact AS lastContact, "
            "k.channels AS channels, k.asOf AS asOf ORDER BY a, b",
            ws=workspace_id,
        )
        for row in rows:
            row["lastContact"], row["asOf"] = _native(row["lastContact"]), _native(row["asOf"])
        return rows


class _Atomic:
    """``with store.atomic():`` (a class rather than @contextmanager: commit errors must surface
    from ``__exit__`` and the post-commit hook must run after the lock is released)."""

    def __init__(self, store: Neo4jStore) -> None:
        self.store = store

    def __enter__(self) -> None:
        self.store._begin()

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        self.store._end(failed=exc_type is not None)
        return False


# ------------------------------------------------------------------------------------------
# KNOWS projection


def knows_ties(snap: Any, as_of: datetime, levels: Iterable[Any] | None = None) -> list[tuple]:
    """The ties of ``snap`` at ``as_of`` that ``project_knows`` writes, sorted by pair:
    ``(a, b, strength, level, last_contact, channels)`` with ``a < b``.

    Every tie whose level is in ``levels`` (default: the warm levels: interaction, small event,
    connection; pass ``list(EvidenceLevel)`` for all), with ``tie_strength``'s strength, level,
    last contact and channels. A warm tie rests on direct evidence or a small event, so only
    direct pairs and the pairs of small events are evaluated: no large event is ever expanded
    into its pairs. All levels (for Cypher path answers) do expand every event.
    """
    from graphsvc.analytics.strength import WARM_LEVELS, tie_strength
    from graphsvc.analytics.view import tie_view

    wanted = set(WARM_LEVELS if levels is None else levels)
    view = tie_view(snap, as_of)
    ids = view.arrays.ids
    if wanted <= set(WARM_LEVELS):
        first, second = view.ties.warm_pairs()
        pairs = [(ids[a], ids[b]) for a, b in zip(first.tolist(), second.tolist())]
    else:
        pairs = [(ids[a], ids[b]) for a in range(len(ids)) for b in view.ties.row(a)[0].tolist() if a < b]
    ties = []
    for a, b in sorted(pairs):
        tie = tie_strength(snap, a, b, as_of)
        if tie is not None and tie.strength > 0 and tie.level in wanted:
            ties.append((a, b, tie.strength, tie.level.value, tie.last_contact, tie.channels))
    return ties


def project_knows(store: Neo4jStore, workspace_id: str, as_of: datetime | None = None, levels: Iterable[Any] | None = None) -> int:
    """Recompute the workspace's ties at ``as_of`` (default: now, to the minute) from its
    evidence and replace its ``KNOWS`` relationships with them (``knows_ties``); also writes
    ``Event.size``. Returns how many ``KNOWS`` relationships were written."""
    from graphsvc.snapshot import build_snapshot

    as_of = _as_of(as_of)
    from graphsvc.clusters import ClusteredStore

    # KNOWS is between people: merged records count as the person they are part of
    snap = build_snapshot(store if isinstance(store, ClusteredStore) else ClusteredStore(store), workspace_id)  # type: ignore[arg-type]
    return store.refresh_knows(workspace_id, knows_ties(snap, as_of, levels), as_of=as_of, event_sizes=snap.event_size)


def _as_of(as_of: datetime | None) -> datetime:
    if as_of is None:
        return datetime.now(timezone.utc).replace(second=0, microsecond=0)
    return as_of.replace(tzinfo=timezone.utc) if as_of.tzinfo is None else as_of.astimezone(timezone.utc)
