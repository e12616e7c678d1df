from __future__ import annotations

from datetime import datetime

import strawberry

from graphsvc import model

RoleEnum = strawberry.enum(model.Role, name="Role", description="ADMIN manages tokens; MEMBER also imports; READ_ONLY only queries.")


@strawberry.type(name="Token", description="A workspace member's API token (its secret is shown only once, at creation).")
class TokenType:
    id: strawberry.ID
    name: str
    role: RoleEnum  # type: ignore[valid-type]
    created_at: datetime
    revoked_at: datetime | None
    expires_at: datetime | None = strawberry.field(description="When the token stops working (null: when revoked).")

    @classmethod
    def from_model(cls, t: model.Token) -> "TokenType":
        return cls(id=strawberry.ID(t.id), name=t.name, role=t.role, created_at=t.created_at, revoked_at=t.revoked_at, expires_at=t.expires_at)


@strawberry.type
class CreatedToken:
    token: TokenType
    secret: str = strawberry.field(description="The bearer token. Store it now: it cannot be shown again.")
