"""Import jobs and their rejects. A save of a ``FAILED`` job never moves its committed
progress (``rows.py``: ``_job_props``, ``_overlay_job``)."""

from __future__ import annotations

from typing import Any, Iterable

from graphsvc.model import ImportJob, JobStatus, Reject
from graphsvc.store.neo4j.connection import _guarded
from graphsvc.store.neo4j.rows import _copy_job, _job, _overlay_job


class _Jobs:
    """Mixed into ``Neo4jStore``."""

    # import jobs --------------------------------------------------------------------------------
    @_guarded
    def add_job(self, job: ImportJob) -> None:
        with self.atomic():
            self._block_now().pending(job.workspace_id).jobs[job.id] = (_copy_job(job), True)
            if job.status is JobStatus.COMPLETED:
                self._block_now().completed.add(job.workspace_id)

    @_guarded
    def save_job(self, job: ImportJob) -> None:
        with self.atomic():
            pend = self._block_now().pending(job.workspace_id)
            is_new = job.id in pend.jobs and pend.jobs[job.id][1]
            pend.jobs[job.id] = (_copy_job(job), is_new)
            if job.status is JobStatus.COMPLETED:
                self._block_now().completed.add(job.workspace_id)

    _JOB_MAP = (
        "j {.id, .workspace, .name, .fileHash, .format, .ownerPersonId, .status, .rowsRead, .rowsImported, "
        ".rowsRejected, .rowsSkipped, .checkpointRow, .error, .startedAt, .finishedAt, .options, .notes}"
    )

    @_guarded
    def get_job(self, workspace_id: str, job_id: str) -> ImportJob | None:
        block = self._block()
        pend = block.ws.get(workspace_id) if block is not None else None
        entry = pend.jobs.get(job_id) if pend is not None else None
        if entry is not None and entry[1]:
            return _copy_job(entry[0])
        rows = self._read(
            f"MATCH (j:ImportJob {{workspace: $ws, id: $id}}) WHERE j.status IS NOT NULL RETURN {self._JOB_MAP} AS j",
            ws=workspace_id, id=job_id,
        )
        if not rows:
            return None
        stored = _job(rows[0]["j"])
        return _overlay_job(stored, entry[0]) if entry is not None else stored

    @_guarded
    def list_jobs(self, workspace_id: str) -> list[ImportJob]:
        query = f"MATCH (j:ImportJob {{workspace: $ws}}) WHERE j.id IS NOT NULL AND j.status IS NOT NULL RETURN {self._JOB_MAP} AS j"
        jobs = self._read_consistent(workspace_id, lambda tx: [_job(r["j"]) for r in tx.run(query, ws=workspace_id).data()])
        # SQLite's ORDER BY started_at (ISO text, NULL first), id
        return sorted(jobs, key=lambda j: (j.started_at is not None, j.started_at.isoformat() if j.started_at else "", j.id))

    @_guarded
    def add_rejects(self, job_id: str, rejects: Iterable[Reject]) -> None:
        rejects = list(rejects)
        if not rejects:
            return
        with self.atomic():
            by_row = self._block_now().rejects.setdefault(job_id, {})
            for r in rejects:
                by_row[r.row] = r

    @_guarded
    def rejects(self, job_id: str, *, after: int | None = None, limit: int | None = None, skipped: bool | None = None) -> list[Reject]:
        """By row number; a page is the first ``limit`` with a row after ``after`` (keyset: the
        ``Reject(jobId, row)`` index range, ordered and limited in the query); only rejected
        (``skipped=False``) or only skipped (``True``) rows when asked."""
        page = "" if limit is None else " LIMIT $limit"
        which = "" if skipped is None else " AND coalesce(r.skipped, false) = $skipped"

        def work(tx: Any) -> list[Reject]:
            rows = tx.run(
                "MATCH (j:ImportJob {id: $job}) WITH collect(j.workspace) + [''] AS spaces "
                f"MATCH (r:Reject {{jobId: $job}}) WHERE r.row > $after AND r.workspace IN spaces{which} "
                f"RETURN r.row AS row, r.reason AS reason, r.skipped AS skipped ORDER BY row{page}",
                job=job_id, after=-(2**63) if after is None else after, limit=limit, skipped=skipped,
            )
            return [Reject(r["row"], r["reason"], bool(r["skipped"])) for r in rows]

        # the reject's workspace comes from its job: see every workspace's pending writes
        return self._read_consistent(None, work)
