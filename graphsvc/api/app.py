"""The HTTP service: GraphQL at /graphql, liveness /healthz, readiness /readyz, Prometheus /metrics.

/graphql also accepts WebSockets speaking graphql-transport-ws (subscriptions: ``importProgress``).
A socket is authenticated once, at ``connection_init``: by ``{"Authorization": "Bearer gs_..."}`` in
its payload, else by the handshake's Authorization header (checked at the edge), else (development
profile only) as the default workspace's admin. A refused socket is closed with code 4403 and a
reason starting ``UNAUTHENTICATED:``; the caller's workspace is fixed for the socket's lifetime. A token
is checked again before every operation and every ``RECHECK_SECONDS`` while the socket is open: once
it is revoked or expired the socket closes the same way (4403, ``UNAUTHENTICATED: ...``).

Request bodies are bounded in shape as in size: JSON nested deeper than ``MAX_JSON_DEPTH`` levels and a
multipart ``map`` that is not ``{"key": ["path", ...]}`` are 400 ``BAD_REQUEST``. /metrics moves to its
own port (``GRAPHSVC_METRICS_PORT``, at ``GRAPHSVC_METRICS_HOST``) when one is configured.
"""

from __future__ import annotations

import asyncio
import os
import re
from contextlib import asynccontextmanager, suppress
from typing import Any, AsyncIterator

from prometheus_client import generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route, WebSocketRoute
from cross_web import HTTPException
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ConnectionInitMessage
from strawberry.types.unset import UNSET, UnsetType

from graphsvc import __version__, auth
from graphsvc.api.analytics_processes import Analytics, AnalyticsProcesses, InServerThread
from graphsvc.api.context import Context
from graphsvc.api.errors import request_error_code, scrub_paths
from graphsvc.api.middleware import Caller, EdgeMiddleware, Metrics, authenticate_bearer
from graphsvc.api.schema import build_schema
from graphsvc.errors import ConfigurationError
from graphsvc.model import Role
from graphsvc.service import Graphsvc
from graphsvc.settings import Settings


#: WebSocket close code for a refused connection_init (graphql-transport-ws: 4403 Forbidden).
REFUSED = 4403
#: How often an open socket checks that its token still lives (besides before every operation).
RECHECK_SECONDS = 1.0
#: The deepest JSON a request body (or a multipart ``operations``/``map``) may nest.
MAX_JSON_DEPTH = 64


#: Where the multipart spec's ``map`` may put a file: a variable (of one operation, or of the n-th of a batch).
_VARIABLE_PATH = re.compile(r"(\d+\.)?variables(\.[^.]+)+")


def _json_depth_exceeds(value: Any, limit: int) -> bool:
    """Whether ``value`` (parsed JSON) nests more than ``limit`` lists and objects deep (no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return False


class ConnectionRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TransportWSHandler(BaseGraphQLTransportWSHandler):
    """Strawberry's graphql-transport-ws handler, closing a refused connection with our reason (its own
    says "Forbidden"), and closing an open one when its token is revoked or expires."""

    watchdog: asyncio.Task[None] | None = None
    closed = False

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        try:
            await super().handle_connection_init(message)
        except ConnectionRefused as exc:
            await self._close(exc.reason)
            return
        if self.connection_acknowledged and self.context.token_id and self.watchdog is None:
            self.watchdog = asyncio.create_task(self._watch())

    async def handle_subscribe(self, message: Any) -> None:
        if self.connection_acknowledged and not await self._token_lives():
            return
        await super().handle_subscribe(message)

    async def shutdown(self) -> None:
        if self.watchdog is not None and self.watchdog is not asyncio.current_task():
            self.watchdog.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await self.watchdog
        await super().shutdown()

    async def _token_lives(self) -> bool:
        """Whether the socket's token (if it has one) is still live; if not, the socket is closed."""
        context: Context = self.context
        if self.closed:
            return False
        if not context.token_id:
            return True
        token, why = await asyncio.to_thread(auth.check_token_id, context.service.store, context.workspace_id, context.token_id)
        if token is None:
            for operation_id in list(self.operations):
                await self.cleanup_operation(operation_id)
            await self._close(f"UNAUTHENTICATED: {why}")
            return False
        return True

    async def _watch(self) -> None:
        with suppress(asyncio.CancelledError):
            while await self._token_lives():
                await asyncio.sleep(RECHECK_SECONDS)

    async def _close(self, reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        with suppress(Exception):  # the client may be gone already
            await self.websocket.close(code=REFUSED, reason=reason.encode()[:123].decode(errors="ignore"))


class GraphQLApp(GraphQL):
    graphql_transport_ws_handler_class = TransportWSHandler

    def __init__(self, service: Graphsvc, metrics: Metrics, analytics: Analytics | None = None) -> None:
        production = service.settings.profile == "production"
        super().__init__(
            build_schema(production=production), graphql_ide=None if production else "graphiql", multipart_uploads_enabled=True,
            subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
        )
        self.service, self.metrics, self.production = service, metrics, production
        self.analytics = analytics or InServerThread(service)

    @property
    def graphql_ide_html(self) -> str:
        """GraphiQL loading its scripts and styles from this server, not a CDN (``graphsvc.api.graphiql``)."""
        from graphsvc.api.graphiql import offline_html

        return offline_html(super().graphql_ide_html)

    async def get_context(self, request: Any, response: Any) -> Context:  # type: ignore[override]
        # A WebSocket's caller is None until connection_init authenticates it (on_ws_connect); the
        # protocol runs no operation before that.
        caller: Caller | None = request.scope["state"]["caller"]
        if isinstance(request, Request):
            request.state.graphql_response = response  # process_result sets its status
        return Context(
            service=self.service, analytics=self.analytics, workspace_id=caller.workspace_id if caller else "",
            role=caller.role if caller else Role.READ_ONLY, token_id=caller.token_id if caller else None,
            request=request, response=response,
        )

    def parse_json(self, data: str | bytes) -> Any:
        """JSON of a request body: too deep (past ``MAX_JSON_DEPTH``, or past the parser's own recursion
        limit) is a 400 saying so, not an unexpected error."""
        try:
            value = super().parse_json(data)
        except RecursionError:
            value = None
            deep = True
        else:
            deep = _json_depth_exceeds(value, MAX_JSON_DEPTH)
        if deep:
            raise HTTPException(400, f"the request's JSON is nested too deeply (at most {MAX_JSON_DEPTH} levels)")
        return value

    async def parse_multipart(self, request: Any) -> dict[str, str]:  # type: ignore[override]
        """The GraphQL multipart request spec's fields, checked: ``operations`` an object or list, ``map``
        an object of file keys to lists of ``variables...`` paths; anything else is a 400."""
        try:
            form = await request.get_form_data()
        except ValueError as exc:
            raise HTTPException(400, "Unable to parse the multipart body") from exc
        try:
            return await self._parse_multipart(request, form)
        except HTTPException:
            for upload in form.files.values():  # refused: free the parts starlette spooled
                with suppress(Exception):
                    await upload.close()
            raise

    async def _parse_multipart(self, request: Any, form: Any) -> dict[str, str]:
        for field, kinds in (("operations", (dict, list)), ("map", (dict,))):
            raw = form.form.get(field, "{}")
            value = self.parse_json(raw) if isinstance(raw, (bytes, str)) else raw
            if not isinstance(value, kinds):
                raise HTTPException(400, f"the multipart `{field}` field must be a JSON {'object' if field == 'map' else 'object or list'}")
            if field == "map" and not all(
                isinstance(paths, list) and paths and all(isinstance(p, str) and _VARIABLE_PATH.fullmatch(p) for p in paths)
                for paths in value.values()
            ):
                raise HTTPException(400, 'the multipart `map` must map each file to a list of paths, e.g. {"0": ["variables.file"]}')
        try:
            parsed = await super().parse_multipart(request)
        except (AttributeError, TypeError, IndexError, ValueError) as exc:
            raise HTTPException(400, "the multipart `map` names a path that is not in `operations`") from exc
        mapped = self.parse_json(form.form.get("map", "{}")) if isinstance(form.form.get("map", "{}"), (bytes, str)) else {}
        for key, upload in form.files.items():  # a part the map does not name reaches no resolver: free it now
            if key not in mapped:
                with suppress(Exception):
                    await upload.close()
        return parsed

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:  # type: ignore[override]
        """A request strawberry refuses before GraphQL starts (a truncated or malformed multipart
        upload, a body that is not JSON) gets a GraphQL error with a code, not a plain-text line."""
        try:
            return await super().run(request, context, root_value)
        except HTTPException as exc:
            if not isinstance(request, Request):
                raise
            body = {"data": None, "errors": [{"message": scrub_paths(exc.reason), "extensions": {"code": "BAD_REQUEST"}}]}
            return JSONResponse(body, status_code=exc.status_code)

    async def process_result(self, request: Any, result: ExecutionResult) -> GraphQLHTTPResponse:  # type: ignore[override]
        """Errors of a document that never ran (it did not parse, validate or fit its variables) get a
        code and HTTP 400, like every other error; errors raised while running keep theirs."""
        data = await super().process_result(request, result)
        errors = data.get("errors") or []
        unran = [e for e in errors if "path" not in e and "code" not in (e.get("extensions") or {})]
        for error in unran:
            error.setdefault("extensions", {})["code"] = request_error_code(error["message"])
        if errors and len(unran) == len(errors) and data.get("data") is None:
            response = getattr(getattr(request, "state", None), "graphql_response", None)
            if response is not None:
                response.status_code = 400
        return data

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:  # type: ignore[override]
        params = context.connection_params or {}
        given = next((v for k, v in params.items() if k.lower() == "authorization"), None)
        handshake: Caller | None = context.request.scope["state"]["caller"]
        if given is None and handshake is not None:
            caller = handshake
        else:
            if given is not None and not isinstance(given, str):
                raise ConnectionRefused("UNAUTHENTICATED: Authorization must be a string: Bearer gs_...")
            failure, found = await asyncio.to_thread(authenticate_bearer, self.service, given or "", production=self.production)
            if failure or found is None:
                if given is None:
                    failure = 'a bearer token is required (connection_init payload {"Authorization": "Bearer gs_..."})'
                raise ConnectionRefused(f"UNAUTHENTICATED: {failure}")
            caller = found
        context.workspace_id, context.role, context.token_id = caller.workspace_id, caller.role, caller.token_id
        return UNSET


def create_app(service: Graphsvc | None = None, settings: Settings | None = None, *, bind_host: str | None = None) -> Starlette:
    """The ASGI app. ``bind_host``: the address ``graphsvc serve`` binds, one of the host names the app
    answers to when ``GRAPHSVC_ALLOWED_HOSTS`` is empty (with the loopback names)."""
    owned = service is None
    service = service or Graphsvc(settings)
    _private_data_dir(service.settings)
    processes = service.settings.analytics_processes
    if processes < 0:
        raise ConfigurationError(f"GRAPHSVC_ANALYTICS_PROCESSES={processes} is not 0 or more")
    # Children open the store again from the settings: only an app that opened its own can have them.
    analytics: Analytics = AnalyticsProcesses(service.settings, processes) if owned and processes else InServerThread(service)
    metrics = Metrics()
    metrics_port, metrics_host = service.settings.metrics_port, service.settings.metrics_host
    service.on_import_finished = lambda job: metrics.imports.labels(job.status.value).inc()

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "version": __version__})

    async def readyz(request: Request) -> JSONResponse:
        try:
            service.workspace()
        except Exception as exc:  # the store is down: not ready; say which error, never its internals
            return JSONResponse({"status": "unavailable", "store": type(exc).__name__}, status_code=503)
        return JSONResponse({"status": "ready", "version": __version__})

    async def metrics_endpoint(request: Request) -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    async def root(request: Request) -> RedirectResponse:
        return RedirectResponse("/graphql")

    async def neo4j_asset(request: Request) -> Response:
        """Neo4j Browser's style sheet and guide, for Browser to load (CORS: Browser fetches cross-origin)."""
        from graphsvc.cli_neo4j import CORS_HEADERS, browser_asset

        if request.method == "OPTIONS":
            return Response(status_code=204, headers=CORS_HEADERS)
        try:
            body, media = browser_asset(request.path_params["name"], f"{str(request.base_url).rstrip('/')}/neo4j")
        except KeyError:
            return Response("not found\n", status_code=404, headers=CORS_HEADERS)
        return Response(body, media_type=media, headers=CORS_HEADERS)

    async def graphiql_asset(request: Request) -> Response:
        """GraphiQL's scripts and styles (package data), for the page /graphql shows in a browser; none in production."""
        from graphsvc.api.graphiql import asset

        found = None if service.settings.profile == "production" else asset(request.path_params["name"])
        if found is None:
            return Response("not found\n", status_code=404, media_type="text/plain")
        body, media = found
        return Response(body, media_type=media, headers={"cache-control": "public, max-age=31536000, immutable"})

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        separate = None
        if metrics_port:  # /metrics on its own port (a thread), for scrapers on a private network
            from prometheus_client import start_http_server

            separate, _ = start_http_server(metrics_port, addr=metrics_host, registry=metrics.registry)
        analytics.start()
        try:
            yield
        finally:
            analytics.close()
            if separate is not None:
                separate.shutdown()
                separate.server_close()
            if owned:
                service.close()

    graphql = GraphQLApp(service, metrics, analytics)
    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            *([] if metrics_port else [Route("/metrics", metrics_endpoint)]),
            Route("/neo4j/{name}", neo4j_asset, methods=["GET", "HEAD", "OPTIONS"]),
            Route("/graphiql/{name}", graphiql_asset, methods=["GET", "HEAD"]),
            Route("/", root),
        ],
        middleware=[Middleware(EdgeMiddleware, service=service, metrics=metrics, bind_host=bind_host)],
        lifespan=lifespan,
    )


def _private_data_dir(settings: Settings) -> None:
    """The data directory (store, uploads, evidence files) readable by its owner only, as the store makes
    it when it creates it: an older installation's 0755 directory is tightened when a server starts."""
    folder = settings.data_dir
    with suppress(OSError):
        if folder.is_dir() and folder.stat().st_uid == os.getuid() and folder.stat().st_mode & 0o077:
            folder.chmod(0o700)
