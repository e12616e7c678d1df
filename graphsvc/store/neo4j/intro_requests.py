"""Intro requests (``graphsvc/intro_requests.py``): ``(:IntroRequest)`` nodes, written directly
(a user's decisions, never part of an import batch). Every write that changes a request moves
the workspace's data version, as on SQLite. The ``ASKED`` relationships and the connector on
``INTRODUCED`` are the projection's (``graphsvc/projection/intro_requests.py``)."""

from __future__ import annotations

from typing import Any

from graphsvc.model import IntroRequest
from graphsvc.store.intro_rows import intro_request, path_json, transitions_json
from graphsvc.store.neo4j.connection import _guarded

_RETURN = (
    "r {id: r.id, idempotency_key: r.idempotencyKey, requester_id: r.requester, connector_id: r.connector, "
    "target_id: r.target, state: r.state, created_at: r.createdAt, updated_at: r.updatedAt, "
    "transitions: r.transitions, path: r.path} AS r"
)
_BUMP = (
    "WITH r, changed OPTIONAL MATCH (w:Workspace {id: $ws}) "
    "FOREACH (_ IN CASE WHEN changed AND w IS NOT NULL THEN [1] ELSE [] END | SET w.dataVersion = coalesce(w.dataVersion, 0) + 1) "
)


class _IntroRequests:
    """Mixed into ``Neo4jStore``."""

    _driver: Any
    database: str

    def _write_intro(self, query: str, **params: Any) -> list[dict[str, Any]]:
        records, _, _ = self._driver.execute_query(query, params, database_=self.database)
        return [r.data() for r in records]

    @_guarded
    def add_intro_request(self, workspace_id: str, request: IntroRequest) -> IntroRequest:
        props = {
            "id": request.id, "requester": request.requester_id, "connector": request.connector_id,
            "target": request.target_id, "state": request.state.value, "createdAt": request.created_at.isoformat(),
            "updatedAt": request.updated_at.isoformat(), "steps": len(request.transitions),
            "transitions": transitions_json(request), "path": path_json(request),
        }
        rows = self._write_intro(
            "MERGE (r:IntroRequest {workspace: $ws, idempotencyKey: $key}) "
            "ON CREATE SET r += $props, r.fresh = true "
            "WITH r, coalesce(r.fresh, false) AS changed REMOVE r.fresh " + _BUMP + "RETURN " + _RETURN,
            ws=workspace_id, key=request.idempotency_key, props=props,
        )
        return intro_request(rows[0]["r"])

    @_guarded
    def get_intro_request(self, workspace_id: str, request_id: str) -> IntroRequest | None:
        rows = self._read(f"MATCH (r:IntroRequest {{workspace: $ws, id: $id}}) RETURN {_RETURN}", ws=workspace_id, id=request_id)
        return intro_request(rows[0]["r"]) if rows else None

    @_guarded
    def intro_requests(self, workspace_id: str) -> list[IntroRequest]:
        rows = self._read(f"MATCH (r:IntroRequest {{workspace: $ws}}) WHERE r.id IS NOT NULL RETURN {_RETURN}", ws=workspace_id)
        found = [intro_request(row["r"]) for row in rows]
        found.sort(key=lambda q: q.id)
        found.sort(key=lambda q: q.created_at, reverse=True)  # SQLite's ORDER BY created_at DESC, id
        return found

    @_guarded
    def save_intro_request(self, workspace_id: str, request: IntroRequest, steps_before: int) -> bool:
        rows = self._write_intro(
            "MATCH (r:IntroRequest {workspace: $ws, id: $id}) WHERE r.steps = $before "
            "SET r.state = $state, r.updatedAt = $updated, r.steps = $steps, r.transitions = $transitions "
            "WITH r, true AS changed " + _BUMP + "RETURN count(r) AS n",
            ws=workspace_id, id=request.id, before=steps_before, state=request.state.value,
            updated=request.updated_at.isoformat(), steps=len(request.transitions), transitions=transitions_json(request),
        )
        return bool(rows and rows[0]["n"])
