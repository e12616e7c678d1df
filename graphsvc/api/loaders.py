"""DataLoaders: what resolvers of one operation share, so a page costs a bounded number of store calls.

Without them a page of 100 people asks the store for 100 tie views (each checks the data
version) and 100 x 5 neighbours one by one. With them, every ``load`` made while the page
resolves joins one batch: one ``get_people`` for all the neighbours, one view per ``asOf``,
one directory of organizations and events.

They live for one operation, not longer: a WebSocket keeps its context for its lifetime, and a
cache that outlived an operation would answer a later one with data from before its mutations.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Iterator

from strawberry.dataloader import DataLoader
from strawberry.extensions import SchemaExtension

from graphsvc.analytics.strength import TieView
from graphsvc.directory import Directory
from graphsvc.model import Person
from graphsvc.service import Graphsvc


class Loaders:
    def __init__(self, service: Graphsvc, workspace_id: str) -> None:
        self.service, self.workspace_id = service, workspace_id
        self._people: DataLoader[str, Person | None] = DataLoader(load_fn=self._load_people)
        self._views: DataLoader[datetime | None, TieView] = DataLoader(load_fn=self._load_views)
        self._directory: DataLoader[str, Directory] = DataLoader(load_fn=self._load_directories)
        self._do_not_ask: DataLoader[str, set[str]] = DataLoader(load_fn=self._load_do_not_ask)

    async def person(self, person_id: str) -> Person | None:
        return await self._people.load(person_id)

    async def people(self, person_ids: list[str]) -> list[Person | None]:
        """The people with these ids, in this order (None for an id that names nobody)."""
        return list(await self._people.load_many(person_ids))

    async def view(self, as_of: datetime | None) -> TieView:
        return await self._views.load(as_of)

    async def directory(self) -> Directory:
        return await self._directory.load(self.workspace_id)

    async def do_not_ask(self) -> set[str]:
        """Who must not be asked for introductions (one store call per operation)."""
        return await self._do_not_ask.load(self.workspace_id)

    async def _load_do_not_ask(self, workspace_ids: list[str]) -> list[set[str]]:
        return await asyncio.to_thread(lambda: [self.service.store.do_not_ask(w) for w in workspace_ids])

    async def _load_people(self, ids: list[str]) -> list[Person | None]:
        found = await asyncio.to_thread(self.service.store.get_people, self.workspace_id, ids)
        return [found.get(i) for i in ids]

    async def _load_views(self, moments: list[datetime | None]) -> list[TieView]:
        def views() -> list[TieView]:
            return [self.service.view(self.workspace_id, moment) for moment in moments]

        return await asyncio.to_thread(views)

    async def _load_directories(self, workspace_ids: list[str]) -> list[Directory]:
        return await asyncio.to_thread(lambda: [self.service.directory(w) for w in workspace_ids])


class FreshLoadersPerOperation(SchemaExtension):
    """Forget the previous operation's loaders when an operation starts (see the module's docstring)."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        if hasattr(context, "forget_loaders"):
            context.forget_loaders()
        yield
