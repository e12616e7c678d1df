"""The GraphQL nodes of intro requests and follow-ups, built in one pass (one people read, one tie view)."""

from __future__ import annotations

from datetime import datetime

from graphsvc import intro_service
from graphsvc.api.intro_requests.types import FollowUpType, IntroRequestType
from graphsvc.intro_requests import ASK_BUDGET, BUDGET_WINDOW_DAYS, ConnectorBudget, FollowUp, draft_ask
from graphsvc.model import IntroRequest
from graphsvc.service import Graphsvc


def request_nodes(service: Graphsvc, workspace_id: str, requests: list[IntroRequest], *, with_ask: bool = True) -> list[IntroRequestType]:
    if not requests:
        return []
    people = service.store.get_people(workspace_id, {p for r in requests for p in (r.requester_id, r.connector_id, r.target_id)})
    budgets = intro_service.budgets(service, workspace_id)
    view = service.view(workspace_id)
    nodes = []
    for r in requests:
        known = all(p in people for p in (r.requester_id, r.connector_id, r.target_id))
        draft = draft_ask(r, people) if with_ask and known else None
        budget = budgets.get(r.connector_id) or ConnectorBudget(r.connector_id, ASK_BUDGET, 0, 0, BUDGET_WINDOW_DAYS, ())
        tie = view.tie(r.requester_id, r.target_id)
        nodes.append(IntroRequestType.from_model(r, people, draft, budget, round(tie.strength, 6) if tie else None))
    return nodes


def follow_up_nodes(service: Graphsvc, workspace_id: str, items: list[FollowUp]) -> list[FollowUpType]:
    people = service.store.get_people(workspace_id, {p for i in items for p in (i.person_id, i.member_id)})
    return [FollowUpType.from_model(i, people) for i in items]


def follow_up_key(item: FollowUp) -> tuple[str, str, str, str]:
    """The to-do list's order (due first), as a cursor key."""
    return (item.due.isoformat(), item.kind, item.person_id, item.request_id or "")


def request_key(request: IntroRequest) -> tuple[float, str]:
    """introRequests' order: newest first (then by id, as the stores list them)."""
    return (-request.created_at.timestamp(), request.id)


def utc(moment: datetime | None) -> datetime | None:
    return intro_service._utc(moment) if moment else None
