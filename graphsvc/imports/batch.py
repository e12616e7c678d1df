"""Many files in one import: paths, folders and globs; an events manifest; a result per file.

``expand_paths`` turns what the user gave into inputs, deterministically:

* a file (or zip) is one input;
* a folder that an importer recognises as a whole (a LinkedIn, Facebook, Instagram or X export,
  a folder of calendars, address books or mailboxes: ``importers.detect``, as a single
  ``graphsvc import FOLDER`` would) is one input; any other folder stands for its files and
  subfolders, by name, each judged the same way (hidden files and ``__MACOSX`` left out);
* a path that does not exist but holds ``*``, ``?`` or ``[`` is a glob (``**`` recurses), its
  matches sorted; a glob that matches nothing is reported as a failed input.

Inputs keep the order of the arguments; one named twice is imported once.

``EventsManifest`` reads an events manifest CSV (columns ``file,name,date,kind``; only ``file``
is required): the event facts of attendee lists that do not carry them. A row's ``file`` names
an input by its path relative to the manifest's folder, or by the end of its path (its file
name, ``events/ev1.csv``); every problem (unknown column, empty ``file``, a date that is not
one, two rows for one file, a name that fits several inputs) is reported together, with row
numbers, before anything is imported. A row's facts win over ``--event-name/--event-date/
--event-kind``; the list's own columns win over both where it has them (as with one file).

``import_batch`` runs each input through the usual job machinery (``Graphsvc.prepare_import``
then ``run``), so every file is idempotent on its own and a batch imported again changes
nothing. A file that fails is reported and the next one runs; if the store itself becomes
unavailable, the remaining inputs are not attempted. Progress is reported in bytes over the
whole batch.
"""

from __future__ import annotations

import csv
import glob
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from graphsvc.errors import GraphsvcError, InvalidManifest, StoreUnavailable
from graphsvc.model import ImportJob, JobStatus, Reject
from importers import ImportOptions
from importers.base import EVENT_KINDS

if TYPE_CHECKING:
    from graphsvc.service import Graphsvc

#: The columns an events manifest may have; ``file`` is required.
MANIFEST_COLUMNS = ("file", "name", "date", "kind")
GLOB_CHARACTERS = frozenset("*?[")
JUNK_NAMES = frozenset({"__macosx", ".ds_store", "thumbs.db", "desktop.ini"})

#: ``progress(done, total, label)``: bytes done and in all, and the input being imported.
BatchProgress = Callable[[int, int, str], None]


class Status:
    IMPORTED = "imported"
    ALREADY_IMPORTED = "already_imported"
    FAILED = "failed"
    NOT_ATTEMPTED = "not_attempted"


@dataclass(frozen=True)
class BatchInput:
    """One thing to import: ``label`` is how the user would recognise it (the path as given)."""

    path: Path
    label: str
    #: Why it cannot be imported before even trying (a glob that matched nothing).
    problem: str | None = None


# paths ----------------------------------------------------------------------------------
def expand_paths(paths: Iterable[str | Path]) -> list[BatchInput]:
    """Files, recognised export folders and zips for ``paths`` (files, folders, globs), in order."""
    found: list[BatchInput] = []
    seen: set[Path] = set()

    def add(item: BatchInput) -> None:
        key = item.path.resolve() if item.problem is None else Path(item.label)
        if key not in seen:
            seen.add(key)
            found.append(item)

    for given in paths:
        text = str(given)
        path = Path(text)
        if not path.exists() and GLOB_CHARACTERS & set(text):
            matches = sorted(glob.glob(text, recursive=True))
            if not matches:
                add(BatchInput(path, text, f"{text}: no file or folder matches this pattern"))
            for match in matches:
                for item in _expand(Path(match), set()):
                    add(item)
            continue
        for item in _expand(path, set()):
            add(item)
    return found


def _expand(path: Path, visiting: set[Path]) -> list[BatchInput]:
    if not path.is_dir():
        return [BatchInput(path, str(path))]  # a file, a zip, or a path that does not exist (fails on import)
    if _recognised(path):
        return [BatchInput(path, str(path))]
    real = path.resolve()
    if real in visiting:  # a symlink back up the tree
        return []
    inputs: list[BatchInput] = []
    for child in sorted(path.iterdir(), key=lambda p: p.name):
        if _is_junk(child.name):
            continue
        inputs.extend(_expand(child, visiting | {real}))
    return inputs


def _is_junk(name: str) -> bool:
    return name.startswith(".") or name.lower() in JUNK_NAMES


def _recognised(folder: Path) -> bool:
    """Does an importer take ``folder`` as one export (as ``graphsvc import FOLDER`` would)?"""
    import importers
    from graphsvc.errors import UnrecognisedFormat

    try:
        importers.detect(importers.Source.from_path(folder))
    except UnrecognisedFormat:
        return False
    return True


# events manifest --------------------------------------------------------------------------
@dataclass(frozen=True)
class EventFacts:
    """One manifest row: the event of the attendee list ``file``."""

    file: str
    name: str | None
    date: str | None
    kind: str | None
    #: The row's line in the manifest (the header is line 1).
    row: int

    def apply(self, options: ImportOptions) -> ImportOptions:
        """``options`` with this row's facts where it has them."""
        return replace(
            options,
            event_name=self.name or options.event_name,
            event_date=self.date or options.event_date,
            event_kind=self.kind or options.event_kind,
        )

    def as_dict(self) -> dict[str, str | int | None]:
        return {"file": self.file, "name": self.name, "date": self.date, "kind": self.kind, "row": self.row}


class EventsManifest:
    """An events manifest CSV (``file,name,date,kind``), read and checked (``read``)."""

    def __init__(self, path: Path, rows: list[EventFacts]) -> None:
        self.path = path
        self.rows = rows

    @classmethod
    def read(cls, path: str | Path) -> "EventsManifest":
        """The manifest at ``path``; ``InvalidManifest`` listing every problem if it cannot be used."""
        from importers.dates import GENERIC, parse_date

        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise InvalidManifest(f"{path}: no such events manifest") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidManifest(f"{path}: cannot read the events manifest ({exc})") from None
        reader = csv.reader(text.splitlines())
        header = [cell.strip().lower() for cell in next(reader, [])]
        if "file" not in header:
            raise InvalidManifest(
                f"{path}: an events manifest needs a header with a 'file' column (columns: {', '.join(MANIFEST_COLUMNS)})"
            )
        problems = []
        unknown = [c for c in header if c not in MANIFEST_COLUMNS]
        if unknown:
            problems.append(f"unknown column(s) {', '.join(map(repr, unknown))}; the columns are {', '.join(MANIFEST_COLUMNS)}")
        duplicated = sorted({c for c in header if c and header.count(c) > 1})
        if duplicated:
            problems.append(f"column(s) {', '.join(map(repr, duplicated))} appear more than once")
        rows: list[EventFacts] = []
        first_row: dict[str, int] = {}
        for line, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > len(header):
                problems.append(f"row {line}: {len(cells)} cells for {len(header)} columns")
                continue
            values = {column: cell.strip() for column, cell in zip(header, cells)}
            file = values.get("file", "").replace("\\", "/")
            if not file:
                problems.append(f"row {line}: 'file' is empty")
                continue
            date = values.get("date") or None
            if date and parse_date(date, GENERIC, fallback=False) is None:
                problems.append(f"row {line}: date {date!r} is not a date (use YYYY-MM-DD)")
            kind = values.get("kind") or None
            if kind and kind.strip().lower() not in EVENT_KINDS:
                problems.append(f"row {line}: unknown event kind {kind!r}; one of: {', '.join(EVENT_KINDS)}")
            key = os.path.normpath(file)
            if key in first_row:
                problems.append(f"row {line}: {file!r} is already described on row {first_row[key]}")
                continue
            first_row[key] = line
            rows.append(EventFacts(file, values.get("name") or None, date, (values.get("kind") or None), line))
        if problems:
            raise InvalidManifest(f"{path}: " + "; ".join(problems), [f"{path}: {p}" for p in problems])
        return cls(path, rows)

    def match(self, inputs: Iterable[BatchInput]) -> tuple[dict[Path, EventFacts], list[EventFacts]]:
        """Each input's row (by resolved path), and the rows that describe no input.

        A row names the input at its path relative to the manifest's folder; failing that, the
        inputs whose path ends with it. ``InvalidManifest`` when a row fits several inputs.
        """
        base = self.path.resolve().parent
        candidates = [i.path.resolve() for i in inputs if i.problem is None]
        matched: dict[Path, EventFacts] = {}
        unused: list[EventFacts] = []
        problems: list[str] = []
        for row in self.rows:
            wanted = Path(row.file)
            exact = (wanted if wanted.is_absolute() else base / wanted).resolve()
            fits = [p for p in candidates if p == exact] or [p for p in candidates if _ends_with(p, wanted)]
            if not fits:
                unused.append(row)
            elif len(fits) > 1:
                problems.append(
                    f"row {row.row}: {row.file!r} fits {len(fits)} files of this import ({', '.join(str(p) for p in fits[:3])}); "
                    "give its path relative to the manifest"
                )
            else:
                earlier = matched.get(fits[0])
                if earlier is None or len(Path(row.file).parts) > len(Path(earlier.file).parts):
                    matched[fits[0]] = row  # the most specific row wins: events/a.csv over a.csv
        if problems:
            raise InvalidManifest(f"{self.path}: " + "; ".join(problems), [f"{self.path}: {p}" for p in problems])
        return matched, unused


def _ends_with(path: Path, tail: Path) -> bool:
    parts = tuple(p for p in tail.parts if p not in (".", ""))
    return bool(parts) and path.parts[-len(parts):] == parts


# running ---------------------------------------------------------------------------------
@dataclass
class FileResult:
    """What became of one input."""

    input: BatchInput
    status: str
    job: ImportJob | None = None
    rejects: list[Reject] = field(default_factory=list)
    #: The error's code (``GraphsvcError.code``) and message, when the input failed.
    error_code: str | None = None
    error: str | None = None
    event: EventFacts | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.status in (Status.FAILED, Status.NOT_ATTEMPTED)


@dataclass
class BatchResult:
    files: list[FileResult]
    #: Manifest rows that described none of the inputs (a typo, or a file left out).
    unused_events: list[EventFacts] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(f.failed for f in self.files)

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    def summary(self) -> dict[str, int]:
        """Files by outcome, and the rows of the files this batch imported."""
        done = [f.job for f in self.files if f.status == Status.IMPORTED and f.job is not None]
        return {
            "files": len(self.files),
            "imported": self.count(Status.IMPORTED),
            "alreadyImported": self.count(Status.ALREADY_IMPORTED),
            "failed": sum(1 for f in self.files if f.failed),
            "rowsRead": sum(j.rows_read for j in done),
            "rowsImported": sum(j.rows_imported for j in done),
            "rowsRejected": sum(j.rows_rejected for j in done),
            "rowsSkipped": sum(j.rows_skipped for j in done),
        }


def import_batch(
    service: "Graphsvc",
    workspace_id: str,
    paths: Iterable[str | Path],
    *,
    format: str | None = None,
    options: ImportOptions | None = None,
    events: EventsManifest | str | Path | None = None,
    progress: BatchProgress | None = None,
    on_result: Callable[[FileResult], None] | None = None,
) -> BatchResult:
    """Import every input of ``paths`` into ``workspace_id``; see the module docstring.

    Raises ``InvalidManifest`` (before anything is imported) for an unusable manifest; every
    other failure is one file's ``FileResult``. ``on_result`` is called as each file is done.
    """
    inputs = expand_paths(paths)
    return run_batch(service, workspace_id, inputs, format=format, options=options, events=events, progress=progress, on_result=on_result)


def run_batch(
    service: "Graphsvc",
    workspace_id: str,
    inputs: list[BatchInput],
    *,
    format: str | None = None,
    options: ImportOptions | None = None,
    events: EventsManifest | str | Path | None = None,
    progress: BatchProgress | None = None,
    on_result: Callable[[FileResult], None] | None = None,
) -> BatchResult:
    """``import_batch`` for inputs already expanded (``expand_paths``)."""
    options = options or ImportOptions()
    manifest = events if isinstance(events, EventsManifest) or events is None else EventsManifest.read(events)
    facts, unused = manifest.match(inputs) if manifest is not None else ({}, [])
    sizes = [_estimated_size(i) for i in inputs]
    total, done = sum(sizes), 0
    results: list[FileResult] = []
    jobs_seen: dict[str, str] = {}  # job id -> label: the same content twice in one batch runs once
    store_down: str | None = None
    for item, size in zip(inputs, sizes):
        event = facts.get(item.path.resolve()) if item.problem is None else None
        if progress:
            progress(done, total, item.label)
        if store_down is not None:
            result = FileResult(item, Status.NOT_ATTEMPTED, error_code=StoreUnavailable.code, error=f"not attempted: {store_down}", event=event)
        elif item.problem is not None:
            result = FileResult(item, Status.FAILED, error_code="IMPORT_FAILED", error=item.problem)
        else:
            result = _import_one(service, workspace_id, item, format, event.apply(options) if event else options, event, jobs_seen,
                                 _scaled(progress, done, size, total, item.label))
            if result.error_code == StoreUnavailable.code:
                store_down = result.error
        done += size
        results.append(result)
        if on_result:
            on_result(result)
    if progress:
        progress(total, total, "")
    return BatchResult(results, unused)


def _import_one(
    service: "Graphsvc", workspace_id: str, item: BatchInput, format: str | None, options: ImportOptions,
    event: EventFacts | None, jobs_seen: dict[str, str], progress: Callable[[int, int, ImportJob], None] | None,
) -> FileResult:
    job: ImportJob | None = None
    try:
        prepared = service.prepare_import(workspace_id, item.path, format=format, options=options)
        job = prepared.job
        if job.id in jobs_seen:
            return FileResult(item, Status.ALREADY_IMPORTED, job, event=event, notes=[f"the same content as {jobs_seen[job.id]}"])
        jobs_seen[job.id] = item.label
        if prepared.already_done:
            status = Status.ALREADY_IMPORTED
        else:
            job = prepared.run(progress)
            status = Status.IMPORTED if job.status is JobStatus.COMPLETED else Status.FAILED
        rejects = service.store.rejects(job.id)
        error = (job.error or None) if status == Status.FAILED else None
        return FileResult(item, status, job, rejects, error=error, event=event)
    except GraphsvcError as exc:
        return FileResult(item, Status.FAILED, job, error_code=exc.code, error=str(exc), event=event)
    except Exception as exc:  # noqa: BLE001 - one file's bug must not stop the others; the job (if any) says FAILED
        return FileResult(item, Status.FAILED, job, error_code="INTERNAL", error=f"{type(exc).__name__}: {exc}", event=event)


def _estimated_size(item: BatchInput) -> int:
    """Bytes the input holds (a zip's or folder's members), for the batch's progress."""
    if item.problem is not None:
        return 0
    try:
        if item.path.is_file():
            return item.path.stat().st_size
        from importers import Source

        return sum(m.size for m in Source.from_path(item.path).members)
    except (OSError, GraphsvcError):
        return 0


def _scaled(progress: BatchProgress | None, before: int, size: int, total: int, label: str) -> Callable[[int, int, ImportJob], None] | None:
    """One file's ``jobs.Progress`` as a share of the batch: its ``size`` bytes after ``before``."""
    if progress is None:
        return None

    def report(position: int, file_size: int, _job: ImportJob) -> None:
        share = min(size, round(position * size / file_size)) if file_size else 0
        progress(before + share, total, label)

    return report
