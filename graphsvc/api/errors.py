"""Library errors become GraphQL errors with a stable ``extensions.code``; anything else is masked."""

from __future__ import annotations

import functools
import inspect
import re
from typing import Any, Callable, TypeVar

from graphql import GraphQLError
from strawberry.extensions import MaskErrors

from graphsvc.errors import GraphsvcError

F = TypeVar("F", bound=Callable[..., Any])


def to_graphql_error(exc: GraphsvcError) -> GraphQLError:
    return GraphQLError(api_message(str(exc)), extensions={"code": exc.code})


#: A directory part of an absolute POSIX path (not the slashes of a URL, a date or ``a/b``).
_DIRECTORIES = re.compile(r"(?<![\w.:/~-])/(?:[^\s'\"/]+/)+")
#: The random part of an upload's temporary name (``graphsvc.api.imports.mutations._save_upload``).
_UPLOAD_PREFIX = re.compile(r"\bupload-[a-z0-9_]{8}-")


def scrub_paths(message: str) -> str:
    """``message`` without the server's paths: an absolute path keeps only its file name, and an upload's
    temporary name only the name it was uploaded as (``/srv/uploads/upload-k3j9x0ab-Connections.csv``
    is ``Connections.csv``)."""
    return _UPLOAD_PREFIX.sub("", _DIRECTORIES.sub("", message))


#: A command-line flag in a library message (``--event-date``), not a ``--`` inside a word or a URL.
_FLAG = re.compile(r"(?<![\w/-])--([a-z][a-z0-9]*(?:-[a-z0-9]+)*)\b")
#: Flags of ``graphsvc import`` that are ``startImport``'s ``options`` (``importers.ImportOptions``).
_IMPORT_OPTIONS = {"owner", "event-name", "event-date", "event-kind", "encoding"}


def _api_name(flag: str) -> str:
    head, *rest = flag.split("-")
    name = head + "".join(word.capitalize() for word in rest)
    return f"options.{name}" if flag in _IMPORT_OPTIONS else name


def api_message(message: str) -> str:
    """A library message as API callers read it: without the server's paths (``scrub_paths``) and
    naming what they pass, not the CLI's flags: ``--event-date`` is ``options.eventDate``,
    ``--format`` is ``format``, ``--as-of`` is ``asOf`` (the CLI shows the flags themselves)."""
    return _FLAG.sub(lambda m: _api_name(m.group(1)), scrub_paths(message))


def translate_errors(resolver: F) -> F:
    """Decorator for resolvers: a ``GraphsvcError`` surfaces with its message and code."""
    if inspect.iscoroutinefunction(resolver):

        @functools.wraps(resolver)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return await resolver(*args, **kwargs)
            except GraphsvcError as exc:
                raise to_graphql_error(exc) from exc

        return async_wrapper  # type: ignore[return-value]

    @functools.wraps(resolver)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return resolver(*args, **kwargs)
        except GraphsvcError as exc:
            raise to_graphql_error(exc) from exc

    return wrapper  # type: ignore[return-value]


def should_mask(error: GraphQLError) -> bool:
    """Mask everything that is not a deliberate, coded error (no internals leak to clients)."""
    original = error.original_error
    if original is None:
        return False  # parse and validation errors are the client's, and safe to show
    if isinstance(original, GraphQLError):
        # a variable that does not fit its type fails before anything runs (no path): the client's too
        return error.path is not None and not (original.extensions or {}).get("code")
    return not isinstance(original, GraphsvcError)


_SUGGESTION = re.compile(r"\s*Did you mean .*\?\s*$", re.S)


class NoSuggestions(MaskErrors):
    """Drops graphql-core's "Did you mean 'first'?" from error messages.

    With introspection off (the production profile), suggestions would spell out the names of
    arguments, enum values and types to anyone probing the schema.
    """

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda error: _SUGGESTION.search(error.message) is not None)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        return GraphQLError(
            message=_SUGGESTION.sub("", error.message), nodes=error.nodes, source=error.source, positions=error.positions,
            path=error.path, original_error=error.original_error, extensions=error.extensions,
        )


def request_error_code(message: str) -> str:
    """The code of an error graphql-core raises before anything runs, by its message."""
    if message.startswith("Syntax Error"):
        return "GRAPHQL_PARSE_FAILED"
    if message.startswith("Variable '$") and any(w in message for w in ("invalid value", "of required type", "of non-null type")):
        return "BAD_USER_INPUT"
    return "GRAPHQL_VALIDATION_FAILED"
