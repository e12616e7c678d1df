"""``graphsvc ask``, ``graphsvc asks`` and ``graphsvc follow-ups``: intro requests from the
command line (docs/intro-requests.md), a thin shell over the GraphQL fields of
``graphsvc/api/intro_requests/`` run in process (``--json`` prints exactly what they return).

* ``graphsvc ask TARGET [--via CONNECTOR]`` drafts a request from the best path (through
  CONNECTOR) and prints the forwardable ask and its ``mailto:`` link; graphsvc sends nothing.
* ``graphsvc ask update ID --state STATE`` records a step (``asked_connector``,
  ``connector_agreed`` ... ``met``, ``expired``, ``withdrawn``) and shows its effect: the
  requester–target tie after ``introduced``/``met``, the connector's budget after a decline.
* ``graphsvc ask show ID``, ``graphsvc asks [--state]``, ``graphsvc follow-ups [--as-of]``.

``ask`` is a group whose default command is ``new``: ``graphsvc ask Elena`` is ``graphsvc ask new
Elena``, while ``graphsvc ask update ...`` and ``graphsvc ask show ...`` are its other commands.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

import typer

from graphsvc.cli import _Command, _fail, _Group, _as_of_iso, _print_json, _session, console
from graphsvc.cli_text import safe
from graphsvc.errors import GraphsvcError

if TYPE_CHECKING:
    import click

#: The request fields every command asks for.
_FIELDS = """
  id state idempotencyKey createdAt updatedAt
  requester { id name } connector { id name } target { id name organization }
  transitions { state at note } pathStrength pathAdvice pathEvidence
  ask { subject text blurb whyConnector shared mailto }
  connectorBudget { limit spent asks remaining exhausted windowDays } tieStrength
"""
REQUEST = (
    "mutation Ask($to: String!, $via: String, $from: String, $key: String) {"
    " requestIntro(to: $to, via: $via, from: $from, idempotencyKey: $key) {" + _FIELDS + "} }"
)
UPDATE = (
    "mutation AskUpdate($id: ID!, $state: IntroRequestState!, $at: DateTime, $note: String!) {"
    " updateIntroRequest(id: $id, state: $state, at: $at, note: $note) {" + _FIELDS + "} }"
)
SHOW = "query Ask($id: ID!) { introRequest(id: $id) {" + _FIELDS + "} }"
LIST = (
    "query Asks($state: IntroRequestState, $first: Int!, $after: String) {"
    " introRequests(state: $state, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor }"
    " edges { cursor node { id state updatedAt requester { name } connector { name } target { name }"
    " connectorBudget { spent limit exhausted } } } } }"
)
FOLLOW_UPS = (
    "query FollowUps($asOf: DateTime, $member: String, $first: Int!, $after: String) {"
    " followUps(asOf: $asOf, member: $member, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor }"
    " edges { cursor node { kind due person { id name organization } member { id name } reason nextStep requestId } } } }"
)
STATES = "asked_connector, connector_agreed, connector_declined, target_opted_in, target_declined, introduced, met, expired, withdrawn"


class _AskGroup(_Group):
    """``ask``: a first argument that is not one of its commands is the target of ``ask new``."""

    def parse_args(self, ctx: "click.Context", args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["new", *args]
        return super().parse_args(ctx, args)


ask_app = typer.Typer(
    cls=_AskGroup, no_args_is_help=True, rich_markup_mode=None,
    help="Intro requests: `graphsvc ask TARGET [--via CONNECTOR]` drafts one from the best path; "
    "`graphsvc ask update ID --state STATE` records a step; `graphsvc ask show ID` shows one.",
)


def _run(*documents: tuple[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Run GraphQL documents in process, in one session (errors: a clean message, exit code 2)."""
    from graphsvc.api.local import execute

    with _session() as service:
        return [execute(service, document, variables) for document, variables in documents]


def _state(text: str) -> str:
    """A state as GraphQL names it (``connector-agreed`` -> ``CONNECTOR_AGREED``); an unknown one is an error."""
    from graphsvc.intro_requests import parse_state

    try:
        return parse_state(text).name
    except GraphsvcError as exc:
        _fail(exc)
        raise


def _when(value: str | None) -> str:
    return value.replace("T", " ")[:16] + " UTC" if value else "-"


def _print_request(r: dict[str, Any], *, with_ask: bool = True) -> None:
    who = lambda p: safe(p["name"]) if p else "(forgotten)"  # noqa: E731
    console.print(
        f"[bold]{safe(r['id'])}[/]  {r['state'].lower()}  {who(r['requester'])} → {who(r['connector'])} → {who(r['target'])}",
        highlight=False, soft_wrap=True,
    )
    if r["pathAdvice"]:
        console.print(f"  path: {safe(r['pathAdvice'])} (strength {r['pathStrength']:.3f} when asked)", highlight=False, soft_wrap=True)
    for step in r["transitions"]:
        note = f" — {safe(step['note'])}" if step["note"] else ""
        console.print(f"  {_when(step['at'])}  {step['state'].lower()}{note}", highlight=False, soft_wrap=True)
    _print_budget(r)
    if with_ask and r["ask"]:
        ask = r["ask"]
        console.print(f"\n[bold]Subject:[/] {safe(ask['subject'])}\n", highlight=False, soft_wrap=True)
        for line in ask["text"].split("\n"):
            console.print(f"  {safe(line)}", highlight=False, soft_wrap=True)
        console.print(f"\nOpen it in your mail program: {safe(ask['mailto'])}", highlight=False, soft_wrap=True)


def _print_budget(r: dict[str, Any]) -> None:
    b, name = r["connectorBudget"], safe(r["connector"]["name"]) if r["connector"] else "the connector"
    line = f"  {name}'s ask budget: {b['spent']} of {b['limit']} spent (declined or unanswered asks in the last {b['windowDays']} days)"
    if b["exhausted"]:
        line += f" — spent: intro paths rank {name} lower; ask someone else first"
    console.print(line, highlight=False, soft_wrap=True)


@ask_app.command("new", cls=_Command)
def ask_new(
    target: str = typer.Argument(..., help="Whom to be introduced to: id, email, LinkedIn URL or name."),
    via: Optional[str] = typer.Option(None, "--via", help="The connector to ask (default: the first hop of the best path)."),
    from_: Optional[str] = typer.Option(None, "--from", help="Who asks (default: the workspace's members)."),
    key: Optional[str] = typer.Option(None, "--key", help="An idempotency key: the same key finds the same request."),
    as_json: bool = typer.Option(False, "--json", help="Print the GraphQL requestIntro shape."),
) -> None:
    """Draft an intro request to TARGET from the best path (through --via): the ask to send, as text and a mailto link."""
    (data,) = _run((REQUEST, {"to": target, "via": via, "from": from_, "key": key}))
    if as_json:
        _print_json(data)
        return
    r = data["requestIntro"]
    _print_request(r)
    if r["state"] == "DRAFTED":
        console.print(
            f"\ngraphsvc sends nothing: send it yourself, then record it: graphsvc ask update {safe(r['id'])} --state asked_connector",
            highlight=False, soft_wrap=True,
        )


@ask_app.command("update", cls=_Command)
def ask_update(
    request_id: str = typer.Argument(..., metavar="ID", help="The intro request's id."),
    state: str = typer.Option(..., "--state", help=f"The step: {STATES}."),
    at: Optional[str] = typer.Option(None, "--at", help="When (ISO date or date-time); default now."),
    note: str = typer.Option("", "--note", help="A note kept with the step."),
    as_json: bool = typer.Option(False, "--json", help="Print the GraphQL updateIntroRequest shape."),
) -> None:
    """Record a step of an intro request; illegal steps are refused (exit code 2)."""
    before, data = _run(
        (SHOW, {"id": request_id}),
        (UPDATE, {"id": request_id, "state": _state(state), "at": _as_of_iso(at), "note": note}),
    )
    if as_json:
        _print_json(data)
        return
    old, r = before["introRequest"], data["updateIntroRequest"]
    console.print(f"{safe(r['id'])}: {old['state'].lower()} → {r['state'].lower()} ({_when(r['updatedAt'])})", highlight=False)
    if r["state"] in ("INTRODUCED", "MET"):
        was = f"{old['tieStrength']:.3f}" if old["tieStrength"] is not None else "none"
        now = f"{r['tieStrength']:.3f}" if r["tieStrength"] is not None else "none"
        what = "introduction" if r["state"] == "INTRODUCED" else "meeting"
        console.print(
            f"  tie {safe(r['requester']['name'])} – {safe(r['target']['name'])}: {was} → {now} (the {what} is evidence now)",
            highlight=False, soft_wrap=True,
        )
    if r["state"] in ("CONNECTOR_DECLINED", "TARGET_DECLINED", "EXPIRED") or r["connectorBudget"]["exhausted"]:
        _print_budget(r)


@ask_app.command("show", cls=_Command)
def ask_show(
    request_id: str = typer.Argument(..., metavar="ID"),
    as_json: bool = typer.Option(False, "--json", help="Print the GraphQL introRequest shape."),
) -> None:
    """One intro request: its steps, the connector's budget and the drafted ask."""
    (data,) = _run((SHOW, {"id": request_id}))
    if as_json:
        _print_json(data)
        return
    if data["introRequest"] is None:
        console.print(f"No intro request {safe(request_id)}.", highlight=False)
        raise typer.Exit(2)
    _print_request(data["introRequest"])


def asks(
    state: Optional[str] = typer.Option(None, "--state", help=f"Only requests in this state ({STATES}, drafted)."),
    first: int = typer.Option(100, help="How many (at most 100)."),
    as_json: bool = typer.Option(False, "--json", help="Print the GraphQL introRequests shape."),
) -> None:
    """The workspace's intro requests, newest first."""
    variables = {"state": _state(state) if state else None, "first": first, "after": None}
    (data,) = _run((LIST, variables))
    if as_json:
        _print_json(data)
        return
    edges = data["introRequests"]["edges"]
    if not edges:
        console.print("No intro requests yet: graphsvc ask TARGET drafts one.")
        return
    for edge in edges:
        r = edge["node"]
        name = lambda p: safe(p["name"]) if p else "(forgotten)"  # noqa: E731
        budget = r["connectorBudget"]
        spent = f"  [yellow]budget spent ({budget['spent']}/{budget['limit']})[/]" if budget["exhausted"] else ""
        console.print(
            f"{safe(r['id'])}  {r['state'].lower():<18} {_when(r['updatedAt'])}  {name(r['requester'])} → "
            f"{name(r['connector'])} → {name(r['target'])}{spent}",
            highlight=False, soft_wrap=True,
        )


def follow_ups(
    as_of: Optional[str] = typer.Option(None, "--as-of", help="The day to look from (ISO date or date-time); default now."),
    member: Optional[str] = typer.Option(None, help="Only this team member's to-dos."),
    first: int = typer.Option(100, help="How many (at most 100)."),
    as_json: bool = typer.Option(False, "--json", help="Print the GraphQL followUps shape."),
) -> None:
    """The follow-up to-do list: unanswered asks, intros with no next step or meeting, people met at events and never contacted."""
    (data,) = _run((FOLLOW_UPS, {"asOf": _as_of_iso(as_of), "member": member, "first": first, "after": None}))
    if as_json:
        _print_json(data)
        return
    items = [e["node"] for e in data["followUps"]["edges"]]
    if not items:
        console.print("Nothing to follow up right now.")
        return
    for item in items:
        person = item["person"]
        who = safe(person["name"]) + (f" ({safe(person['organization'])})" if person and person["organization"] else "") if person else "?"
        console.print(f"[ ] due {item['due'][:10]}  [bold]{who}[/] — {item['kind'].lower().replace('_', ' ')}", highlight=False, soft_wrap=True)
        console.print(f"      {safe(item['reason'])}\n      → {safe(item['nextStep'])}", highlight=False, soft_wrap=True)
        if item["requestId"]:
            console.print(f"      graphsvc ask update {safe(item['requestId'])} --state ...", highlight=False)
    total = data["followUps"]["totalCount"]
    if total > len(items):
        console.print(f"... and {total - len(items)} more (--first)")


def register(app: typer.Typer) -> None:
    """Add ``ask``, ``asks`` and ``follow-ups`` to the ``graphsvc`` command."""
    app.add_typer(ask_app, name="ask")
    app.command("asks", cls=_Command)(asks)
    app.command("follow-ups", cls=_Command)(follow_ups)
