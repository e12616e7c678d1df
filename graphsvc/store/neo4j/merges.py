"""Merges (``mergedInto``), people marked distinct, and the blocks of duplicate detection
(computed from the names when asked, never stored)."""

from __future__ import annotations

from collections import defaultdict
from typing import Callable, Iterable, Iterator

from graphsvc.store.neo4j.connection import _guarded
from graphsvc.store.neo4j.rows import _PERSON_LIST, _person


class _Merges:
    """Mixed into ``Neo4jStore``."""

    @_guarded
    def merge_map(self, workspace_id: str) -> dict[str, str]:
        rows = self._read(
            "MATCH (p:Person {workspace: $ws}) WHERE p.id IS NOT NULL AND p.mergedInto IS NOT NULL "
            "RETURN p.id AS id, p.mergedInto AS survivor",
            ws=workspace_id,
        )
        found = {r["id"]: r["survivor"] for r in rows}
        pend = self._pending(workspace_id)
        for absorbed, (survivor, _) in (pend.merges.items() if pend else ()):
            if survivor is None:
                found.pop(absorbed, None)
            else:
                found[absorbed] = survivor
        return found

    @_guarded
    def manual_merges(self, workspace_id: str) -> set[str]:
        rows = self._read(
            "MATCH (p:Person {workspace: $ws}) WHERE p.id IS NOT NULL AND p.mergedByHand RETURN p.id AS id", ws=workspace_id
        )
        found = {r["id"] for r in rows}
        pend = self._pending(workspace_id)
        for absorbed, (survivor, manual) in (pend.merges.items() if pend else ()):
            if survivor is None:
                found.discard(absorbed)
            elif manual:
                found.add(absorbed)
        return found

    @_guarded
    def set_merged_into(self, workspace_id: str, person_ids: Iterable[str], survivor: str | None, *, manual: bool = False) -> None:
        with self.atomic():
            pend = self._block_now().pending(workspace_id)
            for person_id in person_ids:
                earlier = pend.merges.get(person_id, (None, False))[1]
                pend.merges[person_id] = (survivor, survivor is not None and (manual or earlier))
                pend.dirty = True

    @_guarded
    def add_distinct(self, workspace_id: str, a: str, b: str) -> None:
        with self.atomic():
            self._block_now().pending(workspace_id).distinct[tuple(sorted((a, b)))] = True  # type: ignore[index]

    @_guarded
    def remove_distinct(self, workspace_id: str, a: str, b: str) -> None:
        with self.atomic():
            self._block_now().pending(workspace_id).distinct[tuple(sorted((a, b)))] = False  # type: ignore[index]

    @_guarded
    def distinct_pairs(self, workspace_id: str) -> set[tuple[str, str]]:
        rows = self._read("MATCH (d:DistinctPair {workspace: $ws}) RETURN d.a AS a, d.b AS b", ws=workspace_id)
        found = {(r["a"], r["b"]) for r in rows}
        pend = self._pending(workspace_id)
        for pair, added in (pend.distinct.items() if pend else ()):
            (found.add if added else found.discard)(pair)
        return found

    def add_blocks(self, workspace_id: str, person_id: str, blocks: Iterable[str]) -> None:
        """Nothing to store: blocks are computed from the people when asked (see ``_blocks``)."""

    def file_in_blocks(self, workspace_id: str, entries: Iterable[tuple[str, str]]) -> None:
        """Nothing to store, as for ``add_blocks``."""

    def blocks_filed_by(self, workspace_id: str) -> str:
        """Always the current rule's: blocks are computed from the names when read (``_blocks``)."""
        from graphsvc.identity.matching import BLOCKING_VERSION

        return BLOCKING_VERSION

    def refile_blocks(self, workspace_id: str, blocks_of: Callable[[str, str, str], Iterable[str]], version: str) -> int:
        """Nothing to re-file, as for ``add_blocks``."""
        return 0

    def _blocks(self, workspace_id: str) -> dict[str, list[str]]:
        from graphsvc.identity.matching import blocking_keys, name_parts

        block = self._block()
        cache = self._cache_for(block, workspace_id) if block is not None else None
        if cache is not None:
            people = dict(cache.persons)
        else:
            rows = self._read(f"MATCH (p:Person {{workspace: $ws}}) WHERE p.id IS NOT NULL RETURN {_PERSON_LIST} AS p", ws=workspace_id)
            people = {r["p"][0]: _person(r["p"]) for r in rows}
        pend = self._pending(workspace_id)
        if pend is not None:
            people.update(pend.new_persons)
            people.update(pend.updated_persons)
        found: dict[str, list[str]] = defaultdict(list)
        for pid in sorted(people):
            p = people[pid]
            for key in blocking_keys(name_parts(p.first_name, p.last_name, p.display_name)):
                found[key].append(pid)
        return found

    @_guarded
    def people_in_blocks(self, workspace_id: str, blocks: Iterable[str], limit: int | None = None) -> dict[str, list[str]]:
        every = self._blocks(workspace_id)
        return {b: every[b] for b in sorted(set(blocks)) if b in every and (limit is None or len(every[b]) <= limit)}

    @_guarded
    def block_groups(self, workspace_id: str, max_size: int) -> Iterator[list[str]]:
        every = self._blocks(workspace_id)
        return iter([every[b] for b in sorted(every) if 2 <= len(every[b]) <= max_size])
