"""Bearer tokens for workspace members: created once, stored hashed, checked in constant time.

A token is ``gs_<43 url-safe characters>`` (256 random bits). Only its SHA-256 is stored: the
secret has enough entropy that a slow password hash would add nothing but latency.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta, timezone

from graphsvc.errors import InvalidArgument, NotFound
from graphsvc.model import Role, Token, stable_id
from graphsvc.store.protocol import Store

PREFIX = "gs_"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(
    store: Store, workspace_id: str, name: str, role: Role | str, *, expires_in_days: float | None = None
) -> tuple[Token, str]:
    """A new token; returns it with its secret, which is shown once and never stored.
    ``expires_in_days``: the token stops working that long from now (None: when revoked)."""
    try:
        role = Role(role)
    except ValueError as exc:
        raise InvalidArgument(f"unknown role {role!r}; roles: {', '.join(r.value for r in Role)}") from exc
    if not name.strip():
        raise InvalidArgument("a token needs a name (whose it is)")
    secret = PREFIX + secrets.token_urlsafe(32)
    digest = hash_secret(secret)
    if expires_in_days is not None and not 0 < expires_in_days <= 3650:
        raise InvalidArgument("a token expires between a moment and ten years from now (expires in days: > 0, <= 3650)")
    now = datetime.now(timezone.utc)
    expires = now + timedelta(days=expires_in_days) if expires_in_days is not None else None
    token = Token(stable_id("tok", digest), workspace_id, name.strip(), role, digest, now, None, expires)
    with store.atomic():
        store.add_token(token)
    return token, secret


def authenticate(store: Store, secret: str) -> Token | None:
    """The live token for ``secret``, or None (unknown, malformed, revoked or expired)."""
    token, _ = check_token(store, secret)
    return token


def check_token(store: Store, secret: str, now: datetime | None = None) -> tuple[Token | None, str]:
    """``(token, "")`` for a live token, else ``(None, why not)``: unknown, malformed, revoked or expired."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None, "malformed bearer token"
    digest = hash_secret(secret)
    token = store.token_by_hash(digest)
    if token is None or not hmac.compare_digest(token.secret_hash, digest):
        return None, "unknown bearer token"
    if token.revoked_at is not None:
        return None, "this bearer token was revoked"
    if token.expires_at is not None and token.expires_at <= (now or datetime.now(timezone.utc)):
        return None, f"this bearer token expired at {token.expires_at.isoformat(timespec='seconds')}"
    return token, ""


def check_token_id(store: Store, workspace_id: str, token_id: str, now: datetime | None = None) -> tuple[Token | None, str]:
    """``check_token`` for a token already authenticated (an open WebSocket re-checks its token by id on
    every operation): ``(token, "")`` while it lives, else ``(None, why not)``: revoked, expired or gone."""
    token = next((t for t in store.list_tokens(workspace_id) if t.id == token_id), None)
    if token is None:
        return None, "this bearer token no longer exists"
    if token.revoked_at is not None:
        return None, "this bearer token was revoked"
    if token.expires_at is not None and token.expires_at <= (now or datetime.now(timezone.utc)):
        return None, f"this bearer token expired at {token.expires_at.isoformat(timespec='seconds')}"
    return token, ""


def revoke_token(store: Store, workspace_id: str, token_id: str) -> None:
    with store.atomic():
        if not store.revoke_token(workspace_id, token_id, datetime.now(timezone.utc)):
            raise NotFound(f"no live token {token_id!r} in this workspace")
