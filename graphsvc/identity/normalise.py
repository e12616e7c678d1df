"""Normalised forms of the things people are recognised by: names, emails, phones, URLs, organizations."""

from __future__ import annotations

import functools
import re
import unicodedata
from urllib.parse import unquote

LEGAL_SUFFIXES = {
    "inc", "incorporated", "llc", "ltd", "limited", "gmbh", "corp", "corporation", "co", "plc", "sa", "ag", "bv",
    "nv", "srl", "sas", "pty", "oy", "ab", "as", "kk", "lp", "llp",
}


@functools.lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Case- and accent-folded, punctuation to spaces: ``"Tomás  O'Neil"`` -> ``"tomas o neil"``."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]+", " ", stripped.casefold()).split())


def normalise_email(value: str) -> str:
    return value.strip().strip("<>").casefold()


def normalise_phone(value: str, region: str = "US") -> str:
    """E.164 (``+14155550100``), or "" when the number is not valid. Numbers without a country
    code are read in ``region``."""
    import phonenumbers

    try:
        parsed = phonenumbers.parse(value, None if value.strip().startswith("+") else region)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(parsed):
        return ""
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def linkedin_slug(url: str) -> str:
    """``https://www.linkedin.com/in/Priya-Raman-4b1c2a/?trk=x`` -> ``priya-raman-4b1c2a``."""
    if not url:
        return ""  # most rows of most files: no regex search for them
    match = re.search(r"linkedin\.com/in/([^/?#\s]+)", url, flags=re.IGNORECASE)
    return unquote(match.group(1)).strip().casefold() if match else ""


def normalise_organization(value: str) -> str:
    words = fold(value).split()
    while words and words[-1] in LEGAL_SUFFIXES:
        words.pop()
    return " ".join(words)
