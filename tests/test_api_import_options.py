"""startImport's options as ``graphsvc import`` has them (encoding, a checked event kind), and
errors that name what API callers pass, never the CLI's flags (issue 15 items 6 and 7)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx
import pytest

from graphsvc.api.app import create_app
from graphsvc.api.errors import api_message
from graphsvc.service import Graphsvc
from importers.base import EVENT_KINDS
from tests import scenario
from tests.test_api import _upload, _wait_for_job

FLAG = re.compile(r"(?<![\w/-])--[a-z]")


@pytest.fixture
def client(service: Graphsvc) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(service)), base_url="http://test")


def test_start_import_takes_the_encoding_option(client: httpx.AsyncClient, service: Graphsvc, tmp_path: Path) -> None:
    sheet = tmp_path / "sheet.csv"
    sheet.write_bytes("Name,Email\nZoé Lefèvre,zoe@example.fr\nÁrpád Szabó,arpad@example.hu\n".encode("cp1252"))
    options = {"eventName": "Atelier", "eventDate": "2026-03-01", "eventKind": "Workshop", "encoding": "cp1252"}

    async def go() -> dict:
        body = (await _upload(client, sheet, options)).json()
        assert "errors" not in body, body
        job = await _wait_for_job(client, body["data"]["startImport"]["id"])
        notes = (await client.post("/graphql", json={"query": "query($id: ID!) { importJob(id: $id) { notes } }",
                                                     "variables": {"id": job["id"]}})).json()["data"]["importJob"]["notes"]
        return {**job, "notes": notes}

    job = asyncio.run(go())
    assert job["status"] == "COMPLETED" and job["rowsImported"] == 2
    assert "encoding: cp1252 (options.encoding)" in job["notes"]
    ws = service.workspace().id
    names = sorted(p.display_name for p in service.store.search_people(ws, None, 10))
    assert names == ["Zoé Lefèvre", "Árpád Szabó"]
    (event,) = service.store.list_events(ws)
    assert (event.name, event.kind) == ("Atelier", "workshop")  # the kind checked and lowercased


def test_an_unknown_event_kind_or_encoding_is_a_clear_error_and_writes_nothing(client: httpx.AsyncClient, service: Graphsvc, tmp_path: Path) -> None:
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("Name,Email\nAna Ruiz,ana@example.es\n", encoding="utf-8")

    async def go() -> list[dict]:
        return [
            (await _upload(client, sheet, {"eventName": "X", "eventDate": "2026-03-01", "eventKind": "partyy"})).json(),
            (await _upload(client, sheet, {"eventName": "X", "eventDate": "2026-03-01", "encoding": "klingon"})).json(),
        ]

    kind, encoding = asyncio.run(go())
    assert kind["errors"][0]["extensions"]["code"] == "INVALID_ARGUMENT"
    assert "unknown event kind 'partyy'" in kind["errors"][0]["message"] and all(k in kind["errors"][0]["message"] for k in EVENT_KINDS)
    assert "unknown encoding 'klingon'" in encoding["errors"][0]["message"]
    assert service.store.count_people(service.workspace().id, None) == 0


def test_graphql_errors_name_options_not_cli_flags(client: httpx.AsyncClient, tmp_path: Path) -> None:
    files = scenario.write_scenario(tmp_path / "files")
    undated = tmp_path / "undated.csv"
    undated.write_text("Name,Email\nAna Ruiz,ana@example.es\n", encoding="utf-8")

    async def go() -> list[dict]:
        return [
            (await _upload(client, files["connections"])).json(),  # a lone Connections.csv: whose?
            (await _upload(client, undated, {"eventName": "X"})).json(),  # an attendee list without its date
            (await _upload(client, undated, {"eventName": "X", "eventDate": "March"})).json(),
        ]

    for body in asyncio.run(go()):
        message = body["errors"][0]["message"]
        assert not FLAG.search(message), message
    owner, date, bad_date = (b["errors"][0]["message"] for b in asyncio.run(go()))
    assert "options.owner" in owner and "options.eventDate" in date and "options.eventDate 'March'" in bad_date


def test_api_message_rewrites_flags_only() -> None:
    assert api_message("pass --event-date YYYY-MM-DD or --owner; --format linkedin; --as-of") == (
        "pass options.eventDate YYYY-MM-DD or options.owner; format linkedin; asOf"
    )
    assert api_message("see https://example.com/a--b and x--y, -- alone") == "see https://example.com/a--b and x--y, -- alone"


def test_rows_rejected_equals_the_rejects_listed_and_skipped_rows_are_listed_apart(client: httpx.AsyncClient, tmp_path: Path) -> None:
    files = scenario.write_scenario(tmp_path / "files")
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("Name,Email\nAna Ruiz,ana@example.es\n,not-an-email\n,\nBo Li,bo@example.cn\n", encoding="utf-8")
    query = (
        "query($id: ID!) { importJob(id: $id) { rowsRejected rowsSkipped "
        "rejected: rejects(first: 100) { totalCount edges { node { row skipped } } } "
        "skipped: rejects(first: 100, skipped: true) { totalCount edges { node { row skipped } } } "
        "both: rejects(first: 100, skipped: null) { totalCount edges { node { row } } } } }"
    )

    async def go() -> list[dict]:
        jobs = []
        for path, options in ((files["connections"], {"owner": scenario.OWNER}), (sheet, {"eventName": "X", "eventDate": "2026-03-01"})):
            started = (await _upload(client, path, options)).json()["data"]["startImport"]
            await _wait_for_job(client, started["id"])
            jobs.append((await client.post("/graphql", json={"query": query, "variables": {"id": started["id"]}})).json()["data"]["importJob"])
        return jobs

    for job in asyncio.run(go()):
        assert job["rejected"]["totalCount"] == job["rowsRejected"] == len(job["rejected"]["edges"])
        assert job["skipped"]["totalCount"] == job["rowsSkipped"] == len(job["skipped"]["edges"])
        assert not any(e["node"]["skipped"] for e in job["rejected"]["edges"]) and all(e["node"]["skipped"] for e in job["skipped"]["edges"])
        assert job["both"]["totalCount"] == len(job["both"]["edges"]) == job["rowsRejected"] + job["rowsSkipped"]
    connections, sheet_job = asyncio.run(go())
    assert (connections["rowsRejected"], connections["rowsSkipped"]) == (0, 1)
    assert sheet_job["rowsRejected"] >= 1
