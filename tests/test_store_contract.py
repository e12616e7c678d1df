"""One contract for every store: the same calls give the same answers on SQLite and on Neo4j.

The ``store`` fixture is parametrized over ``SQLiteStore`` (a temporary file) and ``Neo4jStore``
(the session's real Neo4j 5.26 from ``tests/neo4j_runtime``); each test works in a workspace of
its own, so the shared Neo4j database needs no cleaning. Then, end to end, the walking-skeleton
scenario imported into both stores must give equal people, evidence, ties and intro paths, and
Neo4j's failure modes (unreachable, wrong credentials, going away mid-import) must leave a clear
error, no partial batch and a resumable job.
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

import httpx
import pytest
from neo4j.exceptions import ServiceUnavailable

from graphsvc.imports import jobs
from graphsvc.analytics.strength import WARM_LEVELS, tie_view
from graphsvc.errors import InvalidArgument, StoreUnavailable
from graphsvc.model import (
    Channel,
    Event,
    Evidence,
    EvidenceKind,
    ImportJob,
    JobStatus,
    Person,
    Reject,
    Sighting,
    stable_id,
)
from graphsvc.service import Graphsvc
from graphsvc.settings import Settings
from graphsvc.snapshot import build_snapshot
from graphsvc.store import SQLiteStore, open_store
from graphsvc.projection import install_knows_projection
from graphsvc.projection import open_store as projection_open_store
from graphsvc.projection.knows import knows_ties, project_knows
from graphsvc.store.neo4j import Neo4jStore
from importers import ImportOptions
from tests import scenario
from tests.neo4j_runtime.fixture import neo4j_server  # noqa: F401
from tests.neo4j_runtime.server import Neo4jServer

UTC = timezone.utc
AS_OF = datetime.fromisoformat(scenario.AS_OF)


# ------------------------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="module")
def neo4j_store(neo4j_server: Neo4jServer) -> Iterator[Neo4jStore]:  # noqa: F811
    # with KNOWS rebuilt after each import, as graphsvc.projection.open_store opens it
    store = install_knows_projection(Neo4jStore(neo4j_server.bolt_uri, neo4j_server.user, neo4j_server.password, max_retry_time=0.5))
    yield store
    store.close()


@pytest.fixture(params=["sqlite", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    if request.param == "sqlite":
        sqlite = SQLiteStore(tmp_path / "contract.db")
        yield sqlite
        sqlite.close()
    else:
        yield request.getfixturevalue("neo4j_store")


def fresh_name(prefix: str = "contract") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def ws(store: Any) -> str:
    return store.workspace(fresh_name()).id


def person(pid: str, name: str, **kw: Any) -> Person:
    return Person(id=pid, display_name=name, **kw)


def J(ws: str, name: str) -> str:
    """A job id unique to the workspace, as real ones are (rejects are looked up by job id alone)."""
    return f"{name}-{ws[-8:]}"


def job(ws: str, jid: str, started: datetime | None, **kw: Any) -> ImportJob:
    return ImportJob(
        id=jid, workspace_id=ws, file_name=f"{jid}.csv", file_hash="h" + jid, format="linkedin", owner_person_id=None,
        status=JobStatus.RUNNING, started_at=started, **kw,
    )


# ------------------------------------------------------------------------------------------
# protocol behaviour


def test_workspaces_are_created_on_first_use_and_stable(store: Any) -> None:
    name = fresh_name()
    first = store.workspace(name)
    assert first.id == stable_id("ws", name) and first.name == name
    assert store.workspace(name) == first
    assert store.workspace(name + "-other").id != first.id
    assert store.member_ids(first.id) == [] and store.data_version(first.id) == 0


def test_people_round_trip_update_and_membership(store: Any, ws: str) -> None:
    ada = person("p_ada", "Ada Quinn", first_name="Ada", last_name="Quinn", organization="Acme Robotics, Inc.",
                 title="Lead", emails=("ada@acme.example", "ada@home.example"), linkedin_url="https://www.linkedin.com/in/ada")
    with store.atomic():
        store.add_person(ws, ada)
        store.add_person(ws, person("p_bob", "Bob"))
    assert store.get_people(ws, ["p_ada", "p_nobody", "p_ada"]) == {"p_ada": ada}
    moved = replace(ada, organization="Globex", title="CTO")
    store.update_person(ws, moved)
    store.add_member(ws, "p_ada")
    got = store.get_people(ws, ["p_ada", "p_bob"])
    assert got["p_ada"] == replace(moved, is_member=True)
    assert got["p_bob"].is_member is False
    assert store.member_ids(ws) == ["p_ada"]
    store.update_person(ws, person("p_ghost", "Never Added"))  # updating nobody changes nobody
    assert store.get_people(ws, ["p_ghost"]) == {} and store.count_people(ws, None) == 2


NAMES = ["Émile Zola", "ada quinn", "Ada Quinn", "Bruno Silva", "  Zed Last", "ángel Ruiz", "Élodie Roy", "bob", "Bob",
         "Chloé Dupont", "d'Arcy Moss", "Ümit Kaya", "张伟", "Ada Quinn"]


def _populate(store: Any, ws: str) -> list[Person]:
    people = [
        person(f"p_{i:02d}", name, organization=["Acme Robotics", "Globex", "", "Initech"][i % 4],
               emails=(f"user{i}@{['acme', 'globex', 'mail'][i % 3]}.example",) if i % 2 else (),
               linkedin_url=f"https://www.linkedin.com/in/user-{i}" if i % 3 == 0 else "")
        for i, name in enumerate(NAMES)
    ]
    with store.atomic():
        for p in people:
            store.add_person(ws, p)
    return people


def test_search_orders_by_casefolded_name_then_id_and_pages_with_after(store: Any, ws: str) -> None:
    people = _populate(store, ws)
    expected = [p.id for p in sorted(people, key=lambda p: (p.display_name.casefold().strip(), p.id))]
    assert [p.id for p in store.search_people(ws, None, 100)] == expected
    pages, after = [], None
    while True:
        page = store.search_people(ws, None, 4, after)
        if not page:
            break
        pages.append([p.id for p in page])
        after = page[-1].id
    assert [pid for page in pages for pid in page] == expected and all(len(p) == 4 for p in pages[:-1])
    assert store.search_people(ws, None, 10, "p_unknown") == []
    assert store.search_people(ws, None, 0) == []
    assert store.count_people(ws, None) == len(NAMES)


#: what a search finds in _populate's people: the folded search (case and accents folded,
#: punctuation to spaces) anywhere in a record's folded names, organization, emails or URL;
#: '_' and '%' are no wildcards, a search of punctuation only finds nobody, one or two
#: characters (too short for the trigram index) are matched all the same
SEARCH_HITS = {
    "ada": 3, "ADA QUINN": 3, "globex": 5, "GLOBEX.example": 3, "linkedin.com/in/user-1": 1, "émile": 1, "ÉMILE": 1,
    "elodie": 1, "ANGEL": 1, "umit": 1, "Chloe": 1, "d'arcy": 1, "b_b": 0, "z%la": 0, "acme robotics": 4, "nobody": 0,
    "张": 1, "张伟": 1, "zo": 1, " bob ": 2, "user1@": 3, "acme.example": 2, "]": 0, '", "': 0, "@": 0,
}


@pytest.mark.parametrize("text", sorted(SEARCH_HITS))
def test_search_matches_folded_text_anywhere(store: Any, ws: str, text: str) -> None:
    people = _populate(store, ws)
    found = [p.id for p in store.search_people(ws, text, 100)]
    assert len(found) == SEARCH_HITS[text], [p.display_name for p in people if p.id in found]
    assert store.count_people(ws, text) == len(found)
    in_order = sorted((p for p in people if p.id in found), key=lambda p: (p.display_name.casefold().strip(), p.id))
    assert found == [p.id for p in in_order]


def test_search_ignores_case_and_accents_both_ways(store: Any, ws: str) -> None:
    with store.atomic():
        store.add_person(ws, person("p_zoe", "Zoë Müller", first_name="Zoë", last_name="Müller", organization="Straße GmbH",
                                    emails=("zoe.mueller@example.de",)))
        store.add_person(ws, person("p_jose", "JOSE ALVAREZ", organization="acme"))
    for text in ("Muller", "müller", "MÜLLER", "zoe muller", "ZOË", "strasse", "Straße", "zoe.mueller@EXAMPLE.de"):
        assert [p.id for p in store.search_people(ws, text, 10)] == ["p_zoe"], text
        assert store.count_people(ws, text) == 1, text
    for text in ("José Álvarez", "jose", "Alvarez", "jOsÉ aLvArEz"):
        assert [p.id for p in store.search_people(ws, text, 10)] == ["p_jose"], text
    assert store.search_people(ws, "Mueller Zoe", 10) == [] and store.count_people(ws, "Mueller Zoe") == 0


def test_a_merged_records_names_and_emails_find_its_person(store: Any, ws: str) -> None:
    with store.atomic():
        store.add_person(ws, person("p_jon", "Jon Meyer", first_name="Jon", last_name="Meyer", organization="Initech"))
        store.add_person(ws, person("p_jonathan", "Jonathan Meyer", first_name="Jonathan", last_name="Meyer",
                                    emails=("jmeyer@globex.example",), linkedin_url="https://www.linkedin.com/in/jonathan-meyer-7"))
        store.add_person(ws, person("p_sofia", "Sofia Marín", organization="Finlytics"))
        store.add_person(ws, person("p_sofia_mail", "sofia@finlytics.io", emails=("sofia@finlytics.io",)))
        store.add_person(ws, person("p_other", "Jonas Other"))
        store.set_merged_into(ws, ["p_jonathan"], "p_jon")
        store.set_merged_into(ws, ["p_sofia_mail"], "p_sofia", manual=True)
    for text, expected in (
        ("Jonathan", ["p_jon"]), ("jonathan meyer", ["p_jon"]), ("jmeyer@globex.example", ["p_jon"]),
        ("linkedin.com/in/jonathan-meyer-7", ["p_jon"]), ("meyer", ["p_jon"]), ("Jon", ["p_jon", "p_other"]),
        ("sofia@finlytics.io", ["p_sofia"]), ("SOFIA@FINLYTICS.IO", ["p_sofia"]), ("finlytics", ["p_sofia"]), ("marin", ["p_sofia"]),
    ):
        assert [p.id for p in store.search_people(ws, text, 10)] == expected, text
        assert store.count_people(ws, text) == len(expected), text
    page = store.search_people(ws, "jon", 1)
    assert [p.id for p in page] == ["p_jon"] and [p.id for p in store.search_people(ws, "jon", 1, page[0].id)] == ["p_other"]
    with store.atomic():
        store.set_merged_into(ws, ["p_jonathan", "p_sofia_mail"], None)  # split: each record is found as itself again
    assert [p.id for p in store.search_people(ws, "Jonathan", 10)] == ["p_jon", "p_jonathan"]  # Jon is a nickname of Jonathan
    assert [p.id for p in store.search_people(ws, "jonathan meyer", 10)] == ["p_jon", "p_jonathan"]
    assert [p.id for p in store.search_people(ws, "sofia@finlytics.io", 10)] == ["p_sofia_mail"]
    assert [p.id for p in store.search_people(ws, "finlytics", 10)] == ["p_sofia", "p_sofia_mail"]


def test_search_knows_nicknames_as_whole_words(store: Any, ws: str) -> None:
    with store.atomic():
        store.add_person(ws, person("p_jon", "Jon Meyer", first_name="Jon", last_name="Meyer"))
        store.add_person(ws, person("p_jonathan", "Jonathan Baker", first_name="Jonathan", last_name="Baker"))
        store.add_person(ws, person("p_jones", "Ann Jones"))
        store.add_person(ws, person("p_bob", "Bob Chen", emails=("bob.chen@acme.example",)))
        store.add_person(ws, person("p_robert", "Róbert Király"))
        store.add_person(ws, person("p_liz", "Liz Hale"))
    for text, expected in (
        ("Jonathan", ["p_jon", "p_jonathan"]),  # "Jon Meyer" by nickname, not "Ann Jones"
        ("jon", ["p_jones", "p_jon", "p_jonathan"]),  # a substring as before (Jones), Jonathan also by nickname
        ("Jonathan Meyer", ["p_jon"]), ("jon baker", ["p_jonathan"]), ("JONATHAN MEY", ["p_jon"]),
        ("Robert", ["p_bob", "p_robert"]), ("bob chen", ["p_bob"]), ("Robert Chen", ["p_bob"]), ("bobby", ["p_bob", "p_robert"]),
        ("Elizabeth", ["p_liz"]), ("Elizabeth Hale", ["p_liz"]), ("Jonathan Jones", []),
    ):
        assert [p.id for p in store.search_people(ws, text, 10)] == expected, text
        assert store.count_people(ws, text) == len(expected), text
    with store.atomic():
        store.set_merged_into(ws, ["p_jon"], "p_jonathan")  # a nickname's record finds its person too
    assert [p.id for p in store.search_people(ws, "Jonathan Meyer", 10)] == ["p_jonathan"]
    assert [p.id for p in store.search_people(ws, "Johnny", 10)] == ["p_jonathan"]


def test_search_follows_updates_and_a_blocks_pending_writes(store: Any, ws: str) -> None:
    store.add_person(ws, person("p_1", "Ana Ruiz", organization="Initech"))
    assert [p.id for p in store.search_people(ws, "initech", 10)] == ["p_1"]
    store.update_person(ws, person("p_1", "Ana Ruiz", organization="Globex", emails=("ana@globex.example",)))
    assert store.search_people(ws, "initech", 10) == [] and store.count_people(ws, "initech") == 0
    assert [p.id for p in store.search_people(ws, "ana@globex", 10)] == ["p_1"]
    with store.atomic():
        store.add_people(ws, (p for p in [person("p_2", "Ana Ruíz Pending"), person("p_3", "Someone Else")]))
        store.set_merged_into(ws, ["p_2"], "p_1")
        assert [p.id for p in store.search_people(ws, "pending", 10)] == ["p_1"]
        assert store.count_people(ws, "ana ruiz") == 1
    assert [p.id for p in store.search_people(ws, "ruiz pending", 10)] == ["p_1"]


def test_identity_keys(store: Any, ws: str) -> None:
    with store.atomic():
        store.add_person(ws, person("p_a", "A"))
        store.add_person(ws, person("p_b", "B"))
        assert store.add_key(ws, "email", "a@x.example", "p_a") is True
        assert store.add_key(ws, "email", "a@x.example", "p_a") is True  # already theirs
        assert store.add_key(ws, "email", "a@x.example", "p_b") is False  # held by another person
        assert store.add_key(ws, "name_org", "a|x", "p_a") is True
    assert store.add_key(ws, "email", "a@x.example", "p_b") is False
    assert store.add_key(ws, "linkedin", "a-slug", "p_a") is True
    assert store.person_for_key(ws, "email", "a@x.example") == "p_a"
    assert store.person_for_key(ws, "email", "nobody@x.example") is None
    assert store.keys_of(ws, "p_a") == [("email", "a@x.example"), ("linkedin", "a-slug"), ("name_org", "a|x")]
    assert store.keys_of(ws, "p_b") == []


def test_sightings_are_kept_once_and_in_job_row_order(store: Any, ws: str) -> None:
    store.add_person(ws, person("p_a", "A"))
    s = [Sighting("p_a", job_id, "linkedin", "Connections.csv", row, "A", "a@x.example", "", "Acme", "CTO")
         for job_id, row in [("job_2", 3), ("job_1", 7), ("job_1", 2)]]
    with store.atomic():
        for item in s:
            store.add_sighting(ws, item)
    store.add_sighting(ws, Sighting("p_a", "job_1", "other", "other.csv", 2, "changed", "", "", "", ""))  # ignored
    assert store.sightings(ws, "p_a") == [s[2], s[1], s[0]]
    assert store.sightings(ws, "p_nobody") == []


def test_the_organizations_a_records_sightings_named_are_read_in_bulk(store: Any, ws: str) -> None:
    def seen(pid: str, job_id: str, row: int, organization: str) -> Sighting:
        return Sighting(pid, job_id, "signin_sheet", "s.csv", row, "A", "a@x.example", "", organization, "")

    other_ws = store.workspace(fresh_name()).id
    with store.atomic():
        store.add_people(ws, [person("p_a", "A"), person("p_b", "B")])
        store.add_sightings(ws, [seen("p_a", "job_1", 1, "Initech"), seen("p_a", "job_1", 2, ""), seen("p_b", "job_1", 3, "")])
        store.add_people(other_ws, [person("p_a", "A elsewhere")])
        store.add_sightings(other_ws, [seen("p_a", "job_9", 1, "Elsewhere")])
        store.add_sightings(ws, [seen("p_a", "job_2", 1, "Globex")])
        # inside an import's block, its own sightings count too
        assert store.organizations_seen(ws, ["p_a"]) == {"p_a": {"Initech", "Globex"}}
    assert store.organizations_seen(ws, ["p_a", "p_b", "p_nobody", "p_a"]) == {"p_a": {"Initech", "Globex"}}  # none named for B
    assert store.organizations_seen(ws, []) == {}
    assert store.organizations_seen(other_ws, ["p_a"]) == {"p_a": {"Elsewhere"}}


def test_events_insert_or_ignore(store: Any, ws: str) -> None:
    e1 = Event("evt_1", "Robotics Workshop", datetime(2026, 9, 10, tzinfo=UTC), "workshop", "signin_sheet")
    e2 = Event("evt_2", "Undated", None, "meetup", "signin_sheet")
    e3 = Event("evt_3", "Offset", datetime(2026, 9, 10, 18, 30, 5, 123000, tzinfo=timezone(timedelta(hours=-3, minutes=-30))), "talk", "x")
    with store.atomic():
        for e in (e1, e2, e3):
            store.add_event(ws, e)
    store.add_event(ws, Event("evt_1", "Renamed", None, "other", "other"))
    got = store.get_events(ws, ["evt_3", "evt_1", "evt_2", "evt_nope"])
    assert got == {"evt_1": e1, "evt_2": e2, "evt_3": e3}
    assert got["evt_3"].starts_at.isoformat() == e3.starts_at.isoformat()
    assert store.get_events(ws, []) == {}


def _evidence_fixture(store: Any, ws: str) -> list[Evidence]:
    with store.atomic():
        for pid in ("p_a", "p_b", "p_c"):
            store.add_person(ws, person(pid, pid.upper()))
        store.add_event(ws, Event("evt_1", "Meetup", datetime(2026, 3, 1, tzinfo=UTC), "meetup", "signin_sheet"))
    return [
        Evidence("ev_3", EvidenceKind.CONNECTION, Channel.LINKEDIN, "p_a", "p_b", None, datetime(2024, 3, 14, tzinfo=UTC), "job_1"),
        Evidence("ev_1", EvidenceKind.ATTENDED, Channel.EVENT, "p_c", None, "evt_1", datetime(2026, 3, 1, tzinfo=UTC), "job_2"),
        Evidence("ev_2", EvidenceKind.MESSAGE, Channel.EMAIL, "p_b", "p_c", None, datetime(2025, 1, 2, 3, 4, 5, 600000), "job_3", "a->b"),
        Evidence("ev_5", EvidenceKind.MEETING, Channel.CALENDAR, "p_a", "p_c", "evt_1", None, "job_3"),
        Evidence("ev_4", EvidenceKind.FOLLOW, Channel.X, "p_c", "p_a", None,
                 datetime(2025, 6, 1, 12, 0, tzinfo=timezone(timedelta(hours=5, minutes=30))), "job_4", "a->b"),
    ]


def test_evidence_insert_or_ignore_and_read_back_in_id_order(store: Any, ws: str) -> None:
    items = _evidence_fixture(store, ws)
    assert store.add_evidence(ws, items[:3] + items[:1]) == 3  # a duplicate inside the call counts once
    assert store.add_evidence(ws, items) == 2  # only the two new ones
    assert store.add_evidence(ws, items) == 0
    assert store.add_evidence(ws, []) == 0
    got = list(store.iter_evidence(ws))
    assert got == sorted(items, key=lambda e: e.id)
    assert [e.at.isoformat() if e.at else None for e in got] == [e.at.isoformat() if e.at else None for e in sorted(items, key=lambda e: e.id)]
    assert store.count_evidence(ws) == 5


def test_data_version_moves_with_people_evidence_and_members_only(store: Any, ws: str) -> None:
    items = _evidence_fixture(store, ws)
    seen = [store.data_version(ws)]

    def moved() -> bool:
        now = store.data_version(ws)
        changed = now != seen[-1]
        seen.append(now)
        return changed

    assert not moved()
    store.add_evidence(ws, items[:2])
    assert moved()
    store.add_evidence(ws, items[:2])
    assert not moved()
    store.add_member(ws, "p_a")
    assert moved()
    store.add_member(ws, "p_a")
    assert not moved()
    store.update_person(ws, person("p_a", "A renamed"))
    assert moved()
    store.add_person(ws, person("p_d", "D"))
    assert moved()
    store.add_key(ws, "email", "d@x.example", "p_d")
    store.add_sighting(ws, Sighting("p_d", "job_1", "linkedin", "c.csv", 1, "D", "", "", "", ""))
    store.add_event(ws, Event("evt_2", "Later", None, "meetup", "x"))
    store.add_job(job(ws, J(ws, "job_1"), datetime(2026, 1, 1, tzinfo=UTC)))
    store.add_rejects(J(ws, "job_1"), [Reject(1, "bad row")])
    store.search_people(ws, None, 10), store.count_people(ws, None), list(store.iter_evidence(ws))
    assert not moved()
    with store.atomic():
        store.add_person(ws, person("p_e", "E"))
        assert store.data_version(ws) != seen[-1]  # a block sees its own change
    assert moved()


def test_jobs_and_rejects(store: Any, ws: str) -> None:
    t0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    j2 = job(ws, J(ws, "job_b"), t0, notes=["a note"], options={"owner": "Olivia", "event_name": "X"})
    j1 = job(ws, J(ws, "job_a"), t0 + timedelta(minutes=5))
    j3 = job(ws, J(ws, "job_c"), None)
    j0 = job(ws, J(ws, "job_0"), t0)
    for j in (j2, j1, j3, j0):
        store.add_job(j)
    assert store.get_job(ws, J(ws, "job_b")) == j2
    assert store.get_job(ws, J(ws, "job_nope")) is None
    assert store.get_job(store.workspace(fresh_name()).id, J(ws, "job_b")) is None
    assert [j.id for j in store.list_jobs(ws)] == [J(ws, "job_c"), J(ws, "job_0"), J(ws, "job_b"), J(ws, "job_a")]
    j2.status, j2.rows_read, j2.rows_imported, j2.checkpoint_row = JobStatus.COMPLETED, 10, 9, 10
    j2.owner_person_id, j2.finished_at, j2.error = "p_owner", t0 + timedelta(seconds=30), ""
    with store.atomic():
        store.save_job(j2)
        assert store.get_job(ws, J(ws, "job_b")) == j2  # read-your-writes inside the block
    assert store.get_job(ws, J(ws, "job_b")) == j2
    store.save_job(job(ws, J(ws, "job_never_added"), t0))  # saving an unknown job creates nothing
    assert store.get_job(ws, J(ws, "job_never_added")) is None
    store.add_rejects(J(ws, "job_b"), [Reject(5, "no name"), Reject(2, "hidden profile", skipped=True)])
    store.add_rejects(J(ws, "job_b"), [Reject(5, "replaced reason")])
    store.add_rejects(J(ws, "job_b"), [])
    assert store.rejects(J(ws, "job_b")) == [Reject(2, "hidden profile", True), Reject(5, "replaced reason", False)]
    assert store.rejects(J(ws, "job_a")) == []


def test_failed_block_writes_nothing(store: Any, ws: str) -> None:
    items = _evidence_fixture(store, ws)
    store.add_job(job(ws, J(ws, "job_1"), None))
    before = (store.count_people(ws, None), store.count_evidence(ws), store.data_version(ws), store.member_ids(ws))
    with pytest.raises(RuntimeError, match="crash mid-batch"):
        with store.atomic():
            store.add_person(ws, person("p_half", "Half Written"))
            store.add_key(ws, "email", "half@x.example", "p_half")
            store.add_member(ws, "p_half")
            store.add_evidence(ws, items)
            store.add_sighting(ws, Sighting("p_half", J(ws, "job_1"), "linkedin", "c.csv", 1, "H", "", "", "", ""))
            failed = job(ws, J(ws, "job_1"), None)
            failed.checkpoint_row = 99
            store.save_job(failed)
            store.add_rejects(J(ws, "job_1"), [Reject(3, "x")])
            raise RuntimeError("crash mid-batch")
    assert (store.count_people(ws, None), store.count_evidence(ws), store.data_version(ws), store.member_ids(ws)) == before
    assert store.person_for_key(ws, "email", "half@x.example") is None
    assert store.get_job(ws, J(ws, "job_1")).checkpoint_row == 0 and store.rejects(J(ws, "job_1")) == []
    assert store.sightings(ws, "p_half") == []


def test_nested_blocks_commit_with_the_outermost(store: Any, ws: str) -> None:
    with pytest.raises(RuntimeError):
        with store.atomic():
            with store.atomic():
                store.add_person(ws, person("p_inner", "Inner"))
            assert store.get_people(ws, ["p_inner"])  # visible inside the outer block
            raise RuntimeError("outer fails")
    assert store.get_people(ws, ["p_inner"]) == {}
    with store.atomic():
        with store.atomic():
            store.add_person(ws, person("p_inner", "Inner"))
        store.add_person(ws, person("p_outer", "Outer"))
    assert set(store.get_people(ws, ["p_inner", "p_outer"])) == {"p_inner", "p_outer"}


def test_a_block_reads_its_own_writes(store: Any, ws: str) -> None:
    items = _evidence_fixture(store, ws)
    store.add_person(ws, person("p_z", "Zoe Stored"))
    with store.atomic():
        store.add_person(ws, person("p_new", "Aaron Pending", emails=("aaron@x.example",)))
        store.update_person(ws, person("p_z", "Zoe Renamed"))
        store.add_key(ws, "email", "aaron@x.example", "p_new")
        store.add_member(ws, "p_new")
        store.add_evidence(ws, items[:2])
        store.add_sighting(ws, Sighting("p_new", J(ws, "job_9"), "linkedin", "c.csv", 4, "Aaron", "", "", "", ""))
        store.add_job(job(ws, J(ws, "job_9"), datetime(2026, 1, 1, tzinfo=UTC)))
        store.add_rejects(J(ws, "job_9"), [Reject(5, "bad")])
        assert store.person_for_key(ws, "email", "aaron@x.example") == "p_new"
        assert store.keys_of(ws, "p_new") == [("email", "aaron@x.example")]
        assert store.get_people(ws, ["p_new"])["p_new"].is_member
        assert store.get_people(ws, ["p_z"])["p_z"].display_name == "Zoe Renamed"
        assert store.member_ids(ws) == ["p_new"]
        assert [p.id for p in store.search_people(ws, None, 2)] == ["p_new", "p_a"]
        assert [p.id for p in store.search_people(ws, "zoe renamed", 5)] == ["p_z"]
        assert store.count_people(ws, None) == 5
        assert [e.id for e in store.iter_evidence(ws)] == ["ev_1", "ev_3"]
        assert store.count_evidence(ws) == 2
        assert [s.row for s in store.sightings(ws, "p_new")] == [4]
        assert [j.id for j in store.list_jobs(ws)] == [J(ws, "job_9")]
        assert store.rejects(J(ws, "job_9")) == [Reject(5, "bad")]


def test_tags_are_scoped_and_idempotent(store: Any) -> None:
    a, b = store.workspace(fresh_name("tag-a")).id, store.workspace(fresh_name("tag-b")).id
    with store.atomic():
        store.add_person(a, person("p_1", "Tagged"))
        store.add_person(b, person("p_1", "Other"))
    assert store.add_tag(a, "p_1", "investor") is True and store.add_tag(a, "p_1", "investor") is False
    store.add_tag(a, "p_1", "alumni")
    assert store.tags_of(a, "p_1") == ["alumni", "investor"] and store.people_with_tag(a, "investor") == ["p_1"]
    assert store.tags_of(b, "p_1") == [] and store.people_with_tag(b, "investor") == []


def test_merges_are_undoable_scoped_and_hide_the_absorbed_from_search(store: Any) -> None:
    a, b = store.workspace(fresh_name("merge-a")).id, store.workspace(fresh_name("merge-b")).id
    with store.atomic():
        for ws in (a, b):
            store.add_person(ws, person("p_1", "Robert Chen"))
            store.add_person(ws, person("p_2", "Bob Chen"))
            store.add_person(ws, person("p_3", "Bobby Chen"))
    version = store.data_version(a)
    with store.atomic():
        store.set_merged_into(a, ["p_2"], "p_1")
        store.set_merged_into(a, ["p_3"], "p_1", manual=True)
        store.add_distinct(a, "p_2", "p_9")
    assert store.data_version(a) > version
    assert store.merge_map(a) == {"p_2": "p_1", "p_3": "p_1"} and store.manual_merges(a) == {"p_3"}
    assert [p.id for p in store.search_people(a, "chen", 10)] == ["p_1"] and store.count_people(a, "chen") == 1
    assert store.merge_map(b) == {} and store.count_people(b, "chen") == 3 and store.distinct_pairs(b) == set()
    assert store.distinct_pairs(a) == {("p_2", "p_9")}
    with store.atomic():
        store.set_merged_into(a, ["p_2", "p_3"], None)
        store.remove_distinct(a, "p_9", "p_2")
    assert store.merge_map(a) == {} and store.manual_merges(a) == set() and store.distinct_pairs(a) == set()
    assert store.count_people(a, None) == 3


def test_name_blocks_group_people_to_compare(store: Any) -> None:
    from graphsvc.identity.records import record_blocks

    ws = store.workspace(fresh_name("blocks")).id
    with store.atomic():
        for p in (person("p_1", "Robert Chen", first_name="Robert", last_name="Chen"), person("p_2", "Bob Chen", first_name="Bob", last_name="Chen"),
                  person("p_3", "Ana Ruiz", first_name="Ana", last_name="Ruiz")):
            store.add_person(ws, p)
            record_blocks(store, ws, p)
    assert store.people_in_blocks(ws, ["n:robert|chen"]) == {"n:robert|chen": ["p_1", "p_2"]}
    # with a limit, blocks of more people are left out (too common to compare within)
    both = ["n:robert|chen", "n:ana|ruiz", "n:nobody|here"]
    assert store.people_in_blocks(ws, both, limit=2) == {"n:robert|chen": ["p_1", "p_2"], "n:ana|ruiz": ["p_3"]}
    assert store.people_in_blocks(ws, both, limit=1) == {"n:ana|ruiz": ["p_3"]}
    assert ["p_1", "p_2"] in list(store.block_groups(ws, 10)) and all("p_3" not in g for g in store.block_groups(ws, 10))
    store.forget_people(ws, ["p_2"], [])  # a block shrinks when a person leaves it
    assert store.people_in_blocks(ws, both, limit=1) == {"n:robert|chen": ["p_1"], "n:ana|ruiz": ["p_3"]}


def test_do_not_ask_and_forget(store: Any) -> None:
    a, b = store.workspace(fresh_name("forget-a")).id, store.workspace(fresh_name("forget-b")).id
    at = datetime(2026, 11, 1, tzinfo=timezone.utc)
    with store.atomic():
        for ws in (a, b):
            store.add_person(ws, person("p_1", "Owner"))
            store.add_person(ws, person("p_2", "Tara Voss"))
            store.add_key(ws, "email", "tara@example.org", "p_2")
            store.add_evidence(ws, [Evidence(f"ev_{ws[-4:]}", EvidenceKind.CONNECTION, Channel.LINKEDIN, "p_1", "p_2", None, at, "j", "mutual")])
    store.add_tag(a, "p_2", "investor")
    with store.atomic():
        store.set_do_not_ask(a, "p_2", True, at)
    assert store.do_not_ask(a) == {"p_2"} and store.do_not_ask(b) == set()
    version = store.data_version(a)
    with store.atomic():
        assert store.forget_people(a, ["p_2"], ["hash-1"]) == 1
    assert store.data_version(a) > version
    assert store.get_people(a, ["p_2"]) == {} and store.person_for_key(a, "email", "tara@example.org") is None
    assert store.count_evidence(a) == 0 and store.people_with_tag(a, "investor") == [] and store.do_not_ask(a) == set()
    assert store.forgotten_keys(a) == {"hash-1"} and store.forgotten_keys(b) == set()
    assert store.get_people(b, ["p_2"]) and store.count_evidence(b) == 1  # the other workspace keeps its own


def test_tokens_are_hashed_scoped_and_revocable(store: Any) -> None:
    from graphsvc import auth

    a, b = store.workspace(fresh_name("tok-a")).id, store.workspace(fresh_name("tok-b")).id
    token, secret = auth.create_token(store, a, "maya", "member")
    assert secret not in repr(store.list_tokens(a)) and token.secret_hash == auth.hash_secret(secret)
    found = auth.authenticate(store, secret)
    assert found is not None and (found.id, found.workspace_id, found.role.value) == (token.id, a, "member")
    assert store.list_tokens(b) == [] and [t.id for t in store.list_tokens(a)] == [token.id]
    assert store.revoke_token(b, token.id, token.created_at) is False
    auth.revoke_token(store, a, token.id)
    assert auth.authenticate(store, secret) is None and store.list_tokens(a)[0].revoked_at is not None
    assert auth.check_token(store, secret) == (None, "this bearer token was revoked")


def test_tokens_expire(store: Any) -> None:
    from datetime import timedelta

    from graphsvc import auth

    ws = store.workspace(fresh_name("tok-exp")).id
    token, secret = auth.create_token(store, ws, "contractor", "read_only", expires_in_days=7)
    stored = store.list_tokens(ws)[0]
    assert stored.expires_at == token.expires_at and timedelta(days=6.99) < token.expires_at - token.created_at <= timedelta(days=7)
    assert auth.check_token(store, secret, now=token.created_at + timedelta(days=6))[0] == stored
    found, why = auth.check_token(store, secret, now=token.created_at + timedelta(days=7, seconds=1))
    assert found is None and why.startswith("this bearer token expired at ")
    forever, secret2 = auth.create_token(store, ws, "ops", "admin")
    assert forever.expires_at is None and auth.check_token(store, secret2, now=token.created_at + timedelta(days=36500))[0] is not None
    with pytest.raises(InvalidArgument):
        auth.create_token(store, ws, "nobody", "member", expires_in_days=0)
    assert auth.check_token(store, "gs_" + "x" * 40) == (None, "unknown bearer token")
    assert auth.check_token(store, "not-a-token") == (None, "malformed bearer token")


def test_people_are_added_in_bulk(store: Any, ws: str) -> None:
    ada = person("p_ada", "Ada Quinn", first_name="Ada", last_name="Quinn", organization="Acme", title="CTO",
                 emails=("ada@acme.example",), linkedin_url="https://www.linkedin.com/in/ada")
    bob = person("p_bob", "Bob")
    with store.atomic():
        store.add_people(ws, [])  # an empty batch changes nothing
    assert store.data_version(ws) == 0
    with store.atomic():
        store.add_people(ws, [ada, bob])
    assert store.get_people(ws, ["p_bob", "p_ada", "p_nobody"]) == {"p_ada": ada, "p_bob": bob}
    assert store.count_people(ws, None) == 2 and store.data_version(ws) > 0


def test_names_are_read_without_whole_people_and_see_a_blocks_own_writes(store: Any, ws: str) -> None:
    other_ws = store.workspace(fresh_name()).id
    with store.atomic():
        store.add_people(ws, [person("p_ada", "Ada Quinn", first_name="Ada", last_name="Quinn", emails=("ada@acme.example",)),
                              person("p_bob", "bob@acme.example")])
        store.add_people(other_ws, [person("p_eve", "Eve Stone", first_name="Eve", last_name="Stone")])
        # inside an import's block, people written by it are read back too
        assert store.names_of(ws, ["p_ada"]) == {"p_ada": ("Ada", "Quinn", "Ada Quinn")}
    assert store.names_of(ws, ["p_bob", "p_ada", "p_nobody", "p_eve", "p_ada"]) == {
        "p_ada": ("Ada", "Quinn", "Ada Quinn"), "p_bob": ("", "", "bob@acme.example"),
    }
    assert store.names_of(ws, []) == {}
    assert store.names_of(other_ws, ["p_ada", "p_eve"]) == {"p_eve": ("Eve", "Stone", "Eve Stone")}


def test_name_blocks_follow_the_current_blocking_rule_once_ensured(store: Any, ws: str) -> None:
    from graphsvc.identity.records import ensure_blocks
    from graphsvc.identity.matching import BLOCKING_VERSION, blocking_keys, name_parts

    with store.atomic():
        store.add_people(ws, [person("p_kate", "Kate Ng", first_name="Kate", last_name="Ng")])  # filed under nothing yet
    ensure_blocks(store, ws)
    assert store.blocks_filed_by(ws) == BLOCKING_VERSION
    blocks = blocking_keys(name_parts("Kate", "Ng", "Kate Ng"))
    assert store.people_in_blocks(ws, blocks) == {block: ["p_kate"] for block in blocks}
    assert ensure_blocks(store, ws) == 0  # nothing more to do


def test_keys_are_added_in_bulk_and_looked_up_in_bulk(store: Any, ws: str) -> None:
    a, b = ("email", "a@x.example"), ("linkedin", "b-slug")
    phone, nobody = ("phone", "+15550100"), ("email", "nobody@x.example")
    with store.atomic():
        store.add_people(ws, [person("p_a", "A"), person("p_b", "B")])
        store.add_key(ws, *a, "p_a")
    with store.atomic():
        store.add_keys(ws, [(*a, "p_b"), (*b, "p_b"), (*phone, "p_b"), (*phone, "p_a")])  # a held key stays its holder's
        assert store.persons_for_keys(ws, [b, a]) == {b: "p_b", a: "p_a"}  # the block reads its own keys
    store.add_keys(ws, [(*b, "p_a")])
    assert store.persons_for_keys(ws, [a, b, phone, nobody, b]) == {a: "p_a", b: "p_b", phone: "p_b"}
    assert store.persons_for_keys(ws, []) == {}
    assert store.keys_of(ws, "p_a") == [a] and store.keys_of(ws, "p_b") == [b, phone]


def test_sightings_are_added_in_bulk_once_per_job_row_and_person(store: Any, ws: str) -> None:
    store.add_people(ws, [person("p_a", "A"), person("p_b", "B")])

    def seen(pid: str, job_id: str, row: int, name: str) -> Sighting:
        return Sighting(pid, job_id, "linkedin", "Connections.csv", row, name, "", "", "Acme", "")

    first = [seen("p_a", "job_1", 2, "A"), seen("p_b", "job_1", 2, "B"), seen("p_a", "job_1", 3, "A")]
    with store.atomic():
        store.add_sightings(ws, [*first, seen("p_a", "job_1", 2, "same job, row and person: ignored")])
    store.add_sightings(ws, [seen("p_a", "job_1", 3, "ignored too"), seen("p_a", "job_2", 1, "A")])
    store.add_sightings(ws, [])
    assert store.sightings(ws, "p_a") == [first[0], first[2], seen("p_a", "job_2", 1, "A")]
    assert store.sightings(ws, "p_b") == [first[1]]


def test_events_are_added_in_bulk_insert_or_ignore(store: Any, ws: str) -> None:
    e1 = Event("evt_1", "Robotics Workshop", datetime(2026, 9, 10, tzinfo=UTC), "workshop", "signin_sheet")
    e2, e3 = Event("evt_2", "Undated", None, "meetup", "signin_sheet"), Event("evt_3", "Later", None, "talk", "x")
    with store.atomic():
        store.add_events(ws, [e1, e2, Event("evt_1", "Renamed in the same call", None, "other", "other")])
    store.add_events(ws, [Event("evt_2", "Renamed later", None, "other", "other"), e3])
    assert store.get_events(ws, ["evt_1", "evt_2", "evt_3", "evt_nope"]) == {"evt_1": e1, "evt_2": e2, "evt_3": e3}


def test_workspaces_do_not_see_each_other(store: Any) -> None:
    a, b = store.workspace(fresh_name("iso-a")).id, store.workspace(fresh_name("iso-b")).id
    with store.atomic():
        store.add_person(a, person("p_1", "Only In A"))
        store.add_person(b, person("p_1", "Same Id In B"))
        store.add_key(a, "email", "x@example.org", "p_1")
        store.add_member(a, "p_1")
        store.add_event(a, Event("evt_1", "A's event", None, "meetup", "x"))
        store.add_evidence(a, [Evidence("ev_1", EvidenceKind.ATTENDED, Channel.EVENT, "p_1", None, "evt_1", None, "job_1")])
        store.add_job(job(a, "job_a1", None))
    assert store.get_people(b, ["p_1"])["p_1"].display_name == "Same Id In B"
    assert store.person_for_key(b, "email", "x@example.org") is None
    assert store.search_people(b, "Only", 10) == [] and store.member_ids(b) == []
    assert store.get_events(b, ["evt_1"]) == {} and list(store.iter_evidence(b)) == [] and store.count_evidence(b) == 0
    assert store.get_job(b, "job_a1") is None and store.list_jobs(b) == []
    assert [p.id for p in store.search_people(a, "only", 10)] == ["p_1"]


# ------------------------------------------------------------------------------------------
# end to end: the scenario imported into both stores


def _import_scenario(service: Graphsvc, ws: str, files: dict[str, Path]) -> None:
    service.import_file(ws, files["connections"], options=ImportOptions(owner=scenario.OWNER))
    service.import_file(ws, files["workshop"], options=ImportOptions(event_name="Robotics Workshop", event_date="2026-09-10", event_kind="workshop"))
    service.import_file(ws, files["conference"], options=ImportOptions(event_name="Big Tech Summit", event_date="2026-09-20", event_kind="conference"))


def _state(store: Any, ws: str) -> dict[str, Any]:
    people = store.search_people(ws, None, 100_000)
    return {
        "people": people,
        "keys": {p.id: store.keys_of(ws, p.id) for p in people},
        "sightings": {p.id: store.sightings(ws, p.id) for p in people[:50]},
        "evidence": list(store.iter_evidence(ws)),
        "members": store.member_ids(ws),
        "jobs": [(j.id, j.file_name, j.format, j.owner_person_id, j.status, j.rows_read, j.rows_imported, j.rows_rejected,
                  j.rows_skipped, j.checkpoint_row, j.error, j.options, j.notes) for j in store.list_jobs(ws)],
        "rejects": {j.id: store.rejects(j.id) for j in store.list_jobs(ws)},
    }


def _ties(service: Graphsvc, ws: str) -> dict[tuple[str, str], tuple[float, str]]:
    graph = service.view(ws, AS_OF).graph  # tie_view(build_snapshot(store, ws), AS_OF), cached for intro_paths
    return {tuple(sorted((a, b))): (d["strength"], d["level"].value) for a, b, d in graph.edges(data=True)}


@pytest.fixture(scope="module")
def imported(neo4j_store: Neo4jStore, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("contract-scenario")
    files = scenario.write_scenario(folder / "files")
    name = fresh_name("scenario")  # the same workspace name, so the same ids, on both stores
    sqlite = SQLiteStore(folder / "sqlite.db")
    out: dict[str, Any] = {"files": files}
    for kind, store in (("sqlite", sqlite), ("neo4j", neo4j_store)):
        service = Graphsvc(Settings(data_dir=folder / "data", store=""), store=store)
        ws = service.workspace(name).id
        _import_scenario(service, ws, files)
        out[kind] = {"service": service, "store": store, "ws": ws}
    yield out
    sqlite.close()


@pytest.mark.neo4j
def test_scenario_gives_the_same_people_evidence_and_jobs(imported: dict[str, Any]) -> None:
    sq, n4 = imported["sqlite"], imported["neo4j"]
    assert sq["ws"] == n4["ws"]
    a, b = _state(sq["store"], sq["ws"]), _state(n4["store"], n4["ws"])
    assert len(a["people"]) == 1 + 3 + 9 + 798
    for key in a:
        assert a[key] == b[key], key
    assert n4["store"].count_people(n4["ws"], None) == sq["store"].count_people(sq["ws"], None)
    assert n4["store"].count_evidence(n4["ws"]) == sq["store"].count_evidence(sq["ws"])


@pytest.mark.neo4j
def test_scenario_gives_the_same_ties_and_intro_paths(imported: dict[str, Any]) -> None:
    sq, n4 = imported["sqlite"], imported["neo4j"]
    assert _ties(sq["service"], sq["ws"]) == _ties(n4["service"], n4["ws"])
    for target in ("Tara Voss", scenario.TARGET[3], "Workshop Guest"):
        left = sq["service"].intro_paths(sq["ws"], target, as_of=AS_OF).to_dict()
        right = n4["service"].intro_paths(n4["ws"], target, as_of=AS_OF).to_dict()
        assert left == right, target
    best = n4["service"].intro_paths(n4["ws"], "Tara Voss", as_of=AS_OF)
    assert [h.source.display_name for h in best.paths[0].hops] == ["Olivia Okafor", "Ada Quinn"]


@pytest.mark.neo4j
def test_knows_relationships_carry_the_in_memory_ties(imported: dict[str, Any]) -> None:
    service, store, ws = imported["neo4j"]["service"], imported["neo4j"]["store"], imported["neo4j"]["ws"]

    def rows(knows: list[dict[str, Any]]) -> list[tuple]:
        return [(k["a"], k["b"], k["strength"], k["level"], k["lastContact"], k["channels"], k["asOf"]) for k in knows]

    # written after each import by the store's after_import hook (install_knows_projection), as of the import's minute
    stored = store.knows(ws)
    assert stored
    hook_as_of = stored[0]["asOf"]
    assert abs(datetime.now(UTC) - hook_as_of) < timedelta(hours=1)
    # between people: records merged into one person (the workshop list's Ada and LinkedIn's) are that person
    assert rows(stored) == [(*tie, hook_as_of) for tie in knows_ties(build_snapshot(service.store, ws), hook_as_of)]
    # rebuilt for a chosen moment: every warm tie of the reference tie view, and replaced, not added
    view = service.view(ws, AS_OF)  # tie_view(build_snapshot(store, ws), AS_OF), as intro paths use it
    reference = []
    for a, b in sorted(tuple(sorted(edge)) for edge in view.graph.edges()):
        tie = view.tie(a, b)
        if tie.level in WARM_LEVELS:
            reference.append((a, b, tie.strength, tie.level.value, tie.last_contact, tie.channels, AS_OF))
    assert project_knows(store, ws, as_of=AS_OF) == len(reference)
    again = store.knows(ws)
    assert rows(again) == reference
    owner = service.find_person(ws, scenario.OWNER).person.id
    ada = service.find_person(ws, "Ada Quinn").person.id
    k = {(k["a"], k["b"]): k for k in again}[tuple(sorted((owner, ada)))]
    assert (k["level"], k["channels"], k["lastContact"]) == ("connection", ["linkedin"], datetime(2024, 3, 14, tzinfo=UTC))
    # the 800-person conference is co-presence, not KNOWS; the 10-person workshop is
    levels = {k["level"] for k in again}
    assert levels == {"connection", "small_event"} and len(again) == 3 + 45


# ------------------------------------------------------------------------------------------
# Neo4j failure modes


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.neo4j
def test_unreachable_neo4j_is_a_clear_store_unavailable() -> None:
    uri = f"bolt://127.0.0.1:{_free_port()}"
    with pytest.raises(StoreUnavailable) as raised:
        Neo4jStore(uri, "neo4j", "secret-password", connection_timeout=2, max_retry_time=0)
    message = str(raised.value)
    assert uri in message and "unavailable" in message and "secret-password" not in message
    assert raised.value.code == "STORE_UNAVAILABLE"


@pytest.mark.neo4j
def test_wrong_credentials_are_a_clear_store_unavailable(neo4j_server: Neo4jServer) -> None:  # noqa: F811
    port = neo4j_server.bolt_uri.rsplit(":", 1)[1]
    settings = Settings(store=f"neo4j://neo4j:not-the-password@127.0.0.1:{port}")
    with pytest.raises(StoreUnavailable) as raised:
        open_store(settings)
    message = str(raised.value)
    assert "rejected the credentials of user 'neo4j'" in message and "not-the-password" not in message


@pytest.mark.neo4j
def test_open_store_picks_neo4j_from_the_url(neo4j_server: Neo4jServer, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    port = neo4j_server.bolt_uri.rsplit(":", 1)[1]
    monkeypatch.setenv("GRAPHSVC_STORE", f"bolt://127.0.0.1:{port}")
    monkeypatch.setenv("GRAPHSVC_NEO4J_PASSWORD", neo4j_server.password)
    store = open_store(Settings())
    try:
        assert isinstance(store, Neo4jStore)
        assert store.workspace(fresh_name()).name.startswith("contract-")
    finally:
        store.close()



@pytest.mark.neo4j
@pytest.mark.parametrize("enabled", [True, False])
def test_the_service_s_store_rebuilds_knows_after_each_import_unless_disabled(
    neo4j_server: Neo4jServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, enabled: bool  # noqa: F811
) -> None:
    port = neo4j_server.bolt_uri.rsplit(":", 1)[1]
    monkeypatch.setenv("GRAPHSVC_STORE", f"bolt://127.0.0.1:{port}")
    monkeypatch.setenv("GRAPHSVC_NEO4J_PASSWORD", neo4j_server.password)
    monkeypatch.setenv("GRAPHSVC_NEO4J_PROJECT_KNOWS", "true" if enabled else "false")
    bare = open_store(Settings())  # the store alone knows nothing of KNOWS' computation
    try:
        assert bare.after_import is None  # type: ignore[attr-defined]
    finally:
        bare.close()
    store = projection_open_store(Settings())  # as Graphsvc and the import child process open it
    try:
        assert store.after_import is not None and store.project_knows_after_import is enabled  # type: ignore[attr-defined]
        ws = store.workspace(fresh_name("hook")).id
        files = scenario.write_scenario(tmp_path / "files")
        done = jobs.import_file(store, ws, files["connections"], options=ImportOptions(owner=scenario.OWNER))
        assert done.status is JobStatus.COMPLETED
        knows = store.knows(ws)  # type: ignore[attr-defined]
        assert (len(knows) == 3) if enabled else knows == []
    finally:
        store.close()


@pytest.mark.neo4j
def test_readyz_reports_an_unavailable_store(neo4j_store: Neo4jStore, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from graphsvc.api.app import create_app

    service = Graphsvc(Settings(data_dir=tmp_path), store=neo4j_store)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(service)), base_url="http://test")

    def down(*args: Any, **kwargs: Any) -> Any:
        raise ServiceUnavailable("Couldn't connect to 127.0.0.1:7687 (injected)")

    async def go() -> tuple[httpx.Response, httpx.Response]:
        ready = await client.get("/readyz")
        monkeypatch.setattr(neo4j_store._driver, "execute_query", down)
        return ready, await client.get("/readyz")

    ready, unavailable = asyncio.run(go())
    assert ready.status_code == 200
    assert unavailable.status_code == 503 and unavailable.json() == {"status": "unavailable", "store": "StoreUnavailable"}


def _progress(block: Any) -> tuple[int, str]:
    """Rows imported and status of the job a block saves (0, '' when it saves none)."""
    saved = [j for pend in block.ws.values() for j, _ in pend.jobs.values()]
    return (saved[0].rows_imported, saved[0].status.value) if saved else (0, "")


def _inject_outage(monkeypatch: pytest.MonkeyPatch, failing: Callable[[Any], bool]) -> dict[str, int]:
    """Make every flush for which ``failing(block)`` holds lose its connection after its statements
    ran inside the transaction, and before the commit (on every retry the driver makes)."""
    real = Neo4jStore._write_block
    count = {"failed": 0}

    def write_block(self: Neo4jStore, tx: Any, block: Any, *, check_generation: bool) -> Any:
        out = real(self, tx, block, check_generation=check_generation)
        if check_generation and failing(block):
            count["failed"] += 1
            raise ServiceUnavailable("Failed to read from defunct connection (injected)")
        return out

    monkeypatch.setattr(Neo4jStore, "_write_block", write_block)
    return count


CONFERENCE = ImportOptions(event_name="Big Tech Summit", event_date="2026-09-20")


def _summary(store: Any, ws: str) -> tuple:
    people = sorted((p.id, p.display_name, p.organization, p.emails) for p in store.search_people(ws, None, 10_000))
    evidence = sorted((e.id, e.person_a, e.person_b, e.event_id, e.at) for e in store.iter_evidence(ws))
    keys = sorted((p[0], tuple(store.keys_of(ws, p[0]))) for p in people[:40])
    sightings = sorted((p[0], tuple(store.sightings(ws, p[0]))) for p in people[:40])
    return people, evidence, keys, sightings


@pytest.fixture
def clean_conference(tmp_path: Path) -> Callable[[str], tuple]:
    files = scenario.write_scenario(tmp_path / "files")

    def run(name: str) -> tuple:
        sqlite = SQLiteStore(tmp_path / f"clean-{name}.db")
        ws = sqlite.workspace(name).id
        done = jobs.import_file(sqlite, ws, files["conference"], options=CONFERENCE, batch_rows=100)
        result = (_summary(sqlite, ws), done.rows_read, done.rows_imported, done.checkpoint_row)
        sqlite.close()
        return result

    run.files = files  # type: ignore[attr-defined]
    return run


@pytest.mark.neo4j
def test_neo4j_going_away_mid_import_leaves_whole_batches_and_resumes(
    neo4j_store: Neo4jStore, clean_conference: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(neo4j_store, "project_knows_after_import", False)
    name = fresh_name("outage")
    ws = neo4j_store.workspace(name).id
    down = {"now": False}

    def failing(block: Any) -> bool:  # from the 4th batch on, Neo4j is gone (even for the FAILED save)
        down["now"] = down["now"] or _progress(block)[0] > 300
        return down["now"]

    count = _inject_outage(monkeypatch, failing)
    with pytest.raises(StoreUnavailable, match="unavailable"):
        jobs.import_file(neo4j_store, ws, clean_conference.files["conference"], options=CONFERENCE, batch_rows=100)
    assert count["failed"] >= 2  # the 4th batch, then the attempt to mark the job failed
    monkeypatch.undo()
    monkeypatch.setattr(neo4j_store, "project_knows_after_import", False)
    # Only whole batches are visible: 3 x 100 rows; the job still RUNNING at its last checkpoint.
    [stuck] = neo4j_store.list_jobs(ws)
    assert (stuck.status, stuck.rows_imported, stuck.checkpoint_row) == (JobStatus.RUNNING, 300, 301)  # row 1: header
    assert neo4j_store.count_people(ws, None) == 300 and neo4j_store.count_evidence(ws) == 300
    # Neo4j is back: re-running resumes from the checkpoint and ends as a clean import does.
    resumed = jobs.import_file(neo4j_store, ws, clean_conference.files["conference"], options=CONFERENCE, batch_rows=100)
    assert resumed.id == stuck.id and resumed.status is JobStatus.COMPLETED
    assert (_summary(neo4j_store, ws), resumed.rows_read, resumed.rows_imported, resumed.checkpoint_row) == clean_conference(name)


@pytest.mark.neo4j
def test_a_failed_commit_marks_the_job_failed_without_moving_its_checkpoint(
    neo4j_store: Neo4jStore, clean_conference: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(neo4j_store, "project_knows_after_import", False)
    name = fresh_name("lost-commit")
    ws = neo4j_store.workspace(name).id
    # the commit of the 4th batch is lost (every retry); Neo4j answers again for the FAILED save
    count = _inject_outage(monkeypatch, lambda block: _progress(block) == (400, "running"))
    with pytest.raises(StoreUnavailable):
        jobs.import_file(neo4j_store, ws, clean_conference.files["conference"], options=CONFERENCE, batch_rows=100)
    assert count["failed"] >= 1
    [failed] = neo4j_store.list_jobs(ws)
    assert failed.status is JobStatus.FAILED and "StoreUnavailable" in failed.error and "unavailable" in failed.error
    # the in-memory job had counted the lost batch; the store kept the committed checkpoint
    assert (failed.rows_imported, failed.rows_read, failed.checkpoint_row) == (300, 300, 301)
    assert neo4j_store.count_people(ws, None) == 300
    monkeypatch.undo()
    monkeypatch.setattr(neo4j_store, "project_knows_after_import", False)
    resumed = jobs.import_file(neo4j_store, ws, clean_conference.files["conference"], options=CONFERENCE, batch_rows=100)
    assert resumed.status is JobStatus.COMPLETED
    assert (_summary(neo4j_store, ws), resumed.rows_read, resumed.rows_imported, resumed.checkpoint_row) == clean_conference(name)


@pytest.mark.neo4j
def test_a_transient_failure_is_retried_and_the_batch_lands_once(
    neo4j_server: Neo4jServer, clean_conference: Any, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    store = Neo4jStore(neo4j_server.bolt_uri, neo4j_server.user, neo4j_server.password, max_retry_time=5,
                       project_knows_after_import=False)
    try:
        name = fresh_name("retry")
        ws = store.workspace(name).id
        lost = {"once": False}

        def failing(block: Any) -> bool:  # the first attempt of the 4th batch loses its connection
            if _progress(block) == (400, "running") and not lost["once"]:
                lost["once"] = True
                return True
            return False

        _inject_outage(monkeypatch, failing)
        done = jobs.import_file(store, ws, clean_conference.files["conference"], options=CONFERENCE, batch_rows=100)
        assert lost["once"] and done.status is JobStatus.COMPLETED
        assert (_summary(store, ws), done.rows_read, done.rows_imported, done.checkpoint_row) == clean_conference(name)
    finally:
        store.close()
