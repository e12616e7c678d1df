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
    from graphsvc.identity.records import ensure_blocks
    from graphsvc.identity.matching import BLOCKING_VERSION, blocking_keys, name_parts

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


# people search (migration 11: graphsvc/store/search.py) ----------------------------------------


def _people(n: int, start: int = 0) -> list[Person]:
    return [
        Person(id=f"p_{i:06d}", display_name=f"Person{i} Surname{i}", organization=f"Org {i % 97}", emails=(f"user{i}@mail{i % 13}.example",))
        for i in range(start, start + n)
    ]


def _steps(store: SQLiteStore, call) -> int:  # type: ignore[no-untyped-def]
    """The virtual machine instructions ``call`` runs on this thread's connection (in hundreds)."""
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    store._db.set_progress_handler(count, 100)
    try:
        call()
    finally:
        store._db.set_progress_handler(None, 0)
    return steps


def test_people_search_reads_the_trigram_index_not_every_person(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "g.db")
    ws = store.workspace("default").id
    with store.atomic():
        store.add_people(ws, _people(1_000))
        store.add_person(ws, Person(id="p_zoe", display_name="Zoë Müller", emails=("zoe@finlytics.io",)))
    for text in ("zoe muller", "finlytics", "Müller"):
        query = store._search_query(ws, text, "p.id")
        assert query is not None
        plan = " / ".join(row[3] for row in store._db.execute("EXPLAIN QUERY PLAN " + query[0] + " ORDER BY p.sort_name, p.id", query[1]))
        assert "VIRTUAL TABLE INDEX 0:M" in plan, plan  # the FTS5 index answers the MATCH
        assert "SCAN p" not in plan and "SCAN s" not in plan and "SCAN persons" not in plan, plan  # no walk of every person
        assert "SEARCH p USING INDEX sqlite_autoindex_persons_1 (workspace_id=? AND id=?)" in plan, plan
    few = _steps(store, lambda: store.search_people(ws, "Müller", 10))
    with store.atomic():
        store.add_people(ws, _people(9_000, start=1_000))  # ten times the people, none of them a Müller
    assert [p.id for p in store.search_people(ws, "Müller", 10)] == ["p_zoe"]
    many = _steps(store, lambda: store.search_people(ws, "Müller", 10))
    scan = _steps(store, lambda: store.search_people(ws, "zö", 10))  # what reading every record's text costs
    assert many <= few + 5 and many * 20 < scan, (few, many, scan)  # the work follows the hits, not the workspace
    # one or two characters are too short for trigrams: scanned (and still folded)
    short = store._search_query(ws, "zö", "p.id")
    assert short is not None and "LIKE" in short[0] and "MATCH" not in short[0]
    assert [p.id for p in store.search_people(ws, "zö", 10)] == ["p_zoe"]
    store.close()


def test_migration_11_makes_existing_people_searchable(tmp_path: Path) -> None:
    raw = sqlite3.connect(tmp_path / "g.db")
    for script in MIGRATIONS[:10]:  # a store as version 10 left it: people, one merged into another
        raw.executescript(script)
    rows = [
        ("ws", "p_sofia", "Sofia Marín", "Sofia", "Marín", "Finlytics", "", "[]", "", "sofia marín"),
        ("ws", "p_mail", "sofia@finlytics.io", "", "", "", "", '["sofia@finlytics.io"]', "", "sofia@finlytics.io"),
        ("ws", "p_zoe", "Zoë Müller", "Zoë", "Müller", "", "", "[]", "https://www.linkedin.com/in/zoe-m", "zoë müller"),
        ("other", "p_zoe", "Zoë Müller", "Zoë", "Müller", "", "", "[]", "", "zoë müller"),
    ]
    raw.executemany("INSERT INTO persons VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
    raw.execute("INSERT INTO person_merges VALUES ('ws', 'p_mail', 'p_sofia', 1)")
    raw.execute("PRAGMA user_version = 10")
    raw.commit()
    raw.close()
    store = SQLiteStore(tmp_path / "g.db")
    assert store.schema_version() == len(MIGRATIONS) >= 11
    assert [p.id for p in store.search_people("ws", "sofia@finlytics.io", 10)] == ["p_sofia"]
    assert [p.id for p in store.search_people("ws", "muller", 10)] == ["p_zoe"] and store.count_people("ws", "MULLER") == 1
    assert [p.id for p in store.search_people("ws", "linkedin.com/in/zoe-m", 10)] == ["p_zoe"]
    assert store.count_people("other", "muller") == 1 and store.count_people("other", "sofia") == 0
    store.close()


def test_search_text_follows_every_write_and_forgetting(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "g.db")
    ws = store.workspace("default").id
    with store.atomic():
        store.add_people(ws, _people(50))
        store.add_person(ws, Person(id="p_ana", display_name="Ana Ruiz", organization="Initech"))
    store.update_person(ws, Person(id="p_ana", display_name="Ana Ruiz", organization="Globex"))
    store.update_person(ws, Person(id="p_ghost", display_name="Never Added"))
    assert store.count_people(ws, "initech") == 0 and store.count_people(ws, "globex") == 1
    assert store.count_people(ws, "never added") == 0
    store.forget_people(ws, ["p_ana", "p_000007"], [])
    assert store.count_people(ws, "ana ruiz") == 0 and store.count_people(ws, "person7 surname7") == 0
    assert store._db.execute("SELECT count(*) FROM person_search").fetchone()[0] == 49
    store._db.execute("INSERT INTO person_search_index (person_search_index) VALUES ('integrity-check')")  # index = text
    store.close()


def test_search_text_folds_as_the_project_does() -> None:
    from graphsvc.identity.normalise import fold
    from graphsvc.store.search import _fold, folded_search, record_text

    samples = ["Tomás  O'Neil", "ROBERT_chen@Acme.example", "https://www.linkedin.com/in/Priya-Raman-4b1c2a/?trk=x", "  a\tb\n",
               "Zoë Müller", "Straße", "ǅemal", "張偉", "Ⅻ ﬁ", "d'Arcy-Moss, Jr.", "", "!!!", "x|y"]
    for text in samples:
        assert _fold(text) == fold(text), text  # ASCII skips the decomposition, with the same result
    assert folded_search("  Zoë  MÜLLER ") == "zoe muller" and folded_search("@@") == ""
    assert record_text("Zoë Müller", "Zoë", "Müller", "Straße GmbH", ["zoe@x.de", "zoe@x.de"], "") == "zoe muller | strasse gmbh | zoe x de"
