"""Seeded generator of realistic relationship networks, as plain numpy arrays (no networkx needed).

The shape follows docs/performance.md ("realistic generator"): people belong to communities
(companies, schools, clubs) whose sizes are Zipf-like; each person has a heavy-tailed
sociability (Pareto, alpha 1.5) that drives their degree, so most people have a few dozen ties
and a few hubs have thousands (capped at LinkedIn's 30,000); ties are

* 55% inside a community, endpoints drawn in proportion to sociability (Chung-Lu within it),
* 20% across communities, in proportion to sociability (weak, long-range ties),
* 25% triadic closure (two contacts of the same person meet), which gives a clustering
  coefficient of roughly 0.1-0.2.

Tie strengths are in (0, 1), clipped to [0.01, 0.99] as tie_graph caps strength at 0.99: ties
inside a community are stronger on average (Beta(2, 3)) than closures (Beta(2, 4)) and than
long-range ties (Beta(1.2, 6)). ``cost = -log(strength)``, computed once here and handed to
both the engine and networkx, so both see bit-identical costs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEGREE_CAP = 30_000


@dataclass
class Network:
    ids: list[str]
    community: np.ndarray  # per person
    u: np.ndarray  # int64, one row per tie (u < v in generation order)
    v: np.ndarray
    strength: np.ndarray  # float64 in (0, 1)
    cost: np.ndarray  # float64, -log(strength)

    @property
    def people(self) -> int:
        return len(self.ids)

    @property
    def ties(self) -> int:
        return len(self.u)

    def degrees(self) -> np.ndarray:
        return np.bincount(np.concatenate([self.u, self.v]), minlength=self.people)


def _communities(rng: np.random.Generator, n: int) -> np.ndarray:
    """Community of each person: Zipf-like sizes (exponent ~1), from 5 people to a few % of everyone."""
    count = max(1, n // 60)
    raw = 1.0 / np.arange(1, count + 1) ** 1.0
    sizes = np.maximum(5, np.floor(raw / raw.sum() * n * 0.999)).astype(np.int64)
    while sizes.sum() > n:
        sizes[np.argmax(sizes)] -= sizes.sum() - n
    sizes[0] += n - sizes.sum()
    labels = np.repeat(np.arange(count), sizes)
    return labels[rng.permutation(n)]


def _draw_within(rng, weight, community, count):
    """``count`` ties inside communities, endpoints in proportion to ``weight``."""
    order = np.argsort(community, kind="stable")
    sorted_weight = weight[order]
    cumulative = np.cumsum(sorted_weight)
    sorted_comm = community[order]
    starts = np.searchsorted(sorted_comm, np.arange(community.max() + 1), side="left")
    ends = np.searchsorted(sorted_comm, np.arange(community.max() + 1), side="right")
    base = np.where(starts > 0, cumulative[np.maximum(starts - 1, 0)], 0.0)
    mass = cumulative[ends - 1] - base
    # A community is chosen in proportion to mass**2 / mass = its weight (Chung-Lu inside it).
    comm = rng.choice(len(mass), size=count, p=mass / mass.sum())

    def pick():
        x = base[comm] + rng.random(count) * mass[comm]
        return order[np.minimum(np.searchsorted(cumulative, x, side="right"), len(order) - 1)]

    return pick(), pick()


def _draw_global(rng, weight, count):
    p = weight / weight.sum()
    return rng.choice(len(weight), size=count, p=p), rng.choice(len(weight), size=count, p=p)


def _closures(rng, n, u, v, count):
    """Close ``count`` random wedges: two random contacts of a random person (degree >= 2)."""
    rows = np.concatenate([u, v])
    cols = np.concatenate([v, u])
    order = np.argsort(rows, kind="stable")
    cols = cols[order]
    degree = np.bincount(rows, minlength=n)
    indptr = np.concatenate([[0], np.cumsum(degree)])
    centres = np.flatnonzero(degree >= 2)
    centre = centres[rng.integers(0, len(centres), size=count)]
    d = degree[centre]
    a = rng.integers(0, d)
    b = (a + 1 + rng.integers(0, d - 1)) % d
    return cols[indptr[centre] + a], cols[indptr[centre] + b]


def generate(people: int, ties: int, seed: int) -> Network:
    rng = np.random.default_rng(seed)
    community = _communities(rng, people)
    sociability = rng.pareto(1.5, people) + 1.0
    chosen_u: list[np.ndarray] = []
    chosen_v: list[np.ndarray] = []
    chosen_s: list[np.ndarray] = []
    seen = np.empty(0, dtype=np.int64)  # sorted keys of the ties so far

    def add(a, b, strength):
        nonlocal seen
        keep = a != b
        a, b, strength = a[keep], b[keep], strength[keep]
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        key = lo * people + hi
        order = np.argsort(key, kind="stable")
        ordered = key[order]
        first = np.sort(order[np.concatenate([[True], ordered[1:] != ordered[:-1]])])  # first of each pair
        a, b, strength, key = lo[first], hi[first], strength[first], key[first]
        if len(seen):
            at = np.minimum(np.searchsorted(seen, key), len(seen) - 1)
            fresh = seen[at] != key
        else:
            fresh = np.ones(len(key), dtype=bool)
        chosen_u.append(a[fresh])
        chosen_v.append(b[fresh])
        chosen_s.append(strength[fresh])
        seen = np.sort(np.concatenate([seen, key[fresh]]))

    base = int(ties * 0.75)
    while len(seen) < base:
        missing = base - len(seen)
        within = int(missing * 0.55 / 0.75) + 16
        across = int(missing * 0.20 / 0.75) + 16
        a, b = _draw_within(rng, sociability, community, within)
        add(a, b, rng.beta(2.0, 3.0, within))
        a, b = _draw_global(rng, sociability, across)
        add(a, b, rng.beta(1.2, 6.0, across))
    while len(seen) < ties * 1.02:
        u = np.concatenate(chosen_u)
        v = np.concatenate(chosen_v)
        missing = int(ties * 1.02) - len(seen) + 16
        a, b = _closures(rng, people, u, v, missing)
        add(a, b, rng.beta(2.0, 4.0, missing))
    u = np.concatenate(chosen_u)
    v = np.concatenate(chosen_v)
    strength = np.concatenate(chosen_s)
    # Exactly `ties` ties, dropping a random few; then enforce the degree cap.
    keep = np.sort(rng.choice(len(u), size=ties, replace=False))
    u, v, strength = u[keep], v[keep], strength[keep]
    degree = np.bincount(np.concatenate([u, v]), minlength=people)
    if degree.max() > DEGREE_CAP:
        over = (degree[u] > DEGREE_CAP) | (degree[v] > DEGREE_CAP)
        u, v, strength = u[~over], v[~over], strength[~over]
    strength = np.clip(strength, 0.01, 0.99)
    cost = -np.log(strength)
    width = len(str(people))
    labels = rng.permutation(people)  # ids unrelated to generation order, so sorting matters
    ids = [f"p{int(x):0{width}d}" for x in labels]
    return Network(ids, community, u.astype(np.int64), v.astype(np.int64), strength, cost)
