"""The lists that grow with the data are Relay connections: every item once, in order, 100 at most per page.

One workspace with more than 100 of everything: 105 dormant ties of the member (neglectedTies),
a 110-person path (brokers: everyone inside it bridges its two halves), 101 separate pairs, a star
of 111 people and the member's circle (communities; the star is the largest), 105 events the member
attended (eventRoi; two on each day, two undated), 107 import jobs (two never started), one of them
with 250 rejected rows.
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterator

import pytest

from graphsvc.api.local import execute
from graphsvc.errors import GraphsvcError
from graphsvc.model import Channel, Event, Evidence, EvidenceKind, ImportJob, JobStatus, Reject, stable_id
from graphsvc.service import Graphsvc
from graphsvc.settings import Settings
from tests.community import AS_OF, Builder

WHEN = AS_OF.isoformat()
REJECTS_JOB = "job_many_rejects"


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Graphsvc]:
    service = Graphsvc(Settings(data_dir=tmp_path_factory.mktemp("pages") / "data", store=""))
    store, ws = service.store, service.workspace().id
    recent = AS_OF - timedelta(days=20)
    with store.atomic():
        b = Builder(store, ws, 5)
        owner = b.person("Olga Owner", "Home Base")
        store.add_member(ws, owner)
        silent_since = AS_OF - timedelta(days=4 * 365)
        for i in range(105):  # a strong tie once, silent for four years: dormant
            dormant = b.person(f"Dormant Person{i:03d}", "Dormant Co")
            b.messages(owner, dormant, 40, silent_since - timedelta(days=3 * 365), silent_since - timedelta(days=i))
            b.add(EvidenceKind.MEETING, Channel.CALENDAR, owner, dormant, silent_since - timedelta(days=30 + i))
        hub = b.person("Hub Person", "Star Co")
        for i in range(110):
            b.messages(hub, b.person(f"Spoke Person{i:03d}", "Star Co"), 8, AS_OF - timedelta(days=300), recent)
        path = [b.person(f"Path Person{i:03d}", "Path Co") for i in range(110)]
        for x, y in zip(path, path[1:]):
            b.messages(x, y, 8, AS_OF - timedelta(days=300), recent)
        for i in range(101):
            b.messages(b.person(f"Pair Left{i:03d}", "Pair Co"), b.person(f"Pair Right{i:03d}", "Pair Co"), 8, AS_OF - timedelta(days=300), recent)
        for i in range(103):
            b.event(f"Solo Event {i:03d}", AS_OF - timedelta(days=10 + i // 2), [owner], kind="meetup")
        for i in range(2):
            event_id = stable_id("evt", ws, f"Undated {i}")
            store.add_event(ws, Event(event_id, f"Undated {i}", None, "meetup", "synthetic"))
            b.evidence.append(
                Evidence(stable_id("ev", ws, "undated", i), EvidenceKind.ATTENDED, Channel.EVENT, owner, None, event_id, None, "job_synthetic", "mutual")
            )
        b.flush()
        start = datetime(2026, 1, 1, tzinfo=timezone.utc)
        for i in range(107):
            started = None if i in (40, 41) else start + timedelta(hours=i // 2)  # two jobs start in each hour
            store.add_job(ImportJob(f"job_{i:03d}", ws, f"file{i}.csv", f"hash{i}", "linkedin", None, JobStatus.COMPLETED, started_at=started))
        rejects = [Reject(row, f"bad row {row}", skipped=row % 7 == 0) for row in range(2, 502, 2)]
        skipped = sum(r.skipped for r in rejects)  # rejects' totalCount is the job's counters, as an import leaves them
        store.add_job(ImportJob(
            REJECTS_JOB, ws, "bad.csv", "hash-bad", "contacts", None, JobStatus.COMPLETED, started_at=start + timedelta(days=30),
            rows_read=len(rejects), rows_rejected=len(rejects) - skipped, rows_skipped=skipped,
        ))
        store.add_rejects(REJECTS_JOB, rejects)
    yield service
    service.close()


#: Field -> (a document paging it with $first/$after, where its connection is in the answer, what identifies a node).
CONNECTIONS: dict[str, tuple[str, Callable[[dict[str, Any]], dict[str, Any]], Callable[[dict[str, Any]], Any]]] = {
    "neglectedTies": (
        'query($first: Int!, $after: String) { c: neglectedTies(first: $first, after: $after, asOf: "%s") { %%s '
        "edges { cursor node { kind score person { id name } member { id } } } } }" % WHEN,
        lambda d: d["c"], lambda n: (n["kind"], n["person"]["id"]),
    ),
    "brokers": (
        'query($first: Int!, $after: String) { c: brokers(first: $first, after: $after, seed: 2, asOf: "%s") { %%s '
        "edges { cursor node { betweenness person { id name } } } } }" % WHEN,
        lambda d: d["c"], lambda n: n["person"]["id"],
    ),
    "communities": (
        'query($first: Int!, $after: String) { c: communities(first: $first, after: $after, asOf: "%s") { %%s '
        "edges { cursor node { index size } } } }" % WHEN,
        lambda d: d["c"], lambda n: n["index"],
    ),
    "eventRoi": (
        'query($first: Int!, $after: String) { c: eventRoi(first: $first, after: $after, asOf: "%s") { %%s '
        "edges { cursor node { eventId name startsAt } } } }" % WHEN,
        lambda d: d["c"], lambda n: n["eventId"],
    ),
    "importJobs": (
        "query($first: Int!, $after: String) { c: importJobs(first: $first, after: $after) { %s edges { cursor node { id startedAt } } } }",
        lambda d: d["c"], lambda n: n["id"],
    ),
    "ImportJob.rejects": (
        'query($first: Int!, $after: String) { importJob(id: "%s") { rejects(first: $first, after: $after, skipped: null) { %%s '
        "edges { cursor node { row reason skipped } } } } }" % REJECTS_JOB,
        lambda d: d["importJob"]["rejects"], lambda n: n["row"],
    ),
    "Community.members": (  # the largest community: the star
        'query($first: Int!, $after: String) { communities(first: 1, asOf: "%s") { edges { node { '
        "members(first: $first, after: $after) { %%s edges { cursor node { id name } } } } } } }" % WHEN,
        lambda d: d["communities"]["edges"][0]["node"]["members"], lambda n: n["id"],
    ),
}
PAGE_FIELDS = "totalCount pageInfo { hasNextPage endCursor }"


def _document(name: str) -> str:
    return CONNECTIONS[name][0] % PAGE_FIELDS


def _page(service: Graphsvc, name: str, first: int, after: str | None = None) -> dict[str, Any]:
    _, path, _ = CONNECTIONS[name]
    return path(execute(service, _document(name), {"first": first, "after": after}))


def _walk(service: Graphsvc, name: str, first: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every node, following endCursor, and every page."""
    nodes: list[dict[str, Any]] = []
    pages: list[dict[str, Any]] = []
    after = None
    for _ in range(200):
        page = _page(service, name, first, after)
        pages.append(page)
        nodes += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes, pages
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        after = page["pageInfo"]["endCursor"]
    raise AssertionError("the pages never ended")


@pytest.mark.parametrize("name", list(CONNECTIONS))
def test_paging_reaches_every_item_once_in_the_order_of_big_pages(big: Graphsvc, name: str) -> None:
    identify = CONNECTIONS[name][2]
    whole, pages = _walk(big, name, 100)
    total = pages[0]["totalCount"]
    assert total > 100, "the fixture is meant to hold more than a page of everything"
    assert [len(p["edges"]) for p in pages] == [100] * (total // 100) + ([total % 100] if total % 100 else [])
    assert all(p["totalCount"] == total for p in pages)
    small, small_pages = _walk(big, name, 7)
    assert small == whole  # the same items in the same order, seven at a time
    assert len(whole) == total and len({identify(n) for n in whole}) == total  # each exactly once
    assert len(small_pages) == -(-total // 7) and not small_pages[-1]["pageInfo"]["hasNextPage"]
    cursors = [e["cursor"] for p in small_pages for e in p["edges"]]
    assert len(set(cursors)) == total


@pytest.mark.parametrize("name", list(CONNECTIONS))
def test_pages_are_capped_at_100(big: Graphsvc, name: str) -> None:
    page = _page(big, name, 500)
    assert len(page["edges"]) == 100 and page["pageInfo"]["hasNextPage"] is True and page["totalCount"] > 100
    assert _page(big, name, 0)["edges"] == []
    rest = _page(big, name, 500, page["pageInfo"]["endCursor"])
    assert len(rest["edges"]) == min(100, page["totalCount"] - 100)


@pytest.mark.parametrize("name", list(CONNECTIONS))
def test_bad_cursors_and_sizes_are_invalid_arguments(big: Graphsvc, name: str) -> None:
    others = [_page(big, other, 1)["pageInfo"]["endCursor"] for other in CONNECTIONS if other != name]
    people = execute(big, "{ people(first: 1) { pageInfo { endCursor } } }")["people"]["pageInfo"]["endCursor"]
    own_kind = base64.urlsafe_b64decode(_page(big, name, 1)["pageInfo"]["endCursor"]).decode().partition(":")[0]
    garbage = [
        "%%%", "bm90IGpzb24=", "", "x" * 50,
        base64.urlsafe_b64encode(f"{own_kind}:not json".encode()).decode(),
        base64.urlsafe_b64encode(f"{own_kind}:".encode()).decode(),
        base64.urlsafe_b64encode(f'{own_kind}:{{"a": 1}}'.encode()).decode(),  # JSON of another shape
        base64.urlsafe_b64encode(f'{own_kind}:[["nested"], "x", "y", "z"]'.encode()).decode(),
    ]
    for cursor in [*others, people, *garbage]:
        if cursor == "":
            continue  # an empty `after` is no cursor: the first page
        with pytest.raises(GraphsvcError) as failure:
            _page(big, name, 5, cursor)
        assert failure.value.code == "INVALID_ARGUMENT", (name, cursor)
    with pytest.raises(GraphsvcError) as failure:
        _page(big, name, -1)
    assert failure.value.code == "INVALID_ARGUMENT"


def test_each_connection_keeps_its_order(big: Graphsvc) -> None:
    def nodes(name: str) -> list[dict[str, Any]]:
        return _walk(big, name, 100)[0]

    neglected = nodes("neglectedTies")
    assert [n["score"] for n in neglected] == sorted((n["score"] for n in neglected), reverse=True)  # one kind here: DORMANT
    assert {n["kind"] for n in neglected} == {"DORMANT"} and len({n["member"]["id"] for n in neglected}) == 1
    brokers = nodes("brokers")
    assert [b["betweenness"] for b in brokers] == sorted((b["betweenness"] for b in brokers), reverse=True)
    assert brokers[0]["person"]["name"] == "Hub Person"  # 110 spokes reach each other only through the hub
    assert brokers[1]["person"]["name"] in ("Path Person054", "Path Person055")  # then the middle of the path
    assert len(brokers) == 109  # the hub and the path but its two ends
    communities = nodes("communities")
    assert [c["index"] for c in communities] == list(range(len(communities)))
    assert [c["size"] for c in communities] == sorted((c["size"] for c in communities), reverse=True) and communities[0]["size"] == 111
    events = nodes("eventRoi")
    dated = [e for e in events if e["startsAt"]]
    assert len(dated) == 103 and events[103:] == [e for e in events if not e["startsAt"]]  # undated last
    keys = [(e["startsAt"], e["eventId"]) for e in dated]
    assert keys == sorted(keys, reverse=True)  # most recent first; one day's events by id, as before
    undated = [e["eventId"] for e in events[103:]]
    assert undated == sorted(undated, reverse=True)
    jobs = nodes("importJobs")
    assert [j["id"] for j in jobs[:2]] == ["job_040", "job_041"]  # never started: first, by id
    started = [(j["startedAt"], j["id"]) for j in jobs[2:]]
    assert started == sorted(started) and jobs[-1]["id"] == REJECTS_JOB  # then oldest first
    rejects = nodes("ImportJob.rejects")
    assert [r["row"] for r in rejects] == list(range(2, 502, 2))
    assert rejects[0] == {"row": 2, "reason": "bad row 2", "skipped": False} and rejects[6]["skipped"] is True
    members = nodes("Community.members")
    assert [m["name"] for m in members] == ["Hub Person", *(f"Spoke Person{i:03d}" for i in range(110))]


def test_a_cursor_names_a_row_not_an_offset(big: Graphsvc) -> None:
    """A reject cursor carries the row number: a cursor past a row that is not there starts at the next one."""
    after_row = base64.urlsafe_b64encode(b"reject:[101]").decode()
    page = _page(big, "ImportJob.rejects", 2, after_row)
    assert [e["node"]["row"] for e in page["edges"]] == [102, 104]
    last = _page(big, "ImportJob.rejects", 5, base64.urlsafe_b64encode(b"reject:[500]").decode())
    assert last["edges"] == [] and last["pageInfo"] == {"hasNextPage": False, "endCursor": None} and last["totalCount"] == 250


def test_the_pages_of_one_ranking_are_computed_once(big: Graphsvc, monkeypatch: pytest.MonkeyPatch) -> None:
    """brokers ranks everybody once per asOf and seed; the costly details are computed for each page's people only."""
    from graphsvc.api.structure import query

    rankings, detailed = [], []
    real_ranking, real_details = query.broker_ranking, query.broker_details
    monkeypatch.setattr(query, "broker_ranking", lambda *a, **k: rankings.append(k) or real_ranking(*a, **k))
    monkeypatch.setattr(query, "broker_details", lambda view, ranked, **k: detailed.append(len(ranked)) or real_details(view, ranked, **k))
    document = 'query($after: String) { brokers(first: 50, after: $after, seed: 11, asOf: "%s") { pageInfo { endCursor } } }' % WHEN
    cursor = execute(big, document, {"after": None})["brokers"]["pageInfo"]["endCursor"]
    execute(big, document, {"after": cursor})
    assert len(rankings) == 1 and rankings[0]["seed"] == 11
    assert detailed == [50, 50]


def test_broker_pages_agree_with_the_analytics_function(big: Graphsvc) -> None:
    from graphsvc.analytics.structure import brokers

    document = 'query($after: String) { brokers(first: 30, after: $after, asOf: "%s") { edges { node { person { id } betweenness constraint effectiveSize communitiesBridged } } pageInfo { endCursor } } }' % WHEN
    first = execute(big, document, {"after": None})["brokers"]
    second = execute(big, document, {"after": first["pageInfo"]["endCursor"]})["brokers"]
    served = [e["node"] for e in first["edges"] + second["edges"]]
    expected = brokers(big.view(big.workspace().id, AS_OF), top=60)
    assert [(n["person"]["id"], n["betweenness"], n["constraint"], n["effectiveSize"], n["communitiesBridged"]) for n in served] == [
        (b.person_id, b.betweenness, b.constraint, b.effective_size, b.communities_bridged) for b in expected
    ]


def test_community_members_read_only_the_page(big: Graphsvc, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every community with five members each: one store read of at most 5 x 100 people, not every member."""
    read: list[int] = []
    real = big.store.get_people
    monkeypatch.setattr(big.store, "get_people", lambda ws, ids: read.append(len(list(ids))) or real(ws, ids))
    data = execute(big, '{ communities(first: 100, asOf: "%s") { edges { node { size members(first: 5) { totalCount edges { node { name } } } } } } }' % WHEN)
    communities = [e["node"] for e in data["communities"]["edges"]]
    assert sum(c["size"] for c in communities) > 500
    assert all(c["members"]["totalCount"] == c["size"] and len(c["members"]["edges"]) == min(5, c["size"]) for c in communities)
    assert len(read) <= 2 and sum(read) <= 5 * len(communities)
