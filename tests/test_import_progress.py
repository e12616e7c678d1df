"""Cancelling imports (cancelImport, ``Graphsvc.cancel_import``) and watching them (the importProgress subscription).

In process first (jobs, the library, the API over ASGI, WebSockets through Starlette's test
client), then end to end over a real uvicorn with a WebSocket client (graphql-transport-ws).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
from pathlib import Path
from typing import Any, Callable, Iterator

import httpx
import pytest

from graphsvc import auth
from graphsvc.imports import jobs
from graphsvc.api.app import create_app
from graphsvc.errors import JobNotRunning, NotFound
from graphsvc.model import JobStatus
from graphsvc.service import Graphsvc
from graphsvc.settings import Settings
from graphsvc.store import SQLiteStore
from importers import ImportOptions
from tests.asgi_ws import PROTOCOL, AsgiWebSocket, Closed, Denied
from tests.servers import free_port, running

EXPO = ImportOptions(event_name="Expo", event_date="2026-05-01")
EXPO_INPUT = {"eventName": "Expo", "eventDate": "2026-05-01"}
UPLOAD = "mutation($f: Upload!, $o: ImportOptionsInput) { startImport(file: $f, options: $o) { id status } }"
CANCEL = "mutation($id: ID!) { cancelImport(id: $id) { id status rowsRead rowsImported checkpointRow finishedAt } }"
JOB = "query($id: ID!) { importJob(id: $id) { status rowsRead rowsImported checkpointRow bytesDone bytesTotal } }"
PROGRESS = "subscription($id: ID!) { importProgress(id: $id) { id status rowsRead rowsImported rowsRejected bytesDone bytesTotal } }"


def write_attendees(path: Path, rows: int) -> Path:
    """An attendee list of ``rows`` different people (one person per row; row n is on line n + 1)."""
    with path.open("w", encoding="utf-8") as fh:
        fh.write("First Name,Last Name,Email,Company\n")
        for i in range(rows):
            fh.write(f"Guest{i},Number{i},guest{i}@expo.example,Company {i % 101}\n")
    return path


def _facts(store: SQLiteStore, ws: str) -> tuple:
    people = sorted((p.id, p.display_name, p.emails) for p in store.search_people(ws, None, 100_000))
    evidence = sorted((e.id, e.person_a, e.event_id) for e in store.iter_evidence(ws))
    return people, evidence


# --- jobs: should_stop ------------------------------------------------------------------------------


def _two_stores(tmp_path: Path) -> tuple[SQLiteStore, str, SQLiteStore, str]:
    """A store to interrupt and a clean one to compare it with, each with its default workspace."""
    store, clean = SQLiteStore(tmp_path / "g.db"), SQLiteStore(tmp_path / "clean.db")
    return store, store.workspace("default").id, clean, clean.workspace("default").id


def _stop_at(ask: int) -> Callable[[], bool]:
    """A ``should_stop`` that answers True the ``ask``-th time it is asked."""
    asked = itertools.count(1)
    return lambda: next(asked) == ask


def test_should_stop_ends_the_job_cancelled_at_a_batch_boundary_and_a_rerun_resumes(tmp_path: Path) -> None:
    path = write_attendees(tmp_path / "expo.csv", 1000)
    store, ws, clean, clean_ws = _two_stores(tmp_path)
    jobs.import_file(clean, clean_ws, path, options=EXPO, batch_rows=100)

    job = jobs.prepare_import(store, ws, path, options=EXPO, batch_rows=100).run(should_stop=_stop_at(4))  # the fourth boundary
    # Asked before writing each full batch: three were written, the fourth was not.
    assert job.status is JobStatus.CANCELLED and job.finished_at is not None
    assert (job.rows_read, job.rows_imported, job.checkpoint_row) == (300, 300, 301)
    stored = store.get_job(ws, job.id)
    assert stored is not None and stored.status is JobStatus.CANCELLED and stored.rows_imported == 300
    assert store.count_people(ws, None) == 300

    resumed = jobs.import_file(store, ws, path, options=EXPO, batch_rows=100)
    assert resumed.id == job.id and resumed.status is JobStatus.COMPLETED and resumed.finished_at is not None
    assert (resumed.rows_read, resumed.rows_imported) == (1000, 1000)
    assert _facts(store, ws) == _facts(clean, clean_ws)
    store.close()
    clean.close()


def test_a_cancel_inside_a_large_batch_rolls_that_batch_back_and_a_rerun_resumes(tmp_path: Path) -> None:
    path = write_attendees(tmp_path / "expo.csv", 5000)
    store, ws, clean, clean_ws = _two_stores(tmp_path)
    jobs.import_file(clean, clean_ws, path, options=EXPO, batch_rows=2000)

    # asked before batch 1, then every CANCEL_CHECK_ROWS rows of it, before batch 2, then inside it
    stop_inside_the_second_batch = _stop_at(2 + 2000 // jobs.CANCEL_CHECK_ROWS)
    job = jobs.prepare_import(store, ws, path, options=EXPO, batch_rows=2000).run(should_stop=stop_inside_the_second_batch)
    assert job.status is JobStatus.CANCELLED
    assert (job.rows_read, job.rows_imported, job.checkpoint_row) == (2000, 2000, 2001)  # the first batch only
    assert store.count_people(ws, None) == 2000 and store.count_evidence(ws) == 2000

    resumed = jobs.import_file(store, ws, path, options=EXPO, batch_rows=2000)
    assert resumed.id == job.id and resumed.status is JobStatus.COMPLETED and resumed.rows_imported == 5000
    assert _facts(store, ws) == _facts(clean, clean_ws)
    store.close()
    clean.close()


def test_batches_grow_with_the_rows_written_and_a_resumed_run_cuts_them_where_a_clean_one_would(tmp_path: Path) -> None:
    path = write_attendees(tmp_path / "expo.csv", 1000)
    store, ws, clean, clean_ws = _two_stores(tmp_path)
    checkpoints: list[int] = []
    job = jobs.prepare_import(clean, clean_ws, path, options=EXPO, batch_rows=100, max_batch_rows=400).run(
        lambda done, total, job: checkpoints.append(job.rows_read)
    )
    assert job.status is JobStatus.COMPLETED
    assert checkpoints == [100, 200, 400, 800, 1000]  # batches of 100, 100, 200, 400, then the last 200

    cut = jobs.prepare_import(store, ws, path, options=EXPO, batch_rows=100, max_batch_rows=400).run(should_stop=_stop_at(4))  # before the fourth batch
    assert cut.status is JobStatus.CANCELLED and cut.rows_read == 400
    resumed: list[int] = []
    jobs.prepare_import(store, ws, path, options=EXPO, batch_rows=100, max_batch_rows=400).run(
        lambda done, total, job: resumed.append(job.rows_read)
    )
    assert resumed == [800, 1000]  # where the uninterrupted run cut, not 500, 700, ... from a fresh start
    assert _facts(store, ws) == _facts(clean, clean_ws)
    store.close()
    clean.close()


# --- the library: Graphsvc.cancel_import -------------------------------------------------------------


def test_cancel_import_from_another_thread_and_its_errors(tmp_path: Path) -> None:
    service = Graphsvc(Settings(data_dir=tmp_path / "data", store="", import_batch_rows=100))
    ws, other = service.workspace().id, service.workspace("other").id
    path = write_attendees(tmp_path / "expo.csv", 1000)
    prepared = service.prepare_import(ws, path, options=EXPO)
    first_batch, cancelled = threading.Event(), threading.Event()

    def progress(done: int, total: int, job: object) -> None:
        first_batch.set()
        cancelled.wait(10)  # hold the run after its first batch until the cancel is in

    result: dict[str, Any] = {}
    worker = threading.Thread(target=lambda: result.setdefault("job", service.run_import(prepared, progress)))
    worker.start()
    assert first_batch.wait(10)
    with pytest.raises(NotFound):
        service.cancel_import(other, prepared.job.id)  # another workspace's job does not exist for it
    with pytest.raises(NotFound):
        service.cancel_import(ws, "job_nope")
    still_running = service.cancel_import(ws, prepared.job.id)  # no wait: answers at once
    assert still_running.status is JobStatus.RUNNING
    cancelled.set()
    worker.join(10)
    job = result["job"]
    assert job.status is JobStatus.CANCELLED and job.rows_imported == 100  # the batch after the cancel was never written
    assert service.store.count_people(ws, None) == 100
    with pytest.raises(JobNotRunning) as info:
        service.cancel_import(ws, job.id)
    assert info.value.code == "JOB_NOT_RUNNING" and "cancelled" in str(info.value)

    done = service.run_import(service.prepare_import(ws, path, options=EXPO))
    assert done.id == job.id and done.status is JobStatus.COMPLETED and done.rows_imported == 1000
    with pytest.raises(JobNotRunning, match="completed"):
        service.cancel_import(ws, job.id)
    assert service.import_bytes(job.id) == (path.stat().st_size, path.stat().st_size)
    service.close()


# --- the API in process --------------------------------------------------------------------------------


async def _upload(client: httpx.AsyncClient, path: Path, headers: dict[str, str] | None = None) -> dict[str, Any]:
    operations = json.dumps({"query": UPLOAD, "variables": {"f": None, "o": EXPO_INPUT}})
    response = await client.post(
        "/graphql", data={"operations": operations, "map": json.dumps({"0": ["variables.f"]})},
        files={"0": (path.name, path.read_bytes(), "text/csv")}, headers={"x-graphsvc-csrf": "1", **(headers or {})},
    )
    return response.json()


async def _gql(client: httpx.AsyncClient, query: str, variables: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
    return (await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers or {})).json()


async def _until_finished(client: httpx.AsyncClient, job_id: str) -> dict[str, Any]:
    for _ in range(600):
        job = (await _gql(client, JOB, {"id": job_id}))["data"]["importJob"]
        if job["status"] != "RUNNING":
            return job
        await asyncio.sleep(0.05)
    raise AssertionError("the import did not end")


def test_cancel_import_mutation_stops_the_upload_and_start_import_resumes_it(tmp_path: Path) -> None:
    service = Graphsvc(Settings(data_dir=tmp_path / "data", store="", import_batch_rows=100))
    ws = service.workspace().id
    reader = auth.create_token(service.store, ws, "reader", "read_only")[1]
    path = write_attendees(tmp_path / "expo.csv", 20_000)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(service)), base_url="http://test")

    async def go() -> None:
        started = (await _upload(client, path))["data"]["startImport"]
        job_id = started["id"]
        denied = await _gql(client, CANCEL, {"id": job_id}, {"authorization": f"Bearer {reader}"})
        assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        cancelled = (await _gql(client, CANCEL, {"id": job_id}))["data"]["cancelImport"]
        assert cancelled["status"] == "CANCELLED" and cancelled["finishedAt"]
        assert 0 <= cancelled["rowsRead"] < 20_000 and cancelled["rowsRead"] % 100 == 0
        assert cancelled["checkpointRow"] == (cancelled["rowsRead"] + 1 if cancelled["rowsRead"] else 0)
        assert service.store.count_people(ws, None) == cancelled["rowsImported"]
        again = await _gql(client, CANCEL, {"id": job_id})
        assert again["errors"][0]["extensions"]["code"] == "JOB_NOT_RUNNING"
        missing = await _gql(client, CANCEL, {"id": "job_nope"})
        assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"

        resumed = (await _upload(client, path))["data"]["startImport"]
        assert resumed == {"id": job_id, "status": "RUNNING"}
        final = await _until_finished(client, job_id)
        assert final["status"] == "COMPLETED" and (final["rowsRead"], final["rowsImported"]) == (20_000, 20_000)
        assert final["bytesDone"] == final["bytesTotal"] == path.stat().st_size
        assert service.store.count_people(ws, None) == 20_000
        finished = await _gql(client, CANCEL, {"id": job_id})
        assert finished["errors"][0]["extensions"]["code"] == "JOB_NOT_RUNNING"

    asyncio.run(go())
    service.close()


# --- the subscription in process (an ASGI WebSocket client, tests/asgi_ws.py) -------------------------


async def _subscribe(socket: AsgiWebSocket, op: str, job_id: str) -> list[dict[str, Any]]:
    await socket.send_json({"id": op, "type": "subscribe", "payload": {"query": PROGRESS, "variables": {"id": job_id}}})
    messages = []
    while True:
        message = await socket.receive_json()
        assert message["id"] == op
        messages.append(message)
        if message["type"] in ("complete", "error"):
            return messages


@pytest.fixture
def production(tmp_path: Path) -> Iterator[dict[str, Any]]:
    service = Graphsvc(Settings(data_dir=tmp_path / "data", store="", profile="production"))
    ws = service.workspace().id
    job = service.import_file(ws, write_attendees(tmp_path / "expo.csv", 50), options=EXPO)
    admin = auth.create_token(service.store, ws, "admin", "admin")[1]
    yield {"service": service, "app": create_app(service), "job": job.id, "admin": admin}
    service.close()


def test_subscription_in_process_sends_the_final_state_and_completes(production: dict[str, Any]) -> None:
    async def go() -> list[dict[str, Any]]:
        async with AsgiWebSocket(production["app"]) as socket:
            await socket.send_json({"type": "connection_init", "payload": {"Authorization": f"Bearer {production['admin']}"}})
            assert await socket.receive_json() == {"type": "connection_ack"}
            return await _subscribe(socket, "1", production["job"])

    messages = asyncio.run(go())
    assert [m["type"] for m in messages] == ["next", "complete"]
    state = messages[0]["payload"]["data"]["importProgress"]
    assert (state["status"], state["rowsRead"], state["rowsImported"]) == ("COMPLETED", 50, 50)


def test_a_websocket_without_a_valid_token_is_refused_in_production(production: dict[str, Any]) -> None:
    app, job = production["app"], production["job"]

    async def refused(payload: dict[str, Any] | None, first: dict[str, Any] | None = None) -> Closed:
        async with AsgiWebSocket(app) as socket:
            await socket.send_json(first or {"type": "connection_init", "payload": payload})
            with pytest.raises(Closed) as closed:
                await socket.receive_json()
        return closed.value

    async def go() -> None:
        closed = await refused({})
        assert closed.code == 4403 and closed.reason.startswith("UNAUTHENTICATED: a bearer token is required")
        closed = await refused({"Authorization": "Bearer gs_forged"})
        assert closed.code == 4403 and closed.reason == "UNAUTHENTICATED: unknown bearer token"
        # No connection_init: the protocol runs no operation before the acknowledgement.
        closed = await refused(None, {"id": "1", "type": "subscribe", "payload": {"query": PROGRESS, "variables": {"id": job}}})
        assert closed.code == 4401
        with pytest.raises(Denied) as denied:
            async with AsgiWebSocket(app, headers={"authorization": "Bearer gs_forged"}):
                pass
        assert denied.value.status == 401 and denied.value.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        # A valid header is enough.
        async with AsgiWebSocket(app, headers={"authorization": f"Bearer {production['admin']}"}) as socket:
            await socket.send_json({"type": "connection_init"})
            assert (await socket.receive_json())["type"] == "connection_ack"
            messages = await _subscribe(socket, "1", job)
            assert messages[0]["payload"]["data"]["importProgress"]["status"] == "COMPLETED"

    asyncio.run(go())


# --- end to end: a real uvicorn, a real WebSocket client ----------------------------------------------


async def _ws_connect(base: str, token: str | None = None, header: str | None = None) -> Any:
    from websockets.asyncio.client import connect
    from websockets.typing import Subprotocol

    headers = {"Authorization": header} if header else None
    socket = await connect(base.replace("http://", "ws://") + "/graphql", subprotocols=[Subprotocol(PROTOCOL)], additional_headers=headers)
    await socket.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"} if token else {}}))
    return socket


async def _ws_messages(socket: Any, op: str, job_id: str) -> list[dict[str, Any]]:
    await socket.send(json.dumps({"id": op, "type": "subscribe", "payload": {"query": PROGRESS, "variables": {"id": job_id}}}))
    messages = []
    while True:
        message = json.loads(await asyncio.wait_for(socket.recv(), 60))
        messages.append(message)
        if message["type"] in ("complete", "error"):
            return messages


@pytest.mark.slow
def test_progress_over_a_real_websocket_with_cancel_resume_and_workspace_isolation(tmp_path: Path) -> None:
    from websockets.exceptions import ConnectionClosed, InvalidStatus

    data = tmp_path / "data"
    setup = Graphsvc(Settings(data_dir=data, store="", profile="production"))
    tokens = {name: auth.create_token(setup.store, setup.workspace(name).id, name, "admin")[1] for name in ("alpha", "beta")}
    setup.close()
    path = write_attendees(tmp_path / "expo.csv", 20_000)
    port = free_port()
    env = {"GRAPHSVC_DATA_DIR": str(data), "GRAPHSVC_STORE": "", "GRAPHSVC_PROFILE": "production", "GRAPHSVC_IMPORT_BATCH_ROWS": "200"}

    async def go(base: str) -> None:
        alpha = {"authorization": f"Bearer {tokens['alpha']}"}
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            job_id = (await _upload(client, path, alpha))["data"]["startImport"]["id"]

            async with await _ws_connect(base, tokens["beta"]) as spy:  # another workspace sees nothing of it
                assert json.loads(await spy.recv()) == {"type": "connection_ack"}
                only, end = await _ws_messages(spy, "1", job_id)
                assert only["type"] == "next" and only["payload"]["data"] is None and end["type"] == "complete"
                assert only["payload"]["errors"][0]["extensions"]["code"] == "NOT_FOUND"
            beta_cancel = await _gql(client, CANCEL, {"id": job_id}, {"authorization": f"Bearer {tokens['beta']}"})
            assert beta_cancel["errors"][0]["extensions"]["code"] == "NOT_FOUND"

            async with await _ws_connect(base, tokens["alpha"]) as socket:
                assert json.loads(await socket.recv()) == {"type": "connection_ack"}
                await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": PROGRESS, "variables": {"id": job_id}}}))
                states = []
                while True:
                    message = json.loads(await asyncio.wait_for(socket.recv(), 60))
                    if message["type"] == "complete":
                        break
                    assert message["type"] == "next" and "errors" not in message["payload"], message
                    states.append(message["payload"]["data"]["importProgress"])
                    if len(states) == 2:  # it is running: stop it
                        await _gql(client, CANCEL, {"id": job_id}, alpha)
            assert all(s["id"] == job_id for s in states) and states[0]["status"] == "RUNNING"
            assert states[-1]["status"] == "CANCELLED" and 0 < states[-1]["rowsRead"] < 20_000
            assert all(s["status"] == "RUNNING" for s in states[:-1])
            reads = [s["rowsRead"] for s in states]
            assert reads == sorted(reads) and len(set(map(json.dumps, states))) == len(states)  # only changes are sent
            assert states[-1]["bytesTotal"] == path.stat().st_size and 0 < states[-1]["bytesDone"] < states[-1]["bytesTotal"]

            resumed = (await _upload(client, path, alpha))["data"]["startImport"]
            assert resumed == {"id": job_id, "status": "RUNNING"}
            async with await _ws_connect(base, header=f"Bearer {tokens['alpha']}") as socket:  # the header authenticates too
                assert json.loads(await socket.recv()) == {"type": "connection_ack"}
                messages = await _ws_messages(socket, "2", job_id)
            final = messages[-2]["payload"]["data"]["importProgress"]
            assert messages[-1]["type"] == "complete" and final["status"] == "COMPLETED"
            assert (final["rowsRead"], final["rowsImported"], final["rowsRejected"]) == (20_000, 20_000, 0)
            people = await _gql(client, "{ people { totalCount } }", {}, alpha)
            assert people["data"]["people"]["totalCount"] == 20_000

        async with await _ws_connect(base) as anonymous:  # production: no token, no socket
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(anonymous.recv(), 30)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
        assert closed.value.rcvd.reason.startswith("UNAUTHENTICATED")
        with pytest.raises(InvalidStatus) as refused:
            await _ws_connect(base, header="Bearer gs_forged")
        assert refused.value.response.status_code == 401
        assert json.loads(refused.value.response.body)["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    with running(["serve", "--port", str(port)], env, port) as base:
        asyncio.run(go(base))
