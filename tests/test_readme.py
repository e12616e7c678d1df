"""The README's promises: its two set-up commands, CI running exactly the test command, the demo working."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

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


# ------------------------------------------------------------------------------------------
# every README example works on the demo data


#: What the README's placeholders stand for in the demo community (``graphsvc demo``'s data).
def _placeholders(env: dict[str, str]) -> dict[str, str]:
    from tests.servers import run_cli

    def listed(args: list[str]) -> Any:
        done = run_cli([*args, "--json"], env)
        assert done.returncode == 0, (args, done.stderr)
        return json.loads(done.stdout)

    jobs = {j["fileName"]: j["id"] for j in listed(["jobs"])}
    events = {e["name"]: e["id"] for e in listed(["events"])}
    maya = listed(["person", "Maya Lindqvist", "--ties", "0"])
    tokens = listed(["token", "list"])
    requests = listed(["asks"])["introRequests"]["edges"]
    return {
        "REQUEST_ID": requests[0]["node"]["id"] if requests else "",
        "JOB_ID": jobs["climate-tech-meetup-attendees.csv"], "EVENT_ID": events["Founders Breakfast"],
        "KEEP_ID": events["Founders Breakfast"], "OTHER_ID": events["Climate Tech Meetup"],
        "PERSON_A": "Adele Adams", "PERSON_B": "Adele Dubois", "PERSON": "Maya Lindqvist", "--avoid PERSON": "--avoid=Ivo Weber",
        "RECORD_ID": maya["records"][-1]["id"], "SEARCH": "Adele", "CURSOR": "", "TOKEN_ID": tokens[0]["id"] if isinstance(tokens, list) else "",
        "--name ...": "--name=Founders Breakfast (May)", "--date ...": "--date=2026-05-21", "--kind ...": "--kind=breakfast",
    }


#: README commands not run here, and why.
NOT_RUN = {
    "serve": "serves until stopped (the demo test above serves it)",
    "demo": "the demo itself (test_the_demo_command_imports_and_serves_a_warm_intro_path)",
    "neo4j": "needs a Neo4j server (tests/test_neo4j_*.py run these against the suite's)",
}
#: The README's example files, as the demo wrote them.
FILES = {
    "Connections.csv": "sofia-Connections.csv", "Complete_LinkedInDataExport_11-01-2026.zip": "Complete_LinkedInDataExport_11-01-2026.zip",
    "workshop.csv": "Data Strategy Workshop (Responses).csv", "exports/": "jonas-linkedin-export", "lists/*.csv": "*-attendees.csv",
}


def _readme_cli_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## CLI", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    commands = []
    for line in block.strip().splitlines():
        line = re.split(r"\s{2,}#", line, maxsplit=1)[0].strip()
        commands += [part.strip() for part in line.split(" | graphsvc ")]
    return [c if c.startswith("graphsvc ") else "graphsvc " + c for c in commands]


def _argv(command: str, values: dict[str, str], demo_files: Path, tmp: Path) -> list[str]:
    """The command with every optional part given (the last of ``a | b``, the first of ``x|y``) and
    its placeholders and example files replaced by the demo's."""
    import shlex

    def optional(match: re.Match[str]) -> str:
        inner = match.group(1).split(" | ")[-1]
        for placeholder, value in values.items():
            if placeholder.startswith("--") and inner == placeholder:
                return shlex.quote(value)
        return inner

    command = re.sub(r"\[([^\[\]]+)\]", optional, command)
    argv = []
    for word in shlex.split(command)[1:]:
        if word.startswith("--") or "|" not in word:
            pass
        else:
            word = word.split("|")[0]
        word = values.get(word, word)
        if word in FILES:
            word = str(demo_files / FILES[word])
        elif word == "events.csv":
            manifest = tmp / "events.csv"
            manifest.write_text(
                "file,name,date,kind\nclimate-tech-meetup-attendees.csv,Climate Tech Meetup,2026-06-11,meetup\n"
                "saas-summit-2026-attendees.csv,SaaS Summit 2026,2026-04-22,conference\n", encoding="utf-8",
            )
            word = str(manifest)
        if word:
            argv.append(word)
    return argv


def test_every_readme_cli_example_works_on_the_demo_data(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    import shutil

    from tests.demo_store import demo_data_dir, demo_env
    from tests.servers import run_cli

    base = tmp_path / "base"
    shutil.copytree(demo_data_dir(tmp_path_factory), base)
    env = demo_env(base)
    setups = (["tag", "Elena Petrova", "investor"], ["token", "create", "readme", "--role", "read_only"], ["ask", "Elena Petrova"])
    for setup in setups:  # what later examples name
        assert run_cli(setup, env).returncode == 0
    values = _placeholders(env)
    commands = _readme_cli_commands()
    assert len(commands) >= 35
    ran = []
    for n, command in enumerate(commands):
        if command.split()[1] in NOT_RUN:
            continue
        data = tmp_path / f"run-{n}"
        shutil.copytree(base, data)  # each example on the demo data as it is, so none depends on another
        argv = _argv(command, values, data / "demo" / "seed-7", tmp_path)
        done = run_cli(argv, demo_env(data))
        assert done.returncode == 0, (command, argv, done.stdout[-2000:], done.stderr[-2000:])
        ran.append(command)
    assert {c.split()[1] for c in ran} >= {"import", "jobs", "job", "events", "event", "people", "person", "intro", "explain", "forget", "token"}


def test_every_readme_graphql_example_works_on_the_demo_data(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    import asyncio
    import shutil

    from graphsvc.api.app import create_app
    from graphsvc.service import Graphsvc
    from graphsvc.settings import Settings
    from tests.demo_store import demo_data_dir

    data = tmp_path / "data"
    shutil.copytree(demo_data_dir(tmp_path_factory), data)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## GraphQL", 1)[1].split("## CLI", 1)[0]
    intro = json.loads(re.search(r"-d '(\{.*?\})'", section, re.S).group(1))  # the introPaths curl
    upload = json.loads(re.search(r"-F operations='(\{.*?\})'", section, re.S).group(1))
    poll = re.search(r"# then poll: (\{.*\})", section).group(1)
    service = Graphsvc(Settings(data_dir=data, store=""))

    async def go() -> list[dict[str, Any]]:
        transport = httpx.ASGITransport(app=create_app(service))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            paths = (await client.post("/graphql", json=intro)).json()
            connections = data / "demo" / "seed-7" / "sofia-Connections.csv"
            started = (await client.post(
                "/graphql", headers={"x-graphsvc-csrf": "1"},
                data={"operations": json.dumps(upload), "map": json.dumps({"0": ["variables.f"]})},
                files={"0": ("Connections.csv", connections.read_bytes(), "text/csv")},
            )).json()
            job_id = started["data"]["startImport"]["id"]
            for _ in range(200):
                polled = (await client.post("/graphql", json={"query": poll.replace("job_…", job_id)})).json()
                if polled["data"]["importJob"]["status"] != "RUNNING":
                    break
                await asyncio.sleep(0.05)
            return [paths, started, polled]

    try:
        paths, started, polled = asyncio.run(go())
    finally:
        service.close()
    for body in (paths, started, polled):
        assert "errors" not in body, body
    assert paths["data"]["introPaths"]["status"] == "FOUND" and len(paths["data"]["introPaths"]["paths"]) == 2
    job = polled["data"]["importJob"]
    assert job["status"] == "COMPLETED" and job["rowsRejected"] == job["rejects"]["totalCount"] == len(job["rejects"]["edges"])
