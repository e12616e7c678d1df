"""The server's analytics processes (graphsvc/api/analytics_processes.py): real children, a real store."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from graphsvc.api.analytics_processes import AnalyticsProcesses, InServerThread
from graphsvc.errors import AnalyticsUnavailable, InvalidArgument
from graphsvc.intros import IntroStatus
from graphsvc.service import Graphsvc
from graphsvc.settings import Settings
from importers import ImportOptions
from tests import scenario
from tests.neo4j_runtime.fixture import neo4j_server  # noqa: F401
from tests.servers import free_port, running

AS_OF = datetime.fromisoformat(scenario.AS_OF)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", store="")


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    return scenario.write_scenario(tmp_path / "files")


@pytest.fixture
def service(settings: Settings) -> Iterator[Graphsvc]:
    svc = Graphsvc(settings)
    yield svc
    svc.close()


@pytest.fixture
def processes(settings: Settings, service: Graphsvc) -> Iterator[AnalyticsProcesses]:
    pool = AnalyticsProcesses(settings, 2)
    yield pool
    pool.close()


def _import_events(service: Graphsvc, ws: str, files: dict[str, Path]) -> None:
    service.import_file(ws, files["workshop"], options=ImportOptions(event_name="Robotics Workshop", event_date="2026-09-10", event_kind="workshop"))
    service.import_file(ws, files["conference"], options=ImportOptions(event_name="Big Tech Summit", event_date="2026-09-20", event_kind="conference"))


def _ask(pool: Any, *args: Any, **kwargs: Any) -> Any:
    return asyncio.run(pool.ask("intro_paths", *args, **kwargs))


def test_a_child_answers_as_the_server_thread_does(service: Graphsvc, processes: AnalyticsProcesses, files: dict[str, Path]) -> None:
    ws = service.workspace().id
    service.import_file(ws, files["connections"], options=ImportOptions(owner=scenario.OWNER))
    _import_events(service, ws, files)
    processes.start()
    for target in ("Tara Voss", scenario.TARGET[3], "Workshop Guest", "Nobody Atall"):
        from_child = _ask(processes, ws, target, k=3, as_of=AS_OF)
        from_thread = _ask(InServerThread(service), ws, target, k=3, as_of=AS_OF)
        assert from_child.to_dict() == from_thread.to_dict()
    assert from_child.status is IntroStatus.NOT_FOUND
    assert _ask(processes, ws, "Tara Voss", as_of=AS_OF).status is IntroStatus.FOUND
    assert len(processes.pids()) == 2 and os.getpid() not in processes.pids()


def test_a_child_sees_what_was_written_after_it_started(service: Graphsvc, processes: AnalyticsProcesses, files: dict[str, Path]) -> None:
    ws = service.workspace().id
    service.import_file(ws, files["connections"], options=ImportOptions(owner=scenario.OWNER))
    processes.start()
    assert _ask(processes, ws, "Tara Voss", as_of=AS_OF).status is IntroStatus.NOT_FOUND
    _import_events(service, ws, files)  # written by this process, after the children loaded their arrays
    answer = _ask(processes, ws, "Tara Voss", as_of=AS_OF)
    assert answer.status is IntroStatus.FOUND
    assert answer.to_dict() == service.intro_paths(ws, "Tara Voss", as_of=AS_OF).to_dict()


def test_an_error_in_a_child_arrives_as_itself(service: Graphsvc, processes: AnalyticsProcesses, files: dict[str, Path]) -> None:
    ws = service.workspace().id
    service.import_file(ws, files["connections"], options=ImportOptions(owner=scenario.OWNER))
    with pytest.raises(InvalidArgument, match="k must be between"):
        _ask(processes, ws, "Tara Voss", k=0)
    with pytest.raises(ValueError, match="not a question"):
        asyncio.run(processes.ask("merge_people", ws, "a", "b"))


def test_a_killed_child_is_replaced_and_the_question_asked_again(service: Graphsvc, processes: AnalyticsProcesses, files: dict[str, Path]) -> None:
    ws = service.workspace().id
    service.import_file(ws, files["connections"], options=ImportOptions(owner=scenario.OWNER))
    _import_events(service, ws, files)
    expected = _ask(processes, ws, "Tara Voss", as_of=AS_OF).to_dict()
    before = processes.pids()
    os.kill(before[0], signal.SIGKILL)
    deadline = time.monotonic() + 10
    while before[0] in processes.pids() and time.monotonic() < deadline:  # until the pool has seen it die
        time.sleep(0.05)
    assert _ask(processes, ws, "Tara Voss", as_of=AS_OF).to_dict() == expected
    after = processes.pids()
    assert after and not set(after) & set(before)


def test_a_question_that_kills_every_pool_is_unavailable(service: Graphsvc, settings: Settings, files: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    ws = service.workspace().id
    service.import_file(ws, files["connections"], options=ImportOptions(owner=scenario.OWNER))
    # A child that dies while it answers, on every pool: the settings make each child's store path
    # a directory it cannot open, so its initializer fails and the pool breaks before answering.
    broken = settings.model_copy(update={"store": f"sqlite:///{settings.data_dir}"})
    pool = AnalyticsProcesses(broken, 1)
    try:
        with pytest.raises(AnalyticsUnavailable, match="ask again"):
            _ask(pool, ws, "Tara Voss")
    finally:
        pool.close()


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found.update(int(c) for c in text)
    return found


def _expected_answer(settings: Settings, files: dict[str, Path]) -> dict[str, Any]:
    """Import the scenario into the store of ``settings`` and answer in process, as JSON would show it."""
    svc = Graphsvc(settings)
    try:
        ws = svc.workspace().id
        svc.import_file(ws, files["connections"], options=ImportOptions(owner=scenario.OWNER))
        _import_events(svc, ws, files)
        return json.loads(json.dumps(svc.intro_paths(ws, "Tara Voss", as_of=AS_OF).to_dict(), default=str))
    finally:
        svc.close()


def _intro_over_http(base: str) -> dict[str, Any]:
    response = httpx.post(f"{base}/graphql", json={"query": scenario.INTRO_QUERY, "variables": {"to": "Tara Voss", "asOf": scenario.AS_OF}}, timeout=60)
    body = response.json()
    assert "errors" not in body, body
    return body["data"]["introPaths"]


@pytest.mark.slow
def test_serve_answers_intro_paths_in_its_children(tmp_path: Path, files: dict[str, Path]) -> None:
    env = {"GRAPHSVC_DATA_DIR": str(tmp_path / "srv"), "GRAPHSVC_STORE": "", "GRAPHSVC_ANALYTICS_PROCESSES": "2"}
    expected = _expected_answer(Settings(data_dir=tmp_path / "srv", store=""), files)
    port = free_port()
    with running(["serve", "--port", str(port)], env, port) as base:
        answer = _intro_over_http(base)
        assert answer["status"] == "FOUND" and answer == expected
        children = _children(_pid_of_server(port))
        assert len(children) >= 2, children  # the two analytics processes (and spawn's resource tracker)
    deadline = time.monotonic() + 15
    while any(Path(f"/proc/{c}").exists() for c in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [c for c in children if Path(f"/proc/{c}").exists()], "the analytics processes outlived the server"


def _pid_of_server(port: int) -> int:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"serve" in argv and str(port).encode() in argv:
                return int(entry.name)
    raise AssertionError(f"no server on port {port}")


@pytest.mark.neo4j
@pytest.mark.slow
def test_serve_on_neo4j_answers_in_children_connected_to_neo4j(tmp_path: Path, files: dict[str, Path], neo4j_server: Any) -> None:
    host = neo4j_server.bolt_uri.split("://", 1)[1]
    env = {
        "GRAPHSVC_DATA_DIR": str(tmp_path / "srv"), "GRAPHSVC_STORE": f"bolt://{neo4j_server.user}:{neo4j_server.password}@{host}",
        "GRAPHSVC_DEFAULT_WORKSPACE": f"processes-{uuid.uuid4().hex[:10]}", "GRAPHSVC_ANALYTICS_PROCESSES": "2",
    }
    expected = _expected_answer(Settings(data_dir=tmp_path / "srv", store=env["GRAPHSVC_STORE"], default_workspace=env["GRAPHSVC_DEFAULT_WORKSPACE"]), files)
    shutil.rmtree(tmp_path / "srv" / "evidence", ignore_errors=True)  # the children build the arrays from Neo4j
    port = free_port()
    with running(["serve", "--port", str(port)], env, port) as base:
        answer = _intro_over_http(base)
        assert answer["status"] == "FOUND" and answer == expected
        assert len(_children(_pid_of_server(port))) >= 2
