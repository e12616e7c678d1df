"""``graphsvc ask TARGET [--via]``, ``graphsvc ask update ID --state``, ``graphsvc ask show``,
``graphsvc asks`` and ``graphsvc follow-ups`` on the planted community: the ask is drafted, each
step recorded, illegal ones refused (exit 2), the effect shown; ``--json`` is the GraphQL shape;
imported text is printed safely."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from graphsvc.service import Graphsvc
from graphsvc.settings import Settings
from tests.community import build_community
from tests.servers import run_cli


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    data_dir = tmp_path / "data"
    service = Graphsvc(Settings(data_dir=data_dir, store=""))
    build_community(service.store, service.workspace().id)
    service.close()
    return {"GRAPHSVC_DATA_DIR": str(data_dir), "GRAPHSVC_STORE": ""}


def cli(env: dict[str, str], *args: str, code: int = 0) -> str:
    done = run_cli(list(args), env)
    assert done.returncode == code, (args, done.stdout, done.stderr)
    return done.stdout + done.stderr


def ask_json(env: dict[str, str], *args: str) -> dict[str, Any]:
    return json.loads(cli(env, "ask", *args, "--json"))


def test_from_ask_to_met_on_the_command_line(env: dict[str, str]) -> None:
    text = cli(env, "ask", "Tina Target")
    assert "drafted  Maya Lindqvist → Sol Single → Tina Target" in text
    assert "Subject: Would you introduce me to Tina Target?" in text and "Hi Sol," in text
    assert "mailto:sol.single@omega.example?subject=" in text
    request_id = text.split()[0]
    assert f"graphsvc ask update {request_id} --state asked_connector" in text
    again = ask_json(env, "Tina Target", "--via", "Sol Single")["requestIntro"]
    assert again["id"] == request_id and again["state"] == "DRAFTED"  # the same request: no duplicate
    assert cli(env, "ask", "update", request_id, "--state", "asked_connector").startswith(f"{request_id}: drafted → asked_connector")
    refused = cli(env, "ask", "update", request_id, "--state", "introduced", code=2)
    assert "error (ILLEGAL_TRANSITION)" in refused and "cannot become introduced" in refused
    assert "unknown state 'married'" in cli(env, "ask", "update", request_id, "--state", "married", code=2)
    cli(env, "ask", "update", request_id, "--state", "connector-agreed", "--note", "Sol will ask her")
    cli(env, "ask", "update", request_id, "--state", "target_opted_in")
    introduced = cli(env, "ask", "update", request_id, "--state", "introduced")
    assert "tie Maya Lindqvist – Tina Target: none → 0.2" in introduced and "the introduction is evidence now" in introduced
    met = cli(env, "ask", "update", request_id, "--state", "met")
    assert "tie Maya Lindqvist – Tina Target: 0.2" in met and "→ 0.3" in met
    shown = cli(env, "ask", "show", request_id)
    for state in ("drafted", "asked_connector", "connector_agreed — Sol will ask her", "target_opted_in", "introduced", "met"):
        assert state in shown
    listed = cli(env, "asks")
    assert request_id in listed and "met" in listed
    assert json.loads(cli(env, "asks", "--state", "met", "--json"))["introRequests"]["totalCount"] == 1


def test_two_declines_spend_the_budget_and_intro_says_why(env: dict[str, str]) -> None:
    for n in (1, 2):
        made = ask_json(env, "Tara Weak")["requestIntro"]
        assert made["connector"]["name"] == "Lukas Link"
        cli(env, "ask", "update", made["id"], "--state", "asked_connector")
        declined = cli(env, "ask", "update", made["id"], "--state", "connector_declined")
        assert f"Lukas Link's ask budget: {n} of 2 spent" in declined
    assert "spent: intro paths rank Lukas Link lower; ask someone else first" in declined
    paths = json.loads(cli(env, "intro", "Tara Weak", "--json"))["paths"]
    assert "Lukas Link" not in paths[0]["advice"]
    assert any("Lukas Link's ask budget is spent" in p["advice"] for p in paths)
    assert "budget spent (2/2)" in cli(env, "asks")


def test_follow_ups_are_a_dated_to_do_list(env: dict[str, str]) -> None:
    made = ask_json(env, "Tina Target")["requestIntro"]
    asked = json.loads(cli(env, "ask", "update", made["id"], "--state", "asked_connector", "--json"))["updateIntroRequest"]
    at = datetime.fromisoformat(asked["updatedAt"])
    early = cli(env, "follow-ups", "--as-of", (at + timedelta(days=6)).isoformat())
    assert made["id"] not in early
    due = cli(env, "follow-ups", "--as-of", (at + timedelta(days=7)).isoformat())
    assert f"[ ] due {(at + timedelta(days=7)).date().isoformat()}  Sol Single (Omega Inc) — ask unanswered" in due
    assert f"graphsvc ask update {made['id']} --state ..." in due
    data = json.loads(cli(env, "follow-ups", "--as-of", (at + timedelta(days=7)).isoformat(), "--json"))
    assert [e["node"]["kind"] for e in data["followUps"]["edges"] if e["node"]["requestId"] == made["id"]] == ["ASK_UNANSWERED"]


def test_errors_and_imported_text_are_printed_safely(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    service = Graphsvc(Settings(data_dir=data_dir, store=""))
    ws = service.workspace().id
    ids = build_community(service.store, ws)
    person = service.store.get_people(ws, [ids["Sol Single"]])[ids["Sol Single"]]
    from dataclasses import replace

    service.raw_store.update_person(ws, replace(person, display_name="Sol [bold]Single\x1b[2J", first_name="Sol"))
    service.close()
    env = {"GRAPHSVC_DATA_DIR": str(data_dir), "GRAPHSVC_STORE": ""}
    text = cli(env, "ask", "Tina Target")
    assert "Sol [bold]Single\\x1b[2J" in text and "\x1b" not in text
    assert "nobody matches 'Nobody Atall'" in cli(env, "ask", "Nobody Atall", code=2)
    assert "NOT_FOUND" in cli(env, "ask", "update", "intro_nope", "--state", "withdrawn", code=2)
