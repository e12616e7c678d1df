"""The GraphQL schema, composed from one query (and mutation) class per feature.

The checked-in SDL is ``schema/schema.graphql``; regenerate it with
``graphsvc schema > schema/schema.graphql`` (a test fails when they differ).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import AddValidationRules, DisableIntrospection, MaskErrors, MaxTokensLimiter, ParserCache, ValidationCache
from strawberry.extensions.max_aliases import create_validator as max_aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as max_depth_rule
from strawberry.schema.config import StrawberryConfig

from graphsvc.api.duplicates.mutations import DuplicatesMutation
from graphsvc.api.duplicates.query import DuplicatesQuery
from graphsvc.api.errors import NoSuggestions, should_mask
from graphsvc.api.events.mutations import EventsMutation
from graphsvc.api.events.query import EventsQuery
from graphsvc.api.imports.mutations import ImportsMutation
from graphsvc.api.imports.query import ImportsQuery
from graphsvc.api.imports.subscription import ImportsSubscription
from graphsvc.api.intro_requests.mutations import IntroRequestsMutation
from graphsvc.api.intro_requests.query import IntroRequestsQuery
from graphsvc.api.intro_requests.subscription import IntroRequestsSubscription
from graphsvc.api.intros.query import IntrosQuery
from graphsvc.api.limits import ArgumentLimits
from graphsvc.api.loaders import FreshLoadersPerOperation
from graphsvc.api.neglected.query import NeglectedQuery
from graphsvc.api.organizations.query import OrganizationsQuery
from graphsvc.api.people.mutations import PeopleMutation
from graphsvc.api.people.query import PeopleQuery
from graphsvc.api.roi.query import RoiQuery
from graphsvc.api.structure.query import StructureQuery
from graphsvc.api.ties.mutations import TiesMutation
from graphsvc.api.ties.query import TiesQuery
from graphsvc.api.tokens.mutations import TokensMutation
from graphsvc.api.tokens.query import TokensQuery

error_log = logging.getLogger("graphsvc.api")
MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 2000
#: The depth and alias limits as validation rules built once: the same rule classes on every
#: request let ValidationCache answer a document it validated before (clients send the same few
#: documents with new variables); QueryDepthLimiter/MaxAliasesLimiter would build new ones each time.
LIMIT_RULES = (max_depth_rule(MAX_DEPTH, None), max_aliases_rule(MAX_ALIASES))
#: Parsed and validated documents kept (LRU, by text; a document is at most MAX_TOKENS tokens).
CACHED_DOCUMENTS = 256


@strawberry.type
class Query(PeopleQuery, IntrosQuery, TiesQuery, NeglectedQuery, StructureQuery, RoiQuery, ImportsQuery, TokensQuery, DuplicatesQuery, OrganizationsQuery, EventsQuery, IntroRequestsQuery):
    pass


@strawberry.type
class Mutation(ImportsMutation, PeopleMutation, TiesMutation, TokensMutation, DuplicatesMutation, EventsMutation, IntroRequestsMutation):
    pass


@strawberry.type
class Subscription(ImportsSubscription, IntroRequestsSubscription):
    pass


class Schema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Log only unexpected errors (coded ones are the client's business), as one JSON line each."""
        for error in errors:
            if should_mask(error):
                error_log.error(json.dumps({"event": "unexpected_error", "error": type(error.original_error).__name__, "path": error.path}))


def build_schema(*, production: bool = False) -> strawberry.Schema:
    """The schema with its limits; the production profile also turns introspection off."""
    extensions: list = [
        lambda: AddValidationRules(list(LIMIT_RULES)),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: ParserCache(maxsize=CACHED_DOCUMENTS),
        lambda: ValidationCache(maxsize=CACHED_DOCUMENTS),
        lambda: MaskErrors(should_mask_error=should_mask),
        FreshLoadersPerOperation,
        ArgumentLimits,
    ]
    if production:
        extensions.insert(0, DisableIntrospection)
        extensions.append(NoSuggestions)
    return Schema(query=Query, mutation=Mutation, subscription=Subscription, config=StrawberryConfig(disable_field_suggestions=True), extensions=extensions)


schema = build_schema()


def sdl() -> str:
    return schema.as_str() + "\n"
