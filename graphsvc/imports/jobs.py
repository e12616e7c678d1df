"""Import jobs: file -> importer -> identity resolution -> store, losing nothing.

* Every data row ends as imported, rejected (with its row number and reason) or skipped
  (valid but carrying nobody, such as a LinkedIn hidden profile): ``rows_read`` is their sum.
* A job's id is derived from the workspace, the file's content hash, the format and the
  options, so importing the same file again finds the finished job and changes nothing.
* Rows are written in batches; each batch, its rejects and the job's checkpoint commit in one
  transaction, with the batches before it since the last commit (see ``commit_due``). A crash
  leaves the store at the last checkpoint and re-running resumes there.
* A file that cannot be read at all raises ``ImportFailed`` before anything is written.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import time
from contextlib import ExitStack
from dataclasses import dataclass, fields, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable

import importers
from graphsvc.imports import corrections
from graphsvc.errors import ImportFailed
from graphsvc.identity.records import Resolver, ensure_blocks, fold
from graphsvc.limits import too_long
from graphsvc.identity.merging import auto_merge, recheck
from graphsvc.model import Channel, Event, Evidence, EvidenceKind, ImportJob, JobStatus, Reject, stable_id
from graphsvc.store.protocol import Store
from graphsvc.store.write_buffer import WriteBuffer
from importers import ImportOptions, ParsedSource, Source
from importers.records import Attendance, Connection, EventRef, Link, ParsedRow, PersonRef, Rejected, RowResult, Skipped
from importers.xlsx import check_workbook

#: ``progress(bytes_done, bytes_total, job)`` is called after every batch.
Progress = Callable[[int, int, ImportJob], None]

#: Rows in an import's first batch, and in its largest.
BATCH_ROWS = 2000
MAX_BATCH_ROWS = 16000
#: Within a batch, a cancel is looked for every this many rows.
CANCEL_CHECK_ROWS = 1000
#: A transaction that has been open this long commits after its batch, however few rows it
#: holds: other writers (the API's mutations, another import) wait for it.
COMMIT_SECONDS = 8.0


def batch_size(rows_done: int, first: int, most: int) -> int:
    """Rows in the batch after ``rows_done`` rows: as many again, from ``first`` up to ``most``.

    A small file lands in small batches (prompt progress, a cheap resume), a large one in large
    ones: a commit writes every index page its batch touched, and with indexes keyed by hashes a
    batch touches pages all over them, so per row, small batches into a large store cost up to
    twice as much (docs/performance.md). The size depends on the rows done only, so a resumed
    run cuts its batches where an uninterrupted one would have.

    >>> [batch_size(done, 2000, 16000) for done in (0, 2000, 4000, 8000, 16000, 32000)]
    [2000, 2000, 4000, 8000, 16000, 16000]
    """
    return min(most, max(first, rows_done))


def commit_due(rows_held: int, rows_committed: int, first: int, most: int, seconds_open: float) -> bool:
    """Whether a transaction holding ``rows_held`` rows commits after its latest batch.

    Transactions grow as batches do (``batch_size``), up to ``most`` rows, but commit after
    ``COMMIT_SECONDS`` whatever they hold. While batches grow each commits on its own; in a large
    file several batches share a commit, whose cost is writing every index page the transaction
    touched. Only when commits happen depends on the clock, never where batches are cut, so a
    resumed run still compares and merges the same rows together as an uninterrupted one.

    >>> [commit_due(held, done, 2000, 64000, 1.0) for held, done in ((2000, 0), (16000, 16000), (16000, 32000), (32000, 32000))]
    [True, True, False, True]
    >>> commit_due(16000, 32000, 2000, 64000, seconds_open=COMMIT_SECONDS)
    True
    """
    return rows_held >= batch_size(rows_committed, first, most) or seconds_open >= COMMIT_SECONDS


class _Cancelled(Exception):
    """``should_stop()`` answered True at a batch boundary, or inside a batch being written, whose
    transaction then rolls back (see ``PreparedImport.run``)."""


def content_hash(source: Source) -> str:
    digest = hashlib.sha256()
    for member in sorted(source.members, key=lambda m: m.name):
        # Framed (name, size) so that no two different archives can concatenate to the same bytes.
        digest.update(f"{member.name if source.is_container else ''}\0{member.size}\0".encode())
        with member.open() as fh:
            while chunk := fh.read(1024 * 1024):
                digest.update(chunk)
    return digest.hexdigest()


@dataclass
class PreparedImport:
    """A file that opened and validated; ``run()`` writes it. Nothing is written before ``run()``."""

    store: Store
    workspace_id: str
    job: ImportJob
    parsed: ParsedSource
    already_done: bool
    batch_rows: int = 2000
    #: Batches grow with the rows written, from ``batch_rows`` up to this (see ``batch_size``).
    max_batch_rows: int = 2000
    #: Where the file is, so that another process can run the same import (``graphsvc.imports.runs``).
    path: Path | None = None
    format_given: str | None = None
    #: The most rows one transaction grows to, whole batches at a time (see ``commit_due``).
    commit_rows: int = 2000

    def register(self) -> None:
        """Record the job as running, so it can be polled before its first batch lands."""
        with self.store.atomic():
            stored = self.store.get_job(self.workspace_id, self.job.id)
            if stored is None:
                self.store.add_job(self.job)
            elif stored.status is JobStatus.UNDONE:
                self.store.save_job(self.job)  # imported again after an undo: a fresh start

    def run(self, progress: Progress | None = None, should_stop: Callable[[], bool] | None = None) -> ImportJob:
        """Write the rows in batches. ``should_stop()`` is asked before each batch is written and every
        ``CANCEL_CHECK_ROWS`` rows while one is: when it answers True the run ends there as CANCELLED.
        At a boundary the batches written stay; inside a batch its transaction rolls back (with
        any batches it shared, ``commit_due``). The job's counters and checkpoint say how far it
        got; running the same file again resumes."""
        if self.already_done:
            return self.job
        if self.job.status is JobStatus.CANCELLED:
            self.job.finished_at = None  # resuming a cancelled job
        try:
            return _run(self, progress, should_stop)
        except _Cancelled:
            self.job.status, self.job.finished_at = JobStatus.CANCELLED, datetime.now(timezone.utc)
            with self.store.atomic():
                self.store.save_job(self.job)
            return self.job
        except Exception as exc:
            self.job.status = JobStatus.FAILED
            self.job.error = exc.args[0] if isinstance(exc, ImportFailed) and exc.args else f"{type(exc).__name__}: {exc}"
            with self.store.atomic():
                self.store.save_job(self.job)
            raise


def prepare_import(
    store: Store,
    workspace_id: str,
    path: str | Path,
    *,
    format: str | None = None,
    options: ImportOptions | None = None,
    file_name: str | None = None,
    batch_rows: int | None = None,
    max_batch_rows: int | None = None,
    commit_rows: int | None = None,
) -> PreparedImport:
    """Open, detect and validate ``path``; find or create its job. Raises ``ImportFailed`` early.

    Batches start at ``batch_rows`` rows and grow up to ``max_batch_rows`` (``batch_size``);
    given only ``batch_rows``, every batch has that size and commits on its own. Transactions
    grow up to ``commit_rows`` (default: the store's ``import_commit_rows``; ``commit_due``).
    """
    first = batch_rows or BATCH_ROWS
    most = max(first, max_batch_rows or (MAX_BATCH_ROWS if batch_rows is None else first))
    if commit_rows is None:
        commit_rows = first if batch_rows is not None and max_batch_rows is None else store.import_commit_rows
    commit_rows = max(most, commit_rows)
    options = options or ImportOptions()
    source = Source.from_path(path, file_name, encoding=options.encoding)
    if not format:
        check_workbook(source)  # a legacy .xls or a damaged .xlsx: a hint, not "unrecognised"
    importer = importers.get(format) if format else importers.detect(source)
    parsed = importer.parse(source, options)
    file_hash = content_hash(source)
    job_id = stable_id("job", workspace_id, file_hash, importer.name, json.dumps(options.as_dict(), sort_keys=True))
    existing = store.get_job(workspace_id, job_id)
    if existing is not None and existing.status is JobStatus.UNDONE:
        existing = None  # undone: imported afresh under the same id
    if existing is not None:
        return PreparedImport(
            store, workspace_id, existing, parsed, existing.status == JobStatus.COMPLETED, first, most, Path(path), format, commit_rows
        )
    job = ImportJob(
        id=job_id, workspace_id=workspace_id, file_name=source.name, file_hash=file_hash, format=importer.name,
        owner_person_id=None, status=JobStatus.RUNNING, started_at=datetime.now(timezone.utc),
        options=options.as_dict(), notes=list(parsed.notes) + source.reading_notes(),
    )
    return PreparedImport(store, workspace_id, job, parsed, False, first, most, Path(path), format, commit_rows)


def import_file(store: Store, workspace_id: str, path: str | Path, **kwargs: object) -> ImportJob:
    """Prepare and run an import in one call (see ``prepare_import`` for the arguments)."""
    progress = kwargs.pop("progress", None)
    return prepare_import(store, workspace_id, path, **kwargs).run(progress)  # type: ignore[arg-type]


def _run(prepared: PreparedImport, progress: Progress | None, should_stop: Callable[[], bool] | None = None) -> ImportJob:
    store, ws, job, parsed = prepared.store, prepared.workspace_id, prepared.job, prepared.parsed
    resolver = Resolver(store, ws)
    prepared.register()
    ensure_blocks(store, ws)  # a workspace filed by an older blocking rule is re-filed before it is compared with
    rows = iter(parsed.rows())
    first = next(rows, None)  # a file without rows (a header only) adds nobody: not even its owner as a member
    with store.atomic():
        job.status, job.error = JobStatus.RUNNING, ""
        if parsed.owner is not None and first is None and job.owner_person_id is None:
            note = "no rows: the export's owner was not added"
            if note not in job.notes:
                job.notes.append(note)
        if parsed.owner is not None and (first is not None or job.owner_person_id is not None):
            job.owner_person_id = resolver.resolve(parsed.owner, as_owner=True)
            resolver.record_sighting(job.owner_person_id, parsed.owner, job_id=job.id, fmt=job.format, source=job.file_name, row=0)
            if job.owner_person_id not in store.member_ids(ws):
                store.add_journal(ws, job.id, [corrections.member_entry(job.owner_person_id)])
            store.add_member(ws, job.owner_person_id)
        store.save_job(job)
    with _Transactions(prepared) as transactions:
        batch: list[RowResult] = []
        for item in itertools.chain([first] if first is not None else [], rows):
            if item.row <= job.checkpoint_row:
                continue  # written by an earlier, interrupted run of this job
            batch.append(item)
            if len(batch) >= batch_size(job.rows_read, prepared.batch_rows, prepared.max_batch_rows):
                if should_stop is not None and should_stop():
                    transactions.commit()  # the batches written stay
                    raise _Cancelled()  # before writing: this batch was never written, a resumed run reads it again
                _take_notes(job, parsed)
                transactions.write(resolver, batch, should_stop)
                batch = []
                if progress:
                    progress(parsed.position(), parsed.size, job)
        _take_notes(job, parsed)
        transactions.write(resolver, batch, should_stop)
    job.status, job.finished_at = JobStatus.COMPLETED, datetime.now(timezone.utc)
    with store.atomic():
        store.save_job(job)
    if progress:
        progress(parsed.size, parsed.size, job)
    return job


def _take_notes(job: ImportJob, parsed: ParsedSource) -> None:
    """Notes the importer added while reading rows (a recurring series cut to its latest
    occurrences) join the job's, and are saved with the batch."""
    for note in parsed.notes:
        if note not in job.notes:
            job.notes.append(note)


class _Transactions:
    """An import's batches, written in transactions of one or more whole batches (``commit_due``).

    The job's counters move only with a commit: a batch that fails, or is cancelled while being
    written, rolls back every batch since the last commit, and the counters and checkpoint go
    back to that commit, where a resumed run starts.
    """

    def __init__(self, prepared: PreparedImport) -> None:
        self.prepared, self.store, self.job = prepared, prepared.store, prepared.job
        self._open: ExitStack | None = None
        self._began = 0.0
        self._committed = replace(self.job)  # the job as of the last commit
        self.merges = corrections.MergeJournal(self.store, self.job.workspace_id)
        self.events = _EventMap(self.store, self.job)

    def __enter__(self) -> "_Transactions":
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: object) -> None:
        if kind is None:
            self.commit()
        elif self._open is not None:
            opened, self._open = self._open, None
            self._restore()
            opened.__exit__(kind, error, trace)  # ROLLBACK

    def write(self, resolver: Resolver, batch: list[RowResult], should_stop: Callable[[], bool] | None) -> None:
        if not batch:
            return
        if self._open is None:
            self._committed = replace(self.job)
            self._open = ExitStack()
            self._open.enter_context(self.store.atomic())
            self._began = time.monotonic()
        resolver.take_created()  # records a failed earlier batch created or changed were rolled back with it
        resolver.take_changed()
        self.merges.take()
        _write_batch(self.store, resolver, self.job, batch, should_stop, self.merges, self.events)
        committed = self._committed.rows_read
        held = self.job.rows_read - committed
        if commit_due(held, committed, self.prepared.batch_rows, self.prepared.commit_rows, time.monotonic() - self._began):
            self.commit()

    def commit(self) -> None:
        if self._open is not None:
            opened, self._open = self._open, None
            try:
                opened.close()  # COMMIT
            except BaseException:
                self._restore()
                raise

    def _restore(self) -> None:
        self.events.forget()  # corrections the rolled-back batches made are rolled back too
        for field in fields(self.job):
            setattr(self.job, field.name, getattr(self._committed, field.name))


def _write_batch(
    store: Store, resolver: Resolver, job: ImportJob, batch: list[RowResult], should_stop: Callable[[], bool] | None = None,
    merges: "corrections.MergeJournal | None" = None, events: "_EventMap | None" = None,
) -> None:
    ws = job.workspace_id
    imported = 0
    rejects: list[Reject] = []
    evidence: list[Evidence] = []
    refs = [(ref, job.format) for item in batch if isinstance(item, ParsedRow) for record in item.records for ref in _refs(record) if ref is not None]
    merges = merges if merges is not None else corrections.MergeJournal(store, ws)
    events = events if events is not None else _EventMap(store, job)
    with store.atomic():
        journal = events.prepare(item.records for item in batch if isinstance(item, ParsedRow))
        with resolver.buffered(refs) as buffer:
            for done, item in enumerate(batch):
                if should_stop is not None and done and not done % CANCEL_CHECK_ROWS and should_stop():
                    raise _Cancelled()  # a large batch is not waited for: it rolls back, a resumed run writes it again
                if isinstance(item, Rejected):
                    rejects.append(Reject(item.row, item.reason))
                elif isinstance(item, Skipped):
                    rejects.append(Reject(item.row, item.reason, skipped=True))
                elif isinstance(item, ParsedRow):
                    problem = _write_row(buffer, resolver, job, item, evidence, events)
                    if problem:
                        rejects.append(Reject(item.row, problem))
                    else:
                        imported += 1
        journal.extend(_journal_of(buffer))
        added = store.add_evidence(ws, evidence)
        distinct = {e.id for e in evidence}
        if added < len(distinct):  # some were there already: held by this job (a resumed batch) or claimed from another
            journal.extend(corrections.claim_entry(eid) for eid, owner in sorted(store.evidence_owners(ws, distinct).items()) if owner != job.id)
        created = resolver.take_created()
        merges.prime()
        # the new records as the batch wrote them: auto_merge need not read them back
        auto_merge(merges, ws, created, known=buffer.new_people(), known_keys=buffer.new_keys(), filed_under=buffer.filed_under())  # type: ignore[arg-type]
        recheck(merges, ws, resolver.take_changed())  # type: ignore[arg-type]
        journal.extend(merges.take())
        if journal:
            store.add_journal(ws, job.id, journal)
        store.add_rejects(job.id, rejects)
        job.rows_imported += imported
        job.rows_rejected += sum(not r.skipped for r in rejects)
        job.rows_skipped += sum(r.skipped for r in rejects)
        job.rows_read = job.rows_imported + job.rows_rejected + job.rows_skipped
        job.checkpoint_row = batch[-1].row
        store.save_job(job)


def _refs(record: object) -> tuple[PersonRef | None, ...]:
    """The people a record is about (None: the export's owner)."""
    return (record.source, record.target) if isinstance(record, Link) else (record.person,)  # type: ignore[attr-defined]


def _write_row(
    store: Store | WriteBuffer, resolver: Resolver, job: ImportJob, row: ParsedRow, evidence: list[Evidence], events: "_EventMap | None" = None
) -> str | None:
    """Resolve and write one row's records; return a reason when the row cannot be imported.

    Everything that can reject the row is checked before anything is written, so a rejected
    row leaves no people, sightings or evidence behind.
    """
    ws = job.workspace_id
    for record in row.records:
        if problem := too_long(record):
            return problem
        for ref in _refs(record):
            if ref is None and job.owner_person_id is None:
                return "evidence about the export's owner, but the owner is unknown (pass --owner)"
            if ref is not None and (ref.is_empty() or not resolver.keys(ref)):
                return "no usable name, email, phone or profile to recognise the person by"
            if ref is not None and resolver.is_forgotten(ref):
                return "a person this workspace was asked to forget (forgetPerson): not imported"
        if isinstance(record, Link) and record.source is None and record.target is None:
            return "the export's owner linked to themselves"
        if isinstance(record, Connection) and job.owner_person_id is None:
            return "a connection without an owner"
        if isinstance(record, Link) and record.source is not None and record.target is not None:
            if _same_record(resolver, record.source, record.target, job.format):
                return "someone linked to themselves (the same person on both sides)"
        if isinstance(record, Connection) and _is_owner(resolver, job, record.person, job.format):
            return "the export's owner listed as their own connection"
        if isinstance(record, Link) and (record.source is None or record.target is None):
            other = record.target if record.source is None else record.source
            if other is not None and _is_owner(resolver, job, other, job.format):
                return "someone linked to themselves (the same person on both sides)"
    resolved: list[tuple[object, list[str]]] = []
    for record in row.records:
        ids = [job.owner_person_id if ref is None else resolver.resolve(ref, mention=job.format) for ref in _refs(record)]
        if len(ids) == 2 and ids[0] == ids[1]:
            return "someone linked to themselves (the same person on both sides)"
        if isinstance(record, Connection) and ids[0] == job.owner_person_id:
            return "the export's owner listed as their own connection"
        resolved.append((record, ids))  # type: ignore[arg-type]
    row_evidence: list[Evidence] = []
    for record, ids in resolved:
        for ref, person_id in zip(_refs(record), ids):
            if ref is not None:
                resolver.record_sighting(person_id, ref, job_id=job.id, fmt=job.format, source=job.file_name, row=row.row)
        if isinstance(record, Link):
            row_evidence.append(_link_evidence(job, record, ids[0], ids[1]))
        elif isinstance(record, Connection):
            pair = sorted((job.owner_person_id, ids[0]))  # type: ignore[type-var]
            row_evidence.append(
                Evidence(
                    id=stable_id("ev", ws, EvidenceKind.CONNECTION.value, record.channel, *pair),
                    kind=EvidenceKind.CONNECTION, channel=Channel(record.channel), person_a=job.owner_person_id,  # type: ignore[arg-type]
                    person_b=ids[0], event_id=None, at=record.at, job_id=job.id, direction=record.direction,
                )
            )
        elif isinstance(record, Attendance):
            event = events.event(record.event) if events is not None else _event(ws, record.event, job.format)
            store.add_event(ws, event)
            row_evidence.append(
                Evidence(
                    id=stable_id("ev", ws, ATTENDED, event.id, ids[0]),
                    kind=EvidenceKind.ATTENDED, channel=Channel.EVENT, person_a=ids[0], person_b=None,
                    event_id=event.id, at=record.at or record.event.starts_at, job_id=job.id,
                )
            )
    evidence.extend(row_evidence)
    return None


ATTENDED = EvidenceKind.ATTENDED.value


def _journal_of(buffer: WriteBuffer) -> list[tuple[str, str, str]]:
    """What undoing the batch must restore of records that existed: their fields and their keys."""
    entries = [corrections.person_entry(person) for _, person in sorted(buffer.updated_before().items())]
    new = buffer.new_people()
    for person_id, keys in sorted(buffer.new_keys().items()):
        if person_id not in new:
            entries.extend(corrections.key_entry(kind, value, person_id) for kind, value in keys)
    return entries


class _EventMap:
    """The events an import's attendances name, as stored.

    * An event merged into another (``graphsvc event merge``) is found under the one kept.
    * **The same list again** (docs/events.md): an earlier completed job of the workspace read the
      same file content (content hash) with the same importer, and this one differs only in its
      options (a corrected ``--event-name``/``--event-date``/``--event-kind``). Its events are
      that job's events, corrected: with one event on each side they are the same event; with
      several, an event is the earlier one of the same name, else of the same day (when exactly
      one matches). The corrected event keeps its id and takes the new name, date and kind (the
      correction is journaled, so undoing this import restores it).
    """

    def __init__(self, store: Store, job: ImportJob) -> None:
        self.store, self.job, self.ws = store, job, job.workspace_id
        self._aliases: dict[str, str] | None = None
        self._earlier: list[Event] | None = None
        self._mapped: dict[EventRef, Event] = {}

    def forget(self) -> None:
        self._mapped.clear()

    def _earlier_events(self) -> list[Event]:
        if self._earlier is None:
            self._earlier = []
            same = [
                j for j in self.store.list_jobs(self.ws)
                if j.id != self.job.id and j.status is JobStatus.COMPLETED and j.file_hash == self.job.file_hash and j.format == self.job.format
            ]
            if same:
                ids = {e.event_id for j in same for e in self.store.evidence_where(self.ws, job_id=j.id) if e.event_id}
                aliases = self.aliases()
                ids = {aliases.get(i, i) for i in ids}
                self._earlier = sorted(self.store.get_events(self.ws, ids).values(), key=lambda e: e.id)
        return self._earlier

    def aliases(self) -> dict[str, str]:
        if self._aliases is None:
            self._aliases = self.store.event_aliases(self.ws)
        return self._aliases

    def prepare(self, records: Iterable[Iterable[object]]) -> list[tuple[str, str, str]]:
        """Map the batch's events (with the real store, before the batch is buffered); the journal
        entries of any event corrected."""
        journal: list[tuple[str, str, str]] = []
        for row_records in records:
            for record in row_records:
                if isinstance(record, Attendance) and record.event not in self._mapped:
                    journal.extend(self._map(record.event))
        return journal

    def _map(self, ref: EventRef) -> list[tuple[str, str, str]]:
        event = _event(self.ws, ref, self.job.format)
        event = replace(event, id=self.aliases().get(event.id, event.id))
        earlier = self._earlier_events()
        target = _same_event(event, earlier, len({r for r in self._mapped} | {ref})) if earlier else None
        journal: list[tuple[str, str, str]] = []
        if target is not None:
            corrected = replace(event, id=target.id, source_format=target.source_format)
            if (corrected.name, corrected.starts_at, corrected.kind) != (target.name, target.starts_at, target.kind):
                journal.append(corrections.event_entry(target))
                corrections.correct_event(self.store, self.ws, target, corrected)
                self._earlier = [corrected if e.id == target.id else e for e in earlier]
            event = corrected
        self._mapped[ref] = event
        return journal

    def event(self, ref: EventRef) -> Event:
        found = self._mapped.get(ref)
        if found is None:
            self.prepare([[Attendance(person=None, event=ref, at=None)]])  # type: ignore[arg-type]
            found = self._mapped[ref]
        return found


def _same_event(event: Event, earlier: list[Event], seen: int) -> Event | None:
    if len(earlier) == 1 and seen == 1:
        return earlier[0]
    for same in (lambda e: fold(e.name) == fold(event.name), lambda e: _day(e) == _day(event) and _day(e) != ""):
        found = [e for e in earlier if same(e)]
        if len(found) == 1:
            return found[0]
    return None


def _day(event: Event) -> str:
    return event.starts_at.date().isoformat() if event.starts_at else ""


@functools.lru_cache(maxsize=4096)  # an attendee list names one event on every row
def _event(workspace_id: str, event: EventRef, source_format: str) -> Event:
    day = event.starts_at.date().isoformat() if event.starts_at else ""
    return Event(stable_id("evt", workspace_id, fold(event.name), day), event.name.strip(), event.starts_at, event.kind, source_format)


def _same_record(resolver: Resolver, a: PersonRef, b: PersonRef, mention: str) -> bool:
    (first, first_keys), (second, second_keys) = resolver.peek(a, mention), resolver.peek(b, mention)
    return first == second or bool(first_keys & second_keys)


def _is_owner(resolver: Resolver, job: ImportJob, ref: PersonRef, mention: str) -> bool:
    found, _ = resolver.peek(ref, mention)
    return found is not None and found == job.owner_person_id


def _link_evidence(job: ImportJob, link: Link, a: str, b: str) -> Evidence:
    if link.direction == "mutual":
        a, b = sorted((a, b))
    kind, channel = EvidenceKind(link.kind), Channel(link.channel)
    return Evidence(
        id=stable_id("ev", job.workspace_id, kind.value, channel.value, a, b, link.at.isoformat() if link.at else "", link.direction, link.ref),
        kind=kind, channel=channel, person_a=a, person_b=b, event_id=None, at=link.at, job_id=job.id, direction=link.direction,
    )
