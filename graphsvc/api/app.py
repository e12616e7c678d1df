"""The HTTP service: GraphQL (with GraphiQL) at /graphql, liveness at /healthz, readiness at /readyz."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse
from starlette.routing import Route
from strawberry.asgi import GraphQL

from graphsvc import __version__
from graphsvc.api.context import Context
from graphsvc.api.schema import schema
from graphsvc.service import Graphsvc
from graphsvc.settings import Settings


class GraphQLApp(GraphQL):
    def __init__(self, service: Graphsvc) -> None:
        super().__init__(schema, graphql_ide="graphiql", multipart_uploads_enabled=True)
        self.service = service

    async def get_context(self, request: Any, response: Any) -> Context:  # type: ignore[override]
        workspace = self.service.workspace()
        return Context(service=self.service, workspace_id=workspace.id, request=request, response=response)


def create_app(service: Graphsvc | None = None, settings: Settings | None = None) -> Starlette:
    owned = service is None
    service = service or Graphsvc(settings)

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "version": __version__})

    async def readyz(request: Request) -> JSONResponse:
        try:
            service.workspace()
        except Exception as exc:  # the store is down: not ready, and say why without internals
            return JSONResponse({"status": "unavailable", "store": type(exc).__name__}, status_code=503)
        return JSONResponse({"status": "ready", "version": __version__})

    async def root(request: Request) -> RedirectResponse:
        return RedirectResponse("/graphql")

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        if owned:
            service.close()

    graphql = GraphQLApp(service)
    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/", root),
        ],
        lifespan=lifespan,
    )
