"""Intro requests in Neo4j, for Browser: who asked whom, and who introduced whom.

For each request sent to its connector, ``(requester)-[:ASKED {request, state, askedAt,
updatedAt, target, targetName}]->(connector)`` (kept up to date with the request's state); for
one that led to an introduction, the ``INTRODUCED`` evidence it wrote between requester and
target (``graphsvc/intro_requests.py``: ``outcome_evidence``) gets ``request``, ``by`` and
``byName``: the connector who made it. Written by the service after every change of a request
on a Neo4j store (``graphsvc/intro_service.py``), and for every request by
``project_intro_requests`` (``graphsvc neo4j sync``). The Browser guide's "Who introduced
whom" page (schema/neo4j/guide.html) reads them.
"""

from __future__ import annotations

from typing import Any

from graphsvc.intro_requests import outcome_evidence
from graphsvc.model import IntroRequest, IntroState
from graphsvc.projection.browser import _execute_write

__all__ = ["project_intro_request", "project_intro_requests"]

_ASKED = """
MATCH (r:Person {workspace: $ws, id: $requester}), (c:Person {workspace: $ws, id: $connector})
MERGE (r)-[a:ASKED {workspace: $ws, request: $request}]->(c)
SET a.state = $state, a.askedAt = $asked, a.updatedAt = $updated, a.target = $target,
    a.targetName = $targetName
"""
_INTRODUCED = """
MATCH (:Person {workspace: $ws})-[i:INTRODUCED {workspace: $ws, id: $evidence}]->(:Person {workspace: $ws})
SET i.request = $request, i.by = $connector, i.byName = $connectorName
"""


def _work(store: Any, workspace_id: str, requests: list[IntroRequest]) -> Any:
    people = store.get_people(workspace_id, {p for r in requests for p in (r.connector_id, r.target_id)})

    def name(pid: str) -> str:
        return people[pid].display_name if pid in people else pid

    def work(tx: Any) -> int:
        written = 0
        for request in requests:
            asked = request.entered(IntroState.ASKED_CONNECTOR)
            if asked is None:
                continue
            params = {
                "ws": workspace_id, "request": request.id, "requester": request.requester_id, "connector": request.connector_id,
                "target": request.target_id, "state": request.state.value, "asked": asked.isoformat(),
                "updated": request.updated_at.isoformat(), "targetName": name(request.target_id),
                "connectorName": name(request.connector_id),
            }
            tx.run(_ASKED, params).consume()
            introduced = request.entered(IntroState.INTRODUCED)
            if introduced is not None:
                evidence = outcome_evidence(workspace_id, request, IntroState.INTRODUCED, introduced)
                tx.run(_INTRODUCED, {**params, "evidence": evidence.id}).consume()  # type: ignore[union-attr]
            written += 1
        return written

    return work


def project_intro_request(store: Any, workspace_id: str, request: IntroRequest) -> int:
    """Write one request's ``ASKED`` (and the connector on its ``INTRODUCED``); 1 if written."""
    return _execute_write(store, _work(store, workspace_id, [request]))


def project_intro_requests(store: Any, workspace_id: str) -> int:
    """Write every request of the workspace (idempotent); how many were sent to their connector."""
    return _execute_write(store, _work(store, workspace_id, store.intro_requests(workspace_id)))
