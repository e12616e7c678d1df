"""The embedded store: stdlib sqlite3 in WAL mode, one connection per thread.

Schema changes are numbered migrations applied in order and recorded in ``PRAGMA user_version``.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
import threading
from collections import Counter
from contextlib import contextmanager
from datetime import datetime
from operator import itemgetter
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from graphsvc.model import (
    Channel,
    Event,
    Evidence,
    EvidenceKind,
    ImportJob,
    IntroRequest,
    JobStatus,
    Person,
    Reject,
    Role,
    Sighting,
    Token,
    Workspace,
    stable_id,
)
from graphsvc.store.intro_rows import intro_request, path_json, transitions_json
from graphsvc.store.protocol import DataChanges
from graphsvc.store.search import (
    MIN_INDEXED, folded_search, like_pattern, record_text, record_text_json, search_variants, trigram_phrase,
)

MIGRATIONS: list[str] = [
    # 1: the first schema
    """
    CREATE TABLE workspaces (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL);
    CREATE TABLE members (workspace_id TEXT NOT NULL, person_id TEXT NOT NULL,
        PRIMARY KEY (workspace_id, person_id));
    CREATE TABLE persons (workspace_id TEXT NOT NULL, id TEXT NOT NULL, display_name TEXT NOT NULL,
        first_name TEXT NOT NULL, last_name TEXT NOT NULL, organization TEXT NOT NULL, title TEXT NOT NULL,
        emails TEXT NOT NULL, linkedin_url TEXT NOT NULL, sort_name TEXT NOT NULL,
        PRIMARY KEY (workspace_id, id));
    CREATE INDEX persons_by_sort_name ON persons (workspace_id, sort_name, id);
    CREATE TABLE person_keys (workspace_id TEXT NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL,
        person_id TEXT NOT NULL, PRIMARY KEY (workspace_id, kind, value));
    CREATE INDEX person_keys_by_person ON person_keys (workspace_id, person_id);
    CREATE TABLE sightings (workspace_id TEXT NOT NULL, person_id TEXT NOT NULL, job_id TEXT NOT NULL,
        source_format TEXT NOT NULL, source_name TEXT NOT NULL, row INTEGER NOT NULL, name TEXT NOT NULL,
        email TEXT NOT NULL, linkedin_url TEXT NOT NULL, organization TEXT NOT NULL, title TEXT NOT NULL,
        PRIMARY KEY (workspace_id, job_id, row, person_id));
    CREATE INDEX sightings_by_person ON sightings (workspace_id, person_id);
    CREATE TABLE events (workspace_id TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, starts_at TEXT,
        kind TEXT NOT NULL, source_format TEXT NOT NULL, PRIMARY KEY (workspace_id, id));
    CREATE TABLE evidence (workspace_id TEXT NOT NULL, id TEXT NOT NULL, kind TEXT NOT NULL,
        channel TEXT NOT NULL, person_a TEXT NOT NULL, person_b TEXT, event_id TEXT, at TEXT,
        job_id TEXT NOT NULL, direction TEXT NOT NULL, PRIMARY KEY (workspace_id, id));
    CREATE INDEX evidence_by_event ON evidence (workspace_id, event_id);
    CREATE TABLE import_jobs (id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, file_name TEXT NOT NULL,
        file_hash TEXT NOT NULL, format TEXT NOT NULL, owner_person_id TEXT, status TEXT NOT NULL,
        rows_read INTEGER NOT NULL, rows_imported INTEGER NOT NULL, rows_rejected INTEGER NOT NULL,
        rows_skipped INTEGER NOT NULL, checkpoint_row INTEGER NOT NULL, error TEXT NOT NULL,
        started_at TEXT, finished_at TEXT, options TEXT NOT NULL, notes TEXT NOT NULL);
    CREATE INDEX import_jobs_by_workspace ON import_jobs (workspace_id, started_at);
    CREATE TABLE import_rejects (job_id TEXT NOT NULL, row INTEGER NOT NULL, reason TEXT NOT NULL,
        skipped INTEGER NOT NULL, PRIMARY KEY (job_id, row));
    CREATE TABLE data_versions (workspace_id TEXT PRIMARY KEY, version INTEGER NOT NULL);
    """,
    # 2: API tokens (hashed)
    """
    CREATE TABLE tokens (id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, name TEXT NOT NULL, role TEXT NOT NULL,
        secret_hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, revoked_at TEXT);
    CREATE INDEX tokens_by_workspace ON tokens (workspace_id, created_at);
    """,
    # 3: tags on people
    """
    CREATE TABLE person_tags (workspace_id TEXT NOT NULL, tag TEXT NOT NULL, person_id TEXT NOT NULL,
        PRIMARY KEY (workspace_id, tag, person_id));
    CREATE INDEX person_tags_by_person ON person_tags (workspace_id, person_id);
    """,
    # 4: merges of records into one person (undoable), pairs a user said are different people,
    #    and the name blocks duplicate detection compares within
    """
    CREATE TABLE person_merges (workspace_id TEXT NOT NULL, absorbed TEXT NOT NULL, survivor TEXT NOT NULL,
        manual INTEGER NOT NULL, PRIMARY KEY (workspace_id, absorbed)) WITHOUT ROWID;
    CREATE INDEX person_merges_by_survivor ON person_merges (workspace_id, survivor);
    CREATE TABLE distinct_people (workspace_id TEXT NOT NULL, a TEXT NOT NULL, b TEXT NOT NULL,
        PRIMARY KEY (workspace_id, a, b)) WITHOUT ROWID;
    CREATE TABLE person_blocks (workspace_id TEXT NOT NULL, block TEXT NOT NULL, person_id TEXT NOT NULL,
        PRIMARY KEY (workspace_id, block, person_id)) WITHOUT ROWID;
    """,
    # 5: people not to ask for introductions, and the hashed keys of people forgotten on request
    """
    CREATE TABLE do_not_ask (workspace_id TEXT NOT NULL, person_id TEXT NOT NULL, since TEXT NOT NULL,
        PRIMARY KEY (workspace_id, person_id)) WITHOUT ROWID;
    CREATE TABLE forgotten_keys (workspace_id TEXT NOT NULL, key_hash TEXT NOT NULL,
        PRIMARY KEY (workspace_id, key_hash)) WITHOUT ROWID;
    """,
    # 6: how many people each name block holds, kept by triggers, so an import can skip a block
    #    too common to compare within without reading its thousands of members
    """
    CREATE TABLE block_sizes (workspace_id TEXT NOT NULL, block TEXT NOT NULL, size INTEGER NOT NULL,
        PRIMARY KEY (workspace_id, block)) WITHOUT ROWID;
    INSERT INTO block_sizes SELECT workspace_id, block, count(*) FROM person_blocks GROUP BY workspace_id, block;
    CREATE TRIGGER person_blocks_added AFTER INSERT ON person_blocks BEGIN
        INSERT INTO block_sizes VALUES (new.workspace_id, new.block, 1)
            ON CONFLICT (workspace_id, block) DO UPDATE SET size = size + 1;
    END;
    CREATE TRIGGER person_blocks_removed AFTER DELETE ON person_blocks BEGIN
        UPDATE block_sizes SET size = size - 1 WHERE workspace_id = old.workspace_id AND block = old.block;
    END;
    """,
    # 7: tokens that expire
    """
    ALTER TABLE tokens ADD COLUMN expires_at TEXT;
    """,
    # 8: block sizes grow by one statement per block and batch (``file_in_blocks``), not by a
    #    trigger per member: an import batch files thousands of people under a few hundred blocks
    """
    DROP TRIGGER person_blocks_added;
    """,
    # 9: which blocking rule filed each workspace's name blocks, so a new rule re-files them
    """
    CREATE TABLE block_versions (workspace_id TEXT PRIMARY KEY, version TEXT NOT NULL) WITHOUT ROWID;
    """,
    # 10: an identity for this database, so files derived from it (the evidence arrays) are never
    #     taken for those of another database that happens to have the same data versions
    """
    CREATE TABLE store_identity (id TEXT NOT NULL);
    INSERT INTO store_identity VALUES (lower(hex(randomblob(16))));
    """,
    # 11: people search by a trigram index over each record's folded names, emails, organization
    #     and URL (graphsvc/store/search.py), not a LIKE over every person: the text is kept per
    #     record (written with the person), the FTS5 index follows it (new rows in one statement
    #     per write: FTS5 flushes its pending terms at every statement's end, so a trigger per
    #     inserted row costs 4-5 times as much; changes and deletes by trigger), and a hit is
    #     mapped to the person its record is merged into when searched
    """
    CREATE TABLE person_search (id INTEGER PRIMARY KEY, workspace_id TEXT NOT NULL, person_id TEXT NOT NULL,
        text TEXT NOT NULL, UNIQUE (workspace_id, person_id));
    CREATE VIRTUAL TABLE person_search_index USING fts5(text, content='person_search', content_rowid='id',
        tokenize='trigram case_sensitive 0');
    CREATE TRIGGER person_search_removed AFTER DELETE ON person_search BEGIN
        INSERT INTO person_search_index (person_search_index, rowid, text) VALUES ('delete', old.id, old.text);
    END;
    CREATE TRIGGER person_search_changed AFTER UPDATE OF text ON person_search BEGIN
        INSERT INTO person_search_index (person_search_index, rowid, text) VALUES ('delete', old.id, old.text);
        INSERT INTO person_search_index (rowid, text) VALUES (new.id, new.text);
    END;
    INSERT INTO person_search (workspace_id, person_id, text)
        SELECT workspace_id, id, graphsvc_search_text(display_name, first_name, last_name, organization, emails, linkedin_url)
        FROM persons ORDER BY workspace_id, id;
    INSERT INTO person_search_index (person_search_index) VALUES ('rebuild');
    """,
    # 12: what each import did that undoing it must reverse (graphsvc/imports/corrections.py): records it
    #     enriched (as they were), keys it gave existing records, merges it made (with the survivor
    #     before), events it corrected, evidence it produced that an earlier job already held
    #     (``claim``); and events merged into another (``event_aliases``: a re-import of the list of
    #     the merged event finds the one kept)
    """
    CREATE TABLE import_journal (id INTEGER PRIMARY KEY, workspace_id TEXT NOT NULL, job_id TEXT NOT NULL,
        kind TEXT NOT NULL, ref TEXT NOT NULL, data TEXT NOT NULL);
    CREATE INDEX import_journal_by_job ON import_journal (workspace_id, job_id, id);
    CREATE INDEX import_journal_by_ref ON import_journal (workspace_id, kind, ref);
    CREATE TABLE event_aliases (workspace_id TEXT NOT NULL, alias TEXT NOT NULL, event_id TEXT NOT NULL,
        PRIMARY KEY (workspace_id, alias)) WITHOUT ROWID;
    """,
    # 13: intro requests (graphsvc/intro_requests.py): one row per request with its transitions and
    #     the path it was made from (JSON); ``steps`` (the number of transitions) makes an update a
    #     compare-and-set, and the idempotency key makes a retried creation find the same request
    """
    CREATE TABLE intro_requests (workspace_id TEXT NOT NULL, id TEXT NOT NULL, idempotency_key TEXT NOT NULL,
        requester_id TEXT NOT NULL, connector_id TEXT NOT NULL, target_id TEXT NOT NULL, state TEXT NOT NULL,
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL, steps INTEGER NOT NULL, transitions TEXT NOT NULL,
        path TEXT NOT NULL, PRIMARY KEY (workspace_id, id), UNIQUE (workspace_id, idempotency_key));
    CREATE INDEX intro_requests_by_connector ON intro_requests (workspace_id, connector_id);
    """,
    # 14: what each data version changed: a version that only added evidence names the first
    #     evidence row it added (``evidence_from``), one that changed nothing the analytics' arrays
    #     hold 0 (a do-not-ask mark, an intro request's step), any other change NULL; the analytics extend
    #     their evidence arrays with those rows instead of rebuilding them
    #     (``changes_since``, graphsvc/analytics/evidence_cache.py)
    """
    CREATE TABLE data_changes (workspace_id TEXT NOT NULL, version INTEGER NOT NULL, evidence_from INTEGER,
        PRIMARY KEY (workspace_id, version)) WITHOUT ROWID;
    """,
    # 15: what an import changes of people, so the arrays follow it too: records added from a
    #     ``persons`` row on (``people_from``), records updated or merged (``people``, JSON ids)
    """
    ALTER TABLE data_changes ADD COLUMN people_from INTEGER;
    ALTER TABLE data_changes ADD COLUMN people TEXT;
    """,
]


def _ts(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def sort_key(name: str) -> str:
    return name.casefold().strip()


#: ``data_changes.evidence_from`` of a version that changed nothing the evidence arrays hold.
NO_EVIDENCE_CHANGE = 0
#: Data versions whose changes stay logged (``data_changes``): an evidence file further behind is rebuilt.
DATA_CHANGES_KEPT = 10_000

#: A serial number per connection, so that no two connections' ``merge_map_token`` values are equal.
_CONNECTIONS = itertools.count(1)


class SQLiteStore:
    #: A commit rewrites every index page its transaction touched, and keys hashed for idempotent
    #: imports spread one batch over most of them: four batches of 16,000 a commit write a
    #: 1M-row attendee list 17 % faster than one (docs/performance.md).
    import_commit_rows = 64_000

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.parent.exists():  # a directory the store makes is its owner's only
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            self.path.parent.chmod(0o700)
        # the store file 0600 before SQLite opens it; SQLite gives its -wal and -shm the file's mode
        if not self.path.exists():
            self.path.touch(mode=0o600)
        for private in (self.path, self.path.with_name(self.path.name + "-wal"), self.path.with_name(self.path.name + "-shm")):
            if private.exists() and private.stat().st_mode & 0o077:
                private.chmod(0o600)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._migrate()

    # connection handling -------------------------------------------------------------
    @property
    def _db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=30, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=30000")
            # what migration 11 fills the people search text with (writes compute it in Python)
            conn.create_function("graphsvc_search_text", 6, record_text_json, deterministic=True)
            self._local.conn = conn
            self._local.depth = 0
            self._local.merges_written = 0  # see ``merge_map_token``
            self._local.serial = next(_CONNECTIONS)
            with self._lock:
                self._connections.append(conn)
        return conn

    @contextmanager
    def atomic(self) -> Iterator[None]:
        db = self._db
        if self._local.depth:
            self._local.depth += 1
            try:
                yield
            finally:
                self._local.depth -= 1
            return
        db.execute("BEGIN IMMEDIATE")
        self._local.depth = 1
        try:
            yield
        except BaseException:
            self._local.merges_written += 1  # what the transaction wrote to the merge map is undone
            db.execute("ROLLBACK")
            raise
        else:
            db.execute("COMMIT")
        finally:
            self._local.depth = 0

    def close(self) -> None:
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()

    def _migrate(self) -> None:
        with self.atomic():
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                statement = ""
                for part in script.split(";"):
                    statement += part + ";"
                    if sqlite3.complete_statement(statement):  # a trigger's body holds semicolons of its own
                        if statement.strip(" \n;"):
                            self._db.execute(statement)
                        statement = ""
                self._db.execute(f"PRAGMA user_version = {number}")

    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _bump(
        self, workspace_id: str, evidence_from: int | None = None, *, people_from: int | None = None, people: Iterable[str] = ()
    ) -> None:
        """A new data version, and what it changed (``changes_since`` reads it back): only added
        evidence, from that row on (``evidence_from``; ``NO_EVIDENCE_CHANGE``: nothing the
        evidence arrays hold, e.g. a do-not-ask mark or an intro request's step); only added
        records, from that ``persons`` row on (``people_from``); only updated or merged these
        records (``people``). Nothing given: anything else."""
        db = self._db
        db.execute(
            "INSERT INTO data_versions VALUES (?, 1) ON CONFLICT(workspace_id) DO UPDATE SET version = version + 1",
            (workspace_id,),
        )
        touched = sorted(set(people))
        db.execute(
            "INSERT OR REPLACE INTO data_changes SELECT workspace_id, version, ?, ?, ? FROM data_versions WHERE workspace_id = ?",
            (evidence_from, people_from, json.dumps(touched) if touched else None, workspace_id),
        )
        # the log only needs to reach back as far as an evidence file can be behind
        db.execute(
            "DELETE FROM data_changes WHERE workspace_id = ? AND version <= "
            "(SELECT version FROM data_versions WHERE workspace_id = ?) - ?",
            (workspace_id, workspace_id, DATA_CHANGES_KEPT),
        )

    # workspaces ------------------------------------------------------------------------
    def workspace(self, name: str) -> Workspace:
        row = self._db.execute("SELECT id, name FROM workspaces WHERE name = ?", (name,)).fetchone()
        if row:
            return Workspace(*row)
        workspace = Workspace(stable_id("ws", name), name)
        with self.atomic():
            self._db.execute(
                "INSERT OR IGNORE INTO workspaces VALUES (?, ?, ?)",
                (workspace.id, name, datetime.now().astimezone().isoformat()),
            )
        return workspace

    def member_ids(self, workspace_id: str) -> list[str]:
        rows = self._db.execute(
            "SELECT person_id FROM members WHERE workspace_id = ? ORDER BY person_id", (workspace_id,)
        )
        return [r[0] for r in rows]

    def add_member(self, workspace_id: str, person_id: str) -> None:
        cur = self._db.execute("INSERT OR IGNORE INTO members VALUES (?, ?)", (workspace_id, person_id))
        if cur.rowcount:
            self._bump(workspace_id)

    # people ----------------------------------------------------------------------------
    _PERSON_COLUMNS = "id, display_name, first_name, last_name, organization, title, emails, linkedin_url"

    def _person(self, row: tuple, members: set[str]) -> Person:
        return Person(
            id=row[0], display_name=row[1], first_name=row[2], last_name=row[3], organization=row[4],
            title=row[5], emails=tuple(json.loads(row[6])), linkedin_url=row[7], is_member=row[0] in members,
        )

    def _rows_for(self, query: str, workspace_id: str, ids: list[str]) -> Iterator[tuple]:
        """``query`` (``{marks}`` stands for the ids' placeholders) over ``ids``, 500 at a time
        (SQLite caps the number of variables in a statement)."""
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            yield from self._db.execute(query.format(marks=",".join("?" * len(chunk))), (workspace_id, *chunk))

    def get_people(self, workspace_id: str, ids: Iterable[str]) -> dict[str, Person]:
        wanted = list(dict.fromkeys(ids))
        members = set(self.member_ids(workspace_id))
        query = f"SELECT {self._PERSON_COLUMNS} FROM persons WHERE workspace_id = ? AND id IN ({{marks}})"
        return {row[0]: self._person(row, members) for row in self._rows_for(query, workspace_id, wanted)}

    def organizations_of(self, workspace_id: str, ids: Iterable[str] | None = None) -> dict[str, str]:
        """Record id -> organization as written, for every record (of ``ids``) that has one (one
        column read: the analytics core needs nothing else of 40,000 people)."""
        if ids is not None:
            query = "SELECT id, organization FROM persons WHERE workspace_id = ? AND organization != '' AND id IN ({marks})"
            return dict(self._rows_for(query, workspace_id, sorted(set(ids))))
        rows = self._db.execute("SELECT id, organization FROM persons WHERE workspace_id = ? AND organization != ''", (workspace_id,))
        return dict(rows.fetchall())

    def names_of(self, workspace_id: str, ids: Iterable[str]) -> dict[str, tuple[str, str, str]]:
        query = "SELECT id, first_name, last_name, display_name FROM persons WHERE workspace_id = ? AND id IN ({marks})"
        return {row[0]: row[1:] for row in self._rows_for(query, workspace_id, sorted(set(ids)))}

    def _search_hits(self, workspace_id: str, search: str) -> tuple[str, tuple] | None:
        """A query of the ids of the people whose records match ``search`` (``graphsvc.store.search``):
        records found by the trigram index (a scan of the search text for fewer than three
        characters), each mapped to the person it is merged into; the search's nickname variants
        (``search_variants``) likewise, each checked to be whole words. ``None``: nothing can match."""
        folded = folded_search(search)
        if not folded:
            return None
        terms = [self._search_hit(folded, None)] + [self._search_hit(phrase, needle) for phrase, needle in search_variants(folded)]
        return " UNION ".join(q for q, _ in terms), tuple(a for _, args in terms for a in (*args, workspace_id))

    @staticmethod
    def _search_hit(folded: str, needle: str | None) -> tuple[str, tuple]:
        """One term of ``_search_hits``: records whose text has ``folded`` (and, for a nickname
        variant, ``needle`` in the text padded with a space each side), as their person's id."""
        if len(folded) >= MIN_INDEXED:
            source = "person_search_index f JOIN person_search s ON s.id = f.rowid"
            match, args = "person_search_index MATCH ?", (trigram_phrase(folded),)
        else:
            source, match, args = "person_search s", "s.text LIKE ? ESCAPE '\\'", (like_pattern(folded),)
        if needle is not None:
            match += " AND (' ' || s.text || ' ') LIKE ? ESCAPE '\\'"
            args += (like_pattern(needle),)
        return (
            f"SELECT DISTINCT coalesce(m.survivor, s.person_id) AS id FROM {source} "
            f"LEFT JOIN person_merges m ON m.workspace_id = s.workspace_id AND m.absorbed = s.person_id "
            f"WHERE {match} AND s.workspace_id = ?",
            args,
        )

    def _search_query(self, workspace_id: str, search: str | None, select: str, after: tuple[str, str] | None = None) -> tuple[str, tuple] | None:
        """``SELECT {select} FROM persons p`` of the workspace's people matching ``search`` (everyone
        but merged records without one), after ``(sort_name, id)`` when given; None if nobody can match."""
        where, args = "", ()
        if after is not None:
            where, args = " AND (p.sort_name, p.id) > (?, ?)", after
        if not search or not search.strip():
            return (
                f"SELECT {select} FROM persons p WHERE p.workspace_id = ?{where}"
                " AND p.id NOT IN (SELECT absorbed FROM person_merges WHERE workspace_id = ?)",  # found through their person
                (workspace_id, *args, workspace_id),
            )
        hits = self._search_hits(workspace_id, search)
        if hits is None:
            return None
        # CROSS JOIN: from the (few) hits to their rows, never a walk of every person checking each
        return (
            f"SELECT {select} FROM ({hits[0]}) h CROSS JOIN persons p ON p.workspace_id = ? AND p.id = h.id WHERE 1{where}",
            (*hits[1], workspace_id, *args),
        )

    def search_people(
        self, workspace_id: str, search: str | None, limit: int, after: str | None = None
    ) -> list[Person]:
        anchor = None
        if after:
            anchor = self._db.execute(
                "SELECT sort_name FROM persons WHERE workspace_id = ? AND id = ?", (workspace_id, after)
            ).fetchone()
            if anchor is None:
                return []
        columns = ", ".join(f"p.{c}" for c in self._PERSON_COLUMNS.split(", "))
        query = self._search_query(workspace_id, search, columns, (anchor[0], after) if anchor else None)
        if query is None:
            return []
        members = set(self.member_ids(workspace_id))
        rows = self._db.execute(f"{query[0]} ORDER BY p.sort_name, p.id LIMIT ?", (*query[1], limit))
        return [self._person(row, members) for row in rows]

    def count_people(self, workspace_id: str, search: str | None) -> int:
        query = self._search_query(workspace_id, search, "count(*)")
        return int(self._db.execute(*query).fetchone()[0]) if query else 0

    def person_for_key(self, workspace_id: str, kind: str, value: str) -> str | None:
        row = self._db.execute(
            "SELECT person_id FROM person_keys WHERE workspace_id = ? AND kind = ? AND value = ?",
            (workspace_id, kind, value),
        ).fetchone()
        return row[0] if row else None

    def people_for_key(self, workspace_id: str, kind: str, value: str) -> list[str]:
        rows = self._db.execute(
            "SELECT person_id FROM person_keys WHERE workspace_id = ? AND kind = ? AND value = ? ORDER BY person_id",
            (workspace_id, kind, value),
        )
        return [r[0] for r in rows]

    def keys_of(self, workspace_id: str, person_id: str) -> list[tuple[str, str]]:
        # Sorted here, not in SQL: an ORDER BY tempts the planner into scanning the primary key.
        rows = self._db.execute(
            "SELECT kind, value FROM person_keys INDEXED BY person_keys_by_person WHERE workspace_id = ? AND person_id = ?",
            (workspace_id, person_id),
        )
        return sorted((r[0], r[1]) for r in rows)

    def keys_of_many(self, workspace_id: str, person_ids: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
        query = (
            "SELECT person_id, kind, value FROM person_keys INDEXED BY person_keys_by_person "
            "WHERE workspace_id = ? AND person_id IN ({marks})"
        )
        found: dict[str, list[tuple[str, str]]] = {}
        for person_id, kind, value in self._rows_for(query, workspace_id, sorted(set(person_ids))):
            found.setdefault(person_id, []).append((kind, value))
        return {pid: sorted(keys) for pid, keys in found.items()}

    def _person_args(self, workspace_id: str, person: Person) -> tuple:
        return (
            workspace_id, person.id, person.display_name, person.first_name, person.last_name,
            person.organization, person.title, json.dumps(list(person.emails)), person.linkedin_url,
            sort_key(person.display_name),
        )

    @staticmethod
    def _search_args(workspace_id: str, person: Person) -> tuple[str, str, str]:
        text = record_text(person.display_name, person.first_name, person.last_name, person.organization, person.emails, person.linkedin_url)
        return (workspace_id, person.id, text)

    def _index_for_search(self, rows: list[tuple[str, str, str]]) -> None:
        """Keep the search text (migration 11) of newly written records: the rows, then the index
        of those new to it in one statement (a changed text re-indexes itself by trigger)."""
        with self.atomic():
            last = self._db.execute("SELECT coalesce(max(id), 0) FROM person_search").fetchone()[0]
            self._db.executemany(
                "INSERT INTO person_search (workspace_id, person_id, text) VALUES (?, ?, ?) "
                "ON CONFLICT (workspace_id, person_id) DO UPDATE SET text = excluded.text WHERE text != excluded.text",
                rows,
            )
            self._db.execute("INSERT INTO person_search_index (rowid, text) SELECT id, text FROM person_search WHERE id > ?", (last,))

    def _next_person_row(self) -> int:
        # rows get rowids above the largest one (as evidence rows do: see add_evidence)
        return int(self._db.execute("SELECT coalesce(max(rowid), 0) + 1 FROM persons").fetchone()[0])

    def add_person(self, workspace_id: str, person: Person) -> None:
        with self.atomic():  # the person and its search text, or neither
            first = self._next_person_row()
            self._db.execute("INSERT INTO persons VALUES (?,?,?,?,?,?,?,?,?,?)", self._person_args(workspace_id, person))
            self._index_for_search([self._search_args(workspace_id, person)])
            self._bump(workspace_id, people_from=first)

    def add_people(self, workspace_id: str, people: Iterable[Person]) -> None:
        # in key order (as every bulk insert here): ids are hashes, and a batch inserted in order
        # touches each page of the table's B-tree once instead of hopping between them
        people = list(people)
        rows = sorted((self._person_args(workspace_id, person) for person in people), key=itemgetter(1))
        if rows:
            with self.atomic():  # the people and their search text, or neither
                first = self._next_person_row()
                self._db.executemany("INSERT INTO persons VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
                self._index_for_search(sorted(self._search_args(workspace_id, person) for person in people))
                self._bump(workspace_id, people_from=first)

    def update_person(self, workspace_id: str, person: Person) -> None:
        args = self._person_args(workspace_id, person)
        self._db.execute(
            "UPDATE persons SET display_name=?, first_name=?, last_name=?, organization=?, title=?, emails=?, "
            "linkedin_url=?, sort_name=? WHERE workspace_id=? AND id=?",
            (*args[2:], workspace_id, person.id),
        )
        workspace, person_id, text = self._search_args(workspace_id, person)
        self._db.execute(  # a person that is not there has no search text to change either
            "UPDATE person_search SET text = ? WHERE workspace_id = ? AND person_id = ? AND text != ?",
            (text, workspace, person_id, text),
        )
        self._bump(workspace_id, people=[person.id])

    def add_key(self, workspace_id: str, kind: str, value: str, person_id: str) -> bool:
        cur = self._db.execute(
            "INSERT OR IGNORE INTO person_keys VALUES (?, ?, ?, ?)", (workspace_id, kind, value, person_id)
        )
        return bool(cur.rowcount) or self.person_for_key(workspace_id, kind, value) == person_id

    def add_keys(self, workspace_id: str, keys: Iterable[tuple[str, str, str]]) -> None:
        rows = sorted(((workspace_id, *key) for key in keys), key=itemgetter(1, 2))  # stable: of two for one key, the first wins
        self._db.executemany("INSERT OR IGNORE INTO person_keys VALUES (?, ?, ?, ?)", rows)

    def persons_for_keys(self, workspace_id: str, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
        by_kind: dict[str, list[str]] = {}
        for kind, value in set(keys):
            by_kind.setdefault(kind, []).append(value)
        found: dict[tuple[str, str], str] = {}
        for kind, values in sorted(by_kind.items()):
            values.sort()
            for start in range(0, len(values), 500):
                chunk = values[start : start + 500]
                rows = self._db.execute(
                    f"SELECT value, person_id FROM person_keys WHERE workspace_id = ? AND kind = ? AND value IN ({','.join('?' * len(chunk))})",
                    (workspace_id, kind, *chunk),
                )
                found.update(((kind, value), person_id) for value, person_id in rows)
        return found

    def add_sighting(self, workspace_id: str, sighting: Sighting) -> None:
        self.add_sightings(workspace_id, [sighting])

    def add_sightings(self, workspace_id: str, sightings: Iterable[Sighting]) -> None:
        self._db.executemany(
            "INSERT OR IGNORE INTO sightings VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            sorted(
                ((workspace_id, s.person_id, s.job_id, s.source_format, s.source_name, s.row, s.name, s.email,
                  s.linkedin_url, s.organization, s.title) for s in sightings),
                key=itemgetter(2, 5, 1),
            ),
        )

    def sightings(self, workspace_id: str, person_id: str) -> list[Sighting]:
        rows = self._db.execute(
            "SELECT person_id, job_id, source_format, source_name, row, name, email, linkedin_url, organization, "
            "title FROM sightings INDEXED BY sightings_by_person WHERE workspace_id = ? AND person_id = ?",
            (workspace_id, person_id),
        )
        return sorted((Sighting(*row) for row in rows), key=lambda s: (s.job_id, s.row))

    def organizations_seen(self, workspace_id: str, person_ids: Iterable[str]) -> dict[str, set[str]]:
        query = (
            "SELECT person_id, organization FROM sightings INDEXED BY sightings_by_person "
            "WHERE workspace_id = ? AND person_id IN ({marks}) AND organization != ''"
        )
        found: dict[str, set[str]] = {}
        for person_id, organization in self._rows_for(query, workspace_id, sorted(set(person_ids))):
            found.setdefault(person_id, set()).add(organization)
        return found

    # events and evidence -----------------------------------------------------------------
    def add_event(self, workspace_id: str, event: Event) -> None:
        self.add_events(workspace_id, [event])

    def add_events(self, workspace_id: str, events: Iterable[Event]) -> None:
        self._db.executemany(
            "INSERT OR IGNORE INTO events VALUES (?, ?, ?, ?, ?, ?)",
            [(workspace_id, e.id, e.name, _ts(e.starts_at), e.kind, e.source_format) for e in events],
        )

    def get_events(self, workspace_id: str, ids: Iterable[str]) -> dict[str, Event]:
        query = "SELECT id, name, starts_at, kind, source_format FROM events WHERE workspace_id = ? AND id IN ({marks})"
        return {
            row[0]: Event(row[0], row[1], _dt(row[2]), row[3], row[4])
            for row in self._rows_for(query, workspace_id, list(dict.fromkeys(ids)))
        }

    def add_evidence(self, workspace_id: str, items: Iterable[Evidence]) -> int:
        # rows get rowids above the largest one (SQLite's rule while no row has the largest
        # possible rowid): the rows this call adds are those from here on
        first = int(self._db.execute("SELECT coalesce(max(rowid), 0) + 1 FROM evidence").fetchone()[0])
        cur = self._db.executemany(
            "INSERT OR IGNORE INTO evidence VALUES (?,?,?,?,?,?,?,?,?,?)",
            sorted(
                ((workspace_id, e.id, e.kind.value, e.channel.value, e.person_a, e.person_b, e.event_id, _ts(e.at),
                  e.job_id, e.direction) for e in items),
                key=itemgetter(1),
            ),
        )
        if cur.rowcount:
            self._bump(workspace_id, evidence_from=first)
        return max(cur.rowcount, 0)

    def changes_since(self, workspace_id: str, version: int) -> DataChanges | None:
        """What changed after ``version`` when it was only evidence added and records added,
        updated or merged (an import, a logged interaction); None when anything else changed
        (or the log does not reach back)."""
        db = self._db
        own = not self._local.depth
        if own:
            db.execute("BEGIN")  # one read snapshot: the version and the rows agree
        try:
            current = self.data_version(workspace_id)
            if version > current:
                return None
            changes = db.execute(
                "SELECT evidence_from, people_from, people FROM data_changes WHERE workspace_id = ? AND version > ?",
                (workspace_id, version),
            ).fetchall()
            if len(changes) != current - version or any(row == (None, None, None) for row in changes):
                return None
            evidence: list[Evidence] = []
            added = [row[0] for row in changes if row[0] is not None and row[0] != NO_EVIDENCE_CHANGE]
            if added:
                rows = db.execute(
                    "SELECT id, kind, channel, person_a, person_b, event_id, at, job_id, direction FROM evidence "
                    "WHERE rowid >= ? AND workspace_id = ? ORDER BY id",
                    (min(added), workspace_id),
                ).fetchall()
                evidence = [Evidence(r[0], EvidenceKind(r[1]), Channel(r[2]), r[3], r[4], r[5], _dt(r[6]), r[7], r[8]) for r in rows]
            records = {person for row in changes if row[2] for person in json.loads(row[2])}
            people_from = [row[1] for row in changes if row[1] is not None]
            if people_from:
                rows = db.execute("SELECT id FROM persons WHERE rowid >= ? AND workspace_id = ?", (min(people_from), workspace_id))
                records.update(r[0] for r in rows)
            return DataChanges(current, evidence, frozenset(records))
        finally:
            if own:
                db.execute("COMMIT")

    def iter_evidence(self, workspace_id: str) -> Iterator[Evidence]:
        rows = self._db.execute(
            "SELECT id, kind, channel, person_a, person_b, event_id, at, job_id, direction FROM evidence "
            "WHERE workspace_id = ? ORDER BY id",
            (workspace_id,),
        )
        for r in rows:
            yield Evidence(r[0], EvidenceKind(r[1]), Channel(r[2]), r[3], r[4], r[5], _dt(r[6]), r[7], r[8])

    def evidence_rows(self, workspace_id: str) -> Iterator[tuple[Any, ...]]:
        """``(kind, channel, person_a, person_b, event_id, at, direction, id)`` of every evidence row
        in id order, as stored (``at`` ISO text or None): what ``iter_evidence`` yields, without an
        object per row (the analytics core reads a team's 900,000 rows into columns)."""
        return self._db.execute(
            "SELECT kind, channel, person_a, person_b, event_id, at, direction, id FROM evidence WHERE workspace_id = ? ORDER BY id",
            (workspace_id,),
        )

    def count_evidence(self, workspace_id: str) -> int:
        return int(self._db.execute("SELECT count(*) FROM evidence WHERE workspace_id = ?", (workspace_id,)).fetchone()[0])

    def data_version(self, workspace_id: str) -> int:
        row = self._db.execute("SELECT version FROM data_versions WHERE workspace_id = ?", (workspace_id,)).fetchone()
        return int(row[0]) if row else 0

    def store_id(self) -> str:
        return str(self._db.execute("SELECT id FROM store_identity").fetchone()[0])

    # import jobs ---------------------------------------------------------------------------
    def _job_args(self, job: ImportJob) -> tuple:
        return (
            job.id, job.workspace_id, job.file_name, job.file_hash, job.format, job.owner_person_id,
            job.status.value, job.rows_read, job.rows_imported, job.rows_rejected, job.rows_skipped,
            job.checkpoint_row, job.error, _ts(job.started_at), _ts(job.finished_at),
            json.dumps(job.options, sort_keys=True), json.dumps(job.notes),
        )

    def add_job(self, job: ImportJob) -> None:
        self._db.execute("INSERT INTO import_jobs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", self._job_args(job))

    def save_job(self, job: ImportJob) -> None:
        args = self._job_args(job)
        self._db.execute(
            "UPDATE import_jobs SET file_name=?, file_hash=?, format=?, owner_person_id=?, status=?, rows_read=?, "
            "rows_imported=?, rows_rejected=?, rows_skipped=?, checkpoint_row=?, error=?, started_at=?, "
            "finished_at=?, options=?, notes=? WHERE id=? AND workspace_id=?",
            (*args[2:], job.id, job.workspace_id),
        )

    def _job(self, row: tuple) -> ImportJob:
        return ImportJob(
            id=row[0], workspace_id=row[1], file_name=row[2], file_hash=row[3], format=row[4],
            owner_person_id=row[5], status=JobStatus(row[6]), rows_read=row[7], rows_imported=row[8],
            rows_rejected=row[9], rows_skipped=row[10], checkpoint_row=row[11], error=row[12],
            started_at=_dt(row[13]), finished_at=_dt(row[14]), options=json.loads(row[15]), notes=json.loads(row[16]),
        )

    def get_job(self, workspace_id: str, job_id: str) -> ImportJob | None:
        row = self._db.execute(
            "SELECT * FROM import_jobs WHERE workspace_id = ? AND id = ?", (workspace_id, job_id)
        ).fetchone()
        return self._job(row) if row else None

    def list_jobs(self, workspace_id: str) -> list[ImportJob]:
        rows = self._db.execute(
            "SELECT * FROM import_jobs WHERE workspace_id = ? ORDER BY started_at, id", (workspace_id,)
        )
        return [self._job(r) for r in rows]

    def add_rejects(self, job_id: str, rejects: Iterable[Reject]) -> None:
        self._db.executemany(
            "INSERT OR REPLACE INTO import_rejects VALUES (?, ?, ?, ?)",
            [(job_id, r.row, r.reason, int(r.skipped)) for r in rejects],
        )

    def rejects(self, job_id: str, *, after: int | None = None, limit: int | None = None, skipped: bool | None = None) -> list[Reject]:
        """By row number; a page: the first ``limit`` after row ``after`` (keyset: the primary
        key's order, so a page reads only its own rows); only rejected (``skipped=False``) or only
        skipped (``True``) rows when asked."""
        which = "" if skipped is None else " AND skipped = ?"
        rows = self._db.execute(
            f"SELECT row, reason, skipped FROM import_rejects WHERE job_id = ? AND row > ?{which} ORDER BY row LIMIT ?",
            (job_id, -(2**63) if after is None else after, *(() if skipped is None else (int(skipped),)), -1 if limit is None else limit),
        )
        return [Reject(r[0], r[1], bool(r[2])) for r in rows]

    # API tokens --------------------------------------------------------------------------------
    def add_token(self, token: Token) -> None:
        self._db.execute(
            "INSERT INTO tokens VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (token.id, token.workspace_id, token.name, token.role.value, token.secret_hash, _ts(token.created_at), _ts(token.revoked_at),
             _ts(token.expires_at)),
        )

    def _token(self, row: tuple) -> Token:
        return Token(row[0], row[1], row[2], Role(row[3]), row[4], _dt(row[5]), _dt(row[6]), _dt(row[7]))  # type: ignore[arg-type]

    def token_by_hash(self, secret_hash: str) -> Token | None:
        row = self._db.execute("SELECT * FROM tokens WHERE secret_hash = ?", (secret_hash,)).fetchone()
        return self._token(row) if row else None

    def list_tokens(self, workspace_id: str) -> list[Token]:
        rows = self._db.execute("SELECT * FROM tokens WHERE workspace_id = ? ORDER BY created_at, id", (workspace_id,))
        return [self._token(r) for r in rows]

    def revoke_token(self, workspace_id: str, token_id: str, at: datetime) -> bool:
        cur = self._db.execute(
            "UPDATE tokens SET revoked_at = ? WHERE workspace_id = ? AND id = ? AND revoked_at IS NULL",
            (_ts(at), workspace_id, token_id),
        )
        return bool(cur.rowcount)

    # tags ---------------------------------------------------------------------------------------
    def add_tag(self, workspace_id: str, person_id: str, tag: str) -> bool:
        cur = self._db.execute("INSERT OR IGNORE INTO person_tags VALUES (?, ?, ?)", (workspace_id, tag, person_id))
        return bool(cur.rowcount)

    def people_with_tag(self, workspace_id: str, tag: str) -> list[str]:
        rows = self._db.execute("SELECT person_id FROM person_tags WHERE workspace_id = ? AND tag = ?", (workspace_id, tag))
        return sorted(r[0] for r in rows)

    def tags_of(self, workspace_id: str, person_id: str) -> list[str]:
        rows = self._db.execute(
            "SELECT tag FROM person_tags INDEXED BY person_tags_by_person WHERE workspace_id = ? AND person_id = ?",
            (workspace_id, person_id),
        )
        return sorted(r[0] for r in rows)

    # merges and duplicate detection ---------------------------------------------------------------
    def merge_map(self, workspace_id: str) -> dict[str, str]:
        rows = self._db.execute("SELECT absorbed, survivor FROM person_merges WHERE workspace_id = ?", (workspace_id,))
        return {r[0]: r[1] for r in rows}

    def merge_map_token(self, workspace_id: str) -> tuple[int, int, int]:
        """A value that stays the same exactly as long as ``merge_map(workspace_id)`` does, as this
        thread sees it: a copy kept in memory (``graphsvc.identity.merging``) is current while the token
        is. It changes when this connection writes or forgets merges, or rolls a transaction back,
        and when any other connection (another process, another thread) commits anything
        (SQLite's ``PRAGMA data_version``). One query, which reads no table."""
        version = self._db.execute("PRAGMA data_version").fetchone()[0]
        return (self._local.serial, self._local.merges_written, int(version))

    def manual_merges(self, workspace_id: str) -> set[str]:
        rows = self._db.execute("SELECT absorbed FROM person_merges WHERE workspace_id = ? AND manual = 1", (workspace_id,))
        return {r[0] for r in rows}

    def set_merged_into(self, workspace_id: str, person_ids: Iterable[str], survivor: str | None, *, manual: bool = False) -> None:
        ids = list(person_ids)
        if survivor is None:
            self._db.executemany("DELETE FROM person_merges WHERE workspace_id = ? AND absorbed = ?", [(workspace_id, i) for i in ids])
        else:
            # A record a person merged by hand stays so when its person is merged again automatically.
            self._db.executemany(
                "INSERT INTO person_merges VALUES (?, ?, ?, ?) ON CONFLICT (workspace_id, absorbed) "
                "DO UPDATE SET survivor = excluded.survivor, manual = max(manual, excluded.manual)",
                [(workspace_id, i, survivor, int(manual)) for i in ids],
            )
        if ids:
            self._local.merges_written += 1
            # a release (no survivor) makes people of records the arrays never held: a rebuild
            self._bump(workspace_id, people=[*ids, survivor] if survivor is not None else ())

    def add_distinct(self, workspace_id: str, a: str, b: str) -> None:
        self._db.execute("INSERT OR IGNORE INTO distinct_people VALUES (?, ?, ?)", (workspace_id, *sorted((a, b))))

    def remove_distinct(self, workspace_id: str, a: str, b: str) -> None:
        self._db.execute("DELETE FROM distinct_people WHERE workspace_id = ? AND a = ? AND b = ?", (workspace_id, *sorted((a, b))))

    def distinct_pairs(self, workspace_id: str) -> set[tuple[str, str]]:
        rows = self._db.execute("SELECT a, b FROM distinct_people WHERE workspace_id = ?", (workspace_id,))
        return {(r[0], r[1]) for r in rows}

    def add_blocks(self, workspace_id: str, person_id: str, blocks: Iterable[str]) -> None:
        self.file_in_blocks(workspace_id, ((b, person_id) for b in blocks))

    def file_in_blocks(self, workspace_id: str, entries: Iterable[tuple[str, str]]) -> None:
        rows = sorted(set(entries))
        added: Counter[str] = Counter()
        for start in range(0, len(rows), 300):
            chunk = rows[start : start + 300]
            # RETURNING names only the rows inserted (not those already filed), which is what the sizes count
            cursor = self._db.execute(
                f"INSERT OR IGNORE INTO person_blocks VALUES {','.join(['(?,?,?)'] * len(chunk))} RETURNING block",
                [value for block, person in chunk for value in (workspace_id, block, person)],
            )
            added.update(block for (block,) in cursor)
        self._db.executemany(
            "INSERT INTO block_sizes VALUES (?, ?, ?) ON CONFLICT (workspace_id, block) DO UPDATE SET size = size + excluded.size",
            [(workspace_id, block, count) for block, count in sorted(added.items())],
        )

    def people_in_blocks(self, workspace_id: str, blocks: Iterable[str], limit: int | None = None) -> dict[str, list[str]]:
        if limit is None:
            query = "SELECT block, person_id FROM person_blocks WHERE workspace_id = ? AND block IN ({marks}) ORDER BY block, person_id"
        else:  # sizes kept by file_in_blocks and a delete trigger: a block of thousands costs one row read, not thousands
            # (CROSS JOIN keeps that order: the planner would rather walk every block's members first)
            query = (
                "SELECT b.block, b.person_id FROM block_sizes s CROSS JOIN person_blocks b ON b.workspace_id = s.workspace_id AND b.block = s.block "
                "WHERE s.workspace_id = ? AND s.block IN ({marks}) AND s.size <= %d ORDER BY b.block, b.person_id" % int(limit)
            )
        found: dict[str, list[str]] = {}
        for block, person_id in self._rows_for(query, workspace_id, sorted(set(blocks))):
            found.setdefault(block, []).append(person_id)
        return found

    def block_groups(self, workspace_id: str, max_size: int) -> Iterator[list[str]]:
        rows = self._db.execute(
            "SELECT group_concat(person_id, ' ') FROM (SELECT block, person_id FROM person_blocks WHERE workspace_id = ? "
            "ORDER BY block, person_id) GROUP BY block HAVING count(*) BETWEEN 2 AND ? ORDER BY block",
            (workspace_id, max_size),
        )
        for (ids,) in rows:
            yield ids.split(" ")

    def blocks_filed_by(self, workspace_id: str) -> str:
        row = self._db.execute("SELECT version FROM block_versions WHERE workspace_id = ?", (workspace_id,)).fetchone()
        return row[0] if row else ""

    #: Records re-filed per ``file_in_blocks`` call: a workspace of millions is not held at once.
    REFILE_CHUNK = 50_000

    def refile_blocks(self, workspace_id: str, blocks_of: Callable[[str, str, str], Iterable[str]], version: str) -> int:
        db = self._db
        with self.atomic():
            db.execute("DELETE FROM block_sizes WHERE workspace_id = ?", (workspace_id,))  # first: no sizes for the trigger to lower
            db.execute("DELETE FROM person_blocks WHERE workspace_id = ?", (workspace_id,))
            rows = db.execute("SELECT id, first_name, last_name, display_name FROM persons WHERE workspace_id = ? ORDER BY id", (workspace_id,))
            done = 0
            while chunk := rows.fetchmany(self.REFILE_CHUNK):
                self.file_in_blocks(workspace_id, [(block, pid) for pid, first, last, display in chunk for block in blocks_of(first, last, display)])
                done += len(chunk)
            db.execute(
                "INSERT INTO block_versions VALUES (?, ?) ON CONFLICT (workspace_id) DO UPDATE SET version = excluded.version",
                (workspace_id, version),
            )
        return done

    # do not ask, forget -----------------------------------------------------------------------------
    def set_do_not_ask(self, workspace_id: str, person_id: str, flag: bool, at: datetime) -> None:
        if flag:
            self._db.execute("INSERT OR IGNORE INTO do_not_ask VALUES (?, ?, ?)", (workspace_id, person_id, _ts(at)))
        else:
            self._db.execute("DELETE FROM do_not_ask WHERE workspace_id = ? AND person_id = ?", (workspace_id, person_id))
        self._bump(workspace_id, evidence_from=NO_EVIDENCE_CHANGE)

    def do_not_ask(self, workspace_id: str) -> set[str]:
        return {r[0] for r in self._db.execute("SELECT person_id FROM do_not_ask WHERE workspace_id = ?", (workspace_id,))}

    def forget_people(self, workspace_id: str, person_ids: Iterable[str], key_hashes: Iterable[str]) -> int:
        ids = sorted(set(person_ids))
        removed = 0
        for start in range(0, len(ids), 400):
            chunk = ids[start : start + 400]
            marks = ",".join("?" * len(chunk))
            args = (workspace_id, *chunk)
            removed += self._db.execute(
                f"DELETE FROM evidence WHERE workspace_id = ? AND (person_a IN ({marks}) OR person_b IN ({marks}))",
                (workspace_id, *chunk, *chunk),
            ).rowcount
            for table, column in (
                ("persons", "id"), ("person_search", "person_id"), ("person_keys", "person_id"), ("sightings", "person_id"), ("person_tags", "person_id"),
                ("members", "person_id"), ("person_blocks", "person_id"), ("do_not_ask", "person_id"),
                ("person_merges", "absorbed"), ("person_merges", "survivor"), ("distinct_people", "a"), ("distinct_people", "b"),
                ("intro_requests", "requester_id"), ("intro_requests", "connector_id"), ("intro_requests", "target_id"),
            ):
                self._db.execute(f"DELETE FROM {table} WHERE workspace_id = ? AND {column} IN ({marks})", args)
        self._db.executemany("INSERT OR IGNORE INTO forgotten_keys VALUES (?, ?)", [(workspace_id, h) for h in key_hashes])
        self._local.merges_written += 1
        self._bump(workspace_id)
        return removed

    def forgotten_keys(self, workspace_id: str) -> set[str]:
        return {r[0] for r in self._db.execute("SELECT key_hash FROM forgotten_keys WHERE workspace_id = ?", (workspace_id,))}

    # corrections: undoing an import, editing and merging events (graphsvc/imports/corrections.py) ------------
    def add_journal(self, workspace_id: str, job_id: str, entries: Iterable[tuple[str, str, str]]) -> None:
        self._db.executemany(
            "INSERT INTO import_journal (workspace_id, job_id, kind, ref, data) VALUES (?, ?, ?, ?, ?)",
            [(workspace_id, job_id, kind, ref, data) for kind, ref, data in entries],
        )

    def journal(self, workspace_id: str, job_id: str) -> list[tuple[str, str, str]]:
        rows = self._db.execute(
            "SELECT kind, ref, data FROM import_journal WHERE workspace_id = ? AND job_id = ? ORDER BY id", (workspace_id, job_id)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]

    def journal_jobs(self, workspace_id: str, kind: str, refs: Iterable[str]) -> dict[str, list[str]]:
        query = "SELECT ref, job_id FROM import_journal WHERE workspace_id = ? AND kind = '%s' AND ref IN ({marks}) ORDER BY id" % kind.replace("'", "")
        found: dict[str, list[str]] = {}
        for ref, job_id in self._rows_for(query, workspace_id, sorted(set(refs))):
            found.setdefault(ref, []).append(job_id)
        return found

    def drop_journal(self, workspace_id: str, job_id: str, kind: str | None = None, refs: Iterable[str] | None = None) -> None:
        if refs is None:
            self._db.execute("DELETE FROM import_journal WHERE workspace_id = ? AND job_id = ?", (workspace_id, job_id))
            return
        self._db.executemany(
            "DELETE FROM import_journal WHERE workspace_id = ? AND job_id = ? AND kind = ? AND ref = ?",
            [(workspace_id, job_id, kind, ref) for ref in refs],
        )

    def evidence_owners(self, workspace_id: str, ids: Iterable[str]) -> dict[str, str]:
        query = "SELECT id, job_id FROM evidence WHERE workspace_id = ? AND id IN ({marks})"
        return dict(self._rows_for(query, workspace_id, sorted(set(ids))))

    _EVIDENCE_COLUMNS = "id, kind, channel, person_a, person_b, event_id, at, job_id, direction"

    def evidence_where(self, workspace_id: str, *, job_id: str | None = None, event_ids: Iterable[str] | None = None) -> list[Evidence]:
        if job_id is not None:
            rows: Iterable[tuple] = self._db.execute(
                f"SELECT {self._EVIDENCE_COLUMNS} FROM evidence WHERE workspace_id = ? AND job_id = ? ORDER BY id", (workspace_id, job_id)
            )
        else:
            query = f"SELECT {self._EVIDENCE_COLUMNS} FROM evidence WHERE workspace_id = ? AND event_id IN ({{marks}})"
            rows = sorted(self._rows_for(query, workspace_id, sorted(set(event_ids or ()))))
        return [Evidence(r[0], EvidenceKind(r[1]), Channel(r[2]), r[3], r[4], r[5], _dt(r[6]), r[7], r[8]) for r in rows]

    def put_evidence(self, workspace_id: str, items: Iterable[Evidence]) -> None:
        rows = [(workspace_id, e.id, e.kind.value, e.channel.value, e.person_a, e.person_b, e.event_id, _ts(e.at), e.job_id, e.direction) for e in items]
        self._db.executemany("INSERT OR REPLACE INTO evidence VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
        if rows:
            self._bump(workspace_id)

    def delete_evidence(self, workspace_id: str, ids: Iterable[str]) -> None:
        rows = [(workspace_id, i) for i in sorted(set(ids))]
        self._db.executemany("DELETE FROM evidence WHERE workspace_id = ? AND id = ?", rows)
        if rows:
            self._bump(workspace_id)

    def people_sighted_by(self, workspace_id: str, job_id: str) -> set[str]:
        rows = self._db.execute("SELECT DISTINCT person_id FROM sightings WHERE workspace_id = ? AND job_id = ?", (workspace_id, job_id))
        return {r[0] for r in rows}

    def sighting_jobs(self, workspace_id: str, person_ids: Iterable[str]) -> dict[str, set[str]]:
        query = "SELECT DISTINCT person_id, job_id FROM sightings INDEXED BY sightings_by_person WHERE workspace_id = ? AND person_id IN ({marks})"
        found: dict[str, set[str]] = {}
        for person_id, job_id in self._rows_for(query, workspace_id, sorted(set(person_ids))):
            found.setdefault(person_id, set()).add(job_id)
        return found

    def delete_sightings(self, workspace_id: str, job_id: str) -> None:
        self._db.execute("DELETE FROM sightings WHERE workspace_id = ? AND job_id = ?", (workspace_id, job_id))
        self._bump(workspace_id)

    def remove_records(self, workspace_id: str, person_ids: Iterable[str]) -> None:
        ids = sorted(set(person_ids))
        for start in range(0, len(ids), 400):
            chunk = ids[start : start + 400]
            marks = ",".join("?" * len(chunk))
            for table, column in (
                ("persons", "id"), ("person_search", "person_id"), ("person_keys", "person_id"), ("sightings", "person_id"),
                ("person_tags", "person_id"), ("members", "person_id"), ("person_blocks", "person_id"), ("do_not_ask", "person_id"),
                ("person_merges", "absorbed"), ("person_merges", "survivor"), ("distinct_people", "a"), ("distinct_people", "b"),
            ):
                self._db.execute(f"DELETE FROM {table} WHERE workspace_id = ? AND {column} IN ({marks})", (workspace_id, *chunk))
        if ids:
            self._local.merges_written += 1
            self._bump(workspace_id)

    def remove_keys(self, workspace_id: str, keys: Iterable[tuple[str, str, str]]) -> None:
        self._db.executemany(
            "DELETE FROM person_keys WHERE workspace_id = ? AND kind = ? AND value = ? AND person_id = ?",
            [(workspace_id, *key) for key in keys],
        )

    def remove_member(self, workspace_id: str, person_id: str) -> None:
        if self._db.execute("DELETE FROM members WHERE workspace_id = ? AND person_id = ?", (workspace_id, person_id)).rowcount:
            self._bump(workspace_id)

    def put_event(self, workspace_id: str, event: Event) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO events VALUES (?, ?, ?, ?, ?, ?)",
            (workspace_id, event.id, event.name, _ts(event.starts_at), event.kind, event.source_format),
        )
        self._bump(workspace_id)

    def delete_events(self, workspace_id: str, ids: Iterable[str]) -> None:
        rows = [(workspace_id, i) for i in sorted(set(ids))]
        self._db.executemany("DELETE FROM events WHERE workspace_id = ? AND id = ?", rows)
        self._db.executemany("DELETE FROM event_aliases WHERE workspace_id = ? AND event_id = ?", rows)
        if rows:
            self._bump(workspace_id)

    def list_events(self, workspace_id: str) -> list[Event]:
        rows = self._db.execute("SELECT id, name, starts_at, kind, source_format FROM events WHERE workspace_id = ? ORDER BY id", (workspace_id,))
        return [Event(r[0], r[1], _dt(r[2]), r[3], r[4]) for r in rows]

    def add_event_alias(self, workspace_id: str, alias: str, event_id: str) -> None:
        self._db.execute(
            "INSERT INTO event_aliases VALUES (?, ?, ?) ON CONFLICT (workspace_id, alias) DO UPDATE SET event_id = excluded.event_id",
            (workspace_id, alias, event_id),
        )
        self._db.execute("UPDATE event_aliases SET event_id = ? WHERE workspace_id = ? AND event_id = ?", (event_id, workspace_id, alias))

    def remove_event_alias(self, workspace_id: str, alias: str) -> None:
        self._db.execute("DELETE FROM event_aliases WHERE workspace_id = ? AND alias = ?", (workspace_id, alias))

    def event_aliases(self, workspace_id: str) -> dict[str, str]:
        return dict(self._db.execute("SELECT alias, event_id FROM event_aliases WHERE workspace_id = ?", (workspace_id,)).fetchall())

    # intro requests (graphsvc/intro_requests.py) -------------------------------------------------------
    _INTRO_COLUMNS = "id, idempotency_key, requester_id, connector_id, target_id, state, created_at, updated_at, transitions, path"

    def _intro_requests(self, where: str, args: tuple) -> list[IntroRequest]:
        names = self._INTRO_COLUMNS.split(", ")
        rows = self._db.execute(f"SELECT {self._INTRO_COLUMNS} FROM intro_requests WHERE {where} ORDER BY created_at DESC, id", args)
        return [intro_request(dict(zip(names, row))) for row in rows]

    def add_intro_request(self, workspace_id: str, request: IntroRequest) -> IntroRequest:
        with self.atomic():
            cur = self._db.execute(
                "INSERT OR IGNORE INTO intro_requests VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (workspace_id, request.id, request.idempotency_key, request.requester_id, request.connector_id, request.target_id,
                 request.state.value, _ts(request.created_at), _ts(request.updated_at), len(request.transitions),
                 transitions_json(request), path_json(request)),
            )
            if cur.rowcount:
                self._bump(workspace_id, evidence_from=NO_EVIDENCE_CHANGE)
            return self._intro_requests("workspace_id = ? AND idempotency_key = ?", (workspace_id, request.idempotency_key))[0]

    def get_intro_request(self, workspace_id: str, request_id: str) -> IntroRequest | None:
        found = self._intro_requests("workspace_id = ? AND id = ?", (workspace_id, request_id))
        return found[0] if found else None

    def intro_requests(self, workspace_id: str) -> list[IntroRequest]:
        return self._intro_requests("workspace_id = ?", (workspace_id,))

    def save_intro_request(self, workspace_id: str, request: IntroRequest, steps_before: int) -> bool:
        with self.atomic():
            cur = self._db.execute(
                "UPDATE intro_requests SET state = ?, updated_at = ?, steps = ?, transitions = ? "
                "WHERE workspace_id = ? AND id = ? AND steps = ?",
                (request.state.value, _ts(request.updated_at), len(request.transitions), transitions_json(request),
                 workspace_id, request.id, steps_before),
            )
            if cur.rowcount:
                self._bump(workspace_id, evidence_from=NO_EVIDENCE_CHANGE)
            return bool(cur.rowcount)
