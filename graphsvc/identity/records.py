"""Identity resolution, first stage: which stored *record* a source's person is.

Order of evidence (strongest first):

1. exact strong keys: the LinkedIn profile slug, normalised emails, source ids (X account id,
   Instagram username, Meetup member id, ...), phones in E.164;
2. normalised name + normalised organization;
3. a name alone matches only another name-alone sighting (or a workspace member of that name,
   for an export owner given by name), never a person known with an organization.

Two people with different LinkedIn slugs never merge, whatever their names. Every sighting is
kept with its job and row, so each person knows which source said what.

The second stage is fuzzy: new records are compared with look-alikes (nicknames, typos,
accents, organization and e-mail support) and merged into a person when the evidence is strong,
undoably (``graphsvc.identity.matching`` scores, ``graphsvc.identity.merging`` merges, ``graphsvc.identity.clusters``
shows merged records as one person).
"""

from __future__ import annotations

import hashlib
import re
from contextlib import contextmanager
from typing import Iterable, Iterator

from graphsvc.identity.matching import BLOCKING_VERSION, blocking_keys, name_parts
from graphsvc.model import Person, Sighting, stable_id
from graphsvc.identity.normalise import fold, linkedin_slug, normalise_email, normalise_organization, normalise_phone
from graphsvc.store.protocol import Store
from graphsvc.store.write_buffer import WriteBuffer
from importers.names import split_name

from importers.records import PersonRef

__all__ = [
    "SINGLE_VALUED", "Resolver", "fold", "identity_keys", "linkedin_slug", "normalise_email", "normalise_name",
    "normalise_organization", "normalise_phone",
]

#: Identity keys a person has exactly one of: two different values mean two different people.
SINGLE_VALUED = frozenset({"linkedin", "x", "instagram", "meetup", "facebook", "facebook_namesake"})
#: Keys made of a name (and organization): they identify only records that have no strong key.
NAME_KEYS = frozenset({"name_org", "name_only"})


SIMPLE_NAME_PART = re.compile(r"^[^\W\d_]+(?:[-'][^\W\d_]+)*$")


def normalise_name(ref: PersonRef) -> str:
    first, last = ref.first_name, ref.last_name
    if SIMPLE_NAME_PART.match(first) and SIMPLE_NAME_PART.match(last):
        return fold(f"{first} {last}")  # nothing for the name parser to strip (titles, credentials, nicknames)
    full = ref.name or f"{first} {last}"
    parsed_first, parsed_last = split_name(full) if full.strip() else ("", "")
    # LinkedIn puts credentials in the last name ("Chen, PhD"): the parsed form drops them.
    first, last = parsed_first or first, parsed_last or last
    return fold(f"{first} {last}")


def identity_keys(ref: PersonRef) -> list[tuple[str, str]]:
    """The keys a sighting can be matched on, strongest first."""
    keys: list[tuple[str, str]] = []
    slug = linkedin_slug(ref.linkedin_url)
    if slug:
        keys.append(("linkedin", slug))
    for email in ref.emails:
        if "@" in email:
            keys.append(("email", normalise_email(email)))
    for kind, value in ref.handles:
        if value.strip():
            keys.append((kind, value.strip().casefold()))
    for phone in ref.phones:
        normalised = normalise_phone(phone)
        if normalised:
            keys.append(("phone", normalised))
    name, org = normalise_name(ref), normalise_organization(ref.organization)
    if name and org:
        keys.append(("name_org", f"{name}|{org}"))
    elif name:
        keys.append(("name_only", name))
    return keys


class Resolver:
    """Resolves sightings to people within one workspace, writing through ``store``."""

    def __init__(self, store: Store, workspace_id: str) -> None:
        self.store = store
        self.workspace_id = workspace_id
        #: Records created since ``take_created()`` was last called: the ones fuzzy matching
        #: (``graphsvc.identity.merging.auto_merge``) should look at.
        self.created: list[str] = []
        #: Records that learnt something since ``take_changed()``: automatic merges they are part
        #: of are checked again (``graphsvc.identity.merging.recheck``).
        self.changed: list[str] = []
        self._forgotten: set[str] | None = None
        #: ``identity_keys`` of the refs of the batch being resolved, by ``id(ref)`` (the ref is
        #: kept alongside, so the id cannot be reused while the entry exists).
        self._keys_of_refs: dict[int, tuple[PersonRef, list[tuple[str, str]]]] = {}

    def keys(self, ref: PersonRef) -> list[tuple[str, str]]:
        """``identity_keys(ref)``, computed once per ref while a batch is buffered."""
        found = self._keys_of_refs.get(id(ref))
        if found is not None and found[0] is ref:
            return found[1]
        keys = identity_keys(ref)
        if isinstance(self.store, WriteBuffer):
            self._keys_of_refs[id(ref)] = (ref, keys)
        return keys

    @contextmanager
    def buffered(self, refs: Iterable[tuple[PersonRef, str]]) -> Iterator[WriteBuffer]:
        """Resolve a batch through a ``WriteBuffer``: the keys of ``refs`` (each with its
        ``mention``) are looked up in one query, and the batch's writes reach the store in one
        bulk call per table when the block ends without an error (in the caller's transaction)."""
        buffer = WriteBuffer(self.store, self.workspace_id)
        real, self.store = self.store, buffer
        try:
            buffer.prefetch(key for ref, mention in refs for key in _scoped(self.keys(ref), mention))
            yield buffer
            buffer.flush()
        finally:
            self.store = real
            self._keys_of_refs.clear()

    def is_forgotten(self, ref: PersonRef) -> bool:
        """Whether ``ref`` carries a key of someone the workspace was asked to forget."""
        if self._forgotten is None:
            self._forgotten = self.store.forgotten_keys(self.workspace_id)
        return bool(self._forgotten) and any(
            key_hash(self.workspace_id, kind, value) in self._forgotten for kind, value in self.keys(ref) if kind not in NAME_KEYS
        )

    def resolve(self, ref: PersonRef, *, as_owner: bool = False, mention: str = "") -> str:
        """The record ``ref`` is, created if new. ``mention`` (the source format) scopes a bare
        name to one kind of source: "Ana Ruiz" in Facebook friends and Facebook messages is one
        record, and whether she is the Ana Ruiz of a Meetup list is fuzzy matching's call (undoable)."""
        keys = _scoped(self.keys(ref), mention)
        person_id = self._match(ref, keys, as_owner=as_owner)
        if person_id is None:
            if not keys:
                raise ValueError("a person with no name, email or profile URL cannot be resolved")
            person_id = stable_id("p", self.workspace_id, *keys[0])
            person = self._new_person(person_id, ref)
            self.store.add_person(self.workspace_id, person)
            record_blocks(self.store, self.workspace_id, person)
            self.created.append(person_id)
        else:
            self._enrich(person_id, ref)
        strong = [(kind, value) for kind, value in keys if kind not in NAME_KEYS]
        # A record is known either by strong keys or, lacking any, by its name: a name never
        # joins a record that has strong keys (that is fuzzy matching's call, and undoable).
        for kind, value in strong or keys:
            self.store.add_key(self.workspace_id, kind, value, person_id)
        return person_id

    def peek(self, ref: PersonRef, mention: str = "") -> tuple[str | None, frozenset[tuple[str, str]]]:
        """The record ``resolve(ref)`` would return, and the strong keys it would hold, without
        writing anything (so a row can be rejected before it leaves a trace)."""
        keys = _scoped(self.keys(ref), mention)
        found = self._match(ref, keys, as_owner=False)
        if found is None and keys:
            found = stable_id("p", self.workspace_id, *keys[0])
        return found, frozenset(k for k in keys if k[0] not in NAME_KEYS)

    def take_created(self) -> list[str]:
        created, self.created = self.created, []
        return created

    def take_changed(self) -> list[str]:
        changed, self.changed = self.changed, []
        return changed

    def record_sighting(self, person_id: str, ref: PersonRef, *, job_id: str, fmt: str, source: str, row: int) -> None:
        self.store.add_sighting(
            self.workspace_id,
            Sighting(
                person_id=person_id, job_id=job_id, source_format=fmt, source_name=source, row=row,
                name=ref.display_name(), email=ref.emails[0] if ref.emails else "", linkedin_url=ref.linkedin_url,
                organization=ref.organization, title=ref.title,
            ),
        )

    def _match(self, ref: PersonRef, keys: list[tuple[str, str]], *, as_owner: bool) -> str | None:
        store, ws = self.store, self.workspace_id
        for kind, value in keys:
            if kind not in NAME_KEYS:
                found = store.person_for_key(ws, kind, value)
                if found and (kind in SINGLE_VALUED or not self._conflicts(found, keys)):
                    return found
        if all(kind in NAME_KEYS for kind, _ in keys):
            for kind, value in keys:
                found = store.person_for_key(ws, kind, value)
                if found:
                    return found
        if as_owner:
            name = normalise_name(ref)
            members = store.get_people(ws, store.member_ids(ws)).values()
            same_name = sorted(m.id for m in members if fold(m.display_name) == name)
            if len(same_name) == 1:
                return same_name[0]
        return None

    def _conflicts(self, person_id: str, keys: list[tuple[str, str]]) -> bool:
        """Whether the person holds another value of a key a person has only one of (two LinkedIn URLs never merge)."""
        ours = {(k, v) for k, v in keys if k in SINGLE_VALUED}
        if not ours:
            return False
        theirs = [(k, v) for k, v in self.store.keys_of(self.workspace_id, person_id) if k in SINGLE_VALUED]
        kinds = {k for k, _ in ours}
        return any(k in kinds and (k, v) not in ours for k, v in theirs)

    @staticmethod
    def _new_person(person_id: str, ref: PersonRef) -> Person:
        return Person(
            id=person_id, display_name=ref.display_name().strip(), first_name=ref.first_name,
            last_name=ref.last_name, organization=ref.organization, title=ref.title,
            emails=tuple(dict.fromkeys(normalise_email(e) for e in ref.emails)), linkedin_url=ref.linkedin_url,
        )

    def _enrich(self, person_id: str, ref: PersonRef) -> None:
        """Fill what the stored person lacks; never overwrite what a source already said."""
        current = self.store.get_people(self.workspace_id, [person_id])[person_id]
        emails = tuple(dict.fromkeys([*current.emails, *(normalise_email(e) for e in ref.emails)]))
        updated = Person(
            id=current.id,
            display_name=current.display_name if _is_real_name(current.display_name) else (
                ref.display_name() if _is_real_name(ref.display_name()) else current.display_name
            ),
            first_name=current.first_name or ref.first_name,
            last_name=current.last_name or ref.last_name,
            organization=current.organization or ref.organization,
            title=current.title or ref.title,
            emails=emails,
            linkedin_url=current.linkedin_url or ref.linkedin_url,
            is_member=current.is_member,
        )
        if updated != current:
            self.store.update_person(self.workspace_id, updated)
            self.changed.append(person_id)
            if (updated.first_name, updated.last_name, updated.display_name) != (current.first_name, current.last_name, current.display_name):
                record_blocks(self.store, self.workspace_id, updated)
        elif current.organization and normalise_organization(ref.organization) not in ("", normalise_organization(current.organization)):
            # another employer than the record's (a job change): kept with the sighting, and what
            # matching knows of the record from then on (``merging._Workspace``), so it is looked at again
            self.changed.append(person_id)


def _is_real_name(value: str) -> bool:
    """False for the placeholders a person is shown by until a source gives a name (an email, a URL, a handle, an id)."""
    return bool(value.strip()) and "@" not in value and "linkedin.com" not in value.lower() and not re.match(r"^[a-z_]+:\S+$", value)


def key_hash(workspace_id: str, kind: str, value: str) -> str:
    """How a forgotten person's identity key is remembered: enough to recognise it, not to read it."""
    return hashlib.sha256(f"{workspace_id}\x1f{kind}\x1f{value}".encode()).hexdigest()


def _scoped(keys: list[tuple[str, str]], mention: str) -> list[tuple[str, str]]:
    if mention and len(keys) == 1 and keys[0][0] == "name_only":
        return [("name_only", f"{keys[0][1]}|{mention}")]
    return keys


def ensure_blocks(store: Store, workspace_id: str) -> int:
    """Re-file every record of the workspace under its name blocks if an older blocking rule filed
    them (``BLOCKING_VERSION``), so that old records and new ones are compared alike; the number
    re-filed. Imports and duplicate searches call it first: one query when nothing changed."""
    if store.blocks_filed_by(workspace_id) == BLOCKING_VERSION:
        return 0
    with store.atomic():
        if store.blocks_filed_by(workspace_id) == BLOCKING_VERSION:
            return 0  # another process re-filed it while this one waited for the write lock
        return store.refile_blocks(workspace_id, _blocks_of_name, BLOCKING_VERSION)


def _blocks_of_name(first_name: str, last_name: str, display_name: str) -> tuple[str, ...]:
    return blocking_keys(name_parts(first_name, last_name, display_name))


def record_blocks(store: Store, workspace_id: str, person: Person) -> None:
    """File a record under its name blocks, where duplicate detection looks for look-alikes."""
    keys = _blocks_of_name(person.first_name, person.last_name, person.display_name)
    if keys:
        store.add_blocks(workspace_id, person.id, keys)
