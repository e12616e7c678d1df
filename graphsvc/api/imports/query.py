from __future__ import annotations

import asyncio

import strawberry

from graphsvc.api.context import Info
from graphsvc.api.errors import translate_errors
from graphsvc.api.imports.types import ImportJobConnection, ImportJobType
from graphsvc.api.pagination import Connection, paginate
from graphsvc.model import ImportJob

#: Where a job sorts: oldest first (jobs that never started first), then by id.
JobKey = tuple[int, str, str]


def _key(job: ImportJob) -> JobKey:
    return (0, "", job.id) if job.started_at is None else (1, job.started_at.isoformat(), job.id)


@strawberry.type
class ImportsQuery:
    @strawberry.field(description="An import job of the workspace: status, counts and rejects.")
    def import_job(self, info: Info, id: strawberry.ID) -> ImportJobType | None:
        service = info.context.service
        job = service.store.get_job(info.context.workspace_id, str(id))
        return ImportJobType.from_model(job, service.import_bytes(job.id)) if job else None

    @strawberry.field(description="The workspace's import jobs, oldest first. At most 100 per page.")
    @translate_errors
    async def import_jobs(self, info: Info, first: int = 20, after: str | None = None) -> ImportJobConnection:
        service = info.context.service
        jobs = sorted(await asyncio.to_thread(service.store.list_jobs, info.context.workspace_id), key=_key)
        page = paginate(jobs, _key, "import-job", first, after)
        return Connection.of([ImportJobType.from_model(j, service.import_bytes(j.id)) for j in page.items], page.cursors, page.total, page.has_next)
