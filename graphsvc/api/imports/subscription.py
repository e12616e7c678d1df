from __future__ import annotations

import asyncio
from typing import AsyncGenerator

import strawberry

from graphsvc.api.context import Info
from graphsvc.api.errors import to_graphql_error
from graphsvc.api.imports.types import ImportJobType
from graphsvc.errors import NotFound
from graphsvc.model import JobStatus

#: How often the subscription looks at the job (the store's row, and the byte progress of a job run here).
POLL_SECONDS = 0.2


@strawberry.type
class ImportsSubscription:
    @strawberry.subscription(
        description="The import job's state now and after every change (each committed batch), ending with its final "
        "state (COMPLETED, FAILED or CANCELLED). Over WebSocket (graphql-transport-ws) at /graphql; an unknown job "
        "(or another workspace's) is a NOT_FOUND error."
    )
    async def import_progress(self, info: Info, id: strawberry.ID) -> AsyncGenerator[ImportJobType, None]:
        ctx = info.context
        service, workspace_id = ctx.service, ctx.workspace_id
        last: tuple | None = None
        while True:
            job = await asyncio.to_thread(service.store.get_job, workspace_id, str(id))
            if job is None:
                raise to_graphql_error(NotFound(f"no import job {str(id)!r}"))
            bytes_progress = service.import_bytes(job.id)
            state = (job.status, job.rows_read, job.rows_imported, job.rows_rejected, job.rows_skipped, job.error, bytes_progress)
            if state != last:
                last = state
                yield ImportJobType.from_model(job, bytes_progress)
            if job.status is not JobStatus.RUNNING:
                return
            await asyncio.sleep(POLL_SECONDS)
