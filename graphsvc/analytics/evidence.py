"""A workspace's evidence as arrays: what the analytics core reads, independent of ``as_of``.

Built once per data version from a ``Snapshot``; everything is indexed by integers:

* people: ``ids`` sorted (so comparing indices is comparing ids), ``index`` the inverse;
* attendances as two CSR views, person -> events (``person_events``) and event -> people
  (``event_people``), with each event's size and date;
* direct pairs (any evidence but co-attendance and organization) ``pair_a < pair_b``, sorted,
  with a per-person CSR over them, and each pair's count of mutual contacts;
* the pairs' facts as columns (pair, kind, channel, time, direction);
* the organization of each person whose organization is small enough to count as a tie.

Nothing here grows with the square of an event's size: an event is its list of attendees.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from typing import Any
from dataclasses import dataclass, replace
from functools import cached_property
from datetime import datetime, timedelta, timezone

import numpy as np

from graphsvc.identity.records import normalise_organization
from graphsvc.model import Event, Evidence, EvidenceKind
from graphsvc.snapshot import Snapshot
from graphsvc.store.protocol import Store

__all__ = ["EvidenceArrays", "KINDS", "micros"]

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
#: Fact kinds by code (the order is part of nothing persistent: codes are rebuilt with the arrays).
KINDS = (
    "connection", "contact", "follow", "invitation", "endorsement",
    "message", "call", "meeting", "introduction", "recommendation",
)
KIND_CODE = {kind: code for code, kind in enumerate(KINDS)}
DIRECTIONS = ("mutual", "forward", "backward")
#: Wedges examined at once when counting mutual contacts (~100 MB of temporaries).
MUTUAL_SLICE = 2_000_000


def micros(moment: datetime) -> int:
    """Microseconds since the epoch, exactly (``timedelta`` arithmetic, no float)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return (moment - EPOCH) // timedelta(microseconds=1)


def _csr(rows: np.ndarray, cols: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(indptr, sorted cols, order) of the CSR with ``cols`` sorted within each row."""
    order = np.lexsort((cols, rows))
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    return indptr, cols[order], order


def _label_codes(labels: "Mapping[str, str]", index: dict[str, int]) -> tuple[list[str], np.ndarray]:
    """(the distinct labels sorted, each person's label's position in them or -1)."""
    names = sorted(set(labels.values()))
    position = {name: i for i, name in enumerate(names)}
    codes = np.full(len(index), -1, dtype=np.int64)
    for person, label in labels.items():
        if person in index:
            codes[index[person]] = position[label]
    return names, codes


def _organization_columns(
    labels: list[str], codes: np.ndarray, max_size: int
) -> tuple[list[str], np.ndarray, list[str], np.ndarray, np.ndarray, np.ndarray]:
    """From each person's organization as written (``codes`` into ``labels``, -1: none): the
    written labels in use, sorted, and each person's position in them; the normalised
    organizations with at most ``max_size`` people (small enough to be a tie), sorted, each
    person's position in them (-1: none) and their CSR of people. Every label is normalised
    once, not once per person."""
    used = np.unique(codes[codes >= 0])
    written_names = [labels[i] for i in used.tolist()]
    order = sorted(range(len(written_names)), key=written_names.__getitem__)
    written_names = [written_names[i] for i in order]
    position = np.full(len(labels) + 1, -1, dtype=np.int64)  # the last slot: -1 stays -1
    position[used[order]] = np.arange(len(order), dtype=np.int64)
    written = position[codes]
    keys = [normalise_organization(name) for name in written_names]
    key_names = sorted(set(keys) - {""})
    key_position = {key: i for i, key in enumerate(key_names)}
    key_of_label = np.asarray([key_position.get(key, -1) for key in keys] + [-1], dtype=np.int64)
    organization = key_of_label[written]
    counts = np.bincount(organization[organization >= 0], minlength=len(key_names))
    small = np.flatnonzero((counts > 0) & (counts <= max_size))
    renumber = np.full(len(key_names) + 1, -1, dtype=np.int64)
    renumber[small] = np.arange(len(small), dtype=np.int64)
    organization = renumber[organization]
    org_names = [key_names[i] for i in small.tolist()]
    who = np.flatnonzero(organization >= 0)
    org_ptr, org_people, _ = _csr(organization[who], who.astype(np.int64), len(org_names))
    return written_names, written, org_names, organization, org_ptr, org_people


def _attendance_columns(keys: np.ndarray, n: int, events: int) -> tuple[np.ndarray, ...]:
    """(event sizes, person -> events CSR, event -> people CSR) of the attendances ``keys``
    (``event * n + person``, sorted and distinct)."""
    att_e, att_p = keys // max(n, 1), keys % max(n, 1)
    sizes = np.bincount(att_e, minlength=events).astype(np.int64)
    pe_ptr, pe, _ = _csr(att_p, att_e, n)
    ep_ptr = np.zeros(events + 1, dtype=np.int64)
    np.cumsum(sizes, out=ep_ptr[1:])
    return sizes, pe_ptr, pe, ep_ptr, att_p  # keys are sorted by (event, person)


def _event_dates(event_ids: list[str], events: Mapping[str, Event]) -> tuple[np.ndarray, np.ndarray]:
    """(microseconds, dated) of each event's start (0 and False where it has none)."""
    at = np.zeros(len(event_ids), dtype=np.int64)
    dated = np.zeros(len(event_ids), dtype=bool)
    for i, e in enumerate(event_ids):
        event = events.get(e)
        if event is not None and event.starts_at is not None:
            at[i] = micros(event.starts_at)
            dated[i] = True
    return at, dated


def _fact_time(at: datetime | None) -> tuple[int, bool, int]:
    """(microseconds, dated, seconds east of UTC it was written with) of a fact's time."""
    if at is None:
        return 0, False, 0
    offset = at.utcoffset()
    return micros(at), True, int(offset.total_seconds()) if offset is not None else 0


@dataclass
class EvidenceArrays:
    ids: list[str]
    index: dict[str, int]
    members: np.ndarray  # person indices of the workspace's members
    # events
    event_ids: list[str]
    event_size: np.ndarray  # int64: distinct attendees
    event_at: np.ndarray  # int64 microseconds (0 where undated)
    event_dated: np.ndarray  # bool
    person_events_ptr: np.ndarray
    person_events: np.ndarray  # int64 event indices, sorted per person
    event_people_ptr: np.ndarray
    event_people: np.ndarray  # int64 person indices, sorted per event
    # organizations small enough to be a tie (-1: none), by their normalised names
    organization_keys: list[str]
    organization: np.ndarray  # int64 per person
    organization_ptr: np.ndarray
    organization_people: np.ndarray
    # direct pairs
    pair_a: np.ndarray  # int64, pair_a < pair_b, sorted by (a, b)
    pair_b: np.ndarray
    partner_ptr: np.ndarray  # per person CSR over pairs
    partner: np.ndarray  # the other person, sorted per person
    partner_pair: np.ndarray  # the pair's index
    mutual: np.ndarray  # int64 per pair: people both share direct evidence with
    # facts of direct pairs
    fact_pair: np.ndarray  # int64
    fact_kind: np.ndarray  # int8 code in KINDS
    fact_channel: np.ndarray  # int16 code in channels
    fact_at: np.ndarray  # int64 microseconds (0 where undated)
    fact_dated: np.ndarray  # bool
    fact_direction: np.ndarray  # int8 code in DIRECTIONS (relative to the pair's sorted order)
    fact_offset: np.ndarray  # int32 seconds east of UTC each fact's time was written with
    channels: list[str]
    max_event_size: int
    # organizations as written (for labels), any size (-1: none)
    written_organizations: list[str]
    written_organization: np.ndarray  # int64 per person
    max_organization_size: int = 100  # organizations with more known people make no ties

    @property
    def n(self) -> int:
        return len(self.ids)

    @classmethod
    def from_snapshot(cls, snap: Snapshot) -> "EvidenceArrays":
        ids = sorted(snap.people)
        index = {person: i for i, person in enumerate(ids)}
        n = len(ids)
        members = np.asarray(sorted(index[m] for m in snap.members if m in index), dtype=np.int64)

        event_ids = sorted(snap.attendees)
        event_index = {e: i for i, e in enumerate(event_ids)}
        sizes = np.asarray([snap.event_size.get(e, len(snap.attendees[e])) for e in event_ids], dtype=np.int64)
        at = np.zeros(len(event_ids), dtype=np.int64)
        dated = np.zeros(len(event_ids), dtype=bool)
        for i, e in enumerate(event_ids):
            event = snap.events.get(e)
            if event is not None and event.starts_at is not None:
                at[i] = micros(event.starts_at)
                dated[i] = True
        att_person = np.fromiter((index[p] for e in event_ids for p in snap.attendees[e]), dtype=np.int64)
        att_event = np.repeat(np.arange(len(event_ids), dtype=np.int64), [len(snap.attendees[e]) for e in event_ids])
        pe_ptr, pe, _ = _csr(att_person, att_event, n)
        ep_ptr, ep, _ = _csr(att_event, att_person, len(event_ids))

        org_names, organization = _label_codes(snap.organization_key, index)
        who = np.flatnonzero(organization >= 0)
        org_ptr, org_people, _ = _csr(organization[who], who.astype(np.int64), len(org_names))

        pairs = sorted((index[a], index[b]) for a, b in snap.facts)
        pair_a = np.asarray([a for a, _ in pairs], dtype=np.int64)
        pair_b = np.asarray([b for _, b in pairs], dtype=np.int64)
        rows = np.concatenate([pair_a, pair_b])
        cols = np.concatenate([pair_b, pair_a])
        which = np.concatenate([np.arange(len(pairs), dtype=np.int64)] * 2)
        partner_ptr, partner, order = _csr(rows, cols, n)
        partner_pair = which[order]

        channels = sorted({f.channel for facts in snap.facts.values() for f in facts})
        channel_code = {c: i for i, c in enumerate(channels)}
        kinds, chans, times, has_time, directions, owners, offsets = [], [], [], [], [], [], []
        for p, (a, b) in enumerate(pairs):
            for fact in snap.facts[(ids[a], ids[b])]:
                code = KIND_CODE.get(fact.kind)
                if code is None:
                    continue
                owners.append(p)
                kinds.append(code)
                chans.append(channel_code[fact.channel])
                times.append(micros(fact.at) if fact.at is not None else 0)
                has_time.append(fact.at is not None)
                directions.append(DIRECTIONS.index(fact.direction))
                offset = fact.at.utcoffset() if fact.at is not None else None
                offsets.append(int(offset.total_seconds()) if offset is not None else 0)
        written, written_organization = _label_codes(snap.organization, index)
        arrays = cls(
            ids, index, members, event_ids, sizes, at, dated, pe_ptr, pe, ep_ptr, ep,
            org_names, organization, org_ptr, org_people, pair_a, pair_b, partner_ptr, partner, partner_pair,
            np.zeros(len(pairs), dtype=np.int64),
            np.asarray(owners, dtype=np.int64), np.asarray(kinds, dtype=np.int8), np.asarray(chans, dtype=np.int16),
            np.asarray(times, dtype=np.int64), np.asarray(has_time, dtype=bool), np.asarray(directions, dtype=np.int8),
            np.asarray(offsets, dtype=np.int32), channels, snap.max_event_size, written, written_organization,
        )
        arrays.mutual = arrays._mutual_counts()
        return arrays

    def grown(
        self,
        evidence: Iterable[Evidence],
        organizations: Mapping[str, str | None],
        absorbed: Mapping[str, str],
        members: Iterable[str],
        events: Mapping[str, Event],
    ) -> "EvidenceArrays | None":
        """These arrays with what imports, logged interactions and merges did since they were
        read: ``evidence`` added (between people, as ``from_store`` reads it), records merged
        into others (``absorbed``: record -> the person it is part of now), the organization as
        written now of every person a change touched (records added, updated or merged into
        them), the workspace's ``members`` and its ``events`` now. The arrays ``from_store``
        would read, in time that grows with the evidence added and the columns' length (no
        row of the store is read again), except that a pair's facts may come in another order.

        None when that cannot be told from the arrays: two connections on one pair and channel
        (the store keeps one per pair and channel between merged records, by its key: a rebuild
        knows which), or a person left with no evidence by a merge (a rebuild drops them)."""
        old_ids, old_index = self.ids, self.index
        gone = {record: person for record, person in absorbed.items() if record in old_index}
        members = list(members)
        attended: list[tuple[str, str]] = []
        direct: list[Evidence] = []
        arriving = {m for m in members if m not in old_index}
        arriving.update(p for p in gone.values() if p not in old_index)
        for ev in evidence:
            if ev.kind is EvidenceKind.ATTENDED:
                if ev.event_id:
                    attended.append((ev.person_a, ev.event_id))
                    if ev.person_a not in old_index:
                        arriving.add(ev.person_a)
                continue
            if not ev.person_b or ev.person_b == ev.person_a:
                continue
            direct.append(ev)
            arriving.update(p for p in (ev.person_a, ev.person_b) if p not in old_index)

        # people: the new ones take their places in id order, everyone else moves past them; a
        # record merged away moves onto the person it is part of
        if gone:
            ids = sorted([p for p in old_ids if p not in gone] + sorted(arriving))
            index = {person: i for i, person in enumerate(ids)}
            moved = np.fromiter((index[gone.get(p, p)] for p in old_ids), dtype=np.int64, count=len(old_ids))
        elif arriving:
            added = sorted(arriving)
            ids = sorted(old_ids + added)  # two sorted runs: one merge
            index = {person: i for i, person in enumerate(ids)}
            places = np.asarray([bisect_left(old_ids, p) for p in added], dtype=np.int64)
            moved = np.arange(len(old_ids), dtype=np.int64) + np.searchsorted(places, np.arange(len(old_ids)), side="right")
        else:
            ids, index, moved = old_ids, old_index, np.arange(len(old_ids), dtype=np.int64)
        n = len(ids)

        # events and attendances
        event_ids = sorted(set(self.event_ids).union(e for _, e in attended))
        event_index = {e: i for i, e in enumerate(event_ids)}
        moved_event = np.asarray([event_index[e] for e in self.event_ids], dtype=np.int64)
        old_events = np.repeat(np.arange(len(self.event_ids), dtype=np.int64), np.diff(self.event_people_ptr))
        keys = np.unique(np.concatenate([
            moved_event[old_events] * max(n, 1) + moved[self.event_people],
            np.asarray([event_index[e] * max(n, 1) + index[p] for p, e in attended], dtype=np.int64),
        ]))
        sizes, pe_ptr, pe, ep_ptr, att_p = _attendance_columns(keys, n, len(event_ids))
        at, when = _event_dates(event_ids, events)

        # direct pairs and their facts
        channels = list(self.channels)
        firsts, seconds, kinds, chans, times, dated, directions, offsets = [], [], [], [], [], [], [], []
        pending_keys: list[int] = []
        for ev in direct:
            a, b = index[ev.person_a], index[ev.person_b]
            lo, hi = (a, b) if a < b else (b, a)
            pending_keys.append(lo * n + hi)
            code = KIND_CODE.get(ev.kind.value, -1)
            if code < 0:
                continue  # the pair counts (mutual contacts), the fact does not
            if ev.channel.value not in channels:
                channels.append(ev.channel.value)
            firsts.append(lo)
            seconds.append(hi)
            kinds.append(code)
            chans.append(ev.channel.value)
            moment, has_time, offset = _fact_time(ev.at)
            times.append(moment)
            dated.append(has_time)
            offsets.append(offset)
            directions.append(0 if ev.direction == "mutual" else (1 if ev.person_a < ev.person_b else 2))
        # the old pairs where their people are now: a pair of two records of one person is gone
        # with its facts, a pair whose people swapped order turns its facts' directions round,
        # two pairs onto one person meet
        first_end, second_end = moved[self.pair_a], moved[self.pair_b]
        swapped = first_end > second_end
        old_keys = np.minimum(first_end, second_end) * n + np.maximum(first_end, second_end)
        kept = first_end != second_end
        kept_facts = kept[self.fact_pair]
        old_direction = self.fact_direction
        if swapped.any():
            turn = swapped[self.fact_pair] & (old_direction > 0)
            old_direction = np.where(turn, 3 - old_direction, old_direction).astype(np.int8)
        new_fact_keys = np.asarray(firsts, dtype=np.int64) * n + np.asarray(seconds, dtype=np.int64)
        keys = np.union1d(old_keys[kept], np.asarray(pending_keys, dtype=np.int64))
        channels = sorted(channels)
        code_of = {c: i for i, c in enumerate(channels)}
        recode = np.asarray([code_of[c] for c in self.channels], dtype=np.int16)
        fact_pair = np.concatenate([np.searchsorted(keys, old_keys[self.fact_pair[kept_facts]]), np.searchsorted(keys, new_fact_keys)])
        fact_kind = np.concatenate([self.fact_kind[kept_facts], np.asarray(kinds, dtype=np.int8)])
        fact_channel = np.concatenate([recode[self.fact_channel[kept_facts]], np.asarray([code_of[c] for c in chans], dtype=np.int16)])
        connection = fact_kind == KIND_CODE["connection"]
        connected = fact_pair[connection] * max(len(channels), 1) + fact_channel[connection]
        if len(np.unique(connected)) != len(connected):
            return None  # two connections on one pair and channel: which one the store keeps is its key's
        order = np.argsort(fact_pair, kind="stable")  # a pair's facts: the ones it had, then the new
        pair_a, pair_b = keys // max(n, 1), keys % max(n, 1)
        partner_ptr, partner, position = _csr(np.concatenate([pair_a, pair_b]), np.concatenate([pair_b, pair_a]), n)
        which = np.concatenate([np.arange(len(keys), dtype=np.int64)] * 2)

        # organizations as written: the old ones moved, the touched ones as they are now
        labels = list(self.written_organizations)
        label_of = {label: i for i, label in enumerate(labels)}
        codes = np.full(n, -1, dtype=np.int64)
        codes[moved] = self.written_organization
        for person, organization in organizations.items():
            at_person = index.get(person)
            if at_person is None:
                continue
            if organization:
                if organization not in label_of:
                    label_of[organization] = len(labels)
                    labels.append(organization)
                codes[at_person] = label_of[organization]
            else:
                codes[at_person] = -1
        written_names, written_organization, org_names, organization, org_ptr, org_people = _organization_columns(
            labels, codes, self.max_organization_size)

        grown = replace(
            self,
            ids=ids, index=index, members=np.asarray(sorted(index[m] for m in members if m in index), dtype=np.int64),
            event_ids=event_ids, event_size=sizes, event_at=at, event_dated=when,
            person_events_ptr=pe_ptr, person_events=pe, event_people_ptr=ep_ptr, event_people=att_p,
            organization_keys=org_names, organization=organization, organization_ptr=org_ptr, organization_people=org_people,
            pair_a=pair_a, pair_b=pair_b, partner_ptr=partner_ptr, partner=partner, partner_pair=which[position],
            mutual=np.zeros(len(keys), dtype=np.int64),
            fact_pair=fact_pair[order],
            fact_kind=fact_kind[order],
            fact_channel=fact_channel[order],
            fact_at=np.concatenate([self.fact_at[kept_facts], np.asarray(times, dtype=np.int64)])[order],
            fact_dated=np.concatenate([self.fact_dated[kept_facts], np.asarray(dated, dtype=bool)])[order],
            fact_direction=np.concatenate([old_direction[kept_facts], np.asarray(directions, dtype=np.int8)])[order],
            fact_offset=np.concatenate([self.fact_offset[kept_facts], np.asarray(offsets, dtype=np.int32)])[order],
            channels=channels, written_organizations=written_names, written_organization=written_organization,
        )
        if gone:
            # a person whose evidence was all with records now theirs has none left: not a person a rebuild reads
            member_set = {index[m] for m in members if m in index}
            for person in {index[p] for p in gone.values()}:
                if pe_ptr[person + 1] == pe_ptr[person] and partner_ptr[person + 1] == partner_ptr[person] and person not in member_set:
                    return None
        # no pair added or moved (an attendee list): the same pairs, the same triangles
        same_pairs = not gone and len(keys) == len(old_keys)
        grown.mutual = self.mutual.copy() if same_pairs else grown._mutual_counts()
        return grown

    @classmethod
    def from_store(
        cls, store: Store, workspace_id: str, *, max_event_size: int = 1000, max_organization_size: int = 100
    ) -> tuple[int, tuple[str, ...], dict[str, Event], "EvidenceArrays"]:
        """(data version, members, events, arrays) read from the store in one pass over its
        evidence, into columns: the arrays ``from_snapshot(build_snapshot(store, ...))`` gives,
        without the snapshot's per-pair and per-person Python objects (a team of 200 has 370,000
        people and 900,000 rows: seconds and gigabytes as objects, a few columns here).
        ``build_snapshot`` stays the reference (tests compare the two)."""
        version = store.data_version(workspace_id)
        members = tuple(store.member_ids(workspace_id))
        code: dict[str, int] = {}  # person id -> first-seen code (renumbered in id order below)
        event_code: dict[str, int] = {}
        channel_code: dict[str, int] = {}
        att_person, att_event = array("q"), array("q")
        fact_a, fact_b, kinds, chans, times, dated, directions, offsets = (
            array("q"), array("q"), array("b"), array("h"), array("q"), array("b"), array("b"), array("i"))
        # rows as stored where the store reads them so (no object per row: 900,000 at scale 10)
        read_rows = getattr(store, "evidence_rows", None)
        rows = read_rows(workspace_id) if read_rows is not None else None
        parse: Any = datetime.fromisoformat  # the rows' times are ISO text
        if rows is None:
            rows = ((ev.kind.value, ev.channel.value, ev.person_a, ev.person_b, ev.event_id, ev.at, ev.direction, ev.id)
                    for ev in store.iter_evidence(workspace_id))
            parse = None  # the objects' times are parsed already
        attended = EvidenceKind.ATTENDED.value
        for kind, channel, person_a, person_b, event_id, written_at, direction, _ in rows:
            if kind == attended:
                if event_id:
                    att_person.append(code.setdefault(person_a, len(code)))
                    att_event.append(event_code.setdefault(event_id, len(event_code)))
                continue
            if not person_b or person_b == person_a:
                continue
            a = code.setdefault(person_a, len(code))
            b = code.setdefault(person_b, len(code))
            forward = person_a < person_b
            fact_a.append(a if forward else b)
            fact_b.append(b if forward else a)
            kinds.append(KIND_CODE.get(kind, -1))
            chans.append(channel_code.setdefault(channel, len(channel_code)))
            moment, has_time, offset = _fact_time((parse(written_at) if written_at else None) if parse is not None else written_at)
            times.append(moment)
            dated.append(has_time)
            offsets.append(offset)
            directions.append(0 if direction == "mutual" else (1 if forward else 2))
        for member in members:
            code.setdefault(member, len(code))
        ids = sorted(code)
        index = {person: i for i, person in enumerate(ids)}
        n = len(ids)
        rank = np.empty(len(code), dtype=np.int64)
        rank[np.fromiter(code.values(), dtype=np.int64, count=len(code))] = np.fromiter(
            (index[p] for p in code), dtype=np.int64, count=len(code))
        members_index = np.asarray(sorted(index[m] for m in members), dtype=np.int64)

        # attendances: one per (event, person), events in id order
        event_ids = sorted(event_code)
        event_rank = np.empty(len(event_code), dtype=np.int64)
        for position, event_id in enumerate(event_ids):
            event_rank[event_code[event_id]] = position
        keys = np.unique(event_rank[np.frombuffer(att_event, dtype=np.int64)] * max(n, 1) + rank[np.frombuffer(att_person, dtype=np.int64)])
        sizes, pe_ptr, pe, ep_ptr, ep = _attendance_columns(keys, n, len(event_ids))
        events = store.get_events(workspace_id, event_ids)
        at, dated_events = _event_dates(event_ids, events)

        # direct pairs and their facts (a pair's facts in the store's order)
        fa = rank[np.frombuffer(fact_a, dtype=np.int64)]
        fb = rank[np.frombuffer(fact_b, dtype=np.int64)]
        pair_keys, fact_pair = np.unique(fa * n + fb, return_inverse=True)
        pair_a, pair_b = pair_keys // max(n, 1), pair_keys % max(n, 1)
        rows = np.concatenate([pair_a, pair_b])
        cols = np.concatenate([pair_b, pair_a])
        which = np.concatenate([np.arange(len(pair_keys), dtype=np.int64)] * 2)
        partner_ptr, partner, order = _csr(rows, cols, n)
        channels = sorted(channel_code)
        channel_rank = np.zeros(len(channel_code), dtype=np.int16)
        for name, c in channel_code.items():
            channel_rank[c] = channels.index(name)
        kind = np.frombuffer(kinds, dtype=np.int8)
        known = kind >= 0
        facts = np.flatnonzero(known)[np.argsort(fact_pair[known], kind="stable")]

        # organizations: as written (labels), and normalised where small enough to be a tie
        written = getattr(store, "organizations_of", lambda w: None)(workspace_id)
        if written is None:
            written = {p.id: p.organization for p in store.get_people(workspace_id, ids).values() if p.organization}
        labels = sorted(set(written.values()))
        label_of = {label: i for i, label in enumerate(labels)}
        codes = np.full(n, -1, dtype=np.int64)
        for person_id, organization in written.items():
            person = index.get(person_id)
            if person is not None:
                codes[person] = label_of[organization]
        written_names, written_organization, org_names, organization, org_ptr, org_people = _organization_columns(
            labels, codes, max_organization_size)

        arrays = cls(
            ids, index, members_index, event_ids, sizes, at, dated_events, pe_ptr, pe, ep_ptr, ep,
            org_names, organization, org_ptr, org_people, pair_a, pair_b, partner_ptr, partner, which[order],
            np.zeros(len(pair_keys), dtype=np.int64),
            fact_pair[facts].astype(np.int64), kind[facts].copy(), channel_rank[np.frombuffer(chans, dtype=np.int16)[facts]],
            np.frombuffer(times, dtype=np.int64)[facts].copy(), np.frombuffer(dated, dtype=np.int8)[facts].astype(bool),
            np.frombuffer(directions, dtype=np.int8)[facts].copy(), np.frombuffer(offsets, dtype=np.int32)[facts].copy(),
            channels, max_event_size, written_names, written_organization, max_organization_size,
        )
        arrays.mutual = arrays._mutual_counts()
        return version, members, events, arrays

    @cached_property
    def pair_keys(self) -> np.ndarray:
        """``a * n + b`` of every direct pair, sorted (the pairs are)."""
        return self.pair_a * self.n + self.pair_b

    @cached_property
    def attendance_keys(self) -> np.ndarray:
        """``event * n + person`` of every attendance, sorted."""
        events = np.repeat(np.arange(len(self.event_ids), dtype=np.int64), np.diff(self.event_people_ptr))
        return events * self.n + self.event_people

    # ------------------------------------------------------------------ helpers
    def gather(self, indptr: np.ndarray, values: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``values`` of all ``rows`` of a CSR, concatenated, and the row (position in ``rows``) of each."""
        first = indptr[rows]
        lengths = indptr[rows + 1] - first
        total = int(lengths.sum())
        if total == 0:
            return values[:0], np.empty(0, dtype=np.int64)
        shift = (first - (lengths.cumsum() - lengths)).repeat(lengths)
        owner = np.arange(len(rows), dtype=np.int64).repeat(lengths)
        return values[shift + np.arange(total, dtype=np.int64)], owner

    def pair_index(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """The direct pair of each ``(a[i], b[i])`` (order free), or -1."""
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        keys = self.pair_keys
        wanted = lo * self.n + hi
        at = np.searchsorted(keys, wanted)
        at = np.minimum(at, max(len(keys) - 1, 0))
        if not len(keys):
            return np.full(len(wanted), -1, dtype=np.int64)
        return np.where(keys[at] == wanted, at, -1)

    def _mutual_counts(self) -> np.ndarray:
        """Per pair, how many people both of its people share direct evidence with: the triangles
        each pair is in.

        Each triangle is found once, from its corner of least degree: pairs point from the
        lesser-degree person to the greater (ties broken by index), and the two people a corner
        points to close a triangle when they are a pair too. The work is the wedges at those
        corners (2.8 million for a 200-member team, whose members share thousands of
        connections), not the partners of every pair's smaller side (55 million there), and it
        runs in slices of at most ``MUTUAL_SLICE`` wedges, so memory stays flat."""
        m = len(self.pair_a)
        if m == 0:
            return np.zeros(0, dtype=np.int64)
        n = self.n
        degree = np.diff(self.partner_ptr)
        rank = np.empty(n, dtype=np.int64)
        rank[np.lexsort((np.arange(n), degree))] = np.arange(n, dtype=np.int64)
        forward = rank[self.pair_a] < rank[self.pair_b]
        low = np.where(forward, self.pair_a, self.pair_b)
        high = np.where(forward, self.pair_b, self.pair_a)
        ptr, points_to, order = _csr(low, high, n)
        pair_of = np.arange(m, dtype=np.int64)[order]
        out = np.diff(ptr)
        corners = np.flatnonzero(out >= 2)
        wedges = np.cumsum(out[corners] * (out[corners] - 1) // 2)
        counts = np.zeros(m, dtype=np.int64)
        begin = 0
        while begin < len(corners):
            done = int(wedges[begin - 1]) if begin else 0
            end = max(begin + 1, int(np.searchsorted(wedges, done + MUTUAL_SLICE, side="right")))
            rows = corners[begin:end]
            lengths = out[rows]
            positions = np.repeat(ptr[rows] - (np.cumsum(lengths) - lengths), lengths) + np.arange(int(lengths.sum()), dtype=np.int64)
            later = np.repeat(ptr[rows + 1], lengths) - positions - 1
            first = np.repeat(positions, later)
            second = first + 1 + np.arange(len(first), dtype=np.int64) - np.repeat(np.cumsum(later) - later, later)
            closing = self.pair_index(points_to[first], points_to[second])
            hit = closing >= 0
            for found in (pair_of[first[hit]], pair_of[second[hit]], closing[hit]):
                counts += np.bincount(found, minlength=m)
            begin = end
        return counts
