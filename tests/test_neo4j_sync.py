"""``graphsvc neo4j sync``: the embedded store copied into Neo4j, idempotently, and the guide's
queries answering over the copy.

The Neo4j tests use the session's test server (tests/neo4j_runtime) under a workspace of their
own, deleted afterwards.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Iterator

import pytest
from typer.testing import CliRunner

from graphsvc.cli_neo4j import ASSETS_DIR, neo4j_app
from graphsvc.service import Graphsvc
from graphsvc.settings import Settings
from graphsvc.snapshot import build_snapshot
from graphsvc.projection.knows import knows_ties
from graphsvc.store.neo4j import Neo4jStore
from graphsvc.store.sqlite import SQLiteStore
from graphsvc.projection.browser import COMMUNITY_LABELS, STRENGTH_BANDS
from graphsvc.projection.sync import sync_store
from importers import ImportOptions
from tests import scenario
from tests.neo4j_runtime.fixture import neo4j_server  # noqa: F401

AS_OF = datetime.fromisoformat(scenario.AS_OF)


def import_scenario(data_dir: Path, files_dir: Path, workspace: str) -> Graphsvc:
    """A service on a fresh SQLite store holding the scenario in ``workspace``."""
    files = scenario.write_scenario(files_dir)
    service = Graphsvc(Settings(data_dir=data_dir, store="", default_workspace=workspace))
    ws = service.workspace().id
    service.import_file(ws, files["connections"], options=ImportOptions(owner=scenario.OWNER))
    service.import_file(ws, files["workshop"], options=ImportOptions(event_name="Robotics Workshop", event_date="2026-09-10", event_kind="workshop"))
    service.import_file(ws, files["conference"], options=ImportOptions(event_name="Big Tech Summit", event_date="2026-09-20", event_kind="conference"))
    return service


def delete_workspace(server: Any, workspace_id: str) -> None:
    with server.driver() as driver:
        driver.execute_query("MATCH (n) WHERE n.workspace = $ws DETACH DELETE n", ws=workspace_id)
        driver.execute_query("MATCH (w:Workspace {id: $ws}) DETACH DELETE w", ws=workspace_id)


def workspace_census(server: Any, workspace_id: str) -> dict[str, int]:
    """Nodes per label and relationships per type (with their properties hashed) of a workspace."""
    with server.driver() as driver:
        nodes, _, _ = driver.execute_query(
            "MATCH (n) WHERE n.workspace = $ws UNWIND labels(n) AS label RETURN label, count(*) AS n", ws=workspace_id
        )
        rels, _, _ = driver.execute_query(
            "MATCH ()-[r]->() WHERE r.workspace = $ws RETURN type(r) AS type, count(*) AS n", ws=workspace_id
        )
    return {f":{r['label']}": r["n"] for r in nodes} | {f"-{r['type']}-": r["n"] for r in rels}


@pytest.fixture
def scenario_service(tmp_path: Path) -> Iterator[Graphsvc]:
    service = import_scenario(tmp_path / "data", tmp_path / "files", f"sync-{uuid.uuid4().hex[:8]}")
    yield service
    service.close()


@pytest.fixture
def neo4j_target(neo4j_server, scenario_service: Graphsvc) -> Iterator[Neo4jStore]:  # noqa: F811 - the fixture
    store = Neo4jStore(neo4j_server.bolt_uri, neo4j_server.user, neo4j_server.password)
    try:
        yield store
    finally:
        ws = store.workspace(scenario_service.settings.default_workspace).id
        store.close()
        delete_workspace(neo4j_server, ws)


# --------------------------------------------------------------------------------------------
# without Neo4j: the copy through the Store protocol


def test_sync_into_another_sqlite_store_copies_everything_once(scenario_service: Graphsvc, tmp_path: Path) -> None:
    source = scenario_service.store
    name = scenario_service.settings.default_workspace
    target = SQLiteStore(tmp_path / "copy.db")
    try:
        stages: set[str] = set()
        report = sync_store(source, target, name, lambda stage, done, total: stages.add(stage))
        assert report.changed and report.knows is None and report.view is None  # SQLite: no projection
        assert stages == {"jobs", "people", "members", "evidence"}
        src, dst = source.workspace(name).id, target.workspace(name).id
        assert report.people == report.people_added == source.count_people(src, None) == target.count_people(dst, None) == 811
        assert report.evidence == report.evidence_added == source.count_evidence(src) == target.count_evidence(dst)
        assert sorted(e.id for e in target.iter_evidence(dst)) == sorted(e.id for e in source.iter_evidence(src))
        assert target.member_ids(dst) == source.member_ids(src)
        assert [j.id for j in target.list_jobs(dst)] == [j.id for j in source.list_jobs(src)]
        for job in source.list_jobs(src):
            assert target.rejects(job.id) == source.rejects(job.id)
        ada = scenario_service.find_person(src, "Ada Quinn").person
        assert ada is not None
        assert target.keys_of(dst, ada.id) == source.keys_of(src, ada.id)
        assert target.sightings(dst, ada.id) == source.sightings(src, ada.id)
        assert target.get_people(dst, [ada.id])[ada.id] == ada

        version = target.data_version(dst)
        again = sync_store(source, target, name)
        assert not again.changed, again
        assert target.data_version(dst) == version
        assert again.people == 811 and again.evidence == report.evidence
    finally:
        target.close()


# --------------------------------------------------------------------------------------------
# into Neo4j


@pytest.mark.neo4j
def test_sync_into_neo4j_gives_the_same_graph_and_knows_ties(neo4j_server, scenario_service: Graphsvc, neo4j_target: Neo4jStore) -> None:  # noqa: F811
    source = scenario_service.store
    name = scenario_service.settings.default_workspace
    report = sync_store(source, neo4j_target, name, as_of=AS_OF)
    src, dst = source.workspace(name).id, neo4j_target.workspace(name).id
    assert dst == report.target_workspace_id

    # the same people, evidence, members, jobs and rejects
    assert neo4j_target.count_people(dst, None) == source.count_people(src, None) == 811
    assert neo4j_target.count_evidence(dst) == source.count_evidence(src) == report.evidence_added
    assert sorted(e.id for e in neo4j_target.iter_evidence(dst)) == sorted(e.id for e in source.iter_evidence(src))
    assert neo4j_target.member_ids(dst) == source.member_ids(src)
    assert {j.id for j in neo4j_target.list_jobs(dst)} == {j.id for j in source.list_jobs(src)}
    for job in source.list_jobs(src):
        assert neo4j_target.rejects(job.id) == source.rejects(job.id)
    tara = scenario_service.find_person(src, "Tara Voss").person
    assert tara is not None and neo4j_target.keys_of(dst, tara.id) == source.keys_of(src, tara.id)
    events = {e.event_id for e in source.iter_evidence(src) if e.event_id}
    assert {e.name for e in neo4j_target.get_events(dst, events).values()} == {"Robotics Workshop", "Big Tech Summit"}

    # KNOWS: exactly the warm ties graphsvc computes from the SQLite evidence at the same as_of
    expected = knows_ties(build_snapshot(source, src), AS_OF)
    stored = neo4j_target.knows(dst)
    assert report.knows == len(stored) == len(expected) > 0
    assert [(k["a"], k["b"]) for k in stored] == [(a, b) for a, b, *_ in expected]
    for row, (_, _, strength, level, _, _) in zip(stored, expected):
        assert row["strength"] == pytest.approx(strength) and row["level"] == level

    # the Browser view: one strength band beside every KNOWS, community labels
    census = workspace_census(neo4j_server, dst)
    assert sum(census.get(f"-{band}-", 0) for band, _ in STRENGTH_BANDS) == census["-KNOWS-"] == len(stored)
    assert report.view is not None and report.view.communities >= 1
    assert 0 < sum(census.get(f":Community{n}", 0) for n in range(1, COMMUNITY_LABELS + 1)) == report.view.people_labelled
    assert census[":Member"] == 1 and census[":Event"] == 2

    # a second sync finds everything in place: nothing written, the same graph
    version = neo4j_target.data_version(dst)
    again = sync_store(source, neo4j_target, name, as_of=AS_OF)
    assert not again.changed, again.summary()
    assert neo4j_target.data_version(dst) == version
    assert workspace_census(neo4j_server, dst) == census
    assert neo4j_target.knows(dst) == stored


# --------------------------------------------------------------------------------------------
# the guide's queries over the synced scenario


class _GuideQueries(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.queries: dict[str, str] = {}
        self._current: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "pre" and "runnable" in (attributes.get("class") or "").split():
            self._current = attributes.get("data-guide-query") or f"query{len(self.queries)}"
            self.queries[self._current] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self._current = None

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self.queries[self._current] += data


def guide_queries() -> dict[str, str]:
    parser = _GuideQueries()
    parser.feed((ASSETS_DIR / "guide.html").read_text(encoding="utf-8"))
    return {name: text.strip() for name, text in parser.queries.items()}


def test_the_guide_has_the_ready_queries_each_scoped_by_workspace() -> None:
    queries = guide_queries()
    for name in ("workspace", "my-network", "target", "intro-paths", "neglected", "brokers", "event", "attendees", "style"):
        assert name in queries, sorted(queries)
    cypher = {n: q for n, q in queries.items() if not q.startswith(":")}
    for name, query in cypher.items():
        if name not in ("workspaces", "schema"):
            assert "MATCH (w:Workspace {name: $workspace})" in query, name
            assert "w.id" in query, name
    assert "KNOWS*1..3" in queries["intro-paths"] and "s * k.strength" in queries["intro-paths"]
    assert "lastContact" in queries["neglected"] and "strength >=" in queries["neglected"]


def _params(queries: dict[str, str]) -> dict[str, str]:
    params = {}
    for query in queries.values():
        match = re.fullmatch(r":param (\w+) => '([^']*)'", query)
        if match:
            params[match.group(1)] = match.group(2)
    return params


@pytest.mark.neo4j
def test_the_guide_queries_answer_over_the_synced_scenario(neo4j_server, scenario_service: Graphsvc, neo4j_target: Neo4jStore) -> None:  # noqa: F811
    name = scenario_service.settings.default_workspace
    sync_store(scenario_service.store, neo4j_target, name, as_of=AS_OF)
    queries = guide_queries()
    params = _params(queries) | {"workspace": name}
    assert params == {"workspace": name, "target": "Tara Voss", "event": "Robotics Workshop"}

    def run(query_name: str) -> list[dict[str, Any]]:
        with neo4j_server.driver() as driver:
            records, _, _ = driver.execute_query(queries[query_name], params)
        return [r.data() for r in records]

    mine = run("my-network")
    assert {r["p"]["name"] for r in mine} == {"Ada Quinn", "Bruno Silva", "Cleo Park"}
    assert {r["me"]["name"] for r in mine} == {scenario.OWNER}

    paths = run("intro-paths")
    best = paths[0]
    assert best["chain"] == [scenario.OWNER, "Ada Quinn", "Tara Voss"]
    assert len({tuple(r["chain"]) for r in paths}) == 3  # the three best chains, best first
    assert best["pathStrength"] == max(r["pathStrength"] for r in paths)

    neglected = run("neglected")  # LinkedIn connections of 2023-2025, never contacted since
    assert {r["name"] for r in neglected} >= {"Ada Quinn", "Cleo Park"}
    assert all(r["quietDays"] >= 180 and r["strength"] >= 0.3 for r in neglected)

    brokers = run("brokers")
    assert brokers[0]["broker"] == "Ada Quinn"  # the only link between Olivia and the workshop

    attendees = run("attendees")
    assert {r["e"]["name"] for r in attendees} == {"Robotics Workshop"}
    assert len({r["p"]["name"] for r in attendees}) == 10
    assert "Tara Voss" in {r["p"]["name"] for r in attendees}

    for query_name in ("workspaces", "schema"):
        run(query_name)


# --------------------------------------------------------------------------------------------
# the CLI


@pytest.mark.neo4j
def test_cli_sync_then_browse(neo4j_server, scenario_service: Graphsvc, neo4j_target: Neo4jStore, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    name = scenario_service.settings.default_workspace
    monkeypatch.setenv("GRAPHSVC_DATA_DIR", str(scenario_service.settings.data_dir))
    monkeypatch.delenv("GRAPHSVC_STORE", raising=False)
    monkeypatch.delenv("GRAPHSVC_NEO4J_URI", raising=False)
    monkeypatch.setenv("GRAPHSVC_NEO4J_PASSWORD", neo4j_server.password)
    runner = CliRunner()
    args = ["sync", "--uri", neo4j_server.bolt_uri, "--workspace", name, "--as-of", scenario.AS_OF, "--json"]
    first = runner.invoke(neo4j_app, args)
    assert first.exit_code == 0, first.output
    report = json.loads(first.stdout)
    assert report["changed"] and report["people_added"] == 811 and report["knows"] > 0
    second = runner.invoke(neo4j_app, args)
    assert second.exit_code == 0, second.output
    assert json.loads(second.stdout)["changed"] is False
    view = runner.invoke(neo4j_app, ["view", "--uri", neo4j_server.bolt_uri, "--workspace", name])
    assert view.exit_code == 0, view.output
    assert re.search(r"Browser view of '.+': \d+ communities \(\d+ people labelled\); KNOWS_STRONG \d+, KNOWS_MEDIUM \d+", view.stdout)

    shown = runner.invoke(neo4j_app, ["browse", "--uri", neo4j_server.bolt_uri, "--http", neo4j_server.http_url])
    assert shown.exit_code == 0, shown.output
    host_port = neo4j_server.bolt_uri.split("//")[1]
    assert f"{neo4j_server.http_url}/browser/?dbms=bolt://neo4j@{host_port}&preselectAuthMethod=NATIVE" in shown.stdout
    assert ":style http://localhost:8000/neo4j/style.grass" in shown.stdout
    assert ":play http://localhost:8000/neo4j/guide.html" in shown.stdout
    assert neo4j_server.password not in shown.stdout


def test_cli_sync_without_a_neo4j_server_named_says_how(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRAPHSVC_DATA_DIR", str(tmp_path))
    for var in ("GRAPHSVC_STORE", "GRAPHSVC_NEO4J_URI"):
        monkeypatch.delenv(var, raising=False)
    result = CliRunner().invoke(neo4j_app, ["sync"])
    assert result.exit_code == 2 and "--uri" in result.output
    missing = CliRunner().invoke(neo4j_app, ["sync", "--uri", "neo4j://localhost:7687"])
    assert missing.exit_code == 2 and "no embedded store" in missing.output
    wrong = CliRunner().invoke(neo4j_app, ["sync", "--uri", "http://neo4j:secret-pw@localhost:7474"])
    assert wrong.exit_code == 2 and "not a Neo4j URL" in wrong.output and "secret-pw" not in wrong.output
