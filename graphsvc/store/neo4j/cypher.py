"""The graph's relationship types and the Cypher statements that write an ``atomic()`` block
(``UNWIND $rows AS r MERGE/CREATE ...``, one per kind of write; see ``blocks.py``)."""

from __future__ import annotations

from graphsvc.model import EvidenceKind

#: Relationship type of each evidence kind: ``(a)-[:TYPE]->(b)``, or ``(a)-[:ATTENDED]->(:Event)``.
EVIDENCE_TYPES: dict[EvidenceKind, str] = {
    EvidenceKind.CONNECTION: "CONNECTED",
    EvidenceKind.FOLLOW: "FOLLOWS",
    EvidenceKind.ATTENDED: "ATTENDED",
    EvidenceKind.MESSAGE: "MESSAGED",
    EvidenceKind.MEETING: "MET",
    EvidenceKind.CALL: "CALLED",
    EvidenceKind.INVITATION: "INVITED",
    EvidenceKind.ENDORSEMENT: "ENDORSED",
    EvidenceKind.RECOMMENDATION: "RECOMMENDED",
    EvidenceKind.INTRODUCTION: "INTRODUCED",
    EvidenceKind.CONTACT: "HAS_CONTACT",
}
KIND_OF_TYPE = {rel_type: kind for kind, rel_type in EVIDENCE_TYPES.items()}
assert set(EVIDENCE_TYPES) == set(EvidenceKind), "every evidence kind needs a relationship type"
_EVIDENCE_PATTERN = "|".join(EVIDENCE_TYPES.values())


_BUMP = """
MERGE (w:Workspace {id: $ws})
ON CREATE SET w.generation = 0, w.dataVersion = 0, w.members = []
WITH w, coalesce(w.generation, 0) AS g, coalesce(w.members, []) AS members
SET w.generation = g + 1,
    w.dataVersion = coalesce(w.dataVersion, 0) + $bump,
    w.members = members + [m IN $members WHERE NOT m IN members]
RETURN g
"""
_PERSON_PROPS = (
    "p.name = r[1], p.firstName = r[2], p.lastName = r[3], p.organization = r[4], p.title = r[5], "
    "p.emails = r[6], p.linkedinUrl = r[7], p.sortName = r[8]"
)
_NEW_PERSONS = f"""
MATCH (w:Workspace {{id: $ws}})
WITH coalesce(w.members, []) AS members
UNWIND $rows AS r
MERGE (p:Person {{workspace: $ws, id: r[0]}})
SET {_PERSON_PROPS}
FOREACH (_ IN CASE WHEN r[0] IN members THEN [1] ELSE [] END | SET p:Member)
WITH p, r WHERE r[9] <> ''
MERGE (o:Organization {{workspace: $ws, key: r[9]}}) ON CREATE SET o.name = trim(r[4])
MERGE (p)-[wa:WORKS_AT]->(o) ON CREATE SET wa.workspace = $ws
"""
#: the same, when the people are known to be new (a validated cache): CREATE skips the MERGE locks
_CREATE_PERSONS = f"""
MATCH (w:Workspace {{id: $ws}})
WITH coalesce(w.members, []) AS members
UNWIND $rows AS r
CREATE (p:Person {{workspace: $ws, id: r[0]}})
SET {_PERSON_PROPS}
FOREACH (_ IN CASE WHEN r[0] IN members THEN [1] ELSE [] END | SET p:Member)
WITH p, r WHERE r[9] <> ''
MERGE (o:Organization {{workspace: $ws, key: r[9]}}) ON CREATE SET o.name = trim(r[4])
CREATE (p)-[:WORKS_AT {{workspace: $ws}}]->(o)
"""
_UPDATED_PERSONS = f"""
UNWIND $rows AS r
MATCH (p:Person {{workspace: $ws, id: r[0]}})
SET {_PERSON_PROPS}
WITH p, r
OPTIONAL MATCH (p)-[old:WORKS_AT]->(o0:Organization)
WITH p, r, [x IN collect(old) WHERE endNode(x).key <> r[9]] AS stale
FOREACH (x IN stale | DELETE x)
WITH p, r WHERE r[9] <> ''
MERGE (o:Organization {{workspace: $ws, key: r[9]}}) ON CREATE SET o.name = trim(r[4])
MERGE (p)-[wa:WORKS_AT]->(o) ON CREATE SET wa.workspace = $ws
"""
_MERGED_INTO = (
    "UNWIND $rows AS r MATCH (p:Person {workspace: $ws, id: r[0]}) "
    "SET p.mergedInto = r[1], p.mergedByHand = CASE WHEN r[1] IS NULL THEN null ELSE coalesce(p.mergedByHand, false) OR r[2] END"
)
_ADD_DISTINCT = "UNWIND $rows AS r MERGE (:DistinctPair {workspace: $ws, a: r[0], b: r[1]})"
_REMOVE_DISTINCT = "UNWIND $rows AS r MATCH (d:DistinctPair {workspace: $ws, a: r[0], b: r[1]}) DELETE d"
_MEMBERS = "UNWIND $ids AS id MATCH (p:Person {workspace: $ws, id: id}) SET p:Member"
_MERGE_KEYS = """
UNWIND $rows AS r
MERGE (k:IdentityKey {workspace: $ws, kind: r[0], value: r[1]})
ON CREATE SET k.person = r[2]
"""
_CREATE_KEYS = "UNWIND $rows AS r CREATE (:IdentityKey {workspace: $ws, kind: r[0], value: r[1], person: r[2]})"
_NEW_JOBS = """
UNWIND $rows AS r
MERGE (j:ImportJob {workspace: $ws, id: r.id})
SET j += r.props
"""
_UPDATED_JOBS = """
UNWIND $rows AS r
MATCH (j:ImportJob {workspace: $ws, id: r.id}) WHERE j.status IS NOT NULL
SET j += r.props
"""
_EVENTS = """
UNWIND $rows AS r
MERGE (e:Event {workspace: $ws, id: r.id})
ON CREATE SET e += r.props
"""
#: sightings of one job and source; rows ``[person, row, name, email, linkedinUrl, organization, title]``
_SIGHTINGS = """
MERGE (j:ImportJob {workspace: $ws, id: $job})
WITH j
UNWIND $rows AS r
MATCH (p:Person {workspace: $ws, id: r[0]})
MERGE (p)-[s:SEEN_IN {workspace: $ws, key: $job + '|' + toString(r[1]) + '|' + r[0]}]->(j)
ON CREATE SET s.jobId = $job, s.sourceFormat = $format, s.sourceName = $source, s.row = r[1], s.name = r[2],
    s.email = r[3], s.linkedinUrl = r[4], s.organization = r[5], s.title = r[6]
RETURN count(*) AS n
"""
_TARGETS = {
    "person": "MATCH (x:Person {workspace: $ws, id: r[2]})",
    "event": "MATCH (x:Event {workspace: $ws, id: r[2]})",
    "self": "WITH a, r, a AS x",
}
_REJECTS = """
UNWIND $rows AS r
OPTIONAL MATCH (j:ImportJob {id: r.job})
MERGE (x:Reject {jobId: r.job, row: r.row})
SET x.reason = r.reason, x.skipped = r.skipped, x.workspace = coalesce(j.workspace, '')
FOREACH (_ IN CASE WHEN j IS NULL THEN [] ELSE [1] END | MERGE (j)-[:REJECTED]->(x))
"""



_PARSE = {"none": "null", "aware": "datetime({0})", "naive": "localdatetime({0})"}


def _evidence_query(rel_type: str, target: str, at: str, create: bool) -> str:
    """Evidence of one type, target kind, channel, job, direction and kind of ``at``;
    rows ``[id, a, b or event, at (ISO text), eventId]``."""
    assert rel_type in KIND_OF_TYPE and target in _TARGETS and at in _PARSE
    props = f"e.channel = $channel, e.jobId = $job, e.direction = $direction, e.at = {_PARSE[at].format('r[3]')}, e.eventId = r[4]"
    if target == "self":
        props += ", e.dangling = true"
    write = (
        f"CREATE (a)-[e:{rel_type} {{workspace: $ws, id: r[0]}}]->(x)\nSET {props}"
        if create
        else f"MERGE (a)-[e:{rel_type} {{workspace: $ws, id: r[0]}}]->(x)\nON CREATE SET {props}"
    )
    return f"UNWIND $rows AS r\nMATCH (a:Person {{workspace: $ws, id: r[1]}})\n{_TARGETS[target]}\n{write}\nRETURN count(*) AS n"
