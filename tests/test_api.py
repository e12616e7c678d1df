"""The GraphQL API in process (httpx over ASGI): pagination, lookups, uploads, errors."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from graphsvc.api.app import create_app
from graphsvc.service import Graphsvc
from tests import scenario

UPLOAD = """
mutation Start($file: Upload!, $options: ImportOptionsInput) {
  startImport(file: $file, options: $options) { id status fileName format }
}"""
JOB = "query Job($id: ID!) { importJob(id: $id) { id status rowsRead rowsImported rowsRejected rowsSkipped error rejects { totalCount edges { node { row reason skipped } } } } }"


async def _upload(client: httpx.AsyncClient, path: Path, options: dict[str, str] | None = None) -> httpx.Response:
    operations = json.dumps({"query": UPLOAD, "variables": {"file": None, "options": options}})
    files = {"0": (path.name, path.read_bytes(), "text/csv")}
    return await client.post(
        "/graphql", data={"operations": operations, "map": json.dumps({"0": ["variables.file"]})}, files=files,
        headers={"x-graphsvc-csrf": "1"},  # a multipart POST must carry a header no cross-site form can send
    )


async def _wait_for_job(client: httpx.AsyncClient, job_id: str) -> dict[str, Any]:
    for _ in range(200):
        body = (await client.post("/graphql", json={"query": JOB, "variables": {"id": job_id}})).json()
        job = body["data"]["importJob"]
        if job["status"] != "RUNNING":
            return job
        await asyncio.sleep(0.05)
    raise AssertionError("import did not finish")


@pytest.fixture
def client(service: Graphsvc) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(service)), base_url="http://test")


def test_upload_import_poll_and_query(client: httpx.AsyncClient, tmp_path: Path) -> None:
    files = scenario.write_scenario(tmp_path / "files")

    async def scenario_run() -> None:
        response = await _upload(client, files["connections"], {"owner": scenario.OWNER})
        assert response.status_code == 200, response.text
        started = response.json()["data"]["startImport"]
        assert started["format"] == "linkedin" and started["fileName"] == "Connections.csv"
        job = await _wait_for_job(client, started["id"])
        assert job["status"] == "COMPLETED"
        assert (job["rowsRead"], job["rowsImported"], job["rowsRejected"], job["rowsSkipped"]) == (4, 3, 0, 1)
        assert job["rejects"] == {"totalCount": 0, "edges": []}  # rowsRejected: the skipped row is listed with skipped: true
        skipped = (await client.post("/graphql", json={"query": "query($id: ID!) { importJob(id: $id) { rejects(skipped: true) { totalCount edges { node { row reason skipped } } } } }", "variables": {"id": job["id"]}})).json()
        assert skipped["data"]["importJob"]["rejects"] == {"totalCount": 1, "edges": [{"node": {"row": 8, "reason": "hidden profile: LinkedIn exported only the date", "skipped": True}}]}

        again = (await _upload(client, files["connections"], {"owner": scenario.OWNER})).json()["data"]["startImport"]
        assert again["id"] == started["id"] and again["status"] == "COMPLETED"

        body = (await client.post("/graphql", json={"query": "{ people(first: 2) { totalCount edges { cursor node { name isMember } } pageInfo { hasNextPage endCursor } } }"})).json()
        page = body["data"]["people"]
        assert page["totalCount"] == 4
        assert [e["node"]["name"] for e in page["edges"]] == ["Ada Quinn", "Bruno Silva"]
        assert page["pageInfo"]["hasNextPage"] is True
        body = (await client.post("/graphql", json={"query": "query($after: String) { people(first: 5, after: $after) { edges { node { id name isMember sources { format row } } } pageInfo { hasNextPage } } }", "variables": {"after": page["pageInfo"]["endCursor"]}})).json()
        rest = body["data"]["people"]
        assert [e["node"]["name"] for e in rest["edges"]] == ["Cleo Park", "Olivia Okafor"]
        assert rest["edges"][1]["node"]["isMember"] is True and rest["pageInfo"]["hasNextPage"] is False
        cleo = rest["edges"][0]["node"]
        assert cleo["sources"] == [{"format": "linkedin", "row": 7}]
        found = (await client.post("/graphql", json={"query": "query($id: ID!) { person(id: $id) { name } }", "variables": {"id": cleo["id"]}})).json()
        assert found["data"]["person"] == {"name": "Cleo Park"}

    asyncio.run(scenario_run())


def test_unrecognised_upload_is_a_coded_error_and_writes_nothing(client: httpx.AsyncClient, service: Graphsvc, tmp_path: Path) -> None:
    junk = tmp_path / "notes.csv"
    junk.write_text("colour,shape\nred,round\n", encoding="utf-8")

    async def go() -> None:
        body = (await _upload(client, junk)).json()
        assert body["data"] is None
        error = body["errors"][0]
        assert error["extensions"]["code"] == "UNRECOGNISED_FORMAT"
        assert "linkedin" in error["message"] and "signin_sheet" in error["message"]
        jobs = (await client.post("/graphql", json={"query": "{ importJobs { totalCount edges { node { id } } } }"})).json()
        assert jobs["data"]["importJobs"] == {"totalCount": 0, "edges": []}

    asyncio.run(go())
    assert service.store.count_people(service.workspace().id, None) == 0


def test_lone_connections_without_owner_is_a_clear_error(client: httpx.AsyncClient, tmp_path: Path) -> None:
    files = scenario.write_scenario(tmp_path / "files")

    async def go() -> None:
        body = (await _upload(client, files["connections"])).json()
        assert body["errors"][0]["extensions"]["code"] == "MISSING_OWNER"
        assert "--owner" in body["errors"][0]["message"] or "owner" in body["errors"][0]["message"]

    asyncio.run(go())


def test_bad_arguments_are_coded_errors_and_internals_are_masked(client: httpx.AsyncClient) -> None:
    async def go() -> None:
        body = (await client.post("/graphql", json={"query": '{ introPaths(to: "x", k: 0) { status } }'})).json()
        assert body["errors"][0]["extensions"]["code"] == "INVALID_ARGUMENT"
        body = (await client.post("/graphql", json={"query": '{ people(after: "%%%") { totalCount } }'})).json()
        assert body["errors"][0]["extensions"]["code"] == "INVALID_ARGUMENT"
        body = (await client.post("/graphql", json={"query": '{ importJob(id: "job_nope") { id } }'})).json()
        assert body["data"]["importJob"] is None
        body = (await client.post("/graphql", json={"query": "{ nosuchfield }"})).json()
        assert "errors" in body and "Did you mean" not in body["errors"][0]["message"]

    asyncio.run(go())


def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    async def go() -> None:
        assert (await client.get("/healthz")).json()["status"] == "ok"
        ready = await client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["status"] == "ready"
        graphiql = await client.get("/graphql", headers={"accept": "text/html"})
        assert graphiql.status_code == 200 and "graphiql" in graphiql.text.lower()

    asyncio.run(go())
