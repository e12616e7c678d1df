// graphsvc Neo4j schema: uniqueness constraints and indexes (Neo4j 5.x Community).
//
// Applied by graphsvc.store.neo4j.Neo4jStore every time it opens a database; each statement
// is idempotent (IF NOT EXISTS), so this file can also be pasted into Neo4j Browser or
// cypher-shell. Statements end with ';'. Lines starting with '//' are comments.
//
// Every node and relationship carries a `workspace` property and every key is unique per
// workspace: the constraints are composite, workspace first. The graph model is described in
// schema/neo4j/model.md.
//
// Every index costs on each write, so there are no single-property `workspace` indexes: a
// query for all of a workspace's nodes of a label seeks the composite index with an existence
// check on its second property, e.g. MATCH (p:Person {workspace: $ws}) WHERE p.id IS NOT NULL.

// ---- nodes ----------------------------------------------------------------------------------
CREATE CONSTRAINT workspace_id IF NOT EXISTS FOR (w:Workspace) REQUIRE w.id IS UNIQUE;
CREATE CONSTRAINT workspace_name IF NOT EXISTS FOR (w:Workspace) REQUIRE w.name IS UNIQUE;

CREATE CONSTRAINT person_key IF NOT EXISTS FOR (p:Person) REQUIRE (p.workspace, p.id) IS UNIQUE;

CREATE CONSTRAINT identity_key IF NOT EXISTS FOR (k:IdentityKey) REQUIRE (k.workspace, k.kind, k.value) IS UNIQUE;
CREATE INDEX identity_key_person IF NOT EXISTS FOR (k:IdentityKey) ON (k.workspace, k.person);

CREATE CONSTRAINT organization_key IF NOT EXISTS FOR (o:Organization) REQUIRE (o.workspace, o.key) IS UNIQUE;

CREATE CONSTRAINT event_key IF NOT EXISTS FOR (e:Event) REQUIRE (e.workspace, e.id) IS UNIQUE;

CREATE CONSTRAINT import_job_key IF NOT EXISTS FOR (j:ImportJob) REQUIRE (j.workspace, j.id) IS UNIQUE;
CREATE INDEX import_job_id IF NOT EXISTS FOR (j:ImportJob) ON (j.id);

// pairs a user said are different people (graphsvc split / a dismissed duplicate)
CREATE CONSTRAINT distinct_pair_key IF NOT EXISTS FOR (d:DistinctPair) REQUIRE (d.workspace, d.a, d.b) IS UNIQUE;

CREATE CONSTRAINT reject_key IF NOT EXISTS FOR (r:Reject) REQUIRE (r.jobId, r.row) IS UNIQUE;

// ---- relationships: provenance and evidence -----------------------------------------------------
// (:Person)-[:SEEN_IN]->(:ImportJob): one per sighting; key = "<job id>|<row>|<person id>"
CREATE CONSTRAINT seen_in_key IF NOT EXISTS FOR ()-[s:SEEN_IN]-() REQUIRE (s.workspace, s.key) IS UNIQUE;

// evidence, one relationship type per evidence kind, keyed by the evidence id
CREATE CONSTRAINT attended_id IF NOT EXISTS FOR ()-[e:ATTENDED]-() REQUIRE (e.workspace, e.id) IS UNIQUE;
CREATE CONSTRAINT connected_id IF NOT EXISTS FOR ()-[e:CONNECTED]-() REQUIRE (e.workspace, e.id) IS UNIQUE;
CREATE CONSTRAINT follows_id IF NOT EXISTS FOR ()-[e:FOLLOWS]-() REQUIRE (e.workspace, e.id) IS UNIQUE;
CREATE CONSTRAINT messaged_id IF NOT EXISTS FOR ()-[e:MESSAGED]-() REQUIRE (e.workspace, e.id) IS UNIQUE;
CREATE CONSTRAINT met_id IF NOT EXISTS FOR ()-[e:MET]-() REQUIRE (e.workspace, e.id) IS UNIQUE;
CREATE CONSTRAINT called_id IF NOT EXISTS FOR ()-[e:CALLED]-() REQUIRE (e.workspace, e.id) IS UNIQUE;
CREATE CONSTRAINT invited_id IF NOT EXISTS FOR ()-[e:INVITED]-() REQUIRE (e.workspace, e.id) IS UNIQUE;
CREATE CONSTRAINT endorsed_id IF NOT EXISTS FOR ()-[e:ENDORSED]-() REQUIRE (e.workspace, e.id) IS UNIQUE;
CREATE CONSTRAINT recommended_id IF NOT EXISTS FOR ()-[e:RECOMMENDED]-() REQUIRE (e.workspace, e.id) IS UNIQUE;
CREATE CONSTRAINT introduced_id IF NOT EXISTS FOR ()-[e:INTRODUCED]-() REQUIRE (e.workspace, e.id) IS UNIQUE;
CREATE CONSTRAINT has_contact_id IF NOT EXISTS FOR ()-[e:HAS_CONTACT]-() REQUIRE (e.workspace, e.id) IS UNIQUE;

// ---- derived ------------------------------------------------------------------------------------
// (:Person)-[:KNOWS {strength, level, lastContact, channels, asOf}]->(:Person), rebuilt after imports
CREATE INDEX knows_workspace IF NOT EXISTS FOR ()-[k:KNOWS]-() ON (k.workspace);
CREATE INDEX knows_strength IF NOT EXISTS FOR ()-[k:KNOWS]-() ON (k.strength);

// API tokens: looked up by the hash of their secret, listed per workspace
CREATE CONSTRAINT api_token_id IF NOT EXISTS FOR (t:ApiToken) REQUIRE t.id IS UNIQUE;
CREATE CONSTRAINT api_token_hash IF NOT EXISTS FOR (t:ApiToken) REQUIRE t.secretHash IS UNIQUE;

// tags a user puts on people: (:Person)-[:TAGGED]->(:Tag)
CREATE CONSTRAINT tag_key IF NOT EXISTS FOR (t:Tag) REQUIRE (t.workspace, t.name) IS UNIQUE;

// intro requests (graphsvc/intro_requests.py): one node each, found by id and by idempotency key
CREATE CONSTRAINT intro_request_id IF NOT EXISTS FOR (r:IntroRequest) REQUIRE (r.workspace, r.id) IS UNIQUE;
CREATE CONSTRAINT intro_request_key IF NOT EXISTS FOR (r:IntroRequest) REQUIRE (r.workspace, r.idempotencyKey) IS UNIQUE;
// (:Person)-[:ASKED {request, state, at, target}]->(:Person): requester asked connector (the projection's)
CREATE CONSTRAINT asked_request IF NOT EXISTS FOR ()-[a:ASKED]-() REQUIRE (a.workspace, a.request) IS UNIQUE;
