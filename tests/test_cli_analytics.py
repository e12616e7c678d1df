"""The analytics commands: their --json is exactly what GraphQL returns over HTTP, and their text is readable."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from graphsvc.api import local
from graphsvc.service import Graphsvc
from graphsvc.settings import Settings
from tests.community import AS_OF, build_community
from tests.servers import free_port, run_cli, running

CASES = [
    (["neglected", "--kind", "dormant", "--first", "5"], local.NEGLECTED, {"kind": "DORMANT", "member": None, "first": 5, "after": None}),
    (["explain", "Maya Lindqvist", "Dora Dormant"], local.TIE, {"a": "Maya Lindqvist", "b": "Dora Dormant"}),
    (["brokers", "--first", "5", "--seed", "3"], local.BROKERS, {"first": 5, "after": None, "seed": 3}),
    (["communities", "--seed", "3"], local.COMMUNITIES, {"seed": 3, "first": 20, "after": None}),
    (["roi"], local.ROI, {"first": 100, "after": None, "strong": 0.3}),
]


@pytest.mark.slow
def test_analytics_cli_json_equals_graphql_over_http(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    service = Graphsvc(Settings(data_dir=data_dir, store=""))
    build_community(service.store, service.workspace().id)
    service.close()
    env = {"GRAPHSVC_DATA_DIR": str(data_dir), "GRAPHSVC_STORE": ""}
    as_of = AS_OF.isoformat()
    from_cli = []
    for args, _, _ in CASES:
        done = run_cli([*args, "--as-of", as_of, "--json"], env)
        assert done.returncode == 0, done.stderr
        from_cli.append(json.loads(done.stdout))
    port = free_port()
    with running(["serve", "--port", str(port)], env, port) as base:
        for (args, document, variables), expected in zip(CASES, from_cli):
            body = httpx.post(f"{base}/graphql", json={"query": document, "variables": {**variables, "asOf": as_of}}, timeout=60).json()
            assert "errors" not in body, (args, body)
            assert body["data"] == expected, args
    assert from_cli[0]["neglectedTies"]["edges"][0]["node"]["person"]["name"] == "Dora Dormant"
    assert from_cli[2]["brokers"]["edges"][0]["node"]["person"]["name"] == "Bea Broker"
    communities = from_cli[3]["communities"]
    assert communities["totalCount"] >= 2 and all(
        e["node"]["members"]["totalCount"] == e["node"]["size"] >= len(e["node"]["members"]["edges"]) for e in communities["edges"]
    )
    assert from_cli[4]["eventRoi"]["totalCount"] == len(from_cli[4]["eventRoi"]["edges"]) >= 1


def test_analytics_cli_text_and_errors(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    service = Graphsvc(Settings(data_dir=data_dir, store=""))
    build_community(service.store, service.workspace().id)
    service.close()
    env = {"GRAPHSVC_DATA_DIR": str(data_dir), "GRAPHSVC_STORE": ""}
    done = run_cli(["neglected", "--kind", "missed_follow_up", "--as-of", AS_OF.isoformat()], env)
    assert done.returncode == 0 and "Milo Missed" in done.stdout.splitlines()[0]
    done = run_cli(["explain", "Maya Lindqvist", "Nobody Known"], env)
    assert done.returncode == 2 and "INVALID_ARGUMENT" in done.stderr and "Nobody Known" in done.stderr
    done = run_cli(["intro", "Tina Target", "--as-of", "not-a-date"], env)
    assert done.returncode == 2 and "--as-of" in done.stderr
