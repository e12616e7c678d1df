"""The evidence arrays persisted beside the store: a new process loads them instead of reading
every row, and a fresh store, a stale file and a corrupt file all give the store's answers."""

from __future__ import annotations

import os
from dataclasses import replace
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from graphsvc.analytics import evidence_cache
from graphsvc.analytics.evidence_cache import EvidenceCache, load_snapshot
from graphsvc.analytics.view import tie_view
from graphsvc.service import Graphsvc
from graphsvc.settings import Settings
from graphsvc.snapshot import build_snapshot
from tests import scenario
from tests.test_scenario import _import_all

AS_OF = datetime(2026, 11, 1, tzinfo=timezone.utc)


@pytest.fixture()
def imported(tmp_path: Path) -> tuple[Graphsvc, str]:
    service = Graphsvc(Settings(data_dir=tmp_path / "data"))
    ws = _import_all(service, scenario.write_scenario(tmp_path / "files"))
    return service, ws


def _summary(service: Graphsvc, ws: str, snap: object) -> list[object]:
    view = tie_view(snap, AS_OF)  # type: ignore[arg-type]
    people = sorted(view.snap.people)
    ties = [(p, o, round(s, 12)) for p in people for o, s in view.ties_of(p)]
    explained = [(p, o, view.tie(p, o)) for p, o, _ in ties[:200]]
    return [
        sorted(view.snap.members), people, ties, explained,
        {e: sorted(a) for e, a in view.snap.attendees.items()}, dict(view.snap.event_size),
        {p: view.snap.organization.get(p) for p in people}, sorted(view.snap.events.items()),
        sorted((k, [(f.kind, f.channel, f.at, f.direction) for f in v]) for k, v in view.snap.facts.items()),
        {p: sorted(view.snap.contacts.get(p, ())) for p in people},
    ]


def test_a_loaded_snapshot_answers_as_the_store_does(imported: tuple[Graphsvc, str]) -> None:
    service, ws = imported
    built = build_snapshot(service.store, ws)
    service.snapshots.snapshot(ws)  # builds and writes the file
    path = service.snapshots.path(ws)
    assert path is not None and path.exists() and path.parent.name.endswith(".evidence")
    loaded = load_snapshot(path, service.raw_store.store_id(), ws, service.store.data_version(ws))
    assert loaded is not None and loaded is not built
    assert _summary(service, ws, loaded) == _summary(service, ws, built)


def test_a_new_process_loads_the_file_instead_of_reading_the_store(imported: tuple[Graphsvc, str], monkeypatch: pytest.MonkeyPatch) -> None:
    service, ws = imported
    service.snapshots.snapshot(ws)
    fresh = EvidenceCache(service.store, service.snapshots.directory)
    monkeypatch.setattr(evidence_cache, "build_snapshot", lambda *a, **k: pytest.fail("read the store"))
    assert fresh.snapshot(ws).version == service.store.data_version(ws)


def test_a_stale_file_is_rebuilt_after_a_write(imported: tuple[Graphsvc, str]) -> None:
    service, ws = imported
    before = service.snapshots.snapshot(ws)
    member, tara = service.record_interaction(ws, "Tara Voss", "call", at=AS_OF)
    after = EvidenceCache(service.store, service.snapshots.directory).snapshot(ws)  # as a new process would
    assert after.version == before.version + 1 or after.version > before.version
    assert any(f.kind == "call" for f in after.pair_facts(member, tara))
    assert not any(f.kind == "call" and f.at == AS_OF for f in before.pair_facts(member, tara))


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "empty"])
def test_a_corrupt_file_is_rebuilt(imported: tuple[Graphsvc, str], damage: str) -> None:
    service, ws = imported
    expected = _summary(service, ws, service.snapshots.snapshot(ws))
    path = service.snapshots.path(ws)
    assert path is not None
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "flip":  # a byte inside the arrays: the zip still reads, the checksum does not hold
        middle = len(data) // 2
        path.write_bytes(data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :])
    elif damage == "garbage":
        path.write_bytes(b"not a numpy file at all")
    else:
        path.write_bytes(b"")
    fresh = EvidenceCache(service.store, service.snapshots.directory)
    assert _summary(service, ws, fresh.snapshot(ws)) == expected
    assert load_snapshot(path, service.raw_store.store_id(), ws, service.store.data_version(ws)) is not None  # rewritten


def test_another_database_with_the_same_versions_never_takes_the_file(tmp_path: Path) -> None:
    files = scenario.write_scenario(tmp_path / "files")
    first = Graphsvc(Settings(data_dir=tmp_path / "one"))
    ws = _import_all(first, files)
    first.snapshots.snapshot(ws)
    path = first.snapshots.path(ws)
    assert path is not None
    second = Graphsvc(Settings(data_dir=tmp_path / "two"))
    assert second.raw_store.store_id() != first.raw_store.store_id()
    assert load_snapshot(path, second.raw_store.store_id(), ws, first.store.data_version(ws)) is None


def test_the_cli_answers_from_the_file_in_a_new_process(imported: tuple[Graphsvc, str], tmp_path: Path) -> None:
    service, ws = imported
    service.snapshots.snapshot(ws)
    path = service.snapshots.path(ws)
    assert path is not None
    stamp = path.stat().st_mtime_ns
    env = {**os.environ, "GRAPHSVC_DATA_DIR": str(service.settings.data_dir)}
    done = subprocess.run(
        [sys.executable, "-m", "graphsvc", "intro", "Tara Voss", "--as-of", AS_OF.date().isoformat(), "--json"],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert '"status": "FOUND"' in done.stdout
    assert path.stat().st_mtime_ns == stamp  # loaded, not rewritten


class _WithoutColumnRead:
    """The store seen through ``get_people`` only (as a store without ``organizations_of``)."""

    def __init__(self, store: object) -> None:
        self._store = store

    def __getattr__(self, name: str) -> object:
        if name == "organizations_of":
            raise AttributeError(name)
        return getattr(self._store, name)


def test_organizations_read_from_the_column_equal_those_of_whole_people(imported: tuple[Graphsvc, str]) -> None:
    service, ws = imported
    people = service.store.search_people(ws, None, 100)
    with_org = [p for p in people if p.organization and not p.is_member and not p.linkedin_url]
    assert len(with_org) >= 4
    blank = replace(with_org.pop(), organization="")
    with service.raw_store.atomic():
        service.raw_store.update_person(ws, blank)
    without = [blank]
    # a survivor without an organization borrows its merged record's; one with its own keeps it
    service.merge_people(ws, without[0].id, with_org[0].id)
    service.merge_people(ws, with_org[1].id, with_org[2].id)
    fast = build_snapshot(service.store, ws)
    slow = build_snapshot(_WithoutColumnRead(service.store), ws)  # type: ignore[arg-type]
    assert fast.organization == slow.organization and fast.organization_key == slow.organization_key
    assert fast.organization[without[0].id] == with_org[0].organization
    assert fast.organization[with_org[1].id] == with_org[1].organization
