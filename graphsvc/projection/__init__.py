"""What graphsvc computes from the evidence and writes into Neo4j: above the analytics.

The store (``graphsvc/store/``) keeps and reads the data and never imports the snapshot, the
clusters or the analytics (tests/test_layering.py). What Neo4j holds that is *derived* is
computed here and written through the store's primitives:

* ``knows.py`` — the ``KNOWS`` relationships: ``knows_ties``, ``project_knows``,
  ``project_all_knows`` (written with ``Neo4jStore.refresh_knows``);
* ``paths.py`` — intro paths computed in Cypher over ``KNOWS`` (``cypher_k_best_paths``;
  ``write_tie_graph`` for benchmarks and tests);
* ``browser.py`` — the Neo4j Browser view (communities and strength bands);
* ``sync.py`` — copying a workspace into another store (SQLite into Neo4j), then ``KNOWS``
  and the Browser view (``graphsvc neo4j sync``).

And the wiring of the rebuild after each import. The store calls its ``after_import`` hook
with the workspace id after committing a block that saved a job as ``COMPLETED``, and knows
nothing more about it. ``open_store(settings)`` — ``graphsvc.store.open_store`` plus
``install_knows_projection`` — is how the service (``Graphsvc``) and the import child process
(``graphsvc/imports/runs.py``) open their store, so on Neo4j ``KNOWS`` is rebuilt after every
completed import unless ``GRAPHSVC_NEO4J_PROJECT_KNOWS=false`` (which sets the store's
``project_knows_after_import``). A store handed to ``Graphsvc`` ready-made gets the hook
only if its opener installed it.
"""

from __future__ import annotations

from typing import Any

from graphsvc.settings import Settings
from graphsvc.store import Store
from graphsvc.store import open_store as open_bare_store

__all__ = ["install_knows_projection", "open_store", "rebuild_knows"]


def open_store(settings: Settings) -> Store:
    """The store ``settings`` name (``graphsvc.store.open_store``), on Neo4j with ``KNOWS``
    rebuilt after each completed import (``install_knows_projection``)."""
    return install_knows_projection(open_bare_store(settings))


def install_knows_projection(store: Any) -> Any:
    """Set a Neo4j store's ``after_import`` hook to ``rebuild_knows``; returns ``store``.

    Stores without ``KNOWS`` (SQLite) are returned as they are. The store's
    ``project_knows_after_import`` still switches the hook off and on."""
    if hasattr(store, "after_import") and hasattr(store, "refresh_knows"):
        store.after_import = lambda workspace_id: rebuild_knows(store, workspace_id)
    return store


def rebuild_knows(store: Any, workspace_id: str) -> int:
    """The after-import hook: the workspace's ``KNOWS`` rebuilt as of now, to the minute
    (``project_knows``, between people: merged records count as their person)."""
    # loaded when the first import completes, so opening a store (the import child process,
    # light commands) does not load the analytics
    from graphsvc.projection.knows import project_knows

    return project_knows(store, workspace_id)
