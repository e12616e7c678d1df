"""``graphsvc people`` pages through everyone (--after, --all) and ``graphsvc person REF`` shows one person, on the demo data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.demo_store import demo_data_dir, demo_env
from tests.servers import run_cli


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return demo_env(demo_data_dir(tmp_path_factory))


def _json(args: list[str], env: dict[str, str]) -> dict:
    done = run_cli([*args, "--json"], env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_people_pages_with_after_and_all_list_everyone_once(env: dict[str, str]) -> None:
    everyone = _json(["people", "--all"], env)
    ids = [p["id"] for p in everyone["people"]]
    assert len(ids) == everyone["totalCount"] > 800 and len(set(ids)) == len(ids)
    assert everyone["hasNextPage"] is False and everyone["endCursor"] is None
    first = _json(["people", "--first", "100"], env)
    assert first["hasNextPage"] is True and first["endCursor"] == first["people"][-1]["id"]
    second = _json(["people", "--first", "100", "--after", first["endCursor"]], env)
    assert [p["id"] for p in first["people"] + second["people"]] == ids[:200]
    text = run_cli(["people", "--first", "3"], env)
    assert text.returncode == 0 and f"next: graphsvc people --after {ids[2]}" in text.stdout
    assert "Elena Petrova" in run_cli(["people", "Petrova", "--all"], env).stdout
    bad = run_cli(["people", "--after", "p_nobody"], env)
    assert bad.returncode == 2 and "--after" in bad.stderr


def test_person_shows_names_emails_sources_ties_and_events(env: dict[str, str]) -> None:
    maya = _json(["person", "Maya Lindqvist", "--ties", "5"], env)
    assert maya["person"]["name"] == "Maya Lindqvist" and maya["person"]["isMember"] is True
    assert len(maya["records"]) == 3  # her own export, and two teammates' exports that know her
    assert {s["format"] for s in maya["sources"]} == {"linkedin", "signin_sheet"} and len(maya["sources"]) == 4
    assert "maya.lindqvist@brightline.example" in maya["emails"]
    strengths = [t["strength"] for t in maya["ties"]]
    assert len(strengths) == 5 and strengths == sorted(strengths, reverse=True) and maya["tieCount"] >= 5
    assert all(t["because"] and t["level"] for t in maya["ties"])
    assert [e["name"] for e in maya["events"]] == ["Founders Breakfast"] and maya["events"][0]["attendeeCount"] == 12
    by_email = _json(["person", "maya.lindqvist@brightline.example", "--ties", "5"], env)
    assert by_email["person"] == maya["person"] and by_email["ties"] == maya["ties"]
    elena = _json(["person", "Elena Petrova", "--ties", "1"], env)
    assert {e["name"] for e in elena["events"]} == {"Data Strategy Workshop", "SaaS Summit 2026"}
    text = run_cli(["person", "Maya Lindqvist"], env)
    assert text.returncode == 0, text.stderr
    for part in ("Maya Lindqvist", "Sources", "Strongest ties", "Events (1)", "Founders Breakfast", "3 merged"):
        assert part in text.stdout, part


def test_person_nobody_or_several_exit_2(env: dict[str, str]) -> None:
    nobody = run_cli(["person", "Zzyzx Nobody"], env)
    assert nobody.returncode == 2 and "nobody matches" in nobody.stderr
    several = run_cli(["person", "Adele"], env)
    assert several.returncode == 2 and "several people" in several.stderr
