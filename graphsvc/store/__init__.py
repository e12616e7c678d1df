"""Stores: one protocol (``protocol.Store``), an embedded SQLite implementation and Neo4j.

``GRAPHSVC_STORE`` picks one: ``sqlite:///path/to/file.db`` (the default, under the data
directory) or ``neo4j://user:password@host:7687`` (also ``bolt://``, ``neo4j+s://``, ...).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graphsvc.settings import Settings
from graphsvc.store.protocol import Store
from graphsvc.store.sqlite import SQLiteStore

if TYPE_CHECKING:
    from graphsvc.store.neo4j import Neo4jStore

__all__ = ["Neo4jStore", "SQLiteStore", "Store", "open_store"]


def __getattr__(name: str) -> Any:
    # graphsvc.store.neo4j (and the neo4j driver) is loaded on demand so that
    # ``import graphsvc.store`` stays cheap and free of import cycles.
    if name == "Neo4jStore":
        from graphsvc.store.neo4j import Neo4jStore

        return Neo4jStore
    raise AttributeError(name)


def open_store(settings: Settings) -> Store:
    """The store ``GRAPHSVC_STORE`` names (the embedded SQLite file by default)."""
    if settings.store_kind() == "neo4j":
        from graphsvc.store.neo4j import Neo4jStore

        return Neo4jStore.from_settings(settings)
    return SQLiteStore(settings.sqlite_path())
