from __future__ import annotations

import strawberry

from graphsvc.api.context import Info
from graphsvc.api.permissions import IsAdmin
from graphsvc.api.tokens.types import TokenType


@strawberry.type
class TokensQuery:
    @strawberry.field(
        description="The workspace's tokens (admins only). A list, not a connection: a few per team member at most.",
        permission_classes=[IsAdmin],
    )
    def tokens(self, info: Info) -> list[TokenType]:
        return [TokenType.from_model(t) for t in info.context.service.store.list_tokens(info.context.workspace_id)]
