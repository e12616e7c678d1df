"""Imports running in this process: started in the background, watched, cancelled.

The API's ``startImport`` runs each job in a thread registered here under its job id with a
``threading.Event`` that ``cancelImport`` sets; the run checks it between batches
(``PreparedImport.run(should_stop=...)``), stops at the next batch boundary and ends
``CANCELLED`` with its committed batches kept. Importing the same file again resumes the job
from its checkpoint, like a failed one. Reading the file is watched too (``_stoppable``): between
two rows the flag is looked at every ``PARSE_CHECK_SECONDS``, so a cancel lands while the
importer is still reading towards its next batch (an importer's row is bounded work, e.g. a
calendar series' expansion budget); the transaction then open rolls back, as for a cancel inside
a batch.

The store knows rows, not bytes: the importer's position in the file (``bytes_done`` of
``bytes_total``) after each batch is kept here, for ``importJob`` and the ``importProgress``
subscription, while the job runs and for a while after (the last ``KEEP_FINISHED`` jobs).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections import OrderedDict
from datetime import datetime, timezone
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Callable

from graphsvc.errors import InvalidArgument, JobNotRunning, NotFound
from graphsvc.imports.jobs import PreparedImport, Progress, _Cancelled
from graphsvc.model import ImportJob, JobStatus
from graphsvc.store.protocol import Store

if TYPE_CHECKING:
    from graphsvc.settings import Settings

KEEP_FINISHED = 256
#: How long a new run of a job waits for a cancelled run of the same job to reach its batch boundary.
STOP_WAIT_SECONDS = 60.0
#: While the importer reads rows, the cancel flag is looked at this often (between rows).
PARSE_CHECK_SECONDS = 0.1


@dataclass
class Run:
    workspace_id: str
    job_id: str
    stop: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    bytes_done: int = 0
    bytes_total: int = 0


class ImportRuns:
    def __init__(self, store: Store, on_finished: Callable[[ImportJob], None], settings: "Settings | None" = None) -> None:
        """``settings``: the store can be opened again from them, so ``start`` runs each import in
        a child process (its parsing and matching then never hold up the server's requests: one
        Python process runs one thread at a time). Without them imports run in a thread."""
        self.store = store
        self.on_finished = on_finished
        self.settings = settings
        self._lock = threading.Lock()
        self._runs: dict[str, Run] = {}
        self._finished_bytes: OrderedDict[str, tuple[int, int]] = OrderedDict()

    def start(self, prepared: PreparedImport, *, cleanup: Callable[[], None] = lambda: None) -> ImportJob:
        """Run ``prepared`` in a background thread; return the job as it starts (RUNNING).

        The job is recorded before this returns, so it can be polled and cancelled at once. A job
        this process already runs is not started twice (its state is returned); one still stopping
        after a cancel is waited for, then resumed from its checkpoint. ``cleanup`` runs when the
        run ends (or at once, when nothing is started).
        """
        try:
            run = self._register(prepared)
        except BaseException:
            cleanup()
            raise
        if run is None:
            cleanup()
            job = self.store.get_job(prepared.workspace_id, prepared.job.id)
            return job if job is not None else prepared.job
        if prepared.already_done:
            self._finish(run, prepared.job, ran=False)
            cleanup()
            return prepared.job
        try:
            prepared.register()
            if prepared.job.status is not JobStatus.RUNNING:
                # A failed or cancelled job being resumed: RUNNING from now on, so that a poll or a
                # subscription right after this returns does not see the previous run's end.
                prepared.job.status, prepared.job.error, prepared.job.finished_at = JobStatus.RUNNING, "", None
                with self.store.atomic():
                    self.store.save_job(prepared.job)
        except BaseException:
            self._finish(run, prepared.job, ran=False)
            cleanup()
            raise
        started = replace(prepared.job, options=dict(prepared.job.options), notes=list(prepared.job.notes))

        def work() -> None:
            try:
                if self.settings is not None and prepared.path is not None:
                    self._execute_in_child(prepared, run)
                else:
                    self._execute(prepared, run, None)
            except Exception:  # recorded on the job as FAILED with its error; nothing to re-raise to
                pass
            finally:
                cleanup()

        threading.Thread(target=work, name=f"import-{prepared.job.id}", daemon=True).start()
        return started

    def run(self, prepared: PreparedImport, progress: Progress | None = None) -> ImportJob:
        """Run ``prepared`` in this thread, registered so that another thread can cancel it."""
        run = self._register(prepared)
        if run is None:
            raise InvalidArgument(f"import job {prepared.job.id!r} is already running")
        return self._execute(prepared, run, progress)

    def cancel(self, workspace_id: str, job_id: str, *, wait: float = 0.0) -> ImportJob:
        """Ask a running job to stop at its next batch boundary; wait up to ``wait`` s for it to stop.

        Returns the job as it stands then (``CANCELLED``, or still ``RUNNING`` while it stops).
        An unknown job (or another workspace's) is ``NotFound``; one that is not running here is
        ``JobNotRunning``.
        """
        job = self.store.get_job(workspace_id, job_id)
        if job is None:
            raise NotFound(f"no import job {job_id!r}")
        with self._lock:
            run = self._runs.get(job.id)
        if job.status is not JobStatus.RUNNING:
            # its run may still be winding down (a child process that just wrote its end)
            raise JobNotRunning(f"import job {job_id!r} is {job.status.value}: only a running import can be cancelled")
        if run is None or run.workspace_id != workspace_id:
            if job.status is JobStatus.RUNNING:
                raise JobNotRunning(
                    f"import job {job_id!r} is not running in this server (it was interrupted, or another process "
                    "runs it); importing the same file again resumes it"
                )
            raise JobNotRunning(f"import job {job_id!r} is {job.status.value}: only a running import can be cancelled")
        run.stop.set()
        if wait > 0:
            run.done.wait(wait)
        return self.store.get_job(workspace_id, job_id) or job

    def bytes(self, job_id: str) -> tuple[int, int] | None:
        """(bytes done, bytes total) of a job run here, while it runs and for a while after; else None."""
        with self._lock:
            run = self._runs.get(job_id)
            if run is not None:
                return (run.bytes_done, run.bytes_total) if run.bytes_total else None
            return self._finished_bytes.get(job_id)

    def running(self, job_id: str) -> bool:
        with self._lock:
            return job_id in self._runs

    def importing(self, workspace_id: str) -> bool:
        """Whether a run into ``workspace_id`` is in progress here."""
        with self._lock:
            return any(run.workspace_id == workspace_id for run in self._runs.values())

    # ---------------------------------------------------------------------------------------
    def _register(self, prepared: PreparedImport) -> Run | None:
        """Claim the job id for a new run (None: a live run of it exists). Refreshes ``prepared.job``."""
        job_id = prepared.job.id
        while True:
            with self._lock:
                current = self._runs.get(job_id)
                if current is None:
                    run = Run(prepared.workspace_id, job_id, bytes_total=prepared.parsed.size or 0)
                    self._runs[job_id] = run
                    break
            if not current.stop.is_set():
                return None
            if not current.done.wait(STOP_WAIT_SECONDS):
                raise InvalidArgument(f"import job {job_id!r} was cancelled and is still stopping: try again shortly")
        # A run that ended after prepare_import read the job moved its checkpoint: resume from the stored state.
        try:
            stored = self.store.get_job(prepared.workspace_id, job_id)
        except BaseException:
            self._finish(run, prepared.job, ran=False)
            raise
        if stored is not None:
            prepared.job, prepared.already_done = stored, stored.status is JobStatus.COMPLETED
        return run

    def _execute(self, prepared: PreparedImport, run: Run, progress: Progress | None) -> ImportJob:
        def on_progress(done: int, total: int, job: ImportJob) -> None:
            run.bytes_done, run.bytes_total = done, total
            if progress:
                progress(done, total, job)

        try:
            _stoppable(prepared, run.stop.is_set)
            return prepared.run(on_progress, should_stop=run.stop.is_set)
        finally:
            self._finish(run, prepared.job, ran=not prepared.already_done)

    def _execute_in_child(self, prepared: PreparedImport, run: Run) -> None:
        """Run the import in a child process; forward cancels to it and its byte progress back."""
        context = multiprocessing.get_context("spawn")  # no fork: the server has threads
        stop = context.Event()
        progress = context.Array("q", 2, lock=False)
        job = prepared.job
        child = context.Process(
            target=_run_in_child, name=f"import-{job.id}", daemon=True,
            args=(self.settings.model_dump(), prepared.workspace_id, str(prepared.path), prepared.format_given,  # type: ignore[union-attr]
                  dict(job.options), job.file_name, (prepared.batch_rows, prepared.max_batch_rows), stop, progress),
        )
        final = job
        try:
            child.start()
            while child.is_alive():
                child.join(0.2)
                if run.stop.is_set():
                    stop.set()
                if progress[1]:
                    run.bytes_done, run.bytes_total = progress[0], progress[1]
            final = self.store.get_job(prepared.workspace_id, job.id) or job
            if final.status is JobStatus.RUNNING:  # the child died without recording how it ended
                final.status, final.error = JobStatus.FAILED, f"the import process ended unexpectedly (exit code {child.exitcode})"
                final.finished_at = datetime.now(timezone.utc)
                with self.store.atomic():
                    self.store.save_job(final)
        finally:
            prepared.job = final
            self._finish(run, final, ran=True)

    def _finish(self, run: Run, job: ImportJob, *, ran: bool) -> None:
        try:
            if ran:
                self.on_finished(job)
        finally:
            with self._lock:
                if self._runs.get(run.job_id) is run:
                    del self._runs[run.job_id]
                if run.bytes_total:
                    self._finished_bytes[run.job_id] = (run.bytes_done, run.bytes_total)
                    self._finished_bytes.move_to_end(run.job_id)
                    while len(self._finished_bytes) > KEEP_FINISHED:
                        self._finished_bytes.popitem(last=False)
            run.done.set()


def _run_in_child(
    settings: dict[str, Any], workspace_id: str, path: str, format: str | None, options: dict[str, str], file_name: str,
    batch_rows: tuple[int, int], stop: Any, progress: Any,
) -> None:
    """A child process's whole life: open the store, prepare the same import (same job id: it
    resumes the job the server registered), run it, close the store."""
    from graphsvc.imports.jobs import prepare_import
    from graphsvc.settings import Settings
    from graphsvc.projection import open_store
    from importers import ImportOptions

    try:
        os.nice(10)  # background work: the server's requests come first when cores are scarce
    except OSError:
        pass
    store = open_store(Settings(**settings))
    try:
        prepared = prepare_import(
            store, workspace_id, path, format=format, options=ImportOptions.from_dict(options), file_name=file_name,
            batch_rows=batch_rows[0], max_batch_rows=batch_rows[1],
        )

        def on_progress(done: int, total: int, job: ImportJob) -> None:
            progress[0], progress[1] = done, total

        try:
            _stoppable(prepared, stop.is_set)
            prepared.run(on_progress, should_stop=stop.is_set)
        except Exception:  # recorded on the job as FAILED; the parent reads it from the store
            pass
    finally:
        store.close()


def _stoppable(prepared: PreparedImport, should_stop: Callable[[], bool]) -> None:
    """Make ``prepared``'s row stream end the run as cancelled once ``should_stop()`` answers True,
    looked at between rows every ``PARSE_CHECK_SECONDS`` (``jobs`` itself looks only at batch
    boundaries, and a batch can be a long read away)."""
    parsed = prepared.parsed
    rows = parsed.rows

    def checked() -> Any:
        due = time.monotonic() + PARSE_CHECK_SECONDS
        for item in rows():
            now = time.monotonic()
            if now >= due:
                due = now + PARSE_CHECK_SECONDS
                if should_stop():
                    raise _Cancelled()
            yield item

    parsed.rows = checked
