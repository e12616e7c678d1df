"""Text from imported files, made safe to print on a terminal with rich.

Names, titles, reasons and file names come from files anyone can write. Printed as they are, ``[/]``
is rich markup (a closing tag with nothing open: rich raises ``MarkupError``) and ``\\x1b[2J`` an
escape sequence the terminal obeys. ``safe(value)`` is the one way the CLI prints such text: control
characters (C0, DEL, C1) and the bidirectional overrides that can reorder what is shown become visible
``\\xNN`` / ``\\u....`` escapes (a tab a space), and what is left has its markup escaped.
"""

from __future__ import annotations

import re
from typing import Any

from rich.markup import escape

#: C0 and C1 control characters, DEL, and the bidirectional embeddings, overrides and isolates.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    if char == "\t":
        return " "
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def plain(value: Any) -> str:
    """``value`` as text with every control character shown as an escape (for plain, non-rich output)."""
    return _CONTROL.sub(_visible, "" if value is None else str(value))


def safe(value: Any) -> str:
    """``value`` as text to put inside a rich markup string: no control characters, markup escaped."""
    return escape(plain(value))
