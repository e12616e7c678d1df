from __future__ import annotations

import strawberry

from graphsvc import auth
from graphsvc.api.context import Info
from graphsvc.api.errors import translate_errors
from graphsvc.api.permissions import IsAdmin
from graphsvc.api.tokens.types import CreatedToken, RoleEnum, TokenType


@strawberry.type
class TokensMutation:
    @strawberry.mutation(description="Create a token for a member of this workspace (admins only).", permission_classes=[IsAdmin])
    @translate_errors
    def create_token(self, info: Info, name: str, role: RoleEnum, expires_in_days: float | None = None) -> CreatedToken:  # type: ignore[valid-type]
        token, secret = auth.create_token(info.context.service.store, info.context.workspace_id, name, role, expires_in_days=expires_in_days)
        return CreatedToken(token=TokenType.from_model(token), secret=secret)

    @strawberry.mutation(description="Revoke a token of this workspace (admins only).", permission_classes=[IsAdmin])
    @translate_errors
    def revoke_token(self, info: Info, id: strawberry.ID) -> bool:
        auth.revoke_token(info.context.service.store, info.context.workspace_id, str(id))
        return True
