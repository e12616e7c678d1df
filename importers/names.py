"""Splitting the names people type into first and last, keeping what they typed."""

from __future__ import annotations

import functools

from nameparser import HumanName


@functools.lru_cache(maxsize=65536)
def split_name(full: str) -> tuple[str, str]:
    """``"Dr. Ana María Ruiz, PhD"`` -> ``("Ana", "Ruiz")``; credentials and titles dropped.

    >>> split_name("Lee Chen, PhD")
    ('Lee', 'Chen')
    """
    parsed = HumanName(full.strip())
    return parsed.first, parsed.last
