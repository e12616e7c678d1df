"""The HTTP service: GraphQL at /graphql, liveness /healthz, readiness /readyz, Prometheus /metrics.

/graphql also accepts WebSockets speaking graphql-transport-ws (subscriptions: ``importProgress``).
A socket is authenticated once, at ``connection_init``: by ``{"Authorization": "Bearer gs_..."}`` in
its payload, else by the handshake's Authorization header (checked at the edge), else (development
profile only) as the default workspace's admin. A refused socket is closed with code 4403 and a
reason starting ``UNAUTHENTICATED:``; the caller's workspace is fixed for the socket's lifetime.
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
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

from graphsvc import __version__
from graphsvc.api.context import Context
from graphsvc.api.errors import request_error_code
from graphsvc.api.middleware import Caller, EdgeMiddleware, Metrics, authenticate_bearer
from graphsvc.api.schema import build_schema
from graphsvc.model import Role
from graphsvc.service import Graphsvc
from graphsvc.settings import Settings


#: WebSocket close code for a refused connection_init (graphql-transport-ws: 4403 Forbidden).
REFUSED = 4403


class ConnectionRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TransportWSHandler(BaseGraphQLTransportWSHandler):
    """Strawberry's graphql-transport-ws handler, closing a refused connection with our reason (its own says "Forbidden")."""

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        try:
            await super().handle_connection_init(message)
        except ConnectionRefused as exc:
            await self.websocket.close(code=REFUSED, reason=exc.reason.encode()[:123].decode(errors="ignore"))


class GraphQLApp(GraphQL):
    graphql_transport_ws_handler_class = TransportWSHandler

    def __init__(self, service: Graphsvc, metrics: Metrics) -> None:
        production = service.settings.profile == "production"
        super().__init__(
            build_schema(production=production), graphql_ide=None if production else "graphiql", multipart_uploads_enabled=True,
            subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
        )
        self.service, self.metrics, self.production = service, metrics, production

    async def get_context(self, request: Any, response: Any) -> Context:  # type: ignore[override]
        # A WebSocket's caller is None until connection_init authenticates it (on_ws_connect); the
        # protocol runs no operation before that.
        caller: Caller | None = request.scope["state"]["caller"]
        if isinstance(request, Request):
            request.state.graphql_response = response  # process_result sets its status
        return Context(
            service=self.service, workspace_id=caller.workspace_id if caller else "",
            role=caller.role if caller else Role.READ_ONLY, token_id=caller.token_id if caller else None,
            request=request, response=response,
        )

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:  # type: ignore[override]
        """A request strawberry refuses before GraphQL starts (a truncated or malformed multipart
        upload, a body that is not JSON) gets a GraphQL error with a code, not a plain-text line."""
        try:
            return await super().run(request, context, root_value)
        except HTTPException as exc:
            if not isinstance(request, Request):
                raise
            body = {"data": None, "errors": [{"message": exc.reason, "extensions": {"code": "BAD_REQUEST"}}]}
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


def create_app(service: Graphsvc | None = None, settings: Settings | None = None) -> Starlette:
    owned = service is None
    service = service or Graphsvc(settings)
    metrics = Metrics()
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

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        if owned:
            service.close()

    graphql = GraphQLApp(service, metrics)
    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_endpoint),
            Route("/neo4j/{name}", neo4j_asset, methods=["GET", "HEAD", "OPTIONS"]),
            Route("/", root),
        ],
        middleware=[Middleware(EdgeMiddleware, service=service, metrics=metrics)],
        lifespan=lifespan,
    )
