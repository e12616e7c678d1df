"""The embedded store: migrations, WAL, atomic batches, workspace scoping."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from graphsvc.model import Person
from graphsvc.settings import Settings
from graphsvc.store import SQLiteStore, open_store
from graphsvc.store.sqlite import MIGRATIONS


def test_new_store_is_migrated_to_the_latest_version_in_wal_mode(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "g.db")
    assert store.schema_version() == len(MIGRATIONS)
    raw = sqlite3.connect(tmp_path / "g.db")
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    raw.close()
    store.close()
    reopened = SQLiteStore(tmp_path / "g.db")  # migrating twice is a no-op
    assert reopened.schema_version() == len(MIGRATIONS)
    reopened.close()


def test_a_store_of_an_older_version_is_migrated_with_its_data(tmp_path: Path) -> None:
    raw = sqlite3.connect(tmp_path / "g.db")
    for script in MIGRATIONS[:5]:  # a store as version 5 left it, with people filed under name blocks
        raw.executescript(script)
    raw.executemany("INSERT INTO person_blocks VALUES ('ws', ?, ?)", [("n:ana|ruiz", "p1"), ("n:ana|ruiz", "p2"), ("n:bo|li", "p3")])
    raw.execute("PRAGMA user_version = 5")
    raw.commit()
    raw.close()
    store = SQLiteStore(tmp_path / "g.db")
    assert store.schema_version() == len(MIGRATIONS)
    assert store.people_in_blocks("ws", ["n:ana|ruiz", "n:bo|li"], limit=1) == {"n:bo|li": ["p3"]}  # sizes counted on the way
    with store.atomic():
        store.add_blocks("ws", "p4", ["n:bo|li"])  # and kept from then on
    assert store.people_in_blocks("ws", ["n:bo|li"], limit=1) == {}
    assert store.people_in_blocks("ws", ["n:bo|li"], limit=2) == {"n:bo|li": ["p3", "p4"]}
    store.close()


def test_default_workspace_exists_on_first_use_and_is_stable(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "g.db")
    first = store.workspace("default")
    assert store.workspace("default") == first
    assert store.workspace("other").id != first.id
    store.close()


def test_store_location_comes_from_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRAPHSVC_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.delenv("GRAPHSVC_STORE", raising=False)
    assert Settings().sqlite_path() == tmp_path / "d" / "graphsvc.db"
    monkeypatch.setenv("GRAPHSVC_STORE", f"sqlite:///{tmp_path / 'elsewhere.db'}")
    store = open_store(Settings())
    assert (tmp_path / "elsewhere.db").exists()
    store.close()
    monkeypatch.setenv("GRAPHSVC_STORE", "postgres://nope")
    from graphsvc.errors import ConfigurationError

    with pytest.raises(ConfigurationError):
        Settings().sqlite_path()


def test_failed_transaction_leaves_nothing_behind(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "g.db")
    ws = store.workspace("default").id
    with pytest.raises(RuntimeError):
        with store.atomic():
            store.add_person(ws, Person(id="p_1", display_name="Half Written"))
            raise RuntimeError("crash mid-batch")
    assert store.count_people(ws, None) == 0
    store.close()


def test_workspaces_do_not_see_each_other(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "g.db")
    a, b = store.workspace("a").id, store.workspace("b").id
    with store.atomic():
        store.add_person(a, Person(id="p_1", display_name="Only In A"))
        store.add_key(a, "email", "x@example.org", "p_1")
    assert store.get_people(b, ["p_1"]) == {}
    assert store.person_for_key(b, "email", "x@example.org") is None
    assert store.search_people(b, "Only", 10) == []
    assert [p.id for p in store.search_people(a, "only", 10)] == ["p_1"]
    store.close()


def test_blocks_filed_by_an_older_rule_are_refiled_once(tmp_path: Path) -> None:
    from graphsvc.identity import ensure_blocks
    from graphsvc.matching import BLOCKING_VERSION, blocking_keys, name_parts

    store = SQLiteStore(tmp_path / "g.db")
    ws, other = store.workspace("a").id, store.workspace("b").id
    kate = Person(id="p_kate", display_name="Kate Ng", first_name="Kate", last_name="Ng")
    with store.atomic():
        store.add_people(ws, [kate, Person(id="p_bo", display_name="Bo Ng", first_name="Bo", last_name="Ng")])
        store.add_blocks(ws, "p_kate", ["old:kate", "l:ng|k"])  # as an older rule filed them
        store.add_blocks(other, "p_eve", ["old:kate"])
    assert store.blocks_filed_by(ws) == ""  # filed before versions were kept
    assert ensure_blocks(store, ws) == 2
    expected = blocking_keys(name_parts("Kate", "Ng", "Kate Ng"))
    assert "f:katherine|n" in expected  # (what the new rule adds for a nickname)
    found = store.people_in_blocks(ws, ["old:kate", *expected, "l:ng|b"], limit=50)
    assert found == {**{block: ["p_kate"] for block in expected}, "l:ng|b": ["p_bo"]}  # old blocks gone, sizes recounted
    assert store.blocks_filed_by(ws) == BLOCKING_VERSION and ensure_blocks(store, ws) == 0  # once
    assert store.people_in_blocks(other, ["old:kate"]) == {"old:kate": ["p_eve"]}  # another workspace is its own business
    store.close()
    reopened = SQLiteStore(tmp_path / "g.db")
    assert reopened.blocks_filed_by(ws) == BLOCKING_VERSION and reopened.blocks_filed_by(other) == ""
    reopened.close()
