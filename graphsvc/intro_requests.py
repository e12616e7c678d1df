"""Intro requests: from a chosen path to an introduction that happens (docs/intro-requests.md).

A request is made from a path (``graphsvc.intros``): the requester (the path's first person),
the connector (its first hop) and the target, with the path's evidence as it was then. It
follows the etiquette of double opt-in — the connector asks the target first and introduces
only on a yes — through these states (every step timestamped; anything else is refused with
``IllegalTransition``)::

    drafted ─► asked_connector ─► connector_agreed ─► target_opted_in ─► introduced ─► met
       │              ├─► connector_declined  ├─► target_declined
       │              │                       │
       └──────────────┴── withdrawn, expired ─┘   (from any open state before "introduced")

The service never sends anything: it drafts the forwardable ask (``draft_ask``: why this
connector, what requester and target share, the blurb to forward) as text and a ``mailto:``
link, and the user records each step.

Outcomes are evidence (docs/tie-strength.md): "introduced" and "met" are written as an
introduction and a meeting between requester and target (``outcome_evidence``), which the tie
strength model reads like any import's. A declined or unanswered ask spends the connector's
budget (``ASK_BUDGET`` per ``BUDGET_WINDOW_DAYS``, ``connector_budgets``); intro paths rank a
connector whose budget is spent below the others and say why (``budget_note``).

Pure functions over the ``IntroRequest`` records of ``graphsvc.model``; the service
(``Graphsvc.request_intro`` ...) reads and writes them through the store.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Iterable
from urllib.parse import quote

from graphsvc.errors import IllegalTransition
from graphsvc.model import Channel, Evidence, EvidenceKind, IntroRequest, IntroState, IntroTransition, Person, stable_id

S = IntroState

#: Where each state may go next.
TRANSITIONS: dict[IntroState, frozenset[IntroState]] = {
    S.DRAFTED: frozenset({S.ASKED_CONNECTOR, S.WITHDRAWN, S.EXPIRED}),
    S.ASKED_CONNECTOR: frozenset({S.CONNECTOR_AGREED, S.CONNECTOR_DECLINED, S.WITHDRAWN, S.EXPIRED}),
    S.CONNECTOR_AGREED: frozenset({S.TARGET_OPTED_IN, S.TARGET_DECLINED, S.WITHDRAWN, S.EXPIRED}),
    S.TARGET_OPTED_IN: frozenset({S.INTRODUCED, S.WITHDRAWN, S.EXPIRED}),
    S.INTRODUCED: frozenset({S.MET}),
    S.MET: frozenset(),
    S.CONNECTOR_DECLINED: frozenset(),
    S.TARGET_DECLINED: frozenset(),
    S.EXPIRED: frozenset(),
    S.WITHDRAWN: frozenset(),
}
#: States in which the request still waits on someone (the same triple cannot be asked twice meanwhile).
OPEN_STATES = frozenset({S.DRAFTED, S.ASKED_CONNECTOR, S.CONNECTOR_AGREED, S.TARGET_OPTED_IN})
#: States in which the introduction happened.
HAPPENED = frozenset({S.INTRODUCED, S.MET})

#: Follow-ups (``request_follow_ups``): an ask with no answer after this many days ...
ASK_ANSWER_DAYS = 7
#: ... an agreed or opted-in intro with no next step after this many days ...
NEXT_STEP_DAYS = 7
#: ... and an introduction with no meeting after this many days.
MEETING_DAYS = 14

#: A connector may be asked this many times per window before their budget is spent: each
#: declined ask (by the connector or, through them, by the target) and each unanswered one (no
#: answer after ``ASK_ANSWER_DAYS``, or expired) spends one. Every ask spends a little of the
#: connector's social capital; two that came to nothing in a quarter is the point to ask someone else.
ASK_BUDGET = 2
BUDGET_WINDOW_DAYS = 91  # a quarter

#: The evidence an outcome is written as, between requester and target.
OUTCOME_EVIDENCE = {S.INTRODUCED: EvidenceKind.INTRODUCTION, S.MET: EvidenceKind.MEETING}
#: The ``job_id`` of that evidence (no import job holds it).
OUTCOME_JOB = "intro-request"

STATE_WORDS = {
    S.DRAFTED: "drafted", S.ASKED_CONNECTOR: "asked the connector", S.CONNECTOR_AGREED: "connector agreed",
    S.CONNECTOR_DECLINED: "connector declined", S.TARGET_OPTED_IN: "target opted in", S.TARGET_DECLINED: "target declined",
    S.INTRODUCED: "introduced", S.MET: "met", S.EXPIRED: "expired", S.WITHDRAWN: "withdrawn",
}


def parse_state(text: str) -> IntroState:
    """A state from its value or name, any case, ``-`` for ``_`` (``connector-agreed``, ``TARGET_OPTED_IN``)."""
    cleaned = text.strip().lower().replace("-", "_").replace(" ", "_")
    try:
        return IntroState(cleaned)
    except ValueError:
        raise IllegalTransition(f"unknown state {text!r}; one of: {', '.join(s.value for s in IntroState)}") from None


# making and moving requests ------------------------------------------------------------------------
def derived_key(requester: str, connector: str, target: str, closed_before: int) -> str:
    """The idempotency key of a request made without one: the triple and how many of its
    requests were closed before it, so a retry while it is open finds it and a new ask after a
    closed one is a new request."""
    return f"derived:{requester}:{connector}:{target}:{closed_before}"


def new_request(workspace_id: str, key: str, requester: str, connector: str, target: str, path: dict[str, Any], at: datetime) -> IntroRequest:
    return IntroRequest(
        id=stable_id("intro", workspace_id, key), idempotency_key=key, requester_id=requester, connector_id=connector,
        target_id=target, state=S.DRAFTED, created_at=at, updated_at=at, transitions=(IntroTransition(S.DRAFTED, at),),
        path=path,
    )


def advance(request: IntroRequest, state: IntroState, at: datetime, note: str = "") -> IntroRequest:
    """The request moved to ``state`` at ``at``; ``IllegalTransition`` when its state cannot go there,
    or ``at`` is before its last step."""
    if state not in TRANSITIONS[request.state]:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[request.state])) or "none: it is closed"
        raise IllegalTransition(
            f"intro request {request.id} is {request.state.value}: it cannot become {state.value} (next: {allowed})"
        )
    if at < request.updated_at:
        raise IllegalTransition(f"a step cannot be dated before the request's last one ({request.updated_at.isoformat()})")
    return replace(request, state=state, updated_at=at, transitions=request.transitions + (IntroTransition(state, at, note),))


def outcome_evidence(workspace_id: str, request: IntroRequest, state: IntroState, at: datetime) -> Evidence | None:
    """The evidence an outcome adds between requester and target: an introduction, then a meeting."""
    kind = OUTCOME_EVIDENCE.get(state)
    if kind is None:
        return None
    return Evidence(
        id=stable_id("ev", workspace_id, OUTCOME_JOB, request.id, state.value), kind=kind, channel=Channel.MANUAL,
        person_a=request.requester_id, person_b=request.target_id, event_id=None, at=at, job_id=OUTCOME_JOB,
        direction="mutual",
    )


# the ask --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AskDraft:
    """The forwardable ask: ``text`` is what the requester sends the connector, ``blurb`` the
    paragraph the connector forwards to the target; ``mailto`` opens it in a mail program."""

    subject: str
    why_connector: list[str]
    shared: list[str]
    blurb: str
    text: str
    mailto: str


def _first(person: Person) -> str:
    return person.first_name or person.display_name.split(" ")[0]


def _role(person: Person) -> str:
    if person.title and person.organization and person.organization.casefold() not in person.title.casefold():
        return f"{person.title} at {person.organization}"
    return person.title or person.organization


def draft_ask(request: IntroRequest, people: dict[str, Person]) -> AskDraft:
    """Draft the ask from the evidence the request was made with (its ``path``)."""
    requester, connector, target = people[request.requester_id], people[request.connector_id], people[request.target_id]
    hops = request.path.get("path", {}).get("hops", [])
    why = []
    if hops:
        why += [f"you and me: {e['description']}" for e in hops[0].get("evidence", [])[:3]]
    if len(hops) > 1:
        why += [f"you and {hops[1]['to']['name']}: {e['description']}" for e in hops[1].get("evidence", [])[:3]]
    shared = list(request.path.get("shared", []))
    role = _role(requester)
    target_role = _role(target)
    blurb = (
        f"{requester.display_name}{f' ({role})' if role else ''} would like to be introduced to "
        f"{target.display_name}{f' ({target_role})' if target_role else ''}."
    )
    if shared:
        blurb += f" They have this in common: {'; '.join(shared)}."
    blurb += f" {_first(requester)} would value a short conversation; no obligation."
    subject = f"Would you introduce me to {target.display_name}?"
    lines = [
        f"Hi {_first(connector)},",
        "",
        f"Would you be open to introducing me to {target.display_name}? Please ask {_first(target)} first, and only "
        "introduce us if they are happy to; a no is fine.",
    ]
    if why:
        lines += ["", "Why I am asking you:", *(f"- {w}" for w in why)]
    lines += ["", "A short note you can forward as it is:", "", blurb, "", "Thank you,", requester.display_name]
    text = "\n".join(lines)
    email = connector.emails[0] if connector.emails else ""
    mailto = f"mailto:{quote(email, safe='@')}?subject={quote(subject, safe='')}&body={quote(text, safe='')}"
    return AskDraft(subject, why, shared, blurb, text, mailto)


# budgets ----------------------------------------------------------------------------------------------
def budget_cost(request: IntroRequest, as_of: datetime) -> datetime | None:
    """When the request spent its connector's budget (None if it did not, by ``as_of``): the
    moment it was declined (by the connector or the target) or expired unanswered, or, still
    waiting on the connector, ``ASK_ANSWER_DAYS`` after the ask."""
    if request.state in (S.CONNECTOR_DECLINED, S.TARGET_DECLINED):
        at = request.entered(request.state)
    elif request.state is S.EXPIRED:
        asked = request.entered(S.ASKED_CONNECTOR)
        at = request.entered(S.EXPIRED) if asked is not None else None  # never asked: nobody's capital was spent
    elif request.state is S.ASKED_CONNECTOR:
        asked = request.entered(S.ASKED_CONNECTOR)
        at = asked + timedelta(days=ASK_ANSWER_DAYS) if asked is not None else None
    else:
        at = None
    return at if at is not None and at <= as_of else None


@dataclass(frozen=True)
class ConnectorBudget:
    connector_id: str
    limit: int
    spent: int  # declined or unanswered asks in the window
    asks: int  # asks (sent) in the window
    window_days: int
    spent_by: tuple[str, ...]  # the requests that spent it

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.spent)

    @property
    def exhausted(self) -> bool:
        return self.spent >= self.limit


def connector_budgets(requests: Iterable[IntroRequest], as_of: datetime) -> dict[str, ConnectorBudget]:
    """Each connector's budget at ``as_of``, over the last ``BUDGET_WINDOW_DAYS``."""
    start = as_of - timedelta(days=BUDGET_WINDOW_DAYS)
    spent: dict[str, list[str]] = {}
    asks: Counter[str] = Counter()
    for request in requests:
        asked = request.entered(S.ASKED_CONNECTOR)
        if asked is not None and start <= asked <= as_of:
            asks[request.connector_id] += 1
        cost = budget_cost(request, as_of)
        if cost is not None and cost >= start:
            spent.setdefault(request.connector_id, []).append(request.id)
        else:
            spent.setdefault(request.connector_id, [])
    return {
        c: ConnectorBudget(c, ASK_BUDGET, len(ids), asks[c], BUDGET_WINDOW_DAYS, tuple(sorted(ids)))
        for c, ids in spent.items()
    }


def budget_note(name: str, budget: ConnectorBudget) -> str:
    """Why a path through a connector with a spent budget is ranked lower."""
    return (
        f"{name}'s ask budget is spent: {budget.spent} declined or unanswered "
        f"ask{'s' if budget.spent != 1 else ''} in the last {budget.window_days} days (budget {budget.limit}); ask someone else first"
    )


# follow-ups ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FollowUp:
    """One item of the to-do list: what to do about whom, due when."""

    kind: str  # ASK_UNANSWERED, NEXT_STEP, NO_MEETING, MET_AT_EVENT
    due: datetime
    person_id: str  # whom to contact
    member_id: str  # who should (the requester, or the member who met them)
    reason: str
    next_step: str
    request_id: str | None = None


def request_follow_ups(requests: Iterable[IntroRequest], as_of: datetime, names: dict[str, str]) -> list[FollowUp]:
    """The follow-ups the requests call for, due by ``as_of``."""
    found = []
    for r in requests:
        at = r.updated_at
        connector, target = names.get(r.connector_id, r.connector_id), names.get(r.target_id, r.target_id)
        if r.state is S.ASKED_CONNECTOR:
            due = at + timedelta(days=ASK_ANSWER_DAYS)
            item = FollowUp(
                "ASK_UNANSWERED", due, r.connector_id, r.requester_id,
                f"You asked {connector} for an introduction to {target} on {at.date().isoformat()} and have no answer",
                f"Nudge {connector} once, kindly; or mark the ask expired", r.id,
            )
        elif r.state is S.CONNECTOR_AGREED:
            due = at + timedelta(days=NEXT_STEP_DAYS)
            item = FollowUp(
                "NEXT_STEP", due, r.connector_id, r.requester_id,
                f"{connector} agreed on {at.date().isoformat()} to ask {target}; no answer from {target} recorded since",
                f"Ask {connector} whether {target} replied", r.id,
            )
        elif r.state is S.TARGET_OPTED_IN:
            due = at + timedelta(days=NEXT_STEP_DAYS)
            item = FollowUp(
                "NEXT_STEP", due, r.connector_id, r.requester_id,
                f"{target} opted in on {at.date().isoformat()}; the introduction has not been recorded",
                f"Remind {connector} to make the introduction (or record it if it happened)", r.id,
            )
        elif r.state is S.INTRODUCED:
            due = at + timedelta(days=MEETING_DAYS)
            item = FollowUp(
                "NO_MEETING", due, r.target_id, r.requester_id,
                f"{connector} introduced you to {target} on {at.date().isoformat()}; no meeting recorded since",
                f"Propose a time to meet {target}, and thank {connector}", r.id,
            )
        else:
            continue
        if item.due <= as_of:
            found.append(item)
    return found


# ROI ------------------------------------------------------------------------------------------------------
def intro_outcomes(requests: Iterable[IntroRequest]) -> tuple[Counter[str], Counter[str]]:
    """Introductions that happened, per event and per channel their path rested on (each
    request counted once per event and once per channel of its hops' evidence)."""
    events: Counter[str] = Counter()
    channels: Counter[str] = Counter()
    for r in requests:
        if r.state not in HAPPENED:
            continue
        hops = r.path.get("path", {}).get("hops", [])
        seen_events = {e["event"]["id"] for h in hops for e in h.get("evidence", []) if e.get("event")}
        seen_channels = {c.lower() for h in hops for c in h.get("channels", [])}
        events.update(seen_events)
        channels.update(seen_channels)
    return events, channels
