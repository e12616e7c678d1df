"""The typed request context every resolver receives."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import strawberry

from graphsvc.service import Graphsvc


@dataclass
class Context:
    service: Graphsvc
    #: The caller's workspace. Always set by the server, never taken from query arguments.
    workspace_id: str
    request: Any = None
    response: Any = None


Info = strawberry.Info[Context, None]
