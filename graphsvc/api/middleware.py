"""The HTTP edge: request ids and JSON access logs, metrics, authentication, upload caps, timeouts.

A pure ASGI middleware (no response buffering): it authenticates the bearer token before the
GraphQL app runs, counts request body bytes while they stream (413 past the cap, whatever the
Content-Length claims), and answers 504 when a request runs past its time.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from graphsvc import auth
from graphsvc.model import Role
from graphsvc.service import Graphsvc

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

access_log = logging.getLogger("graphsvc.access")


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("graphsvc_requests", "HTTP requests", ["path", "status"], registry=self.registry)
        self.latency = Histogram("graphsvc_request_seconds", "HTTP request latency", ["path"], registry=self.registry)
        self.imports = Counter("graphsvc_import_jobs", "Import jobs finished", ["status"], registry=self.registry)
        self.imports_running = Gauge("graphsvc_import_jobs_running", "Import jobs running", registry=self.registry)


@dataclass(frozen=True)
class Caller:
    workspace_id: str
    role: Role
    token_id: str | None


class BodyTooLarge(Exception):
    pass


def _error(status: int, code: str, message: str) -> tuple[int, bytes]:
    return status, json.dumps({"data": None, "errors": [{"message": message, "extensions": {"code": code}}]}).encode()


class EdgeMiddleware:
    def __init__(self, app: ASGIApp, service: Graphsvc, metrics: Metrics) -> None:
        self.app, self.service, self.metrics = app, service, metrics
        settings = service.settings
        self.production = settings.profile == "production"
        self.max_body = settings.max_upload_bytes
        self.timeout = settings.request_timeout_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        request_id = headers.get("x-request-id", "")[:64] or uuid.uuid4().hex
        started = time.perf_counter()
        state = {"status": 500, "started": False}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["status"], state["started"] = message["status"], True
                message = {**message, "headers": [*message.get("headers", []), (b"x-request-id", request_id.encode())]}
            await send(message)

        async def respond(status: int, body: bytes) -> None:
            await send_wrapper({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json")]})
            await send_wrapper({"type": "http.response.body", "body": body})

        caller: Caller | None = None
        path = scope.get("path", "")
        try:
            if path == "/graphql":
                failure, caller = await asyncio.to_thread(self._authenticate, headers)
                if failure:
                    await respond(*failure)
                    return
                declared = headers.get("content-length", "")
                if declared.isdigit() and int(declared) > self.max_body:
                    await respond(*_error(413, "PAYLOAD_TOO_LARGE", f"the request is larger than {self.max_body} bytes"))
                    return
                scope = {**scope, "state": {**scope.get("state", {}), "caller": caller}}
                await asyncio.wait_for(self.app(scope, self._counting(receive), send_wrapper), timeout=self.timeout)
            else:
                await self.app(scope, receive, send_wrapper)
        except BodyTooLarge:
            if not state["started"]:
                await respond(*_error(413, "PAYLOAD_TOO_LARGE", f"the request is larger than {self.max_body} bytes"))
        except asyncio.TimeoutError:
            if not state["started"]:
                await respond(*_error(504, "TIMEOUT", f"the request took longer than {self.timeout:g} s"))
        finally:
            elapsed = time.perf_counter() - started
            route = path if path in ("/graphql", "/healthz", "/readyz", "/metrics") else "other"
            self.metrics.requests.labels(route, str(state["status"])).inc()
            self.metrics.latency.labels(route).observe(elapsed)
            access_log.info(json.dumps({
                "event": "request", "request_id": request_id, "method": scope.get("method"), "path": route,
                "status": state["status"], "duration_ms": round(elapsed * 1000, 2),
                "workspace": caller.workspace_id if caller else None, "token": caller.token_id if caller else None,
            }))

    def _authenticate(self, headers: dict[str, str]) -> tuple[tuple[int, bytes] | None, Caller | None]:
        header = headers.get("authorization", "")
        if header:
            scheme, _, secret = header.partition(" ")
            token = auth.authenticate(self.service.store, secret.strip()) if scheme.lower() == "bearer" else None
            if token is None:
                return _error(401, "UNAUTHENTICATED", "invalid, revoked or malformed bearer token"), None
            return None, Caller(token.workspace_id, token.role, token.id)
        if self.production:
            return _error(401, "UNAUTHENTICATED", "a bearer token is required (Authorization: Bearer gs_...)"), None
        return None, Caller(self.service.workspace().id, Role.ADMIN, None)

    def _counting(self, receive: Receive) -> Receive:
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise BodyTooLarge()
            return message

        return counted
