"""Intro paths computed in Cypher (``graphsvc.projection.paths``) equal the in-memory engine's.

On the walking-skeleton scenario (conference cut to 60 attendees) imported into a real Neo4j (``KNOWS`` projected with every
level, as Cypher paths need) and on a seeded random tie graph written straight into ``KNOWS``:
node sequences must be identical, costs equal to 1e-9 relative (they are recomputed in Python,
so in practice bit-identical).
"""

from __future__ import annotations

import math
import random
import uuid
from datetime import datetime
from typing import Any, Iterator

import pytest

from graphsvc.analytics.engine import PathEngine
from graphsvc.analytics.strength import EvidenceLevel
from graphsvc.service import Graphsvc
from graphsvc.settings import Settings
from graphsvc.store.neo4j import Neo4jStore
from graphsvc.projection.knows import project_all_knows
from graphsvc.projection.paths import cypher_k_best_paths, k_best_paths_query, write_tie_graph
from importers import ImportOptions
from tests import scenario
from tests.neo4j_runtime.fixture import neo4j_server  # noqa: F401
from tests.neo4j_runtime.server import Neo4jServer

pytestmark = pytest.mark.neo4j

AS_OF = datetime.fromisoformat(scenario.AS_OF)
CONFERENCE_SIZE = 60


def assert_same(cypher: list, memory: list) -> None:
    assert [p.nodes for p in cypher] == [p.nodes for p in memory]
    for a, b in zip(cypher, memory):
        assert a.cost == pytest.approx(b.cost, rel=1e-9, abs=1e-12)


@pytest.fixture(scope="module")
def paths_store(neo4j_server: Neo4jServer) -> Iterator[Neo4jStore]:  # noqa: F811
    # KNOWS is projected by hand below (all levels), not after each import.
    store = Neo4jStore(neo4j_server.bolt_uri, neo4j_server.user, neo4j_server.password, project_knows_after_import=False)
    yield store
    store.close()


@pytest.fixture(scope="module")
def scenario_ws(paths_store: Neo4jStore, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("cypher-paths")
    files = scenario.write_scenario(folder / "files")
    # The scenario with its conference cut to 60 attendees (Bruno, Tara and 58 delegates: still a
    # large event, > 30): with every level projected the 800-person conference is 320k KNOWS and
    # an 800-clique that variable-length Cypher enumerates path by path (minutes, not seconds).
    lines = files["conference"].read_text(encoding="utf-8").splitlines(keepends=True)
    files["conference"].write_text("".join(lines[: 1 + CONFERENCE_SIZE]), encoding="utf-8")
    service = Graphsvc(Settings(data_dir=folder / "data", store=""), store=paths_store)
    ws = service.workspace(f"cypher-paths-{uuid.uuid4().hex[:12]}").id
    service.import_file(ws, files["connections"], options=ImportOptions(owner=scenario.OWNER))
    service.import_file(ws, files["workshop"], options=ImportOptions(event_name="Robotics Workshop", event_date="2026-09-10", event_kind="workshop"))
    service.import_file(ws, files["conference"], options=ImportOptions(event_name="Big Tech Summit", event_date="2026-09-20", event_kind="conference"))
    graph = service.view(ws, AS_OF).graph
    # every level, as Cypher paths need (project_knows(..., levels=list(EvidenceLevel)) in batches:
    # the 800-person conference alone is 320k ties, more than one transaction of the test Neo4j holds)
    written = project_all_knows(paths_store, ws, as_of=AS_OF)
    assert written == graph.number_of_edges()
    people = {name: service.find_person(ws, name).person.id for name in (scenario.OWNER, "Ada Quinn", "Bruno Silva", "Tara Voss")}
    return {"service": service, "ws": ws, "engine": PathEngine.from_graph(graph), "people": people,
            "members": paths_store.member_ids(ws), "graph": graph}


def test_tara_voss_through_ada_first_and_bruno_second(paths_store: Neo4jStore, scenario_ws: dict[str, Any]) -> None:
    ws, people, engine = scenario_ws["ws"], scenario_ws["people"], scenario_ws["engine"]
    sources = scenario_ws["members"]
    assert sources == [people[scenario.OWNER]]
    got = cypher_k_best_paths(paths_store, ws, sources, people["Tara Voss"], k=3, max_hops=3)
    assert_same(got, engine.k_best_paths(sources, people["Tara Voss"], k=3, max_hops=3))
    assert got[0].nodes == (people[scenario.OWNER], people["Ada Quinn"], people["Tara Voss"])
    assert got[1].nodes == (people[scenario.OWNER], people["Bruno Silva"], people["Tara Voss"])
    assert got[0].strength > got[1].strength  # (5x with the full 800-person conference; 3x at 60)
    # the service's own answer (the engine on the same tie view) agrees
    served = scenario_ws["service"].intro_paths(ws, "Tara Voss", as_of=AS_OF)
    assert [h.source.id for h in served.paths[0].hops] == list(got[0].nodes[:-1])


def test_scenario_combinations_equal_the_engine(paths_store: Neo4jStore, scenario_ws: dict[str, Any]) -> None:
    ws, people, engine, graph = scenario_ws["ws"], scenario_ws["people"], scenario_ws["engine"], scenario_ws["graph"]
    owner, ada, bruno, tara = (people[n] for n in (scenario.OWNER, "Ada Quinn", "Bruno Silva", "Tara Voss"))
    workshop = sorted(n for n in graph[ada] if n not in (owner, tara) and graph[ada][n]["level"] is EvidenceLevel.SMALL_EVENT)
    conference = sorted(n for n in graph[bruno] if graph[bruno][n]["level"] is EvidenceLevel.LARGE_EVENT)[:3]
    cases = [
        ([owner], tara, 1, 3, ()),
        ([owner], tara, 5, 3, ()),
        ([owner], tara, 3, 2, ()),
        ([owner], tara, 3, 1, ()),
        ([owner], tara, 3, 3, (ada,)),
        ([owner], tara, 3, 3, (ada, bruno)),
        ([owner, ada], tara, 3, 3, ()),
        ([owner], workshop[0], 3, 3, ()),
        ([owner], conference[0], 4, 3, ()),
        ([owner], workshop[:3], 3, 3, ()),  # a target set: a path ends at the first target
        ([owner, bruno], workshop[1], 3, 2, (ada,)),
        ([workshop[2]], conference[1], 3, 3, ()),
    ]
    for sources, target, k, hops, avoid in cases:
        expected = engine.k_best_paths(sources, target, k=k, max_hops=hops, avoid=avoid)
        got = cypher_k_best_paths(paths_store, ws, sources, target, k=k, max_hops=hops, avoid=avoid)
        assert_same(got, expected)
    assert cypher_k_best_paths(paths_store, ws, [owner], tara, k=3, max_hops=3, avoid=(ada, bruno)) == []
    assert cypher_k_best_paths(paths_store, ws, [tara], tara) == []


def test_random_graph_equals_the_engine(paths_store: Neo4jStore) -> None:
    rng = random.Random(20261123)
    n, m = 300, 3_000
    ids = [f"r{i:03d}" for i in range(n)]
    pairs: dict[tuple[str, str], float] = {}
    while len(pairs) < m:
        a, b = rng.sample(ids, 2)
        key = (min(a, b), max(a, b))
        # a few repeated strengths, so equal-cost paths and tie-breaks occur
        pairs.setdefault(key, rng.choice([0.5, 0.25]) if rng.random() < 0.1 else round(rng.uniform(0.01, 0.99), 6))
    ws = f"cypher-random-{uuid.uuid4().hex[:12]}"
    assert write_tie_graph(paths_store, ws, ids, [(a, b, s) for (a, b), s in pairs.items()]) == m
    index = {x: i for i, x in enumerate(ids)}
    engine = PathEngine.from_arrays(
        ids, [index[a] for a, _ in pairs], [index[b] for _, b in pairs], [-math.log(s) for s in pairs.values()]
    )
    compared = found = 0
    for _ in range(40):
        sources = rng.sample(ids, rng.choice([1, 1, 2, 3]))
        target = rng.choice([x for x in ids if x not in sources])
        k = rng.choice([1, 3, 5])
        hops = rng.choice([2, 3, 3])
        avoid = tuple(rng.sample(ids, 3)) if rng.random() < 0.3 else ()
        expected = engine.k_best_paths(sources, target, k=k, max_hops=hops, avoid=avoid)
        assert_same(cypher_k_best_paths(paths_store, ws, sources, target, k=k, max_hops=hops, avoid=avoid), expected)
        compared += 1
        found += bool(expected)
    assert compared == 40 and found >= 30


def test_query_rejects_a_bad_hop_bound() -> None:
    with pytest.raises(ValueError):
        k_best_paths_query(0)
    with pytest.raises(ValueError):
        k_best_paths_query("3; MATCH (n) DETACH DELETE n")  # type: ignore[arg-type]
