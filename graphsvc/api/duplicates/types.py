from __future__ import annotations

import strawberry

from graphsvc.api.pagination import Connection
from graphsvc.api.people.types import PersonType


@strawberry.type(description="Two people who may be one person, with the evidence for and against.")
class DuplicateCandidate:
    a: PersonType
    b: PersonType
    points: float = strawberry.field(description="Points for being one person (graphsvc.identity.matching): 3.4 and more merge automatically during imports.")
    reasons: list[str]
    auto: bool = strawberry.field(description="Above the automatic merge threshold (left unmerged because it was ambiguous or the pair was split).")


DuplicateCandidateConnection = Connection[DuplicateCandidate]


@strawberry.type(description="What a merge did, or would do with dryRun.")
class MergeResult:
    person: PersonType = strawberry.field(description="The merged person (a preview with dryRun).")
    absorbed_records: list[strawberry.ID] = strawberry.field(description="The records that joined the person; splitPerson restores them.")
    points: float
    reasons: list[str]
    applied: bool


@strawberry.type(description="What a split restored.")
class SplitResult:
    people: list[PersonType] = strawberry.field(description="The person that remains first, then each restored person.")
