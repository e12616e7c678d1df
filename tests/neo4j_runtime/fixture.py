"""Session-scoped pytest fixture ``neo4j_server``: one real Neo4j per test session.

Enable it in a conftest.py (or a test module) with::

    from tests.neo4j_runtime.fixture import neo4j_server  # noqa: F401

Rules:
* ``CI=true``: Neo4j unavailable or failing to start FAILS the requesting tests (never skips).
* elsewhere: no ``java``/``mvn`` (or Java < 17) SKIPS them with the reason; if java/mvn are there
  and Neo4j still fails to start, the tests FAIL.

The server lives in ``config.stash``, so importing the fixture in several places (conftest.py and a
test module) still starts a single JVM per session; it is stopped when the session ends.
Set ``GRAPHSVC_NEO4J_KEEP_HOME=1`` to keep the temporary home (data and logs) for debugging.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from .server import Neo4jServer, neo4j_unavailable_reason

_STATE = pytest.StashKey[dict]()


def running_in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def _session_server(config: pytest.Config) -> Neo4jServer:
    state = config.stash.setdefault(_STATE, {})
    if "server" in state:
        return state["server"]
    if "fail" in state:
        pytest.fail(state["fail"], pytrace=False)
    if "skip" in state:
        pytest.skip(state["skip"])

    reason = neo4j_unavailable_reason()
    if reason is not None:
        if running_in_ci():
            state["fail"] = f"Neo4j is required when CI=true but unavailable: {reason}"
            pytest.fail(state["fail"], pytrace=False)
        state["skip"] = f"Neo4j unavailable: {reason}"
        pytest.skip(state["skip"])

    server = Neo4jServer()
    try:
        server.start()
    except Exception as exc:  # noqa: BLE001 - reported as a test failure with the log tail
        server.stop()
        state["fail"] = f"Neo4j failed to start: {exc}"
    if "fail" in state:  # outside the except block: no chained traceback in the report
        pytest.fail(state["fail"], pytrace=False)
    state["server"] = server
    config.add_cleanup(server.stop)
    return server


@pytest.fixture(scope="session")
def neo4j_server(request: pytest.FixtureRequest) -> Iterator[Neo4jServer]:
    """A started :class:`Neo4jServer`: ``bolt_uri``, ``http_url``, ``browser_url``, ``user``,
    ``password``, ``auth`` (for ``GraphDatabase.driver``) and ``driver()``. The database is shared by
    the whole session: tests should clean up what they create or use unique labels/ids."""
    yield _session_server(request.config)
