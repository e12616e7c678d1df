"""Intro requests over GraphQL: requestIntro (idempotent), updateIntroRequest (ILLEGAL_TRANSITION),
introRequests as a Relay connection, followUps, the introRequestChanged subscription, ROI's
introductions, permissions (read-only tokens cannot create or update) and workspace isolation."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from graphsvc import auth
from graphsvc.api.app import create_app
from graphsvc.service import Graphsvc
from graphsvc.settings import Settings
from tests.asgi_ws import AsgiWebSocket
from tests.community import build_community

REQUEST = """
mutation($to: String!, $via: String, $from: String, $key: String) {
  requestIntro(to: $to, via: $via, from: $from, idempotencyKey: $key) {
    id state idempotencyKey requester { name } connector { name } target { name }
    transitions { state at note } pathStrength pathAdvice pathEvidence
    ask { subject text blurb whyConnector shared mailto }
    connectorBudget { limit spent remaining exhausted windowDays } tieStrength
  }
}"""
UPDATE = """
mutation($id: ID!, $state: IntroRequestState!, $note: String! = "") {
  updateIntroRequest(id: $id, state: $state, note: $note) {
    id state transitions { state note } tieStrength connectorBudget { spent exhausted }
  }
}"""
LIST = """
query($first: Int!, $after: String, $state: IntroRequestState) {
  introRequests(first: $first, after: $after, state: $state) {
    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id state target { name } } }
  }
}"""
FOLLOW_UPS = """
query($asOf: DateTime) {
  followUps(asOf: $asOf, first: 100) { totalCount edges { node { kind due person { name } member { name } reason nextStep requestId } } }
}"""
CHANGED = "subscription($id: ID) { introRequestChanged(id: $id) { id state } }"


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, Any]]:
    service = Graphsvc(Settings(data_dir=tmp_path / "data", store="", profile="production"))
    spaces = {}
    for name in ("alpha", "beta"):
        ws = service.workspace(name).id
        ids = build_community(service.store, ws)
        spaces[name] = {
            "ws": ws, "ids": ids,
            "admin": auth.create_token(service.store, ws, f"{name}-admin", "admin")[1],
            "member": auth.create_token(service.store, ws, f"{name}-member", "member")[1],
            "reader": auth.create_token(service.store, ws, f"{name}-reader", "read_only")[1],
        }
    app = create_app(service)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
    yield {"service": service, "app": app, "client": client, "spaces": spaces}
    service.close()


def gql(env: dict[str, Any], query: str, variables: dict[str, Any] | None = None, token: str | None = None, space: str = "alpha") -> dict[str, Any]:
    token = token or env["spaces"][space]["admin"]
    response = asyncio.run(env["client"].post("/graphql", json={"query": query, "variables": variables or {}}, headers={"authorization": f"Bearer {token}"}))
    assert response.status_code == 200, response.text
    return response.json()


def code(body: dict[str, Any]) -> str:
    return body["errors"][0]["extensions"]["code"]


def test_request_intro_drafts_the_ask_and_a_retry_finds_it(env: dict[str, Any]) -> None:
    body = gql(env, REQUEST, {"to": "Tina Target", "key": "click-1"})
    made = body["data"]["requestIntro"]
    assert made["state"] == "DRAFTED" and made["idempotencyKey"] == "client:click-1"
    assert (made["requester"]["name"], made["connector"]["name"], made["target"]["name"]) == ("Maya Lindqvist", "Sol Single", "Tina Target")
    assert made["ask"]["text"].startswith("Hi Sol,") and made["ask"]["mailto"].startswith("mailto:sol.single@omega.example?subject=")
    assert made["pathEvidence"] and made["pathAdvice"].startswith("Warm introduction via Sol Single")
    assert made["connectorBudget"] == {"limit": 2, "spent": 0, "remaining": 2, "exhausted": False, "windowDays": 91}
    assert made["tieStrength"] is None  # Maya and Tina share no evidence yet
    again = gql(env, REQUEST, {"to": "Tina Target", "key": "click-1"})["data"]["requestIntro"]
    assert again["id"] == made["id"]
    assert gql(env, LIST, {"first": 20})["data"]["introRequests"]["totalCount"] == 1
    assert code(gql(env, REQUEST, {"to": "Tara Weak", "key": "click-1"})) == "CONFLICT"


def test_steps_are_recorded_and_illegal_ones_refused(env: dict[str, Any]) -> None:
    made = gql(env, REQUEST, {"to": "Tina Target"})["data"]["requestIntro"]
    illegal = gql(env, UPDATE, {"id": made["id"], "state": "INTRODUCED"})
    assert code(illegal) == "ILLEGAL_TRANSITION" and "is drafted: it cannot become introduced" in illegal["errors"][0]["message"]
    for state in ("ASKED_CONNECTOR", "CONNECTOR_AGREED", "TARGET_OPTED_IN"):
        moved = gql(env, UPDATE, {"id": made["id"], "state": state, "note": state.lower()})["data"]["updateIntroRequest"]
        assert moved["state"] == state
    retried = gql(env, UPDATE, {"id": made["id"], "state": "TARGET_OPTED_IN"})["data"]["updateIntroRequest"]
    assert len(retried["transitions"]) == 4  # a retried step is recorded once
    introduced = gql(env, UPDATE, {"id": made["id"], "state": "INTRODUCED"})["data"]["updateIntroRequest"]
    assert introduced["tieStrength"] == pytest.approx(0.288, abs=0.01)  # the introduction is evidence now
    assert code(gql(env, UPDATE, {"id": "intro_unknown", "state": "MET"})) == "NOT_FOUND"


def test_read_only_tokens_cannot_create_or_update(env: dict[str, Any]) -> None:
    reader, member = env["spaces"]["alpha"]["reader"], env["spaces"]["alpha"]["member"]
    assert code(gql(env, REQUEST, {"to": "Tina Target"}, token=reader)) == "FORBIDDEN"
    made = gql(env, REQUEST, {"to": "Tina Target"}, token=member)["data"]["requestIntro"]  # members may
    assert code(gql(env, UPDATE, {"id": made["id"], "state": "ASKED_CONNECTOR"}, token=reader)) == "FORBIDDEN"
    assert gql(env, UPDATE, {"id": made["id"], "state": "ASKED_CONNECTOR"}, token=member)["data"]["updateIntroRequest"]["state"] == "ASKED_CONNECTOR"
    seen = gql(env, LIST, {"first": 5}, token=reader)["data"]["introRequests"]  # reading is allowed
    assert [e["node"]["state"] for e in seen["edges"]] == ["ASKED_CONNECTOR"]


def test_a_workspace_never_sees_another_workspaces_requests(env: dict[str, Any]) -> None:
    made = gql(env, REQUEST, {"to": "Tina Target"})["data"]["requestIntro"]
    beta = env["spaces"]["beta"]["admin"]
    assert gql(env, LIST, {"first": 20}, token=beta)["data"]["introRequests"]["totalCount"] == 0
    assert gql(env, "query($id: ID!) { introRequest(id: $id) { id } }", {"id": made["id"]}, token=beta)["data"]["introRequest"] is None
    assert code(gql(env, UPDATE, {"id": made["id"], "state": "WITHDRAWN"}, token=beta)) == "NOT_FOUND"
    theirs = gql(env, REQUEST, {"to": "Tina Target"}, token=beta)["data"]["requestIntro"]
    assert theirs["id"] != made["id"]
    assert [e["node"]["id"] for e in gql(env, LIST, {"first": 20})["data"]["introRequests"]["edges"]] == [made["id"]]


def test_intro_requests_page_as_a_relay_connection(env: dict[str, Any]) -> None:
    ids = [gql(env, REQUEST, {"to": to})["data"]["requestIntro"]["id"] for to in ("Tina Target", "Tara Weak", "Milo Missed")]
    first = gql(env, LIST, {"first": 2})["data"]["introRequests"]
    assert first["totalCount"] == 3 and first["pageInfo"]["hasNextPage"]
    rest = gql(env, LIST, {"first": 2, "after": first["pageInfo"]["endCursor"]})["data"]["introRequests"]
    listed = [e["node"]["id"] for e in first["edges"] + rest["edges"]]
    assert sorted(listed) == sorted(ids) and len(set(listed)) == 3 and not rest["pageInfo"]["hasNextPage"]
    assert code(gql(env, LIST, {"first": 2, "after": "bm9wZQ=="})) == "INVALID_ARGUMENT"
    gql(env, UPDATE, {"id": ids[0], "state": "WITHDRAWN"})
    withdrawn = gql(env, LIST, {"first": 20, "state": "WITHDRAWN"})["data"]["introRequests"]
    assert [e["node"]["id"] for e in withdrawn["edges"]] == [ids[0]]


def test_follow_ups_come_due_on_time(env: dict[str, Any]) -> None:
    made = gql(env, REQUEST, {"to": "Tina Target"})["data"]["requestIntro"]
    gql(env, UPDATE, {"id": made["id"], "state": "ASKED_CONNECTOR"})
    asked = env["service"].intro_request(env["spaces"]["alpha"]["ws"], made["id"]).updated_at

    def asks(when: datetime) -> list[dict[str, Any]]:
        edges = gql(env, FOLLOW_UPS, {"asOf": when.isoformat()})["data"]["followUps"]["edges"]
        return [e["node"] for e in edges if e["node"]["requestId"] == made["id"]]

    assert asks(asked + timedelta(days=6)) == []
    due = asks(asked + timedelta(days=7))
    assert [(d["kind"], d["person"]["name"], d["member"]["name"]) for d in due] == [("ASK_UNANSWERED", "Sol Single", "Maya Lindqvist")]
    assert datetime.fromisoformat(due[0]["due"]) == asked + timedelta(days=7)


def test_roi_counts_introductions(env: dict[str, Any]) -> None:
    made = gql(env, REQUEST, {"to": "Milo Missed", "from": "Maya Lindqvist"})["data"]["requestIntro"]
    assert made["requester"]["name"] == "Maya Lindqvist" and made["connector"]["name"] == "Jonas Abara"
    for state in ("ASKED_CONNECTOR", "CONNECTOR_AGREED", "TARGET_OPTED_IN", "INTRODUCED"):
        gql(env, UPDATE, {"id": made["id"], "state": state})
    roi = gql(env, "{ eventRoi(first: 100) { edges { node { name introductions } } } channelRoi { channel introductions } }")["data"]
    events = {e["node"]["name"]: e["node"]["introductions"] for e in roi["eventRoi"]["edges"]}
    assert events["Robotics Workshop"] == 1 and sum(events.values()) == 1
    assert {c["channel"]: c["introductions"] for c in roi["channelRoi"]}["EVENT"] == 1


def test_the_subscription_follows_a_request_to_its_end(env: dict[str, Any]) -> None:
    service, ws = env["service"], env["spaces"]["alpha"]["ws"]
    made = gql(env, REQUEST, {"to": "Tina Target"})["data"]["requestIntro"]

    async def go() -> list[str]:
        states = []
        async with AsgiWebSocket(env["app"]) as socket:
            await socket.send_json({"type": "connection_init", "payload": {"Authorization": f"Bearer {env['spaces']['alpha']['admin']}"}})
            assert (await socket.receive_json())["type"] == "connection_ack"
            await socket.send_json({"id": "1", "type": "subscribe", "payload": {"query": CHANGED, "variables": {"id": made["id"]}}})
            steps = iter(["asked_connector", "connector_agreed", "target_declined"])
            while True:
                message = await asyncio.wait_for(socket.receive_json(), 10)
                if message["type"] == "complete":
                    return states
                states.append(message["payload"]["data"]["introRequestChanged"]["state"])
                step = next(steps, None)
                if step:
                    await asyncio.to_thread(service.update_intro_request, ws, made["id"], step)

    assert asyncio.run(go()) == ["DRAFTED", "ASKED_CONNECTOR", "CONNECTOR_AGREED", "TARGET_DECLINED"]


def test_the_workspace_subscription_reports_new_and_moved_requests(env: dict[str, Any]) -> None:
    service, ws = env["service"], env["spaces"]["alpha"]["ws"]

    async def go() -> list[tuple[str, str]]:
        async with AsgiWebSocket(env["app"]) as socket:
            await socket.send_json({"type": "connection_init", "payload": {"Authorization": f"Bearer {env['spaces']['alpha']['admin']}"}})
            assert (await socket.receive_json())["type"] == "connection_ack"
            await socket.send_json({"id": "1", "type": "subscribe", "payload": {"query": CHANGED}})
            await asyncio.sleep(0.5)
            made = await asyncio.to_thread(service.request_intro, ws, "Tina Target")
            first = await asyncio.wait_for(socket.receive_json(), 10)
            await asyncio.to_thread(service.update_intro_request, ws, made.id, "asked_connector")
            second = await asyncio.wait_for(socket.receive_json(), 10)
            await socket.send_json({"id": "1", "type": "complete"})
            return [(m["payload"]["data"]["introRequestChanged"]["id"], m["payload"]["data"]["introRequestChanged"]["state"]) for m in (first, second)]

    seen = asyncio.run(go())
    made_id = service.intro_requests(ws)[0].id
    assert seen == [(made_id, "DRAFTED"), (made_id, "ASKED_CONNECTOR")]
