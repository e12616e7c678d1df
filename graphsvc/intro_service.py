"""The service side of intro requests: what ``Graphsvc``'s intro-request methods do, over its
store and analytics (the records and rules are in ``graphsvc/intro_requests.py``)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Callable

from graphsvc.errors import Conflict, InvalidArgument, NotFound
from graphsvc.intro_requests import (
    OPEN_STATES,
    AskDraft,
    ConnectorBudget,
    FollowUp,
    advance,
    budget_note,
    connector_budgets,
    derived_key,
    draft_ask,
    intro_outcomes,
    new_request,
    outcome_evidence,
    parse_state,
    request_follow_ups,
)
from graphsvc.intros import IntroPath, IntroStatus
from graphsvc.model import IntroRequest, IntroState

if TYPE_CHECKING:
    from graphsvc.analytics.neglected import NeglectedTie
    from graphsvc.analytics.roi import ChannelRoi, EventRoi
    from graphsvc.analytics.strength import TieView
    from graphsvc.service import Graphsvc

#: People met at an event get a follow-up this many days after it (``neglected_ties``' window).
EVENT_FOLLOW_UP_DAYS = 14
#: An idempotency key a client sends is at most this long.
MAX_KEY_LENGTH = 200


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _shared(view: "TieView", names: Callable[[list[str]], dict[str, str]], a: str, b: str) -> list[str]:
    """What ``a`` and ``b`` share, from the evidence: events both attended, an organization, people both know."""
    shared = []
    for fact in view.snap.pair_facts(a, b):
        if fact.kind == "co_attendance" and fact.event_id:
            event = view.snap.events.get(fact.event_id)
            when = f" on {fact.at.date().isoformat()}" if fact.at else ""
            shared.append(f"both attended '{event.name if event else fact.event_id}'{when}")
        elif fact.kind == "same_organization":
            shared.append(f"both work at {view.snap.organization.get(b) or view.snap.organization.get(a) or 'the same organization'}")
    common = sorted((view.snap.contacts.get(a, set()) & view.snap.contacts.get(b, set())) - {a, b})
    if common:
        named = names(common[:3])
        listed = ", ".join(named.get(p, p) for p in common[:3])
        shared.append(f"{len(common)} {'person' if len(common) == 1 else 'people'} both know ({listed}{', ...' if len(common) > 3 else ''})")
    return shared


def request_intro(
    svc: "Graphsvc", workspace_id: str, target: str, *, via: str | None = None, from_: str | None = None,
    idempotency_key: str | None = None, as_of: datetime | None = None,
) -> IntroRequest:
    """Draft an intro request from the best path to ``target`` (through ``via`` when given)."""
    if idempotency_key is not None and not (0 < len(idempotency_key.strip()) <= MAX_KEY_LENGTH):
        raise InvalidArgument(f"an idempotency key has 1 to {MAX_KEY_LENGTH} characters")
    store = svc.store
    via_id = None
    if via:
        (via_id,) = svc.resolve_people(workspace_id, [via], "via")
        if via_id in store.do_not_ask(workspace_id):
            name = svc.person(workspace_id, via_id).display_name  # type: ignore[union-attr]
            raise Conflict(f"{name} is marked do-not-ask: nobody asks them for introductions")
    existing = _requests(svc, workspace_id)
    client_key = f"client:{idempotency_key.strip()}" if idempotency_key else None
    if client_key:
        found = next((r for r in existing if r.idempotency_key == client_key), None)
        if found is not None:
            (target_id,) = svc.resolve_people(workspace_id, [target], "target")
            if found.target_id != target_id or (via_id is not None and found.connector_id != via_id):
                raise Conflict("this idempotency key was used for another intro request")
            return found
    result = svc.intro_paths(workspace_id, target, from_=from_, k=20 if via_id else 3, as_of=as_of, budgets=via_id is None)
    if result.status is IntroStatus.AMBIGUOUS:
        names = ", ".join(f"{c.display_name} ({c.id})" for c in result.candidates[:10])
        raise InvalidArgument(f"target {target!r} matches several people: {names}")
    if result.status is IntroStatus.NOT_FOUND:
        raise InvalidArgument(f"target: nobody matches {target!r}")
    paths = [p for p in result.paths if len(p.hops) >= 2]
    if via_id is not None:
        paths = [p for p in paths if p.hops[0].target.id == via_id]
    if not paths:
        who = result.target.display_name if result.target else target
        if via_id is not None:
            raise InvalidArgument(f"no introduction path to {who} through {via!r} within 3 hops")
        if any(len(p.hops) == 1 for p in result.paths):
            raise InvalidArgument(f"{result.paths[0].advice}: no introduction needed")
        raise InvalidArgument(f"no introduction path to {who} within 3 hops")
    path = paths[0]
    requester, connector, target_id = path.hops[0].source.id, path.hops[0].target.id, path.hops[-1].target.id
    if client_key is None:
        same = [r for r in existing if (r.requester_id, r.connector_id, r.target_id) == (requester, connector, target_id)]
        still_open = [r for r in same if r.state in OPEN_STATES]
        if still_open:
            return still_open[0]  # a retry, or an ask already under way
        key = derived_key(requester, connector, target_id, len(same))
    else:
        key = client_key
    view = svc.view(workspace_id, result.as_of)
    names = lambda ids: {pid: p.display_name for pid, p in svc.store.get_people(workspace_id, ids).items()}  # noqa: E731
    snapshot = {"asOf": result.as_of.isoformat(), "path": path.to_dict(), "shared": _shared(view, names, requester, target_id)}
    request = new_request(workspace_id, key, requester, connector, target_id, snapshot, _now())
    stored = store.add_intro_request(workspace_id, request)
    _project(svc, workspace_id, stored)
    return stored


def _as_people(svc: "Graphsvc", workspace_id: str, requests: list[IntroRequest]) -> list[IntroRequest]:
    """Requests naming people as they are now: a record merged into another person since is that person."""
    clusters = getattr(svc.store, "clusters", None)
    if not requests or clusters is None:
        return requests
    found = clusters(workspace_id)
    if not found.survivor_of:
        return requests
    return [
        replace(r, requester_id=found.canonical(r.requester_id), connector_id=found.canonical(r.connector_id),
                target_id=found.canonical(r.target_id))
        for r in requests
    ]


def _requests(svc: "Graphsvc", workspace_id: str) -> list[IntroRequest]:
    return _as_people(svc, workspace_id, svc.store.intro_requests(workspace_id))


def get_request(svc: "Graphsvc", workspace_id: str, request_id: str) -> IntroRequest:
    found = svc.store.get_intro_request(workspace_id, request_id)
    if found is None:
        raise NotFound(f"no intro request {request_id!r}")
    return _as_people(svc, workspace_id, [found])[0]


def list_requests(svc: "Graphsvc", workspace_id: str, state: str | IntroState | None = None) -> list[IntroRequest]:
    requests = _requests(svc, workspace_id)
    if state is not None:
        wanted = state if isinstance(state, IntroState) else parse_state(state)
        requests = [r for r in requests if r.state is wanted]
    return requests


def update_request(
    svc: "Graphsvc", workspace_id: str, request_id: str, state: str | IntroState, *, at: datetime | None = None, note: str = ""
) -> IntroRequest:
    """Record a step; a repeat of the step the request is already in changes nothing (a retry)."""
    wanted = state if isinstance(state, IntroState) else parse_state(state)
    request = get_request(svc, workspace_id, request_id)
    if len(note) > 2000:
        raise InvalidArgument("a note has at most 2000 characters")
    if request.state is wanted and len(request.transitions) > 1:
        _write_outcome(svc, workspace_id, request, wanted, request.updated_at)  # a retry finds its evidence written
        return request
    moment = _utc(at) if at else _now()
    if moment > _now() + timedelta(days=1):
        raise InvalidArgument("a step cannot be in the future")
    if wanted is IntroState.ASKED_CONNECTOR and request.connector_id in svc.store.do_not_ask(workspace_id):
        raise Conflict("the connector is marked do-not-ask: withdraw this request instead")
    moved = advance(request, wanted, moment, note)
    with svc.store.atomic():
        if not svc.store.save_intro_request(workspace_id, moved, len(request.transitions)):
            raise Conflict(f"intro request {request_id} changed meanwhile: read it again and retry")
        _write_outcome(svc, workspace_id, moved, wanted, moment)
    _project(svc, workspace_id, moved)
    return moved


def _write_outcome(svc: "Graphsvc", workspace_id: str, request: IntroRequest, state: IntroState, at: datetime) -> None:
    evidence = outcome_evidence(workspace_id, request, state, at)
    if evidence is not None:
        with svc.store.atomic():
            svc.store.add_evidence(workspace_id, [evidence])


def _project(svc: "Graphsvc", workspace_id: str, request: IntroRequest) -> None:
    """On Neo4j, the request's ``ASKED`` and ``INTRODUCED`` relationships (graphsvc/projection/intro_requests.py)."""
    raw = svc.raw_store
    if hasattr(raw, "refresh_knows"):
        from graphsvc.projection.intro_requests import project_intro_request

        project_intro_request(raw, workspace_id, request)


def draft(svc: "Graphsvc", workspace_id: str, request: IntroRequest) -> AskDraft:
    ids = [request.requester_id, request.connector_id, request.target_id]
    people = svc.store.get_people(workspace_id, ids)
    missing = [i for i in ids if i not in people]
    if missing:
        raise NotFound(f"the people of intro request {request.id} are no longer known")
    return draft_ask(request, people)


def budgets(svc: "Graphsvc", workspace_id: str, as_of: datetime | None = None) -> dict[str, ConnectorBudget]:
    return connector_budgets(_requests(svc, workspace_id), _utc(as_of) if as_of else _now())


def budget_of(svc: "Graphsvc", workspace_id: str, connector_id: str, as_of: datetime | None = None) -> ConnectorBudget:
    from graphsvc.intro_requests import ASK_BUDGET, BUDGET_WINDOW_DAYS

    return budgets(svc, workspace_id, as_of).get(connector_id) or ConnectorBudget(connector_id, ASK_BUDGET, 0, 0, BUDGET_WINDOW_DAYS, ())


@dataclass
class BudgetedPath(IntroPath):
    """A path through a connector whose ask budget is spent: its advice says so (``budget_note``)."""

    budget_note: str | None = None

    @property
    def advice(self) -> str:
        advice = super().advice
        return f"{advice} (ranked lower: {self.budget_note})" if self.budget_note else advice


def rank_by_budget(
    svc: "Graphsvc", workspace_id: str, as_of: datetime, paths: list[IntroPath], k: int, rerun: Callable[[list[str]], list[IntroPath]]
) -> list[IntroPath]:
    """Paths whose connector's budget is spent go below the others, saying why; the others are
    searched again without those connectors, so the alternatives come first."""
    requests = _requests(svc, workspace_id)
    if not requests or not paths:
        return paths
    spent = {c: b for c, b in connector_budgets(requests, as_of).items() if b.exhausted}
    affected = [p for p in paths if len(p.hops) >= 2 and p.hops[0].target.id in spent]
    if not affected:
        return paths
    noted = [
        BudgetedPath(p.strength, p.kind, p.hops, budget_note(p.hops[0].target.display_name, spent[p.hops[0].target.id]))
        for p in affected
    ]
    alternatives = rerun(sorted(spent))[:k]
    if len(alternatives) < k:
        return alternatives + noted[: k - len(alternatives)]
    return alternatives[: k - 1] + noted[:1] if k > 1 else alternatives


def follow_ups(svc: "Graphsvc", workspace_id: str, *, as_of: datetime | None = None, member: str | None = None) -> list[FollowUp]:
    """The to-do list at ``as_of`` (default: now): unanswered asks, agreed intros with no next
    step, introductions with no meeting, and people met at an event with no contact since."""
    from graphsvc.analytics.neglected import NeglectKind

    moment = _utc(as_of) if as_of else _now()
    requests = _requests(svc, workspace_id)
    member_id = svc.resolve_people(workspace_id, [member], "member")[0] if member else None
    if member_id:
        requests = [r for r in requests if r.requester_id == member_id]
    ids = {p for r in requests for p in (r.requester_id, r.connector_id, r.target_id)}
    people = svc.store.get_people(workspace_id, ids)
    names = {pid: p.display_name for pid, p in people.items()}
    items = request_follow_ups(requests, moment, names)
    marked = svc.store.do_not_ask(workspace_id)
    items = [  # do-not-ask holds here too: nobody is nudged who may not be asked
        replace(i, next_step=f"{names.get(i.person_id, i.person_id)} is marked do-not-ask: withdraw the ask")
        if i.request_id and i.kind in ("ASK_UNANSWERED", "NEXT_STEP") and i.person_id in marked else i
        for i in items
    ]
    for tie in svc.neglected(workspace_id, as_of=moment, kind=NeglectKind.MISSED_FOLLOW_UP, member=member, first=100):
        if tie.last_contact is None or not tie.reason.startswith("Met at"):
            continue
        items.append(FollowUp(
            "MET_AT_EVENT", tie.last_contact + timedelta(days=EVENT_FOLLOW_UP_DAYS), tie.person_id, tie.member_id,
            tie.reason, tie.next_step,
        ))
    return sorted(items, key=lambda i: (i.due, i.kind, i.person_id))


def with_open_asks(svc: "Graphsvc", workspace_id: str, items: list["NeglectedTie"]) -> list["NeglectedTie"]:
    """Neglected ties that are party to an open ask say so (``also``)."""
    requests = [r for r in _requests(svc, workspace_id) if r.state in OPEN_STATES]
    if not requests or not items:
        return items
    names = {pid: p.display_name for pid, p in svc.store.get_people(workspace_id, {p for r in requests for p in (r.connector_id, r.target_id)}).items()}
    out = []
    for item in items:
        asks = [
            f"Open ask ({r.state.value.replace('_', ' ')} since {r.updated_at.date().isoformat()}): "
            f"{names.get(r.connector_id, r.connector_id)} for an introduction to {names.get(r.target_id, r.target_id)}"
            for r in requests if item.person_id in (r.connector_id, r.target_id)
        ]
        out.append(replace(item, also=item.also + tuple(asks)) if asks else item)
    return out


def intro_events(svc: "Graphsvc", workspace_id: str) -> set[str]:
    """The events introductions that happened rested on (``roi`` lists them even when no member attended)."""
    return set(intro_outcomes(_requests(svc, workspace_id))[0])


def roi_with_intros(svc: "Graphsvc", workspace_id: str, events: list["EventRoi"] | None = None, channels: list["ChannelRoi"] | None = None) -> Any:
    """ROI rows with the introductions that happened through each event and channel."""
    from graphsvc.analytics.roi import ChannelRoi

    by_event, by_channel = intro_outcomes(_requests(svc, workspace_id))
    if events is not None:
        return [replace(r, introductions=by_event.get(r.event_id, 0)) for r in events]
    rows = [replace(r, introductions=by_channel.get(r.channel, 0)) for r in channels or []]
    known = {r.channel for r in rows}
    rows += [ChannelRoi(c, 0, 0, n) for c, n in sorted(by_channel.items()) if c not in known]
    return rows
