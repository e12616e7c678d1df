"""The typed request context every resolver receives."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import strawberry

from graphsvc.api.loaders import Loaders
from graphsvc.model import Role
from graphsvc.service import Graphsvc

if TYPE_CHECKING:
    from graphsvc.api.analytics_processes import Analytics


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
    #: Where intro questions are answered: the server's analytics processes, else its own thread.
    analytics: "Analytics | None" = None
    #: A WebSocket's connection_init payload (graphql-transport-ws); its "Authorization" authenticates the socket.
    connection_params: dict[str, Any] | None = None
    _loaders: Loaders | None = field(default=None, init=False, repr=False)

    @property
    def loaders(self) -> Loaders:
        """This operation's DataLoaders (``graphsvc/api/loaders.py``), made on first use."""
        if self._loaders is None or self._loaders.workspace_id != self.workspace_id:
            self._loaders = Loaders(self.service, self.workspace_id)
        return self._loaders

    def ask(self, question: str, /, *args: Any, **kwargs: Any) -> Any:
        """An awaitable of ``service.<question>(*args, **kwargs)``, answered where ``analytics`` says."""
        if self.analytics is None:
            from graphsvc.api.analytics_processes import InServerThread

            self.analytics = InServerThread(self.service)
        return self.analytics.ask(question, *args, **kwargs)

    def forget_loaders(self) -> None:
        self._loaders = None


Info = strawberry.Info[Context, None]
