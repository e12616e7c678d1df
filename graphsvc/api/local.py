"""Running a GraphQL document in process, for the CLI's ``--json`` (the same shape as over HTTP)."""

from __future__ import annotations

import asyncio
from typing import Any

from graphsvc.api.context import Context
from graphsvc.api.schema import schema
from graphsvc.errors import GraphsvcError
from graphsvc.service import Graphsvc



def execute(service: Graphsvc, document: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """Execute ``document`` in the default workspace; a GraphQL error becomes a ``GraphsvcError``."""
    context = Context(service=service, workspace_id=service.workspace().id)
    result = asyncio.run(schema.execute(document, variable_values=variables or {}, context_value=context))
    if result.errors:
        error = result.errors[0]
        failure = GraphsvcError(error.message)
        failure.code = (error.extensions or {}).get("code", "INTERNAL")
        raise failure
    return result.data or {}


NEGLECTED = """
query Neglected($kind: NeglectKind, $member: String, $first: Int!, $after: String, $asOf: DateTime) {
  neglectedTies(kind: $kind, member: $member, first: $first, after: $after, asOf: $asOf) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node {
      kind member { id name } person { id name organization title } score strength lastContact
      reason nextStep peakStrength novelty dunbarLayer also
    } }
  }
}"""

TIE = """
query Tie($a: String!, $b: String!, $asOf: DateTime) {
  tie(a: $a, b: $b, asOf: $asOf) {
    a { id name } b { id name } strength level lastContact channels howCombined
    components { kind channel contribution at count reciprocal description event { id name startsAt size } }
  }
}"""

BROKERS = """
query Brokers($first: Int!, $after: String, $seed: Int!, $asOf: DateTime) {
  brokers(first: $first, after: $after, seed: $seed, asOf: $asOf) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { person { id name organization title } betweenness constraint effectiveSize communitiesBridged } }
  }
}"""

#: Each community with its first 100 members by name (what the list of members was before it paged).
COMMUNITIES = """
query Communities($seed: Int!, $first: Int!, $after: String, $asOf: DateTime) {
  communities(seed: $seed, first: $first, after: $after, asOf: $asOf) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node {
      index size organizations { label count } events { eventId name startsAt count }
      members(first: 100) { totalCount pageInfo { hasNextPage endCursor } edges { node { id name organization } } }
    } }
  }
}"""

ROI = """
query Roi($first: Int!, $after: String, $asOf: DateTime, $strong: Float!) {
  eventRoi(first: $first, after: $after, asOf: $asOf) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { eventId name startsAt kind size peopleMet followedUp strongTies meanStrength introductions } }
  }
  channelRoi(asOf: $asOf, strong: $strong) { channel strongTies startedHere introductions }
}"""

DUPLICATES = """
query Duplicates($first: Int!, $after: String) {
  duplicateCandidates(first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { a { id name organization emails } b { id name organization emails } points reasons auto } }
  }
}"""

MERGE = """
mutation Merge($a: String!, $b: String!, $dryRun: Boolean!) {
  mergePeople(a: $a, b: $b, dryRun: $dryRun) {
    person { id name organization emails linkedinUrl } absorbedRecords points reasons applied
  }
}"""

SPLIT = """
mutation Split($person: String!, $record: ID) {
  splitPerson(person: $person, record: $record) { people { id name organization emails } }
}"""

DISMISS = """
mutation Dismiss($a: String!, $b: String!) { dismissDuplicate(a: $a, b: $b) }
"""
