"""The write buffer: an import batch's identity writes held in memory, answered from there, and
written to the store by one ``flush()`` in the batch's transaction (SQLite store); block sizes
kept by ``file_in_blocks``; a buffered batch resolves exactly as an unbuffered one."""

from __future__ import annotations

import sqlite3
from contextlib import closing, nullcontext
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from graphsvc.identity.records import Resolver
from graphsvc.model import Event, Person, Sighting
from graphsvc.store import SQLiteStore
from graphsvc.store.write_buffer import WriteBuffer
from importers.records import PersonRef

IDENTITY_TABLES = ("persons", "person_keys", "sightings", "events", "person_blocks", "block_sizes")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "g.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[SQLiteStore]:
    s = SQLiteStore(db_path)
    yield s
    s.close()


@pytest.fixture
def ws(store: SQLiteStore) -> str:
    return store.workspace("a").id


def stored_rows(path: Path) -> dict[str, list[tuple]]:
    """Every row of the identity tables, read through a connection of its own (so: what is committed)."""
    with closing(sqlite3.connect(path)) as db:
        return {table: sorted(db.execute(f"SELECT * FROM {table}")) for table in IDENTITY_TABLES}


def spy(monkeypatch: pytest.MonkeyPatch, store: SQLiteStore, name: str) -> list[tuple]:
    """The arguments of every call of ``store.<name>`` from now on (the calls still go through)."""
    calls: list[tuple] = []
    real = getattr(store, name)

    def wrapper(*args: Any) -> Any:
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(store, name, wrapper)
    return calls


def sighting(person_id: str, row: int, name: str = "") -> Sighting:
    return Sighting(person_id, "job_1", "csv", "batch.csv", row, name or person_id, "", "", "", "")


ANA = Person("p_ana", "Ana Ruiz", first_name="Ana", last_name="Ruiz")
WORKSHOP = Event("evt_1", "Workshop", None, "workshop", "csv")


class Boom(Exception):
    pass


# ------------------------------------------------------------------------------------------
# reads and writes before flush


def test_nothing_reaches_the_store_before_flush(store: SQLiteStore, ws: str) -> None:
    buffer = WriteBuffer(store, ws)
    with store.atomic():
        buffer.add_person(ws, ANA)
        assert buffer.add_key(ws, "email", "ana@x.example", "p_ana") is True
        buffer.add_sighting(ws, sighting("p_ana", 1))
        buffer.add_event(ws, WORKSHOP)
        buffer.add_blocks(ws, "p_ana", ["n:ana|ruiz"])
        assert buffer.person_for_key(ws, "email", "ana@x.example") == "p_ana"
        assert buffer.get_people(ws, ["p_ana"]) == {"p_ana": ANA}
        # the store's own connection, which would see the transaction's uncommitted writes, sees none
        assert store.person_for_key(ws, "email", "ana@x.example") is None
        assert store.get_people(ws, ["p_ana"]) == {} and store.sightings(ws, "p_ana") == []
        assert store.get_events(ws, ["evt_1"]) == {} and store.people_in_blocks(ws, ["n:ana|ruiz"]) == {}
        assert store.data_version(ws) == 0
        buffer.flush()
        assert store.person_for_key(ws, "email", "ana@x.example") == "p_ana"


def test_add_key_never_takes_a_key_from_its_holder(store: SQLiteStore, ws: str) -> None:
    store.add_person(ws, Person("p_a", "A"))
    store.add_key(ws, "email", "a@x.example", "p_a")
    buffer = WriteBuffer(store, ws)
    buffer.add_person(ws, Person("p_b", "B"))
    assert buffer.add_key(ws, "email", "a@x.example", "p_b") is False  # held in the store by someone else
    assert buffer.add_key(ws, "email", "a@x.example", "p_a") is True  # already theirs
    assert buffer.add_key(ws, "phone", "+15550100", "p_b") is True
    assert buffer.add_key(ws, "phone", "+15550100", "p_a") is False  # held in the buffer by someone else
    assert buffer.add_key(ws, "phone", "+15550100", "p_b") is True
    assert buffer.person_for_key(ws, "email", "a@x.example") == "p_a"
    assert buffer.person_for_key(ws, "phone", "+15550100") == "p_b"
    assert buffer.new_keys_of("p_a") == [] and buffer.new_keys_of("p_b") == [("phone", "+15550100")]
    with store.atomic():
        buffer.flush()
    assert store.keys_of(ws, "p_a") == [("email", "a@x.example")]
    assert store.keys_of(ws, "p_b") == [("phone", "+15550100")]


def test_prefetched_keys_are_answered_without_another_query(
    store: SQLiteStore, ws: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.add_key(ws, "email", "a@x.example", "p_a")
    bulk, single = spy(monkeypatch, store, "persons_for_keys"), spy(monkeypatch, store, "person_for_key")
    buffer = WriteBuffer(store, ws)
    prefetched = [("email", "a@x.example"), ("email", "nobody@x.example"), ("linkedin", "nobody")]
    buffer.prefetch(prefetched)
    buffer.prefetch(prefetched[:2])  # known already: not asked again
    assert len(bulk) == 1 and set(bulk[0][1]) == set(prefetched)
    statements: list[str] = []
    store._db.set_trace_callback(statements.append)
    try:
        answers = [buffer.person_for_key(ws, kind, value) for kind, value in prefetched]
    finally:
        store._db.set_trace_callback(None)
    assert answers == ["p_a", None, None]
    assert single == [] and statements == []  # keys nobody holds included
    assert buffer.person_for_key(ws, "phone", "+15550100") is None  # not prefetched: asked once ...
    assert buffer.person_for_key(ws, "phone", "+15550100") is None  # ... and remembered
    assert single == [(ws, "phone", "+15550100")]


def test_keys_of_merges_stored_and_buffered_keys(store: SQLiteStore, ws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    store.add_person(ws, Person("p_a", "A"))
    store.add_key(ws, "email", "a@x.example", "p_a")
    buffer = WriteBuffer(store, ws)
    buffer.add_key(ws, "linkedin", "a-slug", "p_a")
    buffer.add_person(ws, Person("p_new", "New"))
    buffer.add_key(ws, "email", "new@x.example", "p_new")
    stored_reads = spy(monkeypatch, store, "keys_of")
    assert buffer.keys_of(ws, "p_a") == [("email", "a@x.example"), ("linkedin", "a-slug")]
    assert buffer.keys_of(ws, "p_new") == [("email", "new@x.example")]
    assert stored_reads == [(ws, "p_a")]  # a person new in the batch has no stored keys to read
    assert buffer.new_keys_of("p_a") == [("linkedin", "a-slug")]


def test_updating_a_person_new_in_the_batch_updates_its_pending_insert(
    store: SQLiteStore, ws: str, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.add_person(ws, Person("p_old", "Old"))
    updates = spy(monkeypatch, store, "update_person")
    buffer = WriteBuffer(store, ws)
    richer = replace(ANA, organization="Contoso", title="CTO", emails=("ana@x.example",))
    old_moved = Person("p_old", "Old", organization="Globex")
    with store.atomic():
        buffer.add_person(ws, ANA)
        buffer.update_person(ws, richer)
        buffer.update_person(ws, old_moved)
        assert buffer.new_people() == {"p_ana": richer}
        assert buffer.get_people(ws, ["p_ana", "p_old"]) == {"p_ana": richer, "p_old": old_moved}
        buffer.flush()
    assert updates == [(ws, old_moved)]  # only the stored person is updated; the new one is inserted as it ended
    assert store.get_people(ws, ["p_ana", "p_old"]) == {"p_ana": richer, "p_old": old_moved}
    assert [row[1] for row in stored_rows(db_path)["persons"]] == ["p_ana", "p_old"]


def test_get_people_reads_each_missing_id_once(store: SQLiteStore, ws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = Person("p_a", "A"), Person("p_b", "B")
    store.add_people(ws, [a, b])
    reads = spy(monkeypatch, store, "get_people")
    buffer = WriteBuffer(store, ws)
    buffer.add_person(ws, ANA)
    assert buffer.get_people(ws, ["p_a"]) == {"p_a": a}
    assert buffer.get_people(ws, ["p_a", "p_b", "p_ana", "p_b"]) == {"p_a": a, "p_b": b, "p_ana": ANA}
    assert buffer.get_people(ws, ["p_b", "p_a"]) == {"p_b": b, "p_a": a}
    assert reads == [(ws, ["p_a"]), (ws, ["p_b"])]


# ------------------------------------------------------------------------------------------
# flush


def test_flush_writes_exactly_what_the_batch_wrote(store: SQLiteStore, ws: str, db_path: Path) -> None:
    store.add_person(ws, Person("p_old", "Old"))
    store.add_key(ws, "email", "old@x.example", "p_old")
    before = stored_rows(db_path)
    bo = Person("p_bo", "Bo Li", first_name="Bo", last_name="Li")
    sightings = [sighting("p_ana", 1), sighting("p_bo", 2), sighting("p_old", 3)]
    buffer = WriteBuffer(store, ws)
    with store.atomic():
        buffer.add_person(ws, ANA)
        buffer.add_person(ws, bo)
        buffer.add_key(ws, "email", "ana@x.example", "p_ana")
        buffer.add_key(ws, "linkedin", "bo-li", "p_bo")
        buffer.add_key(ws, "phone", "+15550100", "p_old")
        for item in sightings:
            buffer.add_sighting(ws, item)
        buffer.add_event(ws, WORKSHOP)
        buffer.add_event(ws, Event("evt_1", "Renamed", None, "other", "other"))  # the first one stays, as in the store
        buffer.add_blocks(ws, "p_ana", ["n:ana|ruiz", "l:ruiz"])
        buffer.add_blocks(ws, "p_bo", ["n:bo|li"])
        buffer.add_blocks(ws, "p_ana", ["n:ana|ruiz"])  # filed twice, counted once
        buffer.flush()
    assert store.get_people(ws, ["p_ana", "p_bo", "p_old"]) == {"p_ana": ANA, "p_bo": bo, "p_old": Person("p_old", "Old")}
    assert store.keys_of_many(ws, ["p_ana", "p_bo", "p_old"]) == {
        "p_ana": [("email", "ana@x.example")], "p_bo": [("linkedin", "bo-li")],
        "p_old": [("email", "old@x.example"), ("phone", "+15550100")],
    }
    assert [s for pid in ("p_ana", "p_bo", "p_old") for s in store.sightings(ws, pid)] == sightings
    assert store.get_events(ws, ["evt_1"]) == {"evt_1": WORKSHOP}
    blocks = ["n:ana|ruiz", "l:ruiz", "n:bo|li"]
    assert store.people_in_blocks(ws, blocks, limit=1) == {"n:ana|ruiz": ["p_ana"], "l:ruiz": ["p_ana"], "n:bo|li": ["p_bo"]}
    after = stored_rows(db_path)
    added = {table: len(after[table]) - len(before[table]) for table in IDENTITY_TABLES}
    assert added == {"persons": 2, "person_keys": 3, "sightings": 3, "events": 1, "person_blocks": 3, "block_sizes": 3}
    assert after["block_sizes"] == [(ws, "l:ruiz", 1), (ws, "n:ana|ruiz", 1), (ws, "n:bo|li", 1)]
    # what was written stays readable from the buffer
    assert buffer.new_people() == {"p_ana": ANA, "p_bo": bo} and buffer.new_keys_of("p_bo") == [("linkedin", "bo-li")]


#: Each of the buffer's calls, made naming the workspace given.
WRITES: dict[str, Callable[[WriteBuffer, str], object]] = {
    "add_person": lambda b, ws: b.add_person(ws, Person("p_late", "Late")),
    "update_person": lambda b, ws: b.update_person(ws, Person("p_late", "Later")),
    "add_key": lambda b, ws: b.add_key(ws, "email", "late@x.example", "p_late"),
    "add_sighting": lambda b, ws: b.add_sighting(ws, sighting("p_late", 9)),
    "add_event": lambda b, ws: b.add_event(ws, Event("evt_late", "Late", None, "talk", "csv")),
    "add_blocks": lambda b, ws: b.add_blocks(ws, "p_late", ["n:late"]),
}
READS: dict[str, Callable[[WriteBuffer, str], object]] = {
    "person_for_key": lambda b, ws: b.person_for_key(ws, "email", "late@x.example"),
    "keys_of": lambda b, ws: b.keys_of(ws, "p_late"),
    "get_people": lambda b, ws: b.get_people(ws, ["p_late"]),
    "member_ids": lambda b, ws: b.member_ids(ws),
    "forgotten_keys": lambda b, ws: b.forgotten_keys(ws),
}


@pytest.mark.parametrize("write", [*WRITES.values(), lambda b, ws: b.flush()], ids=[*WRITES, "flush"])
def test_a_flushed_buffer_takes_no_more_writes(
    store: SQLiteStore, ws: str, db_path: Path, write: Callable[[WriteBuffer, str], object]
) -> None:
    buffer = WriteBuffer(store, ws)
    buffer.add_person(ws, ANA)
    with store.atomic():
        buffer.flush()
    before = stored_rows(db_path)
    with pytest.raises(RuntimeError, match="flushed already"):
        write(buffer, ws)
    assert stored_rows(db_path) == before and buffer.new_people() == {"p_ana": ANA}


@pytest.mark.parametrize("call", [*WRITES.values(), *READS.values()], ids=[*WRITES, *READS])
def test_a_buffer_refuses_another_workspace(
    store: SQLiteStore, ws: str, db_path: Path, call: Callable[[WriteBuffer, str], object]
) -> None:
    other = store.workspace("b").id
    buffer = WriteBuffer(store, ws)
    with pytest.raises(ValueError, match="this buffer holds workspace"):
        call(buffer, other)
    with store.atomic():
        buffer.flush()
    assert all(rows == [] for rows in stored_rows(db_path).values())  # nothing was buffered for either workspace


def test_a_flush_in_a_block_that_fails_leaves_nothing(store: SQLiteStore, ws: str, db_path: Path) -> None:
    buffer = WriteBuffer(store, ws)
    with pytest.raises(Boom), store.atomic():
        for write in WRITES.values():
            write(buffer, ws)
        buffer.flush()
        assert store.get_people(ws, ["p_late"])  # written in the transaction ...
        raise Boom
    assert all(rows == [] for rows in stored_rows(db_path).values())  # ... and rolled back with it
    assert store.person_for_key(ws, "email", "late@x.example") is None and store.data_version(ws) == 0


# ------------------------------------------------------------------------------------------
# block sizes (SQLite keeps them; Neo4j computes blocks from the people)


def test_filing_the_same_entries_again_does_not_grow_a_block(store: SQLiteStore, ws: str) -> None:
    blocks = ["n:ana|ruiz", "l:ruiz"]
    with store.atomic():
        store.file_in_blocks(ws, [("n:ana|ruiz", "p_1"), ("n:ana|ruiz", "p_2"), ("n:ana|ruiz", "p_1"), ("l:ruiz", "p_1")])
    with store.atomic():
        store.file_in_blocks(ws, [("n:ana|ruiz", "p_2"), ("n:ana|ruiz", "p_1")])
        store.add_blocks(ws, "p_1", blocks)
    assert store.people_in_blocks(ws, blocks, limit=2) == {"n:ana|ruiz": ["p_1", "p_2"], "l:ruiz": ["p_1"]}
    with store.atomic():
        store.file_in_blocks(ws, [("n:ana|ruiz", "p_3"), ("l:ruiz", "p_3")])
    assert store.people_in_blocks(ws, blocks, limit=2) == {"l:ruiz": ["p_1", "p_3"]}  # 3 people: too common now
    everyone = {"n:ana|ruiz": ["p_1", "p_2", "p_3"], "l:ruiz": ["p_1", "p_3"]}
    assert store.people_in_blocks(ws, blocks, limit=3) == everyone == store.people_in_blocks(ws, blocks)


def test_block_sizes_count_a_batch_written_in_several_statements(store: SQLiteStore, ws: str) -> None:
    members = [("n:common", f"p_{i:03d}") for i in range(301)]  # more than one INSERT's worth of rows
    with store.atomic():
        store.file_in_blocks(ws, members)
    with store.atomic():
        store.file_in_blocks(ws, [*members, ("n:rare", "p_000")])
    assert len(store.people_in_blocks(ws, ["n:common"], limit=301)["n:common"]) == 301
    assert store.people_in_blocks(ws, ["n:common", "n:rare"], limit=300) == {"n:rare": ["p_000"]}


# ------------------------------------------------------------------------------------------
# the resolver through a buffer

SEEN_BEFORE = [
    PersonRef(first_name="Ana", last_name="Ruiz", linkedin_url="https://linkedin.com/in/ana-ruiz", emails=("ana@contoso.example",)),
    PersonRef(name="Bob Chen", organization="Globex"),
]
BATCH = [
    PersonRef(name="Ana Ruiz", emails=("ANA@contoso.example",), title="CTO"),  # Ana, by her stored email: learns a title
    PersonRef(first_name="Carla", last_name="Gomez", emails=("carla@x.example",)),  # new
    PersonRef(name="Carla Gomez", emails=("carla@x.example",), organization="Initech", phones=("+1 415 555 0100",)),  # Carla again
    PersonRef(first_name="Ana", last_name="Ruiz", linkedin_url="https://linkedin.com/in/ana-ruiz-2", emails=("ana@contoso.example",)),
    PersonRef(name="Dan Wu"),
    PersonRef(name="dan  wu"),  # a bare name, twice
    PersonRef(name="Bob Chen", organization="Globex Corp."),  # Bob, by name and organization
]


def resolve_rows(resolver: Resolver, refs: list[PersonRef], job_id: str, *, buffered: bool) -> list[str]:
    """Resolve and record ``refs`` as one import batch does (one transaction), through a buffer or not."""
    ids = []
    with resolver.store.atomic(), resolver.buffered([(ref, "csv") for ref in refs]) if buffered else nullcontext():
        for row, ref in enumerate(refs, start=1):
            ids.append(resolver.resolve(ref, mention="csv"))
            resolver.record_sighting(ids[-1], ref, job_id=job_id, fmt="csv", source="batch.csv", row=row)
    return ids


def test_a_buffered_batch_resolves_as_an_unbuffered_one(tmp_path: Path) -> None:
    results = {}
    for buffered in (False, True):
        path = tmp_path / f"buffered-{buffered}.db"
        store = SQLiteStore(path)
        resolver = Resolver(store, store.workspace("default").id)
        seen = resolve_rows(resolver, SEEN_BEFORE, "job_0", buffered=False)
        resolver.take_created()
        ids = resolve_rows(resolver, BATCH, "job_1", buffered=buffered)
        results[buffered] = (seen, ids, resolver.take_created(), sorted(resolver.take_changed()), stored_rows(path))
        store.close()
    assert results[True] == results[False]
    (ana, bob), ids, created, changed, rows = results[True]
    assert ids[0] == ana and ids[6] == bob and ids[1] == ids[2] and ids[4] == ids[5]  # the batch met people it knew
    assert ids[3] not in (ana, ids[1]) and created == [ids[1], ids[3], ids[4]]
    assert changed == sorted({ana, ids[1]}) and all(rows[table] for table in IDENTITY_TABLES if table != "events")


def test_a_buffered_batch_looks_its_keys_up_in_one_call(store: SQLiteStore, ws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    resolver = Resolver(store, ws)
    resolve_rows(resolver, SEEN_BEFORE, "job_0", buffered=False)
    bulk, single = spy(monkeypatch, store, "persons_for_keys"), spy(monkeypatch, store, "person_for_key")
    resolve_rows(resolver, BATCH, "job_1", buffered=True)
    assert len(bulk) == 1 and single == []
