"""The ``graphsvc`` command: a thin shell over ``graphsvc.service``.

It parses arguments, calls the library, prints, and turns library errors into a clean message
and exit code 2 at its edge. ``--json`` prints what the GraphQL API returns for the same field.

It starts fast: the library's heavy parts (analytics, GraphQL, importers, the server) are
imported inside the commands that use them, never at module level — ``graphsvc --help`` and
``graphsvc people`` load neither networkx nor numpy nor strawberry (tests/test_cli_startup.py).
Commands that only read or write the store open a ``StoreSession``, not the whole ``Graphsvc``.
"""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Iterator, Optional

import typer
from rich.console import Console
from typer.core import TyperCommand, TyperGroup

from graphsvc.cli_text import safe
from graphsvc.errors import GraphsvcError

if TYPE_CHECKING:
    import click

    from graphsvc.imports.batch import BatchResult, FileResult
    from graphsvc.intros import IntroPaths
    from graphsvc.model import ImportJob
    from graphsvc.service import Graphsvc
    from graphsvc.session import StoreSession

app = typer.Typer(
    help="graphsvc: your relationship graph — imports, warm intro paths, GraphQL.", no_args_is_help=True, add_completion=False,
    rich_markup_mode=None,  # plain click help: rich's help formatter imports a Markdown parser (0.2 s of every --help)
)
console = Console()
errors = Console(stderr=True)


@contextmanager
def _session() -> Iterator[Graphsvc]:
    """The library, opened for one command; its errors become a clean message and exit code 2."""
    from graphsvc.service import Graphsvc

    with _opened(Graphsvc) as service:
        yield service


@contextmanager
def _store_session() -> Iterator[StoreSession]:
    """The store alone (no analytics loaded), for commands that only read or write it."""
    from graphsvc.session import StoreSession

    with _opened(StoreSession) as session:
        yield session


@contextmanager
def _opened(kind: Any) -> Iterator[Any]:
    try:
        opened = kind()
    except GraphsvcError as exc:
        _fail(exc)
    try:
        yield opened
    except GraphsvcError as exc:
        _fail(exc)
    finally:
        opened.close()


def _fail(exc: GraphsvcError) -> None:
    problems = getattr(exc, "problems", None) or [str(exc)]
    for problem in problems:
        errors.print(f"[bold red]error[/] ({safe(exc.code)}): {safe(problem)}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _parse_as_of(value: Optional[str]) -> Optional[datetime]:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        errors.print(f"[bold red]error[/]: --as-of {safe(repr(value))} is not an ISO date or date-time")
        raise typer.Exit(2)


def job_summary(job: ImportJob) -> str:
    """One line about a job, its file name escaped for rich (it comes from the user or an upload)."""
    return (
        f"{safe(job.file_name)}: {safe(job.format)}, {job.status.value} — {job.rows_read} rows read, "
        f"{job.rows_imported} imported, {job.rows_rejected} rejected, {job.rows_skipped} skipped"
    )


class _Command(TyperCommand):
    """Every command of this CLI. Newer typers check each parameter's value with a pydantic
    ``TypeAdapter``; importing pydantic costs 0.1-0.2 s of every start, so plain ``str``, ``int``,
    ``float``, ``bool`` and ``list[str]`` parameters are converted here instead (``_plain_values``)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        _plain_values(self.get_params(ctx))
        return super().parse_args(ctx, args)


class _Group(TyperGroup):
    """The command groups (``graphsvc``, ``graphsvc token``, ``graphsvc neo4j``): see ``_Command``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        _plain_values(self.get_params(ctx))
        return super().parse_args(ctx, args)


_PLAIN_TYPES: dict[Any, str] = {str: "text", int: "integer", float: "number", bool: "boolean", list[str]: "text"}
_TRUE, _FALSE = frozenset({"1", "true", "t", "yes", "y", "on"}), frozenset({"0", "false", "f", "no", "n", "off"})


def _plain_values(params: list[Any]) -> None:
    try:
        from typer._coercion import RuntimeParam  # typer's per-parameter conversion (absent in older typers)
    except ImportError:
        return
    plain = _plain_runtime_param(RuntimeParam)
    for param in params:
        descriptor = getattr(param, "type_descriptor", None)
        if descriptor is None or getattr(param, "_runtime_param", True) is not None or descriptor.annotation not in _PLAIN_TYPES:
            continue
        info = descriptor.parameter_info
        if descriptor.file_annotation is None and info.parser is None and getattr(info, "min", None) is None and getattr(info, "max", None) is None:
            kind = str if descriptor.annotation == list[str] else descriptor.annotation
            param._runtime_param = plain(parameter_info=info, annotation=kind)


_PLAIN_CLASSES: dict[Any, Any] = {}


def _plain_runtime_param(base: Any) -> Any:
    """A ``RuntimeParam`` converting a value with the type's own constructor."""
    if base not in _PLAIN_CLASSES:

        class Plain(base):  # type: ignore[misc, valid-type]
            def _coerce_value(self, value: Any, param: Any, ctx: click.Context) -> Any:
                if isinstance(value, (list, tuple)):
                    return [self._coerce_value(item, param, ctx) for item in value]
                if isinstance(value, self.annotation) and (self.annotation is bool or not isinstance(value, bool)):
                    return value
                if self.annotation is bool and str(value).strip().lower() in _TRUE | _FALSE:
                    return str(value).strip().lower() in _TRUE
                try:
                    if self.annotation is bool:
                        raise ValueError(value)
                    return self.annotation(value)
                except (TypeError, ValueError):
                    raise typer.BadParameter(f"{value!r} is not a valid {_PLAIN_TYPES[self.annotation]}.", ctx=ctx, param=param) from None

        _PLAIN_CLASSES[base] = Plain
    return _PLAIN_CLASSES[base]


class _ImportCommand(_Command):
    """``graphsvc import``: its ``--format`` help lists the formats, which needs every importer
    loaded — so it is filled in only when that help is shown."""

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from importers import describe_formats

        for param in self.params:
            if param.name == "format":
                param.help = f"Skip detection (every file). Formats: {describe_formats()}"
        super().format_help(ctx, formatter)


@app.command("import", cls=_ImportCommand)
def import_(
    paths: list[str] = typer.Argument(
        ..., help="Export files, zips or folders, or globs ('lists/*.csv'). A folder that is not one export is read file by file.",
        show_default=False,
    ),
    format: Optional[str] = typer.Option(None, "--format", "-f", help="Skip detection (every file)."),
    owner: Optional[str] = typer.Option(None, help="Whose export this is: a name, email or LinkedIn URL."),
    event_name: Optional[str] = typer.Option(None, help="Event name, when an attendee list has none."),
    event_date: Optional[str] = typer.Option(None, help="Event date (YYYY-MM-DD), when an attendee list has none."),
    event_kind: Optional[str] = typer.Option(
        None, help="Event kind: event, conference, meetup, workshop, webinar, meeting, breakfast, lunch, dinner, party, talk, "
        "class, course, hackathon, retreat, fair, networking, volunteering, group, roundtable, summit, panel, seminar, forum, "
        "expo, mixer, demo-day, office-hours or coffee.",
    ),
    encoding: Optional[str] = typer.Option(
        None, "--encoding", help="The text files' encoding (utf-8, cp1252, mac_roman, cp1250, utf-16, ...), over detection.",
    ),
    events: Optional[str] = typer.Option(
        None, "--events", help="Events manifest CSV (columns file,name,date,kind): each attendee list's event, "
        "the file named by its path relative to the manifest or by its file name. Wins over --event-*.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the job (several files: every file's job and a summary) as JSON."),
) -> None:
    """Import exports into the graph: one file prints its summary and every rejected row; several
    print a line per file and a summary, and exit 1 if any failed (the others are imported)."""
    from graphsvc.imports.batch import EventsManifest, expand_paths, run_batch
    from importers import ImportOptions

    try:
        options = ImportOptions(owner=owner, event_name=event_name, event_date=event_date, event_kind=event_kind, encoding=encoding).checked()
    except GraphsvcError as exc:
        _fail(exc)
    inputs = expand_paths(paths)
    single = len(paths) == 1 and len(inputs) == 1 and inputs[0].label == paths[0]
    with _session() as service:
        manifest = EventsManifest.read(events) if events else None
        workspace = service.workspace()
        with _batch_progress(as_json) as progress:
            report = None if single or as_json else _print_file_result
            result = run_batch(service, workspace.id, inputs, format=format, options=options, events=manifest,
                               progress=progress, on_result=report)
            if any(f.job is not None and f.job.rows_imported for f in result.files):
                service.index_evidence(workspace.id)  # the next question starts from the file, not the store
    if single:
        _print_single_import(result.files[0], as_json)
    else:
        _print_batch(result, as_json)
        if not result.ok:
            raise typer.Exit(1)


@contextmanager
def _batch_progress(hidden: bool) -> Iterator[Any]:
    """One bar (bytes) over the whole import, on stderr when it is a terminal."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
        console=errors, transient=True, disable=not errors.is_terminal or hidden,
    ) as bar:
        task = bar.add_task("importing", total=None)

        def update(done: int, total: int, label: str) -> None:
            bar.update(task, completed=done, total=total or None, description=f"importing {label.rstrip('/').rsplit('/', 1)[-1]}" if label else "imported")

        yield update


def _print_single_import(file: FileResult, as_json: bool) -> None:
    """One file, as ``graphsvc import FILE`` always printed it (errors: exit code 2)."""
    from graphsvc.imports.batch import Status

    if file.failed or file.job is None:
        errors.print(f"[bold red]error[/] ({safe(file.error_code or 'IMPORT_FAILED')}): {safe(file.error)}", highlight=False, soft_wrap=True)
        raise typer.Exit(2)
    job, rejects = file.job, file.rejects
    if as_json:
        _print_json({"job": _job_dict(job), "rejects": [_reject_dict(r) for r in rejects]})
        return
    if file.status == Status.ALREADY_IMPORTED:
        console.print("[yellow]already imported[/]: this file's content was imported before; nothing changed")
    console.print(job_summary(job))
    for note in job.notes:
        console.print(f"  [dim]{safe(note)}[/]")
    for reject in rejects[:50]:
        label = "skipped" if reject.skipped else "rejected"
        console.print(f"  row {reject.row}: {label}: {safe(reject.reason)}")
    if len(rejects) > 50:
        console.print(f"  … and {len(rejects) - 50} more (graphsvc job {job.id})")


def _print_file_result(file: FileResult) -> None:
    from graphsvc.imports.batch import Status

    job, label = file.job, safe(file.input.label)
    if file.status == Status.IMPORTED and job is not None:
        console.print(
            f"[green]imported[/] {label}: {safe(job.format)} — {job.rows_read} rows read, {job.rows_imported} imported, "
            f"{job.rows_rejected} rejected, {job.rows_skipped} skipped (job {job.id})", highlight=False, soft_wrap=True,
        )
    elif file.status == Status.ALREADY_IMPORTED and job is not None:
        console.print(f"[yellow]already imported[/] {label}: {safe(job.format)}, nothing changed (job {job.id})", highlight=False, soft_wrap=True)
    else:
        resume = f" (job {job.id}; importing it again resumes)" if job is not None else ""
        console.print(f"[bold red]failed[/] {label}: ({safe(file.error_code)}) {safe(file.error)}{resume}", highlight=False, soft_wrap=True)
    for note in file.notes:
        console.print(f"  [dim]{safe(note)}[/]", highlight=False, soft_wrap=True)
    if file.event is not None:
        facts = safe(", ".join(x for x in (file.event.name, file.event.date, file.event.kind) if x))
        console.print(f"  [dim]event from the manifest, row {file.event.row}: {facts}[/]", highlight=False, soft_wrap=True)
    if file.rejects and job is not None and file.status == Status.IMPORTED:
        console.print(f"  [dim]rows rejected or skipped: {len(file.rejects)} (graphsvc job {job.id} lists them)[/]", highlight=False, soft_wrap=True)


def _print_batch(result: BatchResult, as_json: bool) -> None:
    summary = result.summary()
    if as_json:
        _print_json({
            "files": [
                {
                    "path": f.input.label, "status": f.status.upper(),
                    "job": _job_dict(f.job) if f.job is not None else None,
                    "rejects": [_reject_dict(r) for r in f.rejects],
                    "error": {"code": f.error_code, "message": f.error} if f.failed else None,
                    "event": f.event.as_dict() if f.event is not None else None,
                    "notes": f.notes,
                }
                for f in result.files
            ],
            "unusedEvents": [row.as_dict() for row in result.unused_events],
            "summary": summary,
        })
        return
    for row in result.unused_events:
        console.print(f"[yellow]unused[/] events manifest row {row.row}: {safe(repr(row.file))} is none of these files", highlight=False, soft_wrap=True)
    console.print(
        f"[bold]{summary['files']} files[/]: {summary['imported']} imported, {summary['alreadyImported']} already imported, "
        f"{summary['failed']} failed — {summary['rowsRead']} rows read, {summary['rowsImported']} imported, "
        f"{summary['rowsRejected']} rejected, {summary['rowsSkipped']} skipped", highlight=False, soft_wrap=True,
    )


def _reject_dict(reject: Any) -> dict[str, Any]:
    return {"row": reject.row, "reason": reject.reason, "skipped": reject.skipped}


def _job_dict(job: ImportJob) -> dict[str, Any]:
    return {
        "id": job.id, "fileName": job.file_name, "format": job.format, "status": job.status.name,
        "rowsRead": job.rows_read, "rowsImported": job.rows_imported, "rowsRejected": job.rows_rejected,
        "rowsSkipped": job.rows_skipped, "error": job.error or None, "notes": job.notes,
    }


@app.command()
def jobs(as_json: bool = typer.Option(False, "--json")) -> None:
    """List import jobs."""
    with _store_session() as service:
        listed = service.store.list_jobs(service.workspace().id)
    if as_json:
        _print_json([_job_dict(j) for j in listed])
        return
    for job in listed:
        console.print(f"{job.id}  {job_summary(job)}")


@app.command()
def job(
    job_id: str = typer.Argument(..., help="A job id, or `undo` followed by a job id."),
    undo_id: Optional[str] = typer.Argument(None, metavar="[JOB_ID]", help="With `undo`: the job to undo."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """One import job with its first 50 rejected or skipped rows and how many there are (--json: every one).

    `graphsvc job undo JOB_ID` removes what that import added: its evidence, its sightings, the
    people no other import mentions, the merges they caused. Undoing twice changes nothing."""
    if job_id == "undo" or undo_id is not None:
        if job_id != "undo" or undo_id is None:
            console.print("usage: graphsvc job undo JOB_ID")
            raise typer.Exit(2)
        with _session() as service:
            result = service.undo_import(service.workspace().id, undo_id)
        if as_json:
            _print_json(_undo_dict(result))
        elif result.already_undone:
            console.print(f"{safe(undo_id)} was undone already: nothing changed.")
        else:
            console.print(
                f"Undone {safe(undo_id)}: {result.evidence_removed} evidence, {result.sightings_removed} people sighted, "
                f"{result.people_removed} people removed, {result.merges_undone} merges undone, {result.events_removed} events removed.",
                highlight=False,
            )
        return
    with _store_session() as service:
        found = service.job(service.workspace().id, job_id)
        rejects = service.store.rejects(found.id, limit=None if as_json else JOB_REJECTS_SHOWN)  # a page, read in the store
    if as_json:
        _print_json({"job": _job_dict(found), "rejects": [_reject_dict(r) for r in rejects]})
        return
    console.print(job_summary(found))
    for reject in rejects:
        console.print(f"  row {reject.row}: {'skipped' if reject.skipped else 'rejected'}: {safe(reject.reason)}")
    total = found.rows_rejected + found.rows_skipped
    if total > len(rejects):
        console.print(f"  … {total} rows rejected or skipped in all; --json lists every one", highlight=False)


def _undo_dict(result: Any) -> dict[str, Any]:
    return {
        "id": result.job_id, "evidenceRemoved": result.evidence_removed, "sightingsRemoved": result.sightings_removed,
        "peopleRemoved": result.people_removed, "mergesUndone": result.merges_undone, "eventsRemoved": result.events_removed,
        "alreadyUndone": result.already_undone,
    }


def _event_dict(event: Any, size: int | None = None, sources: list[str] | None = None) -> dict[str, Any]:
    found = {"id": event.id, "name": event.name, "startsAt": event.starts_at.isoformat() if event.starts_at else None, "kind": event.kind,
             "source": event.source_format}
    if size is not None:
        found["attendeeCount"] = size
    if sources is not None:
        found["files"] = sources
    return found


@app.command()
def events(as_json: bool = typer.Option(False, "--json")) -> None:
    """Every event: id, name, date, kind, size (distinct attendees) and source (importer, files)."""
    with _session() as service:
        listed = service.list_events(service.workspace().id)
    if as_json:
        _print_json([_event_dict(e, size, files) for e, size, files in listed])
        return
    if not listed:
        console.print("No events.")
    for event, size, files in listed:
        date = event.starts_at.date().isoformat() if event.starts_at else "undated"
        console.print(
            f"{event.id}  {safe(event.name)}  {date}  {safe(event.kind) or '-'}  {size} attendees  "
            f"{safe(event.source_format)}: {safe(', '.join(files)) or '-'}",
            highlight=False,
        )


event_app = typer.Typer(help="Correct an event: rename, re-date or re-kind it, or merge it with its duplicate.", no_args_is_help=True)
app.add_typer(event_app, name="event")


@event_app.command("edit")
def event_edit(
    event_id: str = typer.Argument(..., help="The event's id (graphsvc events)."),
    name: Optional[str] = typer.Option(None, "--name", help="Its new name."),
    date: Optional[str] = typer.Option(None, "--date", help="Its new date, YYYY-MM-DD (\"\" clears it)."),
    kind: Optional[str] = typer.Option(None, "--kind", help="Its new kind, one of import's --event-kind kinds (workshop, conference, meetup, ...); \"\" clears it."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Rename, re-date or re-kind an event; attendances dated by the event move with it."""
    if name is None and date is None and kind is None:
        console.print("Nothing to change: give --name, --date or --kind.")
        raise typer.Exit(2)
    with _session() as service:
        event = service.edit_event(service.workspace().id, event_id, name=name, date=date, kind=kind)
    if as_json:
        _print_json(_event_dict(event))
        return
    date_text = event.starts_at.date().isoformat() if event.starts_at else "undated"
    console.print(f"{event.id}  {safe(event.name)}  {date_text}  {safe(event.kind) or '-'}", highlight=False)


@event_app.command("merge")
def event_merge(
    keep: str = typer.Argument(..., help="The event that stays (its id)."),
    other: str = typer.Argument(..., help="Its duplicate: its attendances join KEEP and it is gone."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Merge an event into its duplicate: one event, each attendee once; re-importing either list finds it."""
    with _session() as service:
        event = service.merge_events(service.workspace().id, keep, other)
    if as_json:
        _print_json(_event_dict(event))
        return
    console.print(f"Merged {safe(other)} into {event.id} ({safe(event.name)}).", highlight=False)


#: Rejected rows ``graphsvc job`` prints (it says how many there are in all).
JOB_REJECTS_SHOWN = 50


@app.command()
def people(
    search: Optional[str] = typer.Argument(None, help="Part of a name, email, organization or URL; nicknames count (Jon finds Jonathan)."),
    first: int = typer.Option(50, help="How many (at most 100)."),
    after: Optional[str] = typer.Option(None, "--after", metavar="CURSOR", help="Start after this cursor (the last page's `next:` line)."),
    all_: bool = typer.Option(False, "--all", help="Every matching person, page after page."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """List people, by name; page on with --after CURSOR, or --all."""
    from rich.table import Table

    from graphsvc.session import MAX_PAGE

    with _store_session() as service:
        ws = service.workspace().id
        if after is not None and not service.store.get_people(ws, [after]):
            _fail_usage(f"--after {after!r} is not a cursor of this list (use the `next:` value a page printed)")
        page = service.people(ws, search, MAX_PAGE if all_ else first, after)
        found, total, has_next = list(page.people), page.total, page.has_next
        while all_ and has_next and found:
            page = service.people(ws, search, MAX_PAGE, found[-1].id)
            found += page.people
            has_next = page.has_next
    cursor = found[-1].id if found and has_next else None
    if as_json:
        from graphsvc.intros import person_dict

        _print_json({"totalCount": total, "people": [person_dict(p) for p in found], "hasNextPage": has_next, "endCursor": cursor})
        return
    table = Table("id", "name", "organization", "title", "member")
    for p in found:
        table.add_row(safe(p.id), safe(p.display_name), safe(p.organization), safe(p.title), "yes" if p.is_member else "")
    console.print(table)
    console.print(f"{len(found)} of {total}", highlight=False)
    if cursor:
        console.print(f"next: graphsvc people{' ' + safe(repr(search)) if search else ''} --after {safe(cursor)}   (or --all)", highlight=False)


def _fail_usage(message: str) -> None:
    errors.print(f"[bold red]error[/]: {safe(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


@app.command()
def person(
    ref: str = typer.Argument(..., help="Person id, email, LinkedIn URL or name."),
    ties: int = typer.Option(10, "--ties", help="How many of their strongest ties to show."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Evaluate ties at this ISO date/time."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """One person: every name and email their records hold, where they come from, their strongest ties and their events."""
    from graphsvc.profile import person_profile

    with _session() as service:
        profile = person_profile(service, service.workspace().id, ref, ties=ties, as_of=_parse_as_of(as_of))
    if as_json:
        _print_json(profile.to_dict())
        return
    p = profile.person
    head = safe(p.display_name) + (f" — {safe(p.title)}" if p.title else "") + (f", {safe(p.organization)}" if p.organization else "")
    console.print(f"[bold]{head}[/]  {safe(p.id)}" + ("  [green]member[/]" if p.is_member else ""), highlight=False, soft_wrap=True)
    if len(profile.names) > 1:
        console.print(f"  names: {safe(', '.join(profile.names))}", highlight=False, soft_wrap=True)
    if profile.emails:
        console.print(f"  emails: {safe(', '.join(profile.emails))}", highlight=False, soft_wrap=True)
    for url in profile.linkedin_urls:
        console.print(f"  linkedin: {safe(url)}", highlight=False, soft_wrap=True)
    if profile.tags:
        console.print(f"  tags: {safe(', '.join(profile.tags))}", highlight=False, soft_wrap=True)
    if len(profile.records) > 1:
        console.print(f"  records: {len(profile.records)} merged ({safe(', '.join(r.id for r in profile.records))})", highlight=False, soft_wrap=True)
    console.print("\n[bold]Sources[/]")
    for source in profile.sources:
        rows = source["rows"]
        where = "their own export" if rows == [0] else f"row {rows[0]}" if len(rows) == 1 else f"rows {', '.join(map(str, rows[:5]))}{' …' if len(rows) > 5 else ''}"
        console.print(f"  {safe(source['file'])} ({safe(source['format'])}, {where}), job {safe(source['jobId'])}", highlight=False, soft_wrap=True)
    if not profile.sources:
        console.print("  no import mentions them (recorded by hand)")
    console.print(f"\n[bold]Strongest ties[/] ({len(profile.ties)} of {profile.tie_count}, as of {profile.as_of.date().isoformat()})")
    for tie in profile.ties:
        other = tie.person
        at = f" ({safe(other.organization)})" if other.organization else ""
        console.print(f"  {tie.strength:.3f} {tie.level:<8} {safe(other.display_name)}{at}  {safe(other.id)}", highlight=False, soft_wrap=True)
        for reason in tie.because:
            console.print(f"        · {safe(reason)}", highlight=False, soft_wrap=True)
    if not profile.ties:
        console.print("  none")
    console.print(f"\n[bold]Events[/] ({len(profile.events)})")
    for event, size in profile.events:
        when = event.starts_at.date().isoformat() if event.starts_at else "undated"
        console.print(f"  {when}  {safe(event.name)} ({safe(event.kind or 'event')}, {size} people)  {safe(event.id)}", highlight=False, soft_wrap=True)


def print_intro_paths(result: IntroPaths) -> None:
    from graphsvc.intros import IntroStatus

    if result.status is IntroStatus.NOT_FOUND:
        errors.print("error: nobody in your network matches that (try `graphsvc people SEARCH`).", highlight=False)
        return
    if result.status is IntroStatus.AMBIGUOUS:
        console.print("Several people match; ask again with an id, email or LinkedIn URL:")
        for c in result.candidates:
            console.print(f"  {safe(c.id)}  {safe(c.display_name)}  {safe(c.organization)}  {safe(c.title)}")
        return
    if result.target is not None:
        target = safe(result.target.display_name) + (f" ({safe(result.target.organization)})" if result.target.organization else "")
    else:
        target = f"{result.target_count} matching people"
    if result.status is IntroStatus.NO_PATH:
        console.print(f"No path to {target} within the hop limit.")
        return
    console.print(f"[bold]Ways to reach {target}[/] (as of {result.as_of.date().isoformat()})")
    if result.direct_tie is not None:
        direct = result.direct_tie
        console.print(f"\n• {safe(direct.advice)}")
        console.print(f"   {safe(direct.hop.source.display_name)} – {safe(direct.hop.target.display_name)}: {direct.hop.strength:.3f} ({direct.hop.level.value})")
        for ev in direct.hop.evidence[:3]:
            console.print(f"      · {safe(ev.description)}")
        if not result.paths:
            console.print("\nNo introduction route within the hop limit.")
    if result.single_point_of_failure is not None:
        console.print(f"[yellow]Every path passes through {safe(result.single_point_of_failure.display_name)}[/]: a single point of failure")
    for number, path in enumerate(result.paths, 1):
        chain = " → ".join(safe(name) for name in [path.hops[0].source.display_name, *(h.target.display_name for h in path.hops)])
        console.print(f"\n{number}. {safe(path.advice)}")
        console.print(f"   {chain}   strength {path.strength:.3f}")
        for hop in path.hops:
            flag = "  [red]weakest link[/]" if hop.is_weakest and len(path.hops) > 1 else ""
            console.print(f"   {safe(hop.source.display_name)} – {safe(hop.target.display_name)}: {hop.strength:.3f} ({hop.level.value}){flag}")
            for ev in hop.evidence[:3]:
                console.print(f"      · {safe(ev.description)}")


@app.command()
def intro(
    target: Optional[str] = typer.Argument(None, help="Person id, email, LinkedIn URL or name."),
    from_: Optional[str] = typer.Option(None, "--from", help="Start from this person instead of the workspace's members."),
    to_organization: Optional[str] = typer.Option(None, help="Reach anyone at this organization."),
    to_title: Optional[str] = typer.Option(None, help="Reach anyone whose title has these words."),
    to_event: Optional[str] = typer.Option(None, help="Reach anyone who attended this event (id or name)."),
    to_tag: Optional[str] = typer.Option(None, help="Reach anyone with this tag."),
    avoid: list[str] = typer.Option([], help="Someone not to ask (repeatable)."),
    diverse: bool = typer.Option(False, help="No two paths share an intermediary."),
    k: int = typer.Option(3, "-k", help="How many paths."),
    max_hops: int = typer.Option(3, "--max-hops", help="Longest chain considered."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Evaluate ties at this ISO date/time."),
    as_json: bool = typer.Option(False, "--json", help="Print the GraphQL introPaths shape."),
) -> None:
    """Who can introduce you (or your team) to TARGET (or anyone matching --to-*), and through whom."""
    with _session() as service:
        result = service.intro_paths(
            service.workspace().id, target, from_=from_, to_organization=to_organization, to_title=to_title, to_event=to_event, to_tag=to_tag,
            k=k, max_hops=max_hops, as_of=_parse_as_of(as_of), avoid=avoid, diverse=diverse,
        )
    if as_json:
        _print_json(result.to_dict())
    else:
        print_intro_paths(result)
    from graphsvc.intros import IntroStatus

    if result.status in (IntroStatus.NOT_FOUND, IntroStatus.AMBIGUOUS):
        raise typer.Exit(2)  # no answer: nobody (or several people) matches, as `explain` exits


def _query(document: str, variables: dict[str, Any]) -> dict[str, Any]:
    from graphsvc.api.local import execute

    with _session() as service:
        return execute(service, document, variables)


def _nodes(connection: dict[str, Any]) -> list[dict[str, Any]]:
    return [edge["node"] for edge in connection["edges"]]


def _query_pages(document: str, variables: dict[str, Any], field: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The first page's data, and every node of the connection ``field``, page by page (``after``), in one session."""
    from graphsvc.api.local import execute

    with _session() as service:
        head = data = execute(service, document, {**variables, "after": None})
        nodes = _nodes(data[field])
        while data[field]["pageInfo"]["hasNextPage"]:
            data = execute(service, document, {**variables, "after": data[field]["pageInfo"]["endCursor"]})
            nodes += _nodes(data[field])
    return head, nodes


def _as_of_iso(value: Optional[str]) -> Optional[str]:
    parsed = _parse_as_of(value)
    return parsed.isoformat() if parsed else None


@app.command()
def neglected(
    kind: Optional[str] = typer.Option(None, help="MISSED_FOLLOW_UP, KEEP_IN_TOUCH_OVERDUE or DORMANT."),
    member: Optional[str] = typer.Option(None, help="Only this team member's ties."),
    first: int = typer.Option(20, help="How many (at most 100)."),
    as_of: Optional[str] = typer.Option(None, "--as-of"),
    as_json: bool = typer.Option(False, "--json", help="Print the GraphQL neglectedTies shape (a connection: totalCount, pageInfo, edges)."),
) -> None:
    """Whom to reconnect with: dormant strong ties, missed follow-ups, overdue keep-in-touch."""
    from graphsvc.api.local import NEGLECTED

    variables = {"kind": kind.upper() if kind else None, "member": member, "first": first, "after": None, "asOf": _as_of_iso(as_of)}
    data = _query(NEGLECTED, variables)
    if as_json:
        _print_json(data)
        return
    items = _nodes(data["neglectedTies"])
    if not items:
        what = {"DORMANT": "dormant ties", "MISSED_FOLLOW_UP": "missed follow-ups", "KEEP_IN_TOUCH_OVERDUE": "overdue check-ins"}
        console.print(f"No {what.get(variables['kind'] or '', 'neglected ties')} right now: nothing to follow up.")
        return
    words = {"DORMANT": "dormant", "MISSED_FOLLOW_UP": "missed follow-up", "KEEP_IN_TOUCH_OVERDUE": "overdue check-in"}
    for item in items:
        at = f" ({safe(item['person']['organization'])})" if item["person"]["organization"] else ""
        console.print(f"[bold]{safe(item['person']['name'])}[/]{at} — {words.get(item['kind'], item['kind'])}, via {safe(item['member']['name'])}")
        console.print(f"   {safe(item['reason'])}\n   → {safe(item['nextStep'])}")
        for fact in item.get("also") or []:
            console.print(f"   [dim]also: {safe(fact)}[/]")


@app.command()
def explain(
    a: str = typer.Argument(..., help="A person id, email, LinkedIn URL or name."),
    b: str = typer.Argument(..., help="Another person."),
    as_of: Optional[str] = typer.Option(None, "--as-of"),
    as_json: bool = typer.Option(False, "--json", help="Print the GraphQL tie shape."),
) -> None:
    """How strong the tie between A and B is, component by component."""
    from graphsvc.api.local import TIE

    data = _query(TIE, {"a": a, "b": b, "asOf": _as_of_iso(as_of)})
    if as_json:
        _print_json(data)
        return
    tie = data["tie"]
    console.print(f"[bold]{safe(tie['a']['name'])} – {safe(tie['b']['name'])}[/]: strength {tie['strength']:.3f} ({tie['level']}), channels {', '.join(tie['channels']) or 'none'}")
    for part in tie["components"]:
        console.print(f"   {part['contribution']:.3f}  {safe(part['description'])}")
    if tie["howCombined"]:
        console.print(f"   = {safe(tie['howCombined'])}")


@app.command()
def brokers(
    first: int = typer.Option(20, help="How many (at most 100)."),
    seed: int = typer.Option(0, help="Seed for sampling on large graphs and for communities."),
    as_of: Optional[str] = typer.Option(None, "--as-of"),
    as_json: bool = typer.Option(False, "--json", help="Print the GraphQL brokers shape (a connection: totalCount, pageInfo, edges)."),
) -> None:
    """People who bridge otherwise separate circles."""
    from rich.table import Table

    from graphsvc.api.local import BROKERS

    data = _query(BROKERS, {"first": first, "after": None, "seed": seed, "asOf": _as_of_iso(as_of)})
    if as_json:
        _print_json(data)
        return
    table = Table("person", "organization", "betweenness", "constraint", "effective size", "communities")
    for row in _nodes(data["brokers"]):
        table.add_row(safe(row["person"]["name"]), safe(row["person"]["organization"]), f"{row['betweenness']:.3f}", f"{row['constraint']:.3f}",
                      f"{row['effectiveSize']:.1f}", str(row["communitiesBridged"]))
    console.print(table)


@app.command()
def communities(
    seed: int = typer.Option(0),
    first: int = typer.Option(20, help="How many (at most 100)."),
    as_of: Optional[str] = typer.Option(None, "--as-of"),
    as_json: bool = typer.Option(
        False, "--json", help="Print the GraphQL communities shape (connections: totalCount, pageInfo, edges; the first 100 members of each)."
    ),
) -> None:
    """Communities in your network (Louvain), labelled by organizations and events."""
    from graphsvc.api.local import COMMUNITIES

    data = _query(COMMUNITIES, {"seed": seed, "first": first, "after": None, "asOf": _as_of_iso(as_of)})
    if as_json:
        _print_json(data)
        return
    for c in _nodes(data["communities"]):
        orgs = ", ".join(f"{safe(o['label'])} ({o['count']})" for o in c["organizations"]) or "—"
        events = ", ".join(f"{safe(e['name'])} ({e['count']})" for e in c["events"]) or "—"
        console.print(f"[bold]#{c['index']}[/] {c['size']} people — organizations: {orgs}; events: {events}")


@app.command()
def roi(
    strong: float = typer.Option(0.3, help="Strength from which a tie counts as strong."),
    as_of: Optional[str] = typer.Option(None, "--as-of"),
    as_json: bool = typer.Option(
        False, "--json", help="Print the GraphQL eventRoi (a connection: totalCount, pageInfo, its first 100 edges) and channelRoi shapes."
    ),
) -> None:
    """What each event and each channel produced: people met, follow-ups, strong ties, introductions that happened."""
    from rich.table import Table

    from graphsvc.api.local import ROI
    from graphsvc.service import MAX_PAGE

    variables = {"first": MAX_PAGE, "asOf": _as_of_iso(as_of), "strong": strong}
    if as_json:
        _print_json(_query(ROI, {**variables, "after": None}))
        return
    data, events = _query_pages(ROI, variables, "eventRoi")  # every event, as before eventRoi paged
    table = Table("event", "date", "size", "met", "followed up", "strong ties", "mean strength", "intros")
    for row in events:
        table.add_row(safe(row["name"]), (row["startsAt"] or "")[:10], str(row["size"]), str(row["peopleMet"]), str(row["followedUp"]),
                      str(row["strongTies"]), f"{row['meanStrength']:.2f}", str(row["introductions"]))
    console.print(table)
    table = Table("channel", "strong ties", "started here", "intros")
    for row in data["channelRoi"]:
        table.add_row(row["channel"], str(row["strongTies"]), str(row["startedHere"]), str(row["introductions"]))
    console.print(table)


from graphsvc.cli_neo4j import neo4j_app  # noqa: E402  (the sub-app registers after the shared helpers above)

app.add_typer(neo4j_app, name="neo4j")

token_app = typer.Typer(help="API tokens of workspace members (stored hashed; the secret is shown once).", no_args_is_help=True)
app.add_typer(token_app, name="token")


@token_app.command("create")
def token_create(
    name: str = typer.Argument(..., help="Whose token this is."),
    role: str = typer.Option("member", help="admin, member or read_only."),
    workspace: Optional[str] = typer.Option(None, help="Workspace name (default: GRAPHSVC_DEFAULT_WORKSPACE)."),
    expires_in_days: Optional[float] = typer.Option(None, "--expires-in-days", help="The token stops working this many days from now (default: when revoked)."),
) -> None:
    """Create a token and print its secret (once)."""
    from graphsvc import auth

    with _store_session() as service:
        token, secret = auth.create_token(service.store, service.workspace(workspace).id, name, role, expires_in_days=expires_in_days)
    console.print(f"{token.id}  {safe(token.name)}  {token.role.value}")
    sys.stdout.write(secret + "\n")


@token_app.command("list")
def token_list(workspace: Optional[str] = typer.Option(None), as_json: bool = typer.Option(False, "--json")) -> None:
    """List a workspace's tokens (never their secrets)."""
    with _store_session() as service:
        tokens = service.store.list_tokens(service.workspace(workspace).id)
    now = datetime.now(timezone.utc)
    rows = [{"id": t.id, "name": t.name, "role": t.role.name, "createdAt": t.created_at.isoformat(),
             "revokedAt": t.revoked_at.isoformat() if t.revoked_at else None,
             "expiresAt": t.expires_at.isoformat() if t.expires_at else None} for t in tokens]
    if as_json:
        _print_json(rows)
        return
    for token, row in zip(tokens, rows):
        if token.revoked_at:
            state = f"revoked {row['revokedAt']}"
        elif token.expires_at and token.expires_at <= now:
            state = f"expired {row['expiresAt']}"
        else:
            state = f"live until {row['expiresAt']}" if token.expires_at else "live"
        console.print(f"{row['id']}  {safe(row['name'])}  {row['role']}  {state}")


@token_app.command("revoke")
def token_revoke(token_id: str, workspace: Optional[str] = typer.Option(None)) -> None:
    """Revoke a token."""
    from graphsvc import auth

    with _store_session() as service:
        auth.revoke_token(service.store, service.workspace(workspace).id, token_id)
    console.print(f"revoked {safe(token_id)}")


@app.command()
def record(
    person: str = typer.Argument(..., help="Whom you were in touch with: id, email, LinkedIn URL or name."),
    kind: str = typer.Option("met", help="met, call, message or introduction."),
    at: Optional[str] = typer.Option(None, help="When (ISO date or date-time); default now."),
    member: Optional[str] = typer.Option(None, help="Which member (default: the workspace's only member)."),
) -> None:
    """Record an interaction: it strengthens the tie and resets neglected-tie clocks."""
    with _session() as service:
        ws = service.workspace().id
        member_id, person_id = service.record_interaction(ws, person, kind, at=_parse_as_of(at), member=member)
        _, _, tie, _ = service.explain(ws, member_id, person_id)
    console.print(f"recorded; tie strength now {tie.strength:.3f} ({tie.level.value})" if tie else "recorded")


@app.command()
def duplicates(
    first: int = typer.Option(20, help="How many pairs (at most 100)."),
    as_json: bool = typer.Option(False, "--json", help="Print the GraphQL duplicateCandidates shape."),
) -> None:
    """People who may be one person, most likely first, with the reasons (then: graphsvc merge A B)."""
    from graphsvc.api.local import DUPLICATES

    data = _query(DUPLICATES, {"first": first, "after": None})
    if as_json:
        _print_json(data)
        return
    found = data["duplicateCandidates"]
    if not found["edges"]:
        console.print("No possible duplicates.")
        return
    for edge in found["edges"]:
        c = edge["node"]
        label = " [bold](would merge automatically)[/]" if c["auto"] else ""
        console.print(f"{c['points']:.1f}  {_who(c['a'])}  ~  {_who(c['b'])}{label}")
        console.print(f"     {safe('; '.join(c['reasons']))}")
        a, b = safe(c["a"]["id"]), safe(c["b"]["id"])
        console.print(f"     graphsvc merge {a} {b}   |   graphsvc not-duplicate {a} {b}")
    console.print(f"{len(found['edges'])} of {found['totalCount']} pairs shown.")


def _who(person: dict[str, Any]) -> str:
    """A person's name and details, escaped for rich."""
    details = ", ".join(x for x in (person.get("organization") or "", *(person.get("emails") or [])[:1]) if x)
    return safe(f"{person['name']} ({details})" if details else person["name"])


@app.command()
def merge(
    a: str = typer.Argument(..., help="The person that stays: id, email, LinkedIn URL or name."),
    b: str = typer.Argument(..., help="The person merged into A."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the result; change nothing."),
    as_json: bool = typer.Option(False, "--json", help="Print the GraphQL mergePeople shape."),
) -> None:
    """Merge person B into person A (undo with graphsvc split A)."""
    from graphsvc.api.local import MERGE

    data = _query(MERGE, {"a": a, "b": b, "dryRun": dry_run})
    if as_json:
        _print_json(data)
        return
    result = data["mergePeople"]
    verb = "Merged" if result["applied"] else "Would merge"
    console.print(f"{verb} {len(result['absorbedRecords'])} record(s) into {_who(result['person'])} ({safe(result['person']['id'])}).")
    if result["reasons"]:
        console.print(f"  evidence: {safe('; '.join(result['reasons']))} ({result['points']:.1f} points)")


@app.command()
def split(
    person: str = typer.Argument(..., help="A merged person: id, email, LinkedIn URL or name."),
    record: Optional[str] = typer.Option(None, "--record", help="Split off only this record (default: every merged record)."),
    as_json: bool = typer.Option(False, "--json", help="Print the GraphQL splitPerson shape."),
) -> None:
    """Undo the merges that made a person: each merged record becomes a person again."""
    from graphsvc.api.local import SPLIT

    data = _query(SPLIT, {"person": person, "record": record})
    if as_json:
        _print_json(data)
        return
    people = data["splitPerson"]["people"]
    console.print(f"Split into {len(people)} people:")
    for p in people:
        console.print(f"  {safe(p['id'])}  {_who(p)}")


@app.command("not-duplicate")
def not_duplicate(
    a: str = typer.Argument(..., help="A person: id, email, LinkedIn URL or name."),
    b: str = typer.Argument(..., help="Another person A is not."),
) -> None:
    """Say that two people are different: they stop being listed and never merge automatically."""
    from graphsvc.api.local import DISMISS

    _query(DISMISS, {"a": a, "b": b})
    console.print("Noted: different people.")


@app.command("do-not-ask")
def do_not_ask(
    person: str = typer.Argument(..., help="Person id, email, LinkedIn URL or name."),
    undo: bool = typer.Option(False, "--undo", help="Ask them again."),
) -> None:
    """Never ask this person for an introduction: intro paths go around them."""
    with _session() as service:
        found = service.set_do_not_ask(service.workspace().id, person, not undo)
    console.print(f"{safe(found.display_name)}: {'may be asked again' if undo else 'never asked for introductions'}")


@app.command()
def forget(
    person: str = typer.Argument(..., help="Person id, email, LinkedIn URL or name."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
) -> None:
    """Erase everything known about a person (a privacy request); later imports leave them out."""
    with _session() as service:
        ws = service.workspace().id
        match = service.find_person(ws, person)
        if match.person is None:
            service.resolve_people(ws, [person], "person")  # raises with the candidates
            return
        if not yes and not typer.confirm(f"Erase everything about {match.person.display_name} ({match.person.id})?"):
            raise typer.Exit(1)
        person_id, removed = service.forget_person(ws, match.person.id)
    console.print(f"Forgot {safe(person_id)}: {removed} pieces of evidence erased; imports will leave them out.")


@app.command()
def tag(
    person: str = typer.Argument(..., help="Person id, email, LinkedIn URL or name."),
    tags: list[str] = typer.Argument(..., help="One or more tags, e.g. investor climate-founders."),
) -> None:
    """Tag a person (then: graphsvc intro --to-tag TAG)."""
    with _session() as service:
        found, all_tags = service.tag(service.workspace().id, person, tags)
    console.print(f"{safe(found.display_name)}: {safe(', '.join(all_tags))}")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    port: int = typer.Option(8000, help="Port."),
) -> None:
    """Serve GraphQL (with GraphiQL) at http://HOST:PORT/graphql.

    The development profile (requests without a token act as admin) binds to loopback only; another
    --host needs GRAPHSVC_PROFILE=production, except inside a container, where the published port
    decides who reaches it (docker-compose.yml publishes 127.0.0.1:8000)."""
    import uvicorn

    from graphsvc.api.app import create_app
    from graphsvc.errors import ConfigurationError
    from graphsvc.logs import configure_logging
    from graphsvc.settings import Settings

    try:
        settings = Settings()
    except ConfigurationError as exc:
        _fail(exc)
    if settings.profile == "development" and not _loopback(host) and not _in_container():
        errors.print(
            f"[bold red]error[/]: the development profile serves this machine only (--host 127.0.0.1, localhost or ::1), "
            f"not {safe(host)}: without a token every request is the admin. Set GRAPHSVC_PROFILE=production and use tokens.",
            highlight=False, soft_wrap=True,
        )
        raise typer.Exit(2)
    configure_logging()
    console.print(f"GraphQL at http://{safe(host)}:{port}/graphql")
    uvicorn.run(create_app(settings=settings, bind_host=host), host=host, port=port, log_level="warning", access_log=False)


def _loopback(host: str) -> bool:
    import ipaddress

    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _in_container() -> bool:
    """Docker and Podman leave these marks; there the port mapping, not the bind address, exposes the server."""
    from pathlib import Path

    return Path("/.dockerenv").exists() or Path("/run/.containerenv").exists()


@app.command()
def demo(
    seed: int = typer.Option(7, help="Seed for the generated community."),
    serve_api: bool = typer.Option(True, "--serve/--no-serve", help="Serve GraphQL after importing."),
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(8000),
) -> None:
    """Generate a realistic small community as real export files, import it, show an intro path, serve GraphQL."""
    from graphsvc.demo import run_demo

    try:
        run_demo(seed=seed, console=console)
    except GraphsvcError as exc:
        _fail(exc)
    if serve_api:
        serve(host=host, port=port)


@app.command()
def schema() -> None:
    """Print the GraphQL schema (SDL)."""
    from graphsvc.api.schema import sdl

    sys.stdout.write(sdl())


from graphsvc.cli_asks import register as _register_asks  # noqa: E402  (ask, asks, follow-ups: intro requests)

_register_asks(app)

for _typer in (app, token_app, neo4j_app):
    _typer.rich_markup_mode = None
    _typer.info.cls = _Group
    for _info in _typer.registered_commands:
        if _info.cls in (None, TyperCommand):
            _info.cls = _Command


def main() -> None:
    import os

    os.umask(0o077)  # every file graphsvc writes (store, uploads, evidence files, exports) is its owner's only
    app()


if __name__ == "__main__":
    main()
