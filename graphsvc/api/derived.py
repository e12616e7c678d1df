"""Whole analytics lists kept on the tie view they were computed from, so that paging costs one computation.

``brokers`` ranks everybody by betweenness, ``communities`` runs Louvain, ``neglectedTies``
scores every member's ties: the whole list is needed to know its ``totalCount`` and where a
cursor stands in it. A view is fixed (one data version, one ``asOf``) and the service keeps a few
of them, so the list computed for the first page answers the next pages of the same view.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Callable, Hashable, TypeVar

from graphsvc.analytics.strength import TieView

T = TypeVar("T")

#: Lists kept per view and per kind of list (clients choose seeds and members: the memory stays bounded).
KEEP = 4


def per_view(view: TieView, family: str, arguments: Hashable, compute: Callable[[], T]) -> T:
    """``compute()`` once per ``view`` and ``arguments`` (the last ``KEEP`` of each ``family``).

    Two requests racing for the same list may both compute it; they get equal lists.
    """
    kept: OrderedDict[Hashable, object] = view.cache.setdefault(("api", family), OrderedDict())  # type: ignore[assignment]
    try:
        found = kept[arguments]
    except KeyError:
        found = compute()
        kept[arguments] = found
        while len(kept) > KEEP:
            try:
                kept.popitem(last=False)
            except KeyError:  # another thread emptied it meanwhile
                break
    return found  # type: ignore[return-value]
