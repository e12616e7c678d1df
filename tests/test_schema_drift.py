from pathlib import Path

from graphsvc.api.schema import schema, sdl

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "schema" / "schema.graphql"


def test_checked_in_sdl_matches_the_served_schema() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == sdl(), (
        "schema/schema.graphql is stale: run `graphsvc schema > schema/schema.graphql`"
    )


def test_walking_skeleton_fields_and_arguments_are_served() -> None:
    graphql_schema = schema._schema
    query = graphql_schema.query_type.fields
    assert set(query["people"].args) >= {"search", "first", "after"}
    assert set(query["person"].args) == {"id"}
    assert set(query["introPaths"].args) >= {"to", "from", "k", "maxHops", "asOf"}
    assert set(query["importJob"].args) == {"id"}
    start = graphql_schema.mutation_type.fields["startImport"]
    assert set(start.args) >= {"file", "format", "options"} and str(start.args["file"].type) == "Upload!"
    assert str(start.type) == "ImportJob!"
