"""A property-based fuzz of the whole schema against a running uvicorn server (hypothesis-graphql)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis_graphql import queries

from graphsvc.api.schema import sdl
from graphsvc.service import Graphsvc
from graphsvc.settings import Settings
from importers import ImportOptions
from tests import scenario
from tests.servers import free_port, running


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("fuzz")
    service = Graphsvc(Settings(data_dir=root / "data", store=""))
    files = scenario.write_scenario(root / "files")
    ws = service.workspace().id
    service.import_file(ws, files["connections"], options=ImportOptions(owner=scenario.OWNER))
    service.import_file(ws, files["workshop"], options=ImportOptions(event_name="Robotics Workshop", event_date="2026-09-10"))
    service.close()
    port = free_port()
    with running(["serve", "--port", str(port)], {"GRAPHSVC_DATA_DIR": str(root / "data"), "GRAPHSVC_STORE": ""}, port) as base:
        yield base


@pytest.mark.slow
def test_fuzzed_queries_never_get_a_5xx_or_an_internal_error(server: str) -> None:
    client = httpx.Client(base_url=server, timeout=60)
    seen: list[str] = []

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(query=queries(sdl()))
    def check(query: str) -> None:
        response = client.post("/graphql", json={"query": query})
        assert response.status_code < 500, (query, response.text)
        body = response.json()
        for error in body.get("errors") or []:
            assert error["message"] != "Unexpected error.", (query, body)
            assert "Traceback" not in error["message"]
        seen.append(query)

    check()
    client.close()
    assert len(seen) >= 100
