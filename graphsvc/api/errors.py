"""Library errors become GraphQL errors with a stable ``extensions.code``; anything else is masked."""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, TypeVar

from graphql import GraphQLError

from graphsvc.errors import GraphsvcError

F = TypeVar("F", bound=Callable[..., Any])


def to_graphql_error(exc: GraphsvcError) -> GraphQLError:
    return GraphQLError(str(exc), extensions={"code": exc.code})


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
        return not (original.extensions or {}).get("code")
    return not isinstance(original, GraphsvcError)
