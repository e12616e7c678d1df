"""The README's promises: its two set-up commands, CI running exactly the test command, the demo working."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.servers import free_port, running

ROOT = Path(__file__).resolve().parents[1]


def _setup_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Set-up: two commands", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    return [line.split("#", 1)[0].strip() for line in block.strip().splitlines()]


def test_readme_has_exactly_two_setup_commands_and_ci_runs_the_test_one() -> None:
    commands = _setup_commands()
    assert commands == ["./scripts/demo", "./scripts/test"]
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines() if line.strip() and not line.startswith("#")]
    assert ci[-1] == "exec ./scripts/test"
    for command in commands:
        assert (ROOT / command).stat().st_mode & 0o111, f"{command} is not executable"


def test_every_cli_command_is_documented_in_the_readme() -> None:
    from graphsvc.cli import app

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for command in app.registered_commands:
        name = command.name or command.callback.__name__
        assert re.search(rf"graphsvc {name}\b", readme), f"`graphsvc {name}` is missing from the README"


@pytest.mark.slow
def test_the_demo_command_imports_and_serves_a_warm_intro_path(tmp_path: Path) -> None:
    port = free_port()
    env = {"GRAPHSVC_DATA_DIR": str(tmp_path / "data"), "GRAPHSVC_STORE": ""}
    with running([], env, port, timeout=180, command=[str(ROOT / "scripts" / "demo"), "--port", str(port)]) as base:
        query = '{ introPaths(to: "Elena Petrova") { status target { organization } paths { strength hops { to { name } } } } }'
        body = httpx.post(f"{base}/graphql", json={"query": query}, timeout=30).json()
        people = httpx.post(f"{base}/graphql", json={"query": "{ people(first: 1) { totalCount } }"}, timeout=30).json()
    result = body["data"]["introPaths"]
    assert result["status"] == "FOUND" and result["target"]["organization"] == "Northwind Traders, Inc."
    assert len(result["paths"]) == 3 and all(p["hops"][-1]["to"]["name"] == "Elena Petrova" for p in result["paths"])
    assert people["data"]["people"]["totalCount"] > 800
