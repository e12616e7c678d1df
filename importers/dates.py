"""Per-source date parsing with explicit formats first (see export-formats.md §9).

dateutil is only a fallback and never with ``fuzzy=True`` (which silently invents days).
Naive results are taken as UTC: the exports we read give dates without zones.
"""

from __future__ import annotations

import functools
from datetime import datetime, timezone

from dateutil import parser as dateutil_parser

LINKEDIN_CONNECTED_ON = ("%d %b %Y", "%d-%b-%y", "%d-%b-%Y", "%Y-%m-%d")
GENERIC = (
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    # Dotted dates are day-first wherever they are written (de, fr-CH, ru, pl, ...): dateutil
    # alone would read 05.03.2024 as May 3.
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%d %b %Y",
    "%d %B %Y",
    "%b %d, %Y",
    "%B %d, %Y",
)


@functools.lru_cache(maxsize=8192)  # a file repeats its dates (connections made the same day) and strptime is slow
def parse_date(value: str, formats: tuple[str, ...] = GENERIC, *, fallback: bool = True) -> datetime | None:
    """Parse ``value`` or return None when it is empty or unparseable.

    >>> parse_date("08 Feb 2026", LINKEDIN_CONNECTED_ON).isoformat()
    '2026-02-08T00:00:00+00:00'
    >>> parse_date("7-Feb-22", LINKEDIN_CONNECTED_ON).date().isoformat()
    '2022-02-07'
    """
    value = value.strip().replace("\u202f", " ")
    if not value:
        return None
    for fmt in formats:
        try:
            return _utc(datetime.strptime(value, fmt))
        except ValueError:
            continue
    if not fallback:
        return None
    try:
        return _utc(dateutil_parser.parse(value))
    except (ValueError, OverflowError):
        return None


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)
