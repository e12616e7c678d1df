from __future__ import annotations

import asyncio
import json
from datetime import datetime

import strawberry

from graphsvc import model
from graphsvc.api.errors import api_message, translate_errors
from graphsvc.api.pagination import Connection, decode_cursor, encode_cursor, page_size
from graphsvc.errors import InvalidArgument
from importers.base import EVENT_KINDS

JobStatus = strawberry.enum(model.JobStatus, description="Where an import job stands.")


@strawberry.type(description="A row that was not imported: rejected (bad data) or skipped (valid but carries nobody).")
class RejectedRow:
    row: int = strawberry.field(description="The line of the file on which the row starts.")
    reason: str
    skipped: bool


#: A page of rejected rows; its cursors carry the row number.
RejectedRowConnection = Connection[RejectedRow]


def _reject_position(cursor: str) -> int:
    """The row number a ``rejects`` cursor carries (``[row]`` as JSON); anything else is invalid."""
    try:
        value = json.loads(decode_cursor("reject", cursor))
    except ValueError as exc:
        raise InvalidArgument("invalid cursor") from exc
    if not (isinstance(value, list) and len(value) == 1 and type(value[0]) is int and -(2**63) <= value[0] < 2**63):
        raise InvalidArgument("invalid cursor")
    return value[0]


@strawberry.input(description="Facts the file may not hold.")
class ImportOptionsInput:
    owner: str | None = strawberry.field(default=None, description="Name, email or LinkedIn URL of the export's owner.")
    event_name: str | None = None
    event_date: str | None = strawberry.field(default=None, description="YYYY-MM-DD")
    event_kind: str | None = strawberry.field(default=None, description="One of: " + ", ".join(EVENT_KINDS) + ".")
    encoding: str | None = strawberry.field(
        default=None,
        description="The text file's encoding (utf-8, utf-16, cp1252, mac_roman, cp1250, latin-1, ...), over detection; "
        "the job's notes say which encoding was used.",
    )


@strawberry.type(name="ImportJob")
class ImportJobType:
    id: strawberry.ID
    file_name: str
    format: str
    status: JobStatus  # type: ignore[valid-type]
    rows_read: int
    rows_imported: int
    rows_rejected: int
    rows_skipped: int
    error: str | None
    notes: list[str]
    started_at: datetime | None
    finished_at: datetime | None
    owner_id: strawberry.ID | None
    checkpoint_row: int = strawberry.field(
        description="The file line up to which rows are committed: a resumed (after a failure or a cancel) run starts after it."
    )
    bytes_done: float | None = strawberry.field(
        default=None,
        description="How far into the file the importer has read, in bytes (a Float: files can pass 2^31 bytes). Known "
        "while this server runs the job and for a while after; null otherwise.",
    )
    bytes_total: float | None = strawberry.field(default=None, description="The file's size in bytes, when bytesDone is known.")

    @strawberry.field(
        description="The rows not imported, with their row number and reason, by row number. At most 100 per page. "
        "By default the rejected rows (bad data; totalCount is rowsRejected); skipped: true lists the skipped rows "
        "(valid but carrying nobody, e.g. LinkedIn's hidden profiles; totalCount is rowsSkipped); skipped: null lists both."
    )
    @translate_errors
    async def rejects(
        self, info: strawberry.Info, first: int = 20, after: str | None = None, skipped: bool | None = False
    ) -> RejectedRowConnection:
        size = page_size(first)
        position = _reject_position(after) if after else None
        # keyset paging in the store: one row past the page tells whether another follows
        found = await asyncio.to_thread(info.context.service.store.rejects, str(self.id), after=position, limit=size + 1, skipped=skipped)
        page = found[:size]
        cursors = [encode_cursor("reject", json.dumps([r.row])) for r in page]
        nodes = [RejectedRow(row=r.row, reason=api_message(r.reason), skipped=r.skipped) for r in page]
        total = {False: self.rows_rejected, True: self.rows_skipped}.get(skipped, self.rows_rejected + self.rows_skipped)  # type: ignore[arg-type]
        return Connection.of(nodes, cursors, total, len(found) > size)

    @classmethod
    def from_model(cls, job: model.ImportJob, bytes_progress: tuple[int, int] | None = None) -> "ImportJobType":
        """``bytes_progress``: (bytes done, bytes total) when known (``Graphsvc.import_bytes``)."""
        done, total = bytes_progress if bytes_progress else (None, None)
        if total is not None and job.status is model.JobStatus.COMPLETED:
            done = total  # it read the whole file (the last progress report may not have landed yet)
        return cls(
            id=strawberry.ID(job.id), file_name=job.file_name, format=job.format, status=job.status,
            rows_read=job.rows_read, rows_imported=job.rows_imported, rows_rejected=job.rows_rejected,
            rows_skipped=job.rows_skipped, error=api_message(job.error) if job.error else None, notes=[api_message(n) for n in job.notes],
            started_at=job.started_at, finished_at=job.finished_at,
            owner_id=strawberry.ID(job.owner_person_id) if job.owner_person_id else None,
            checkpoint_row=job.checkpoint_row, bytes_done=done, bytes_total=total,
        )


#: A page of import jobs: ``ImportJobConnection`` / ``ImportJobEdge`` in the schema.
ImportJobConnection = Connection[ImportJobType]


@strawberry.type(description="What undoImport removed.")
class UndoImportResult:
    job: ImportJobType
    evidence_removed: int = strawberry.field(description="Evidence only this import held (evidence another import also produced stays, now theirs).")
    people_removed: int = strawberry.field(description="Records no other import mentions.")
    merges_undone: int = strawberry.field(description="Merges the import made, each record back to the person it had before.")
    events_removed: int = strawberry.field(description="Events left without attendances.")
    already_undone: bool = strawberry.field(description="The import was undone before: nothing changed.")
