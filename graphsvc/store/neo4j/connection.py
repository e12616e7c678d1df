"""The driver side: failures translated into ``StoreUnavailable`` / ``ConfigurationError``
(``_guarded``), sessions with causal consistency, and reads."""

from __future__ import annotations

import functools
from typing import Any, Callable, TypeVar

from neo4j import READ_ACCESS, WRITE_ACCESS
from neo4j import exceptions as neo4j_errors

from graphsvc.errors import ConfigurationError, GraphsvcError, StoreUnavailable

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



class _Connection:
    """Errors, sessions and reads (mixed into ``Neo4jStore``)."""

    _driver: Any
    uri: str
    user: str
    database: str

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


    @_guarded
    def _guarded_call(self, fn: Callable[[], Any]) -> Any:
        return fn()
