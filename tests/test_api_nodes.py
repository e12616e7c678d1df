"""Organizations, events and ties as graph nodes: their fields, their pages, and what a page costs the store."""

from __future__ import annotations

import asyncio
import csv
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from graphsvc.api.context import Context
from graphsvc.api.local import execute
from graphsvc.api.schema import schema
from graphsvc.api.ties.types import EvidenceDirection, _direction
from graphsvc.errors import GraphsvcError
from graphsvc.model import stable_id
from graphsvc.service import Graphsvc
from graphsvc.settings import Settings
from graphsvc.snapshot import Fact
from graphsvc.store import SQLiteStore
from importers import ImportOptions
from tests import scenario

AS_OF = scenario.AS_OF


@pytest.fixture
def small(service: Graphsvc, tmp_path: Path) -> Graphsvc:
    """The scenario's owner, A, B and Cleo on LinkedIn, and A and the target at a 10-person workshop."""
    files = scenario.write_scenario(tmp_path / "files")
    ws = service.workspace().id
    service.import_file(ws, files["connections"], options=ImportOptions(owner=scenario.OWNER))
    service.import_file(ws, files["workshop"], options=ImportOptions(event_name="Robotics Workshop", event_date="2026-09-10", event_kind="workshop"))
    return service


def _walk(service: Graphsvc, document: str, path: Callable[[dict[str, Any]], dict[str, Any]], **variables: Any) -> list[Any]:
    """Every node of a connection, page by page, following endCursor."""
    nodes: list[Any] = []
    after = None
    for _ in range(100):
        page = path(execute(service, document, {**variables, "after": after}))
        nodes += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]
    raise AssertionError("the pages never ended")


def test_person_links_to_its_organization_and_the_organization_back(small: Graphsvc) -> None:
    ws = small.workspace().id
    data = execute(small, """{ people(search: "Ada Quinn") { edges { node { name organization
        organizationRef { id name people { totalCount edges { node { name } } } } } } } }""")
    ada = data["people"]["edges"][0]["node"]
    org = ada["organizationRef"]
    assert org["id"] == stable_id("org", ws, "acme robotics")  # from the normalised name: "Acme Robotics" is the same organization
    assert org["name"] == ada["organization"] == "Acme Robotics, Inc."
    assert org["people"] == {"totalCount": 1, "edges": [{"node": {"name": "Ada Quinn"}}]}

    found = execute(small, "query($id: ID!) { organization(id: $id) { id name } }", {"id": org["id"]})
    assert found["organization"] == {"id": org["id"], "name": "Acme Robotics, Inc."}
    assert execute(small, '{ organization(id: "org_nope") { id } }')["organization"] is None
    search = execute(small, '{ organizations(search: "acme") { totalCount edges { node { name } } } }')["organizations"]
    assert search == {"totalCount": 1, "edges": [{"node": {"name": "Acme Robotics, Inc."}}]}
    everything = execute(small, "{ organizations(first: 100) { totalCount edges { node { name } } } }")["organizations"]
    names = [e["node"]["name"] for e in everything["edges"]]
    assert everything["totalCount"] == len(names) == 12  # Acme, Globex, Umbrella, Initech, Studio 0-7
    assert names[:4] == ["Acme Robotics, Inc.", "Globex Corporation", "Initech", "Studio 0"]
    nobody = execute(small, '{ people(search: "Olivia") { edges { node { organizationRef { id } } } } }')
    assert nobody["people"]["edges"][0]["node"]["organizationRef"] is None  # the owner has no organization


def test_events_and_their_attendees(small: Graphsvc) -> None:
    events = execute(small, "{ events { totalCount edges { node { id name startsAt kind attendeeCount } } } }")["events"]
    assert events["totalCount"] == 1
    workshop = events["edges"][0]["node"]
    assert (workshop["name"], workshop["kind"], workshop["attendeeCount"]) == ("Robotics Workshop", "workshop", 10)
    assert workshop["startsAt"].startswith("2026-09-10")
    assert execute(small, "query($id: ID!) { event(id: $id) { name } }", {"id": workshop["id"]})["event"] == {"name": "Robotics Workshop"}
    assert execute(small, '{ event(id: "evt_nope") { name } }')["event"] is None
    assert execute(small, '{ events(search: "robotics") { totalCount } }')["events"]["totalCount"] == 1
    assert execute(small, '{ events(search: "gala") { totalCount } }')["events"]["totalCount"] == 0

    attendees = _walk(
        small, "query($id: ID!, $after: String) { event(id: $id) { attendees(first: 3, after: $after) { edges { node { name } } pageInfo { hasNextPage endCursor } } } }",
        lambda d: d["event"]["attendees"], id=workshop["id"],
    )
    names = [a["name"] for a in attendees]
    assert len(names) == len(set(names)) == 10 and names == sorted(names)
    assert {"Ada Quinn", "Tara Voss"} <= set(names)

    people = execute(small, '{ people(first: 100) { edges { node { name events { totalCount edges { node { name attendeeCount } } } } } } }')
    by_name = {e["node"]["name"]: e["node"]["events"] for e in people["people"]["edges"]}
    assert by_name["Ada Quinn"] == {"totalCount": 1, "edges": [{"node": {"name": "Robotics Workshop", "attendeeCount": 10}}]}
    assert by_name["Bruno Silva"] == {"totalCount": 0, "edges": []}


TIES = """query($after: String, $first: Int!, $min: Float!) { people(search: "Ada Quinn") { edges { node {
  ties(first: $first, after: $after, asOf: "%s", minStrength: $min) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node {
    strength level asOf a { name } other { name } evidence { kind channel at direction event { name attendeeCount } } } } } } } } }""" % AS_OF


def test_a_persons_ties_strongest_first_with_their_evidence(small: Graphsvc) -> None:
    page = execute(small, TIES, {"first": 100, "min": 0.0})["people"]["edges"][0]["node"]["ties"]
    ties = [e["node"] for e in page["edges"]]
    assert page["totalCount"] == len(ties) == 10  # nine fellow attendees and the owner
    assert [t["strength"] for t in ties] == sorted((t["strength"] for t in ties), reverse=True)
    assert all(t["a"] == {"name": "Ada Quinn"} and t["asOf"].startswith("2026-11-01") for t in ties)
    owner = next(t for t in ties if t["other"]["name"] == scenario.OWNER)
    assert owner["level"] == "CONNECTION"
    assert owner["evidence"] == [{"kind": "CONNECTION", "channel": "LINKEDIN", "at": "2024-03-14T00:00:00+00:00", "direction": "MUTUAL", "event": None}]
    tara = next(t for t in ties if t["other"]["name"] == "Tara Voss")
    assert tara["level"] == "SMALL_EVENT"
    assert tara["evidence"] == [
        {"kind": "CO_ATTENDANCE", "channel": "EVENT", "at": "2026-09-10T00:00:00+00:00", "direction": "MUTUAL", "event": {"name": "Robotics Workshop", "attendeeCount": 10}}
    ]
    explained = execute(small, 'query($b: String!) { tie(a: "Ada Quinn", b: $b, asOf: "%s") { strength other { name } evidence { kind } } }' % AS_OF, {"b": scenario.OWNER})
    assert explained["tie"] == {"strength": owner["strength"], "other": {"name": scenario.OWNER}, "evidence": [{"kind": "CONNECTION"}]}

    # the workshop ties (0.37: a 10-person event two months ago) pass 0.35, the 2024 connection (0.34) does not
    strong = execute(small, TIES, {"first": 100, "min": 0.35})["people"]["edges"][0]["node"]["ties"]
    assert strong["totalCount"] == 9 and all(e["node"]["strength"] >= 0.35 for e in strong["edges"])
    assert scenario.OWNER not in {e["node"]["other"]["name"] for e in strong["edges"]}

    walked = _walk(small, TIES, lambda d: d["people"]["edges"][0]["node"]["ties"], first=3, min=0.0)
    assert walked == ties  # the same ties in the same order, three at a time


def test_evidence_direction_is_seen_from_the_ties_first_person() -> None:
    sent = Fact("message", "email", None, direction="forward")  # from the pair's first id ("p1") to its second ("p2")
    assert _direction(sent, "p1", "p2") is EvidenceDirection.OUTGOING
    assert _direction(sent, "p2", "p1") is EvidenceDirection.INCOMING
    assert _direction(Fact("message", "email", None, direction="backward"), "p1", "p2") is EvidenceDirection.INCOMING
    assert _direction(Fact("connection", "linkedin", None), "p2", "p1") is EvidenceDirection.MUTUAL


def test_bad_pages_are_coded_errors(small: Graphsvc) -> None:
    people_cursor = execute(small, "{ people(first: 1) { pageInfo { endCursor } } }")["people"]["pageInfo"]["endCursor"]
    bad = [
        "{ organizations(first: -1) { totalCount } }",
        '{ organizations(after: "%%%") { totalCount } }',
        '{ organizations(after: "%s") { totalCount } }' % people_cursor,  # another list's cursor
        '{ events(after: "bm90IGpzb24=") { totalCount } }',
        '{ people(first: 1) { edges { node { ties(first: -5) { totalCount } } } } }',
        '{ people(first: 1) { edges { node { events(after: "x") { totalCount } } } } }',
    ]
    for document in bad:
        with pytest.raises(GraphsvcError) as failure:
            execute(small, document)
        assert failure.value.code == "INVALID_ARGUMENT", document


def test_loaders_last_one_operation_even_on_a_long_lived_context(small: Graphsvc) -> None:
    """A WebSocket keeps its context: a second operation must not see the first one's cached view."""
    ws = small.workspace().id
    context = Context(service=small, workspace_id=ws)
    query = '{ people(search: "Cleo Park") { edges { node { ties { totalCount } } } } }'

    def count() -> int:
        result = asyncio.run(schema.execute(query, context_value=context))
        assert not result.errors, result.errors
        return result.data["people"]["edges"][0]["node"]["ties"]["totalCount"]  # type: ignore[index]

    assert count() == 1
    small.record_interaction(ws, "Cleo Park", "met", member="Ada Quinn", at=datetime.now(timezone.utc) - timedelta(days=1))
    assert count() == 2


# What a page costs the store ------------------------------------------------------------------


class CountingStore:
    """A store that counts every method call made on it (the service wraps it like any store)."""

    def __init__(self, inner: SQLiteStore) -> None:
        self.inner, self.calls = inner, Counter[str]()

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.inner, name)
        if not callable(attribute):
            return attribute

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return attribute(*args, **kwargs)

        return counted


FIRST_NAMES = "Alba Bram Cora Dario Elif Farah Gunnar Hana Ivo Jada Kenji Lior Mira Nils Oona Pavel Quentin Rhea Soren Tove".split()
LAST_NAMES = "Abbott Brennan Castillo Dubois Eriksen Fontaine Gallagher Hoffmann".split()
#: 160 different names (look-alike names would send the importer comparing every pair of them).
CROWD = [(first, last) for last in LAST_NAMES for first in FIRST_NAMES]


@pytest.fixture
def crowd(tmp_path: Path) -> Iterator[tuple[Graphsvc, CountingStore]]:
    """160 LinkedIn connections at 120 organizations, half of them at one meetup."""
    store = CountingStore(SQLiteStore(tmp_path / "s.db"))
    service = Graphsvc(Settings(data_dir=tmp_path / "data", store=""), store=store)  # type: ignore[arg-type]
    ws = service.workspace().id
    connections, sheet = tmp_path / "Connections.csv", tmp_path / "meetup.csv"
    with connections.open("w", newline="", encoding="utf-8") as out:
        rows = csv.writer(out)
        rows.writerow(["First Name", "Last Name", "URL", "Email Address", "Company", "Position", "Connected On"])
        for i, (first, last) in enumerate(CROWD):
            rows.writerow([first, last, f"https://www.linkedin.com/in/{first}-{last}".lower(), "", f"Org {i % 120}", "Engineer", "14 Mar 2024"])
    with sheet.open("w", newline="", encoding="utf-8") as out:
        rows = csv.writer(out)
        rows.writerow(["Full Name", "Email", "Company"])
        for i, (first, last) in enumerate(CROWD[::2]):
            rows.writerow([f"{first} {last}", f"{first}.{last}@example.com".lower(), f"Org {2 * i % 120}"])
    service.import_file(ws, connections, options=ImportOptions(owner=scenario.OWNER))
    service.import_file(ws, sheet, options=ImportOptions(event_name="Meetup", event_date="2026-01-10"))
    assert service.store.count_people(ws, None) == 161
    yield service, store
    service.close()


PAGE = "query($first: Int!) { people(first: $first) { edges { node { name organizationRef { name } ties(first: 5) { edges { node { strength other { name } } } } } } } }"
#: Everything else a person links to, nested once more.
RICHER = """query($first: Int!) { people(first: $first) { edges { node { name reach
  organizationRef { id people(first: 3) { totalCount edges { node { name } } } }
  ties(first: 5, minStrength: 0.1) { totalCount edges { node { level a { name } other { name organizationRef { name } } evidence { kind event { name attendeeCount } } } } }
  events(first: 3) { edges { node { name attendees(first: 3) { edges { node { name } } } } } } } } } }"""


def test_a_page_of_people_with_organizations_and_ties_costs_a_bounded_number_of_store_calls(crowd: tuple[Graphsvc, CountingStore]) -> None:
    service, store = crowd

    def calls(first: int, document: str = PAGE) -> int:
        store.calls.clear()
        data = execute(service, document, {"first": first})
        assert len(data["people"]["edges"]) == first
        assert all(e["node"]["organizationRef"] and e["node"]["ties"]["edges"] for e in data["people"]["edges"] if e["node"]["name"] != scenario.OWNER)
        return sum(store.calls.values())

    cold = calls(100)  # reads the evidence into a snapshot once per data version
    # Bounded, whatever the page size (one call per person would be 100+). Not always equal: when
    # the minute turns between two queries the tie view of the new minute is built, which reads
    # the data version a few more times.
    ten, hundred = calls(10), calls(100)
    assert ten <= 12 and hundred <= 12, store.calls
    assert cold <= 25, cold
    assert calls(10, RICHER) <= 12 and calls(100, RICHER) <= 12, store.calls


def test_pages_are_capped_at_100(crowd: tuple[Graphsvc, CountingStore]) -> None:
    service, _ = crowd
    data = execute(service, "{ people(first: 500) { totalCount edges { node { name } } pageInfo { hasNextPage } } organizations(first: 500) { totalCount edges { node { name } } pageInfo { hasNextPage } } }")
    assert (len(data["people"]["edges"]), data["people"]["totalCount"], data["people"]["pageInfo"]["hasNextPage"]) == (100, 161, True)
    orgs = data["organizations"]
    assert (len(orgs["edges"]), orgs["totalCount"], orgs["pageInfo"]["hasNextPage"]) == (100, 120, True)
    event = execute(service, "{ events { edges { node { attendees(first: 1000) { totalCount edges { cursor } } } } } }")["events"]["edges"][0]["node"]
    assert (len(event["attendees"]["edges"]), event["attendees"]["totalCount"]) == (80, 80)
    walked = _walk(service, "query($after: String) { organizations(first: 100, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } }", lambda d: d["organizations"])
    assert len({o["id"] for o in walked}) == 120


def test_as_of_defaults_to_now(small: Graphsvc) -> None:
    data = execute(small, '{ people(search: "Cleo Park") { edges { node { ties { edges { node { asOf } } } } } } }')
    as_of = datetime.fromisoformat(data["people"]["edges"][0]["node"]["ties"]["edges"][0]["node"]["asOf"])
    now = datetime.now(timezone.utc)
    assert now <= as_of <= now + timedelta(hours=1) and (as_of.minute, as_of.second) == (0, 0)  # the next whole hour
