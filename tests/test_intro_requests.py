"""Intro requests (issue 18): the state machine, idempotent creation, the drafted ask, and how
outcomes move strengths, budgets, follow-ups, ROI and intro paths — on the planted community
(tests/community.py), on SQLite (tests/test_intro_requests_neo4j.py runs the flow on Neo4j)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest

from graphsvc import intro_service
from graphsvc.errors import Conflict, IllegalTransition, InvalidArgument, NotFound
from graphsvc.intro_requests import (
    ASK_ANSWER_DAYS,
    ASK_BUDGET,
    MEETING_DAYS,
    TRANSITIONS,
    advance,
    connector_budgets,
    new_request,
    parse_state,
)
from graphsvc.model import IntroState
from graphsvc.service import Graphsvc
from tests.community import build_community

S = IntroState
NOW = lambda: datetime.now(timezone.utc).replace(microsecond=0)  # noqa: E731
HAPPY = [S.ASKED_CONNECTOR, S.CONNECTOR_AGREED, S.TARGET_OPTED_IN, S.INTRODUCED, S.MET]


@pytest.fixture
def planted(service: Graphsvc) -> tuple[Graphsvc, str, dict[str, str]]:
    ws = service.workspace().id
    return service, ws, build_community(service.store, ws)


# the state machine, on its own ------------------------------------------------------------------
def _request(at: datetime):  # type: ignore[no-untyped-def]
    return new_request("ws", "k", "a", "b", "c", {}, at)


def test_the_happy_path_is_timestamped_step_by_step() -> None:
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    request = _request(start)
    for n, state in enumerate(HAPPY, start=1):
        request = advance(request, state, start + timedelta(days=n), note=f"step {n}")
    assert [t.state for t in request.transitions] == [S.DRAFTED, *HAPPY]
    assert [t.at for t in request.transitions] == [start + timedelta(days=n) for n in range(6)]
    assert request.state is S.MET and request.updated_at == start + timedelta(days=5)
    assert request.entered(S.INTRODUCED) == start + timedelta(days=4) and request.transitions[-1].note == "step 5"


@pytest.mark.parametrize("state", list(IntroState))
def test_every_transition_not_in_the_table_is_refused(state: IntroState) -> None:
    """From each state, every target state is either allowed (the table) or refused with IllegalTransition."""
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    # reach ``state`` by a legal route
    routes = {
        S.DRAFTED: [], S.ASKED_CONNECTOR: HAPPY[:1], S.CONNECTOR_AGREED: HAPPY[:2], S.TARGET_OPTED_IN: HAPPY[:3],
        S.INTRODUCED: HAPPY[:4], S.MET: HAPPY, S.CONNECTOR_DECLINED: [S.ASKED_CONNECTOR, S.CONNECTOR_DECLINED],
        S.TARGET_DECLINED: [S.ASKED_CONNECTOR, S.CONNECTOR_AGREED, S.TARGET_DECLINED], S.EXPIRED: [S.ASKED_CONNECTOR, S.EXPIRED],
        S.WITHDRAWN: [S.WITHDRAWN],
    }
    request = _request(start)
    for n, step in enumerate(routes[state], start=1):
        request = advance(request, step, start + timedelta(days=n))
    assert request.state is state
    later = start + timedelta(days=30)
    for target in IntroState:
        if target in TRANSITIONS[state]:
            assert advance(request, target, later).state is target
        else:
            with pytest.raises(IllegalTransition, match=f"is {state.value}: it cannot become {target.value}"):
                advance(request, target, later)


def test_the_double_opt_in_order_is_enforced() -> None:
    request = advance(_request(datetime(2026, 1, 1, tzinfo=timezone.utc)), S.ASKED_CONNECTOR, datetime(2026, 1, 2, tzinfo=timezone.utc))
    # nobody is introduced before the connector agreed and the target opted in
    for skipped in (S.INTRODUCED, S.TARGET_OPTED_IN, S.MET):
        with pytest.raises(IllegalTransition):
            advance(request, skipped, datetime(2026, 1, 3, tzinfo=timezone.utc))
    with pytest.raises(IllegalTransition, match="before the request's last one"):
        advance(request, S.CONNECTOR_AGREED, datetime(2026, 1, 1, tzinfo=timezone.utc))
    assert IllegalTransition.code == "ILLEGAL_TRANSITION" and issubclass(IllegalTransition, InvalidArgument)


def test_states_parse_from_words() -> None:
    assert parse_state("connector-agreed") is S.CONNECTOR_AGREED
    assert parse_state("TARGET_OPTED_IN") is S.TARGET_OPTED_IN
    with pytest.raises(IllegalTransition, match="unknown state 'married'"):
        parse_state("married")


# requests from paths, idempotent ------------------------------------------------------------------
def test_a_request_is_made_from_the_best_path_with_its_evidence(planted) -> None:  # type: ignore[no-untyped-def]
    service, ws, ids = planted
    request = service.request_intro(ws, "Tina Target")
    assert (request.requester_id, request.connector_id, request.target_id) == (ids["maya"], ids["Sol Single"], ids["Tina Target"])
    assert request.state is S.DRAFTED and [t.state for t in request.transitions] == [S.DRAFTED]
    hops = request.path["path"]["hops"]
    assert [h["from"]["name"] for h in hops] == ["Maya Lindqvist", "Sol Single"] and hops[1]["to"]["name"] == "Tina Target"
    assert all(h["evidence"] for h in hops)
    assert service.intro_request(ws, request.id) == request


def test_a_retried_creation_gives_exactly_one_request(planted) -> None:  # type: ignore[no-untyped-def]
    service, ws, ids = planted
    first = service.request_intro(ws, "Tina Target")
    again = service.request_intro(ws, "Tina Target", via="Sol Single")
    assert again.id == first.id and len(service.intro_requests(ws)) == 1
    keyed = service.request_intro(ws, "Tara Weak", idempotency_key="retry-me")
    assert service.request_intro(ws, "Tara Weak", idempotency_key="retry-me").id == keyed.id
    with pytest.raises(Conflict, match="idempotency key was used for another"):
        service.request_intro(ws, "Tina Target", idempotency_key="retry-me")
    assert len(service.intro_requests(ws)) == 2


def test_concurrent_retries_make_one_request(planted) -> None:  # type: ignore[no-untyped-def]
    service, ws, ids = planted
    service.view(ws)  # the view built once, so the threads race on the write
    results: list[str] = []

    def create() -> None:
        results.append(service.request_intro(ws, "Tina Target", idempotency_key="same-click").id)

    threads = [threading.Thread(target=create) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1 and len(results) == 6 and len(service.intro_requests(ws)) == 1


def test_a_new_ask_after_a_closed_one_is_a_new_request(planted) -> None:  # type: ignore[no-untyped-def]
    service, ws, ids = planted
    first = service.request_intro(ws, "Tina Target")
    service.update_intro_request(ws, first.id, "withdrawn")
    second = service.request_intro(ws, "Tina Target")
    assert second.id != first.id and {r.state for r in service.intro_requests(ws)} == {S.WITHDRAWN, S.DRAFTED}


def test_via_do_not_ask_and_direct_ties_are_refused(planted) -> None:  # type: ignore[no-untyped-def]
    service, ws, ids = planted
    with pytest.raises(InvalidArgument, match="no introduction path to Tina Target through 'Bea Broker'"):
        service.request_intro(ws, "Tina Target", via="Bea Broker")
    with pytest.raises(InvalidArgument, match="knows Sol Single directly"):
        service.request_intro(ws, "Sol Single")
    service.set_do_not_ask(ws, "Sol Single")
    with pytest.raises(Conflict, match="Sol Single is marked do-not-ask"):
        service.request_intro(ws, "Tina Target", via="Sol Single")
    with pytest.raises(InvalidArgument, match="no introduction path"):
        service.request_intro(ws, "Tina Target")  # the only connector may not be asked


def test_do_not_ask_set_after_drafting_stops_the_ask(planted) -> None:  # type: ignore[no-untyped-def]
    service, ws, ids = planted
    request = service.request_intro(ws, "Tina Target")
    service.set_do_not_ask(ws, "Sol Single")
    with pytest.raises(Conflict, match="do-not-ask"):
        service.update_intro_request(ws, request.id, "asked_connector")
    assert service.update_intro_request(ws, request.id, "withdrawn").state is S.WITHDRAWN


def test_updates_are_idempotent_and_illegal_ones_refused(planted) -> None:  # type: ignore[no-untyped-def]
    service, ws, ids = planted
    request = service.request_intro(ws, "Tina Target")
    asked = service.update_intro_request(ws, request.id, "asked_connector", note="sent on Signal")
    assert service.update_intro_request(ws, request.id, "asked_connector") == asked  # a retry changes nothing
    with pytest.raises(IllegalTransition, match="is asked_connector: it cannot become introduced"):
        service.update_intro_request(ws, request.id, "introduced")
    with pytest.raises(NotFound):
        service.update_intro_request(ws, "intro_nope", "asked_connector")
    with pytest.raises(InvalidArgument, match="future"):
        service.update_intro_request(ws, request.id, "connector_agreed", at=NOW() + timedelta(days=3))
    assert [t.note for t in service.intro_request(ws, request.id).transitions] == ["", "sent on Signal"]


def test_a_stale_update_is_a_conflict(planted) -> None:  # type: ignore[no-untyped-def]
    service, ws, ids = planted
    request = service.request_intro(ws, "Tina Target")
    moved = advance(request, S.ASKED_CONNECTOR, NOW())
    assert service.store.save_intro_request(ws, moved, 1) is True
    assert service.store.save_intro_request(ws, advance(request, S.WITHDRAWN, NOW()), 1) is False  # another writer came first
    assert service.intro_request(ws, request.id).state is S.ASKED_CONNECTOR


def test_the_drafted_ask_is_text_and_a_mailto_link(planted) -> None:  # type: ignore[no-untyped-def]
    service, ws, ids = planted
    request = service.request_intro(ws, "Tina Target")
    draft = intro_service.draft(service, ws, request)
    assert draft.text.startswith("Hi Sol,") and "Would you be open to introducing me to Tina Target?" in draft.text
    assert "Please ask Tina first" in draft.text  # double opt-in, in the ask itself
    assert any("interactions" in line for line in draft.why_connector)  # why this connector: the evidence
    assert draft.blurb in draft.text and draft.blurb.startswith("Maya Lindqvist (Partner at Brightline)")
    parts = urlsplit(draft.mailto)
    assert parts.scheme == "mailto" and parts.path == "sol.single@omega.example"
    assert parse_qs(parts.query)["body"][0] == draft.text and parse_qs(parts.query)["subject"][0] == draft.subject


def test_the_ask_says_what_requester_and_target_share(planted) -> None:  # type: ignore[no-untyped-def]
    service, ws, ids = planted
    request = service.request_intro(ws, "Tara Weak")  # Jonas met Tara at the Robotics Conference
    assert request.connector_id == ids["Lukas Link"]
    assert any("both attended 'Robotics Conference'" in s for s in request.path["shared"])
    assert "Robotics Conference" in intro_service.draft(service, ws, request).blurb


# outcomes are evidence ---------------------------------------------------------------------------
def _walk(service: Graphsvc, ws: str, request_id: str, states: list[IntroState]) -> None:
    for state in states:
        service.update_intro_request(ws, request_id, state.value)


def test_introduced_and_met_strengthen_the_requester_target_tie(planted) -> None:  # type: ignore[no-untyped-def]
    service, ws, ids = planted
    maya, tina = ids["maya"], ids["Tina Target"]
    assert service.view(ws).tie(maya, tina) is None  # they share no evidence
    request = service.request_intro(ws, "Tina Target")
    _walk(service, ws, request.id, HAPPY[:3])
    assert service.view(ws).tie(maya, tina) is None  # agreeing and opting in are not evidence
    version = service.store.data_version(ws)
    _walk(service, ws, request.id, [S.INTRODUCED])
    assert service.store.data_version(ws) > version  # caches are rebuilt
    introduced = service.view(ws).tie(maya, tina)
    # docs/tie-strength.md: an introduction is 3 interaction units, 0.85 x ln(4)/ln(31) x 0.8 = 0.275
    assert introduced is not None and introduced.level.name == "INTERACTION"
    parts = {c.kind: c.value for c in introduced.contributions}
    assert parts["interactions"] == pytest.approx(0.2745, abs=0.0005)
    assert introduced.strength == pytest.approx(1 - (1 - parts["interactions"]) * (1 - parts.get("mutual_contacts", 0.0)))
    _walk(service, ws, request.id, [S.MET])
    met = service.view(ws).tie(maya, tina)
    # and the meeting 3 more: 0.85 x ln(7)/ln(31) x 0.8 = 0.385
    assert {c.kind: c.value for c in met.contributions}["interactions"] == pytest.approx(0.3853, abs=0.0005)
    assert met.strength > introduced.strength
    kinds = sorted(e.kind.value for e in service.store.iter_evidence(ws) if e.job_id == "intro-request")
    assert kinds == ["introduction", "meeting"]


def test_two_declines_spend_the_connector_budget_and_paths_rank_them_lower(planted) -> None:  # type: ignore[no-untyped-def]
    service, ws, ids = planted
    lukas = ids["Lukas Link"]
    before = service.intro_paths(ws, "Tara Weak")
    assert before.paths[0].hops[0].target.id == lukas and "budget" not in before.paths[0].advice
    for n in range(ASK_BUDGET):
        request = service.request_intro(ws, "Tara Weak")
        assert request.connector_id == lukas
        _walk(service, ws, request.id, [S.ASKED_CONNECTOR, S.CONNECTOR_DECLINED])
        budget = intro_service.budget_of(service, ws, lukas)
        assert budget.spent == n + 1 and budget.asks == n + 1
    assert intro_service.budget_of(service, ws, lukas).exhausted
    after = service.intro_paths(ws, "Tara Weak")
    connectors = [p.hops[0].target.id for p in after.paths]
    assert connectors[0] != lukas and lukas in connectors  # ranked lower, still shown
    lowered = after.paths[connectors.index(lukas)]
    assert "Lukas Link's ask budget is spent: 2 declined or unanswered asks in the last 91 days (budget 2)" in lowered.advice
    assert after.to_dict()["paths"][connectors.index(lukas)]["advice"] == lowered.advice
    # a quarter later the budget is back
    assert not intro_service.budget_of(service, ws, lukas, as_of=NOW() + timedelta(days=92)).exhausted
    # asked explicitly, the connector can still be chosen
    assert service.request_intro(ws, "Tara Weak", via="Lukas Link").connector_id == lukas


def test_unanswered_asks_spend_the_budget_after_the_answer_window(planted) -> None:  # type: ignore[no-untyped-def]
    service, ws, ids = planted
    request = service.request_intro(ws, "Tina Target")
    asked = service.update_intro_request(ws, request.id, "asked_connector")
    sol = ids["Sol Single"]
    at = asked.updated_at
    assert connector_budgets(service.intro_requests(ws), at + timedelta(days=ASK_ANSWER_DAYS - 1))[sol].spent == 0
    assert connector_budgets(service.intro_requests(ws), at + timedelta(days=ASK_ANSWER_DAYS))[sol].spent == 1
    service.update_intro_request(ws, request.id, "connector_agreed")  # answered: nothing spent
    assert connector_budgets(service.intro_requests(ws), at + timedelta(days=30))[sol].spent == 0


# follow-ups ----------------------------------------------------------------------------------------
def test_follow_ups_are_listed_when_due(planted) -> None:  # type: ignore[no-untyped-def]
    service, ws, ids = planted
    request = service.request_intro(ws, "Tina Target")
    asked = service.update_intro_request(ws, request.id, "asked_connector")
    at = asked.updated_at

    def kinds(when: datetime) -> list[tuple[str, str | None]]:
        return [(f.kind, f.request_id) for f in service.follow_ups(ws, as_of=when) if f.request_id]

    assert kinds(at + timedelta(days=ASK_ANSWER_DAYS) - timedelta(seconds=1)) == []
    due = [f for f in service.follow_ups(ws, as_of=at + timedelta(days=ASK_ANSWER_DAYS)) if f.request_id]
    assert [(f.kind, f.due, f.person_id) for f in due] == [("ASK_UNANSWERED", at + timedelta(days=ASK_ANSWER_DAYS), ids["Sol Single"])]
    assert "Sol Single" in due[0].reason and "Tina Target" in due[0].reason
    _walk(service, ws, request.id, [S.CONNECTOR_AGREED, S.TARGET_OPTED_IN, S.INTRODUCED])
    introduced = service.intro_request(ws, request.id).updated_at
    assert kinds(introduced + timedelta(days=MEETING_DAYS - 1)) == []
    assert kinds(introduced + timedelta(days=MEETING_DAYS)) == [("NO_MEETING", request.id)]
    _walk(service, ws, request.id, [S.MET])
    assert kinds(introduced + timedelta(days=60)) == []


def test_people_met_at_an_event_are_follow_ups_too(planted) -> None:  # type: ignore[no-untyped-def]
    from tests.community import AS_OF

    service, ws, ids = planted
    items = service.follow_ups(ws, as_of=AS_OF)
    milo = [f for f in items if f.person_id == ids["Milo Missed"]]
    assert [f.kind for f in milo] == ["MET_AT_EVENT"] and "Robotics Workshop" in milo[0].reason
    assert milo[0].due == AS_OF - timedelta(days=30) + timedelta(days=14)  # the workshop + the follow-up window
    assert [f.due for f in items] == sorted(f.due for f in items)


def test_neglected_ties_list_open_asks(planted) -> None:  # type: ignore[no-untyped-def]
    from tests.community import AS_OF

    service, ws, ids = planted
    request = service.request_intro(ws, "Tara Weak", from_="Jonas Abara")
    service.update_intro_request(ws, request.id, "asked_connector")
    items = service.neglected(ws, as_of=AS_OF + timedelta(days=400), first=100)
    lukas = [i for i in items if i.person_id == ids["Lukas Link"]]
    assert lukas and any(a.startswith("Open ask (asked connector since") and "Tara Weak" in a for a in lukas[0].also)


# ROI -------------------------------------------------------------------------------------------------
def test_roi_counts_introductions_per_event_and_channel(planted) -> None:  # type: ignore[no-untyped-def]
    service, ws, ids = planted
    # Maya asks Jonas, who met Milo at the 10-person Robotics Workshop
    request = service.request_intro(ws, "Milo Missed", from_="Maya Lindqvist")
    assert request.connector_id == ids["jonas"]
    before = {r.event_id: r.introductions for r in service.event_roi(ws)}
    assert set(before.values()) == {0}
    _walk(service, ws, request.id, HAPPY[:4])
    events = {r.event_id: r.introductions for r in service.event_roi(ws)}
    hop_events = {e["event"]["id"] for h in request.path["path"]["hops"] for e in h["evidence"] if e["event"]}
    workshop = next(r.event_id for r in service.event_roi(ws) if r.event_id in hop_events)
    assert events[workshop] == 1 and sum(events.values()) == len(hop_events & set(events))
    channels = {r.channel: r.introductions for r in service.channel_roi(ws)}
    hop_channels = {c.lower() for h in request.path["path"]["hops"] for c in h["channels"]}
    assert {c for c, n in channels.items() if n} == hop_channels


# isolation -----------------------------------------------------------------------------------------
def test_a_workspace_never_sees_another_workspaces_requests(planted) -> None:  # type: ignore[no-untyped-def]
    service, ws, ids = planted
    request = service.request_intro(ws, "Tina Target")
    other = service.workspace("other").id
    build_community(service.store, other)
    assert service.intro_requests(other) == []
    with pytest.raises(NotFound):
        service.intro_request(other, request.id)
    with pytest.raises(NotFound):
        service.update_intro_request(other, request.id, "asked_connector")
    mine = service.request_intro(other, "Tina Target")
    assert mine.id != request.id and [r.id for r in service.intro_requests(ws)] == [request.id]


def test_forgetting_a_person_removes_their_requests(planted) -> None:  # type: ignore[no-untyped-def]
    service, ws, ids = planted
    service.request_intro(ws, "Tina Target")
    service.forget_person(ws, "Tina Target")
    assert service.intro_requests(ws) == []


def test_roi_lists_an_event_an_introduction_rested_on_even_if_no_member_went(planted) -> None:  # type: ignore[no-untyped-def]
    from graphsvc.model import Channel, Event, Evidence, EvidenceKind, stable_id
    from tests.community import AS_OF

    service, ws, ids = planted
    offsite = Event(stable_id("evt", ws, "omega-offsite"), "Omega Offsite", AS_OF - timedelta(days=40), "offsite", "test")
    with service.store.atomic():
        service.store.add_event(ws, offsite)
        service.store.add_evidence(ws, [
            Evidence(stable_id("ev", ws, "offsite", p), EvidenceKind.ATTENDED, Channel.EVENT, ids[p], None, offsite.id,
                     offsite.starts_at, "job_offsite")
            for p in ("Sol Single", "Tina Target")
        ])
    assert offsite.id not in {r.event_id for r in service.event_roi(ws)}  # no member went
    request = service.request_intro(ws, "Tina Target")
    assert any(e["event"] and e["event"]["id"] == offsite.id for h in request.path["path"]["hops"] for e in h["evidence"])
    _walk(service, ws, request.id, HAPPY[:4])
    rows = {r.event_id: r for r in service.event_roi(ws)}
    assert rows[offsite.id].introductions == 1 and rows[offsite.id].size == 2


def test_follow_ups_never_nudge_a_connector_marked_do_not_ask(planted) -> None:  # type: ignore[no-untyped-def]
    service, ws, ids = planted
    request = service.request_intro(ws, "Tina Target")
    asked = service.update_intro_request(ws, request.id, "asked_connector")
    service.set_do_not_ask(ws, "Sol Single")
    (item,) = [f for f in service.follow_ups(ws, as_of=asked.updated_at + timedelta(days=8)) if f.request_id]
    assert item.next_step == "Sol Single is marked do-not-ask: withdraw the ask"


def test_a_request_follows_its_people_through_a_merge(planted) -> None:  # type: ignore[no-untyped-def]
    from graphsvc.model import Person

    service, ws, ids = planted
    request = service.request_intro(ws, "Tina Target")
    with service.raw_store.atomic():
        service.raw_store.add_person(ws, Person("p_tina_work", "Tina T. Target", "Tina", "Target", "Omega Inc", "CEO"))
    service.merge_people(ws, "p_tina_work", ids["Tina Target"])  # Tina's record now belongs to another person
    moved = service.intro_request(ws, request.id)
    assert moved.target_id == "p_tina_work"
    _walk(service, ws, request.id, HAPPY[:4])
    tie = service.view(ws).tie(ids["maya"], "p_tina_work")
    assert tie is not None and tie.level.name == "INTERACTION"
    assert [r.target_id for r in service.intro_requests(ws)] == ["p_tina_work"]
