"""Intro requests as both stores write them: the transitions and the path snapshot as JSON text."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from graphsvc.model import IntroRequest, IntroState, IntroTransition


def transitions_json(request: IntroRequest) -> str:
    return json.dumps([[t.state.value, t.at.isoformat(), t.note] for t in request.transitions])


def path_json(request: IntroRequest) -> str:
    return json.dumps(request.path, sort_keys=True)


def intro_request(row: dict[str, Any]) -> IntroRequest:
    """An ``IntroRequest`` from a row with the dataclass's field names (transitions and path as JSON text)."""
    transitions = tuple(IntroTransition(IntroState(s), datetime.fromisoformat(at), note) for s, at, note in json.loads(row["transitions"]))
    return IntroRequest(
        id=row["id"], idempotency_key=row["idempotency_key"], requester_id=row["requester_id"],
        connector_id=row["connector_id"], target_id=row["target_id"], state=IntroState(row["state"]),
        created_at=datetime.fromisoformat(row["created_at"]), updated_at=datetime.fromisoformat(row["updated_at"]),
        transitions=transitions, path=json.loads(row["path"]),
    )
