"""Merging, splitting and finding duplicate people in a workspace.

A merge never rewrites a record: it notes that the absorbed records are part of the surviving
person (see ``graphsvc.identity.clusters``), so ``split_person`` can always restore them exactly, and
a split (or a dismissed duplicate) is remembered as "different people" so that automatic
merging never joins them again. Scores and thresholds live in ``graphsvc.identity.matching``.

Everything here takes the *raw* store (records, not the clustered view).
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from itertools import combinations
from typing import Callable, Iterable

from graphsvc.identity.clusters import Clusters, combine
from graphsvc.errors import Conflict, NotFound
from graphsvc.identity.records import NAME_KEYS, SINGLE_VALUED, ensure_blocks
from graphsvc.identity.matching import (
    AUTO_MERGE, CANDIDATE, LIST_FORMATS, MAX_BLOCK, MatchScore, NameParts, Profile, _first_agreement, _last_agreement, _name_points,
    blocking_keys, could_reach, middles_agree, middles_differ, name_parts, same_list, score,
)
from graphsvc.model import Person, Sighting
from graphsvc.identity.normalise import normalise_organization
from graphsvc.store.protocol import Store


@dataclass(frozen=True)
class DuplicateCandidate:
    """Two people who may be one, with the points and reasons (``auto``: above the merge threshold)."""

    a: str
    b: str
    points: float
    reasons: tuple[str, ...]
    auto: bool


@dataclass(frozen=True)
class MergeResult:
    person: Person  # the merged person (a preview when not applied)
    absorbed: tuple[str, ...]  # the records that joined it
    score: MatchScore
    applied: bool


@dataclass(frozen=True)
class SplitResult:
    people: tuple[Person, ...]  # the person that remains first, then each restored one


# ----------------------------------------------------------------------------------------------
# the merge map, kept current


#: Per store and workspace: the merge map as ``Clusters``, with the store's ``merge_map_token``
#: it is current for. Every batch of an import and every file of ``graphsvc import`` would
#: otherwise read and group the whole workspace's merge map again, twice (auto_merge, recheck).
_kept: "weakref.WeakKeyDictionary[Store, dict[str, tuple[object, Clusters]]]" = weakref.WeakKeyDictionary()
_kept_lock = threading.Lock()


def current_clusters(store: Store, workspace_id: str) -> Clusters:
    """The workspace's merge map as ``Clusters``: built from the store's map once, then kept
    current by this module's merges and splits (``_set_merged``). Rebuilt only when the store
    says the map may have changed otherwise (another connection committed, a transaction rolled
    back: ``merge_map_token``), or on a store that cannot say (every call, as before)."""
    token_of = getattr(store, "merge_map_token", None)
    if token_of is None:
        return Clusters.from_merge_map(store.merge_map(workspace_id))
    token = token_of(workspace_id)
    with _kept_lock:
        kept = _kept.get(store, {}).get(workspace_id)
    if kept is not None and kept[0] == token:
        return kept[1]
    clusters = Clusters.from_merge_map(store.merge_map(workspace_id))
    with _kept_lock:
        _kept.setdefault(store, {})[workspace_id] = (token, clusters)
    return clusters


def _set_merged(store: Store, workspace_id: str, clusters: Clusters, records: tuple[str, ...] | list[str], survivor: str | None,
                *, manual: bool = False) -> None:
    """``Store.set_merged_into``, and ``clusters`` (the caller's, current before) updated in place to match."""
    token_of = getattr(store, "merge_map_token", None)
    before = token_of(workspace_id) if token_of is not None else None
    store.set_merged_into(workspace_id, records, survivor, manual=manual)
    if survivor is None:
        clusters.release(records)
    else:
        clusters.join(records, survivor)
    if token_of is None:
        return
    with _kept_lock:
        kept = _kept.get(store, {})
        if kept.get(workspace_id) == (before, clusters):
            kept[workspace_id] = (token_of(workspace_id), clusters)  # still current: the one the store now has


# ----------------------------------------------------------------------------------------------
# profiles


class _Workspace:
    """What comparisons need from one workspace, loaded in bulk and kept current as merges happen."""

    def __init__(self, store: Store, workspace_id: str, contexts: dict[str, set[str]] | None = None) -> None:
        self.store, self.ws = store, workspace_id
        self.clusters = current_clusters(store, workspace_id)
        self.distinct = store.distinct_pairs(workspace_id)
        self.members = set(store.member_ids(workspace_id))
        self.contexts = contexts or {}
        self.profiles: dict[str, Profile] = {}
        self._sightings: dict[str, list[Sighting]] = {}

    def canonical(self, record: str) -> str:
        return self.clusters.canonical(record)

    def load(
        self, people: Iterable[str], keys: dict[str, list[tuple[str, str]]] | None = None, known: dict[str, Person] | None = None
    ) -> None:
        """Profiles of ``people`` (persons or records); ``keys`` of their records when fetched
        already, and ``known`` records (all of whose keys are in ``keys``) need not be read."""
        wanted = {self.canonical(p) for p in people} - set(self.profiles)
        records = {r: p for p in wanted for r in self.clusters.records_of(p)}
        known = known or {}
        found = {r: known[r] for r in records if r in known}
        unknown = [r for r in records if r not in found]
        if unknown:
            found.update(self.store.get_people(self.ws, unknown))
        if keys is None:
            keys = self.store.keys_of_many(self.ws, list(found))
        elif any(r not in keys for r in unknown):
            keys = {**self.store.keys_of_many(self.ws, [r for r in unknown if r not in keys]), **keys}
        seen = self.store.organizations_seen(self.ws, list(found))
        for record, person in records.items():
            if record not in found:
                continue
            profile = self.profiles.setdefault(person, Profile(person))
            self._add_record(profile, found[record], keys.get(record, []), seen.get(record, ()))

    def _add_record(
        self, profile: Profile, record: Person, keys: list[tuple[str, str]] | None = None, organizations: Iterable[str] = ()
    ) -> None:
        profile.records.add(record.id)
        profile.add_name(record.first_name, record.last_name, record.display_name)
        profile.add_organization(record.organization)
        for organization in organizations:  # what its rows said: a record keeps its first employer, not a new one
            profile.add_organization(organization)
        profile.emails.update(record.emails)
        profile.is_member = profile.is_member or record.id in self.members
        profile.contexts.update(self.contexts.get(record.id, ()))
        for kind, value in self.store.keys_of(self.ws, record.id) if keys is None else keys:
            if kind in SINGLE_VALUED:
                profile.single_keys.setdefault(kind, set()).add(value)
            if kind not in NAME_KEYS:
                profile.keyed.add(record.id)

    def sightings_of(self, record: str) -> list[Sighting]:
        if record not in self._sightings:
            self._sightings[record] = self.store.sightings(self.ws, record)
        return self._sightings[record]

    def fill_lists(self, profiles: Iterable[Profile]) -> None:
        """``Profile.lists`` and ``organization_sources`` of those not filled yet: read only for the
        few pairs that could merge."""
        for profile in profiles:
            if profile.lists is None:
                profile.lists = frozenset(
                    s.job_id for record in sorted(profile.keyed) for s in self.sightings_of(record) if s.source_format in LIST_FORMATS
                )
            self.fill_sources([profile])

    def fill_sources(self, profiles: Iterable[Profile]) -> None:
        """``Profile.organization_sources`` of those not filled yet (which kinds of source named
        each organization: an address book's alone may be a former employer)."""
        for profile in profiles:
            if profile.organization_sources is None:
                sources: dict[str, set[str]] = {}
                for record in sorted(profile.records):
                    for s in self.sightings_of(record):
                        organization = normalise_organization(s.organization) if s.organization else ""
                        if organization:
                            sources.setdefault(organization, set()).add(s.source_format)
                profile.organization_sources = {o: frozenset(f) for o, f in sources.items()}

    def are_distinct(self, a: str, b: str) -> bool:
        ra, rb = self.clusters.records_of(a), self.clusters.records_of(b)
        return any(tuple(sorted((x, y))) in self.distinct for x in ra for y in rb)

    def join(self, survivor: str, absorbed: str, *, manual: bool = False) -> tuple[str, ...]:
        """Merge ``absorbed`` (and everything merged into it) into ``survivor``, in the store and here."""
        moving = self.clusters.records_of(absorbed)
        _set_merged(self.store, self.ws, self.clusters, moving, survivor, manual=manual)  # only what moves, not the whole map
        if absorbed in self.profiles and survivor in self.profiles:
            _absorb(self.profiles[survivor], self.profiles.pop(absorbed))
        return moving


def _rivals(me: Profile, other: Profile, other_points: float, named: Iterable[tuple[Profile, float]]) -> list[Profile]:
    """Those of ``named`` (profiles with their name points against ``me``) who match ``me``'s name
    at least as well as ``other`` does: as many name points or more, and when ``other`` also agrees
    with ``me`` on a middle name or initial ("Jonathan A. Janssen" twice), that too (a "Jonathan
    Janssen" who shows none matches less well)."""
    close = [(o, p) for o, p in named if o is not other and p >= other_points]
    if not close or not middles_agree(me, other):
        return [o for o, _ in close]
    return [o for o, p in close if p > other_points or middles_agree(me, o)]


def _count_namesakes(candidate: Profile, rivals: list[Profile]) -> int:
    """How many ``rivals`` (others who match the name at least as well as ``candidate``) are known
    to be someone else than ``candidate`` (another account of a kind a person has one of, or
    another organization); 2 when two of them are known to be different people, since the
    candidate may then be either. A bare name elsewhere is no evidence of a second person."""
    different = sum(1 for other in rivals if _different_people(candidate, other))
    if different < 2 and len(rivals) >= 2 and any(_different_people(x, y) for x, y in combinations(rivals[:MAX_RIVALS], 2)):
        return 2
    return different


#: Namesakes compared pairwise at most (a name this common is ambiguous anyway).
MAX_RIVALS = 20


def _accounts_differ(a: Profile, b: Profile) -> bool:
    """Two different accounts of a kind a person has one of (two LinkedIn profiles)."""
    return bool(a.single_keys and b.single_keys) and any(
        a.single_keys[k].isdisjoint(b.single_keys[k]) for k in a.single_keys.keys() & b.single_keys.keys()
    )


def _different_people(a: Profile, b: Profile) -> bool:
    if _accounts_differ(a, b) or same_list(a, b) or middles_differ(a, b):
        return True
    return bool(a.organizations and b.organizations and a.organizations.isdisjoint(b.organizations))


def _best_name(a: set[NameParts], b: set[NameParts]) -> float:
    return max((_name_points(x, y)[0] for x in a for y in b), default=0.0)


def _blocks_of(profile: Profile) -> list[str]:
    return sorted({key for parts in profile.names for key in blocking_keys(parts)})


# ----------------------------------------------------------------------------------------------
# automatic merging during imports


def auto_merge(
    store: Store, workspace_id: str, new_records: Iterable[str], *,
    known: dict[str, Person] | None = None, known_keys: dict[str, list[tuple[str, str]]] | None = None,
    filed_under: dict[str, list[str]] | None = None, offer_freed: bool = True,
) -> list[tuple[str, str, MatchScore]]:
    """Merge each new record into the one person it clearly is, if any; ``(survivor, absorbed, score)`` per merge.

    A record merges when its best match reaches ``AUTO_MERGE`` points, nothing rules the pair out
    (different single-valued accounts, a recorded "different people"), and no other person
    matches it as well (a tie is left for a human: ``graphsvc duplicates``). ``known``: records
    as the caller has them already, with all their keys in ``known_keys`` (an import batch's new
    records), so they need not be read back. ``filed_under``: every name block the new records
    were filed under (at least), so that those with nobody to compare with are not even loaded.
    Records a newcomer sets free (``_unmerge_for_namesakes``) are compared again once
    (``offer_freed``).
    """
    new = list(dict.fromkeys(new_records))
    fresh = set(new)
    in_blocks: dict[str, list[str]] = {}
    if filed_under is not None:
        in_blocks = store.people_in_blocks(workspace_id, {b for pid in new for b in filed_under.get(pid, ())}, limit=MAX_BLOCK)
        # alone in each of its blocks, or only in blocks too common to compare within (the usual
        # case deep into a large file): no candidates, whatever its profile says
        new = [pid for pid in new if any(len(in_blocks.get(b, ())) > 1 for b in filed_under.get(pid, ()))]
    if not new:
        return []
    space = _Workspace(store, workspace_id)
    space.load(new, keys=known_keys, known=known)
    blocks = {pid: _blocks_of(space.profiles[pid]) for pid in new if pid in space.profiles}
    unread = {b for keys in blocks.values() for b in keys} - (set().union(*filed_under.values()) if filed_under else set())
    if unread:
        in_blocks.update(store.people_in_blocks(workspace_id, unread, limit=MAX_BLOCK))
    persons_in: dict[str, set[str]] = {}  # block -> the persons its records are now (kept current by every merge)
    # ... and the other way round, so a merge finds the blocks it touches without scanning every
    # block read so far (which made a list of duplicates quadratic: 8,000 merges x all blocks)
    blocks_with: dict[str, set[str]] = {}

    def persons_in_block(block: str) -> set[str]:
        if block not in persons_in:
            persons = persons_in[block] = {space.canonical(p) for p in in_blocks.get(block, ())}
            for person in persons:
                blocks_with.setdefault(person, set()).add(block)
        return persons_in[block]

    open_to: dict[tuple[str, frozenset[str]], set[str]] = {}  # (block, kinds) -> see below (kept current by every merge)
    open_keys: dict[str, set[tuple[str, frozenset[str]]]] = {}  # block -> its keys in open_to

    def open_in_block(block: str, kinds: frozenset[str]) -> set[str]:
        """The loaded persons of ``block`` who hold no account of ``kinds``. One who does holds another
        one than the record (keys are unique), which rules the pair out: a Connections.csv files
        thousands of people, each with a LinkedIn profile, under a few hundred names."""
        found = open_to.get((block, kinds))
        if found is None:
            profiles = space.profiles
            found = open_to[(block, kinds)] = {p for p in persons_in_block(block) if p in profiles and kinds.isdisjoint(profiles[p].single_keys)}
            open_keys.setdefault(block, set()).add((block, kinds))
        return found

    _load_candidates(space, new, blocks, persons_in_block)
    merges: list[tuple[str, str, MatchScore]] = []
    arrivals: list[tuple[Profile, list[tuple[Profile, float]]]] = []  # new people who joined nobody, with whom they were compared
    for record in new:
        me = space.canonical(record)
        if me != record or me not in space.profiles:
            continue  # already merged into someone earlier in this batch
        mine = space.profiles[me]
        kinds = frozenset(mine.single_keys)
        # only those loaded can be one of them (``_load_candidates``), in a stable order
        candidates = sorted(set().union(*(open_in_block(b, kinds) for b in blocks.get(record, ()))) - {me})
        # only people whose name matches at all matter, as candidates and as namesakes
        named = [
            (o, p) for o in (space.profiles[c] for c in candidates)
            if not _accounts_differ(mine, o) and (p := _best_name(mine.names, o.names)) > 0
        ]
        ranked: list[tuple[float, str, MatchScore]] = []
        if any(could_reach(mine, other, score(mine, other), AUTO_MERGE) for other, _ in named):
            space.fill_lists([mine, *(other for other, _ in named)])  # (two rows of one list are two people)
        for other, name_points in named:
            if not score(mine, other).auto_merge:
                continue  # not even as the only one of that name (the usual case: cheap to rule out)
            rivals = _rivals(mine, other, name_points, named)
            # namesakes known to be someone else than either: a record that fits two different
            # people equally (a bare "Priya Raman" beside one at Northwind and one at Globex) is
            # no more the one met first than the other, whichever of them is being compared
            result = score(mine, other, namesakes=max(_count_namesakes(other, rivals), _count_namesakes(mine, rivals)))
            if result.auto_merge and not space.are_distinct(me, other.id):
                ranked.append((result.points, other.id, result))
        if not ranked:
            arrivals.append((mine, named))
            continue
        ranked.sort(key=lambda item: (-item[0], item[1]))
        if len(ranked) > 1 and ranked[1][0] == ranked[0][0] and _different_people(space.profiles[ranked[0][1]], space.profiles[ranked[1][1]]):
            continue  # two different people fit equally well: a human decides
        _, other_id, result = ranked[0]
        survivor, absorbed = _survivor(space, other_id, me, fresh)
        space.join(survivor, absorbed)
        # only the blocks the merge touched are read again: those the absorbed person was in (its
        # records are the survivor's now) and, for who is open to a match, the survivor's (its
        # accounts may have grown); every other block holds the same persons as before
        stale = blocks_with.pop(absorbed, set())
        for block in stale:
            for person in persons_in.pop(block):
                if person != absorbed:
                    blocks_with[person].discard(block)
        reopen = stale | blocks_with.get(survivor, set())
        for block in reopen:
            for key in open_keys.pop(block, ()):
                open_to.pop(key, None)
        merges.append((survivor, absorbed, result))
    freed = _unmerge_for_namesakes(space, arrivals)
    if freed and offer_freed:
        # a record set free is compared again, once: it may clearly be the newcomer (an address
        # book's "Jonathan A. Janssen" freed by a Jonathan A. Janssen arriving at another employer)
        merges += auto_merge(store, workspace_id, freed, offer_freed=False)
    return merges


def _unmerge_for_namesakes(space: _Workspace, arrivals: list[tuple[Profile, list[tuple[Profile, float]]]]) -> list[str]:
    """A newcomer known to be someone else than a person of their name (another middle initial,
    another row of one list, another employer) makes the records that joined that person on the
    name alone ("nobody else has that name": a bare Facebook friend, a Meetup member) ambiguous
    again: those that no longer reach ``AUTO_MERGE`` with the newcomer as a namesake are set free
    (and returned)."""
    manual: set[str] | None = None
    released: list[str] = []
    for newcomer, named in arrivals:
        for person, name_points in named:
            if name_points < 3.0 or len(space.clusters.records_of(person.id)) < 2 or not _different_people(newcomer, person):
                continue
            manual = space.store.manual_merges(space.ws) if manual is None else manual
            records = [r for r in space.clusters.records_of(person.id) if r != person.id and r not in manual]
            found = space.store.get_people(space.ws, space.clusters.records_of(person.id))
            seen = space.store.organizations_seen(space.ws, list(found))
            alone = {r: Profile(r) for r in found}
            for record, profile in alone.items():
                space._add_record(profile, found[record], organizations=seen.get(record, ()))
            freed = []
            for record in records:
                if record not in alone or _best_name(alone[record].names, newcomer.names) < 3.0:
                    continue
                rest = Profile(person.id)
                for other, profile in alone.items():
                    if other != record and other not in freed:
                        _absorb(rest, profile)
                if score(alone[record], newcomer).conflict:
                    continue
                kept = score(alone[record], rest, namesakes=1)
                if could_reach(alone[record], rest, kept, AUTO_MERGE) and not kept.auto_merge:
                    space.fill_sources([alone[record], rest])
                    kept = score(alone[record], rest, namesakes=1)
                if not kept.auto_merge:
                    freed.append(record)
            if freed:
                _set_merged(space.store, space.ws, space.clusters, freed, None)
                space.profiles.pop(person.id, None)
                released += freed
    return released


def _load_candidates(space: _Workspace, new: list[str], blocks: dict[str, list[str]], persons_in_block: Callable[[str], set[str]]) -> None:
    """Loads the people of ``new`` records' blocks who could be one of them.

    Two tests rule people out before they are profiled. By keys: keys are unique in a workspace, so
    two people who both hold an account of a kind a person has one of (two LinkedIn profiles) hold
    two different ones and can never merge (a Connections.csv files thousands of such namesakes).
    By name, from names alone (``Store.names_of``): most of a block shares a last name and an
    initial but not the name, and a person known by one record whose name matches no new record
    near them is read no further (a person of several records has several names: their profile
    decides). Keys are read first when some new record holds such an account (they then rule out
    most of a block), else names (then keys are read for the few whose name matches).
    """
    canonical, records_of = space.canonical, space.clusters.records_of
    near: dict[str, set[str]] = {}  # new record -> the people in its blocks who could be it
    for record in new:
        if canonical(record) in space.profiles:
            near[record] = set().union(*(persons_in_block(b) for b in blocks.get(record, ()))).difference(space.profiles)
    keys: dict[str, list[tuple[str, str]]] = {}
    kinds: dict[str, set[str]] = {}  # person -> the kinds of single-valued accounts they hold

    def rule_out_by_keys() -> None:
        unread = [p for p in set().union(*near.values()) if p not in kinds]
        records = [r for p in unread for r in records_of(p)]
        keys.update(space.store.keys_of_many(space.ws, records))
        kinds.update((p, set()) for p in unread)
        for record in records:
            kinds[canonical(record)].update(kind for kind, _ in keys.get(record, ()) if kind in SINGLE_VALUED)
        for record, people in near.items():
            mine = space.profiles[canonical(record)].single_keys
            if mine:
                near[record] = {p for p in people if kinds[p].isdisjoint(mine)}

    if any(space.profiles[canonical(record)].single_keys for record in near):
        rule_out_by_keys()
    pool = set().union(*near.values())
    several = {p for p in pool if len(records_of(p)) > 1}
    parts_of = {pid: name_parts(*names) for pid, names in space.store.names_of(space.ws, pool - several).items()}
    # (millions of pairs in a large file: the test of ``_name_points`` written out, without its reasons)
    first_agrees, last_agrees = _first_agreement, _last_agreement
    for record, people in near.items():
        mine = space.profiles[canonical(record)].names
        near[record] = hits = people & several
        for person in people - several:
            parts = parts_of.get(person)
            if parts is not None:
                for name in mine:
                    if last_agrees(name.last, parts.last) and first_agrees(name.first, parts.first):
                        hits.add(person)
                        break
    rule_out_by_keys()  # (reads the keys of those whose name matches, if not read yet)
    possible = set().union(*near.values())
    if not possible:
        return
    wanted = [r for p in possible for r in records_of(p)]
    space.load(possible, keys={r: keys.get(r, []) for r in wanted}, known=space.store.get_people(space.ws, wanted))


def recheck(store: Store, workspace_id: str, changed_records: Iterable[str]) -> list[str]:
    """Undo the automatic merges that what was learnt since contradicts; the records set free.

    A record merged on a name alone may later turn out to work elsewhere, or hold another
    LinkedIn profile: each automatically merged record of a person whose records changed is
    compared again with the rest of that person, and leaves when the match no longer holds.
    Merges made by hand stay. Freed and changed records are offered to ``auto_merge`` again.
    """
    changed = list(dict.fromkeys(changed_records))
    if not changed:
        return []
    space = _Workspace(store, workspace_id)
    clusters = space.clusters
    persons = sorted({p for p in (clusters.canonical(r) for r in changed) if p in clusters.records})
    manual = store.manual_merges(workspace_id) if persons else set()
    freed: list[str] = []
    for person in persons:
        records = list(clusters.records_of(person))
        found = store.get_people(workspace_id, records)
        seen = store.organizations_seen(workspace_id, records)
        profiles = {}
        for record in records:
            if record in found:
                profiles[record] = Profile(record)
                space._add_record(profiles[record], found[record], organizations=seen.get(record, ()))
        for record in records[1:]:
            if record in manual or record not in profiles:
                continue
            rest = Profile(person)
            for other in records:
                if other != record and other not in freed and other in profiles:
                    _absorb(rest, profiles[other])
            kept = score(profiles[record], rest)
            if could_reach(profiles[record], rest, kept, AUTO_MERGE) and not kept.auto_merge:
                space.fill_sources([profiles[record], rest])  # (an address book's organization may be a former one)
                kept = score(profiles[record], rest)
            if not kept.auto_merge:
                freed.append(record)
    if freed:
        _set_merged(store, workspace_id, clusters, freed, None)
    # what a record learnt may also be what links it to someone (a work address, a company)
    auto_merge(store, workspace_id, [*freed, *changed])
    return freed


def _absorb(into: Profile, other: Profile) -> None:
    into.names |= other.names
    into.organizations |= other.organizations
    into.emails |= other.emails
    into.contexts |= other.contexts
    into.is_member = into.is_member or other.is_member
    into.keyed |= other.keyed
    into.lists = None if into.lists is None or other.lists is None else into.lists | other.lists
    into.records |= other.records
    if into.organization_sources is None or other.organization_sources is None:
        into.organization_sources = None
    else:
        into.organization_sources = {
            o: into.organization_sources.get(o, frozenset()) | other.organization_sources.get(o, frozenset())
            for o in into.organization_sources.keys() | other.organization_sources.keys()
        }
    for kind, values in other.single_keys.items():
        into.single_keys.setdefault(kind, set()).update(values)


def _survivor(space: _Workspace, a: str, b: str, fresh: set[str]) -> tuple[str, str]:
    """Members survive, then people known before this batch, then the smaller id."""

    def rank(pid: str) -> tuple[bool, bool, str]:
        return (not space.profiles[pid].is_member, pid in fresh, pid)

    first, second = sorted((a, b), key=rank)
    return first, second


# ----------------------------------------------------------------------------------------------
# what a human decides


def find_duplicates(
    store: Store, workspace_id: str, *, contexts: dict[str, set[str]] | None = None, include_auto: bool = True
) -> list[DuplicateCandidate]:
    """Every pair of people in the workspace that may be one person, best first.

    ``contexts`` (record id -> events and acquaintances) adds co-occurrence as support; pairs a
    user marked as different people are left out.
    """
    ensure_blocks(store, workspace_id)
    space = _Workspace(store, workspace_id, contexts)
    groups = [sorted({space.canonical(p) for p in group}) for group in store.block_groups(workspace_id, MAX_BLOCK)]
    groups = [g for g in groups if len(g) > 1]
    space.load({p for g in groups for p in g})
    best: dict[tuple[str, str], DuplicateCandidate] = {}
    for group in groups:
        profiles = [space.profiles[p] for p in group if p in space.profiles]
        points = {(x.id, y.id): _best_name(x.names, y.names) for x in profiles for y in profiles if x is not y}
        for x, y in combinations(profiles, 2):
            pair = (x.id, y.id) if x.id < y.id else (y.id, x.id)
            name_points = points[(x.id, y.id)]
            if name_points == 0 or pair in best or space.are_distinct(*pair):
                continue
            rivals = _rivals(x, y, name_points, ((p, points[(x.id, p.id)]) for p in profiles if p is not x and p is not y))
            result = score(x, y, namesakes=_count_namesakes(y, rivals))
            if could_reach(x, y, result, CANDIDATE):
                space.fill_lists([x, y, *rivals])  # (two rows of one list are two people)
                result = score(x, y, namesakes=_count_namesakes(y, rivals))
            if result.candidate and (include_auto or not result.auto_merge):
                best[pair] = DuplicateCandidate(pair[0], pair[1], result.points, result.reasons, result.auto_merge)
    return sorted(best.values(), key=lambda c: (-c.points, c.a, c.b))


def merge_people(store: Store, workspace_id: str, a: str, b: str, *, dry_run: bool = False) -> MergeResult:
    """Merge person ``b`` into person ``a`` (a member always survives). ``dry_run`` shows the
    result and changes nothing. Different single-valued accounts (two LinkedIn profiles) refuse."""
    space = _Workspace(store, workspace_id)
    first, second = space.canonical(a), space.canonical(b)
    for given, person in ((a, first), (b, second)):
        if not store.get_people(workspace_id, [person]):
            raise NotFound(f"no person {given!r}")
    if first == second:
        raise Conflict(f"{a!r} and {b!r} are already the same person")
    space.load([first, second])
    result = score(space.profiles[first], space.profiles[second])
    if result.conflict:
        raise Conflict(f"{a!r} and {b!r} cannot be one person: {result.conflict}")
    survivor, absorbed = (second, first) if space.profiles[second].is_member and not space.profiles[first].is_member else (first, second)
    moving = space.clusters.records_of(absorbed)
    order = [*space.clusters.records_of(survivor), *moving]
    records = store.get_people(workspace_id, order)
    preview = combine([records[r] for r in order if r in records], any(r in space.members for r in records))
    if dry_run:
        return MergeResult(preview, moving, result, applied=False)
    with store.atomic():
        for x in space.clusters.records_of(survivor):
            for y in moving:
                store.remove_distinct(workspace_id, x, y)
        space.join(survivor, absorbed, manual=True)
    return MergeResult(preview, moving, result, applied=True)


def split_person(store: Store, workspace_id: str, person: str, *, record: str | None = None) -> SplitResult:
    """Undo the merges that made ``person``: every record (or just ``record``) becomes its own
    person again, and is remembered as a different person so automatic merging leaves it alone."""
    clusters = Clusters.from_merge_map(store.merge_map(workspace_id))
    survivor = clusters.canonical(person)
    records = clusters.records_of(survivor)
    if len(records) == 1:
        raise Conflict(f"{person!r} is a single record: there is nothing to split")
    if record is not None and (record not in records or record == survivor):
        raise NotFound(f"{record!r} is not a record merged into {person!r}")
    leaving = (record,) if record else records[1:]
    staying = [r for r in records if r not in leaving]
    with store.atomic():
        store.set_merged_into(workspace_id, leaving, None)
        for x in staying:
            for y in leaving:
                store.add_distinct(workspace_id, x, y)
        for x, y in combinations(leaving, 2):
            store.add_distinct(workspace_id, x, y)
    found = store.get_people(workspace_id, [survivor, *leaving])
    return SplitResult(tuple(found[p] for p in (survivor, *leaving) if p in found))


def dismiss_duplicate(store: Store, workspace_id: str, a: str, b: str) -> None:
    """Record that ``a`` and ``b`` are different people: they stop being listed and never auto-merge."""
    clusters = Clusters.from_merge_map(store.merge_map(workspace_id))
    with store.atomic():
        for x in clusters.records_of(a):
            for y in clusters.records_of(b):
                store.add_distinct(workspace_id, x, y)
