"""The store opened for one process, without the analytics: what light commands need.

``StoreSession`` is the part of ``graphsvc.service.Graphsvc`` that only reads and writes the
store (workspaces, people, import jobs, tokens); it imports no analytics, GraphQL or importer
modules, so a CLI command such as ``graphsvc people`` starts in a fraction of a second.
``Graphsvc`` answers the same questions through the same functions (``people_page``).
"""

from __future__ import annotations

from dataclasses import dataclass

from graphsvc.identity.clusters import ClusteredStore
from graphsvc.errors import InvalidArgument, NotFound
from graphsvc.model import ImportJob, Person, Workspace
from graphsvc.settings import Settings
from graphsvc.store import Store, open_store

#: The most items one page of a list holds (larger asks are clamped).
MAX_PAGE = 100


@dataclass
class PeoplePage:
    people: list[Person]
    total: int
    has_next: bool


def people_page(store: Store, workspace_id: str, search: str | None = None, first: int = 20, after: str | None = None) -> PeoplePage:
    """People whose name, email, organization or URL contains ``search`` (everyone without one), by name."""
    if first < 0:
        raise InvalidArgument("first must be positive")
    first = min(first, MAX_PAGE)
    rows = store.search_people(workspace_id, search, first + 1, after)
    return PeoplePage(rows[:first], store.count_people(workspace_id, search), len(rows) > first)


def get_job(store: Store, workspace_id: str, job_id: str) -> ImportJob:
    job = store.get_job(workspace_id, job_id)
    if job is None:
        raise NotFound(f"no import job {job_id!r}")
    return job


class StoreSession:
    """The store ``settings`` name, with merged records read as one person (``store``) and as
    imports wrote them (``raw_store``)."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self.raw_store: Store = open_store(self.settings)
        self.store: Store = ClusteredStore(self.raw_store)  # type: ignore[assignment]

    def close(self) -> None:
        self.raw_store.close()

    def workspace(self, name: str | None = None) -> Workspace:
        return self.store.workspace(name or self.settings.default_workspace)

    def people(self, workspace_id: str, search: str | None = None, first: int = 20, after: str | None = None) -> PeoplePage:
        return people_page(self.store, workspace_id, search, first, after)

    def job(self, workspace_id: str, job_id: str) -> ImportJob:
        return get_job(self.store, workspace_id, job_id)
