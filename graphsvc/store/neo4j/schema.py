"""Constraints and indexes: schema/neo4j/constraints.cypher, applied idempotently when the
store opens (every statement is ``IF NOT EXISTS``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

SCHEMA_FILE = Path(__file__).resolve().parents[3] / "schema" / "neo4j" / "constraints.cypher"


def schema_statements(path: Path = SCHEMA_FILE) -> list[str]:
    """The statements of ``constraints.cypher`` (``//`` comment lines dropped, split on ``;``)."""
    text = "\n".join(line for line in path.read_text(encoding="utf-8").splitlines() if not line.strip().startswith("//"))
    return [s.strip() for s in text.split(";") if s.strip()]



class _Schema:
    _driver: Any
    database: str

    def apply_schema(self) -> None:
        """Create the constraints and indexes of schema/neo4j/constraints.cypher (idempotent)."""
        for statement in schema_statements():
            self._driver.execute_query(statement, database_=self.database)
        self._driver.execute_query("CALL db.awaitIndexes(300)", database_=self.database)
