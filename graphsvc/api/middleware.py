"""The HTTP edge: request ids and JSON access logs, metrics, authentication, upload caps, timeouts,
and the checks that keep other sites out (``Host``, ``Origin``, CSRF; docs/security.md).

A pure ASGI middleware (no response buffering): it authenticates the bearer token before the
GraphQL app runs, counts request body bytes while they stream (413 past the cap, whatever the
Content-Length claims), and answers 504 when a request runs past its time.

WebSockets at /graphql (subscriptions, graphql-transport-ws) may carry the token in the
handshake's ``Authorization`` header, checked here (an invalid one is refused with the same 401
before the socket opens), or in the ``connection_init`` payload, checked by the GraphQL app
(``graphsvc.api.app``) with ``authenticate_bearer``. No request timeout applies to a socket.

Every request, in every profile, must name an allowed host (``Settings.allowed_hosts``: by default the
loopback names and the bind address; the address the request arrived at always counts), else 400
``HOST_NOT_ALLOWED``: a page on another site cannot rebind its own name to this server and read it.
Requests to /graphql (and its WebSocket handshakes) carrying an ``Origin`` (else a ``Referer``) of
another site are refused with 403 ``CROSS_SITE_REQUEST``, and a POST a browser could send from a
plain form (no content type, ``multipart/form-data``, ``application/x-www-form-urlencoded``,
``text/plain``) must carry a header no form can set, so a browser asks first (CORS preflight, which
this server never grants): ``Authorization``, ``X-GraphSVC-CSRF`` or ``Apollo-Require-Preflight``.
In the production profile /metrics asks for a bearer token like /graphql.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit
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


def authenticate_bearer(service: Graphsvc, authorization: str, *, production: bool) -> tuple[str | None, Caller | None]:
    """The caller of an ``Authorization`` value: ``(None, caller)``, or ``(why not, None)``.

    No value is the default workspace's admin in the development profile, and refused in production.
    """
    if authorization:
        scheme, _, secret = authorization.partition(" ")
        if scheme.lower() != "bearer":
            return "the Authorization header must be: Bearer gs_...", None
        token, why = auth.check_token(service.store, secret.strip())
        if token is None:
            return why, None
        return None, Caller(token.workspace_id, token.role, token.id)
    if production:
        return "a bearer token is required (Authorization: Bearer gs_...)", None
    return None, Caller(service.workspace().id, Role.ADMIN, None)


#: Content types a plain HTML form can POST cross-site without a CORS preflight.
SIMPLE_CONTENT_TYPES = frozenset({"", "application/x-www-form-urlencoded", "multipart/form-data", "text/plain"})
#: Any of these headers makes a browser ask first (a CORS preflight, never granted here): a form cannot send them.
PREFLIGHT_HEADERS = ("authorization", "x-graphsvc-csrf", "apollo-require-preflight")


def host_name(value: str) -> str | None:
    """The lower-case host name of a ``Host`` header value or an origin's ``host[:port]`` (brackets of an
    IPv6 address removed), or None when it is not one."""
    try:
        parts = urlsplit("//" + value.strip())
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return None
    if not parts.hostname or parts.path or parts.query or parts.username is not None:
        return None
    return parts.hostname.lower()


def host_allowed(name: str, allowed: frozenset[str]) -> bool:
    """``name`` is in ``allowed`` (``*``: anything; ``.example.org``: that domain and its subdomains)."""
    if name in allowed or "*" in allowed:
        return True
    return any(entry.startswith(".") and (name == entry[1:] or name.endswith(entry)) for entry in allowed)


def _error(status: int, code: str, message: str) -> tuple[int, bytes]:
    return status, json.dumps({"data": None, "errors": [{"message": message, "extensions": {"code": code}}]}).encode()


class EdgeMiddleware:
    def __init__(self, app: ASGIApp, service: Graphsvc, metrics: Metrics, bind_host: str | None = None) -> None:
        self.app, self.service, self.metrics = app, service, metrics
        settings = service.settings
        self.production = settings.profile == "production"
        self.allowed_hosts = settings.allowed_host_names(bind_host)
        self.metrics_here = not settings.metrics_port
        self.max_body = settings.max_upload_bytes
        self.timeout = settings.request_timeout_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and scope.get("path", "") == "/graphql":
            await self._websocket(scope, receive, send)
            return
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
            refused = self._foreign(scope, headers, path)
            if refused:
                await respond(*refused)
                return
            if path == "/metrics" and self.production and self.metrics_here:
                failure, caller = await asyncio.to_thread(self._authenticate, headers)
                if failure:
                    await respond(*failure)
                    return
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

    def _foreign(self, scope: Scope, headers: dict[str, str], path: str) -> tuple[int, bytes] | None:
        """Why a request (or WebSocket handshake) from another site, or to a host name not ours, is
        refused; None when it is not."""
        server = scope.get("server") or ("",)
        arrived_at = str(server[0] or "").lower()
        given = headers.get("host")
        if given is not None:
            name = host_name(given)
            if name is None or not (host_allowed(name, self.allowed_hosts) or name == arrived_at):
                return _error(400, "HOST_NOT_ALLOWED", f"this server does not answer to the host name {given[:100]!r} "
                              "(GRAPHSVC_ALLOWED_HOSTS names the hosts it answers to)")
        if path != "/graphql":
            return None
        origin = headers.get("origin")
        source = origin if origin is not None else headers.get("referer")
        if source is not None:
            parts = urlsplit(source.strip())
            name = host_name(parts.netloc) if parts.scheme in ("http", "https", "ws", "wss") else None
            same = given is not None and parts.netloc.lower() == given.strip().lower()
            if not same and (name is None or not host_allowed(name, self.allowed_hosts)):
                what = "Origin" if origin is not None else "Referer"
                return _error(403, "CROSS_SITE_REQUEST", f"a request from another site ({what}: {source[:100]!r}) is refused")
        if scope["type"] == "http" and scope.get("method") == "POST":
            media = headers.get("content-type", "").split(";", 1)[0].strip().lower()
            if media in SIMPLE_CONTENT_TYPES and not any(headers.get(h, "").strip() for h in PREFLIGHT_HEADERS):
                return _error(403, "CROSS_SITE_REQUEST", f"a {media or 'body-less'} POST must carry an X-GraphSVC-CSRF header "
                              "(any value; or Authorization): a form on another site cannot send one")
        return None

    def _authenticate(self, headers: dict[str, str]) -> tuple[tuple[int, bytes] | None, Caller | None]:
        failure, caller = authenticate_bearer(self.service, headers.get("authorization", ""), production=self.production)
        return (_error(401, "UNAUTHENTICATED", failure) if failure else None), caller

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A GraphQL WebSocket: a token in the handshake header must be valid (else 401 before the socket
        opens); without one, the app authenticates the connection_init payload (``scope["state"]["caller"]``
        is then None)."""
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        request_id = headers.get("x-request-id", "")[:64] or uuid.uuid4().hex
        started = time.perf_counter()
        status, caller = "101", None
        try:
            refused = self._foreign(scope, headers, "/graphql")
            if refused:
                status = str(refused[0])
                await self._refuse_handshake(scope, receive, send, *refused)
                return
            if headers.get("authorization"):
                failure, caller = await asyncio.to_thread(
                    authenticate_bearer, self.service, headers["authorization"], production=self.production
                )
                if failure:
                    status = "401"
                    await self._refuse_handshake(scope, receive, send, *_error(401, "UNAUTHENTICATED", failure))
                    return
            scope = {**scope, "state": {**scope.get("state", {}), "caller": caller}}
            await self.app(scope, receive, send)
        finally:
            elapsed = time.perf_counter() - started
            self.metrics.requests.labels("/graphql", status).inc()
            access_log.info(json.dumps({
                "event": "websocket", "request_id": request_id, "path": "/graphql", "status": int(status),
                "duration_ms": round(elapsed * 1000, 2),
                "workspace": caller.workspace_id if caller else None, "token": caller.token_id if caller else None,
            }))

    @staticmethod
    async def _refuse_handshake(scope: Scope, receive: Receive, send: Send, status: int, body: bytes) -> None:
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        if "websocket.http.response" in scope.get("extensions", {}):  # a real HTTP answer, with the JSON error
            await send({"type": "websocket.http.response.start", "status": status, "headers": [(b"content-type", b"application/json")]})
            await send({"type": "websocket.http.response.body", "body": body})
        else:  # the server cannot say why: closing before accepting makes it answer 403
            await send({"type": "websocket.close", "code": 1008})

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
