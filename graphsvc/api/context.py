"""The typed request context every resolver receives."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import strawberry

from graphsvc.model import Role
from graphsvc.service import Graphsvc


@dataclass
class Context:
    service: Graphsvc
    #: The caller's workspace: always from the caller's token (or the server's default
    #: workspace in the development profile), never from query arguments.
    workspace_id: str
    role: Role = Role.ADMIN
    token_id: str | None = None
    request: Any = None
    response: Any = None


Info = strawberry.Info[Context, None]
