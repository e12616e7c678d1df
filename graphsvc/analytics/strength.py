"""Tie strength v1: how strong a tie is at ``as_of``, explained by its evidence.

Each fact contributes ``c = weight x size_factor x decay(age)`` and the contributions combine
as a noisy-OR, ``strength = 1 - prod(1 - c)``, so every extra channel or shared event raises
strength without ever passing 1 (multiplexity). Decay is exponential towards a floor:
``floor + (1 - floor) x 0.5 ** (age / half_life)``. Co-attendance is weighted by event size
after Newman (2001), softened by a square root: ``min(1, (r - 1) / (n - 1)) ** 0.5`` for an
event of ``n`` attendees, where events of ``r`` people or fewer count fully. Defaults and their
sources are in docs/tie-strength.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING

from graphsvc.snapshot import Fact, Snapshot

if TYPE_CHECKING:
    import networkx as nx


class EvidenceLevel(str, Enum):
    """What kind of tie the evidence shows, strongest first (travels with every tie)."""

    SMALL_EVENT = "small_event"  # met at a gathering small enough to talk to everyone
    CONNECTION = "connection"  # connected on a social network
    LARGE_EVENT = "large_event"  # attended the same large event


LEVEL_ORDER = [EvidenceLevel.SMALL_EVENT, EvidenceLevel.CONNECTION, EvidenceLevel.LARGE_EVENT]


@dataclass(frozen=True)
class StrengthModel:
    connection_weight: float = 0.45
    connection_floor: float = 0.6
    connection_half_life_days: float = 730.0
    event_weight: float = 0.6
    event_full_size: int = 5
    event_floor: float = 0.25
    event_half_life_days: float = 365.0
    small_event_max_size: int = 30
    max_strength: float = 0.99


DEFAULT_MODEL = StrengthModel()


@dataclass(frozen=True)
class Contribution:
    fact: Fact
    value: float
    event_size: int | None
    age_days: float | None


@dataclass(frozen=True)
class TieStrength:
    strength: float
    level: EvidenceLevel
    contributions: tuple[Contribution, ...]  # strongest first


def decay(age_days: float | None, half_life: float, floor: float) -> float:
    """>>> round(decay(365.0, 365.0, 0.5), 3)
    0.75
    """
    if age_days is None:
        return floor
    return floor + (1.0 - floor) * 0.5 ** (max(age_days, 0.0) / half_life)


def event_size_factor(size: int, model: StrengthModel = DEFAULT_MODEL) -> float:
    """>>> event_size_factor(10) > 9 * event_size_factor(800)
    True
    """
    if size <= model.event_full_size:
        return 1.0
    return math.sqrt((model.event_full_size - 1) / (size - 1))


def _age(at: datetime | None, as_of: datetime) -> float | None:
    return None if at is None else (as_of - at).total_seconds() / 86400.0


def contribution(fact: Fact, snap: Snapshot, as_of: datetime, model: StrengthModel = DEFAULT_MODEL) -> Contribution:
    age = _age(fact.at, as_of)
    if fact.kind == "connection":
        value = model.connection_weight * decay(age, model.connection_half_life_days, model.connection_floor)
        return Contribution(fact, value, None, age)
    size = snap.event_size.get(fact.event_id or "", 2)
    value = model.event_weight * event_size_factor(size, model) * decay(age, model.event_half_life_days, model.event_floor)
    return Contribution(fact, value, size, age)


def tie_strength(
    snap: Snapshot, a: str, b: str, as_of: datetime, model: StrengthModel = DEFAULT_MODEL
) -> TieStrength | None:
    """The tie between ``a`` and ``b`` at ``as_of``, or None when no evidence predates ``as_of``."""
    facts = [f for f in snap.pair_facts(a, b) if f.at is None or f.at <= as_of]
    return strength_from_facts(facts, snap, as_of, model)


def strength_from_facts(
    facts: list[Fact], snap: Snapshot, as_of: datetime, model: StrengthModel = DEFAULT_MODEL
) -> TieStrength | None:
    if not facts:
        return None
    parts = [contribution(f, snap, as_of, model) for f in facts]
    parts.sort(key=lambda c: (-c.value, c.fact.kind, c.fact.event_id or ""))
    remaining = 1.0
    for part in parts:
        remaining *= 1.0 - part.value
    strength = min(1.0 - remaining, model.max_strength)
    return TieStrength(strength, _level(parts, model), tuple(parts))


def _level(parts: list[Contribution], model: StrengthModel) -> EvidenceLevel:
    levels = set()
    for part in parts:
        if part.fact.kind == "connection":
            levels.add(EvidenceLevel.CONNECTION)
        elif (part.event_size or 0) <= model.small_event_max_size:
            levels.add(EvidenceLevel.SMALL_EVENT)
        else:
            levels.add(EvidenceLevel.LARGE_EVENT)
    return next(level for level in LEVEL_ORDER if level in levels)


def tie_graph(snap: Snapshot, as_of: datetime, model: StrengthModel = DEFAULT_MODEL) -> "nx.Graph":
    """The weighted tie graph at ``as_of``: edge attributes ``strength``, ``cost`` (-log strength), ``level``.

    >>> import networkx as nx
    >>> g = tie_graph(Snapshot("ws", 0, ()), datetime(2026, 1, 1))
    >>> g.number_of_edges()
    0
    """
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(sorted(snap.people))
    for (a, b), facts in snap.facts.items():
        tie = strength_from_facts([f for f in facts if f.at is None or f.at <= as_of], snap, as_of, model)
        if tie is not None and tie.strength > 0:
            graph.add_edge(a, b, strength=tie.strength, cost=-math.log(tie.strength), level=tie.level)
    return graph
