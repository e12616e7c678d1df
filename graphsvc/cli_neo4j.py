"""``graphsvc neo4j ...``: explore the graph in Neo4j Browser.

* ``sync`` copies the embedded SQLite workspace into a Neo4j server (``graphsvc.store.sync``),
  rebuilds the derived ``KNOWS`` ties there and writes the Browser view (community labels,
  strength bands);
* ``view`` rewrites that Browser view on a Neo4j store that graphsvc imports into directly
  (``GRAPHSVC_STORE=neo4j://...``, as in docker-compose.yml);
* ``browse`` prints the Neo4j Browser URL with the connection preselected and how to load the
  style sheet (schema/neo4j/style.grass) and the guide (schema/neo4j/guide.html); with
  ``--serve`` it serves those two files itself.

Registered in ``graphsvc.cli`` as ``app.add_typer(neo4j_app, name="neo4j")``.
``browser_asset`` is what an HTTP route serving the style and guide calls (docs/neo4j-browser.md).
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import threading
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional
from urllib.parse import urlsplit

import typer
from rich.console import Console

from graphsvc.cli_text import safe
from graphsvc.errors import ConfigurationError, GraphsvcError
from graphsvc.settings import NEO4J_SCHEMES, Neo4jTarget, Settings

if TYPE_CHECKING:
    from http.server import BaseHTTPRequestHandler
    from rich.progress import Progress

neo4j_app = typer.Typer(
    help="Explore the graph in Neo4j Browser: copy the embedded store into Neo4j, print the Browser URL.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,  # plain help: the options' help holds brackets ("neo4j://[user:password@]host") that rich would read as markup
)
console = Console(soft_wrap=True)
errors = Console(stderr=True)

#: Where the Browser style sheet and guide live (the repository's schema/neo4j).
ASSETS_DIR = Path(__file__).resolve().parents[1] / "schema" / "neo4j"
#: The files ``browser_asset`` serves, with their content types.
ASSETS: dict[str, str] = {
    "guide.html": "text/html; charset=utf-8",
    "style.grass": "text/plain; charset=utf-8",
}
#: Where guide.html says the style sheet is: ``graphsvc serve`` on its default port.
DEFAULT_ASSETS_URL = "http://localhost:8000/neo4j"
#: CORS headers Neo4j Browser needs to fetch a guide or style sheet from another origin.
CORS_HEADERS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET, OPTIONS", "Access-Control-Allow-Headers": "*"}

URI_HELP = (
    "The Neo4j server: neo4j://[user:password@]host:7687[/database] (also bolt://, neo4j+s://, ...). "
    "Default: $GRAPHSVC_NEO4J_URI, else $GRAPHSVC_STORE when it names Neo4j."
)

_STAGES = {
    "jobs": "import jobs",
    "people": "people, keys, sightings",
    "members": "members",
    "evidence": "evidence and events",
    "knows": "projecting KNOWS",
    "view": "Browser view",
}


# --------------------------------------------------------------------------------------------
# the style sheet and the guide


def browser_asset(name: str, assets_url: str = DEFAULT_ASSETS_URL) -> tuple[bytes, str]:
    """The body and content type of ``guide.html`` or ``style.grass``.

    ``assets_url`` is where they are served from (no trailing slash); the guide's
    ``:style`` command is rewritten to point there. Raises ``KeyError`` for any other name.
    """
    media_type = ASSETS[name]
    text = (ASSETS_DIR / name).read_text(encoding="utf-8")
    if name == "guide.html" and assets_url.rstrip("/") != DEFAULT_ASSETS_URL:
        text = text.replace(DEFAULT_ASSETS_URL + "/", assets_url.rstrip("/") + "/")
    return text.encode("utf-8"), media_type


def _asset_handler() -> "type[BaseHTTPRequestHandler]":
    """The request handler of ``AssetServer`` (http.server is imported only when one is started)."""
    from http.server import BaseHTTPRequestHandler

    class _AssetHandler(BaseHTTPRequestHandler):
        assets_url = DEFAULT_ASSETS_URL

        def _send(self, status: int, body: bytes = b"", media_type: str = "text/plain; charset=utf-8") -> None:
            self.send_response(status)
            for key, value in CORS_HEADERS.items():
                self.send_header(key, value)
            self.send_header("Content-Type", media_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_OPTIONS(self) -> None:  # noqa: N802 - http.server naming
            self._send(204)

        def do_GET(self) -> None:  # noqa: N802
            name = urlsplit(self.path).path.rsplit("/", 1)[-1]
            if name not in ASSETS:
                self._send(404, b"not found\n")
                return
            body, media_type = browser_asset(name, self.assets_url)
            self._send(200, body, media_type)

        do_HEAD = do_GET

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

    return _AssetHandler


class AssetServer:
    """Serves ``guide.html`` and ``style.grass`` with CORS headers on ``http://localhost:<port>/neo4j/``.

    Neo4j Browser only fetches guides and style sheets from hosts on its allowlist
    (``browser.remote_content_hostname_allowlist``, ``guides.neo4j.com,localhost`` by default), so
    the URLs use the name ``localhost``. ``port=0`` picks a free port.
    """

    def __init__(self, port: int = 0, host: str = "127.0.0.1") -> None:
        from http.server import ThreadingHTTPServer

        handler = type("Handler", (_asset_handler(),), {})
        self._server = ThreadingHTTPServer((host, port), handler)
        self.port = self._server.server_address[1]
        self.url = f"http://localhost:{self.port}/neo4j"
        handler.assets_url = self.url  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    def start(self) -> "AssetServer":
        self._thread = threading.Thread(target=self._server.serve_forever, name="graphsvc-neo4j-assets", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> "AssetServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


# --------------------------------------------------------------------------------------------
# connection settings


def _fail(message: str, code: int = 2) -> None:
    errors.print(f"[bold red]error[/]: {safe(message)}")
    raise typer.Exit(code)


def neo4j_target(
    uri: str | None, user: str | None = None, password: str | None = None, database: str | None = None,
    settings: Settings | None = None,
) -> Neo4jTarget:
    """Where to connect: ``uri`` (``--uri``), else ``$GRAPHSVC_NEO4J_URI``, else ``GRAPHSVC_STORE``
    when it names Neo4j. Credentials and database from the URL, unless given explicitly, else
    ``GRAPHSVC_NEO4J_USER`` / ``GRAPHSVC_NEO4J_PASSWORD`` / ``GRAPHSVC_NEO4J_DATABASE``."""
    settings = settings or Settings()
    url = uri or os.environ.get("GRAPHSVC_NEO4J_URI") or ""
    if not url:
        if settings.store and settings.store_kind() == "neo4j":
            url = settings.store
        else:
            raise ConfigurationError(
                "no Neo4j server named: pass --uri neo4j://user:password@host:7687 "
                "(or set GRAPHSVC_NEO4J_URI, or GRAPHSVC_STORE=neo4j://...)"
            )
    if urlsplit(url).scheme.lower() not in NEO4J_SCHEMES:
        raise ConfigurationError(f"{url.split('@')[-1]!r} is not a Neo4j URL; use neo4j://user:password@host:7687")
    target = settings.model_copy(update={"store": url}).neo4j_target()
    return target._replace(
        user=user or target.user, password=password if password is not None else target.password,
        database=database or target.database,
    )


def _source_path(source: Path | None, settings: Settings) -> Path:
    if source is not None:
        return source
    if settings.store_kind() == "sqlite":
        return settings.sqlite_path()
    return settings.data_dir / "graphsvc.db"


def _open_neo4j(target: Neo4jTarget, settings: Settings) -> Any:
    from graphsvc.store.neo4j import Neo4jStore

    return Neo4jStore(
        target.uri, target.user, target.password, database=target.database,
        connection_timeout=settings.neo4j_connect_timeout, max_retry_time=settings.neo4j_max_retry_seconds,
        project_knows_after_import=False,
    )


def _parse_as_of(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        _fail(f"--as-of {value!r} is not an ISO date or date-time")
        raise  # unreachable


def _progress_bar(quiet: bool) -> Progress:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=errors, transient=True, disable=quiet or not errors.is_terminal,
    )


# --------------------------------------------------------------------------------------------
# commands


@neo4j_app.command()
def sync(
    uri: Optional[str] = typer.Option(None, "--uri", help=URI_HELP),
    user: Optional[str] = typer.Option(None, "--user", help="Neo4j user (default: from the URL, else $GRAPHSVC_NEO4J_USER, else neo4j)."),
    password: Optional[str] = typer.Option(None, "--password", help="Neo4j password (default: from the URL, else $GRAPHSVC_NEO4J_PASSWORD)."),
    database: Optional[str] = typer.Option(None, "--database", help="Neo4j database (default: from the URL, else neo4j)."),
    workspace: Optional[str] = typer.Option(None, "--workspace", "-w", help="Workspace name (default: $GRAPHSVC_DEFAULT_WORKSPACE, 'default')."),
    source: Optional[Path] = typer.Option(None, "--from", help="The SQLite store to copy (default: the embedded store of the data directory)."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Compute KNOWS strengths at this ISO date/time (default: now)."),
    view: bool = typer.Option(True, "--view/--no-view", help="Also write the Browser view (community labels, strength bands)."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Copy the embedded SQLite workspace into Neo4j (idempotent), then rebuild KNOWS there."""
    from graphsvc.identity.clusters import ClusteredStore
    from graphsvc.store.sqlite import SQLiteStore
    from graphsvc.projection.sync import sync_store

    settings = Settings()
    try:
        target_at = neo4j_target(uri, user, password, database, settings)
        path = _source_path(source, settings)
    except GraphsvcError as exc:
        _fail(str(exc))
        return
    if not path.exists():
        _fail(f"no embedded store at {path}: import something first (graphsvc import ...) or pass --from PATH")
    name = workspace or settings.default_workspace
    moment = _parse_as_of(as_of)
    src = SQLiteStore(path)
    try:
        target = _open_neo4j(target_at, settings)
    except GraphsvcError as exc:
        src.close()
        _fail(str(exc))
        return
    try:
        with _progress_bar(as_json) as bar:
            tasks: dict[str, Any] = {}

            def progress(stage: str, done: int, total: int | None) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(_STAGES.get(stage, stage), total=total)
                bar.update(tasks[stage], completed=done, total=total)

            # merged records travel as the one person they are (graphsvc.identity.clusters)
            report = sync_store(ClusteredStore(src), target, name, progress, as_of=moment, browser_view=view)  # type: ignore[arg-type]
    except GraphsvcError as exc:
        _fail(str(exc))
        return
    finally:
        target.close()
        src.close()
    if as_json:
        sys.stdout.write(json.dumps(dataclasses.asdict(report) | {"changed": report.changed}, indent=2, default=str) + "\n")
        return
    where = f"{target_at.uri} (database {target_at.database})"
    if report.people == 0 and report.evidence == 0 and report.jobs == 0:
        errors.print(f"[yellow]warning[/]: workspace {safe(repr(name))} of {safe(path)} is empty: nothing to copy (wrong --workspace?)")
    console.print(f"[bold]synced[/] workspace {safe(repr(name))} from {safe(path)} into {safe(where)}")
    console.print(f"  {safe(report.summary())}")
    if not report.changed:
        console.print("  [dim]the target already had everything: nothing written but the derived ties[/]")
    if report.view is not None:
        bands = ", ".join(f"{k} {v}" for k, v in report.view.bands.items())
        console.print(f"  Browser view: {report.view.communities} communities ({report.view.people_labelled} people labelled); {bands}")
    console.print("  next: graphsvc neo4j browse" + (f" --uri {safe(target_at.uri)}" if uri else ""))


@neo4j_app.command("view")
def view_(
    uri: Optional[str] = typer.Option(None, "--uri", help=URI_HELP),
    user: Optional[str] = typer.Option(None, "--user"),
    password: Optional[str] = typer.Option(None, "--password"),
    database: Optional[str] = typer.Option(None, "--database"),
    workspace: Optional[str] = typer.Option(None, "--workspace", "-w"),
    project: bool = typer.Option(False, "--project/--no-project", help="Rebuild KNOWS first."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="With --project: strengths at this ISO date/time (default: now)."),
) -> None:
    """Rewrite the Browser view (community labels, KNOWS strength bands) of a Neo4j store."""
    from graphsvc.projection.browser import write_browser_view

    settings = Settings()
    try:
        target_at = neo4j_target(uri, user, password, database, settings)
        target = _open_neo4j(target_at, settings)
    except GraphsvcError as exc:
        _fail(str(exc))
        return
    try:
        ws = target.workspace(workspace or settings.default_workspace)
        moment = _parse_as_of(as_of)
        if project:
            from graphsvc.projection.knows import project_knows

            console.print(f"{project_knows(target, ws.id, moment)} KNOWS relationships projected")
        result = write_browser_view(target, ws.id)
    except GraphsvcError as exc:
        _fail(str(exc))
        return
    finally:
        target.close()
    bands = ", ".join(f"{k} {v}" for k, v in result.bands.items())
    console.print(f"Browser view of {safe(repr(ws.name))}: {result.communities} communities ({result.people_labelled} people labelled); {bands}")


def browser_url(http_url: str, bolt: Neo4jTarget | None, *, auth: bool = True, command: str | None = None) -> str:
    """Neo4j Browser with the connection preselected: ``<http>/browser/?dbms=neo4j://user@host:port``
    (the password is never in the URL), ``preselectAuthMethod`` ``NATIVE`` or ``NO_AUTH``, the
    database when it is not ``neo4j``, and optionally ``cmd``/``arg`` (e.g. ``play`` a guide URL)."""
    url = http_url.rstrip("/") + "/browser/"
    params: list[str] = []
    if bolt is not None:
        parts = urlsplit(bolt.uri)
        user = f"{bolt.user}@" if auth and bolt.user else ""
        params.append(f"dbms={parts.scheme}://{user}{parts.netloc}")
        if bolt.database and bolt.database != "neo4j":
            params.append(f"db={bolt.database}")
    params.append(f"preselectAuthMethod={'NATIVE' if auth else 'NO_AUTH'}")
    if command:
        verb, _, arg = command.partition(" ")
        params += [f"cmd={verb}", f"arg={arg}"]
    return url + "?" + "&".join(params)


@neo4j_app.command()
def browse(
    uri: Optional[str] = typer.Option(None, "--uri", help=URI_HELP + " Default here: neo4j://neo4j@localhost:7687."),
    user: Optional[str] = typer.Option(None, "--user"),
    http: Optional[str] = typer.Option(None, "--http", help="Neo4j's HTTP address (default: http://<host of --uri>:7474)."),
    no_auth: bool = typer.Option(False, "--no-auth", help="The server has authentication disabled."),
    assets: str = typer.Option(DEFAULT_ASSETS_URL, "--assets", help="Where the style sheet and guide are served (graphsvc serve's /neo4j)."),
    serve: bool = typer.Option(False, "--serve", help="Serve the style sheet and guide from here (CORS, localhost) until Ctrl-C."),
    port: int = typer.Option(0, "--port", help="Port for --serve (default: a free one)."),
) -> None:
    """Print the Neo4j Browser URL with the connection preselected, and how to load the style and guide."""
    settings = Settings()
    try:
        named = uri or os.environ.get("GRAPHSVC_NEO4J_URI") or (settings.store if settings.store_kind() == "neo4j" else "")
        if named:
            target = neo4j_target(uri, user, None, None, settings)
        else:
            target = Neo4jTarget("neo4j://localhost:7687", user or settings.neo4j_user, "", settings.neo4j_database)
    except GraphsvcError as exc:
        _fail(str(exc))
        return
    host = urlsplit(target.uri).hostname or "localhost"
    http_url = http or f"http://{'localhost' if host in ('127.0.0.1', '::1') else host}:7474"
    server = AssetServer(port) if serve else None
    assets_url = server.url if server else assets.rstrip("/")
    guide = f"{assets_url}/guide.html"
    style = f"{assets_url}/style.grass"
    console.print(f"[bold]Neo4j Browser[/]: {browser_url(http_url, target, auth=not no_auth)}")
    if not no_auth:
        console.print(
            f"  log in as {target.user!r} with the server's password "
            "(docker compose: $NEO4J_PASSWORD; python -m tests.neo4j_runtime prints it)"
        )
    console.print(f"  with the guide open: {browser_url(http_url, target, auth=not no_auth, command=f'guide {guide}')}")
    console.print("[bold]Style[/] (people by community, ties by strength, captions by name):")
    console.print(f"  run  :style {style}")
    console.print(f"  or run :style and drag {ASSETS_DIR / 'style.grass'} onto its frame")
    console.print("[bold]Guide[/] (my network, intro paths, neglected ties, brokers, an event's attendees):")
    console.print(f"  run  :guide {guide}   (sidebar)   or   :play {guide}   (a frame)")
    if server is None:
        console.print(
            f"  [dim]{assets_url} is served by `graphsvc serve`; without it run `graphsvc neo4j browse --serve`[/]"
        )
        return
    console.print(f"[green]serving[/] {ASSETS_DIR} at {assets_url}/ (Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server._server.server_close()
