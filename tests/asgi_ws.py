"""A WebSocket client for an ASGI app in process (no server, no Starlette TestClient): queues both ways."""

from __future__ import annotations

import asyncio
import json
from typing import Any

PROTOCOL = "graphql-transport-ws"


class Closed(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"closed {code}: {reason}")
        self.code, self.reason = code, reason


class Denied(Exception):
    """The app answered the handshake with an HTTP response (the ``websocket.http.response`` extension)."""

    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(f"denied {status}: {body[:200]!r}")
        self.status, self.body = status, body

    def json(self) -> Any:
        return json.loads(self.body)


class AsgiWebSocket:
    """``async with AsgiWebSocket(app, headers=...) as ws``: the handshake is done (or Denied/Closed raised)."""

    def __init__(self, app: Any, path: str = "/graphql", *, headers: dict[str, str] | None = None, subprotocols: tuple[str, ...] = (PROTOCOL,)) -> None:
        self.app, self.path, self.headers, self.subprotocols = app, path, headers or {}, subprotocols
        self.to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.from_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> "AsgiWebSocket":
        scope = {
            "type": "websocket", "asgi": {"version": "3.0"}, "http_version": "1.1", "scheme": "ws", "path": self.path,
            "raw_path": self.path.encode(), "query_string": b"", "root_path": "",
            "headers": [(b"host", b"test"), *((k.lower().encode(), v.encode()) for k, v in self.headers.items())],
            "subprotocols": list(self.subprotocols), "client": ("127.0.0.1", 50000), "server": ("test", 80),
            "extensions": {"websocket.http.response": {}}, "state": {},
        }
        self.task = asyncio.create_task(self.app(scope, self.to_app.get, self.from_app.put))
        await self.to_app.put({"type": "websocket.connect"})
        first = await self._next()
        if first["type"] == "websocket.http.response.start":
            body = b""
            while True:
                part = await self._next()
                body += part.get("body", b"")
                if not part.get("more_body"):
                    break
            await self._finish()
            raise Denied(first["status"], body)
        if first["type"] == "websocket.close":
            await self._finish()
            raise Closed(first.get("code", 1000), first.get("reason") or "")
        assert first["type"] == "websocket.accept", first
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.to_app.put({"type": "websocket.disconnect", "code": 1000})
        await self._finish()

    async def send_json(self, message: dict[str, Any]) -> None:
        await self.to_app.put({"type": "websocket.receive", "text": json.dumps(message)})

    async def receive_json(self) -> dict[str, Any]:
        message = await self._next()
        if message["type"] == "websocket.close":
            raise Closed(message.get("code", 1000), message.get("reason") or "")
        return json.loads(message["text"] if message.get("text") is not None else message["bytes"])

    async def _next(self) -> dict[str, Any]:
        return await asyncio.wait_for(self.from_app.get(), 30)

    async def _finish(self) -> None:
        assert self.task is not None
        await asyncio.wait_for(self.task, 30)
