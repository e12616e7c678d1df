"""Issue 15 items 3 and 4: events you can correct, imports you can undo (graphsvc/imports/corrections.py),
on both stores, through the CLI and GraphQL."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from graphsvc import auth
from graphsvc.imports import jobs
from graphsvc.api.app import create_app
from graphsvc.imports.corrections import edit_event, merge_events, undo_import
from graphsvc.errors import InvalidArgument
from graphsvc.model import JobStatus
from graphsvc.service import Graphsvc
from graphsvc.settings import Settings
from graphsvc.store import SQLiteStore
from graphsvc.store.neo4j import Neo4jStore
from importers import ImportOptions
from tests import scenario
from tests.neo4j_runtime.fixture import neo4j_server  # noqa: F401
from tests.neo4j_runtime.server import Neo4jServer
from tests.servers import run_cli


@pytest.fixture(scope="module")
def neo4j_store(neo4j_server: Neo4jServer) -> Iterator[Neo4jStore]:  # noqa: F811
    store = Neo4jStore(neo4j_server.bolt_uri, neo4j_server.user, neo4j_server.password, max_retry_time=0.5)
    yield store
    store.close()


@pytest.fixture(params=["sqlite", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    if request.param == "sqlite":
        sqlite = SQLiteStore(tmp_path / "corrections.db")
        yield sqlite
        sqlite.close()
    else:
        yield request.getfixturevalue("neo4j_store")


def dump(store: Any, ws: str) -> dict[str, Any]:
    """Everything an import writes that undo must restore, per workspace."""
    people = store.search_people(ws, None, 100_000)
    merge_map = store.merge_map(ws)
    records = sorted(set(p.id for p in people) | set(merge_map))
    found = store.get_people(ws, records)
    return {
        "people": sorted((p.id, p.display_name, p.first_name, p.last_name, p.organization, p.title, p.emails, p.linkedin_url, p.is_member)
                         for p in found.values()),
        "keys": {pid: keys for pid, keys in sorted(store.keys_of_many(ws, records).items())},
        "sightings": sorted((s.person_id, s.job_id, s.row) for pid in records for s in store.sightings(ws, pid)),
        "evidence": sorted((e.id, e.kind.value, e.person_a, e.person_b or "", e.event_id or "", str(e.at), e.job_id)
                           for e in store.iter_evidence(ws)),
        "events": sorted((e.id, e.name, str(e.starts_at), e.kind) for e in store.list_events(ws)),
        "merges": sorted(merge_map.items()),
        "members": sorted(store.member_ids(ws)),
    }


SHEET = "Name,Email,Company,Phone\nAna Ruiz,ana@ruiz.example,Globex,\nBo Chen,bo@chen.example,Initech,\nNew Person,new@person.example,Hooli,\n"
#: Ana again (known by email: she gains a phone key and a title), and a namesake of nobody.
SECOND = "Name,Email,Company,Title,Phone\nAna Ruiz,ana@ruiz.example,Globex,CTO,+44 20 7946 0000\nCy Diaz,cy@diaz.example,Hooli,Engineer,\n"


def _files(tmp_path: Path) -> dict[str, Path]:
    first, second = tmp_path / "workshop.csv", tmp_path / "dinner.csv"
    first.write_text(SHEET, encoding="utf-8")
    second.write_text(SECOND, encoding="utf-8")
    return {"workshop": first, "dinner": second}


def test_import_then_undo_leaves_the_store_as_before(store: Any, tmp_path: Path) -> None:
    ws = store.workspace(f"undo-{uuid.uuid4().hex[:8]}").id
    files = _files(tmp_path)
    jobs.import_file(store, ws, files["workshop"], options=ImportOptions(event_name="Data Workshop", event_date="2024-03-01"))
    before = dump(store, ws)
    job = jobs.import_file(store, ws, files["dinner"], options=ImportOptions(event_name="Founders Dinner", event_date="2024-04-02"))
    after_import = dump(store, ws)
    assert after_import != before
    result = undo_import(store, ws, job.id)
    assert result.people_removed == 1  # Cy; Ana was there before (she loses the phone key and title this import gave her)
    assert dump(store, ws) == before
    assert store.get_job(ws, job.id).status is JobStatus.UNDONE
    again = undo_import(store, ws, job.id)  # idempotent
    assert again.already_undone and dump(store, ws) == before
    # importing the file again imports it afresh, to the very same rows
    jobs.import_file(store, ws, files["dinner"], options=ImportOptions(event_name="Founders Dinner", event_date="2024-04-02"))
    assert {k: v for k, v in dump(store, ws).items()} == after_import


def test_undoing_the_first_import_hands_shared_evidence_to_the_other(store: Any, tmp_path: Path) -> None:
    ws = store.workspace(f"handover-{uuid.uuid4().hex[:8]}").id
    files = _files(tmp_path)
    empty = dump(store, ws)
    first = jobs.import_file(store, ws, files["workshop"], options=ImportOptions(event_name="Data Workshop", event_date="2024-03-01"))
    second = jobs.import_file(store, ws, files["workshop"], options=ImportOptions(event_name="Data Workshop", event_date="2024-03-01", event_kind="workshop"))
    undo_import(store, ws, first.id)
    left = dump(store, ws)
    assert len(left["evidence"]) == 3 and {e[-1] for e in left["evidence"]} == {second.id}
    assert [e[1:] for e in left["events"]] == [("Data Workshop", "2024-03-01 00:00:00+00:00", "workshop")]
    undo_import(store, ws, second.id)
    assert dump(store, ws) == empty


def test_reimporting_a_list_with_a_corrected_date_updates_its_event(store: Any, tmp_path: Path) -> None:
    ws = store.workspace(f"redate-{uuid.uuid4().hex[:8]}").id
    sheet = _files(tmp_path)["workshop"]
    jobs.import_file(store, ws, sheet, options=ImportOptions(event_name="Data Workshop", event_date="2024-03-01"))
    original = dump(store, ws)
    corrected = jobs.import_file(store, ws, sheet, options=ImportOptions(event_name="Data Workshop", event_date="2024-03-08"))
    events = store.list_events(ws)
    assert [(e.name, e.starts_at.date().isoformat()) for e in events] == [("Data Workshop", "2024-03-08")]
    attended = [e for e in store.iter_evidence(ws) if e.event_id]
    assert len(attended) == 3 and {e.at.date().isoformat() for e in attended} == {"2024-03-08"}  # no duplicate, moved with the date
    # and again (idempotent), then undone: the first date is back
    jobs.import_file(store, ws, sheet, options=ImportOptions(event_name="Data Workshop", event_date="2024-03-08"))
    assert len(store.list_events(ws)) == 1
    undo_import(store, ws, corrected.id)
    assert dump(store, ws) == original


def test_edit_and_merge_events(store: Any, tmp_path: Path) -> None:
    ws = store.workspace(f"events-{uuid.uuid4().hex[:8]}").id
    files = _files(tmp_path)
    jobs.import_file(store, ws, files["workshop"], options=ImportOptions(event_name="Data Workshop", event_date="2024-03-01"))
    other = tmp_path / "workshop-copy.csv"
    other.write_text(SHEET.replace("Bo Chen,bo@chen.example", "Di Eng,di@eng.example"), encoding="utf-8")
    jobs.import_file(store, ws, other, options=ImportOptions(event_name="Data workshop (March)", event_date="2024-03-02"))
    keep, dup = sorted(store.list_events(ws), key=lambda e: e.name)
    version = store.data_version(ws)
    edited = edit_event(store, ws, keep.id, name="Data Workshop", kind="workshop", date="2024-03-02")
    assert (edited.kind, edited.starts_at.date().isoformat()) == ("workshop", "2024-03-02") and store.data_version(ws) > version
    version = store.data_version(ws)
    merge_events(store, ws, keep.id, dup.id)
    assert store.data_version(ws) > version
    assert [e.id for e in store.list_events(ws)] == [keep.id]
    attendees = [e.person_a for e in store.iter_evidence(ws) if e.event_id == keep.id]
    assert len(attendees) == len(set(attendees)) == 4  # Ana, Bo, New Person, Di: each once
    merged = dump(store, ws)
    late = tmp_path / "late-signups.csv"  # another list of the merged event: its attendances join the kept one
    late.write_text("Name,Email\nEd Fox,ed@fox.example\nDi Eng,di@eng.example\n", encoding="utf-8")
    jobs.import_file(store, ws, late, options=ImportOptions(event_name="Data workshop (March)", event_date="2024-03-02"))
    assert dump(store, ws)["events"] == merged["events"]
    assert len([e for e in store.iter_evidence(ws) if e.event_id == keep.id]) == 5
    with pytest.raises(Exception) as refused:
        edit_event(store, ws, "evt_nothing", name="x")
    assert type(refused.value).__name__ == "NotFound"


def test_edit_event_kind_is_checked_as_on_import(store: Any, tmp_path: Path) -> None:
    """A kind given to ``event edit`` is one of EVENT_KINDS, as ``--event-kind`` is: trimmed and
    lowercased, anything else refused naming the kinds, the event unchanged; "" clears it."""
    ws = store.workspace(f"kinds-{uuid.uuid4().hex[:8]}").id
    jobs.import_file(store, ws, _files(tmp_path)["workshop"], options=ImportOptions(event_name="Data Workshop", event_date="2024-03-01"))
    (event,) = store.list_events(ws)
    before = dump(store, ws)
    for bad in ("wokrshop", "party!", "x" * 10_000):
        with pytest.raises(InvalidArgument) as refused:
            edit_event(store, ws, event.id, name="Renamed", kind=bad)
        assert "kind" in str(refused.value) and len(str(refused.value)) < 600
    assert "one of: event, conference" in str(pytest.raises(InvalidArgument, edit_event, store, ws, event.id, kind="wokrshop").value)
    assert dump(store, ws) == before  # nothing half-done: the name given with the bad kind was not written either
    assert edit_event(store, ws, event.id, kind="  Demo-Day ").kind == "demo-day"
    assert edit_event(store, ws, event.id, kind="").kind == ""


# -- CLI and GraphQL ------------------------------------------------------------------------------


def test_cli_events_edit_merge_and_job_undo(tmp_path: Path) -> None:
    env = {"GRAPHSVC_DATA_DIR": str(tmp_path / "data"), "GRAPHSVC_STORE": ""}
    files = _files(tmp_path)
    made = run_cli(["import", str(files["workshop"]), "--event-name", "Data Workshop", "--event-date", "2024-03-01"], env)
    assert made.returncode == 0, made.stderr
    listed = json.loads(run_cli(["events", "--json"], env).stdout)
    assert [(e["name"], e["attendeeCount"], e["source"]) for e in listed] == [("Data Workshop", 3, "signin_sheet")]
    assert "Data Workshop" in run_cli(["events"], env).stdout
    event_id = listed[0]["id"]
    edited = run_cli(["event", "edit", event_id, "--date", "2024-03-08", "--kind", "workshop", "--json"], env)
    assert edited.returncode == 0, edited.stderr
    assert json.loads(edited.stdout)["startsAt"].startswith("2024-03-08")
    wrong = run_cli(["event", "edit", event_id, "--kind", "wokrshop"], env)
    assert wrong.returncode == 2 and "unknown event kind 'wokrshop'; one of: event, conference" in wrong.stdout + wrong.stderr
    assert "Traceback" not in wrong.stdout + wrong.stderr
    assert json.loads(run_cli(["events", "--json"], env).stdout)[0]["kind"] == "workshop"
    assert run_cli(["event", "merge", event_id, event_id], env).returncode == 2
    job_id = json.loads(run_cli(["jobs", "--json"], env).stdout)[0]["id"]
    undone = run_cli(["job", "undo", job_id, "--json"], env)
    assert undone.returncode == 0, undone.stderr
    assert json.loads(undone.stdout)["peopleRemoved"] == 3
    assert "undone already" in run_cli(["job", "undo", job_id], env).stdout
    assert json.loads(run_cli(["events", "--json"], env).stdout) == []
    assert run_cli(["job", "undo", "job_nothing"], env).returncode == 2


def _post(client: httpx.AsyncClient, query: str, token: str) -> dict[str, Any]:
    return asyncio.run(client.post("/graphql", json={"query": query}, headers={"authorization": f"Bearer {token}"})).json()


def test_graphql_update_merge_and_undo(tmp_path: Path) -> None:
    service = Graphsvc(Settings(data_dir=tmp_path / "data", store="", profile="production"))
    try:
        ws = service.workspace("default").id
        files = _files(tmp_path)
        first = service.import_file(ws, files["workshop"], options=ImportOptions(event_name="Data Workshop", event_date="2024-03-01"))
        service.import_file(ws, files["dinner"], options=ImportOptions(event_name="Founders Dinner", event_date="2024-04-02"))
        member = auth.create_token(service.store, ws, "member", "member")[1]
        reader = auth.create_token(service.store, ws, "reader", "read_only")[1]
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(service)), base_url="http://test")
        events = _post(client, "{ events(first: 10) { edges { node { id name startsAt kind source attendeeCount } } } }", reader)
        nodes = {n["node"]["name"]: n["node"] for n in events["data"]["events"]["edges"]}
        workshop, dinner = nodes["Data Workshop"]["id"], nodes["Founders Dinner"]["id"]
        assert nodes["Data Workshop"]["source"] == "signin_sheet"
        for document in (
            f'mutation {{ updateEvent(id: "{workshop}", name: "x") {{ id }} }}',
            f'mutation {{ mergeEvents(keep: "{workshop}", other: "{dinner}") {{ id }} }}',
            f'mutation {{ undoImport(id: "{first.id}") {{ alreadyUndone }} }}',
        ):
            refused = _post(client, document, reader)
            assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN", refused
        updated = _post(client, f'mutation {{ updateEvent(id: "{workshop}", date: "2024-03-08", kind: "workshop") {{ id startsAt kind attendeeCount }} }}', member)
        assert updated["data"]["updateEvent"]["startsAt"].startswith("2024-03-08") and updated["data"]["updateEvent"]["kind"] == "workshop"
        assert _post(client, 'mutation { updateEvent(id: "evt_nothing", name: "x") { id } }', member)["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        assert _post(client, f'mutation {{ updateEvent(id: "{workshop}", date: "soon") {{ id }} }}', member)["errors"][0]["extensions"]["code"] == "INVALID_ARGUMENT"
        wrong_kind = _post(client, f'mutation {{ updateEvent(id: "{workshop}", kind: "wokrshop") {{ id }} }}', member)["errors"][0]
        assert wrong_kind["extensions"]["code"] == "INVALID_ARGUMENT" and "unknown event kind 'wokrshop'" in wrong_kind["message"]
        merged = _post(client, f'mutation {{ mergeEvents(keep: "{workshop}", other: "{dinner}") {{ id attendeeCount }} }}', member)
        assert merged["data"]["mergeEvents"] == {"id": workshop, "attendeeCount": 4}
        undone = _post(client, f'mutation {{ undoImport(id: "{first.id}") {{ job {{ status }} peopleRemoved alreadyUndone }} }}', member)
        assert undone["data"]["undoImport"] == {"job": {"status": "UNDONE"}, "peopleRemoved": 2, "alreadyUndone": False}
        again = _post(client, f'mutation {{ undoImport(id: "{first.id}") {{ alreadyUndone }} }}', member)
        assert again["data"]["undoImport"]["alreadyUndone"] is True
    finally:
        service.close()
