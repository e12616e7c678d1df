"""Every tie's strength at one ``as_of``, computed from the evidence arrays when asked.

A tie's strength is the noisy-OR of its parts (``graphsvc.analytics.strength``): its direct
parts (social facts, interactions), one part per event both attended, a part for working at the
same small organization, and a mutual-contacts part. Only the direct parts belong to a pair;
everything else belongs to an event or an organization. So ``Ties``

* computes, in one vectorised pass, each event's part (size and date), each direct pair's
  parts, and each person's upper bound on the strength of any tie they have;
* and derives a person's ties (``row``) or any list of pairs' strengths (``strengths``) on
  demand by accumulating those parts per neighbour: an event is never expanded into pairs
  until someone asks for one of its attendees.

Parts are combined in the order the reference (``strength.combine``) uses, largest first, so a
strength computed here is the one ``tie_strength`` gives (to the last bit where the parts are
the same floats; property tests compare them).
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from graphsvc.analytics.evidence import KINDS, EvidenceArrays, micros
from graphsvc.analytics.strength import INTERACTION_UNITS, StrengthModel

__all__ = ["Ties", "combine_parts"]

_DAY_US = 86_400_000_000
#: Entries (neighbours) of cached rows kept per view: 24 bytes each (neighbour, strength, cost).
#: A member's row holds their connections and everyone at their events (20,000 people for a
#: busy member of a 200-member team): the rows of a whole team stay cached.
ROW_CACHE_ENTRIES = 8_000_000


def _decay(age_days: np.ndarray, dated: np.ndarray, weight_floor: tuple[float, float]) -> np.ndarray:
    floor, half_life = weight_floor
    value = floor + (1.0 - floor) * 0.5 ** (np.maximum(age_days, 0.0) / half_life)
    return np.where(dated, value, floor)


def combine_parts(groups: np.ndarray, values: np.ndarray, max_strength: float) -> tuple[np.ndarray, np.ndarray]:
    """(distinct groups, strength of each): ``1 - prod(1 - value)`` over each group's values,
    multiplied largest value first as ``strength.combine`` does, capped at ``max_strength``.

    Most groups of a row have one part (one event, or one direct pair), so the entries are
    sorted by group alone; only the groups of three parts or more are ordered by value (two
    factors give the same product in either order: floating-point multiplication commutes)."""
    n = len(groups)
    if not n:
        return groups, np.empty(0)
    order = groups.argsort(kind="stable")
    g = groups[order]
    v = values[order]
    first = np.empty(n, dtype=bool)
    first[0] = True
    np.not_equal(g[1:], g[:-1], out=first[1:])
    starts = first.nonzero()[0]
    if len(starts) == n:
        return g, np.minimum(1.0 - (1.0 - v), max_strength)
    lengths = np.empty_like(starts)
    np.subtract(starts[1:], starts[:-1], out=lengths[:-1])
    lengths[-1] = n - starts[-1]
    many = (lengths > 2).nonzero()[0]
    if len(many):
        counts = lengths[many]
        owner = many.repeat(counts)
        positions = (starts[many] - (counts.cumsum() - counts)).repeat(counts) + np.arange(len(owner))
        v[positions] = v[positions][np.lexsort((-v[positions], owner))]
    # multiply.reduceat multiplies each group's factors left to right, one at a time, as
    # strength.combine does (only add has a pairwise reduction)
    remaining = np.multiply.reduceat(1.0 - v, starts)
    return g[starts], np.minimum(1.0 - remaining, max_strength)


@dataclass(frozen=True)
class Among:
    """Some people (``Ties.among``): a mask over everyone, and which of them attended each
    event (``attendees[ptr[i]:ptr[i + 1]]`` at ``events[i]``, events sorted, eligible ones only)."""

    wanted: np.ndarray
    events: np.ndarray
    ptr: np.ndarray
    attendees: np.ndarray


def _spread_through_groups(
    groups: np.ndarray,
    members: np.ndarray,
    group_count: int,
    people_ptr: np.ndarray,
    people: np.ndarray,
    values: np.ndarray,
    with_sb: np.ndarray,
    plain: np.ndarray,
    bounded: np.ndarray,
) -> None:
    """Lower ``plain`` and ``bounded`` (in place) for everyone in a group (an event, an
    organization) to the least ``values`` / ``with_sb`` among its ``members``; ``groups[i]`` is the
    group of ``members[i]``, and ``people[people_ptr[g]:people_ptr[g + 1]]`` are the people of ``g``."""
    best_plain = np.full(group_count, np.inf)
    best_bounded = np.full(group_count, np.inf)
    np.minimum.at(best_plain, groups, values[members])
    np.minimum.at(best_bounded, groups, with_sb[members])
    touched = np.unique(groups)
    seats, sizes = _csr_positions(people_ptr, touched)
    reached = people[seats]
    np.minimum.at(plain, reached, np.repeat(best_plain[touched], sizes))
    np.minimum.at(bounded, reached, np.repeat(best_bounded[touched], sizes))


def _csr_positions(ptr: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The positions of ``rows``' entries in a CSR (concatenated) and each row's length."""
    first = ptr[rows]
    lengths = ptr[rows + 1] - first
    total = int(lengths.sum())
    if not total:
        return np.empty(0, dtype=np.int64), lengths
    return np.repeat(first - (np.cumsum(lengths) - lengths), lengths) + np.arange(total, dtype=np.int64), lengths


def _segment_min(values: np.ndarray, ptr: np.ndarray) -> np.ndarray:
    """Per segment ``values[ptr[i]:ptr[i + 1]]`` its minimum (inf for an empty segment)."""
    result = np.full(len(ptr) - 1, np.inf)
    filled = np.flatnonzero(ptr[1:] > ptr[:-1])
    if len(filled):
        result[filled] = np.minimum.reduceat(values, ptr[filled])
    return result


class Ties:
    """The ties of one workspace at one ``as_of`` (read-only after construction but for its row cache)."""

    def __init__(self, arrays: EvidenceArrays, as_of: datetime, model: StrengthModel) -> None:
        self.arrays = a = arrays
        self.as_of = as_of
        self.model = model
        now = micros(as_of)
        self.now = now
        # events: a part per eligible event
        event_age = (now - a.event_at) / 1e6 / 86400.0
        size = a.event_size.astype(np.float64)
        full = model.event_full_size
        size_factor = np.where(a.event_size <= full, 1.0, np.sqrt((full - 1) / np.maximum(size - 1, 1.0)))
        self.event_value = model.event.weight * size_factor * _decay(event_age, a.event_dated, (model.event.floor, model.event.half_life_days))
        self.event_ok = (a.event_size >= 2) & (a.event_size <= a.max_event_size) & (~a.event_dated | (a.event_at <= now))
        # direct parts, one row per part: (pair, value)
        self.part_pair, self.part_value = self._direct_parts()
        m = len(a.pair_a)
        has_direct = np.zeros(m, dtype=bool)
        has_direct[self.part_pair] = True
        mutual_value = model.mutual_weight * np.minimum(1.0, a.mutual / model.mutual_full_count)
        with_mutual = np.flatnonzero(has_direct & (a.mutual > 0))
        self.part_pair = np.concatenate([self.part_pair, with_mutual])
        self.part_value = np.concatenate([self.part_value, mutual_value[with_mutual]])
        order = np.argsort(self.part_pair, kind="stable")
        self.part_pair = self.part_pair[order]
        self.part_value = self.part_value[order]
        self.part_ptr = np.zeros(m + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.part_pair, minlength=m), out=self.part_ptr[1:])
        self.pair_live = has_direct  # the pair's direct evidence counts at as_of
        self.organization_ok = a.organization >= 0
        if len(a.organization_ptr) > 1:
            org_size = np.diff(a.organization_ptr)
            self.organization_ok &= np.where(a.organization >= 0, org_size[np.maximum(a.organization, 0)] >= 2, False)
        self._shared_bounds: np.ndarray | None = None
        self._pair_costs: np.ndarray | None = None
        self._partner_cost: np.ndarray | None = None
        self._rows: OrderedDict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = OrderedDict()
        self._row_entries = 0
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ parts
    def _direct_parts(self) -> tuple[np.ndarray, np.ndarray]:
        a, model, now = self.arrays, self.model, self.now
        live = ~a.fact_dated | (a.fact_at <= now)
        kind = a.fact_kind
        age = (now - a.fact_at) / 1e6 / 86400.0
        pairs: list[np.ndarray] = []
        values: list[np.ndarray] = []
        for code, name in enumerate(KINDS):
            spec = model.social.get(name)
            if spec is None:
                continue
            chosen = np.flatnonzero(live & (kind == code))
            if len(chosen):
                pairs.append(a.fact_pair[chosen])
                values.append(spec.weight * _decay(age[chosen], a.fact_dated[chosen], (spec.floor, spec.half_life_days)))
        units_of = np.zeros(len(KINDS))
        is_interaction = np.zeros(len(KINDS), dtype=bool)
        for code, name in enumerate(KINDS):
            if name in INTERACTION_UNITS:
                units_of[code] = INTERACTION_UNITS[name]
                is_interaction[code] = True
        chosen = np.flatnonzero(live & is_interaction[kind])
        if len(chosen):
            interaction_pairs, interaction_values = self._interaction_parts(chosen, units_of)
            pairs.append(interaction_pairs)
            values.append(interaction_values)
        if not pairs:
            return np.empty(0, dtype=np.int64), np.empty(0)
        return np.concatenate(pairs), np.concatenate(values)

    def _interaction_parts(self, chosen: np.ndarray, units_of: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One part per pair for all its interactions (see ``strength._interactions``)."""
        a, model, now = self.arrays, self.model, self.now
        m = len(a.pair_a)
        pair = a.fact_pair[chosen]
        units = np.bincount(pair, weights=units_of[a.fact_kind[chosen]], minlength=m)
        dated = a.fact_dated[chosen]
        at = a.fact_at[chosen]
        last = np.full(m, np.iinfo(np.int64).min, dtype=np.int64)
        first = np.full(m, np.iinfo(np.int64).max, dtype=np.int64)
        np.maximum.at(last, pair[dated], at[dated])
        np.minimum.at(first, pair[dated], at[dated])
        any_dated = np.zeros(m, dtype=bool)
        any_dated[pair[dated]] = True
        direction = a.fact_direction[chosen]
        mutual = np.zeros(m, dtype=bool)
        forward = np.zeros(m, dtype=bool)
        backward = np.zeros(m, dtype=bool)
        mutual[pair[direction == 0]] = True
        forward[pair[direction == 1]] = True
        backward[pair[direction == 2]] = True
        pairs = np.unique(pair)
        u = units[pairs]
        intensity = np.minimum(1.0, np.log1p(u) / math.log1p(model.interaction_full_units))
        has = any_dated[pairs]
        span_days = np.where(has, (last[pairs] - np.where(has, first[pairs], 0)) // _DAY_US, 0)
        duration = np.where(has, np.minimum(1.0, span_days / model.duration_full_days), 0.0)
        age = (now - np.where(has, last[pairs], 0)) / 1e6 / 86400.0
        spec = model.interaction
        recency = _decay(age, has, (spec.floor, spec.half_life_days))
        reciprocal = mutual[pairs] | (forward[pairs] & backward[pairs])
        values = spec.weight * intensity * recency * np.where(reciprocal, 1.0, model.one_way_factor) * (0.8 + 0.2 * duration)
        return pairs, values

    # ------------------------------------------------------------------ ties
    def row(self, person: int) -> tuple[np.ndarray, np.ndarray]:
        """(neighbours sorted, strengths) of ``person``'s ties at ``as_of``."""
        neighbours, strengths, _ = self.row_with_costs(person)
        return neighbours, strengths

    def row_with_costs(self, person: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(neighbours sorted, strengths, costs ``-log(strength)``) of ``person``'s ties, kept in a
        bounded cache: the path search asks for the same people again and again."""
        with self._lock:
            cached = self._rows.get(person)
            if cached is not None:
                self._rows.move_to_end(person)
                return cached
        neighbours, strengths = self._compute_row(person)
        result = (neighbours, strengths, -np.log(strengths))
        with self._lock:
            self._rows[person] = result
            self._row_entries += len(neighbours)
            while self._row_entries > ROW_CACHE_ENTRIES and len(self._rows) > 1:
                _, (gone, _, _) = self._rows.popitem(last=False)
                self._row_entries -= len(gone)
        return result

    def cached_row(self, person: int) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """``row_with_costs(person)`` if it is in the cache, else None (nothing is computed)."""
        with self._lock:
            return self._rows.get(person)

    def among(self, people: np.ndarray) -> "Among":
        """An index of ``people`` (sorted indices) for ``row_among``: who of them attended which event."""
        a = self.arrays
        wanted = np.zeros(a.n, dtype=bool)
        wanted[people] = True
        events, owner = a.gather(a.person_events_ptr, a.person_events, people)
        ok = self.event_ok[events]
        events, attendees = events[ok], people[owner[ok]]
        order = np.argsort(events, kind="stable")
        events, attendees = events[order], attendees[order]
        if len(events):
            first = np.flatnonzero(np.concatenate(([True], events[1:] != events[:-1])))
        else:
            first = np.zeros(0, dtype=np.int64)
        return Among(wanted, events[first], np.append(first, len(events)).astype(np.int64), attendees)

    def row_among(self, person: int, among: "Among") -> tuple[np.ndarray, np.ndarray]:
        """(neighbours sorted, strengths) of ``person``'s ties to the people of ``among``, bit for
        bit those entries of ``row``: each neighbour has the same parts, and only they are
        combined. An event's attendees outside ``among`` are never read, so this costs the
        person's own events and partners, not everyone at every event they attended. Not
        cached (the path search asks it for the people who can still reach a query's target)."""
        a = self.arrays
        groups: list[np.ndarray] = []
        values: list[np.ndarray] = []
        wanted = among.wanted
        lo, hi = a.partner_ptr[person], a.partner_ptr[person + 1]
        if hi > lo:
            partners = a.partner[lo:hi]
            keep = wanted[partners].nonzero()[0]
            if len(keep):
                parts, owner = a.gather(self.part_ptr, self.part_value, a.partner_pair[lo:hi][keep])
                groups.append(partners[keep][owner])
                values.append(parts)
        events = a.person_events[a.person_events_ptr[person] : a.person_events_ptr[person + 1]]
        if len(events) and len(among.events):
            at = np.minimum(among.events.searchsorted(events), len(among.events) - 1)
            shared = (among.events[at] == events).nonzero()[0]  # event_ok: among holds no other
            if len(shared):
                people, owner = a.gather(among.ptr, among.attendees, at[shared])
                keep = people != person
                groups.append(people[keep])
                values.append(self.event_value[events[shared]][owner[keep]])
        if self.organization_ok[person]:
            org = a.organization[person]
            mates = a.organization_people[a.organization_ptr[org] : a.organization_ptr[org + 1]]
            mates = mates[wanted[mates] & (mates != person)]
            groups.append(mates)
            values.append(np.full(len(mates), self.model.same_organization_weight))
        if not groups or not sum(len(g) for g in groups):
            return np.empty(0, dtype=np.int64), np.empty(0)
        return combine_parts(np.concatenate(groups), np.concatenate(values), self.model.max_strength)

    def _compute_row(self, person: int) -> tuple[np.ndarray, np.ndarray]:
        a = self.arrays
        groups: list[np.ndarray] = []
        values: list[np.ndarray] = []
        lo, hi = a.partner_ptr[person], a.partner_ptr[person + 1]
        if hi > lo:
            partners = a.partner[lo:hi]
            pairs = a.partner_pair[lo:hi]
            parts, owner = a.gather(self.part_ptr, self.part_value, pairs)
            groups.append(partners[owner])
            values.append(parts)
        events = a.person_events[a.person_events_ptr[person] : a.person_events_ptr[person + 1]]
        events = events[self.event_ok[events]]
        if len(events):
            people, owner = a.gather(a.event_people_ptr, a.event_people, events)
            keep = people != person
            groups.append(people[keep])
            values.append(self.event_value[events][owner[keep]])
        if self.organization_ok[person]:
            org = a.organization[person]
            mates = a.organization_people[a.organization_ptr[org] : a.organization_ptr[org + 1]]
            mates = mates[mates != person]
            groups.append(mates)
            values.append(np.full(len(mates), self.model.same_organization_weight))
        if not groups:
            return np.empty(0, dtype=np.int64), np.empty(0)
        return combine_parts(np.concatenate(groups), np.concatenate(values), self.model.max_strength)

    def strengths(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """Strength at ``as_of`` of each pair ``(first[i], second[i])`` (0 where there is no tie)."""
        a = self.arrays
        first = np.asarray(first, dtype=np.int64)
        second = np.asarray(second, dtype=np.int64)
        # shared events are found from the side with fewer events: a member at 150 events and
        # 3,000 connections would otherwise cost 450,000 lookups (a tie is symmetric)
        attended = np.diff(a.person_events_ptr)
        swap = attended[first] > attended[second]
        first, second = np.where(swap, second, first), np.where(swap, first, second)
        q = len(first)
        groups: list[np.ndarray] = []
        values: list[np.ndarray] = []
        pair = a.pair_index(first, second)
        known = np.flatnonzero(pair >= 0)
        if len(known):
            parts, owner = a.gather(self.part_ptr, self.part_value, pair[known])
            groups.append(known[owner])
            values.append(parts)
        events, owner = a.gather(a.person_events_ptr, a.person_events, first)
        if len(events):
            keys = a.attendance_keys
            wanted = events * a.n + second[owner]
            at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
            shared = (keys[at] == wanted) & self.event_ok[events] & (first[owner] != second[owner])
            groups.append(owner[shared])
            values.append(self.event_value[events[shared]])
        same = self.organization_ok[first] & (a.organization[first] == a.organization[second]) & (first != second)
        chosen = np.flatnonzero(same)
        if len(chosen):
            groups.append(chosen)
            values.append(np.full(len(chosen), self.model.same_organization_weight))
        result = np.zeros(q)
        if groups:
            which, strength = combine_parts(np.concatenate(groups), np.concatenate(values), self.model.max_strength)
            result[which] = strength
        return result

    # ------------------------------------------------------------------ bounds for path search
    def shared_lower_bounds(self) -> np.ndarray:
        """Per person, a lower bound on the cost ``-log(strength)`` of any tie they have that rests
        on no direct evidence (only shared events and the same organization).

        Such a tie's events are among the person's own events, so its strength is at most
        ``1 - prod over their events (1 - event part) x (1 - organization part)``."""
        if self._shared_bounds is None:
            a, model = self.arrays, self.model
            log_keep = np.zeros(a.n)
            attended = np.repeat(np.arange(a.n, dtype=np.int64), np.diff(a.person_events_ptr))
            ok = self.event_ok[a.person_events]
            np.add.at(log_keep, attended[ok], np.log1p(-self.event_value[a.person_events[ok]]))
            log_keep += np.where(self.organization_ok, math.log1p(-model.same_organization_weight), 0.0)
            upper = np.minimum(-np.expm1(log_keep), model.max_strength)
            upper = np.minimum(upper * (1.0 + 1e-9) + 1e-12, model.max_strength)  # rounding of the sums above
            with np.errstate(divide="ignore"):
                bound = -np.log(upper)
            self._shared_bounds = np.maximum(bound * (1.0 - 1e-9) - 1e-12, 0.0)
        return self._shared_bounds

    def direct_pair_lower_costs(self) -> np.ndarray:
        """Per direct pair, a lower bound on the cost of its tie (inf where it has no live direct
        part: such a tie, if any, rests on shared events or an organization only, which
        ``spread`` reaches through those).

        The pair's direct parts are combined exactly; whatever it shares besides is among the
        events and the organization of each of its people, so it adds at most the lesser of the
        two people's ``shared_lower_bounds`` (read as a strength). No event is looked up per pair:
        a member with 3,000 connections and 150 events would cost 450,000 lookups."""
        if self._pair_costs is None:
            a, model = self.arrays, self.model
            m = len(a.pair_a)
            log_keep = np.zeros(m)
            filled = np.flatnonzero(self.part_ptr[1:] > self.part_ptr[:-1])
            if len(filled):
                log_keep[filled] = np.add.reduceat(np.log1p(-self.part_value), self.part_ptr[filled])
            direct = np.minimum(-np.expm1(log_keep) * (1.0 + 1e-9) + 1e-12, 1.0)  # rounding of the sums
            sb = self.shared_lower_bounds()
            shared = np.exp(-np.maximum(sb[a.pair_a], sb[a.pair_b]))
            upper = 1.0 - (1.0 - direct) * (1.0 - shared)
            upper = np.minimum(upper * (1.0 + 1e-9) + 1e-12, model.max_strength)
            costs = np.full(m, np.inf)
            live = self.pair_live
            costs[live] = np.maximum(-np.log(upper[live]) * (1.0 - 1e-9) - 1e-12, 0.0)
            self._pair_costs = costs
        return self._pair_costs

    def spread(self, values: np.ndarray) -> np.ndarray:
        """For every person v, a lower bound on ``min over v's ties (v, w) of cost(v, w) + values[w]``.

        Through a direct pair with live direct parts the cost is at least
        ``direct_pair_lower_costs``; through an event or an organization a tie with no direct
        part costs at least ``max(sb(v), sb(w))`` (``shared_lower_bounds``), so
        ``min_w max(sb(v), sb(w)) + values[w] >= max(sb(v) + min_w values[w], min_w (sb(w) + values[w]))``.
        A direct pair reached through an event gets a bound that may be too high, but its
        direct channel has a valid one, and the minimum over channels is what counts. Every
        channel is a real tie (a live direct part, a shared eligible event, a shared small
        organization), so a finite result means a tie exists. An event also reaches its own
        attendees (harmless: callers keep ``min(values, ...)``)."""
        a = self.arrays
        sb = self.shared_lower_bounds()
        with_sb = sb + values
        # along direct pairs, from the people with a finite value only (a ball around the targets)
        result = np.full(a.n, np.inf)
        finite = np.flatnonzero(values < np.inf)
        positions, lengths = _csr_positions(a.partner_ptr, finite)
        if len(positions):
            np.minimum.at(result, a.partner[positions], self._partner_costs()[positions] + np.repeat(values[finite], lengths))
        plain = np.full(a.n, np.inf)
        bounded = np.full(a.n, np.inf)
        if len(a.event_ids) and len(finite):
            # per event the least value among its finite attendees, then to everyone at those events
            attended, lengths = _csr_positions(a.person_events_ptr, finite)
            events = a.person_events[attended]
            who = np.repeat(finite, lengths)
            open_ = self.event_ok[events]
            events, who = events[open_], who[open_]
            _spread_through_groups(events, who, len(a.event_ids), a.event_people_ptr, a.event_people, values, with_sb, plain, bounded)
        if len(a.organization_ptr) > 1 and len(finite):
            working = finite[self.organization_ok[finite]]
            groups = len(a.organization_ptr) - 1
            _spread_through_groups(a.organization[working], working, groups, a.organization_ptr, a.organization_people, values, with_sb, plain, bounded)
        return np.minimum(result, np.maximum(sb + plain, bounded))

    def _partner_costs(self) -> np.ndarray:
        """``direct_pair_lower_costs`` of each entry of the partner CSR (``arrays.partner``, by person)."""
        if self._partner_cost is None:
            self._partner_cost = self.direct_pair_lower_costs()[self.arrays.partner_pair]
        return self._partner_cost

    # ------------------------------------------------------------------ ties that matter for structure
    def warm_pairs(self, max_event_size: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Candidate pairs for structure (``a < b``, sorted, distinct): every direct pair, and every
        pair of attendees of an eligible event of at most ``max_event_size`` people (default: the
        model's small-event size)."""
        a = self.arrays
        limit = self.model.small_event_max_size if max_event_size is None else max_event_size
        firsts = [a.pair_a]
        seconds = [a.pair_b]
        small = np.flatnonzero(self.event_ok & (a.event_size <= limit))
        for event in small.tolist():
            people = a.event_people[a.event_people_ptr[event] : a.event_people_ptr[event + 1]]
            i, j = np.triu_indices(len(people), k=1)
            firsts.append(people[i])
            seconds.append(people[j])
        lo = np.concatenate(firsts)
        hi = np.concatenate(seconds)
        keys = np.unique(np.minimum(lo, hi) * a.n + np.maximum(lo, hi))
        return keys // a.n, keys % a.n
