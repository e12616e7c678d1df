from __future__ import annotations

import asyncio
import re
import tempfile
import threading
from pathlib import Path

import strawberry
from strawberry.file_uploads import Upload

from graphsvc.api.context import Info
from graphsvc.api.errors import translate_errors
from graphsvc.api.permissions import CanWrite
from graphsvc.api.imports.types import ImportJobType, ImportOptionsInput
from graphsvc.errors import ImportFailed
from importers import ImportOptions

CHUNK = 1024 * 1024


async def _save_upload(upload: Upload, folder: Path, cap: int) -> Path:
    """Stream the upload to disk, counting bytes: past ``cap`` it is refused and removed."""
    folder.mkdir(parents=True, exist_ok=True)
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
        "or unrecognised file is an error and nothing is written. Poll importJob(id) for progress."
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
            owner=options.owner, event_name=options.event_name, event_date=options.event_date, event_kind=options.event_kind
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
        await asyncio.to_thread(prepared.register)

        def run() -> None:
            try:
                prepared.run()
            except Exception:  # recorded on the job as FAILED with its error; nothing to re-raise to
                pass
            finally:
                path.unlink(missing_ok=True)
                service.on_import_finished(prepared.job)

        threading.Thread(target=run, name=f"import-{prepared.job.id}", daemon=True).start()
        return ImportJobType.from_model(prepared.job)
