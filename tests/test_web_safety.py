"""Web safety (docs/security.md): other sites cannot drive or read the API, sockets die with their token,
errors and files keep the server's secrets, and the CLI prints imported text as text."""

from __future__ import annotations

import asyncio
import io
import json
import os
import stat
import zipfile
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from graphsvc import auth
from graphsvc.api import app as app_module
from graphsvc.api.app import MAX_JSON_DEPTH, create_app
from graphsvc.service import Graphsvc
from graphsvc.settings import Settings
from importers import ImportOptions
from tests import scenario
from tests.asgi_ws import AsgiWebSocket, Closed, Denied
from tests.servers import free_port, run_cli, running

UPLOAD = 'mutation($f: Upload!) { startImport(file: $f, options: {owner: "Olivia Okafor"}) { id status } }'
CSRF = {"x-graphsvc-csrf": "1"}


def _client(app: Any, base: str = "http://localhost:8000") -> httpx.AsyncClient:
    """In process, like a server on 127.0.0.1:8000: httpx reports the URL's host as the address the request
    arrived at (which the edge accepts as a host name); uvicorn reports its socket's address."""

    async def at_loopback(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await app({**scope, "server": ("127.0.0.1", 8000)}, receive, send)

    return httpx.AsyncClient(transport=httpx.ASGITransport(app=at_loopback), base_url=base)


def _multipart(query: str, file: tuple[str, bytes] | None = None) -> dict[str, Any]:
    """The fields a cross-site HTML form (enctype=multipart/form-data) can send."""
    if file is None:
        return {"data": {"operations": json.dumps({"query": query}), "map": "{}"}, "files": {"x": ("x.txt", b"x", "text/plain")}}
    operations = json.dumps({"query": query, "variables": {"f": None}})
    return {"data": {"operations": operations, "map": json.dumps({"0": ["variables.f"]})}, "files": {"0": (file[0], file[1], "text/csv")}}


@pytest.fixture
def dev(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """The development profile (the default) with the scenario imported: no token needed."""
    service = Graphsvc(Settings(data_dir=tmp_path / "data", store=""))
    files = scenario.write_scenario(tmp_path / "files")
    ws = service.workspace().id
    auth.create_token(service.store, ws, "someone", "member")
    yield {"service": service, "ws": ws, "files": files, "app": create_app(service)}
    service.close()


def _state(service: Graphsvc, ws: str) -> tuple[Any, ...]:
    return (service.store.data_version(ws), [(t.id, t.revoked_at) for t in service.store.list_tokens(ws)], len(service.store.list_jobs(ws)))


# --- cross-site requests -----------------------------------------------------------------------------


def test_a_cross_site_form_post_changes_nothing_in_the_development_profile(dev: dict[str, Any]) -> None:
    service, ws = dev["service"], dev["ws"]
    before = _state(service, ws)
    victim = scenario.OWNER
    attacks = [
        _multipart(f'mutation {{ forgetPerson(person: "{victim}") {{ personId }} }}'),
        _multipart('mutation { createToken(name: "attacker", role: ADMIN) { secret } }'),
        _multipart(UPLOAD, ("Connections.csv", dev["files"]["connections"].read_bytes())),
    ]

    async def go() -> None:
        async with _client(dev["app"], "http://localhost:8000") as client:
            for attack in attacks:
                for headers in ({"origin": "https://evil.example"}, {"referer": "https://evil.example/page"}, {}, {"origin": "null"}):
                    response = await client.post("/graphql", **attack, headers=headers)
                    assert response.status_code == 403, (headers, response.text)
                    assert response.json()["errors"][0]["extensions"]["code"] == "CROSS_SITE_REQUEST"
                # a custom header does not help a foreign origin either (and a browser would have asked first)
                response = await client.post("/graphql", **attack, headers={"origin": "https://evil.example", **CSRF})
                assert response.status_code == 403
            for content_type in ("text/plain", "application/x-www-form-urlencoded"):
                response = await client.post("/graphql", content=b'{"query": "mutation { createToken(name: \\"a\\", role: ADMIN) { secret } }"}',
                                             headers={"content-type": content_type})
                assert response.status_code == 403, response.text

    asyncio.run(go())
    assert _state(service, ws) == before


def test_same_site_and_non_browser_clients_keep_working(dev: dict[str, Any]) -> None:
    async def go() -> None:
        async with _client(dev["app"], "http://localhost:8000") as client:
            # GraphiQL on localhost: same origin, JSON
            page = await client.get("/graphql", headers={"accept": "text/html"})
            assert page.status_code == 200 and "graphiql" in page.text.lower()
            ok = await client.post("/graphql", json={"query": "{ people { totalCount } }"}, headers={"origin": "http://localhost:8000"})
            assert ok.status_code == 200 and ok.json()["data"]["people"]["totalCount"] == 0
            # another loopback origin is this machine, not another site
            assert (await client.post("/graphql", json={"query": "{ people { totalCount } }"}, headers={"origin": "http://127.0.0.1:3000"})).status_code == 200
            # a script (no Origin) with the custom header uploads
            attack = _multipart(UPLOAD, ("Connections.csv", dev["files"]["connections"].read_bytes()))
            uploaded = await client.post("/graphql", **attack, headers=CSRF)
            assert uploaded.status_code == 200 and "startImport" in json.dumps(uploaded.json()), uploaded.text  # it ran
            # Apollo's header counts too, and so does a bearer token (both force a preflight)
            assert (await client.post("/graphql", **_multipart("{ people { totalCount } }"), headers={"apollo-require-preflight": "true"})).status_code == 200

    asyncio.run(go())


def test_a_foreign_host_name_is_refused_in_every_profile(tmp_path: Path) -> None:
    for profile in ("development", "production"):
        service = Graphsvc(Settings(data_dir=tmp_path / profile, store="", profile=profile))
        _, secret = auth.create_token(service.store, service.workspace().id, "ops", "admin")
        bearer = {"authorization": f"Bearer {secret}"}

        async def go(service: Graphsvc = service, bearer: dict[str, str] = bearer) -> None:
            app = create_app(service)
            async with _client(app, "http://rebound.evil.example:8000") as client:  # DNS rebinding: the attacker's name, our address
                for path in ("/graphql", "/healthz", "/metrics"):
                    response = await client.get(path, headers=bearer)
                    assert response.status_code == 400 and response.json()["errors"][0]["extensions"]["code"] == "HOST_NOT_ALLOWED", path
                response = await client.post("/graphql", json={"query": "{ people { totalCount } }"}, headers=bearer)
                assert response.status_code == 400
            for name in ("localhost:8000", "127.0.0.1:8000", "[::1]:8000", "app.localhost"):
                async with _client(app, f"http://{name}") as client:
                    assert (await client.post("/graphql", json={"query": "{ people { totalCount } }"}, headers=bearer)).status_code == 200, name
            # configured names, and the address graphsvc serve binds
            configured = create_app(Graphsvc(Settings(data_dir=tmp_path / profile, store="", profile=profile, allowed_hosts="graphs.example.org,.corp.example")))
            for name, status in (("graphs.example.org", 200), ("a.corp.example", 200), ("localhost", 400), ("evil.example", 400)):
                async with _client(configured, f"http://{name}") as client:
                    assert (await client.post("/graphql", json={"query": "{ people { totalCount } }"}, headers=bearer)).status_code == status, name
            bound = create_app(service, bind_host="192.168.7.7")
            async with _client(bound, "http://192.168.7.7:8000") as client:
                assert (await client.get("/healthz")).status_code == 200

        asyncio.run(go())
        service.close()


def test_a_cross_site_websocket_is_refused_before_it_opens(dev: dict[str, Any]) -> None:
    async def go() -> None:
        with pytest.raises(Denied) as denied:
            async with AsgiWebSocket(dev["app"], headers={"origin": "https://evil.example"}):
                pass
        assert denied.value.status == 403 and denied.value.json()["errors"][0]["extensions"]["code"] == "CROSS_SITE_REQUEST"
        async with AsgiWebSocket(dev["app"], headers={"origin": "http://test"}) as socket:  # GraphiQL's own page (the client's Host is "test")
            await socket.send_json({"type": "connection_init"})
            assert (await socket.receive_json())["type"] == "connection_ack"

    asyncio.run(go())


def test_development_serve_refuses_a_non_loopback_bind(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from graphsvc import cli

    monkeypatch.setattr(cli, "_in_container", lambda: False)
    monkeypatch.setenv("GRAPHSVC_PROFILE", "development")
    result = CliRunner().invoke(cli.app, ["serve", "--host", "0.0.0.0", "--port", "1"])
    assert result.exit_code == 2 and "development profile serves this machine only" in result.output
    assert cli._loopback("127.0.0.1") and cli._loopback("::1") and cli._loopback("localhost") and not cli._loopback("10.0.0.1")


# --- WebSockets and their tokens ------------------------------------------------------------------------


@pytest.fixture
def production(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    monkeypatch.setattr(app_module, "RECHECK_SECONDS", 0.05)
    service = Graphsvc(Settings(data_dir=tmp_path / "data", store="", profile="production"))
    ws = service.workspace().id
    admin, admin_secret = auth.create_token(service.store, ws, "ops", "admin")
    yield {"service": service, "ws": ws, "app": create_app(service), "admin": admin, "secret": admin_secret}
    service.close()


async def _open(app: Any, secret: str) -> AsgiWebSocket:
    socket = AsgiWebSocket(app)
    await socket.__aenter__()
    await socket.send_json({"type": "connection_init", "payload": {"Authorization": f"Bearer {secret}"}})
    assert (await socket.receive_json())["type"] == "connection_ack"
    return socket


def test_revoking_a_token_closes_its_open_socket(production: dict[str, Any]) -> None:
    service, ws = production["service"], production["ws"]

    async def go() -> None:
        socket = await _open(production["app"], production["secret"])
        await socket.send_json({"id": "1", "type": "subscribe", "payload": {"query": "{ people { totalCount } }"}})
        assert (await socket.receive_json())["type"] == "next"
        assert (await socket.receive_json())["type"] == "complete"
        await asyncio.to_thread(auth.revoke_token, service.store, ws, production["admin"].id)
        with pytest.raises(Closed) as closed:  # closed by the watchdog, without the client doing anything
            await socket.receive_json()
        assert closed.value.code == 4403 and closed.value.reason == "UNAUTHENTICATED: this bearer token was revoked"
        await socket.__aexit__(None, None, None)

    asyncio.run(go())


def test_every_operation_rechecks_the_token_and_an_expired_one_closes(production: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import datetime, timedelta, timezone

    monkeypatch.setattr(app_module, "RECHECK_SECONDS", 3600)  # only the per-operation check runs
    service, ws = production["service"], production["ws"]
    token, secret = auth.create_token(service.store, ws, "contractor", "member", expires_in_days=1)

    async def go() -> None:
        socket = await _open(production["app"], secret)
        await socket.send_json({"id": "1", "type": "subscribe", "payload": {"query": "{ people { totalCount } }"}})
        assert (await socket.receive_json())["type"] == "next"
        assert (await socket.receive_json())["type"] == "complete"
        real = auth.check_token_id
        later = datetime.now(timezone.utc) + timedelta(days=2)
        monkeypatch.setattr(auth, "check_token_id", lambda store, w, t, now=None: real(store, w, t, now or later))
        await socket.send_json({"id": "2", "type": "subscribe", "payload": {"query": 'mutation { tagPerson(person: "x", tags: ["y"]) { id } }'}})
        with pytest.raises(Closed) as closed:
            await socket.receive_json()
        assert closed.value.code == 4403 and closed.value.reason.startswith("UNAUTHENTICATED: this bearer token expired at")
        await socket.__aexit__(None, None, None)

    asyncio.run(go())
    assert token.expires_at is not None


# --- small leaks and malformed requests ------------------------------------------------------------------


def test_metrics_need_a_token_in_production(production: dict[str, Any]) -> None:
    async def go() -> None:
        async with _client(production["app"]) as client:
            refused = await client.get("/metrics")
            assert refused.status_code == 401 and refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
            served = await client.get("/metrics", headers={"authorization": f"Bearer {production['secret']}"})
            assert served.status_code == 200 and "graphsvc_requests_total" in served.text

    asyncio.run(go())


def test_metrics_on_their_own_port(tmp_path: Path) -> None:
    """Real processes: /metrics leaves the API's port and answers on GRAPHSVC_METRICS_PORT (loopback)."""
    port, metrics_port = free_port(), free_port()
    env = {"GRAPHSVC_DATA_DIR": str(tmp_path / "data"), "GRAPHSVC_STORE": "", "GRAPHSVC_PROFILE": "production",
           "GRAPHSVC_METRICS_PORT": str(metrics_port)}
    with running(["serve", "--port", str(port)], env, port) as base:
        assert httpx.get(f"{base}/metrics").status_code == 404
        scraped = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5)
        assert scraped.status_code == 200 and "graphsvc_requests_total" in scraped.text


def test_errors_never_show_server_paths(dev: dict[str, Any]) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("../evil.csv", "a,b\n")
    data_dir = str(dev["service"].settings.data_dir)

    async def go() -> None:
        async with _client(dev["app"]) as client:
            for name, body in (("bad.zip", b"PK\x03\x04garbage"), ("travel.zip", archive.getvalue())):
                response = await client.post("/graphql", **_multipart(UPLOAD, (name, body)), headers=CSRF)
                message = response.json()["errors"][0]["message"]
                assert message.startswith(f"{name}: ") and "upload-" not in message and data_dir not in response.text, message

    asyncio.run(go())
    from graphsvc.api.errors import scrub_paths

    assert scrub_paths("/srv/graphsvc/uploads/upload-k3j9x0ab-Connections.csv: bad") == "Connections.csv: bad"
    assert scrub_paths("see https://www.linkedin.com/in/ana (2026/01/02, a/b)") == "see https://www.linkedin.com/in/ana (2026/01/02, a/b)"


@pytest.mark.parametrize("mapping", ['[1]', '{"0": "variables.f"}', '{"0": [1]}', '{"0": []}', 'null', '7', '{"0": ["variables.x.y.z"]}', '{"0": ["nowhere"]}'])
def test_a_malformed_multipart_map_is_a_json_400(dev: dict[str, Any], mapping: str) -> None:
    operations = json.dumps({"query": UPLOAD, "variables": {"f": None}})

    async def go() -> httpx.Response:
        async with _client(dev["app"]) as client:
            return await client.post("/graphql", data={"operations": operations, "map": mapping},
                                     files={"0": ("a.csv", b"a,b\n", "text/csv")}, headers=CSRF)

    response = asyncio.run(go())
    assert response.status_code == 400 and response.headers["content-type"] == "application/json", response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


def test_deep_json_gets_a_clear_400(dev: dict[str, Any]) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    shallow_enough = {"query": "{ people { totalCount } }", "variables": {"v": [[["a"]]]}}
    too_deep = json.dumps({"query": "{ people { totalCount } }", "variables": {"v": json.loads("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1))}})

    async def go() -> None:
        async with _client(dev["app"]) as client:
            for body in (deep, '{"query": "{ people { totalCount } }", "variables": {"v": ' + deep + "}}", too_deep):
                response = await client.post("/graphql", content=body, headers={"content-type": "application/json"})
                assert response.status_code == 400, response.text[:300]
                error = response.json()["errors"][0]
                assert error["extensions"]["code"] == "BAD_REQUEST" and "nested too deeply" in error["message"]
            response = await client.post("/graphql", data={"operations": deep, "map": "{}"}, files={"0": ("a", b"x", "text/plain")}, headers=CSRF)
            assert response.status_code == 400 and "nested too deeply" in response.json()["errors"][0]["message"]
            assert (await client.post("/graphql", json=shallow_enough)).status_code == 200

    asyncio.run(go())


# --- private files ---------------------------------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_store_and_its_directory_are_private_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        service = Graphsvc(Settings(data_dir=tmp_path / "data", store=""))
        auth.create_token(service.store, service.workspace().id, "ops", "admin")  # a write: the WAL and its index exist
        db = tmp_path / "data" / "graphsvc.db"
        assert _mode(tmp_path / "data") == 0o700
        for path in (db, db.with_name("graphsvc.db-wal"), db.with_name("graphsvc.db-shm")):
            assert path.exists() and _mode(path) == 0o600, path
        service.close()
        # an older installation's world-readable directory and store are tightened when opened
        (tmp_path / "data").chmod(0o755)
        db.chmod(0o644)
        service = Graphsvc(Settings(data_dir=tmp_path / "data", store=""))
        create_app(service)
        assert _mode(db) == 0o600 and _mode(tmp_path / "data") == 0o700
        service.close()
    finally:
        os.umask(old)


def test_uploads_are_private(tmp_path: Path) -> None:
    from graphsvc.api.imports.mutations import _save_upload

    class Upload:
        filename = "Connections.csv"

        def __init__(self) -> None:
            self.parts = [b"a,b\n", b""]

        async def read(self, size: int) -> bytes:
            return self.parts.pop(0)

    old = os.umask(0o022)
    try:
        saved = asyncio.run(_save_upload(Upload(), tmp_path / "data" / "uploads", 1000))  # type: ignore[arg-type]
    finally:
        os.umask(old)
    assert _mode(saved) == 0o600 and _mode(saved.parent) == 0o700


def test_the_cli_writes_private_files_and_prints_imported_text_as_text(tmp_path: Path) -> None:
    """Real processes: names with rich markup and escape sequences, a vCard with ``[/]``; every file 0600."""
    env = {"GRAPHSVC_DATA_DIR": str(tmp_path / "data"), "GRAPHSVC_STORE": ""}
    sheet = tmp_path / "sheet.csv"
    sheet.write_bytes(b"Name,Email,Company,Title\nEvil [/] Name,evil@x.example,Acme [bold]Corp,Chief \x1b[31mRed\x1b[0m Officer\nBo Li,bo@x.example,Globex,CTO\n")
    cards = tmp_path / "cards [bold].vcf"
    cards.write_bytes(b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Vic [/] Card\r\nEMAIL:vic@x.example\r\nORG:Org [/]\r\nEND:VCARD\r\n"
                      b"BEGIN:VCARD\r\nVERSION:3.0\r\nEND:VCARD\r\n")
    imported = run_cli(["import", str(sheet), "--event-name", "Meet [/]up", "--event-date", "2026-01-01"], env)
    assert imported.returncode == 0, imported.stderr
    imported = run_cli(["import", str(cards), "--owner", scenario.OWNER], env)
    assert imported.returncode == 0, imported.stderr
    assert "cards [bold].vcf" in imported.stdout and "Traceback" not in imported.stderr
    listed = run_cli(["people", "--first", "100"], {**env, "COLUMNS": "400"})
    assert listed.returncode == 0, listed.stderr
    assert "Evil [/] Name" in listed.stdout and "Acme [bold]Corp" in listed.stdout and "Vic [/] Card" in listed.stdout
    assert "\x1b" not in listed.stdout and "\\x1b[31mRed" in listed.stdout
    jobs = json.loads(run_cli(["jobs", "--json"], env).stdout)
    for job in jobs:
        shown = run_cli(["job", job["id"]], env)
        assert shown.returncode == 0 and "Traceback" not in shown.stderr, shown.stderr
    assert "cards [bold].vcf" in run_cli(["jobs"], {**env, "COLUMNS": "400"}).stdout
    assert run_cli(["brokers"], env).returncode == 0  # writes the evidence file
    data = tmp_path / "data"
    assert _mode(data) == 0o700
    written = [p for p in data.rglob("*") if p.is_file()]
    assert any(p.suffix == ".npz" for p in written), written
    assert all(_mode(p) == 0o600 for p in written), [(p.name, oct(_mode(p))) for p in written]
    assert all(_mode(p) == 0o700 for p in data.rglob("*") if p.is_dir())


def test_safe_escapes_markup_and_control_characters() -> None:
    from rich.console import Console

    from graphsvc.cli_text import safe

    console = Console(file=io.StringIO(), force_terminal=False, width=200)
    console.print(f"[bold]{safe('a [/] b [red]c[/red] ' + chr(27) + '[2J d' + chr(0x202e) + 'e' + chr(9) + 'f' + chr(10) + 'g')}[/]")
    out = console.file.getvalue()
    assert out == "a [/] b [red]c[/red] \\x1b[2J d\\u202ee f\\x0ag\n"


# --- end to end over real HTTP ----------------------------------------------------------------------------


def test_cross_site_and_rebinding_refused_by_a_real_server(tmp_path: Path) -> None:
    port = free_port()
    env = {"GRAPHSVC_DATA_DIR": str(tmp_path / "data"), "GRAPHSVC_STORE": ""}
    with running(["serve", "--port", str(port)], env, port) as base:
        form = _multipart('mutation { createToken(name: "attacker", role: ADMIN) { secret } }')
        refused = httpx.post(f"{base}/graphql", **form, headers={"origin": "https://evil.example"})
        assert refused.status_code == 403 and refused.json()["errors"][0]["extensions"]["code"] == "CROSS_SITE_REQUEST"
        assert httpx.post(f"{base}/graphql", **form).status_code == 403  # no Origin, no custom header: a form could have sent it
        rebound = httpx.post(f"{base}/graphql", json={"query": "{ people { totalCount } }"}, headers={"host": f"evil.example:{port}"})
        assert rebound.status_code == 400 and rebound.json()["errors"][0]["extensions"]["code"] == "HOST_NOT_ALLOWED"
        for host in (f"localhost:{port}", f"127.0.0.1:{port}"):
            ok = httpx.post(f"{base}/graphql", json={"query": "{ people { totalCount } }"}, headers={"host": host, "origin": f"http://{host}"})
            assert ok.status_code == 200, ok.text
        tokens = run_cli(["token", "list", "--json"], env)
        assert json.loads(tokens.stdout) == []
