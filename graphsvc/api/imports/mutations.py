from __future__ import annotations

import asyncio
import re
import tempfile
from pathlib import Path

import strawberry
from strawberry.file_uploads import Upload

from graphsvc.api.context import Info
from graphsvc.api.errors import translate_errors
from graphsvc.api.permissions import CanWrite
from graphsvc.api.imports.types import ImportJobType, ImportOptionsInput, UndoImportResult
from graphsvc.errors import ImportFailed
from importers import ImportOptions

CHUNK = 1024 * 1024
#: How long cancelImport waits for the job to reach its batch boundary before it answers.
CANCEL_WAIT_SECONDS = 5.0


async def _save_upload(upload: Upload, folder: Path, cap: int) -> Path:
    """Stream the upload to disk, counting bytes: past ``cap`` it is refused and removed. The folder is
    its owner's only (0700) and the file 0600 (``tempfile`` makes it so)."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    if folder.stat().st_mode & 0o077:
        folder.chmod(0o700)
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(getattr(upload, "filename", "") or "upload").name)[-100:]
    handle = tempfile.NamedTemporaryFile(dir=folder, prefix="upload-", suffix="-" + safe, delete=False)
    path, written = Path(handle.name), 0
    try:
        with handle:
            while chunk := await upload.read(CHUNK):
                written += len(chunk)
                if written > cap:
                    raise ImportFailed(f"the upload is larger than the {cap} byte limit")
                handle.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    finally:
        close = getattr(upload, "close", None)
        if close is not None:
            await close()
    return path


@strawberry.type
class ImportsMutation:
    @strawberry.mutation(
        permission_classes=[CanWrite],
        description="Upload a file (multipart) and start importing it. The file is validated first: an unreadable "
        "or unrecognised file is an error and nothing is written. Poll importJob(id) or subscribe to importProgress(id) "
        "for progress; cancelImport(id) stops it."
    )
    @translate_errors
    async def start_import(
        self, info: Info, file: Upload, format: str | None = None, options: ImportOptionsInput | None = None
    ) -> ImportJobType:
        ctx = info.context
        service = ctx.service
        path = await _save_upload(file, service.settings.data_dir / "uploads", service.settings.max_upload_bytes)
        file_name = Path(getattr(file, "filename", "") or path.name).name
        import_options = ImportOptions(
            owner=options.owner, event_name=options.event_name, event_date=options.event_date, event_kind=options.event_kind,
            encoding=options.encoding,
        ) if options else ImportOptions()
        try:
            prepared = await asyncio.to_thread(
                service.prepare_import, ctx.workspace_id, path, format=format, options=import_options, file_name=file_name
            )
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        if prepared.already_done:
            path.unlink(missing_ok=True)
            return ImportJobType.from_model(prepared.job)
        job = await asyncio.to_thread(service.start_import, prepared, cleanup=lambda: path.unlink(missing_ok=True))
        return ImportJobType.from_model(job, service.import_bytes(job.id))

    @strawberry.mutation(
        permission_classes=[CanWrite],
        description="Stop a running import of the workspace at its next batch boundary. It ends CANCELLED; the "
        "batches already committed stay and rowsRead/checkpointRow say how far it got. startImport of the same "
        "file resumes it. Errors: NOT_FOUND (no such job in this workspace), JOB_NOT_RUNNING (finished, failed, "
        "already cancelled, or not running in this server). Returns the job once it stopped, or after a few "
        "seconds while it still stops (status RUNNING; importProgress or importJob show the end)."
    )
    @translate_errors
    async def cancel_import(self, info: Info, id: strawberry.ID) -> ImportJobType:
        service = info.context.service
        job = await asyncio.to_thread(service.cancel_import, info.context.workspace_id, str(id), wait=CANCEL_WAIT_SECONDS)
        return ImportJobType.from_model(job, service.import_bytes(job.id))

    @strawberry.mutation(
        permission_classes=[CanWrite],
        description="Remove what an import added: its evidence, its sightings, the people no other import mentions, the "
        "merges they caused, its corrections of events; everything else stays. The job stays, UNDONE: a second undo "
        "changes nothing, and startImport of the same file imports it afresh. Errors: NOT_FOUND, CONFLICT (still running).",
    )
    @translate_errors
    async def undo_import(self, info: Info, id: strawberry.ID) -> UndoImportResult:
        service = info.context.service
        result = await asyncio.to_thread(service.undo_import, info.context.workspace_id, str(id))
        job = await asyncio.to_thread(service.job, info.context.workspace_id, result.job_id)
        return UndoImportResult(
            job=ImportJobType.from_model(job), evidence_removed=result.evidence_removed, people_removed=result.people_removed,
            merges_undone=result.merges_undone, events_removed=result.events_removed, already_undone=result.already_undone,
        )
