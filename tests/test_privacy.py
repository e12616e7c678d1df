"""Do-not-ask marks and forgetting a person on request: in the library, through GraphQL, on both stores."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest

from graphsvc.api.app import create_app
from graphsvc.errors import Conflict, InvalidArgument
from graphsvc.service import Graphsvc
from importers import ImportOptions
from tests import scenario
from tests.test_scenario import _import_all

AS_OF = datetime.fromisoformat(scenario.AS_OF)


def _chains(service: Graphsvc, ws: str, to: str = "Tara Voss") -> list[list[str]]:
    result = service.intro_paths(ws, to, as_of=AS_OF)
    return [[h.source.display_name for h in p.hops] + [p.hops[-1].target.display_name] for p in result.paths]


def test_do_not_ask_routes_around_a_person_and_can_be_undone(service: Graphsvc, tmp_path: Path) -> None:
    ws = _import_all(service, scenario.write_scenario(tmp_path / "files"))
    assert _chains(service, ws)[0] == ["Olivia Okafor", "Ada Quinn", "Tara Voss"]

    marked = service.set_do_not_ask(ws, "Ada Quinn")
    assert marked.display_name == "Ada Quinn" and marked.id in service.store.do_not_ask(ws)
    chains = _chains(service, ws)
    assert chains and all("Ada Quinn" not in chain[1:-1] for chain in chains)
    assert chains[0] == ["Olivia Okafor", "Bruno Silva", "Tara Voss"]
    # still reachable as a target
    assert _chains(service, ws, "Ada Quinn")[0][-1] == "Ada Quinn"

    service.set_do_not_ask(ws, "Ada Quinn", False)
    assert _chains(service, ws)[0] == ["Olivia Okafor", "Ada Quinn", "Tara Voss"]


def test_forget_erases_a_person_everywhere_and_imports_leave_them_out(service: Graphsvc, tmp_path: Path) -> None:
    files = scenario.write_scenario(tmp_path / "files")
    ws = _import_all(service, files)
    tara = service.find_person(ws, "Tara Voss").person
    assert tara is not None
    service.tag(ws, tara.id, ["investor"])
    evidence_before = service.store.count_evidence(ws)
    people_before = service.store.count_people(ws, None)

    person_id, erased = service.forget_person(ws, "tara.voss@initech.example")
    assert person_id == tara.id and erased >= 2  # two attendances at least
    assert service.find_person(ws, "Tara Voss").person is None
    assert service.store.count_people(ws, None) == people_before - 1
    assert service.store.count_evidence(ws) == evidence_before - erased
    assert service.store.people_with_tag(ws, "investor") == []
    assert service.store.sightings(ws, tara.id) == [] and service.store.keys_of(ws, tara.id) == []
    assert all(tara.id not in (e.person_a, e.person_b) for e in service.store.iter_evidence(ws))
    assert "Tara Voss" not in str([p.display_name for p in service.store.search_people(ws, None, 1000)])

    # Another file naming her by email: her row is rejected with the reason, the others import.
    later = tmp_path / "files" / "dinner.csv"
    later.write_text("Name,Email,Company\nTara Voss,TARA.VOSS@initech.example,Initech\nNew Person,new@example.org,Acme\n", encoding="utf-8")
    job = service.import_file(ws, later, options=ImportOptions(event_name="Dinner", event_date="2026-10-01"))
    assert (job.rows_imported, job.rows_rejected) == (1, 1)
    assert "asked to forget" in service.rejects(ws, job.id)[0].reason
    assert service.find_person(ws, "Tara Voss").person is None


def test_members_cannot_be_forgotten_and_unknown_people_are_clear_errors(service: Graphsvc, tmp_path: Path) -> None:
    ws = _import_all(service, scenario.write_scenario(tmp_path / "files"))
    version = service.store.data_version(ws)
    with pytest.raises(Conflict, match="member"):
        service.forget_person(ws, scenario.OWNER)
    with pytest.raises(InvalidArgument, match="nobody matches"):
        service.forget_person(ws, "Nobody Atall")
    with pytest.raises(InvalidArgument):
        service.set_do_not_ask(ws, "Nobody Atall")
    assert service.store.data_version(ws) == version


def test_graphql_set_do_not_ask_and_forget_person(service: Graphsvc, tmp_path: Path) -> None:
    ws = _import_all(service, scenario.write_scenario(tmp_path / "files"))
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(service)), base_url="http://test")

    def post(query: str) -> dict:
        return asyncio.run(client.post("/graphql", json={"query": query})).json()

    marked = post('mutation { setDoNotAsk(person: "Ada Quinn") { name doNotAsk } }')
    assert marked["data"]["setDoNotAsk"] == {"name": "Ada Quinn", "doNotAsk": True}
    people = post('{ people(search: "Quinn") { edges { node { name doNotAsk } } } }')
    assert people["data"]["people"]["edges"][0]["node"]["doNotAsk"] is True
    forgotten = post('mutation { forgetPerson(person: "Tara Voss") { personId evidenceErased } }')
    assert forgotten["data"]["forgetPerson"]["evidenceErased"] >= 2
    assert post('{ people(search: "Tara") { totalCount } }')["data"]["people"]["totalCount"] == 0
    refused = post(f'mutation {{ forgetPerson(person: "{scenario.OWNER}") {{ personId }} }}')
    assert refused["errors"][0]["extensions"]["code"] == "CONFLICT"
    asyncio.run(client.aclose())
    assert service.store.count_people(ws, "Tara") == 0


def test_a_write_is_seen_by_the_next_read_and_the_implicit_as_of_is_the_next_hour(service: Graphsvc, tmp_path: Path) -> None:
    # (here because it needs the scenario; the behaviour is the service's view cache)
    from graphsvc.service import implicit_as_of

    ws = _import_all(service, scenario.write_scenario(tmp_path / "files"))
    before = service.view(ws)
    assert before.as_of == implicit_as_of() and before.as_of >= datetime.now(timezone.utc)
    assert service.view(ws) is before  # one view per data version and hour
    member, tara = service.record_interaction(ws, "Tara Voss", "call")  # now: counts at once
    after = service.view(ws)
    assert after is not before and after.snap.version == service.store.data_version(ws)
    assert before.tie(member, tara) is None or after.tie(member, tara).strength > before.tie(member, tara).strength
    assert any(part.kind == "interactions" for part in after.tie(member, tara).contributions)
    assert service.view(ws, AS_OF).as_of == AS_OF  # an explicit asOf is always exact


def test_requests_that_need_the_same_view_at_once_build_it_once(service: Graphsvc, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # (here because it needs the scenario; the behaviour is the service's view cache)
    import threading
    import time

    import graphsvc.service as service_module

    ws = _import_all(service, scenario.write_scenario(tmp_path / "files"))
    builds = []
    real = service_module.tie_view

    def slow_tie_view(*args, **kwargs):  # type: ignore[no-untyped-def]
        builds.append(1)
        time.sleep(0.3)  # long enough for the other requests to arrive meanwhile
        return real(*args, **kwargs)

    monkeypatch.setattr(service_module, "tie_view", slow_tie_view)
    got = []
    start = threading.Barrier(4)

    def request() -> None:
        start.wait()
        got.append(service.view(ws, AS_OF))

    threads = [threading.Thread(target=request) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(builds) == 1 and len(got) == 4 and all(view is got[0] for view in got)
