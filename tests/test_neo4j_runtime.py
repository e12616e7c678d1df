"""The Neo4j test runtime itself: Bolt round trip, auth, HTTP discovery and Neo4j Browser."""

from __future__ import annotations

import base64
import json
import os
import socket
import urllib.request
import uuid

import pytest
from neo4j import GraphDatabase
from neo4j.exceptions import AuthError

from tests.neo4j_runtime.fixture import neo4j_server  # noqa: F401
from tests.neo4j_runtime.server import HOST, NEO4J_VERSION, Neo4jServer

pytestmark = pytest.mark.neo4j


def _get(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=30) as resp:
        return resp.status, resp.headers.get("Content-Type", ""), resp.read()


def test_cypher_round_trip(neo4j_server: Neo4jServer) -> None:
    marker = f"rt-{uuid.uuid4()}"
    with neo4j_server.driver() as driver:
        created = driver.execute_query(
            "CREATE (p:RuntimeProbe {marker: $marker, name: $name, tags: $tags}) RETURN elementId(p) AS id",
            marker=marker,
            name="Ada Lovelace",
            tags=["math", "poetry"],
        ).records
        assert len(created) == 1
        try:
            # read it back in a separate session/transaction
            with driver.session(database="neo4j") as session:
                rows = session.execute_read(
                    lambda tx: tx.run(
                        "MATCH (p:RuntimeProbe {marker: $marker}) RETURN elementId(p) AS id, p.name AS name, "
                        "p.tags AS tags, labels(p) AS labels",
                        marker=marker,
                    ).data()
                )
            assert rows == [
                {"id": created[0]["id"], "name": "Ada Lovelace", "tags": ["math", "poetry"], "labels": ["RuntimeProbe"]}
            ]
            assert driver.get_server_info().agent == f"Neo4j/{NEO4J_VERSION}"
        finally:
            summary = driver.execute_query(
                "MATCH (p:RuntimeProbe {marker: $marker}) DELETE p", marker=marker
            ).summary
            assert summary.counters.nodes_deleted == 1


def test_auth_is_enforced(neo4j_server: Neo4jServer) -> None:
    assert neo4j_server.user == "neo4j"
    assert len(neo4j_server.password) >= 8
    with GraphDatabase.driver(neo4j_server.bolt_uri, auth=("neo4j", neo4j_server.password + "-wrong")) as bad:
        with pytest.raises(AuthError):
            bad.verify_connectivity()


def test_browser_index_is_served(neo4j_server: Neo4jServer) -> None:
    assert neo4j_server.browser_url == f"{neo4j_server.http_url}/browser/"
    assert neo4j_server.http_url.startswith(f"http://{HOST}:")
    status, content_type, body = _get(neo4j_server.browser_url)
    assert status == 200
    assert content_type.startswith("text/html")
    assert b"<title>Neo4j Browser</title>" in body
    # the page's own assets resolve too (relative URLs under /browser/)
    status, content_type, png = _get(neo4j_server.browser_url + "assets/images/device-icons/favicon-16x16.png")
    assert status == 200
    assert png.startswith(b"\x89PNG")


def test_discovery_points_browser_at_this_bolt_port(neo4j_server: Neo4jServer) -> None:
    """Browser GETs / on the HTTP port to learn where Bolt is; it must be this server's port."""
    status, content_type, body = _get(neo4j_server.http_url + "/")
    assert status == 200
    assert content_type.startswith("application/json")
    discovery = json.loads(body.decode("utf-8"))
    assert discovery["bolt_direct"] == neo4j_server.bolt_uri
    assert discovery["neo4j_version"] == NEO4J_VERSION
    assert discovery["neo4j_edition"] == "community"


def test_bolt_port_accepts_websocket_upgrade(neo4j_server: Neo4jServer) -> None:
    """Browser speaks Bolt over WebSocket to the Bolt port."""
    port = int(neo4j_server.bolt_uri.rsplit(":", 1)[1])
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET / HTTP/1.1\r\nHost: {HOST}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ).encode()
    with socket.create_connection((HOST, port), timeout=30) as sock:
        sock.sendall(request)
        response = b""
        while b"\r\n\r\n" not in response:
            chunk = sock.recv(4096)
            if not chunk:
                break
            response += chunk
    assert response.split(b"\r\n", 1)[0].startswith(b"HTTP/1.1 101")
