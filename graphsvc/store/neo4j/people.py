"""Workspaces, members, people, identity keys, sightings (what identity resolution reads and
writes, pending in the block until it commits)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from typing import Any, Iterable

from graphsvc.model import Person, Sighting, Workspace, stable_id
from graphsvc.store.neo4j.connection import _guarded
from graphsvc.store.neo4j.rows import _PERSON_LIST, _chunks, _person
from graphsvc.store.search import folded_search, matches, record_text


class _People:
    """Mixed into ``Neo4jStore``."""

    _driver: Any
    database: str

    # workspaces -------------------------------------------------------------------------------
    @_guarded
    def workspace(self, name: str) -> Workspace:
        rows = self._read("MATCH (w:Workspace {name: $name}) RETURN w.id AS id", name=name)
        if rows:
            return Workspace(rows[0]["id"], name)
        workspace = Workspace(stable_id("ws", name), name)
        self._driver.execute_query(
            "MERGE (w:Workspace {id: $id}) "
            "ON CREATE SET w.generation = 0, w.dataVersion = 0, w.members = [], w.createdAt = datetime() "
            "SET w.name = $name",
            id=workspace.id, name=name, database_=self.database,
        )
        return workspace

    def _member_set(self, workspace_id: str) -> set[str]:
        block = self._block()
        members: set[str] = set()
        if block is not None:
            cache = self._cache_for(block, workspace_id)
            if cache is not None:
                members = set(cache.members)
            else:
                members = set(self._stored_members(workspace_id))
            pend = block.ws.get(workspace_id)
            if pend:
                members.update(pend.members)
            return members
        return set(self._stored_members(workspace_id))

    def _stored_members(self, workspace_id: str) -> list[str]:
        rows = self._read("MATCH (w:Workspace {id: $ws}) RETURN coalesce(w.members, []) AS m", ws=workspace_id)
        return list(rows[0]["m"]) if rows else []

    @_guarded
    def member_ids(self, workspace_id: str) -> list[str]:
        return sorted(self._member_set(workspace_id))

    @_guarded
    def add_member(self, workspace_id: str, person_id: str) -> None:
        with self.atomic():
            if person_id in self._member_set(workspace_id):
                return
            pend = self._block_now().pending(workspace_id)
            pend.members.append(person_id)
            pend.dirty = True

    # people -----------------------------------------------------------------------------------
    @_guarded
    def get_people(self, workspace_id: str, ids: Iterable[str]) -> dict[str, Person]:
        wanted = list(dict.fromkeys(ids))
        block = self._block()
        pend = block.ws.get(workspace_id) if block else None
        found: dict[str, Person] = {}
        rest = wanted
        if pend is not None:
            found.update({pid: pend.new_persons[pid] for pid in wanted if pid in pend.new_persons})
            rest = [pid for pid in wanted if pid not in found]
        cache = self._cache_for(block, workspace_id) if block is not None and rest else None
        if cache is not None:
            found.update({pid: cache.persons[pid] for pid in rest if pid in cache.persons})
        elif rest:
            found.update(self._stored_people(workspace_id, rest))
        if pend is not None:
            found.update({pid: p for pid, p in pend.updated_persons.items() if pid in found})
        members = self._member_set(workspace_id) if found else set()
        # stored and pending people carry is_member=False: only members need a copy
        return {pid: replace(found[pid], is_member=True) if pid in members else found[pid] for pid in wanted if pid in found}

    def names_of(self, workspace_id: str, ids: Iterable[str]) -> dict[str, tuple[str, str, str]]:
        # inside an import block people come from its cache: a lighter query would read no less
        return {pid: (p.first_name, p.last_name, p.display_name) for pid, p in self.get_people(workspace_id, ids).items()}

    def _stored_people(self, workspace_id: str, ids: list[str]) -> dict[str, Person]:
        found: dict[str, Person] = {}
        for chunk in _chunks(ids):
            for row in self._read(
                f"UNWIND $ids AS id MATCH (p:Person {{workspace: $ws, id: id}}) RETURN {_PERSON_LIST} AS p",
                ws=workspace_id, ids=list(chunk),
            ):
                found[row["p"][0]] = _person(row["p"])
        return found

    def _people_page(self, workspace_id: str, limit: int, after: str | None) -> list[list[Any]] | None:
        """Every person but merged records, by (sort name, id), after ``after``; None if ``after`` is nobody."""

        def work(tx: Any) -> list[dict[str, Any]] | None:
            args: dict[str, Any] = {"ws": workspace_id}
            clause = ""
            if after:
                anchor = tx.run("MATCH (a:Person {workspace: $ws, id: $id}) RETURN a.sortName AS s", ws=workspace_id, id=after).single()
                if anchor is None:
                    return None
                clause = " AND (p.sortName > $s OR (p.sortName = $s AND p.id > $after))"
                args.update(s=anchor["s"], after=after)
            limit_clause = " LIMIT $limit" if limit >= 0 else ""
            query = (
                f"MATCH (p:Person {{workspace: $ws}}) WHERE p.id IS NOT NULL AND p.mergedInto IS NULL{clause} "
                f"RETURN {_PERSON_LIST} AS person ORDER BY p.sortName, p.id{limit_clause}"
            )
            return [r["person"] for r in tx.run(query, args, limit=limit).data()]

        return self._read_consistent(workspace_id, work)

    def _search_matches(self, workspace_id: str, search: str) -> list[tuple[str, list[Any]]]:
        """The people (``(sort name, _PERSON_LIST row)``, by sort name and id) whose records match
        ``search`` as ``graphsvc.store.search`` says: each record's names, emails, organization and
        URL folded in Python (Cypher cannot fold accents), a merged record's hit counted for its person."""
        folded = folded_search(search)
        if not folded:
            return []

        def work(tx: Any) -> list[dict[str, Any]]:
            return tx.run(
                f"MATCH (p:Person {{workspace: $ws}}) WHERE p.id IS NOT NULL "
                f"RETURN {_PERSON_LIST} AS person, p.mergedInto AS into, p.sortName AS s",
                ws=workspace_id,
            ).data()

        rows = self._read_consistent(workspace_id, work)
        hits: set[str] = set()
        for r in rows:
            pid, name, first, last, org, _title, emails, url = r["person"]
            if matches(record_text(name or "", first or "", last or "", org or "", emails or (), url or ""), folded):
                hits.add(r["into"] or pid)
        return sorted(((r["s"] or "", r["person"]) for r in rows if r["into"] is None and r["person"][0] in hits), key=lambda x: (x[0], x[1][0]))

    @_guarded
    def search_people(self, workspace_id: str, search: str | None, limit: int, after: str | None = None) -> list[Person]:
        if not search or not search.strip():
            rows = self._people_page(workspace_id, limit, after)
        else:
            found = self._search_matches(workspace_id, search)
            if after:
                anchor = self._read_consistent(
                    workspace_id,
                    lambda tx: tx.run("MATCH (a:Person {workspace: $ws, id: $id}) RETURN a.sortName AS s", ws=workspace_id, id=after).single(),
                )
                if anchor is None:
                    return []
                found = [(s, row) for s, row in found if (s, row[0]) > (anchor["s"] or "", after)]
            rows = [row for _, row in (found if limit < 0 else found[:limit])]
        if not rows:
            return []
        members = self._member_set(workspace_id)
        return [_person(row, row[0] in members) for row in rows]

    @_guarded
    def count_people(self, workspace_id: str, search: str | None) -> int:
        if search and search.strip():
            return len(self._search_matches(workspace_id, search))
        query = "MATCH (p:Person {workspace: $ws}) WHERE p.id IS NOT NULL AND p.mergedInto IS NULL RETURN count(p) AS n"
        return int(self._read_consistent(workspace_id, lambda tx: tx.run(query, ws=workspace_id).single()["n"]))

    @_guarded
    def person_for_key(self, workspace_id: str, kind: str, value: str) -> str | None:
        block = self._block()
        if block is not None:
            pend = block.ws.get(workspace_id)
            if pend is not None and (kind, value) in pend.keys:
                return pend.keys[(kind, value)]
            cache = self._cache_for(block, workspace_id)
            if cache is not None:
                return cache.keys.get((kind, value))
        rows = self._read(
            "MATCH (k:IdentityKey {workspace: $ws, kind: $kind, value: $value}) RETURN k.person AS p",
            ws=workspace_id, kind=kind, value=value,
        )
        return rows[0]["p"] if rows else None

    @_guarded
    def keys_of(self, workspace_id: str, person_id: str) -> list[tuple[str, str]]:
        keys: set[tuple[str, str]] = set()
        block = self._block()
        cache = self._cache_for(block, workspace_id) if block is not None else None
        if cache is not None:
            keys.update(cache.person_keys.get(person_id, ()))
        else:
            rows = self._read(
                "MATCH (k:IdentityKey {workspace: $ws, person: $pid}) RETURN k.kind AS kind, k.value AS value",
                ws=workspace_id, pid=person_id,
            )
            keys.update((r["kind"], r["value"]) for r in rows)
        pend = block.ws.get(workspace_id) if block is not None else None
        if pend is not None:
            keys.update(key for key, pid in pend.keys.items() if pid == person_id)
        return sorted(keys)

    @_guarded
    def keys_of_many(self, workspace_id: str, person_ids: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
        wanted = sorted(set(person_ids))
        block = self._block()
        cache = self._cache_for(block, workspace_id) if block is not None else None
        found: dict[str, set[tuple[str, str]]] = {}
        if cache is not None:
            for pid in wanted:
                if cache.person_keys.get(pid):
                    found[pid] = set(cache.person_keys[pid])
        else:
            for chunk in _chunks(wanted):
                for r in self._read(
                    "UNWIND $ids AS id MATCH (k:IdentityKey {workspace: $ws, person: id}) RETURN k.person AS p, k.kind AS kind, k.value AS value",
                    ws=workspace_id, ids=list(chunk),
                ):
                    found.setdefault(r["p"], set()).add((r["kind"], r["value"]))
        pend = block.ws.get(workspace_id) if block is not None else None
        if pend is not None:
            wanted_set = set(wanted)
            for key, pid in pend.keys.items():
                if pid in wanted_set:
                    found.setdefault(pid, set()).add(key)
        return {pid: sorted(keys) for pid, keys in found.items()}

    @_guarded
    def add_person(self, workspace_id: str, person: Person) -> None:
        with self.atomic():
            pend = self._block_now().pending(workspace_id)
            pend.new_persons[person.id] = replace(person, is_member=False)
            pend.updated_persons.pop(person.id, None)
            pend.dirty = True

    def add_people(self, workspace_id: str, people: Iterable[Person]) -> None:
        with self.atomic():  # pending until the block commits, like every write here
            for person in people:
                self.add_person(workspace_id, person)

    @_guarded
    def update_person(self, workspace_id: str, person: Person) -> None:
        with self.atomic():
            pend = self._block_now().pending(workspace_id)
            stored = replace(person, is_member=False)
            if person.id in pend.new_persons:
                pend.new_persons[person.id] = stored
            else:
                pend.updated_persons[person.id] = stored
            pend.dirty = True

    @_guarded
    def add_key(self, workspace_id: str, kind: str, value: str, person_id: str) -> bool:
        with self.atomic():
            holder = self.person_for_key(workspace_id, kind, value)
            if holder is None:
                self._block_now().pending(workspace_id).keys[(kind, value)] = person_id
                return True
            return holder == person_id

    def add_keys(self, workspace_id: str, keys: Iterable[tuple[str, str, str]]) -> None:
        with self.atomic():
            for kind, value, person_id in keys:
                self.add_key(workspace_id, kind, value, person_id)

    @_guarded
    def persons_for_keys(self, workspace_id: str, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
        wanted = sorted(set(keys))
        if self._block() is not None:
            # inside a block the pending keys and, after CACHE_AFTER_LOOKUPS lookups, the workspace
            # cache answer these: an import batch reads the workspace once, not once per batch
            found = {key: self.person_for_key(workspace_id, *key) for key in wanted}
            return {key: person for key, person in found.items() if person is not None}
        result: dict[tuple[str, str], str] = {}
        for chunk in _chunks(wanted):
            rows = self._read(
                "UNWIND $keys AS key MATCH (k:IdentityKey {workspace: $ws, kind: key[0], value: key[1]}) "
                "RETURN k.kind AS kind, k.value AS value, k.person AS p",
                ws=workspace_id, keys=[list(key) for key in chunk],
            )
            result.update(((r["kind"], r["value"]), r["p"]) for r in rows)
        return result

    def add_sightings(self, workspace_id: str, sightings: Iterable[Sighting]) -> None:
        with self.atomic():
            for sighting in sightings:
                self.add_sighting(workspace_id, sighting)

    @_guarded
    def add_sighting(self, workspace_id: str, sighting: Sighting) -> None:
        with self.atomic():
            pend = self._block_now().pending(workspace_id)
            pend.sightings.setdefault((sighting.job_id, sighting.row, sighting.person_id), sighting)

    @_guarded
    def sightings(self, workspace_id: str, person_id: str) -> list[Sighting]:
        def work(tx: Any) -> list[Sighting]:
            rows = tx.run(
                "MATCH (p:Person {workspace: $ws, id: $pid})-[s:SEEN_IN]->(:ImportJob) WHERE s.workspace = $ws "
                "RETURN s {.jobId, .sourceFormat, .sourceName, .row, .name, .email, .linkedinUrl, .organization, .title} AS s",
                ws=workspace_id, pid=person_id,
            ).data()
            return [
                Sighting(person_id, s["jobId"], s["sourceFormat"], s["sourceName"], s["row"], s["name"], s["email"],
                         s["linkedinUrl"], s["organization"], s["title"])
                for s in (r["s"] for r in rows)
            ]

        return sorted(self._read_consistent(workspace_id, work), key=lambda s: (s.job_id, s.row))

    @_guarded
    def organizations_seen(self, workspace_id: str, person_ids: Iterable[str]) -> dict[str, set[str]]:
        wanted = sorted(set(person_ids))
        found: dict[str, set[str]] = defaultdict(set)
        for chunk in _chunks(wanted):
            for r in self._read(
                "UNWIND $ids AS id MATCH (:Person {workspace: $ws, id: id})-[s:SEEN_IN]->(:ImportJob) "
                "WHERE s.workspace = $ws AND s.organization <> '' RETURN id, collect(DISTINCT s.organization) AS organizations",
                ws=workspace_id, ids=list(chunk),
            ):
                found[r["id"]].update(r["organizations"])
        pend = self._pending(workspace_id)  # this block's sightings are not written yet
        if pend is not None:
            chosen = set(wanted)
            for sighting in pend.sightings.values():
                if sighting.person_id in chosen and sighting.organization:
                    found[sighting.person_id].add(sighting.organization)
        return dict(found)


    def store_id(self) -> str:
        rows = self._read("CALL db.info() YIELD id RETURN id")
        return f"{self.database}:{rows[0]['id']}"

    @_guarded
    def data_version(self, workspace_id: str) -> int:
        rows = self._read("MATCH (w:Workspace {id: $ws}) RETURN coalesce(w.dataVersion, 0) AS v", ws=workspace_id)
        version = int(rows[0]["v"]) if rows else 0
        block = self._block()
        pend = block.ws.get(workspace_id) if block is not None else None
        return version + 1 if pend is not None and pend.dirty else version
