"""The CLI starts fast because it loads nothing it does not need.

Each check runs a fresh interpreter and looks at ``sys.modules``: importing ``graphsvc.cli``,
``graphsvc --help`` and ``graphsvc people`` must not load the analytics (networkx, numpy), the
GraphQL API (strawberry, starlette, uvicorn), the Neo4j driver, every importer, or pydantic
(typer converts parameters with it unless ``graphsvc.cli._Command`` does it first). A behaviour
test, not a timing test: a module-level import of any of these fails it on any machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from graphsvc.errors import ConfigurationError
from graphsvc.settings import Settings

HEAVY = (
    "strawberry", "networkx", "numpy", "neo4j", "uvicorn", "starlette", "pydantic", "pydantic_settings", "icalendar",
    "graphsvc.service", "graphsvc.analytics", "graphsvc.snapshot", "graphsvc.intros", "graphsvc.api", "graphsvc.imports.jobs",
    "importers.linkedin", "importers.signin_sheet", "http.server",
)

PROBE = """
import json, sys
sys.argv = ["graphsvc", *json.loads(sys.argv[1])]
import graphsvc.cli
if len(sys.argv) > 1:
    try:
        graphsvc.cli.app()
    except SystemExit as exc:
        code = exc.code
    else:
        code = 0
else:
    code = 0
sys.stdout.write("\\n" + json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def _loaded(args: list[str], tmp_path: Path) -> tuple[int, set[str]]:
    env = {**os.environ, "GRAPHSVC_DATA_DIR": str(tmp_path / "data"), "GRAPHSVC_STORE": ""}
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(args)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.rsplit("\n", 1)[1])
    return report["code"], set(report["modules"])


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


@pytest.mark.parametrize(
    "args",
    [[], ["--help"], ["people"], ["people", "Ada", "--first", "5"], ["jobs", "--json"], ["neo4j", "--help"]],
    ids=lambda args: " ".join(args) or "import graphsvc.cli",
)
def test_light_commands_load_nothing_heavy(args: list[str], tmp_path: Path) -> None:
    code, modules = _loaded(args, tmp_path)
    assert code == 0
    assert _heavy(modules) == []


def test_import_help_still_lists_every_format(tmp_path: Path) -> None:
    # the format list needs every importer, so only this help loads them — and still no analytics
    code, modules = _loaded(["import", "--help"], tmp_path)
    assert code == 0 and "importers.linkedin" in modules
    assert not {"networkx", "numpy", "strawberry", "graphsvc.service"} & modules
    env = {**os.environ, "GRAPHSVC_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run([sys.executable, "-m", "graphsvc", "import", "--help"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "--events" in done.stdout
    for name in ("linkedin", "signin_sheet", "eventbrite", "vcard"):
        assert name in done.stdout


def test_a_command_that_needs_the_analytics_still_loads_them(tmp_path: Path) -> None:
    code, modules = _loaded(["intro", "Nobody", "--as-of", "2026-01-01"], tmp_path)
    assert code == 2 and "graphsvc.service" in modules  # nobody matches in an empty store: exit 2, as explain


def test_bad_parameter_values_are_refused_without_pydantic(tmp_path: Path) -> None:
    env = {**os.environ, "GRAPHSVC_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run([sys.executable, "-m", "graphsvc", "people", "--first", "many"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "'many' is not a valid integer" in done.stderr


def test_settings_come_from_keywords_then_environment_then_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRAPHSVC_DATA_DIR", str(tmp_path / "env"))
    monkeypatch.setenv("graphsvc_import_batch_rows", "100")  # any case, as pydantic-settings read them
    monkeypatch.setenv("GRAPHSVC_HALF_LIVES", '{"interaction": 90}')
    monkeypatch.setenv("GRAPHSVC_NEO4J_PROJECT_KNOWS", "false")
    monkeypatch.setenv("GRAPHSVC_NOT_A_SETTING", "ignored")
    settings = Settings(profile="production", request_timeout_seconds=5)
    assert settings.data_dir == tmp_path / "env" and settings.import_batch_rows == 100
    assert settings.half_lives == {"interaction": 90.0} and settings.neo4j_project_knows is False
    assert settings.profile == "production" and settings.request_timeout_seconds == 5.0
    assert Settings(data_dir=str(tmp_path / "kw")).data_dir == tmp_path / "kw"
    assert Settings(**settings.model_dump()) == settings
    assert settings.model_copy(update={"store": "bolt://h:1"}).store == "bolt://h:1" and settings.store == ""
    assert "secret" not in repr(Settings(neo4j_password="secret"))


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("GRAPHSVC_PROFILE", "prod", "GRAPHSVC_PROFILE='prod' is not one of development, production"),
        ("GRAPHSVC_MAX_UPLOAD_BYTES", "lots", "is not an integer"),
        ("GRAPHSVC_HALF_LIVES", "{", "is not a JSON object"),
        ("GRAPHSVC_NEO4J_PROJECT_KNOWS", "maybe", "is not true or false"),
        ("GRAPHSVC_NEO4J_PASSWORD", "", None),
    ],
)
def test_a_setting_that_does_not_fit_names_its_variable(monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str | None) -> None:
    monkeypatch.setenv(variable, value)
    if message is None:
        Settings()
        return
    with pytest.raises(ConfigurationError, match=message.replace("(", r"\(").replace("{", r"\{")):
        Settings()
