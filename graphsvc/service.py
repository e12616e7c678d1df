"""The library's front door: the workspace-scoped operations the CLI and the API both call.

It owns the store and the snapshot cache; everything below it (importers, identity,
analytics) is plain functions over plain data.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from typing import TYPE_CHECKING, Callable, Iterable

from graphsvc.imports import jobs
from graphsvc.analytics.evidence_cache import EvidenceCache
from graphsvc.analytics.neglected import NeglectedTie, NeglectKind, neglected_ties
from graphsvc.analytics.roi import ChannelRoi, EventRoi, channel_roi, event_roi
from graphsvc.analytics.strength import TieStrength, TieView, model_with_half_lives, tie_view
from graphsvc.analytics.structure import Broker, Community, brokers, communities
from graphsvc.identity.clusters import ClusteredStore
from graphsvc.identity.merging import DuplicateCandidate, MergeResult, SplitResult, dismiss_duplicate, find_duplicates, merge_people, split_person
from graphsvc.errors import Conflict, InvalidArgument, NotFound
from graphsvc.identity.records import NAME_KEYS, fold, key_hash, linkedin_slug, normalise_email, normalise_organization
from graphsvc.intros import IntroPaths, IntroStatus, rank_intro_paths
from graphsvc.model import Channel, Evidence, EvidenceKind, ImportJob, Person, Reject, Workspace, stable_id
from graphsvc.session import MAX_PAGE, PeoplePage, get_job, people_page
from graphsvc.settings import Settings
from graphsvc.snapshot import CO_ATTENDANCE, SAME_ORGANIZATION, Snapshot
from graphsvc.projection import open_store
from graphsvc.store import Store
from importers import ImportOptions

if TYPE_CHECKING:
    from graphsvc.imports.corrections import UndoResult
    from graphsvc.directory import Directory
    from graphsvc.model import Event
    from graphsvc.imports.runs import ImportRuns
    from graphsvc.intro_requests import FollowUp
    from graphsvc.model import IntroRequest

logger = logging.getLogger(__name__)

MAX_K = 20
MAX_HOPS = 4
#: Tie views kept (per workspace, data version and as_of), least recently used out first.
VIEWS_KEPT = 8
#: A request without ``asOf`` gets the current time rounded up to a whole multiple of this.
AS_OF_GRANULARITY = timedelta(hours=1)


def implicit_as_of(now: datetime | None = None) -> datetime:
    """``now`` (default: the current time) rounded up to the next whole hour, in UTC: evidence
    recorded a moment ago already counts, and a whole hour of requests shares one view.

    >>> implicit_as_of(datetime(2026, 3, 1, 9, 15, tzinfo=timezone.utc)).isoformat()
    '2026-03-01T10:00:00+00:00'
    >>> implicit_as_of(datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)).isoformat()
    '2026-03-01T09:00:00+00:00'
    """
    now = _utc(now) if now else datetime.now(timezone.utc)
    floor = now.replace(minute=0, second=0, microsecond=0)
    return floor if floor == now else floor + AS_OF_GRANULARITY


@dataclass
class PersonMatch:
    person: Person | None
    candidates: list[Person]


class Graphsvc:
    def __init__(self, settings: Settings | None = None, store: Store | None = None) -> None:
        self.settings = settings or Settings()
        #: The records as imports wrote them; ``store`` is the same data with merged records read
        #: as one person (``graphsvc.identity.clusters``), which is what everything but imports should use.
        self._opened_from_settings = store is None
        self.raw_store: Store = store or open_store(self.settings)
        self.store: Store = ClusteredStore(self.raw_store)  # type: ignore[assignment]
        self.snapshots = EvidenceCache(self.store, self._evidence_directory())
        self.model = model_with_half_lives(self.settings.half_lives)
        #: Called with each import job the API ran, when it ends (for metrics).
        self.on_import_finished: Callable[[ImportJob], None] = lambda job: None
        self._views: OrderedDict[tuple[str, int, datetime], TieView] = OrderedDict()
        self._views_lock = threading.Lock()

    def close(self) -> None:
        self.raw_store.close()

    def _evidence_directory(self) -> Path | None:
        """Where the evidence arrays are kept: beside an SQLite store's file, in the data dir for
        a Neo4j store opened from the settings, nowhere for a store handed in otherwise."""
        from graphsvc.store import SQLiteStore

        raw = self.raw_store
        if isinstance(raw, SQLiteStore):
            return raw.path.parent / f"{raw.path.name}.evidence"
        return self.settings.data_dir / "evidence" if self._opened_from_settings else None

    # workspaces ----------------------------------------------------------------------
    def workspace(self, name: str | None = None) -> Workspace:
        return self.store.workspace(name or self.settings.default_workspace)

    # imports ---------------------------------------------------------------------------
    def prepare_import(
        self,
        workspace_id: str,
        path: str | Path,
        *,
        format: str | None = None,
        options: ImportOptions | None = None,
        file_name: str | None = None,
    ) -> jobs.PreparedImport:
        return jobs.prepare_import(
            self.raw_store, workspace_id, path, format=format, options=options.checked() if options else None, file_name=file_name,
            batch_rows=self.settings.import_batch_rows, max_batch_rows=self.settings.import_max_batch_rows,
        )

    def import_file(
        self,
        workspace_id: str,
        path: str | Path,
        *,
        format: str | None = None,
        options: ImportOptions | None = None,
        progress: jobs.Progress | None = None,
    ) -> ImportJob:
        return self.prepare_import(workspace_id, path, format=format, options=options).run(progress)

    def index_evidence(self, workspace_id: str) -> None:
        """Read the workspace's evidence into its arrays and the file beside the store now (an
        import's last step), so that the next question, in any process, starts from them."""
        self.snapshots.snapshot(workspace_id)

    def job(self, workspace_id: str, job_id: str) -> ImportJob:
        return get_job(self.store, workspace_id, job_id)

    def rejects(self, workspace_id: str, job_id: str) -> list[Reject]:
        return self.store.rejects(self.job(workspace_id, job_id).id)

    # people -----------------------------------------------------------------------------
    def people(self, workspace_id: str, search: str | None = None, first: int = 20, after: str | None = None) -> PeoplePage:
        return people_page(self.store, workspace_id, search, first, after)

    def person(self, workspace_id: str, person_id: str) -> Person | None:
        return self.store.get_people(workspace_id, [person_id]).get(person_id)

    def find_person(self, workspace_id: str, text: str) -> PersonMatch:
        """A person by id, email, LinkedIn URL or name; several name matches come back as candidates."""
        text = text.strip()
        if not text:
            return PersonMatch(None, [])
        by_id = self.person(workspace_id, text)
        if by_id:
            return PersonMatch(by_id, [])
        key: tuple[str, str] | None = None
        if linkedin_slug(text):
            key = ("linkedin", linkedin_slug(text))
        elif "@" in text:
            key = ("email", normalise_email(text))
        if key:
            found = self.store.person_for_key(workspace_id, *key)
            return PersonMatch(self.person(workspace_id, found) if found else None, [])
        matches = self._search_all(workspace_id, text)  # once: the exact names are among what it finds
        named = [p for p in matches if fold(p.display_name) == fold(text)] or matches
        if len(named) == 1:
            return PersonMatch(named[0], [])
        return PersonMatch(None, named[:MAX_PAGE])

    def _search_all(self, workspace_id: str, text: str) -> list[Person]:
        return self.store.search_people(workspace_id, text, MAX_PAGE + 1)

    # analytics --------------------------------------------------------------------------
    def view(self, workspace_id: str, as_of: datetime | None = None) -> TieView:
        """The tie view at ``as_of`` of the workspace's current data, cached per data version.

        Without ``as_of`` it is the current time rounded up to the next whole hour
        (``implicit_as_of``, see docs/tie-strength.md): strengths move by far less than their
        precision within an hour, and every request of the hour shares one view. A view is one
        vectorised pass over the evidence arrays, so a new data version or a new hour costs
        milliseconds, never a stale answer.
        """
        as_of = _utc(as_of) if as_of else implicit_as_of()
        snap = self.snapshots.snapshot(workspace_id)
        key = (workspace_id, snap.version, as_of)
        with self._views_lock:  # concurrent requests for one view build it once
            view = self._views.get(key)
            if view is None:
                view = self._views[key] = tie_view(snap, as_of, self.model)
                while len(self._views) > VIEWS_KEPT:
                    self._views.popitem(last=False)
            self._views.move_to_end(key)
            return view

    def people_lookup(self, workspace_id: str) -> Callable[[Iterable[str]], dict[str, Person]]:
        return lambda ids: self.store.get_people(workspace_id, ids)

    def resolve_people(self, workspace_id: str, refs: Iterable[str], what: str) -> list[str]:
        """Person ids for ``refs`` (ids, emails, URLs or names); an unknown or ambiguous one is an error."""
        ids = []
        for ref in refs:
            match = self.find_person(workspace_id, ref)
            if match.person is None:
                names = ", ".join(f"{c.display_name} ({c.id})" for c in match.candidates[:10])
                raise InvalidArgument(f"{what} {ref!r} matches several people: {names}" if names else f"{what}: nobody matches {ref!r}")
            ids.append(match.person.id)
        return ids

    def tag(self, workspace_id: str, person: str, tags: Iterable[str]) -> tuple[Person, list[str]]:
        """Put ``tags`` on a person (id, email, URL or name); returns the person and all their tags."""
        (person_id,) = self.resolve_people(workspace_id, [person], "person")
        cleaned = [normalise_tag(t) for t in tags]
        if not cleaned or not all(cleaned):
            raise InvalidArgument("tags must be non-empty words, e.g. investor or climate-founders")
        with self.store.atomic():
            for tag in cleaned:
                self.store.add_tag(workspace_id, person_id, tag)
        return self.store.get_people(workspace_id, [person_id])[person_id], self.store.tags_of(workspace_id, person_id)

    def record_interaction(
        self, workspace_id: str, person: str, kind: str, *, at: datetime | None = None, member: str | None = None
    ) -> tuple[str, str]:
        """Record that a member met, called, messaged or introduced ``person``: evidence like any import's.

        ``member`` defaults to the workspace's only member. Returns (member id, person id).
        """
        kinds = {"met": EvidenceKind.MEETING, "call": EvidenceKind.CALL, "message": EvidenceKind.MESSAGE, "introduction": EvidenceKind.INTRODUCTION}
        if kind not in kinds:
            raise InvalidArgument(f"unknown interaction {kind!r}; one of: {', '.join(kinds)}")
        (person_id,) = self.resolve_people(workspace_id, [person], "person")
        if member:
            (member_id,) = self.resolve_people(workspace_id, [member], "member")
        else:
            members = self.store.member_ids(workspace_id)
            if len(members) != 1:
                raise InvalidArgument("say which member had the interaction ('member'): the workspace has " + str(len(members)) + " members")
            member_id = members[0]
        if member_id == person_id:
            raise InvalidArgument("an interaction needs two different people")
        moment = _utc(at) if at else datetime.now(timezone.utc).replace(microsecond=0)
        if moment > datetime.now(timezone.utc) + timedelta(days=1):
            raise InvalidArgument("an interaction cannot be in the future")
        evidence = Evidence(
            id=stable_id("ev", workspace_id, "manual", kinds[kind].value, member_id, person_id, moment.isoformat()),
            kind=kinds[kind], channel=Channel.MANUAL, person_a=member_id, person_b=person_id, event_id=None, at=moment,
            job_id="manual", direction="mutual",
        )
        with self.store.atomic():
            self.store.add_evidence(workspace_id, [evidence])
        return member_id, person_id

    def target_set(
        self, workspace_id: str, view: TieView, *, organization: str | None, title: str | None, event: str | None, tag: str | None = None
    ) -> set[str]:
        """Everyone matching all the given target filters (an organization, title keywords, an event's attendees, a tag)."""
        people = self.store.get_people(workspace_id, view.snap.people)
        chosen = set(people)
        if organization:
            wanted = normalise_organization(organization)
            chosen &= {pid for pid, p in people.items() if p.organization and normalise_organization(p.organization) == wanted}
        if title:
            words = fold(title).split()
            chosen &= {pid for pid, p in people.items() if all(w in fold(p.title).split() for w in words)}
        if event:
            matches = [e for e in view.snap.events.values() if e.id == event or fold(e.name) == fold(event)]
            if len(matches) > 1:
                raise InvalidArgument(f"event {event!r} matches several events: " + ", ".join(f"{e.name} ({e.id})" for e in matches))
            if not matches:
                raise InvalidArgument(f"no event matches {event!r}")
            chosen &= view.snap.attendees.get(matches[0].id, set())
        if tag:
            chosen &= set(self.store.people_with_tag(workspace_id, normalise_tag(tag)))
        return chosen

    def intro_paths(
        self,
        workspace_id: str,
        to: str | None = None,
        *,
        from_: str | None = None,
        to_organization: str | None = None,
        to_title: str | None = None,
        to_event: str | None = None,
        to_tag: str | None = None,
        k: int = 3,
        max_hops: int = 3,
        as_of: datetime | None = None,
        avoid: Iterable[str] = (),
        diverse: bool = False,
        budgets: bool = True,
    ) -> IntroPaths:
        """``budgets``: rank paths whose connector's ask budget is spent below the others (graphsvc/intro_requests.py)."""
        if not 1 <= k <= MAX_K:
            raise InvalidArgument(f"k must be between 1 and {MAX_K}")
        if not 1 <= max_hops <= MAX_HOPS:
            raise InvalidArgument(f"maxHops must be between 1 and {MAX_HOPS}")
        if not (to or to_organization or to_title or to_event or to_tag):
            raise InvalidArgument("say whom to reach: to (a person) or toOrganization, toTitle, toEvent, toTag")
        view = self.view(workspace_id, as_of)
        target: Person | None = None
        if to:
            match = self.find_person(workspace_id, to)
            if match.person is None:
                status = IntroStatus.AMBIGUOUS if match.candidates else IntroStatus.NOT_FOUND
                return IntroPaths(status, view.as_of, candidates=match.candidates)
            target, targets = match.person, {match.person.id}
        else:
            targets = self.target_set(workspace_id, view, organization=to_organization, title=to_title, event=to_event, tag=to_tag)
            if not targets:
                return IntroPaths(IntroStatus.NOT_FOUND, view.as_of)
        if from_:
            sources = self.resolve_people(workspace_id, [from_], "from")
        else:
            sources = self.store.member_ids(workspace_id)
            if not sources:
                raise InvalidArgument("the workspace has no members yet: import an export with an owner, or pass 'from'")
        # people marked do-not-ask are never the ones asked to introduce (they stay reachable)
        avoided = self.resolve_people(workspace_id, avoid, "avoid") + sorted(
            self.store.do_not_ask(workspace_id) - targets - set(sources)
        )
        paths, spof, direct_tie = rank_intro_paths(
            view, self.people_lookup(workspace_id), sources, targets - set(sources), k=k, max_hops=max_hops,
            avoid=avoided, diverse=diverse,
        )
        if budgets:
            from graphsvc import intro_service

            paths = intro_service.rank_by_budget(self, workspace_id, view.as_of, paths, k, lambda spent: rank_intro_paths(
                view, self.people_lookup(workspace_id), sources, targets - set(sources), k=k, max_hops=max_hops,
                avoid=avoided + spent, diverse=diverse,
            )[0])
        status = IntroStatus.FOUND if paths or direct_tie else IntroStatus.NO_PATH
        return IntroPaths(status, view.as_of, target, [], paths, spof, len(targets), direct_tie)

    # the analytic questions, each scoped to a workspace and an ``as_of`` ------------------------
    def explain(self, workspace_id: str, a: str, b: str, as_of: datetime | None = None) -> tuple[Person, Person, TieStrength | None, TieView]:
        first, second = self.resolve_people(workspace_id, [a, b], "person")
        view = self.view(workspace_id, as_of)
        people = self.store.get_people(workspace_id, [first, second])
        return people[first], people[second], view.tie(first, second), view

    def neglected(
        self, workspace_id: str, *, as_of: datetime | None = None, kind: NeglectKind | None = None,
        member: str | None = None, first: int = 20,
    ) -> list[NeglectedTie]:
        members = self.resolve_people(workspace_id, [member], "member") if member else self.store.member_ids(workspace_id)
        items = neglected_ties(self.view(workspace_id, as_of), members)
        if kind is not None:
            items = [i for i in items if i.kind is kind]
        from graphsvc import intro_service

        return intro_service.with_open_asks(self, workspace_id, items[: min(max(first, 0), MAX_PAGE)])

    def brokers(self, workspace_id: str, *, as_of: datetime | None = None, first: int = 20, seed: int = 0) -> list[Broker]:
        return brokers(self.view(workspace_id, as_of), top=min(max(first, 0), MAX_PAGE), seed=seed)

    def communities(self, workspace_id: str, *, as_of: datetime | None = None, seed: int = 0) -> list[Community]:
        return communities(self.view(workspace_id, as_of), seed=seed)

    def event_roi(self, workspace_id: str, *, as_of: datetime | None = None) -> list[EventRoi]:
        from graphsvc import intro_service

        introduced = intro_service.intro_events(self, workspace_id)
        rows = event_roi(self.view(workspace_id, as_of), self.store.member_ids(workspace_id), include=introduced)
        return intro_service.roi_with_intros(self, workspace_id, events=rows)

    def channel_roi(self, workspace_id: str, *, as_of: datetime | None = None, strong: float = 0.3) -> list[ChannelRoi]:
        from graphsvc import intro_service

        rows = channel_roi(self.view(workspace_id, as_of), self.store.member_ids(workspace_id), strong=strong)
        return intro_service.roi_with_intros(self, workspace_id, channels=rows)

    # intro requests: from a path to an introduction that happens (graphsvc/intro_requests.py) -------------
    def request_intro(self, workspace_id: str, target: str, *, via: str | None = None, from_: str | None = None,
                      idempotency_key: str | None = None, as_of: datetime | None = None) -> "IntroRequest":
        """Draft an intro request from the best path to ``target`` (through ``via``); idempotent."""
        from graphsvc import intro_service

        return intro_service.request_intro(self, workspace_id, target, via=via, from_=from_, idempotency_key=idempotency_key, as_of=as_of)

    def intro_request(self, workspace_id: str, request_id: str) -> "IntroRequest":
        from graphsvc import intro_service

        return intro_service.get_request(self, workspace_id, request_id)

    def intro_requests(self, workspace_id: str, state: str | None = None) -> list["IntroRequest"]:
        from graphsvc import intro_service

        return intro_service.list_requests(self, workspace_id, state)

    def update_intro_request(self, workspace_id: str, request_id: str, state: str, *, at: datetime | None = None, note: str = "") -> "IntroRequest":
        """Record a step of an intro request (``IllegalTransition`` when its state cannot go there)."""
        from graphsvc import intro_service

        return intro_service.update_request(self, workspace_id, request_id, state, at=at, note=note)

    def follow_ups(self, workspace_id: str, *, as_of: datetime | None = None, member: str | None = None) -> list["FollowUp"]:
        from graphsvc import intro_service

        return intro_service.follow_ups(self, workspace_id, as_of=as_of, member=member)

    # privacy and etiquette ------------------------------------------------------------------------
    def set_do_not_ask(self, workspace_id: str, person: str, do_not_ask: bool = True) -> Person:
        """Mark a person nobody should be asked for an introduction: intro paths go around them
        (they can still be reached as a target)."""
        (person_id,) = self.resolve_people(workspace_id, [person], "person")
        with self.store.atomic():
            self.store.set_do_not_ask(workspace_id, person_id, do_not_ask, datetime.now(timezone.utc))
        return self.store.get_people(workspace_id, [person_id])[person_id]

    def forget_person(self, workspace_id: str, person: str) -> tuple[str, int]:
        """Erase everything known about a person (every record merged into them, their keys,
        sightings, evidence, tags and marks), for a privacy request. Their exact keys are kept
        only as hashes, so later imports leave rows about them out (rejected with the reason).
        Workspace members cannot be forgotten (their exports are the workspace). Returns the
        person's id and how many pieces of evidence were erased."""
        (person_id,) = self.resolve_people(workspace_id, [person], "person")
        clusters = self.store.clusters(workspace_id)  # type: ignore[attr-defined]
        records = clusters.records_of(person_id)
        members = set(self.raw_store.member_ids(workspace_id))
        if members & set(records):
            raise Conflict("a workspace member cannot be forgotten: their exports are the workspace's data")
        hashes = {
            key_hash(workspace_id, kind, value)
            for record in records for kind, value in self.raw_store.keys_of(workspace_id, record) if kind not in NAME_KEYS
        }
        with self.raw_store.atomic():
            removed = self.raw_store.forget_people(workspace_id, records, hashes)
        return person_id, removed

    # duplicates, merges and splits (graphsvc/identity/merging.py) --------------------------------------------
    def duplicates(self, workspace_id: str, *, include_auto: bool = True) -> list[DuplicateCandidate]:
        """Pairs of people who may be one person, best first, with the reasons; shared events and
        acquaintances (from the evidence) count as support."""
        snap = self.snapshots.snapshot(workspace_id)
        members = set(snap.members)
        contexts: dict[str, set[str]] = {pid: set() for pid in snap.people}
        for event_id, people in snap.attendees.items():
            if len(people) <= 200:  # a shared 2,000-person conference says nothing
                for pid in people:
                    contexts[pid].add(event_id)
        for (a, b), facts in snap.facts.items():
            if all(f.kind in (CO_ATTENDANCE, SAME_ORGANIZATION) for f in facts):
                continue  # being at the same event or company is already counted, or says too little
            if b not in members:
                contexts.setdefault(a, set()).add(b)
            if a not in members:
                contexts.setdefault(b, set()).add(a)
        clusters = self.store.clusters(workspace_id)  # type: ignore[attr-defined]
        # the snapshot speaks of people; matching compares records: each record gets its person's
        by_record = {record: found for person, found in contexts.items() for record in clusters.records_of(person)}
        return find_duplicates(self.raw_store, workspace_id, contexts=by_record, include_auto=include_auto)

    def merge_people(self, workspace_id: str, a: str, b: str, *, dry_run: bool = False) -> MergeResult:
        """Merge person ``b`` into ``a`` (ids, emails, URLs or names); undo with ``split_person``."""
        first, second = self.resolve_people(workspace_id, [a, b], "person")
        return merge_people(self.raw_store, workspace_id, first, second, dry_run=dry_run)

    def split_person(self, workspace_id: str, person: str, *, record: str | None = None) -> SplitResult:
        """Undo the merges that made ``person``: its records become separate people again."""
        (person_id,) = self.resolve_people(workspace_id, [person], "person")
        return split_person(self.raw_store, workspace_id, person_id, record=record)

    def dismiss_duplicate(self, workspace_id: str, a: str, b: str) -> None:
        """``a`` and ``b`` are different people: stop listing them, never merge them automatically."""
        first, second = self.resolve_people(workspace_id, [a, b], "person")
        if first == second:
            raise InvalidArgument("these are the same person: split them instead")
        dismiss_duplicate(self.raw_store, workspace_id, first, second)

    # correcting imports: events edited and merged, imports undone (graphsvc/imports/corrections.py) -------------
    def list_events(self, workspace_id: str) -> list[tuple["Event", int, list[str]]]:
        """Every event of the workspace, most recent first (undated last): the event, its distinct
        attendees, and the files (jobs) its attendances came from."""
        from graphsvc.directory import event_key

        raw = self.raw_store
        events = raw.list_events(workspace_id)
        attendees: dict[str, set[str]] = {}
        sources: dict[str, set[str]] = {}
        jobs_by_id = {j.id: j for j in raw.list_jobs(workspace_id)}
        merge_map = raw.merge_map(workspace_id)
        for e in raw.evidence_where(workspace_id, event_ids=[e.id for e in events]):
            attendees.setdefault(e.event_id, set()).add(merge_map.get(e.person_a, e.person_a))  # type: ignore[arg-type]
            job = jobs_by_id.get(e.job_id)
            sources.setdefault(e.event_id, set()).add(job.file_name if job else e.job_id)  # type: ignore[arg-type]
        events.sort(key=event_key)
        return [(e, len(attendees.get(e.id, ())), sorted(sources.get(e.id, ()))) for e in events]

    def edit_event(self, workspace_id: str, event_id: str, *, name: str | None = None, date: str | None = None,
                   kind: str | None = None) -> "Event":
        """Rename, re-date or re-kind an event (``date``: YYYY-MM-DD; "" clears it)."""
        from graphsvc.imports.corrections import edit_event

        return edit_event(self.raw_store, workspace_id, event_id, name=name, date=date, kind=kind)

    def merge_events(self, workspace_id: str, keep: str, other: str) -> "Event":
        """Merge event ``other`` into ``keep`` (its duplicate): one event, each attendee once."""
        from graphsvc.imports.corrections import merge_events

        return merge_events(self.raw_store, workspace_id, keep, other)

    def undo_import(self, workspace_id: str, job_id: str) -> "UndoResult":
        """Remove what import ``job_id`` added (see ``graphsvc.imports.corrections``); idempotent."""
        from graphsvc.imports.corrections import undo_import

        if "_import_runs" in self.__dict__ and self.import_runs.running(job_id):
            raise Conflict("this import is still running: cancel it first (cancelImport), then undo it")
        return undo_import(self.raw_store, workspace_id, job_id)

    # imports running in this process: in the background, watched, cancellable (graphsvc/imports/runs.py) ----
    @property
    def import_runs(self) -> "ImportRuns":
        from graphsvc.imports.runs import ImportRuns

        with _IMPORT_RUNS_LOCK:
            runs = self.__dict__.get("_import_runs")
            if runs is None:
                # on_import_finished is looked up when a job ends: the API sets it after construction
                runs = self.__dict__["_import_runs"] = ImportRuns(
                    self.store, lambda job: self.on_import_finished(job), self.settings if self._store_reopenable() else None
                )
        return runs

    def _store_reopenable(self) -> bool:
        """Whether another process opening the store from the settings gets this very store."""
        from graphsvc.store import SQLiteStore

        raw = self.raw_store
        if isinstance(raw, SQLiteStore):
            return self.settings.store_kind() == "sqlite" and raw.path.resolve() == Path(self.settings.sqlite_path()).resolve()
        return self._opened_from_settings

    def start_import(self, prepared: jobs.PreparedImport, *, cleanup: Callable[[], None] = lambda: None) -> ImportJob:
        """Run a prepared import in a background thread (recorded first, so it can be polled and cancelled at once)."""
        return self.import_runs.start(prepared, cleanup=cleanup)

    def run_import(self, prepared: jobs.PreparedImport, progress: jobs.Progress | None = None) -> ImportJob:
        """Run a prepared import in this thread, cancellable from another one with ``cancel_import``."""
        return self.import_runs.run(prepared, progress)

    def cancel_import(self, workspace_id: str, job_id: str, *, wait: float = 0.0) -> ImportJob:
        """Stop a running import at its next batch boundary: it ends CANCELLED, its committed batches stay,
        and importing the same file again resumes it. ``NotFound`` for an unknown job (or another
        workspace's), ``JobNotRunning`` for one that is not running in this process."""
        return self.import_runs.cancel(workspace_id, job_id, wait=wait)

    def import_bytes(self, job_id: str) -> tuple[int, int] | None:
        """(bytes read, file size) of an import run by this process, while it runs and for a while after."""
        return self.import_runs.bytes(job_id)

    # browsing organizations and events (graphsvc/directory.py) -------------------------------------
    def directory(self, workspace_id: str) -> "Directory":
        """The workspace's organizations and events, indexed once per data version (the API pages
        through them, and looks up every person's organization, without asking the store again)."""
        from graphsvc.directory import DirectoryCache

        cache: DirectoryCache = self.__dict__.setdefault("_directories", DirectoryCache())
        return cache.get(self.snapshots.snapshot(workspace_id), lambda ids: self.store.get_people(workspace_id, ids))


def normalise_tag(tag: str) -> str:
    """``" Climate Founders "`` -> ``"climate-founders"``."""
    return "-".join(fold(tag).split())


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


_IMPORT_RUNS_LOCK = threading.Lock()
