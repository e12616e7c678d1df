"""The library's front door: the workspace-scoped operations the CLI and the API both call.

It owns the store and the snapshot cache; everything below it (importers, identity,
analytics) is plain functions over plain data.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import networkx as nx

from graphsvc import jobs
from graphsvc.analytics.strength import tie_graph
from graphsvc.errors import InvalidArgument, NotFound
from graphsvc.identity import fold, linkedin_slug, normalise_email
from graphsvc.intros import IntroPaths, IntroStatus, rank_intro_paths
from graphsvc.model import ImportJob, Person, Reject, Workspace
from graphsvc.settings import Settings
from graphsvc.snapshot import SnapshotCache
from graphsvc.store import Store, open_store
from importers import ImportOptions

MAX_PAGE = 100
MAX_K = 20
MAX_HOPS = 4


@dataclass
class PersonMatch:
    person: Person | None
    candidates: list[Person]


@dataclass
class PeoplePage:
    people: list[Person]
    total: int
    has_next: bool


class Graphsvc:
    def __init__(self, settings: Settings | None = None, store: Store | None = None) -> None:
        self.settings = settings or Settings()
        self.store = store or open_store(self.settings)
        self.snapshots = SnapshotCache(self.store)
        self._graphs: OrderedDict[tuple[str, int, datetime], nx.Graph] = OrderedDict()
        self._graphs_lock = threading.Lock()

    def close(self) -> None:
        self.store.close()

    # workspaces ----------------------------------------------------------------------
    def workspace(self, name: str | None = None) -> Workspace:
        return self.store.workspace(name or self.settings.default_workspace)

    # imports ---------------------------------------------------------------------------
    def prepare_import(
        self,
        workspace_id: str,
        path: str | Path,
        *,
        format: str | None = None,
        options: ImportOptions | None = None,
        file_name: str | None = None,
    ) -> jobs.PreparedImport:
        return jobs.prepare_import(
            self.store, workspace_id, path, format=format, options=options, file_name=file_name,
            batch_rows=self.settings.import_batch_rows,
        )

    def import_file(
        self,
        workspace_id: str,
        path: str | Path,
        *,
        format: str | None = None,
        options: ImportOptions | None = None,
        progress: jobs.Progress | None = None,
    ) -> ImportJob:
        return self.prepare_import(workspace_id, path, format=format, options=options).run(progress)

    def job(self, workspace_id: str, job_id: str) -> ImportJob:
        job = self.store.get_job(workspace_id, job_id)
        if job is None:
            raise NotFound(f"no import job {job_id!r}")
        return job

    def rejects(self, workspace_id: str, job_id: str) -> list[Reject]:
        return self.store.rejects(self.job(workspace_id, job_id).id)

    # people -----------------------------------------------------------------------------
    def people(self, workspace_id: str, search: str | None = None, first: int = 20, after: str | None = None) -> PeoplePage:
        if first < 0:
            raise InvalidArgument("first must be positive")
        first = min(first, MAX_PAGE)
        rows = self.store.search_people(workspace_id, search, first + 1, after)
        return PeoplePage(rows[:first], self.store.count_people(workspace_id, search), len(rows) > first)

    def person(self, workspace_id: str, person_id: str) -> Person | None:
        return self.store.get_people(workspace_id, [person_id]).get(person_id)

    def find_person(self, workspace_id: str, text: str) -> PersonMatch:
        """A person by id, email, LinkedIn URL or name; several name matches come back as candidates."""
        text = text.strip()
        if not text:
            return PersonMatch(None, [])
        by_id = self.person(workspace_id, text)
        if by_id:
            return PersonMatch(by_id, [])
        key: tuple[str, str] | None = None
        if linkedin_slug(text):
            key = ("linkedin", linkedin_slug(text))
        elif "@" in text:
            key = ("email", normalise_email(text))
        if key:
            found = self.store.person_for_key(workspace_id, *key)
            return PersonMatch(self.person(workspace_id, found) if found else None, [])
        named = [p for p in self._search_all(workspace_id, text) if fold(p.display_name) == fold(text)]
        if not named:
            named = self._search_all(workspace_id, text)
        if len(named) == 1:
            return PersonMatch(named[0], [])
        return PersonMatch(None, named[:MAX_PAGE])

    def _search_all(self, workspace_id: str, text: str) -> list[Person]:
        return self.store.search_people(workspace_id, text, MAX_PAGE + 1)

    # analytics --------------------------------------------------------------------------
    def tie_graph(self, workspace_id: str, as_of: datetime) -> tuple[nx.Graph, object]:
        snap = self.snapshots.get(workspace_id)
        key = (workspace_id, snap.version, as_of)
        with self._graphs_lock:
            graph = self._graphs.get(key)
            if graph is None:
                graph = tie_graph(snap, as_of)
                self._graphs[key] = graph
                while len(self._graphs) > 8:
                    self._graphs.popitem(last=False)
            else:
                self._graphs.move_to_end(key)
        return graph, snap

    def intro_paths(
        self,
        workspace_id: str,
        to: str,
        *,
        from_: str | None = None,
        k: int = 3,
        max_hops: int = 3,
        as_of: datetime | None = None,
    ) -> IntroPaths:
        if not 1 <= k <= MAX_K:
            raise InvalidArgument(f"k must be between 1 and {MAX_K}")
        if not 1 <= max_hops <= MAX_HOPS:
            raise InvalidArgument(f"maxHops must be between 1 and {MAX_HOPS}")
        as_of = _utc(as_of) if as_of else datetime.now(timezone.utc).replace(second=0, microsecond=0)
        match = self.find_person(workspace_id, to)
        if match.person is None:
            status = IntroStatus.AMBIGUOUS if match.candidates else IntroStatus.NOT_FOUND
            return IntroPaths(status, as_of, candidates=match.candidates)
        if from_:
            source = self.find_person(workspace_id, from_)
            if source.person is None:
                names = ", ".join(f"{c.display_name} ({c.id})" for c in source.candidates[:10])
                raise InvalidArgument(
                    f"'from' matches several people: {names}" if names else f"'from': nobody matches {from_!r}"
                )
            sources = [source.person.id]
        else:
            sources = self.store.member_ids(workspace_id)
            if not sources:
                raise InvalidArgument("the workspace has no members yet: import an export with an owner, or pass 'from'")
        graph, snap = self.tie_graph(workspace_id, as_of)
        paths = rank_intro_paths(
            snap, graph, lambda ids: self.store.get_people(workspace_id, ids), sources, match.person.id,
            k=k, max_hops=max_hops, as_of=as_of,
        )
        return IntroPaths(IntroStatus.FOUND if paths else IntroStatus.NO_PATH, as_of, match.person, [], paths)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
