"""Small CLI fixes of issue 15 item 7: every --help renders (rich reads no markup in it), --event-kind
is checked against a documented set, and `intro` with nobody matching exits 2 as `explain` does."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from graphsvc.cli import app
from importers.base import EVENT_KINDS
from tests.demo_store import demo_data_dir, demo_env
from tests.servers import run_cli


def _commands(group: object, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path]
    if isinstance(getattr(group, "commands", None), dict):
        for name, command in group.commands.items():  # type: ignore[attr-defined]
            found += _commands(command, (*path, name))
    return found


def test_every_command_s_help_renders_its_text_literally() -> None:
    root = typer.main.get_command(app)
    paths = _commands(root)
    assert ("neo4j", "browse") in paths and ("neo4j", "sync") in paths and ("neo4j", "view") in paths
    runner = CliRunner()
    for path in paths:
        result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, (path, result.output, result.exception)
        assert "Usage:" in result.output, path
    sync = runner.invoke(app, ["neo4j", "sync", "--help"], env={"COLUMNS": "200"})
    assert "neo4j://[user:password@]host:7687[/database]" in sync.output  # brackets shown, not read as markup


def test_event_kind_is_checked_against_the_documented_kinds(tmp_path: Path) -> None:
    env = {"GRAPHSVC_DATA_DIR": str(tmp_path / "data"), "GRAPHSVC_STORE": ""}
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("Name,Email\nAna Ruiz,ana@example.es\n", encoding="utf-8")
    bad = run_cli(["import", str(sheet), "--event-name", "X", "--event-date", "2026-03-01", "--event-kind", "wrokshop"], env)
    assert bad.returncode == 2 and "unknown event kind 'wrokshop'" in bad.stderr and "workshop" in bad.stderr
    manifest = tmp_path / "events.csv"
    manifest.write_text("file,name,date,kind\nsheet.csv,X,2026-03-01,gala night\n", encoding="utf-8")
    listed = run_cli(["import", str(sheet), "--events", str(manifest)], env)
    assert listed.returncode == 2 and "unknown event kind 'gala night'" in listed.stderr
    good = run_cli(["import", str(sheet), "--event-name", "X", "--event-date", "2026-03-01", "--event-kind", " Workshop "], env)
    assert good.returncode == 0, good.stderr
    help_text = " ".join(CliRunner().invoke(app, ["import", "--help"], env={"COLUMNS": "400"}).output.split())
    assert all(kind in help_text for kind in EVENT_KINDS)  # the help documents every kind


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return demo_env(demo_data_dir(tmp_path_factory))


def test_intro_with_nobody_or_several_matching_exits_2_as_explain_does(demo: dict[str, str]) -> None:
    nobody = run_cli(["intro", "Zzyzx Nobody"], demo)
    assert nobody.returncode == 2 and "nobody in your network matches" in nobody.stderr
    as_json = run_cli(["intro", "Zzyzx Nobody", "--json"], demo)
    assert as_json.returncode == 2 and '"status": "NOT_FOUND"' in as_json.stdout
    several = run_cli(["intro", "Adele"], demo)
    assert several.returncode == 2 and "Several people match" in several.stdout
    assert run_cli(["explain", "Zzyzx Nobody", "Maya Lindqvist"], demo).returncode == 2
    assert run_cli(["intro", "Elena Petrova"], demo).returncode == 0
