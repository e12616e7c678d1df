from __future__ import annotations

import strawberry

from graphsvc.api.context import Info
from graphsvc.api.imports.types import ImportJobType


@strawberry.type
class ImportsQuery:
    @strawberry.field(description="An import job of the workspace: status, counts and rejects.")
    def import_job(self, info: Info, id: strawberry.ID) -> ImportJobType | None:
        service = info.context.service
        job = service.store.get_job(info.context.workspace_id, str(id))
        return ImportJobType.from_model(job, service.import_bytes(job.id)) if job else None

    @strawberry.field(description="The workspace's import jobs, oldest first.")
    def import_jobs(self, info: Info) -> list[ImportJobType]:
        service = info.context.service
        return [ImportJobType.from_model(j, service.import_bytes(j.id)) for j in service.store.list_jobs(info.context.workspace_id)]
