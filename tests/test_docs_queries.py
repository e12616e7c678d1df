"""Every GraphQL query the docs show is valid against the checked-in schema (docs checked by tests)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from graphql import DocumentNode, build_schema, parse, validate

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = build_schema((ROOT / "schema" / "schema.graphql").read_text(encoding="utf-8"))


def _blocks() -> list[tuple[str, str]]:
    found = []
    for doc in ("docs/api.md",):
        text = (ROOT / doc).read_text(encoding="utf-8")
        found += [(f"{doc}#{n}", block) for n, block in enumerate(re.findall(r"```graphql\n(.*?)```", text, re.S), 1)]
    # the README shows its queries inside shell snippets, as comments and JSON strings
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found += [(f"README.md poll#{n}", q) for n, q in enumerate(re.findall(r"# then poll: (\{.*\})\s*$", readme, re.M), 1)]
    return found


BLOCKS = _blocks()


def test_the_docs_show_queries() -> None:
    assert len(BLOCKS) >= 10 and any(name.startswith("README") for name, _ in BLOCKS)


@pytest.mark.parametrize("name,query", BLOCKS, ids=[name for name, _ in BLOCKS])
def test_documented_query_is_valid(name: str, query: str) -> None:
    document = parse(query)
    for operation in document.definitions:  # a block may show several operations, one per use
        errors = validate(SCHEMA, DocumentNode(definitions=(operation,)))
        assert not errors, f"{name}: {[e.message for e in errors]}"
