"""The HTTP service: GraphQL at /graphql, liveness /healthz, readiness /readyz, Prometheus /metrics."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

from prometheus_client import generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from strawberry.asgi import GraphQL

from graphsvc import __version__
from graphsvc.api.context import Context
from graphsvc.api.middleware import Caller, EdgeMiddleware, Metrics
from graphsvc.api.schema import build_schema
from graphsvc.service import Graphsvc
from graphsvc.settings import Settings


class GraphQLApp(GraphQL):
    def __init__(self, service: Graphsvc, metrics: Metrics) -> None:
        production = service.settings.profile == "production"
        super().__init__(build_schema(production=production), graphql_ide=None if production else "graphiql", multipart_uploads_enabled=True)
        self.service, self.metrics = service, metrics

    async def get_context(self, request: Any, response: Any) -> Context:  # type: ignore[override]
        caller: Caller = request.scope["state"]["caller"]
        return Context(
            service=self.service, workspace_id=caller.workspace_id, role=caller.role, token_id=caller.token_id,
            request=request, response=response,
        )


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
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_endpoint),
            Route("/neo4j/{name}", neo4j_asset, methods=["GET", "HEAD", "OPTIONS"]),
            Route("/", root),
        ],
        middleware=[Middleware(EdgeMiddleware, service=service, metrics=metrics)],
        lifespan=lifespan,
    )
