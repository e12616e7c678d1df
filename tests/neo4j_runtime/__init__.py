"""A real Neo4j 5.26 Community server for tests, assembled from Maven Central (no Docker).

Use the session fixture (``from tests.neo4j_runtime.fixture import neo4j_server``) in tests,
or :class:`Neo4jServer` directly. Details: docs/neo4j-runtime.md.
"""

from .server import (
    BROWSER_VERSION,
    NEO4J_VERSION,
    Neo4jServer,
    Neo4jStartError,
    assemble,
    cache_dir,
    is_assembled,
    neo4j_unavailable_reason,
)

__all__ = [
    "BROWSER_VERSION",
    "NEO4J_VERSION",
    "Neo4jServer",
    "Neo4jStartError",
    "assemble",
    "cache_dir",
    "is_assembled",
    "neo4j_unavailable_reason",
]
