"""Importers: bytes in, typed source records out. They know nothing about storage.

``detect(source)`` picks the importer by content; ``get(name)`` honours an explicit ``--format``.
Every module of this package that defines ``IMPORTERS`` (a tuple of importer instances) is
registered, in module-name order: adding a format is adding a module. The modules are
imported the first time the registry is needed (``IMPORTERS``, ``get``, ``detect``,
``describe_formats``), so that ``import importers`` (for ``ImportOptions``, the record types)
stays cheap for programs that never parse a file.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from typing import Any

from graphsvc.errors import UnrecognisedFormat

from importers.base import Importer, ImportOptions
from importers.records import Attendance, Connection, EventRef, Link, ParsedRow, ParsedSource, PersonRef, Rejected, Skipped
from importers.source import Source

__all__ = [
    "Attendance",
    "Connection",
    "EventRef",
    "ImportOptions",
    "Importer",
    "Link",
    "ParsedRow",
    "ParsedSource",
    "PersonRef",
    "Rejected",
    "Skipped",
    "Source",
    "describe_formats",
    "detect",
    "get",
    "IMPORTERS",
]



def _discover() -> dict[str, Importer]:
    found: dict[str, Importer] = {}
    for module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
        for importer in getattr(importlib.import_module(f"{__name__}.{module}"), "IMPORTERS", ()):
            if importer.name in found:
                raise RuntimeError(f"two importers are called {importer.name!r}")
            found[importer.name] = importer
    return found


_registry: dict[str, Importer] | None = None
_registry_lock = threading.RLock()


def _importers() -> dict[str, Importer]:
    """Every registered importer by name, discovered on first use."""
    global _registry
    if _registry is None:
        with _registry_lock:
            if _registry is None:
                _registry = _discover()
    return _registry


def __getattr__(name: str) -> Any:
    # ``IMPORTERS`` (PEP 562): importing every format module is deferred until someone asks.
    if name == "IMPORTERS":
        return _importers()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


ALIASES = {
    "attendees": "signin_sheet", "signin": "signin_sheet", "linkedin_connections": "linkedin", "twitter": "x",
    "calendar": "ics", "ical": "ics", "email": "mbox", "contacts": "google_contacts", "vcf": "vcard",
}


def describe_formats() -> str:
    return "; ".join(f"{name} ({imp.description})" for name, imp in _importers().items())


def get(name: str) -> Importer:
    key = ALIASES.get(name.strip().lower().replace("-", "_"), name.strip().lower().replace("-", "_"))
    registry = _importers()
    if key not in registry:
        raise UnrecognisedFormat(f"unknown format {name!r}; formats understood: {describe_formats()}")
    return registry[key]


def detect(source: Source) -> Importer:
    """The importer most confident it understands ``source``, or ``UnrecognisedFormat``."""
    registry = _importers()
    scored = sorted(((imp.sniff(source), name) for name, imp in registry.items()), reverse=True)
    if not scored or scored[0][0] <= 0:
        raise UnrecognisedFormat(
            f"{source.name}: not a format graphsvc understands; formats understood: {describe_formats()}"
        )
    return registry[scored[0][1]]
