"""Events and organizations as hyperedges: the analytics core against the materialised reference.

The reference (``strength.tie_graph``) expands every event into all its pairs and computes each
pair's strength with ``tie_strength``; the core (``analytics.ties``) never does. On small random
networks with large and overlapping events, direct pairs that also share events, and
organizations, both must give the same ties, the same strengths and the same k best paths.
"""

from __future__ import annotations

import contextlib
import math
import random
from collections import defaultdict
from typing import Iterator
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphsvc.analytics import engine as engine_module
from graphsvc.analytics.engine import PathEngine
from graphsvc.analytics.evidence import EvidenceArrays
from graphsvc.analytics.paths import k_best_paths
from graphsvc.analytics.strength import CO_ATTENDANCE, tie_graph, tie_strength
from graphsvc.analytics.ties import combine_parts
from graphsvc.analytics.view import tie_view
from graphsvc.model import Event
from graphsvc.snapshot import Fact, Snapshot, pair

AS_OF = datetime(2026, 11, 1, tzinfo=timezone.utc)
SOCIAL = ("connection", "contact", "follow", "invitation", "endorsement")
INTERACTIONS = ("message", "call", "meeting", "introduction", "recommendation")


def make_snapshot(seed: int, people: int = 30, events: int = 5, big: int = 60, pairs: int = 40, orgs: int = 3) -> Snapshot:
    """A random small network: direct facts of every kind (some after AS_OF, some undated),
    events from 2 to ``big`` people (some undated, some after AS_OF, one above the size limit
    when ``big`` exceeds it), organizations."""
    rng = random.Random(seed)
    ids = [f"p{i:03d}" for i in range(people)]
    members = tuple(sorted(rng.sample(ids, 2)))
    facts: dict[tuple[str, str], list[Fact]] = defaultdict(list)
    contacts: dict[str, set[str]] = defaultdict(set)

    def moment() -> datetime | None:
        if rng.random() < 0.1:
            return None
        return AS_OF - timedelta(days=rng.uniform(-60, 2000), seconds=rng.randrange(86400))

    for _ in range(pairs):
        a, b = rng.sample(ids, 2)
        if rng.random() < 0.5:
            a = rng.choice(members)
            if a == b:
                continue
        key = pair(a, b)
        for _ in range(rng.randint(1, 3)):
            kind = rng.choice(SOCIAL + INTERACTIONS)
            direction = rng.choice(("mutual", "forward", "backward"))
            facts[key].append(Fact(kind, rng.choice(("linkedin", "email", "x")), moment(), None, direction))
        contacts[a].add(b)
        contacts[b].add(a)
    snap = Snapshot("ws", 1, members, set(ids), facts, max_event_size=25)
    snap.contacts = dict(contacts)
    for e in range(events):
        size = rng.randint(2, big)
        attendees = set(rng.sample(ids, min(size, people)))
        event_id = f"e{e}"
        snap.attendees[event_id] = attendees
        snap.event_size[event_id] = len(attendees)
        snap.events[event_id] = Event(event_id, f"Event {e}", moment(), "meetup", "test")
        for person in attendees:
            snap.events_of.setdefault(person, set()).add(event_id)
    for person in ids:
        if rng.random() < 0.4:
            org = f"org{rng.randrange(orgs)}"
            snap.organization[person] = org.upper()
            snap.organization_key[person] = org
    return snap


@contextlib.contextmanager
def _rows_derived(mode: str) -> Iterator[None]:
    """``"whole"``: every row derived whole; ``"among"``: a row not cached yet is derived for
    the people who can still reach a target only, and ties asked for the detour rule pair by
    pair (what a big workspace does: on these small ones the thresholds would pick whole rows)."""
    saved = engine_module.ROW_AMONG_FRACTION, engine_module.PAIR_LOOKUPS
    if mode == "whole":
        engine_module.ROW_AMONG_FRACTION, engine_module.PAIR_LOOKUPS = 10**9, -1
    else:
        engine_module.ROW_AMONG_FRACTION, engine_module.PAIR_LOOKUPS = 0, 10**9
    try:
        yield
    finally:
        engine_module.ROW_AMONG_FRACTION, engine_module.PAIR_LOOKUPS = saved


def _reference_edges(snap: Snapshot) -> dict[tuple[str, str], float]:
    graph = tie_graph(snap, AS_OF)
    return {pair(a, b): d["strength"] for a, b, d in graph.edges(data=True)}


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(8, 40), st.integers(0, 8), st.integers(2, 60))
def test_every_tie_and_strength_equals_the_materialised_reference(seed: int, people: int, events: int, big: int) -> None:
    snap = make_snapshot(seed, people, events, big)
    reference = _reference_edges(snap)
    view = tie_view(snap, AS_OF)
    core: dict[tuple[str, str], float] = {}
    for person in sorted(snap.people):
        for other, strength in view.ties_of(person):
            core[pair(person, other)] = strength
    assert set(core) == set(reference)
    for key, strength in reference.items():
        assert core[key] == pytest.approx(strength, rel=1e-12, abs=1e-15)
    # any list of pairs, tie or not, through the batch function
    ids = sorted(snap.people)
    rng = random.Random(seed)
    asked = [(rng.choice(ids), rng.choice(ids)) for _ in range(50)] + list(reference)[:50]
    index = view.arrays.index
    got = view.ties.strengths([index[a] for a, _ in asked], [index[b] for _, b in asked])
    for (a, b), strength in zip(asked, got.tolist()):
        assert strength == pytest.approx(reference.get(pair(a, b), 0.0), rel=1e-12, abs=1e-15)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(10, 40), st.integers(1, 8), st.sampled_from([1, 2, 3, 4]), st.integers(1, 6))
def test_paths_equal_the_reference_search_on_the_materialised_graph(seed: int, people: int, events: int, hops: int, k: int) -> None:
    snap = make_snapshot(seed, people, events, big=50)
    reference = tie_graph(snap, AS_OF)
    for mode in ("whole", "among"):
        with _rows_derived(mode):
            _paths_equal_the_reference(snap, reference, seed, hops, k)


def _paths_equal_the_reference(snap: Snapshot, reference: object, seed: int, hops: int, k: int) -> None:
    engine = tie_view(snap, AS_OF).path_engine()  # a new view: nothing cached from another mode
    rng = random.Random(seed)
    ids = sorted(snap.people)
    for _ in range(6):
        target = rng.choice(ids) if rng.random() < 0.7 else set(rng.sample(ids, 3))
        avoid = set(rng.sample(ids, 2)) if rng.random() < 0.3 else set()
        sources = list(snap.members) if rng.random() < 0.7 else rng.sample(ids, 3)
        expected = k_best_paths(reference, sources, target, k=k, max_hops=hops, avoid=avoid)
        got = engine.k_best_paths(sources, target, k=k, max_hops=hops, avoid=avoid)
        assert [p.nodes for p in got] == [p.nodes for p in expected]
        assert [p.cost for p in got] == pytest.approx([p.cost for p in expected], rel=1e-12, abs=1e-12)
        # the materialised graph through the CSR engine agrees too
        csr = PathEngine.from_graph(reference).k_best_paths(sources, target, k=k, max_hops=hops, avoid=avoid)
        assert [p.nodes for p in csr] == [p.nodes for p in expected]
        assert engine.connects(sources, target, max_hops=hops, avoid=avoid) is bool(expected)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.0, 1.0))
def test_a_row_among_some_people_is_those_entries_of_the_whole_row_bit_for_bit(seed: int, share: float) -> None:
    view = tie_view(make_snapshot(seed, 40, 6, big=40), AS_OF)
    rng = np.random.default_rng(seed)
    n = view.arrays.n
    for person in range(n):
        wanted = rng.random(n) < share
        neighbours, strengths = view.ties.row(person)
        among, among_strengths = view.ties.row_among(person, view.ties.among(np.flatnonzero(wanted)))
        keep = wanted[neighbours]
        assert among.tolist() == neighbours[keep].tolist()
        assert among_strengths.tolist() == strengths[keep].tolist()  # equal floats, not approximately


def test_no_pair_of_an_event_is_stored() -> None:
    snap = make_snapshot(3, people=400, events=3, big=400, pairs=20)
    snap.max_event_size = 1000
    arrays = EvidenceArrays.from_snapshot(snap)
    attendances = sum(len(a) for a in snap.attendees.values())
    assert len(arrays.event_people) == len(arrays.person_events) == attendances
    assert len(arrays.pair_a) == len(snap.facts)  # direct pairs only, however large the events


def test_co_attendance_at_one_event_counts_once_and_co_attendees_are_not_mutual_contacts() -> None:
    snap = make_snapshot(5, people=20, events=0, pairs=0, orgs=1)
    snap.organization_key.clear()
    everyone = sorted(snap.people)
    a, b = everyone[0], everyone[1]
    snap.attendees["conf"] = set(everyone[:19])
    snap.event_size["conf"] = 19
    snap.events["conf"] = Event("conf", "Conference", AS_OF - timedelta(days=30), "conference", "test")
    for person in everyone[:19]:
        snap.events_of.setdefault(person, set()).add("conf")
    tie = tie_strength(snap, a, b, AS_OF)
    assert tie is not None
    assert [part.kind for part in tie.contributions] == [CO_ATTENDANCE]  # 17 co-attendees are not 17 mutual contacts
    assert tie.strength == tie.contributions[0].value
    assert tie_view(snap, AS_OF).strength(a, b) == pytest.approx(tie.strength, rel=1e-12)


def test_unrelated_attendees_of_another_event_leave_a_tie_unchanged() -> None:
    snap = make_snapshot(9, people=40, events=4, big=20)
    view = tie_view(snap, AS_OF)
    a, b = next((x, y) for x in sorted(snap.people) for y, _ in view.ties_of(x) if x < y)
    before = view.strength(a, b)
    shared = snap.events_of.get(a, set()) & snap.events_of.get(b, set())
    other = next(e for e in sorted(snap.attendees) if e not in shared)
    for i in range(50):
        newcomer = f"z{i:03d}"
        snap.people.add(newcomer)
        snap.attendees[other].add(newcomer)
        snap.events_of[newcomer] = {other}
    snap.event_size[other] = len(snap.attendees[other])
    snap.derived.clear()
    assert tie_view(snap, AS_OF).strength(a, b) == before
    assert tie_strength(snap, a, b, AS_OF).strength == pytest.approx(before, rel=1e-12)  # type: ignore[union-attr]


def test_bounds_never_exceed_a_real_tie() -> None:
    for seed in range(20):
        snap = make_snapshot(seed, people=30, events=6, big=30)
        view = tie_view(snap, AS_OF)
        shared = view.ties.shared_lower_bounds()
        direct = set(snap.facts)
        ids = view.arrays.ids
        for person in range(view.arrays.n):
            for other, strength in zip(*view.ties.row(person)):
                if pair(ids[person], ids[int(other)]) not in direct:  # event and organization ties only
                    assert shared[person] <= -math.log(strength) and shared[int(other)] <= -math.log(strength)
        costs = view.ties.direct_pair_lower_costs()
        live = view.ties.pair_live
        for p, (a, b) in enumerate(zip(view.arrays.pair_a.tolist(), view.arrays.pair_b.tolist())):
            expected = view.strength(ids[a], ids[b])
            if live[p]:  # a live direct part: a tie, never cheaper than its bound
                assert expected > 0 and costs[p] <= -math.log(expected)
            else:  # left to the events' and organizations' bounds
                assert costs[p] == math.inf


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from([2, 3, 4]))
def test_paths_without_some_ties_equal_the_reference_on_the_graph_without_them(seed: int, hops: int) -> None:
    snap = make_snapshot(seed, 30, 6, big=40)
    reference = tie_graph(snap, AS_OF)
    for mode in ("whole", "among"):
        with _rows_derived(mode):
            _paths_without_ties_equal_the_reference(snap, reference, seed, hops)


def _paths_without_ties_equal_the_reference(snap: Snapshot, reference: object, seed: int, hops: int) -> None:
    engine = tie_view(snap, AS_OF).path_engine()
    rng = random.Random(seed)
    ids = sorted(snap.people)
    for _ in range(4):
        target = rng.choice(ids)
        sources = list(snap.members)
        removed = [(s, target) for s in sources if reference.has_edge(s, target)]
        removed += [e for e in rng.sample(sorted(reference.edges()), min(5, reference.number_of_edges()))]
        pruned = reference.copy()
        pruned.remove_edges_from(removed)
        expected = k_best_paths(pruned, sources, target, k=4, max_hops=hops)
        got = engine.without(removed).k_best_paths(sources, target, k=4, max_hops=hops)
        assert [p.nodes for p in got] == [p.nodes for p in expected]
        assert engine.without(removed).connects(sources, target, max_hops=hops) is bool(expected)
        # only the sources' own ties to the target left out (what intros do): no search needed
        direct = [(s, target) for s in sources if reference.has_edge(s, target)]
        without_direct = reference.copy()
        without_direct.remove_edges_from(direct)
        reachable = bool(k_best_paths(without_direct, sources, target, k=1, max_hops=hops))
        assert engine.without(direct).connects(sources, target, max_hops=hops) is reachable
        # someone the target knows whom the sources know only through left-out ties is no way in
        for middle in sorted(set(reference.neighbors(target)) - set(sources))[:3]:
            cut = direct + [(s, middle) for s in sources if reference.has_edge(s, middle)]
            pruned = reference.copy()
            pruned.remove_edges_from(cut)
            for avoid in (set(), {m for m in reference.neighbors(target) if m != middle}):
                expected = bool(k_best_paths(pruned, sources, target, k=1, max_hops=hops, avoid=avoid))
                assert engine.without(cut).connects(sources, target, max_hops=hops, avoid=avoid) is expected
        assert engine.k_best_paths(sources, target, k=4, max_hops=hops) == engine.k_best_paths(sources, target, k=4, max_hops=hops)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.floats(0.001, 0.9)), min_size=1, max_size=120), st.floats(0.5, 1.0))
def test_combine_parts_is_the_reference_noisy_or_largest_first(parts: list[tuple[int, float]], cap: float) -> None:
    """Bit for bit what ``strength.combine`` computes on one tie's parts sorted largest first."""
    groups = np.asarray([g for g, _ in parts], dtype=np.int64)
    values = np.asarray([v for _, v in parts])
    which, strength = combine_parts(groups, values, cap)
    assert which.tolist() == sorted({g for g, _ in parts})
    for group, got in zip(which.tolist(), strength.tolist()):
        remaining = 1.0
        for value in sorted((v for g, v in parts if g == group), reverse=True):
            remaining *= 1.0 - value
        assert got.hex() == min(1.0 - remaining, cap).hex()


@pytest.mark.parametrize("seed", range(10))
def test_combine_parts_multiplies_three_parts_or_more_largest_first(seed: int) -> None:
    """Groups of one to six parts, shuffled: three factors or more multiplied in another order
    round differently often enough that a group left unordered is caught (two commute)."""
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.arange(80, dtype=np.int64), rng.integers(1, 7, 80))
    rng.shuffle(groups)
    values = 0.001 + 0.899 * rng.random(len(groups))
    which, strength = combine_parts(groups, values, 0.99)
    assert which.tolist() == list(range(80))
    for group, got in zip(which.tolist(), strength.tolist()):
        remaining = 1.0
        for value in sorted(values[groups == group].tolist(), reverse=True):
            remaining *= 1.0 - value
        assert got.hex() == min(1.0 - remaining, 0.99).hex()


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.integers(10, 60), st.integers(20, 300), st.sampled_from([1, 3, 50, 2_000_000]))
def test_mutual_counts_are_the_shared_contacts_of_each_pair(seed: int, people: int, pairs: int, slice_: int) -> None:
    """Triangles counted from their least-connected corner, in slices of any size, give each
    pair the number of people both share direct evidence with."""
    from graphsvc.analytics import evidence

    snap = make_snapshot(seed, people=people, events=0, pairs=pairs)
    saved = evidence.MUTUAL_SLICE
    evidence.MUTUAL_SLICE = slice_
    try:
        arrays = EvidenceArrays.from_snapshot(snap)
    finally:
        evidence.MUTUAL_SLICE = saved
    ids = arrays.ids
    for p, (a, b) in enumerate(zip(arrays.pair_a.tolist(), arrays.pair_b.tolist())):
        shared = (snap.contacts.get(ids[a], set()) & snap.contacts.get(ids[b], set())) - {ids[a], ids[b]}
        assert arrays.mutual[p] == len(shared)
