"""Intro requests on both stores: the store calls (idempotent creation, compare-and-set updates,
workspace isolation, data versions) give the same answers on SQLite and on a real Neo4j; the
whole flow runs on Neo4j, where the projection writes ``ASKED`` and the connector on
``INTRODUCED``, as the Browser guide's "Who introduced whom" page reads them."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest

from graphsvc.intro_requests import advance, new_request
from graphsvc.model import IntroState
from graphsvc.projection import install_knows_projection
from graphsvc.projection.intro_requests import project_intro_requests
from graphsvc.service import Graphsvc
from graphsvc.settings import Settings
from graphsvc.store import SQLiteStore
from graphsvc.store.neo4j import Neo4jStore
from tests.community import build_community
from tests.neo4j_runtime.fixture import neo4j_server  # noqa: F401
from tests.neo4j_runtime.server import Neo4jServer

S = IntroState
T0 = datetime(2026, 11, 2, 9, 30, tzinfo=timezone.utc)
GUIDE = Path(__file__).resolve().parents[1] / "schema" / "neo4j" / "guide.html"


@pytest.fixture(scope="module")
def neo4j_store(neo4j_server: Neo4jServer) -> Iterator[Neo4jStore]:  # noqa: F811
    store = install_knows_projection(Neo4jStore(neo4j_server.bolt_uri, neo4j_server.user, neo4j_server.password, max_retry_time=0.5))
    yield store
    store.close()


@pytest.fixture(params=["sqlite", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    if request.param == "sqlite":
        sqlite = SQLiteStore(tmp_path / "intro.db")
        yield sqlite
        sqlite.close()
    else:
        yield request.getfixturevalue("neo4j_store")


def fresh(store: Any) -> str:
    return store.workspace(f"intro-{uuid.uuid4().hex[:12]}").id


def test_creation_is_idempotent_by_key_and_bumps_the_data_version(store: Any) -> None:
    ws = fresh(store)
    request = new_request(ws, "client:k1", "p_a", "p_b", "p_c", {"path": {"hops": []}, "shared": ["x"]}, T0)
    version = store.data_version(ws)
    assert store.add_intro_request(ws, request) == request
    assert store.data_version(ws) == version + 1
    retried = new_request(ws, "client:k1", "p_a", "p_b", "p_c", {}, T0 + timedelta(seconds=5))
    assert store.add_intro_request(ws, retried) == request  # the stored one, unchanged
    assert store.data_version(ws) == version + 1
    assert store.intro_requests(ws) == [request] and store.get_intro_request(ws, request.id) == request


def test_updates_are_compare_and_set(store: Any) -> None:
    ws = fresh(store)
    request = store.add_intro_request(ws, new_request(ws, "k", "p_a", "p_b", "p_c", {}, T0))
    asked = advance(request, S.ASKED_CONNECTOR, T0 + timedelta(hours=1), note="by email")
    assert store.save_intro_request(ws, asked, 1) is True
    assert store.save_intro_request(ws, advance(request, S.WITHDRAWN, T0 + timedelta(hours=2)), 1) is False
    stored = store.get_intro_request(ws, request.id)
    assert stored == asked and stored.transitions[-1].note == "by email"


def test_requests_are_listed_newest_first_and_never_across_workspaces(store: Any) -> None:
    ws, other = fresh(store), fresh(store)
    older = store.add_intro_request(ws, new_request(ws, "k1", "p_a", "p_b", "p_c", {}, T0))
    newer = store.add_intro_request(ws, new_request(ws, "k2", "p_a", "p_b", "p_d", {}, T0 + timedelta(days=1)))
    assert [r.id for r in store.intro_requests(ws)] == [newer.id, older.id]
    assert store.intro_requests(other) == [] and store.get_intro_request(other, older.id) is None
    assert store.save_intro_request(other, advance(older, S.WITHDRAWN, T0 + timedelta(days=2)), 1) is False
    # the same key in another workspace is another request
    theirs = store.add_intro_request(other, new_request(other, "k1", "p_a", "p_b", "p_c", {}, T0))
    assert theirs.id != older.id and store.get_intro_request(ws, older.id).state is S.DRAFTED


# the whole flow on Neo4j -------------------------------------------------------------------------------
@pytest.mark.neo4j
def test_the_flow_on_neo4j_writes_asked_and_who_introduced_whom(neo4j_store: Neo4jStore, tmp_path: Path) -> None:
    service = Graphsvc(Settings(data_dir=tmp_path / "data", store=""), store=neo4j_store)
    ws = service.workspace(f"intro-flow-{uuid.uuid4().hex[:12]}").id
    ids = build_community(service.store, ws)
    maya, sol, tina = ids["maya"], ids["Sol Single"], ids["Tina Target"]
    request = service.request_intro(ws, "Tina Target")
    assert (request.requester_id, request.connector_id, request.target_id) == (maya, sol, tina)
    assert service.request_intro(ws, "Tina Target").id == request.id and len(service.intro_requests(ws)) == 1
    assert service.view(ws).tie(maya, tina) is None
    for state in ("asked_connector", "connector_agreed", "target_opted_in", "introduced"):
        service.update_intro_request(ws, request.id, state)
    tie = service.view(ws).tie(maya, tina)
    assert tie is not None and {c.kind: c.value for c in tie.contributions}["interactions"] == pytest.approx(0.2745, abs=0.0005)

    def rows(query: str) -> list[dict[str, Any]]:
        records, _, _ = neo4j_store._driver.execute_query(query, {"ws": ws}, database_=neo4j_store.database)
        return [r.data() for r in records]

    asked = rows("MATCH (r:Person {workspace: $ws})-[a:ASKED]->(c:Person) RETURN r.id AS r, c.id AS c, a.state AS state, a.targetName AS t")
    assert asked == [{"r": maya, "c": sol, "state": "introduced", "t": "Tina Target"}]
    introduced = rows(
        "MATCH (r:Person {workspace: $ws})-[i:INTRODUCED]->(t:Person) WHERE i.request IS NOT NULL "
        "RETURN r.id AS r, t.id AS t, i.by AS by, i.byName AS byName, i.request AS request"
    )
    assert introduced == [{"r": maya, "t": tina, "by": sol, "byName": "Sol Single", "request": request.id}]
    # the guide's table query answers "who introduced whom"
    guide = GUIDE.read_text(encoding="utf-8")
    query = guide.split('data-guide-query="introduced-table">', 1)[1].split("</pre>", 1)[0].replace("&gt;", ">")
    records, _, _ = neo4j_store._driver.execute_query(
        query, {"workspace": neo4j_store._read("MATCH (w:Workspace {id: $ws}) RETURN w.name AS n", ws=ws)[0]["n"]},
        database_=neo4j_store.database,
    )
    assert [(r["connector"], r["introduced"], r["to"]) for r in records] == [("Sol Single", "Maya Lindqvist", "Tina Target")]
    # the extra properties never change what the evidence says
    kinds = sorted(e.kind.value for e in service.store.iter_evidence(ws) if e.job_id == "intro-request")
    assert kinds == ["introduction"]
    service.update_intro_request(ws, request.id, "met")
    assert rows("MATCH ()-[a:ASKED {workspace: $ws}]->() RETURN a.state AS s") == [{"s": "met"}]
    assert project_intro_requests(neo4j_store, ws) == 1  # idempotent: still one ASKED
    assert len(rows("MATCH ()-[a:ASKED {workspace: $ws}]->() RETURN a")) == 1


@pytest.mark.neo4j
def test_budgets_and_follow_ups_on_neo4j(neo4j_store: Neo4jStore, tmp_path: Path) -> None:
    from graphsvc import intro_service

    service = Graphsvc(Settings(data_dir=tmp_path / "data", store=""), store=neo4j_store)
    ws = service.workspace(f"intro-budget-{uuid.uuid4().hex[:12]}").id
    ids = build_community(service.store, ws)
    for _ in range(2):
        request = service.request_intro(ws, "Tara Weak")
        assert request.connector_id == ids["Lukas Link"]
        service.update_intro_request(ws, request.id, "asked_connector")
        asked_at = service.intro_request(ws, request.id).updated_at
        due = [f for f in service.follow_ups(ws, as_of=asked_at + timedelta(days=7)) if f.request_id == request.id]
        assert [f.kind for f in due] == ["ASK_UNANSWERED"]
        service.update_intro_request(ws, request.id, "connector_declined")
    assert intro_service.budget_of(service, ws, ids["Lukas Link"]).exhausted
    paths = service.intro_paths(ws, "Tara Weak").paths
    assert paths[0].hops[0].target.id != ids["Lukas Link"]
    assert any("ask budget is spent" in p.advice for p in paths)


@pytest.mark.neo4j
def test_sync_copies_intro_requests_into_neo4j_and_projects_them(neo4j_store: Neo4jStore, tmp_path: Path) -> None:
    from graphsvc.projection.sync import sync_store

    service = Graphsvc(Settings(data_dir=tmp_path / "data", store=""))
    name = f"intro-sync-{uuid.uuid4().hex[:12]}"
    ws = service.workspace(name).id
    ids = build_community(service.store, ws)
    request = service.request_intro(ws, "Tina Target")
    for state in ("asked_connector", "connector_agreed", "target_opted_in", "introduced"):
        service.update_intro_request(ws, request.id, state)
    report = sync_store(service.raw_store, neo4j_store, name, browser_view=False)
    assert (report.intro_requests, report.intro_requests_added) == (1, 1)
    dst = neo4j_store.workspace(name).id
    copied = neo4j_store.get_intro_request(dst, request.id)
    assert copied is not None and copied.state is S.INTRODUCED and copied.transitions == service.intro_request(ws, request.id).transitions
    records, _, _ = neo4j_store._driver.execute_query(
        "MATCH (r:Person {workspace: $ws})-[i:INTRODUCED]->(t:Person) WHERE i.request IS NOT NULL RETURN i.byName AS by, t.id AS t",
        {"ws": dst}, database_=neo4j_store.database,
    )
    assert [(r["by"], r["t"]) for r in records] == [("Sol Single", ids["Tina Target"])]
    service.update_intro_request(ws, request.id, "met")
    again = sync_store(service.raw_store, neo4j_store, name, browser_view=False)
    assert again.intro_requests_updated == 1 and neo4j_store.get_intro_request(dst, request.id).state is S.MET
    assert not sync_store(service.raw_store, neo4j_store, name, project=False).changed  # nothing left to copy
    service.close()
