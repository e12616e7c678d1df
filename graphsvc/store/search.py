"""What people search matches, the same on every store.

A record is found by the folded text (``graphsvc.identity.normalise.fold``: case and accents folded,
punctuation to spaces) of its names, emails, organization and LinkedIn URL; a search is folded
the same way and matches where it is a substring of that text. "Muller" finds "Zoë Müller",
"sofia@finlytics.io" finds ``sofia@finlytics.io`` (both fold to ``sofia finlytics io``), and a
record merged into another person finds that person (stores search records, then map each hit
to the person it is part of).

The fields are joined by ``" | "``: a folded search never holds ``|``, so it never matches
across two fields (the end of an organization and the start of an email).

A search is also aware of nicknames (``search_variants``): each word of it that is a given name
is replaced, one at a time, by the names the ``nicknames`` package relates to it (its nicknames
and the formal names it stands for: "jonathan" -> jon, john, jonny, ...; "jon" -> jonathan, john,
...). A variant matches only where the substituted name is a whole word ("jonathan" finds "Jon
Meyer" but not "Jones"), and a record matches the search if it matches the search itself or any
variant. The variants are few (at most ``MAX_VARIANTS``), each answered by the same index.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any, Iterable

from graphsvc.identity.normalise import fold

__all__ = [
    "MIN_INDEXED", "folded_search", "like_pattern", "matches", "record_text", "record_text_json", "search_variants", "trigram_phrase",
]

#: The shortest folded search a trigram index can answer; shorter ones are matched by scanning.
MIN_INDEXED = 3
#: The most nickname variants one search is expanded into.
MAX_VARIANTS = 24
SEPARATOR = " | "


_NOT_WORD = re.compile(r"[^\w]+")


def _fold(text: str) -> str:
    """``fold(text)``; ASCII text (most of it) without the Unicode decomposition, which changes
    nothing there (ASCII is its own NFKD and has no combining marks; its casefold is lower)."""
    if text.isascii():
        return " ".join(_NOT_WORD.sub(" ", text.lower()).split())
    return fold(text)


def record_text(display_name: str, first_name: str, last_name: str, organization: str, emails: Iterable[str], linkedin_url: str) -> str:
    """The folded text a record is searched by: its display name, first and last name, organization,
    emails and LinkedIn URL (each once, empty ones left out)."""
    parts = [display_name, f"{first_name} {last_name}", organization, *emails, linkedin_url]
    return SEPARATOR.join(dict.fromkeys(f for f in map(_fold, parts) if f))


def record_text_json(display_name: str, first_name: str, last_name: str, organization: str, emails_json: str, linkedin_url: str) -> str:
    """``record_text`` with the emails as the JSON list SQLite keeps them in (its SQL function)."""
    return record_text(display_name or "", first_name or "", last_name or "", organization or "", json.loads(emails_json or "[]"), linkedin_url or "")


def folded_search(search: str) -> str:
    """The search as ``record_text`` holds text; "" when nothing is left to match (only punctuation)."""
    return _fold(search)


def trigram_phrase(folded: str) -> str:
    """An FTS5 phrase matching ``folded`` as a substring under the trigram tokenizer."""
    return '"' + folded.replace('"', '""') + '"'


def like_pattern(folded: str) -> str:
    """A ``LIKE ... ESCAPE '\\'`` pattern matching ``folded`` anywhere (``_`` is a word character to fold)."""
    return "%" + folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


@functools.lru_cache(maxsize=1)
def _nicknamer() -> Any:
    from nicknames import NickNamer

    return NickNamer()


@functools.lru_cache(maxsize=4096)
def search_variants(folded: str) -> tuple[tuple[str, str], ...]:
    """The nickname variants of a folded search, each ``(phrase, needle)``: ``phrase`` is the
    search with one given name replaced (what an index finds candidates by, a substring of the
    record text), ``needle`` the same with a space where the replaced name must end a word; a
    record matches the variant where ``needle`` is in ``" " + text + " "``. Sorted; none for a
    search without given names."""
    words = folded.split(" ")
    found: set[tuple[str, str]] = set()
    namer = _nicknamer()
    for i, word in enumerate(words):
        if len(word) < 2 or not word.isalpha() or not word.isascii():
            continue
        for name in sorted(namer.nicknames_of(word) | namer.canonicals_of(word)):
            if name == word or not name.isalpha():
                continue
            phrase = " ".join([*words[:i], name, *words[i + 1:]])
            needle = (" " if i == 0 else "") + phrase + (" " if i == len(words) - 1 else "")
            found.add((phrase, needle))
    return tuple(sorted(found, key=lambda v: (len(v[0]), v))[:MAX_VARIANTS])


def matches(text: str, folded: str) -> bool:
    """Whether a record's ``record_text`` matches the folded search, or one of its nickname variants."""
    if folded in text:
        return True
    padded = f" {text} "
    return any(needle in padded for _, needle in search_variants(folded))
