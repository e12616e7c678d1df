from pathlib import Path

from graphsvc.api.schema import sdl

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "schema" / "schema.graphql"


def test_checked_in_sdl_matches_the_served_schema() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == sdl(), (
        "schema/schema.graphql is stale: run `graphsvc schema > schema/schema.graphql`"
    )


def test_walking_skeleton_fields_are_in_the_schema() -> None:
    served = sdl()
    for field in ("people(search: String", "person(id: ID!)", "introPaths(to: String!, from: String", "importJob(id: ID!)"):
        assert field in served
    assert "startImport(file: Upload!, format: String" in served
