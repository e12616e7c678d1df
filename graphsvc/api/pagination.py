"""Relay-style connections: one shape for every list a client pages through.

A cursor is opaque to clients but names a position, not an offset: ``people`` cursors carry the
last person's id (the store pages by it), in-memory lists carry the last item's sort key. A
cursor therefore stays valid when items are added or removed before it, and one from another
list (or made up) is an ``INVALID_ARGUMENT``, never an internal error.
"""

from __future__ import annotations

import base64
import binascii
import json
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import Callable, Generic, Sequence, TypeVar

import strawberry

from graphsvc.errors import InvalidArgument
from graphsvc.service import MAX_PAGE

T = TypeVar("T")
Item = TypeVar("Item")
Key = tuple[object, ...]


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    """Named after its node type by strawberry: ``Connection[PersonType]`` is ``PersonConnection``."""

    edges: list[Edge[T]]
    page_info: PageInfo
    total_count: int

    @classmethod
    def of(cls, nodes: Sequence[T], cursors: Sequence[str], total: int, has_next: bool) -> "Connection[T]":
        edges = [Edge(cursor=c, node=n) for c, n in zip(cursors, nodes)]
        return cls(edges=edges, page_info=PageInfo(has_next_page=has_next, end_cursor=cursors[-1] if cursors else None), total_count=total)


def page_size(first: int) -> int:
    """``first`` as served: at most ``MAX_PAGE`` (larger asks are clamped, as ``people`` always did)."""
    if first < 0:
        raise InvalidArgument("first must be positive")
    return min(first, MAX_PAGE)


def encode_cursor(kind: str, value: str) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{value}".encode()).decode()


def decode_cursor(kind: str, cursor: str) -> str:
    """The value of a cursor of ``kind``; anything else (garbage, another list's cursor) is an error."""
    try:
        found, _, value = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
    except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
        raise InvalidArgument("invalid cursor") from exc
    if found != kind or not value:
        raise InvalidArgument("invalid cursor")
    return value


def _same_shape(position: list[object], sample: Key) -> bool:
    """Whether a cursor's key has the shape of this list's keys: as many parts, strings where strings are."""

    def part(value: object) -> str:
        return "number" if isinstance(value, (int, float)) and not isinstance(value, bool) else type(value).__name__

    return len(position) == len(sample) and all(part(p) == part(s) for p, s in zip(position, sample))


@dataclass(frozen=True)
class Page(Generic[Item]):
    items: list[Item]
    cursors: list[str]
    total: int
    has_next: bool


def paginate(
    items: Sequence[Item], key: Callable[[Item], Key], kind: str, first: int, after: str | None, *, descending: bool = False
) -> Page[Item]:
    """One page of ``items`` (already sorted by ``key``), after the position ``after`` names.

    The cursor is the sort key itself (JSON), so the page starts at the right place even when
    the item it came from has gone (a merged person, a tie that faded below ``minStrength``).
    ``descending``: ``items`` are sorted from the largest key to the smallest (most recent first).
    Keys are flat tuples of JSON scalars (a nested tuple would come back as a list).
    """
    size = page_size(first)
    start = 0
    if after:
        try:
            loaded = json.loads(decode_cursor(kind, after))
            if not isinstance(loaded, list) or (items and not _same_shape(loaded, key(items[0]))):
                raise InvalidArgument("invalid cursor")
            position = tuple(loaded)
            if descending:  # the first item whose key is below the position: the predicate is False, then True
                start = bisect_left(range(len(items)), True, key=lambda i: key(items[i]) < position)
            else:
                start = bisect_right(items, position, key=key)  # type: ignore[arg-type]
        except (ValueError, TypeError, RecursionError) as exc:  # not JSON, not a list, or a key of another shape
            raise InvalidArgument("invalid cursor") from exc
    chosen = list(items[start : start + size])
    cursors = [encode_cursor(kind, json.dumps(list(key(item)))) for item in chosen]
    return Page(chosen, cursors, len(items), start + size < len(items))
