"""Who may do what, in one place. Roles come from the caller's token (``graphsvc.model.Role``)."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission

from graphsvc.model import Role


class CanWrite(BasePermission):
    """Imports, merges, recorded interactions: members and admins, not read-only tokens."""

    message = "This token is read-only: it cannot change anything."
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return info.context.role in (Role.ADMIN, Role.MEMBER)


class IsAdmin(BasePermission):
    """Token management: admins only."""

    message = "Only an admin token can manage tokens."
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return info.context.role is Role.ADMIN
