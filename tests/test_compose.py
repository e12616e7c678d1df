"""docker-compose.yml and the Dockerfile: validated by ``docker compose config`` where Docker's
compose is installed, and checked for the settings that matter without any Docker at all."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yml"
PASSWORD = "compose-test-password"


def _compose_command() -> list[str] | None:
    """``docker compose`` (the v2 plugin), else the standalone ``docker-compose``, else None."""
    docker = shutil.which("docker")
    if docker:
        probe = subprocess.run([docker, "compose", "version"], capture_output=True, text=True, timeout=60, check=False)
        if probe.returncode == 0:
            return [docker, "compose"]
    standalone = shutil.which("docker-compose")
    if standalone:
        return [standalone]
    return None


def _run_config(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*command, "-f", str(COMPOSE), "config", "-q"], cwd=ROOT, capture_output=True, text=True, timeout=120,
        check=False, env=env,
    )


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "NEO4J_PASSWORD"}
    env.update(extra)
    return env


def test_docker_compose_config_validates_the_file() -> None:
    command = _compose_command()
    if command is None:
        reason = "docker CLI present but no compose plugin (docker compose) nor docker-compose" if shutil.which("docker") else "no docker CLI"
        pytest.skip(f"{reason}: cannot run `docker compose config`")
    result = _run_config(command, _env(NEO4J_PASSWORD=PASSWORD))
    assert result.returncode == 0, f"{' '.join(command)} config -q failed:\n{result.stdout}{result.stderr}"

    # without NEO4J_PASSWORD compose refuses, with our message
    missing = _run_config(command, _env())
    assert missing.returncode != 0
    assert "set NEO4J_PASSWORD" in missing.stdout + missing.stderr


# --------------------------------------------------------------------------------------------
# without Docker


def _load() -> dict[str, Any] | None:
    try:
        import yaml  # type: ignore[import-untyped]
    except ImportError:
        return None
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def _service_block(text: str, name: str) -> str:
    """The lines of one service (a text-level stand-in for a YAML parser)."""
    match = re.search(rf"^  {name}:\n((?:    .*\n|\s*\n)+)", text, re.MULTILINE)
    assert match, f"no service {name!r} in docker-compose.yml"
    return match.group(1)


def test_compose_settings_neo4j_healthcheck_depends_on_and_store() -> None:
    data = _load()
    if data is not None:
        neo4j, graphsvc = data["services"]["neo4j"], data["services"]["graphsvc"]
        assert neo4j["image"] == "neo4j:5.26-community"
        auth = neo4j["environment"]["NEO4J_AUTH"]
        assert auth.startswith("neo4j/${NEO4J_PASSWORD:?") and "set NEO4J_PASSWORD" in auth
        assert "cypher-shell" in " ".join(neo4j["healthcheck"]["test"])
        assert {"/data", "/logs"} <= {v.split(":")[1] for v in neo4j["volumes"]}
        assert graphsvc["build"] == "."
        assert graphsvc["depends_on"] == {"neo4j": {"condition": "service_healthy"}}
        env = graphsvc["environment"]
        assert env["GRAPHSVC_STORE"] == "bolt://neo4j:7687"
        assert env["GRAPHSVC_NEO4J_PASSWORD"].startswith("${NEO4J_PASSWORD:?")
        assert any(str(p).endswith("8000:8000") for p in graphsvc["ports"])
        assert graphsvc["command"][:2] == ["graphsvc", "serve"] and "0.0.0.0" in graphsvc["command"]
        assert set(data["volumes"]) >= {"neo4j_data", "neo4j_logs", "graphsvc_data"}
        return

    text = COMPOSE.read_text(encoding="utf-8")
    neo4j, graphsvc = _service_block(text, "neo4j"), _service_block(text, "graphsvc")
    assert re.search(r"^    image: neo4j:5\.26-community$", neo4j, re.MULTILINE)
    assert re.search(r'NEO4J_AUTH: "neo4j/\$\{NEO4J_PASSWORD:\?set NEO4J_PASSWORD[^}]*\}"', neo4j)
    assert re.search(r"^    healthcheck:\n(?:      #.*\n)*      test: \[\"CMD-SHELL\", \"cypher-shell ", neo4j, re.MULTILINE)
    assert "- neo4j_data:/data" in neo4j and "- neo4j_logs:/logs" in neo4j
    assert re.search(r"^    build: \.$", graphsvc, re.MULTILINE)
    assert re.search(r"^    depends_on:\n      neo4j:\n        condition: service_healthy$", graphsvc, re.MULTILINE)
    assert re.search(r'^      GRAPHSVC_STORE: "bolt://neo4j:7687"$', graphsvc, re.MULTILINE)
    assert re.search(r'^      GRAPHSVC_NEO4J_PASSWORD: "\$\{NEO4J_PASSWORD:\?', graphsvc, re.MULTILINE)
    assert '"127.0.0.1:8000:8000"' in graphsvc
    assert 'command: ["graphsvc", "serve", "--host", "0.0.0.0", "--port", "8000"]' in graphsvc
    assert re.search(r"^volumes:\n  neo4j_data:\n  neo4j_logs:\n  graphsvc_data:\n", text, re.MULTILINE)


def test_the_compose_store_url_is_one_graphsvc_accepts() -> None:
    from graphsvc.settings import Settings

    target = Settings(store="bolt://neo4j:7687", neo4j_user="neo4j", neo4j_password=PASSWORD).neo4j_target()
    assert (target.uri, target.user, target.password, target.database) == ("bolt://neo4j:7687", "neo4j", PASSWORD, "neo4j")


def test_dockerfile_builds_graphsvc_from_the_repository_and_serves_on_8000() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim$", dockerfile, re.MULTILINE)
    assert re.search(r"^RUN pip install -e \.", dockerfile, re.MULTILINE)
    assert 'CMD ["graphsvc", "serve", "--host", "0.0.0.0", "--port", "8000"]' in dockerfile
    # what the image copies exists and is not excluded by .dockerignore
    copied = re.findall(r"^COPY (.+) \S+$", dockerfile, re.MULTILINE)
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines() if line.strip() and not line.startswith("#")}
    for sources in copied:
        for source in sources.split():
            assert (ROOT / source).exists(), source
            assert source not in ignored, source
    assert (ROOT / "schema" / "neo4j" / "constraints.cypher").exists()  # read at run time from the source tree
