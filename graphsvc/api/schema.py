"""The GraphQL schema, composed from one query (and mutation) class per feature.

The checked-in SDL is ``schema/schema.graphql``; regenerate it with
``graphsvc schema > schema/schema.graphql`` (a test fails when they differ).
"""

from __future__ import annotations

import strawberry
from strawberry.extensions import MaskErrors, MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter
from strawberry.schema.config import StrawberryConfig

from graphsvc.api.errors import should_mask
from graphsvc.api.imports.mutations import ImportsMutation
from graphsvc.api.imports.query import ImportsQuery
from graphsvc.api.intros.query import IntrosQuery
from graphsvc.api.neglected.query import NeglectedQuery
from graphsvc.api.people.query import PeopleQuery
from graphsvc.api.roi.query import RoiQuery
from graphsvc.api.structure.query import StructureQuery
from graphsvc.api.ties.query import TiesQuery


@strawberry.type
class Query(PeopleQuery, IntrosQuery, TiesQuery, NeglectedQuery, StructureQuery, RoiQuery, ImportsQuery):
    pass


@strawberry.type
class Mutation(ImportsMutation):
    pass


schema = strawberry.Schema(
    query=Query,
    mutation=Mutation,
    config=StrawberryConfig(disable_field_suggestions=True),
    extensions=[
        lambda: QueryDepthLimiter(max_depth=12),
        lambda: MaxAliasesLimiter(max_alias_count=30),
        lambda: MaxTokensLimiter(max_token_count=2000),
        lambda: MaskErrors(should_mask_error=should_mask),
    ],
)


def sdl() -> str:
    return schema.as_str() + "\n"
