"""Copy a workspace from one store into another (the embedded SQLite store into Neo4j).

``sync_store(source, target, "default")`` reads the workspace through the ``Store`` protocol
only — people page by page (``search_people``), their identity keys (``keys_of``) and
sightings, members, import jobs with their rejects, the evidence (``iter_evidence``) with
the events it names (``get_events``), and the intro requests with their steps — and writes what the target lacks or holds differently.
Ids are kept, so running it again finds everything in place and writes nothing (the target's
``data_version`` does not move). It never deletes: people or evidence that exist only in the
target stay.

When the target is a ``Neo4jStore``, the derived ``KNOWS`` relationships are then rebuilt with
``graphsvc.projection.knows.project_knows`` and ``graphsvc.projection.browser.write_browser_view``
adds what Neo4j Browser's style sheet (schema/neo4j/style.grass) needs to colour people by
community and draw ties by strength; see docs/neo4j-browser.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Protocol

from graphsvc.model import Evidence, ImportJob, Person
from graphsvc.projection.browser import BrowserView, write_browser_view
from graphsvc.projection.knows import project_knows
from graphsvc.store.protocol import Store

__all__ = ["Progress", "SyncReport", "sync_store"]

#: People per page (one ``atomic()`` block each).
PEOPLE_PAGE = 500
#: Evidence items per ``atomic()`` block.
EVIDENCE_BATCH = 5000



class Progress(Protocol):
    def __call__(self, stage: str, done: int, total: int | None) -> None:
        """``stage`` is one of ``jobs``, ``people``, ``members``, ``evidence``, ``knows``, ``view``."""


@dataclass
class SyncReport:
    """What a sync found and wrote. ``changed`` is False when the target already had it all."""

    workspace: str
    source_workspace_id: str
    target_workspace_id: str
    people: int = 0
    people_added: int = 0
    people_updated: int = 0
    keys_added: int = 0
    #: ``(kind, value, person id)`` of source keys the target gives to another person.
    key_conflicts: list[tuple[str, str, str]] = field(default_factory=list)
    sightings: int = 0
    members_added: int = 0
    events_added: int = 0
    evidence: int = 0
    evidence_added: int = 0
    jobs: int = 0
    jobs_added: int = 0
    jobs_updated: int = 0
    rejects_written: int = 0
    intro_requests: int = 0
    intro_requests_added: int = 0
    intro_requests_updated: int = 0
    #: ``KNOWS`` relationships written by ``project_knows`` (None: the target has no projection).
    knows: int | None = None
    #: what ``write_browser_view`` wrote (None: not a Neo4j target, or not asked for).
    view: BrowserView | None = None

    @property
    def changed(self) -> bool:
        return bool(
            self.people_added or self.people_updated or self.keys_added or self.members_added or self.events_added
            or self.evidence_added or self.jobs_added or self.jobs_updated or self.rejects_written
            or self.intro_requests_added or self.intro_requests_updated
        )

    def summary(self) -> str:
        parts = [
            f"{self.people} people ({self.people_added} added, {self.people_updated} updated)",
            f"{self.evidence} evidence items ({self.evidence_added} added)",
            f"{self.events_added} events added",
            f"{self.members_added} members added",
            f"{self.jobs} import jobs ({self.jobs_added} added, {self.jobs_updated} updated)",
            f"{self.keys_added} identity keys added",
        ]
        if self.intro_requests:
            parts.append(f"{self.intro_requests} intro requests ({self.intro_requests_added} added, {self.intro_requests_updated} updated)")
        if self.knows is not None:
            parts.append(f"{self.knows} KNOWS relationships")
        if self.key_conflicts:
            parts.append(f"{len(self.key_conflicts)} identity keys held by another person in the target (left as they are)")
        return "; ".join(parts)


def _tick(progress: Progress | None, stage: str, done: int, total: int | None) -> None:
    if progress is not None:
        progress(stage, done, total)


def _same_person(a: Person, b: Person) -> bool:
    return replace(a, is_member=False) == replace(b, is_member=False)


def sync_store(
    source: Store,
    target: Store,
    workspace_name: str,
    progress: Progress | None = None,
    *,
    as_of: datetime | None = None,
    project: bool = True,
    browser_view: bool = True,
) -> SyncReport:
    """Copy workspace ``workspace_name`` of ``source`` into ``target``; idempotent.

    ``project`` rebuilds the target's ``KNOWS`` relationships at ``as_of`` (default: now)
    when the target supports it (``Neo4jStore``), and ``browser_view`` then writes the Browser
    view (``write_browser_view``). The target's own rebuild-after-import is suspended while
    copying, so ``KNOWS`` is projected once, at the end.
    """
    src_ws = source.workspace(workspace_name)
    dst_ws = target.workspace(workspace_name)
    report = SyncReport(workspace_name, src_ws.id, dst_ws.id)
    had_hook = hasattr(target, "project_knows_after_import")
    hook = getattr(target, "project_knows_after_import", None)
    if had_hook:
        target.project_knows_after_import = False  # type: ignore[attr-defined]
    try:
        _copy_jobs(source, target, src_ws.id, dst_ws.id, report, progress)
        _copy_people(source, target, src_ws.id, dst_ws.id, report, progress)
        _copy_members(source, target, src_ws.id, dst_ws.id, report, progress)
        _copy_evidence(source, target, src_ws.id, dst_ws.id, report, progress)
        _copy_intro_requests(source, target, src_ws.id, dst_ws.id, report)
    finally:
        if had_hook:
            target.project_knows_after_import = hook  # type: ignore[attr-defined]
    if project and hasattr(target, "refresh_knows"):
        _tick(progress, "knows", 0, 1)
        report.knows = project_knows(target, dst_ws.id, as_of)  # type: ignore[arg-type]
        _tick(progress, "knows", 1, 1)
        if report.intro_requests:
            from graphsvc.projection.intro_requests import project_intro_requests

            project_intro_requests(target, dst_ws.id)  # ASKED, and who made each INTRODUCED
        if browser_view:
            _tick(progress, "view", 0, 1)
            report.view = write_browser_view(target, dst_ws.id)
            _tick(progress, "view", 1, 1)
    return report


def _copy_intro_requests(source: Store, target: Store, src: str, dst: str, report: SyncReport) -> None:
    """Intro requests (graphsvc/intro_requests.py), ids and steps kept: a request the target lacks is
    added, one the source has moved further is brought up to its steps."""
    requests = source.intro_requests(src)
    report.intro_requests = len(requests)
    for request in reversed(requests):  # oldest first
        there = target.get_intro_request(dst, request.id)
        if there is None:
            target.add_intro_request(dst, request)
            report.intro_requests_added += 1
        elif len(there.transitions) < len(request.transitions):
            if target.save_intro_request(dst, request, len(there.transitions)):
                report.intro_requests_updated += 1


def _copy_jobs(source: Store, target: Store, src: str, dst: str, report: SyncReport, progress: Progress | None) -> None:
    jobs = source.list_jobs(src)
    report.jobs = len(jobs)
    for done, job in enumerate(jobs, 1):
        copy = replace(job, workspace_id=dst, options=dict(job.options), notes=list(job.notes))
        existing = target.get_job(dst, job.id)
        wanted_rejects = source.rejects(job.id)
        write_rejects = bool(wanted_rejects) and target.rejects(job.id) != wanted_rejects
        if existing is not None and _same_job(existing, copy) and not write_rejects:
            _tick(progress, "jobs", done, len(jobs))
            continue
        with target.atomic():
            if existing is None:
                target.add_job(copy)
                report.jobs_added += 1
            elif not _same_job(existing, copy):
                target.save_job(copy)
                report.jobs_updated += 1
            if write_rejects:
                target.add_rejects(job.id, wanted_rejects)
                report.rejects_written += 1
        _tick(progress, "jobs", done, len(jobs))


def _same_job(a: ImportJob, b: ImportJob) -> bool:
    def norm(job: ImportJob) -> tuple[Any, ...]:
        return (
            job.id, job.file_name, job.file_hash, job.format, job.owner_person_id, job.status, job.rows_read,
            job.rows_imported, job.rows_rejected, job.rows_skipped, job.checkpoint_row, job.error,
            _instant(job.started_at), _instant(job.finished_at), job.options, list(job.notes),
        )

    return norm(a) == norm(b)


def _instant(moment: datetime | None) -> Any:
    if moment is None:
        return None
    return moment.astimezone(timezone.utc) if moment.tzinfo else moment


def _copy_people(source: Store, target: Store, src: str, dst: str, report: SyncReport, progress: Progress | None) -> None:
    total = source.count_people(src, None)
    after: str | None = None
    done = 0
    _tick(progress, "people", 0, total)
    while True:
        page = source.search_people(src, None, PEOPLE_PAGE, after)
        if not page:
            break
        after = page[-1].id
        with target.atomic():
            existing = target.get_people(dst, [p.id for p in page])
            for person in page:
                stored = existing.get(person.id)
                if stored is None:
                    target.add_person(dst, replace(person, is_member=False))
                    report.people_added += 1
                elif not _same_person(stored, person):
                    target.update_person(dst, replace(person, is_member=False))
                    report.people_updated += 1
            for person in page:
                for kind, value in source.keys_of(src, person.id):
                    holder = target.person_for_key(dst, kind, value)
                    if holder == person.id:
                        continue
                    if holder is None and target.add_key(dst, kind, value, person.id):
                        report.keys_added += 1
                    else:
                        report.key_conflicts.append((kind, value, person.id))
                for sighting in source.sightings(src, person.id):
                    target.add_sighting(dst, sighting)  # keyed by (job, row, person): idempotent
                    report.sightings += 1
        done += len(page)
        report.people = done
        _tick(progress, "people", done, total)
        if len(page) < PEOPLE_PAGE:
            break


def _copy_members(source: Store, target: Store, src: str, dst: str, report: SyncReport, progress: Progress | None) -> None:
    wanted = source.member_ids(src)
    have = set(target.member_ids(dst))
    missing = [m for m in wanted if m not in have]
    if missing:
        with target.atomic():
            for person_id in missing:
                target.add_member(dst, person_id)
        report.members_added = len(missing)
    _tick(progress, "members", len(wanted), len(wanted))


def _copy_evidence(source: Store, target: Store, src: str, dst: str, report: SyncReport, progress: Progress | None) -> None:
    total = source.count_evidence(src)
    known_events: set[str] = set()
    batch: list[Evidence] = []
    _tick(progress, "evidence", 0, total)

    def flush() -> None:
        if not batch:
            return
        wanted = {e.event_id for e in batch if e.event_id} - known_events
        with target.atomic():
            if wanted:
                present = target.get_events(dst, wanted)
                missing = sorted(wanted - set(present))
                for event in source.get_events(src, missing).values():
                    target.add_event(dst, event)
                    report.events_added += 1
                known_events.update(wanted)
            report.evidence_added += target.add_evidence(dst, batch)
        report.evidence += len(batch)
        _tick(progress, "evidence", report.evidence, total)
        batch.clear()

    for item in source.iter_evidence(src):
        batch.append(item)
        if len(batch) >= EVIDENCE_BATCH:
            flush()
    flush()
