"""Stores: one protocol (``protocol.Store``), an embedded SQLite implementation, Neo4j later."""

from __future__ import annotations

from graphsvc.settings import Settings
from graphsvc.store.protocol import Store
from graphsvc.store.sqlite import SQLiteStore

__all__ = ["SQLiteStore", "Store", "open_store"]


def open_store(settings: Settings) -> Store:
    """The store ``GRAPHSVC_STORE`` names (the embedded SQLite file by default)."""
    return SQLiteStore(settings.sqlite_path())
