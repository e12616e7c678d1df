"""Bearer tokens for workspace members: created once, stored hashed, checked in constant time.

A token is ``gs_<43 url-safe characters>`` (256 random bits). Only its SHA-256 is stored: the
secret has enough entropy that a slow password hash would add nothing but latency.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timezone

from graphsvc.errors import InvalidArgument, NotFound
from graphsvc.model import Role, Token, stable_id
from graphsvc.store.protocol import Store

PREFIX = "gs_"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(store: Store, workspace_id: str, name: str, role: Role | str) -> tuple[Token, str]:
    """A new token; returns it with its secret, which is shown once and never stored."""
    try:
        role = Role(role)
    except ValueError as exc:
        raise InvalidArgument(f"unknown role {role!r}; roles: {', '.join(r.value for r in Role)}") from exc
    if not name.strip():
        raise InvalidArgument("a token needs a name (whose it is)")
    secret = PREFIX + secrets.token_urlsafe(32)
    digest = hash_secret(secret)
    token = Token(stable_id("tok", digest), workspace_id, name.strip(), role, digest, datetime.now(timezone.utc))
    with store.atomic():
        store.add_token(token)
    return token, secret


def authenticate(store: Store, secret: str) -> Token | None:
    """The live token for ``secret``, or None (unknown, malformed or revoked)."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    digest = hash_secret(secret)
    token = store.token_by_hash(digest)
    if token is None or not hmac.compare_digest(token.secret_hash, digest) or token.revoked_at is not None:
        return None
    return token


def revoke_token(store: Store, workspace_id: str, token_id: str) -> None:
    with store.atomic():
        if not store.revoke_token(workspace_id, token_id, datetime.now(timezone.utc)):
            raise NotFound(f"no live token {token_id!r} in this workspace")
