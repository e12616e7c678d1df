"""The walking skeleton's acceptance scenario, through the library, the CLI and GraphQL over HTTP."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from graphsvc.intros import IntroStatus
from graphsvc.service import Graphsvc
from importers import ImportOptions
from tests import scenario
from tests.servers import free_port, run_cli, running


def _import_all(service: Graphsvc, files: dict[str, Path]) -> str:
    ws = service.workspace().id
    service.import_file(ws, files["connections"], options=ImportOptions(owner=scenario.OWNER))
    service.import_file(ws, files["workshop"], options=ImportOptions(event_name="Robotics Workshop", event_date="2026-09-10", event_kind="workshop"))
    service.import_file(ws, files["conference"], options=ImportOptions(event_name="Big Tech Summit", event_date="2026-09-20", event_kind="conference"))
    return ws


def test_best_path_goes_through_the_small_workshop_and_second_through_the_conference(service: Graphsvc, tmp_path: Path) -> None:
    ws = _import_all(service, scenario.write_scenario(tmp_path / "files"))
    result = service.intro_paths(ws, "Tara Voss", as_of=datetime.fromisoformat(scenario.AS_OF))

    assert result.status is IntroStatus.FOUND
    chains = [[h.source.display_name for h in p.hops] + [p.hops[-1].target.display_name] for p in result.paths]
    assert chains[0] == ["Olivia Okafor", "Ada Quinn", "Tara Voss"]
    assert chains[1] == ["Olivia Okafor", "Bruno Silva", "Tara Voss"]
    best, second = result.paths[0], result.paths[1]
    assert best.strength > 5 * second.strength
    # Each hop is explained by its evidence.
    assert "LinkedIn" in best.hops[0].evidence[0].description
    assert "Robotics Workshop" in best.hops[1].evidence[0].description and "(10 people)" in best.hops[1].evidence[0].description
    assert "(800 people)" in second.hops[1].evidence[0].description
    # The weakest link is flagged, exactly once per path.
    for path in result.paths:
        flagged = [h for h in path.hops if h.is_weakest]
        assert len(flagged) == 1 and flagged[0].strength == min(h.strength for h in path.hops)
        assert path.strength == pytest.approx(flagged[0].strength * max(h.strength for h in path.hops), rel=1e-5)


def test_attendees_are_recognised_as_the_linkedin_connections(service: Graphsvc, tmp_path: Path) -> None:
    ws = _import_all(service, scenario.write_scenario(tmp_path / "files"))
    ada = service.find_person(ws, "Ada Quinn").person
    assert ada is not None
    assert ada.emails == ("ada@acme-robotics.example",)
    sources = {s.source_format for s in service.store.sightings(ws, ada.id)}
    assert sources == {"linkedin", "signin_sheet"}
    # owner (1) + 3 connections + workshop (8 new + target) + conference (798 new)
    assert service.store.count_people(ws, None) == 1 + 3 + 9 + 798


def test_ambiguous_target_returns_candidates_not_a_guess(service: Graphsvc, tmp_path: Path) -> None:
    ws = _import_all(service, scenario.write_scenario(tmp_path / "files"))
    result = service.intro_paths(ws, "Workshop Guest", as_of=datetime.fromisoformat(scenario.AS_OF))
    assert result.status is IntroStatus.AMBIGUOUS
    assert result.paths == [] and len(result.candidates) == 8
    assert service.intro_paths(ws, "Nobody Atall").status is IntroStatus.NOT_FOUND


def test_target_by_email_and_by_id_give_the_same_paths(service: Graphsvc, tmp_path: Path) -> None:
    ws = _import_all(service, scenario.write_scenario(tmp_path / "files"))
    as_of = datetime.fromisoformat(scenario.AS_OF)
    by_name = service.intro_paths(ws, "Tara Voss", as_of=as_of).to_dict()
    by_email = service.intro_paths(ws, scenario.TARGET[3].upper(), as_of=as_of).to_dict()
    assert by_email == by_name
    assert service.intro_paths(ws, by_name["target"]["id"], as_of=as_of).to_dict() == by_name


@pytest.mark.slow
def test_cli_json_equals_graphql_over_http(tmp_path: Path) -> None:
    files = scenario.write_scenario(tmp_path / "files")
    env = {"GRAPHSVC_DATA_DIR": str(tmp_path / "data"), "GRAPHSVC_STORE": ""}
    for key in ("connections", "workshop", "conference"):
        done = run_cli(["import", str(files[key]), *scenario.IMPORT_ARGS[key]], env)
        assert done.returncode == 0, done.stderr
    again = run_cli(["import", str(files["workshop"]), *scenario.IMPORT_ARGS["workshop"]], env)
    assert again.returncode == 0 and "already imported" in again.stdout

    cli = run_cli(["intro", "Tara Voss", "--json", "--as-of", scenario.AS_OF], env)
    assert cli.returncode == 0, cli.stderr
    from_cli = json.loads(cli.stdout)

    port = free_port()
    with running(["serve", "--port", str(port)], env, port) as base:
        response = httpx.post(
            f"{base}/graphql", json={"query": scenario.INTRO_QUERY, "variables": {"to": "Tara Voss", "asOf": scenario.AS_OF}}, timeout=30
        )
    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body, body
    assert body["data"]["introPaths"] == from_cli
    names = [[h["from"]["name"] for h in p["hops"]] + [p["hops"][-1]["to"]["name"]] for p in from_cli["paths"]]
    assert names[:2] == [["Olivia Okafor", "Ada Quinn", "Tara Voss"], ["Olivia Okafor", "Bruno Silva", "Tara Voss"]]
