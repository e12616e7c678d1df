"""String length limits at the API edge (the numbers: ``graphsvc.limits``; docs/api.md, "Limits").

``ArgumentLimits`` reads an operation's arguments before it runs, literals and variables
alike, and refuses the whole operation with ``INVALID_ARGUMENT`` when a string is longer than
its argument allows (``LIMITS``; any other string argument: ``limits.ARGUMENT``) or a list of
tags is longer than ``TAGS_PER_CALL``. Nothing is truncated. It sits in the schema, not in the
HTTP middleware, so WebSocket operations and ``graphsvc.api.local`` are held to the same limits.
"""

from __future__ import annotations

from typing import Any, Iterator

from graphql import ExecutionResult, GraphQLError
from graphql.language import FieldNode, ListValueNode, ObjectValueNode, ValueNode, VariableNode, visit, Visitor
from graphql.utilities import value_from_ast_untyped
from strawberry.extensions import SchemaExtension

from graphsvc import limits

#: (field, argument) -> the longest string it takes; for an input object, (field, argument.field).
LIMITS: dict[tuple[str, str], int] = {
    ("tagPerson", "tags"): limits.TAG,
    ("introPaths", "toTag"): limits.TAG,
    ("createToken", "name"): limits.TOKEN_NAME,
    ("people", "search"): limits.SEARCH,
    ("events", "search"): limits.SEARCH,
    ("organizations", "search"): limits.SEARCH,
    ("startImport", "options.owner"): limits.NAME,
    ("startImport", "options.eventName"): limits.NAME,
    ("startImport", "options.eventKind"): limits.KIND,
    ("startImport", "options.eventDate"): 32,
    ("startImport", "format"): 64,
}
#: Arguments that are lists with a bounded number of items.
LIST_LIMITS: dict[tuple[str, str], int] = {("tagPerson", "tags"): limits.TAGS_PER_CALL}


def problems(field: str, argument: str, value: Any) -> Iterator[str]:
    """What is too long in ``value``, passed as ``argument`` of ``field`` (an input object's
    fields are named ``argument.field``)."""
    if isinstance(value, str):
        limit = LIMITS.get((field, argument), limits.ARGUMENT)
        if len(value) > limit:
            yield f"{field}({argument}:) takes at most {limit:,} characters ({len(value):,} given)"
    elif isinstance(value, list):
        most = LIST_LIMITS.get((field, argument))
        if most is not None and len(value) > most:
            yield f"{field}({argument}:) takes at most {most:,} items ({len(value):,} given)"
        for item in value:
            yield from problems(field, argument, item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from problems(field, f"{argument}.{key}", item)


class _Arguments(Visitor):
    def __init__(self, variables: dict[str, Any]) -> None:
        super().__init__()
        self.variables = variables
        self.found: list[str] = []

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        for argument in node.arguments or ():
            value = _value(argument.value, self.variables)
            self.found.extend(problems(node.name.value, argument.name.value, value))


def _value(node: ValueNode, variables: dict[str, Any]) -> Any:
    if isinstance(node, VariableNode):
        return variables.get(node.name.value)
    if isinstance(node, ListValueNode):
        return [_value(item, variables) for item in node.values]
    if isinstance(node, ObjectValueNode):
        return {field.name.value: _value(field.value, variables) for field in node.fields}
    return value_from_ast_untyped(node, variables)


class ArgumentLimits(SchemaExtension):
    """Refuses an operation whose arguments break a length limit, before it runs."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.result is None:
            visitor = _Arguments(context.variables or {})
            visit(document, visitor)
            if visitor.found:
                context.result = ExecutionResult(
                    data=None, errors=[GraphQLError("; ".join(visitor.found[:5]), extensions={"code": "INVALID_ARGUMENT"})]
                )
        yield
