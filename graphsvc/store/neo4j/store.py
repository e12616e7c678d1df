"""``Neo4jStore``: the ``Store`` protocol on Neo4j 5, composed of one part per concern (see the
package docstring)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Callable

from neo4j import GraphDatabase
from neo4j import exceptions as neo4j_errors

from graphsvc.errors import ConfigurationError
from graphsvc.store.neo4j.blocks import _Blocks, _WsCache
from graphsvc.store.neo4j.connection import _Connection, _guarded
from graphsvc.store.neo4j.corrections import _Corrections
from graphsvc.store.neo4j.direct import _Direct
from graphsvc.store.neo4j.evidence import _Evidence
from graphsvc.store.neo4j.intro_requests import _IntroRequests
from graphsvc.store.neo4j.jobs import _Jobs
from graphsvc.store.neo4j.knows import _Knows
from graphsvc.store.neo4j.merges import _Merges
from graphsvc.store.neo4j.people import _People
from graphsvc.store.neo4j.schema import _Schema

if TYPE_CHECKING:
    from graphsvc.settings import Settings


class Neo4jStore(_Connection, _Schema, _Blocks, _People, _Evidence, _Jobs, _Merges, _Direct, _Knows, _Corrections, _IntroRequests):
    """A ``Store`` on Neo4j 5 (Community or Enterprise) through the official driver.

    ``after_import(workspace_id)`` is called after the commit of any block that saved a job of
    the workspace as ``COMPLETED`` (the last step of ``jobs._run``), while
    ``project_knows_after_import`` is true (``GRAPHSVC_NEO4J_PROJECT_KNOWS``). The store does
    not know what it does: ``graphsvc.projection.open_store`` sets it to rebuild ``KNOWS``
    (``graphsvc.projection.install_knows_projection``). A failure there is logged; the import
    is already committed.
    """

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
        after_import: Callable[[str], None] | None = None,
        apply_schema: bool = True,
    ) -> None:
        self.uri = uri
        self.user = user
        self.database = database
        self.project_knows_after_import = project_knows_after_import
        self.after_import = after_import
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
    def from_settings(cls, settings: "Settings", *, after_import: Callable[[str], None] | None = None) -> "Neo4jStore":
        target = settings.neo4j_target()
        return cls(
            target.uri, target.user, target.password, database=target.database,
            connection_timeout=settings.neo4j_connect_timeout, max_retry_time=settings.neo4j_max_retry_seconds,
            project_knows_after_import=settings.neo4j_project_knows, after_import=after_import,
        )

    @_guarded
    def _open(self, apply_schema: bool) -> None:
        self._driver.verify_connectivity()
        if apply_schema:
            self.apply_schema()

    def close(self) -> None:
        self._driver.close()
        self._caches.clear()
