"""What is written directly, never part of an import batch: tags, API tokens, do-not-ask
and forgetting people."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from graphsvc.model import Role, Token
from graphsvc.store.neo4j.connection import _guarded
from graphsvc.store.neo4j.cypher import _EVIDENCE_PATTERN


class _Direct:
    """Mixed into ``Neo4jStore``."""

    _driver: Any
    database: str

    # tags (written directly: a user's labels, never part of an import batch) -----------------------
    @_guarded
    def add_tag(self, workspace_id: str, person_id: str, tag: str) -> bool:
        records, _, _ = self._driver.execute_query(
            "MATCH (p:Person {workspace: $ws, id: $pid}) "
            "MERGE (t:Tag {workspace: $ws, name: $tag}) "
            "WITH p, t, EXISTS { (p)-[:TAGGED]->(t) } AS had "
            "MERGE (p)-[:TAGGED]->(t) RETURN NOT had AS added",
            {"ws": workspace_id, "pid": person_id, "tag": tag}, database_=self.database,
        )
        return bool(records and records[0]["added"])

    @_guarded
    def people_with_tag(self, workspace_id: str, tag: str) -> list[str]:
        rows = self._read(
            "MATCH (p:Person {workspace: $ws})-[:TAGGED]->(:Tag {workspace: $ws, name: $tag}) RETURN p.id AS id ORDER BY id",
            ws=workspace_id, tag=tag,
        )
        return [r["id"] for r in rows]

    @_guarded
    def tags_of(self, workspace_id: str, person_id: str) -> list[str]:
        rows = self._read(
            "MATCH (:Person {workspace: $ws, id: $pid})-[:TAGGED]->(t:Tag) RETURN t.name AS name ORDER BY name",
            ws=workspace_id, pid=person_id,
        )
        return [r["name"] for r in rows]

    # API tokens (written directly: they are not import data and never part of a batch) --------------
    @_guarded
    def add_token(self, token: Token) -> None:
        self._driver.execute_query(
            "CREATE (t:ApiToken {id: $id, workspace: $ws, name: $name, role: $role, secretHash: $hash, "
            "createdAt: $created, revokedAt: null, expiresAt: $expires})",
            {"id": token.id, "ws": token.workspace_id, "name": token.name, "role": token.role.value,
             "hash": token.secret_hash, "created": token.created_at.isoformat(),
             "expires": token.expires_at.isoformat() if token.expires_at else None},
            database_=self.database,
        )

    @staticmethod
    def _token(row: dict[str, Any]) -> Token:
        return Token(
            row["id"], row["workspace"], row["name"], Role(row["role"]), row["secretHash"],
            datetime.fromisoformat(row["createdAt"]), datetime.fromisoformat(row["revokedAt"]) if row.get("revokedAt") else None,
            datetime.fromisoformat(row["expiresAt"]) if row.get("expiresAt") else None,
        )

    @_guarded
    def token_by_hash(self, secret_hash: str) -> Token | None:
        rows = self._read("MATCH (t:ApiToken {secretHash: $hash}) RETURN properties(t) AS t", hash=secret_hash)
        return self._token(rows[0]["t"]) if rows else None

    @_guarded
    def list_tokens(self, workspace_id: str) -> list[Token]:
        rows = self._read("MATCH (t:ApiToken {workspace: $ws}) RETURN properties(t) AS t ORDER BY t.createdAt, t.id", ws=workspace_id)
        return [self._token(r["t"]) for r in rows]

    @_guarded
    def revoke_token(self, workspace_id: str, token_id: str, at: datetime) -> bool:
        records, _, _ = self._driver.execute_query(
            "MATCH (t:ApiToken {workspace: $ws, id: $id}) WHERE t.revokedAt IS NULL SET t.revokedAt = $at RETURN count(t) AS n",
            {"ws": workspace_id, "id": token_id, "at": at.isoformat()},
            database_=self.database,
        )
        return bool(records[0]["n"])

    # do not ask, forget (written directly: a user's decisions, never part of an import batch) ------
    @_guarded
    def set_do_not_ask(self, workspace_id: str, person_id: str, flag: bool, at: datetime) -> None:
        self._driver.execute_query(
            "MATCH (p:Person {workspace: $ws, id: $pid}) SET p.doNotAsk = CASE WHEN $flag THEN coalesce(p.doNotAsk, $at) ELSE null END "
            "WITH count(p) AS n MATCH (w:Workspace {id: $ws}) SET w.dataVersion = coalesce(w.dataVersion, 0) + 1",
            {"ws": workspace_id, "pid": person_id, "flag": flag, "at": at.isoformat()}, database_=self.database,
        )

    @_guarded
    def do_not_ask(self, workspace_id: str) -> set[str]:
        rows = self._read("MATCH (p:Person {workspace: $ws}) WHERE p.id IS NOT NULL AND p.doNotAsk IS NOT NULL RETURN p.id AS id", ws=workspace_id)
        return {r["id"] for r in rows}

    @_guarded
    def forget_people(self, workspace_id: str, person_ids: Iterable[str], key_hashes: Iterable[str]) -> int:
        ids, hashes = sorted(set(person_ids)), sorted(set(key_hashes))

        def work(tx: Any) -> int:
            removed = tx.run(
                f"MATCH (a:Person {{workspace: $ws}})-[e:{_EVIDENCE_PATTERN}]-() WHERE a.id IN $ids AND e.workspace = $ws "
                "RETURN count(DISTINCT e) AS n",
                ws=workspace_id, ids=ids,
            ).single()["n"]
            tx.run("MATCH (p:Person {workspace: $ws}) WHERE p.id IN $ids DETACH DELETE p", ws=workspace_id, ids=ids).consume()
            tx.run("MATCH (k:IdentityKey {workspace: $ws}) WHERE k.person IN $ids DELETE k", ws=workspace_id, ids=ids).consume()
            tx.run("MATCH (d:DistinctPair {workspace: $ws}) WHERE d.a IN $ids OR d.b IN $ids DELETE d", ws=workspace_id, ids=ids).consume()
            tx.run(
                "MATCH (r:IntroRequest {workspace: $ws}) WHERE r.requester IN $ids OR r.connector IN $ids OR r.target IN $ids DETACH DELETE r",
                ws=workspace_id, ids=ids,
            ).consume()
            tx.run(
                "MATCH (w:Workspace {id: $ws}) SET w.members = [m IN coalesce(w.members, []) WHERE NOT m IN $ids], "
                "w.forgottenKeys = coalesce(w.forgottenKeys, []) + [h IN $hashes WHERE NOT h IN coalesce(w.forgottenKeys, [])], "
                "w.dataVersion = coalesce(w.dataVersion, 0) + 1, w.generation = coalesce(w.generation, 0) + 1",
                ws=workspace_id, ids=ids, hashes=hashes,
            ).consume()
            return int(removed)

        with self._session() as session:
            removed = session.execute_write(work)
        self._caches.pop(workspace_id, None)
        return removed

    @_guarded
    def forgotten_keys(self, workspace_id: str) -> set[str]:
        rows = self._read("MATCH (w:Workspace {id: $ws}) RETURN coalesce(w.forgottenKeys, []) AS k", ws=workspace_id)
        return set(rows[0]["k"]) if rows else set()
