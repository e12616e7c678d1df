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

from importers import ImportOptions

from graphsvc.analytics import evidence_cache
from graphsvc.analytics.evidence_cache import EvidenceCache, load_snapshot
from graphsvc.analytics.view import evidence_arrays, tie_view
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
    monkeypatch.setattr(evidence_cache, "read_snapshot", lambda *a, **k: pytest.fail("read the store"))
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
    """The store seen through ``get_people`` and ``iter_evidence`` only (as a store without
    ``organizations_of`` and ``evidence_rows``, e.g. Neo4j's)."""

    def __init__(self, store: object) -> None:
        self._store = store

    def __getattr__(self, name: str) -> object:
        if name in ("organizations_of", "evidence_rows"):
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


def test_arrays_read_from_the_store_in_columns_equal_those_of_the_reference_snapshot(imported: tuple[Graphsvc, str]) -> None:
    """``EvidenceArrays.from_store`` (what the cache reads the store with) gives, array for array,
    what ``from_snapshot(build_snapshot(...))`` gives: merged records, a store without the
    organization column, members, events."""
    import dataclasses

    import numpy as np

    from graphsvc.analytics.evidence import EvidenceArrays

    service, ws = imported
    people = service.store.search_people(ws, None, 100)
    with_org = [p for p in people if p.organization and not p.is_member and not p.linkedin_url]
    service.merge_people(ws, with_org[0].id, with_org[1].id)
    from datetime import timedelta

    from graphsvc.model import Channel, Evidence, EvidenceKind, stable_id

    first, second = sorted(p.id for p in with_org[2:4])
    member = service.store.member_ids(ws)[0]
    merged = [  # one connection each to two records now one person: one is kept, the same one by every reader
        Evidence(stable_id("ev", ws, "connection", "linkedin", *sorted((member, record))), EvidenceKind.CONNECTION, Channel.LINKEDIN,
                 member, record, None, AS_OF - timedelta(days=days), "test", "mutual")
        for record, days in ((with_org[0].id, 3), (with_org[1].id, 40))
    ]
    one_way = [  # messages sent one way, each way round, and an undated one
        Evidence("ev-one-way-1", EvidenceKind.MESSAGE, Channel.EMAIL, first, second, None, AS_OF, "test", "forward"),
        Evidence("ev-one-way-2", EvidenceKind.MESSAGE, Channel.X, second, with_org[0].id, None, AS_OF, "test", "forward"),
        Evidence("ev-one-way-3", EvidenceKind.CALL, Channel.MANUAL, with_org[1].id, second, None, None, "test", "forward"),
    ]
    with service.raw_store.atomic():
        service.raw_store.add_evidence(ws, one_way + merged)
    for store in (service.store, _WithoutColumnRead(service.store)):
        version, members, events, arrays = EvidenceArrays.from_store(store, ws)  # type: ignore[arg-type]
        snap = build_snapshot(store, ws)  # type: ignore[arg-type]
        expected = EvidenceArrays.from_snapshot(snap)
        assert (version, members, events) == (snap.version, snap.members, snap.events)
        for field in dataclasses.fields(EvidenceArrays):
            got, want = getattr(arrays, field.name), getattr(expected, field.name)
            if isinstance(want, np.ndarray):
                assert got.dtype == want.dtype and np.array_equal(got, want), field.name
            else:
                assert got == want, field.name


# ----------------------------------------------------------------------------- extended, not rebuilt
def _same_answers(snap: object) -> list[object]:
    """What analytics read, with each pair's facts and each tie's parts in a canonical order (an
    extended snapshot lists a pair's new facts after its old ones, a rebuilt one by evidence id)."""
    view = tie_view(snap, AS_OF)  # type: ignore[arg-type]
    people = sorted(view.snap.people)
    ties = [(p, o, round(s, 12)) for p in people for o, s in view.ties_of(p)]
    explained = []
    members = set(view.snap.members)
    for i, (p, o, _) in enumerate(ties):
        if not (i % 20 == 0 or p in members or o in members or view.snap.contacts.get(p)):
            continue  # every tie a member or someone with direct evidence has, and a sample of the rest
        tie = view.tie(p, o)
        parts = sorted(repr(replace(c, facts=tuple(sorted(c.facts, key=repr)))) for c in tie.contributions)  # type: ignore[union-attr]
        explained.append((p, o, tie.strength, tie.level, parts))  # type: ignore[union-attr]
    return [
        sorted(view.snap.members), people, ties, explained,
        {e: sorted(a) for e, a in view.snap.attendees.items()}, dict(view.snap.event_size),
        sorted((k, sorted((f.kind, f.channel, str(f.at), f.direction) for f in v)) for k, v in view.snap.facts.items()),
        {p: sorted(view.snap.contacts.get(p, ())) for p in people},
    ]


def _rebuilds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = evidence_cache.read_snapshot

    def counted(store: object, workspace_id: str) -> object:
        calls.append(workspace_id)
        return real(store, workspace_id)  # type: ignore[arg-type]

    monkeypatch.setattr(evidence_cache, "read_snapshot", counted)
    return calls


def test_logged_interactions_extend_the_arrays_instead_of_rereading_the_store(
    imported: tuple[Graphsvc, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    service, ws = imported
    first = service.snapshots.snapshot(ws)
    rebuilds = _rebuilds(monkeypatch)
    people = sorted(first.people)
    member = service.store.member_ids(ws)[0]
    strangers = [p for p in people if p != member and not first.pair_facts(member, p)][:3]
    known = sorted(first.contacts.get(member, ()))[:1]
    service.record_interaction(ws, strangers[0], "met", at=AS_OF)  # a new pair
    service.record_interaction(ws, strangers[0], "message", at=AS_OF)  # the same pair again
    for other in known:
        service.record_interaction(ws, other, "call", at=AS_OF)  # a pair with evidence already
    service.record_interaction(ws, strangers[1], "introduction", at=AS_OF, member=strangers[2])  # two non-members
    service.set_do_not_ask(ws, strangers[2])  # a new data version that changes nothing the arrays hold
    extended = service.snapshots.snapshot(ws)  # in memory
    fresh = EvidenceCache(service.store, service.snapshots.directory).snapshot(ws)  # a new process: from the file
    assert rebuilds == []
    assert extended.version == fresh.version == service.store.data_version(ws) > first.version
    expected = _same_answers(build_snapshot(service.store, ws))
    assert _same_answers(extended) == expected
    assert _same_answers(fresh) == expected
    assert any(f.kind == "meeting" for f in extended.pair_facts(member, strangers[0]))


def test_an_older_file_is_extended_by_a_new_process(imported: tuple[Graphsvc, str], monkeypatch: pytest.MonkeyPatch) -> None:
    service, ws = imported
    service.snapshots.snapshot(ws)  # the file, at this version
    path = service.snapshots.path(ws)
    assert path is not None
    saved = path.read_bytes()
    member = service.store.member_ids(ws)[0]
    other = sorted(p for p in service.snapshots.snapshot(ws).people if p != member)[5]
    service.record_interaction(ws, other, "call", at=AS_OF)
    service.snapshots.snapshot(ws)
    path.write_bytes(saved)  # as if the process that logged it had not written the file
    rebuilds = _rebuilds(monkeypatch)
    fresh = EvidenceCache(service.store, service.snapshots.directory).snapshot(ws)
    assert rebuilds == []
    assert _same_answers(fresh) == _same_answers(build_snapshot(service.store, ws))


def test_connections_are_read_again_from_the_store(imported: tuple[Graphsvc, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Between merged records the store keeps one connection per pair and channel (by the
    connection's key, as imports write it): a connection is never appended, the store is read."""
    from graphsvc.model import Channel, Evidence, EvidenceKind, stable_id

    service, ws = imported
    service.snapshots.snapshot(ws)
    survivor_of = service.store.clusters(ws).survivor_of
    assert survivor_of, "the scenario merges records"
    record, person = sorted(survivor_of.items())[0]
    member = service.store.member_ids(ws)[0]
    assert person != member
    rebuilds = _rebuilds(monkeypatch)
    items = [
        Evidence(stable_id("ev", ws, "connection", channel.value, *sorted((member, r))), EvidenceKind.CONNECTION, channel,
                 member, r, None, AS_OF, "test", "mutual")
        for r in (record, person) for channel in (Channel.LINKEDIN, Channel.X)
    ]
    with service.store.atomic():
        service.store.add_evidence(ws, items)
    extended = service.snapshots.snapshot(ws)
    assert rebuilds == [ws]
    connections = [f.channel for f in extended.pair_facts(member, person) if f.kind == "connection"]
    assert sorted(connections) == sorted(set(connections)) and {"linkedin", "x"} <= set(connections)


def test_an_undone_import_rebuilds(imported: tuple[Graphsvc, str], monkeypatch: pytest.MonkeyPatch) -> None:
    service, ws = imported
    service.snapshots.snapshot(ws)
    rebuilds = _rebuilds(monkeypatch)
    member = service.store.member_ids(ws)[0]
    other = sorted(p for p in service.snapshots.snapshot(ws).people if p != member)[3]
    service.record_interaction(ws, other, "call", at=AS_OF)
    job = service.store.list_jobs(ws)[-1]
    service.undo_import(ws, job.id)  # removes evidence: the arrays cannot grow into that
    after_undo = service.snapshots.snapshot(ws)
    assert rebuilds == [ws]
    assert _same_answers(after_undo) == _same_answers(build_snapshot(service.store, ws))


def _same_arrays(grown: object, rebuilt: object) -> None:
    """Column for column what a rebuild reads, a pair's facts in any order."""
    import dataclasses

    import numpy as np

    from graphsvc.analytics.evidence import EvidenceArrays

    fact_columns = {"fact_pair", "fact_kind", "fact_channel", "fact_at", "fact_dated", "fact_direction", "fact_offset", "channels"}
    for field in dataclasses.fields(EvidenceArrays):
        if field.name in fact_columns:
            continue
        got, want = getattr(grown, field.name), getattr(rebuilt, field.name)
        if isinstance(want, np.ndarray):
            assert got.dtype == want.dtype and np.array_equal(got, want), field.name
        else:
            assert got == want, field.name

    def facts(a: EvidenceArrays) -> list[tuple[object, ...]]:
        return sorted(zip(a.fact_pair.tolist(), a.fact_kind.tolist(), [a.channels[c] for c in a.fact_channel.tolist()],
                          a.fact_at.tolist(), a.fact_dated.tolist(), a.fact_direction.tolist(), a.fact_offset.tolist()))

    assert facts(grown) == facts(rebuilt)  # type: ignore[arg-type]


def _sheet(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    path.write_text("Full Name,Email,Company\n" + "".join(f"{n},{e},{c}\n" for n, e, c in rows), encoding="utf-8")
    return path


def test_an_import_grows_the_arrays_instead_of_rereading_the_store(
    imported: tuple[Graphsvc, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Someone new, people already known (by their address), an organization shared with someone
    known: the arrays grow, and read as a rebuild of the store does, in memory and from the file."""
    service, ws = imported
    first = service.snapshots.snapshot(ws)
    rebuilds = _rebuilds(monkeypatch)
    sheet = _sheet(tmp_path / "breakfast.csv", [
        ("Nadia Newcombe", "nadia.newcombe@example.org", "Initech"),  # new, at the target's company
        ("Tara Voss", "tara.voss@initech.example", "Initech"),  # known
        ("Workshop Guest3", "guest3@workshop.example", "Studio 3"),  # known
        ("Aaron Early", "aaron.early@example.org", "Brightwater"),  # new, sorts before most ids
    ])
    service.import_file(ws, sheet, options=ImportOptions(event_name="Founders Breakfast", event_date="2026-10-02", event_kind="meetup"))
    grown = service.snapshots.snapshot(ws)
    fresh = EvidenceCache(service.store, service.snapshots.directory).snapshot(ws)  # a new process: the file written
    assert rebuilds == []
    assert grown.version == fresh.version == service.store.data_version(ws) > first.version
    assert len(grown.people) == len(first.people) + 2
    rebuilt = build_snapshot(service.store, ws)
    assert _same_answers(grown) == _same_answers(rebuilt) == _same_answers(fresh)
    _same_arrays(grown.derived["arrays"], evidence_arrays(rebuilt))
    # the same file again changes nothing: no new version, nothing to grow
    service.import_file(ws, sheet, options=ImportOptions(event_name="Founders Breakfast", event_date="2026-10-02", event_kind="meetup"))
    assert service.snapshots.snapshot(ws).version == grown.version and rebuilds == []


def _merge(service: Graphsvc, ws: str, a: str, b: str) -> None:
    """``merge_people``, also of two people with different single-valued accounts (which it
    refuses): these tests merge whom they like."""
    from graphsvc.identity import merging

    real = merging.score
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(merging, "score", lambda x, y: replace(real(x, y), conflict=""))
        service.merge_people(ws, a, b)


def _person_named(service: Graphsvc, ws: str, people: object, name: str) -> str:
    return next(p for p in sorted(people) if (found := service.store.get_people(ws, [p]).get(p)) and found.display_name == name)  # type: ignore[call-overload]


def test_merges_grow_the_arrays(imported: tuple[Graphsvc, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new record merged into someone known, then two people the arrays hold merged (a shared
    event counted once, their pairs moved onto the survivor): grown, as a rebuild reads them."""
    service, ws = imported
    first = service.snapshots.snapshot(ws)
    rebuilds = _rebuilds(monkeypatch)
    sheet = _sheet(tmp_path / "dinner.csv", [("T. Voss", "tvoss@home.example", "Initech Holdings"), ("Guest Three", "g3@home.example", "")])
    service.import_file(ws, sheet, options=ImportOptions(event_name="Dinner", event_date="2026-10-05", event_kind="dinner"))
    new_records = set(build_snapshot(service.store, ws).people) - set(first.people)
    target = _person_named(service, ws, first.people, "Tara Voss")
    newcomer = _person_named(service, ws, new_records, "T. Voss")
    _merge(service, ws, target, newcomer)  # a record the arrays never held joins someone they hold
    grown = service.snapshots.snapshot(ws)
    assert rebuilds == []
    assert newcomer not in grown.people and target in grown.people
    rebuilt = build_snapshot(service.store, ws)
    assert _same_answers(grown) == _same_answers(rebuilt)
    _same_arrays(grown.derived["arrays"], evidence_arrays(rebuilt))
    # two people the arrays hold, both at the workshop, one of them with a call and a message
    five = _person_named(service, ws, first.people, "Workshop Guest5")
    six = _person_named(service, ws, first.people, "Workshop Guest6")
    service.record_interaction(ws, six, "call", at=AS_OF)
    service.record_interaction(ws, six, "message", at=AS_OF, member=None)
    held = service.snapshots.snapshot(ws)
    _merge(service, ws, five, six)
    after = service.snapshots.snapshot(ws)
    assert rebuilds == []
    assert six not in after.people and len(after.people) == len(held.people) - 1
    rebuilt = build_snapshot(service.store, ws)
    assert _same_answers(after) == _same_answers(rebuilt)
    _same_arrays(after.derived["arrays"], evidence_arrays(rebuilt))


def test_merges_the_arrays_cannot_follow_rebuild(imported: tuple[Graphsvc, str], monkeypatch: pytest.MonkeyPatch) -> None:
    service, ws = imported
    first = service.snapshots.snapshot(ws)
    rebuilds = _rebuilds(monkeypatch)
    # both connected to the owner on LinkedIn: which connection the store keeps is its key's
    ada = _person_named(service, ws, first.people, "Ada Quinn")
    bruno = _person_named(service, ws, first.people, "Bruno Silva")
    _merge(service, ws, ada, bruno)
    merged = service.snapshots.snapshot(ws)
    assert rebuilds == [ws]
    assert _same_answers(merged) == _same_answers(build_snapshot(service.store, ws))
    # two people whose only evidence is with each other: merged, nobody is left to read
    from graphsvc.model import Channel, Evidence, EvidenceKind, Person, stable_id

    one, two = stable_id("p", ws, "only-one"), stable_id("p", ws, "only-two")
    with service.store.atomic():
        service.raw_store.add_people(ws, [Person(one, "Only One", organization="Solo Ltd"), Person(two, "Only Two")])
        service.raw_store.add_evidence(ws, [Evidence(stable_id("ev", ws, "only"), EvidenceKind.INTRODUCTION, Channel.MANUAL,
                                                     one, two, None, AS_OF, "test", "mutual")])
    assert {one, two} <= set(service.snapshots.snapshot(ws).people) and rebuilds == [ws]  # grown: two people arrive
    with service.store.atomic():
        service.raw_store.set_merged_into(ws, [two], one)
    alone = service.snapshots.snapshot(ws)
    assert rebuilds == [ws, ws] and one not in alone.people and two not in alone.people
    assert _same_answers(alone) == _same_answers(build_snapshot(service.store, ws))


def test_random_merges_grow_exactly_as_a_rebuild_reads_them(imported: tuple[Graphsvc, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Directed interactions among a dozen people, then merges of random pairs of them (pairs
    swap ends, meet, vanish): each merge's grown arrays equal a rebuild's, column for column."""
    import random

    from graphsvc.model import Channel, Evidence, EvidenceKind, stable_id

    service, ws = imported
    first = service.snapshots.snapshot(ws)
    rng = random.Random(5)
    member = service.store.member_ids(ws)[0]
    crowd = rng.sample(sorted(p for p in first.people if p != member), 12)
    kinds = [EvidenceKind.MESSAGE, EvidenceKind.CALL, EvidenceKind.MEETING, EvidenceKind.FOLLOW, EvidenceKind.ENDORSEMENT]
    items = []
    for i in range(60):
        a, b = rng.sample(crowd + [member], 2)
        at = datetime(2026, rng.randint(1, 10), rng.randint(1, 28), tzinfo=timezone.utc)
        items.append(Evidence(stable_id("ev", ws, "merges", str(i)), rng.choice(kinds), rng.choice([Channel.EMAIL, Channel.X]),
                              a, b, None, at, "test", rng.choice(["mutual", "forward"])))
    with service.store.atomic():
        service.store.add_evidence(ws, items)
    service.snapshots.snapshot(ws)
    rebuilds = _rebuilds(monkeypatch)
    for round_ in range(5):
        a, b = rng.sample(crowd, 2)
        crowd.remove(b)
        _merge(service, ws, a, b)
        grown = service.snapshots.snapshot(ws)
        assert rebuilds == [], f"merge {round_} rebuilt"
        rebuilt = build_snapshot(service.store, ws)
        assert _same_answers(grown) == _same_answers(rebuilt)
        _same_arrays(grown.derived["arrays"], evidence_arrays(rebuilt))


def test_random_imports_grow_exactly_as_a_rebuild_reads_them(
    imported: tuple[Graphsvc, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rounds of attendee lists (people known and new, organizations old and new, events new and
    seen before) and LinkedIn connections of the owner, each round's grown arrays equal to a
    rebuild's, column for column."""
    import random

    service, ws = imported
    service.snapshots.snapshot(ws)
    rng = random.Random(11)
    known = [("Tara Voss", "tara.voss@initech.example"), ("Ada Quinn", "ada@acme-robotics.example")]
    known += [(f"Workshop Guest{i}", f"guest{i}@workshop.example") for i in range(8)]
    known += [(f"Delegate{i} Number{i}", f"d{i}@conf.example") for i in range(0, 798, 37)]
    companies = ["Initech", "Globex Corp.", "Studio 2", "Brightwater", "Company 5", "Northwind", ""]
    rebuilds = _rebuilds(monkeypatch)
    made = 0
    for round_ in range(4):
        rows = [(n, e, rng.choice(companies)) for n, e in rng.sample(known, rng.randint(2, 8))]
        for _ in range(rng.randint(1, 6)):
            made += 1
            first_name = rng.choice(["Mira", "Jon", "Aiko", "Zed", "Bea", "Omar"])
            rows.append((f"{first_name} Newperson{made}", f"new{made}@example.org", rng.choice(companies)))
            known.append((rows[-1][0], rows[-1][1]))
        event = rng.choice(["Meetup A", "Meetup B", f"Round {round_}"])
        service.import_file(ws, _sheet(tmp_path / f"round{round_}.csv", rows),
                            options=ImportOptions(event_name=event, event_date=f"2026-10-{10 + round_:02d}", event_kind="meetup"))
        connections = tmp_path / f"Connections{round_}.csv"
        lines = ["First Name,Last Name,URL,Email Address,Company,Position,Connected On"]
        for i in range(rng.randint(1, 4)):
            made += 1
            lines.append(f"Link{made},Person,https://www.linkedin.com/in/link{made},,{rng.choice(companies)},Engineer,0{rng.randint(1, 9)} Mar 2025")
        connections.write_text("\n".join(lines) + "\n", encoding="utf-8")
        service.import_file(ws, connections, options=ImportOptions(owner=scenario.OWNER))
        grown = service.snapshots.snapshot(ws)
        assert rebuilds == [], f"round {round_} rebuilt"
        rebuilt = build_snapshot(service.store, ws)
        assert _same_answers(grown) == _same_answers(rebuilt)
        _same_arrays(grown.derived["arrays"], evidence_arrays(rebuilt))


def test_a_store_that_cannot_tell_what_changed_rebuilds(imported: tuple[Graphsvc, str], monkeypatch: pytest.MonkeyPatch) -> None:
    service, ws = imported
    service.snapshots.snapshot(ws)
    rebuilds = _rebuilds(monkeypatch)
    monkeypatch.setattr(type(service.raw_store), "changes_since", lambda self, w, v: None)
    member = service.store.member_ids(ws)[0]
    other = sorted(p for p in service.snapshots.snapshot(ws).people if p != member)[4]
    service.record_interaction(ws, other, "message", at=AS_OF)
    service.snapshots.snapshot(ws)
    assert rebuilds == [ws]


def test_random_interactions_extend_exactly_as_a_rebuild_reads_them(imported: tuple[Graphsvc, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Rounds of interactions of every kind and direction among a few people (triangles, so mutual
    contacts move; merged records, so people are seen through their records), each round's
    extended arrays answering as a rebuild of the store does."""
    import random

    from graphsvc.model import Channel, Evidence, EvidenceKind, stable_id

    service, ws = imported
    first = service.snapshots.snapshot(ws)
    rng = random.Random(7)
    records = sorted(service.store.clusters(ws).survivor_of)  # merged records: evidence names them, people are their survivors
    crowd = rng.sample(sorted(first.people), 12) + records[:2]
    kinds = [EvidenceKind.MESSAGE, EvidenceKind.CALL, EvidenceKind.MEETING, EvidenceKind.INTRODUCTION, EvidenceKind.FOLLOW, EvidenceKind.ENDORSEMENT]
    rebuilds = _rebuilds(monkeypatch)
    for round_ in range(3):
        items = []
        for i in range(25):
            a, b = rng.sample(crowd, 2)
            at = datetime(2026, rng.randint(1, 10), rng.randint(1, 28), rng.randint(0, 23), tzinfo=timezone.utc) if rng.random() < 0.9 else None
            items.append(Evidence(
                stable_id("ev", ws, "random", str(round_), str(i)), rng.choice(kinds), rng.choice([Channel.EMAIL, Channel.MANUAL, Channel.X]),
                a, b, None, at, "test", rng.choice(["mutual", "forward"]),
            ))
        with service.store.atomic():
            service.store.add_evidence(ws, items)
        extended = service.snapshots.snapshot(ws)
        assert rebuilds == []
        rebuilt = build_snapshot(service.store, ws)
        assert _same_answers(extended) == _same_answers(rebuilt)
        arrays, expected = extended.derived["arrays"], evidence_arrays(rebuilt)
        assert arrays.pair_keys.tolist() == expected.pair_keys.tolist() and arrays.mutual.tolist() == expected.mutual.tolist()
        assert arrays.mutual.sum() > 0 or round_ == 0
