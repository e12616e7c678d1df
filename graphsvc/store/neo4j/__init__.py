"""The Neo4j store: the same ``Store`` protocol as ``SQLiteStore``, on a Neo4j 5 server.

The graph is made for exploring in Neo4j Browser (schema/neo4j/model.md):
``(:Person)``, ``(:Organization)``, ``(:Event)``, ``(:Person)-[:WORKS_AT]->(:Organization)``,
``(:Person)-[:ATTENDED]->(:Event)``, one relationship type per evidence kind
(``CONNECTED``, ``MESSAGED``, ...), provenance ``(:Person)-[:SEEN_IN]->(:ImportJob)``, and the
derived ``(:Person)-[:KNOWS {strength, level, lastContact, channels}]->(:Person)`` (written by
``refresh_knows``; computed above the analytics by ``graphsvc.projection.knows``, which
``graphsvc.projection.open_store`` runs after each import through the store's ``after_import``
hook). Every node and relationship carries ``workspace`` and every query filters on it; keys
are unique per workspace (schema/neo4j/constraints.cypher, applied idempotently when the
store opens).

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

One module per concern, mixed into ``Neo4jStore`` (``store.py``):

* ``connection.py`` — driver failures to ``StoreUnavailable`` (``_guarded``), sessions, reads;
* ``schema.py`` — constraints and indexes (``schema/neo4j/constraints.cypher``);
* ``blocks.py`` — ``atomic()`` blocks, the flush, the workspace cache, the after-import hook;
* ``cypher.py`` — relationship types (``EVIDENCE_TYPES``) and the write statements;
* ``rows.py`` — values to and from Cypher rows;
* ``people.py`` — workspaces, members, people, identity keys, sightings;
* ``evidence.py`` — events and evidence;
* ``jobs.py`` — import jobs and rejects;
* ``merges.py`` — merges, distinct pairs, duplicate-detection blocks;
* ``direct.py`` — tags, API tokens, do-not-ask, forgetting (written directly, never batched);
* ``knows.py`` — writing and reading the derived ``KNOWS`` (``refresh_knows``, ``knows``);
* ``intro_requests.py`` — intro requests as ``(:IntroRequest)`` nodes (written directly).

Nothing here imports the snapshot, clusters, analytics or the service (tests/test_layering.py).
"""

from graphsvc.store.neo4j.blocks import CACHE_AFTER_LOOKUPS
from graphsvc.store.neo4j.connection import StoreConflict
from graphsvc.store.neo4j.cypher import EVIDENCE_TYPES, KIND_OF_TYPE
from graphsvc.store.neo4j.rows import CHUNK_ROWS, sort_key
from graphsvc.store.neo4j.schema import SCHEMA_FILE, schema_statements
from graphsvc.store.neo4j.store import Neo4jStore

__all__ = [
    "CACHE_AFTER_LOOKUPS",
    "CHUNK_ROWS",
    "EVIDENCE_TYPES",
    "KIND_OF_TYPE",
    "SCHEMA_FILE",
    "Neo4jStore",
    "StoreConflict",
    "schema_statements",
    "sort_key",
]
