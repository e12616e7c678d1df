"""The evidence arrays persisted beside the store, so a new process starts from them.

Reading a team's whole evidence from the store (every connection, attendance and person) takes
seconds; loading the arrays it becomes takes milliseconds. ``EvidenceCache.snapshot`` gives a
workspace's snapshot at its current data version:

1. from memory, when this process built or loaded it already;
2. else from ``<directory>/<store>-<workspace>.npz``, when the file's header names this store
   (``Store.store_id``), this workspace and this data version, and its checksum holds;
3. else, when all that changed since the version in memory or in the file is evidence and
   records added, updated or merged (an import, a logged interaction, an introduction's
   outcome: the store says so, ``changes_since``), by growing those arrays with the new rows
   and the touched people's organizations (``EvidenceArrays.grown``): no row of the store is
   read again;
4. else by reading the store (``read_snapshot``: its evidence streamed into columns, never
   into per-pair Python objects; ``build_snapshot`` stays the reference the tests compare with).

After 3 or 4 the file is written anew (to a temporary name, then renamed: a reader never sees
half a file).

A missing, stale, truncated or corrupt file is never an error, only a rebuild. A snapshot loaded
from a file is the same snapshot: its mappings (facts, attendees, contacts...) are views over
the arrays, materialised per key when asked (``ArraySnapshot``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import zipfile
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta, timezone
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from graphsvc.analytics.evidence import DIRECTIONS, EPOCH, KINDS, EvidenceArrays
from graphsvc.model import Event
from graphsvc.snapshot import Fact, Pair, Snapshot
from graphsvc.store.protocol import Store

__all__ = ["EvidenceCache", "load_snapshot", "read_snapshot", "save_snapshot"]

logger = logging.getLogger(__name__)

#: Bump when the file's layout or the meaning of an array changes: older files are rebuilt.
FORMAT = 1
_ARRAYS = (
    "members", "event_size", "event_at", "event_dated", "person_events_ptr", "person_events", "event_people_ptr",
    "event_people", "organization", "organization_ptr", "organization_people", "pair_a", "pair_b", "partner_ptr",
    "partner", "partner_pair", "mutual", "fact_pair", "fact_kind", "fact_channel", "fact_at", "fact_dated",
    "fact_direction", "fact_offset", "written_organization",
)
_LISTS = ("ids", "event_ids", "organization_keys", "channels", "written_organizations")


def _checksum(arrays: dict[str, np.ndarray]) -> str:
    digest = hashlib.sha256()
    for name in _ARRAYS:
        value = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}:{value.dtype.str}:{value.shape}".encode())
        digest.update(value.tobytes())
    return digest.hexdigest()


def save_snapshot(path: Path, snap: Snapshot, arrays: EvidenceArrays, store_id: str) -> None:
    """Write ``arrays`` (of ``snap``) and what the snapshot needs besides them to ``path``, atomically."""
    values = {name: getattr(arrays, name) for name in _ARRAYS}
    header = {
        "format": FORMAT,
        "store": store_id,
        "workspace": snap.workspace_id,
        "version": snap.version,
        "checksum": _checksum(values),
        "members": list(snap.members),
        "max_event_size": arrays.max_event_size,
        "max_organization_size": arrays.max_organization_size,
        "events": [
            [e.id, e.name, e.starts_at.isoformat() if e.starts_at else None, e.kind, e.source_format]
            for e in (snap.events[i] for i in arrays.event_ids if i in snap.events)
        ],
        **{name: getattr(arrays, name) for name in _LISTS},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(temporary, "wb") as handle:
            np.savez(handle, header=np.frombuffer(json.dumps(header).encode(), dtype=np.uint8), **values)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def load_snapshot(
    path: Path, store_id: str, workspace_id: str, version: int | None = None, *, newer_than: int = -1
) -> Snapshot | None:
    """The snapshot saved in ``path`` if it is this store's and workspace's, of data version
    ``version`` (any, when None: the caller may extend an older one) and newer than
    ``newer_than`` (an older one is not read past its header), and intact; None otherwise
    (missing, stale, another format, truncated or corrupt)."""
    try:
        with open(path, "rb") as handle, np.load(handle, allow_pickle=False) as data:
            header = json.loads(bytes(data["header"]).decode())
            if (header.get("format"), header.get("store"), header.get("workspace")) != (FORMAT, store_id, workspace_id):
                return None
            if version is not None and header.get("version") != version:
                return None
            if not isinstance(header.get("version"), int) or header["version"] <= newer_than:
                return None
            values = {name: data[name] for name in _ARRAYS}
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, UnicodeDecodeError) as exc:
        logger.warning("ignoring the unreadable evidence file %s: %s", path, exc)
        return None
    if _checksum(values) != header.get("checksum"):
        logger.warning("ignoring the evidence file %s: its checksum does not match", path)
        return None
    ids = header["ids"]
    arrays = EvidenceArrays(
        ids=ids, index={person: i for i, person in enumerate(ids)}, event_ids=header["event_ids"],
        organization_keys=header["organization_keys"], channels=header["channels"],
        written_organizations=header["written_organizations"], max_event_size=header["max_event_size"],
        max_organization_size=header.get("max_organization_size", 100), **values,
    )
    events = {
        e[0]: Event(e[0], e[1], datetime.fromisoformat(e[2]) if e[2] else None, e[3], e[4]) for e in header["events"]
    }
    return ArraySnapshot.of(arrays, workspace_id, int(header["version"]), tuple(header["members"]), events)


def read_snapshot(store: Store, workspace_id: str) -> Snapshot:
    """The workspace's snapshot read from the store into arrays in one pass (``EvidenceArrays.from_store``)."""
    version, members, events, arrays = EvidenceArrays.from_store(store, workspace_id)
    return ArraySnapshot.of(arrays, workspace_id, version, members, events)


class EvidenceCache:
    """Per workspace, the snapshot of the store's current data (memory, then file, then store)."""

    def __init__(self, store: Store, directory: Path | None) -> None:
        self.store = store
        self.directory = directory
        self._lock = threading.Lock()
        self._snapshots: dict[str, Snapshot] = {}
        self._store_id: str | None = None

    def path(self, workspace_id: str) -> Path | None:
        if self.directory is None:
            return None
        if self._store_id is None:
            self._store_id = self.store.store_id()
        name = hashlib.sha256(f"{self._store_id}\x1f{workspace_id}".encode()).hexdigest()[:24]
        return self.directory / f"{name}.npz"

    def snapshot(self, workspace_id: str) -> Snapshot:
        from graphsvc.analytics.view import evidence_arrays

        version = self.store.data_version(workspace_id)
        with self._lock:
            cached = self._snapshots.get(workspace_id)
            if cached is not None and cached.version == version:
                return cached
            path = self.path(workspace_id)
            # the file may be newer than memory (another process, e.g. `graphsvc import`, wrote it)
            known = cached.version if cached is not None and cached.version <= version else -1
            saved = load_snapshot(path, self._store_id or "", workspace_id, newer_than=known) if path is not None else None
            if saved is not None and saved.version == version:
                self._snapshots[workspace_id] = saved
                return saved
            older = [s for s in (cached, saved) if s is not None and s.version < version]
            base = max(older, key=lambda s: s.version) if older else None
            snap = self._extended(base, workspace_id) if base is not None else None
            if snap is None:
                snap = read_snapshot(self.store, workspace_id)
            if path is not None:
                try:
                    save_snapshot(path, snap, evidence_arrays(snap), self._store_id or "")
                except OSError as exc:  # a read-only data dir costs speed, never an answer
                    logger.warning("could not write the evidence file %s: %s", path, exc)
            self._snapshots[workspace_id] = snap
            return snap

    def _extended(self, base: Snapshot, workspace_id: str) -> Snapshot | None:
        """``base`` grown by what happened since its version, when that was only evidence and
        records added, updated or merged (an import, a logged interaction: the store's
        ``changes_since``); None otherwise (the store cannot tell, something else changed, or the
        arrays cannot follow it: ``EvidenceArrays.grown``)."""
        from graphsvc.analytics.view import evidence_arrays

        since = getattr(self.store, "changes_since", None)
        changes = since(workspace_id, base.version) if since is not None else None
        if changes is None:
            return None
        arrays = evidence_arrays(base)
        members = tuple(self.store.member_ids(workspace_id))
        if not changes.evidence and not changes.records and members == tuple(base.members):
            return ArraySnapshot.of(arrays, workspace_id, changes.version, base.members, dict(base.events))
        # the organization of everyone touched, and of everyone the arrays will hold for the first time
        index = arrays.index
        arriving = {p for ev in changes.evidence for p in (ev.person_a, ev.person_b) if p and p not in index}
        touched = sorted(changes.records | arriving | {m for m in members if m not in index})
        read = getattr(self.store, "organizations_of", None)
        written = read(workspace_id, touched) if read is not None else None
        if written is None:
            written = {pid: p.organization for pid, p in self.store.get_people(workspace_id, touched).items()}
        organizations = {person: written.get(person) for person in touched}
        event_ids = set(arrays.event_ids).union(ev.event_id for ev in changes.evidence if ev.event_id)
        events = self.store.get_events(workspace_id, sorted(event_ids))
        grown = arrays.grown(changes.evidence, organizations, changes.absorbed, members, events)
        if grown is None:
            return None
        return ArraySnapshot.of(grown, workspace_id, changes.version, members, events)


# ---------------------------------------------------------------------------------------------
# A snapshot whose mappings are views over the arrays


def _when(micros: int, offset: int) -> datetime:
    moment = EPOCH + timedelta(microseconds=micros)
    return moment.astimezone(timezone(timedelta(seconds=offset))) if offset else moment


class _Facts(Mapping[Pair, list[Fact]]):
    def __init__(self, a: EvidenceArrays, contacts: Mapping[str, set[str]]) -> None:
        self.a = a
        self.contacts = contacts  # the cheap way to know a pair has no direct evidence
        self._starts = np.searchsorted(a.fact_pair, np.arange(len(a.pair_a) + 1))

    def _facts(self, p: int) -> list[Fact]:
        a = self.a
        facts = []
        for row in range(int(self._starts[p]), int(self._starts[p + 1])):
            at = _when(int(a.fact_at[row]), int(a.fact_offset[row])) if a.fact_dated[row] else None
            facts.append(Fact(KINDS[a.fact_kind[row]], a.channels[a.fact_channel[row]], at, None, DIRECTIONS[a.fact_direction[row]]))
        return facts

    def __getitem__(self, key: Pair) -> list[Fact]:
        if key[1] not in self.contacts.get(key[0], ()):
            raise KeyError(key)
        first, second = self.a.index.get(key[0]), self.a.index.get(key[1])
        if first is None or second is None or first >= second:
            raise KeyError(key)
        p = int(self.a.pair_index(np.asarray([first]), np.asarray([second]))[0])
        if p < 0:
            raise KeyError(key)
        return self._facts(p)

    def __iter__(self) -> Iterator[Pair]:
        ids = self.a.ids
        return ((ids[x], ids[y]) for x, y in zip(self.a.pair_a.tolist(), self.a.pair_b.tolist()))

    def __len__(self) -> int:
        return len(self.a.pair_a)

    def items(self) -> Any:
        ids = self.a.ids
        return [((ids[x], ids[y]), self._facts(p)) for p, (x, y) in enumerate(zip(self.a.pair_a.tolist(), self.a.pair_b.tolist()))]


class _Rows(Mapping[str, set[str]]):
    """``key id -> set of ids`` from a CSR over integer keys."""

    def __init__(self, keys: list[str], index: dict[str, int], indptr: np.ndarray, values: np.ndarray, names: list[str]) -> None:
        self.keys_, self.index, self.indptr, self.values, self.names = keys, index, indptr, values, names
        self._sets: dict[str, set[str]] = {}  # at most one per key: analytics ask for the same people again and again

    def __getitem__(self, key: str) -> set[str]:
        found = self._sets.get(key)
        if found is not None:
            return found
        i = self.index.get(key)
        if i is None or self.indptr[i] == self.indptr[i + 1]:
            raise KeyError(key)
        names = self.names
        found = self._sets[key] = {names[v] for v in self.values[self.indptr[i] : self.indptr[i + 1]].tolist()}
        return found

    def __iter__(self) -> Iterator[str]:
        counts = np.diff(self.indptr)
        return (self.keys_[i] for i in np.flatnonzero(counts).tolist())

    def __len__(self) -> int:
        return int(np.count_nonzero(np.diff(self.indptr)))


class _Labels(Mapping[str, str]):
    """``person id -> label`` from a per-person index into ``labels`` (-1: none)."""

    def __init__(self, a: EvidenceArrays, which: np.ndarray, labels: list[str]) -> None:
        self.a, self.which, self.labels = a, which, labels

    def __getitem__(self, key: str) -> str:
        i = self.a.index.get(key)
        if i is None or self.which[i] < 0:
            raise KeyError(key)
        return self.labels[self.which[i]]

    def __iter__(self) -> Iterator[str]:
        ids = self.a.ids
        return (ids[i] for i in np.flatnonzero(self.which >= 0).tolist())

    def __len__(self) -> int:
        return int(np.count_nonzero(self.which >= 0))


class ArraySnapshot:
    """Builds a ``Snapshot`` whose mappings read the arrays (see the module docstring)."""

    @staticmethod
    def of(a: EvidenceArrays, workspace_id: str, version: int, members: tuple[str, ...], events: dict[str, Event]) -> Snapshot:
        event_index = {e: i for i, e in enumerate(a.event_ids)}
        contacts = _Rows(a.ids, a.index, a.partner_ptr, a.partner, a.ids)
        snap = Snapshot(
            workspace_id, version, members, set(a.ids), _Facts(a, contacts),  # type: ignore[arg-type]
            events=events,
            event_size=dict(zip(a.event_ids, a.event_size.tolist())),
            attendees=_Rows(a.event_ids, event_index, a.event_people_ptr, a.event_people, a.ids),  # type: ignore[arg-type]
            organization=_Labels(a, a.written_organization, a.written_organizations),  # type: ignore[arg-type]
            events_of=_Rows(a.ids, a.index, a.person_events_ptr, a.person_events, a.event_ids),  # type: ignore[arg-type]
            organization_key=_Labels(a, a.organization, a.organization_keys),  # type: ignore[arg-type]
            contacts=contacts,  # type: ignore[arg-type]
            max_event_size=a.max_event_size,
        )
        snap.derived["arrays"] = a
        return snap
