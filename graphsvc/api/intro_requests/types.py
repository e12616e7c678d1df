from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from graphsvc.api.pagination import Connection
from graphsvc.api.people.types import PersonType
from graphsvc.intro_requests import AskDraft, ConnectorBudget, FollowUp
from graphsvc.model import IntroRequest, IntroState, Person

IntroRequestState = strawberry.enum(
    IntroState,
    name="IntroRequestState",
    description="Where an intro request stands. Double opt-in: DRAFTED -> ASKED_CONNECTOR -> CONNECTOR_AGREED (or "
    "CONNECTOR_DECLINED) -> TARGET_OPTED_IN (or TARGET_DECLINED) -> INTRODUCED -> MET; EXPIRED or WITHDRAWN from any "
    "open state. Any other step is an ILLEGAL_TRANSITION error.",
)


@strawberry.type(name="IntroTransition", description="One step of a request: the state it entered, when, and a note.")
class IntroTransitionType:
    state: IntroRequestState  # type: ignore[valid-type]
    at: datetime
    note: str


@strawberry.type(name="IntroAsk", description="The forwardable ask, drafted from the path's evidence. graphsvc never sends it.")
class IntroAskType:
    subject: str
    text: str = strawberry.field(description="What the requester sends the connector.")
    blurb: str = strawberry.field(description="The short paragraph the connector forwards to the target.")
    why_connector: list[str] = strawberry.field(description="Why this connector: the evidence of both their ties.")
    shared: list[str] = strawberry.field(description="What the requester and the target share (events, organization, people).")
    mailto: str = strawberry.field(description="A mailto: link that opens the ask in a mail program.")

    @classmethod
    def from_model(cls, draft: AskDraft) -> "IntroAskType":
        return cls(subject=draft.subject, text=draft.text, blurb=draft.blurb, why_connector=list(draft.why_connector),
                   shared=list(draft.shared), mailto=draft.mailto)


@strawberry.type(name="ConnectorBudget", description="How many declined or unanswered asks a connector has had in the window.")
class ConnectorBudgetType:
    limit: int
    spent: int = strawberry.field(description="Declined or unanswered asks in the window.")
    asks: int = strawberry.field(description="Asks sent in the window.")
    remaining: int
    exhausted: bool = strawberry.field(description="True when spent: intro paths rank this connector lower.")
    window_days: int

    @classmethod
    def from_model(cls, budget: ConnectorBudget) -> "ConnectorBudgetType":
        return cls(limit=budget.limit, spent=budget.spent, asks=budget.asks, remaining=budget.remaining,
                   exhausted=budget.exhausted, window_days=budget.window_days)


@strawberry.type(name="IntroRequest", description="A request to be introduced: requester asks connector (the first hop) to introduce them to target.")
class IntroRequestType:
    id: strawberry.ID
    state: IntroRequestState  # type: ignore[valid-type]
    requester: PersonType | None
    connector: PersonType | None
    target: PersonType | None
    created_at: datetime
    updated_at: datetime
    idempotency_key: str = strawberry.field(description="The key a retried requestIntro finds this request by.")
    transitions: list[IntroTransitionType]
    path_strength: float | None = strawberry.field(description="The path's strength when the request was made.")
    path_advice: str | None = strawberry.field(description="The path's advice when the request was made.")
    path_evidence: list[str] = strawberry.field(description="Each hop's evidence when the request was made, in words.")
    ask: IntroAskType | None
    connector_budget: ConnectorBudgetType
    tie_strength: float | None = strawberry.field(description="The requester-target tie's strength now (introductions and meetings strengthen it).")

    @classmethod
    def from_model(
        cls, r: IntroRequest, people: dict[str, Person], draft: AskDraft | None, budget: ConnectorBudget, tie: float | None
    ) -> "IntroRequestType":
        def person(pid: str) -> PersonType | None:
            return PersonType.from_model(people[pid]) if pid in people else None

        path: dict[str, Any] = r.path.get("path", {})
        evidence = [
            f"{h['from']['name']} – {h['to']['name']}: {e['description']}" for h in path.get("hops", []) for e in h.get("evidence", [])
        ]
        return cls(
            id=strawberry.ID(r.id), state=r.state, requester=person(r.requester_id), connector=person(r.connector_id),
            target=person(r.target_id), created_at=r.created_at, updated_at=r.updated_at, idempotency_key=r.idempotency_key,
            transitions=[IntroTransitionType(state=t.state, at=t.at, note=t.note) for t in r.transitions],
            path_strength=path.get("strength"), path_advice=path.get("advice"), path_evidence=evidence,
            ask=IntroAskType.from_model(draft) if draft else None, connector_budget=ConnectorBudgetType.from_model(budget),
            tie_strength=tie,
        )


@strawberry.type(name="FollowUp", description="One item of the follow-up to-do list, due on `due`.")
class FollowUpType:
    kind: str = strawberry.field(description="ASK_UNANSWERED, NEXT_STEP, NO_MEETING or MET_AT_EVENT.")
    due: datetime
    person: PersonType | None = strawberry.field(description="Whom to contact.")
    member: PersonType | None = strawberry.field(description="Who should (the requester, or the member who met them).")
    reason: str
    next_step: str
    request_id: strawberry.ID | None

    @classmethod
    def from_model(cls, item: FollowUp, people: dict[str, Person]) -> "FollowUpType":
        return cls(
            kind=item.kind, due=item.due,
            person=PersonType.from_model(people[item.person_id]) if item.person_id in people else None,
            member=PersonType.from_model(people[item.member_id]) if item.member_id in people else None,
            reason=item.reason, next_step=item.next_step,
            request_id=strawberry.ID(item.request_id) if item.request_id else None,
        )


IntroRequestConnection = Connection[IntroRequestType]
FollowUpConnection = Connection[FollowUpType]
