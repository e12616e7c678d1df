"""Facebook "Download your information" in JSON (export-formats.md §3): a whole export (zip or
folder) or one of its JSON files alone.

What is read, in this order (each list entry or message is one row):

* friends, all three eras: ``friends/friends.json`` (``friends``), ``friends_and_followers/
  friends.json`` and ``connections/friends/your_friends.json`` (``friends_v2``) ->
  ``Connection(channel="facebook")`` dated by ``timestamp`` (Unix seconds, UTC);
* friend requests sent / received (``sent_friend_requests.json`` / ``friend_requests_sent.json``,
  ``received_friend_requests.json`` / ``friend_requests_received.json``) -> ``invitation`` links
  from the owner to the person (sent) or from the person to the owner (received);
* declined requests (``rejected_friend_requests.json``), removed friends (``removed_friends.json``)
  and follows (``who_you've_followed.json``, ``following_v3``) are **skipped** with a reason:
  a removed friend is a tie that ended (the graph has no "ended" evidence and a connection
  would claim a live tie), a declined request is no tie at all, and Facebook follows mix pages
  and public figures with people under bare names;
* Messenger threads (``messages/<folder>/<thread>/message_N.json``, any era) -> one row per
  message: a ``message`` link (``call`` for ``"type": "Call"``) from the sender to every other
  participant, dated by ``timestamp_ms`` (milliseconds). Join/leave notices are skipped, as
  are messages from deleted accounts ("Facebook user").

Names are all Facebook gives (no ids, no emails), so people are matched by name, except that a
friends list names each friend once: two friends of one name are two people (known as
``facebook_namesake`` ``ana ruiz#1`` and ``ana ruiz#2``, never merged with each other; a bare "Ana
Ruiz" elsewhere fits both, and is left to the user as a possible duplicate). Every string
goes through the Meta mojibake repair (each UTF-8 byte written as its own ``\\u00XX``): the
latin-1 -> UTF-8 round trip, and ftfy for strings damaged some other way.

The owner comes from ``profile_information.json`` (``profile_v2`` / ``profile``) when the
export has it, else from ``--owner``; otherwise the import stops with ``MissingOwner`` before
anything is written. In a Messenger thread the owner is the participant with the owner's name;
when no participant has it (``--owner`` gave an email, or Facebook shows another name), the
owner is the one participant common to every thread of the export. A thread where the owner
still cannot be told apart has its messages rejected with that reason.

Rows are numbered by their position in this reading order (1, 2, ...: JSON has no lines worth
citing), and every reject names the file and the entry's index in it. JSON files are loaded one
at a time, as the rows are consumed (Facebook already splits long threads into parts).
"""

from __future__ import annotations

import codecs
import json
import re
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import PurePosixPath
from typing import Any, Iterator

from graphsvc.errors import ImportFailed, MissingOwner
from importers.base import ImportOptions, person_from_owner_option
from importers.names import split_name
from importers.records import Connection, Link, ParsedRow, ParsedSource, PersonRef, Rejected, RowResult, Skipped
from importers.source import Member, Source

CHANNEL = "facebook"
#: The key of a friend who shares their name with another in the same friends list ("ana ruiz#2"):
#: single-valued (``graphsvc.identity.records.SINGLE_VALUED``), so namesakes never merge with each other.
NAMESAKE = "facebook_namesake"

#: File name -> what its entries are, in reading order. The era decides the name and the key.
LIST_FILES: dict[str, str] = {
    "friends.json": "friend",
    "your_friends.json": "friend",
    "sent_friend_requests.json": "sent",
    "friend_requests_sent.json": "sent",
    "received_friend_requests.json": "received",
    "friend_requests_received.json": "received",
    "rejected_friend_requests.json": "rejected",
    "removed_friends.json": "removed",
    "who_you've_followed.json": "following",
    "who_you_follow.json": "following",
    "following.json": "following",
}
KIND_ORDER = ("friend", "sent", "received", "rejected", "removed", "following")
#: Top-level key -> kind; pre-2021 keys are the same without ``_v2`` (unverified).
LIST_KEYS: dict[str, str] = {
    "friends_v2": "friend", "friends": "friend",
    "sent_requests_v2": "sent", "sent_requests": "sent",
    "received_requests_v2": "received", "received_requests": "received",
    "rejected_requests_v2": "rejected", "rejected_requests": "rejected",
    "deleted_friends_v2": "removed", "deleted_friends": "removed",
    "following_v3": "following", "following_v2": "following", "following": "following",
}
PROFILE_FILE = "profile_information.json"
PROFILE_KEYS = ("profile_v2", "profile")
SKIP_REASONS = {
    "rejected": "a friend request you declined: no tie to record",
    "removed": "a removed friend: the friendship ended, so no current tie is recorded",
    "following": "a Facebook follow: pages and public figures are not told apart from people, so follows are not imported",
}
#: Names Facebook shows for deleted or deactivated accounts: many different people, so nobody.
PLACEHOLDER_NAMES = {"", "facebook user", "facebook-nutzer", "utilisateur de facebook", "usuario de facebook", "instagram user"}
MESSAGE_FILE = re.compile(r"(^|/)messages/(.+/)?message_\d+\.json$")
_KEY_RE = "|".join(re.escape(k) for k in sorted({*LIST_KEYS, "profile_v2"}, key=len, reverse=True))
LIST_HEAD = re.compile(rb'^\s*\{\s*"(' + _KEY_RE.encode() + rb')"\s*:\s*[\[{]')
OLD_PROFILE_HEAD = re.compile(rb'^\s*\{\s*"profile"\s*:\s*\{')


# --- Meta mojibake ---------------------------------------------------------------------------------


def meta_fix(text: str) -> str:
    """Undo Meta's escaping of each UTF-8 byte as its own code point (``RadosÅ\\x82aw`` -> ``Radosław``).

    >>> meta_fix("Zo\\u00c3\\u00ab"), meta_fix("Zoë"), meta_fix("\\u00f0\\u009f\\u0098\\u0082")
    ('Zoë', 'Zoë', '😂')
    """
    if text.isascii():
        return text
    try:
        return text.encode("latin-1").decode("utf-8")
    except UnicodeEncodeError:
        pass  # characters beyond latin-1: correct already, or damaged some other way
    except UnicodeDecodeError:
        return text  # latin-1 text that is not UTF-8 bytes: already correct ("Zoë")
    import ftfy

    return ftfy.fix_encoding(text)


def meta_fix_tree(value: Any) -> Any:
    """``meta_fix`` on every string of a parsed JSON document, keys included."""
    if isinstance(value, str):
        return meta_fix(value)
    if isinstance(value, list):
        return [meta_fix_tree(v) for v in value]
    if isinstance(value, dict):
        return {meta_fix(k): meta_fix_tree(v) for k, v in value.items()}
    return value


def load_json(member: Member) -> Any:
    """A Meta JSON file, parsed and repaired; ``ValueError`` when it is not JSON, is larger than
    ``graphsvc.limits.JSON_DOCUMENT_BYTES`` (a JSON document is read whole: never more than that
    is read) or is nested too deeply to parse."""
    from graphsvc.limits import JSON_DOCUMENT_BYTES

    too_large = f"larger than {JSON_DOCUMENT_BYTES:,} bytes, the most a JSON file read whole may be (docs/security.md)"
    if member.size > JSON_DOCUMENT_BYTES:
        raise ValueError(too_large)
    chunks: list[bytes] = []
    read = 0
    with member.open() as fh:
        while read <= JSON_DOCUMENT_BYTES and (chunk := fh.read(min(1024 * 1024, JSON_DOCUMENT_BYTES + 1 - read))):
            chunks.append(chunk)
            read += len(chunk)
    if read > JSON_DOCUMENT_BYTES:
        raise ValueError(too_large)
    data = b"".join(chunks)
    try:
        return meta_fix_tree(json.loads(data.decode("utf-8-sig")))
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 ({exc.reason})") from exc
    except RecursionError:
        raise ValueError("nested too deeply to read") from None


def unix_time(value: Any, *, milliseconds: bool = False) -> datetime | None:
    """A Unix timestamp (seconds, or milliseconds) as UTC; None when absent; ``ValueError`` when unreadable."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"not a number: {value!r}"[:80])
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"not a number: {value!r}"[:80]) from None
    if number == 0:
        return None  # Meta writes 0 for "unknown"
    seconds = number / 1000 if milliseconds else number
    if not 0 < seconds < 4102444800:  # before 2100
        raise ValueError(f"out of range: {value!r}"[:80])
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


def _fold(name: str) -> str:
    from graphsvc.identity.records import fold

    return fold(name)


def _person(name: str, extra: dict[str, Any] | None = None) -> PersonRef:
    first, last = split_name(name)
    emails: list[str] = []
    phones: list[str] = []
    contact = (extra or {}).get("contact_info")  # some old exports (unverified)
    if isinstance(contact, str) and contact.strip():
        (emails if "@" in contact else phones).append(contact.strip())
    return PersonRef(name=name, first_name=first, last_name=last, emails=tuple(emails), phones=tuple(phones))


# --- the importer --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Part:
    """One JSON file to read: a list file of a known kind (None: decided by its key), or a thread part."""

    member: Member
    kind: str | None  # "friend", ..., or "thread"
    thread: str = ""


class FacebookImporter:
    name = "facebook"
    description = "Facebook 'Download your information' JSON: friends, friend requests, Messenger (zip, folder or one file)"

    def sniff(self, source: Source) -> int:
        try:
            if not source.is_container:
                head = source.read_head().removeprefix(codecs.BOM_UTF8)
                if _is_list_head(head) or (OLD_PROFILE_HEAD.match(head) and b'"full_name"' in head):
                    return 95
                if head.lstrip().startswith(b"{") and b'"participants"' in head and b'"sender_name"' in head:
                    return 60
                return 0
            for member in source.members:
                base = member.basename.lower()
                if base in LIST_FILES or base == PROFILE_FILE:
                    head = source.read_head(member, 4096).removeprefix(codecs.BOM_UTF8)
                    if _is_list_head(head) or OLD_PROFILE_HEAD.match(head):
                        return 95
            if any(MESSAGE_FILE.search(m.name.lower()) for m in source.members):
                return 55  # Messenger alone (an Instagram export has the same threads)
            if any(m.basename.lower() in ("your_friends.html", "friends.html") for m in source.members):
                return 50  # the HTML variant: parse() explains
        except (ImportFailed, OSError):
            return 0
        return 0

    def parse(self, source: Source, options: ImportOptions) -> ParsedSource:
        notes: list[str] = []
        profile: PersonRef | None = None
        if source.is_container:
            parts = self._container_parts(source)
            profile_member = _shallowest(m for m in source.members if m.basename.lower() == PROFILE_FILE)
            if profile_member is not None:
                profile = _profile_person(profile_member, notes)
            if not parts:
                if any(m.basename.lower().endswith(".html") for m in source.members):
                    raise ImportFailed(
                        f"{source.name}: this Facebook export is in HTML; download it again choosing the JSON format"
                    )
                raise ImportFailed(f"{source.name}: no Facebook friends, friend requests or Messenger threads in it")
        else:
            parts = [self._single_part(source)]
            if parts[0].kind == "profile":
                profile = _profile_person(source.single, notes)
                parts = []
        owner = _owner(source, options, profile, notes)
        read = sorted({p.member.name for p in parts})
        if source.is_container:
            notes.append(f"read {len(read)} file(s): " + ", ".join(read[:8]) + (", ..." if len(read) > 8 else ""))
        reader = _Reader(parts, owner)
        return ParsedSource(
            format=self.name, owner=owner, rows=reader.rows, notes=notes,
            size=sum(p.member.size for p in parts), position=lambda: reader.position,
        )

    @staticmethod
    def _container_parts(source: Source) -> list[_Part]:
        lists: list[tuple[int, str, _Part]] = []
        threads: list[tuple[str, int, _Part]] = []
        for member in source.members:
            lowered = member.name.lower()
            base = member.basename.lower()
            if MESSAGE_FILE.search(lowered):
                folder = PurePosixPath(member.name).parent
                part_no = int(re.search(r"message_(\d+)\.json$", base).group(1))  # type: ignore[union-attr]
                threads.append((str(folder), part_no, _Part(member, "thread", thread=_thread_id(folder))))
            elif base in LIST_FILES:
                kind = LIST_FILES[base]
                lists.append((KIND_ORDER.index(kind), member.name, _Part(member, None)))
        return [p for *_, p in sorted(lists, key=lambda t: t[:2])] + [p for *_, p in sorted(threads, key=lambda t: t[:2])]

    @staticmethod
    def _single_part(source: Source) -> _Part:
        member = source.single
        try:
            data = load_json(member)
        except ValueError as exc:
            raise ImportFailed(f"{source.name}: not a readable JSON file ({exc})") from exc
        if isinstance(data, dict):
            if any(k in data for k in PROFILE_KEYS) and not any(k in data for k in LIST_KEYS):
                return _Part(member, "profile")
            if any(k in data for k in LIST_KEYS):
                return _Part(member, None)
            if isinstance(data.get("messages"), list) and isinstance(data.get("participants"), list):
                return _Part(member, "thread", thread=_thread_id(PurePosixPath(source.name)))
        raise ImportFailed(
            f"{source.name}: not a Facebook friends, friend-request, profile or Messenger JSON file"
        )


def _is_list_head(head: bytes) -> bool:
    """``{"friends_v2": [{"name": ..., "timestamp": ...}`` (or an empty list, or the profile)."""
    match = LIST_HEAD.match(head)
    if not match:
        return False
    if match.group(1) == b"profile_v2":
        return True
    rest = head[match.end() - 1 :]
    return bool(re.match(rb"\[\s*\]", rest)) or (b'"name"' in rest and b'"timestamp"' in rest)


def _shallowest(members: Iterator[Member]) -> Member | None:
    found = sorted(members, key=lambda m: (m.name.count("/"), m.name))
    return found[0] if found else None


def _thread_id(path: PurePosixPath) -> str:
    """``inbox/AnaRuiz_10158`` -> ``anaruiz_10158``: the same in a lone file and a whole export,
    and across exports where the thread moved between inbox and archived_threads."""
    return (path.name if path.name not in ("", ".") else str(path)).casefold()


def _profile_person(member: Member, notes: list[str]) -> PersonRef | None:
    try:
        data = load_json(member)
    except ValueError:
        notes.append(f"{member.name}: not readable JSON, owner not taken from it")
        return None
    profile = next((data[k] for k in PROFILE_KEYS if isinstance(data, dict) and isinstance(data.get(k), dict)), None)
    if profile is None:
        return None
    name_field = profile.get("name")
    if isinstance(name_field, dict):
        full = str(name_field.get("full_name") or "").strip()
        first, last = str(name_field.get("first_name") or ""), str(name_field.get("last_name") or "")
        full = full or f"{first} {last}".strip()
    else:
        full, first, last = str(name_field or "").strip(), "", ""
    if full and not (first or last):
        first, last = split_name(full)
    emails_field = profile.get("emails")
    emails = emails_field.get("emails", []) if isinstance(emails_field, dict) else emails_field or []
    phones = [p.get("phone_number", "") for p in profile.get("phone_numbers") or [] if isinstance(p, dict)]
    ref = PersonRef(
        name=full, first_name=first, last_name=last,
        emails=tuple(e for e in emails if isinstance(e, str) and "@" in e),
        phones=tuple(p for p in phones if isinstance(p, str) and p.strip()),
    )
    if ref.is_empty():
        return None
    notes.append(f"owner from {member.name}")
    return ref


def _owner(source: Source, options: ImportOptions, profile: PersonRef | None, notes: list[str]) -> PersonRef:
    given = person_from_owner_option(options.owner) if options.owner else None
    if profile is not None:
        if given is not None:
            if given.emails or given.linkedin_url:  # an email or URL adds to the profile's identity
                profile = PersonRef(
                    name=profile.name, first_name=profile.first_name, last_name=profile.last_name,
                    emails=tuple(dict.fromkeys((*profile.emails, *given.emails))),
                    phones=profile.phones, linkedin_url=given.linkedin_url,
                )
            elif _fold(given.name) != _fold(profile.name):
                notes.append(f"--owner {options.owner!r} ignored: the export names its owner {profile.name!r}")
        return profile
    if given is not None:
        return given
    raise MissingOwner(
        f"{source.name}: whose Facebook data is this? Pass --owner (your name as Facebook shows it, or your email); "
        "a whole export names its owner in profile_information.json"
    )


class _Reader:
    """Streams the rows of every part, numbering them in reading order."""

    def __init__(self, parts: list[_Part], owner: PersonRef) -> None:
        self.parts = parts
        self.owner_names = {_fold(owner.name)} - {""} if owner.name else set()
        self.position = 0
        self._common: set[str] | None = None

    def rows(self) -> Iterator[RowResult]:
        self.position = 0
        counter = _Counter()
        seen_refs: dict[tuple[str, str, int], int] = {}
        for part in self.parts:
            try:
                data = load_json(part.member)
            except (ValueError, OSError) as exc:
                yield Rejected(counter.next(), f"{part.member.name}: not readable JSON ({exc}); its entries were not read")
                self.position += part.member.size
                continue
            if part.kind == "thread":
                yield from self._thread_rows(part, data, counter, seen_refs)
            else:
                yield from _list_rows(part, data, counter)
            self.position += part.member.size

    # -- Messenger ------------------------------------------------------------------------------

    def _thread_rows(
        self, part: _Part, data: Any, counter: "_Counter", seen_refs: dict[tuple[str, str, int], int]
    ) -> Iterator[RowResult]:
        where = part.member.name
        if not isinstance(data, dict) or not isinstance(data.get("messages"), list):
            yield Rejected(counter.next(), f"{where}: no 'messages' list; not a Messenger thread")
            return
        participants = _participants(data)
        me = self._owner_in(participants)
        thread = _thread_id(PurePosixPath(str(data.get("thread_path") or part.thread)))
        for index, message in enumerate(data["messages"], start=1):
            row = counter.next()
            at_where = f"{where} message {index}"
            if not isinstance(message, dict):
                yield Rejected(row, f"{at_where}: not a message object")
                continue
            sender = str(message.get("sender_name") or "").strip()
            if "sender_name" not in message:
                yield Rejected(row, f"{at_where}: no sender_name")
                continue
            try:
                at = unix_time(message.get("timestamp_ms"), milliseconds=True)
            except ValueError as exc:
                yield Rejected(row, f"{at_where}: unreadable timestamp_ms ({exc})")
                continue
            if at is None:
                yield Rejected(row, f"{at_where}: no timestamp_ms")
                continue
            kind = str(message.get("type") or "")
            if kind in ("Subscribe", "Unsubscribe"):
                yield Skipped(row, f"{at_where}: a group join/leave notice, not a message")
                continue
            if _fold(sender) in PLACEHOLDER_NAMES:
                yield Skipped(row, f"{at_where}: sent by a deleted or deactivated account ({sender or 'no name'!r})")
                continue
            if me is None:
                yield Rejected(
                    row, f"{at_where}: cannot tell which participant is the export's owner; "
                    "pass --owner with your name as Facebook shows it",
                )
                continue
            sender_key = _fold(sender)
            targets = [p for p in participants if _fold(p) != sender_key]
            if not targets:
                yield Skipped(row, f"{at_where}: no other participant to link the message to")
                continue
            occurrence = (thread, sender_key, int(at.timestamp() * 1000))
            n = seen_refs.get(occurrence, 0)
            seen_refs[occurrence] = n + 1
            ref = thread if n == 0 else f"{thread}#{n}"
            source = None if sender_key == me else _person(sender)
            link_kind = "call" if kind == "Call" else "message"
            records = tuple(
                Link(link_kind, CHANNEL, source, None if _fold(t) == me else _person(t), at, "a->b", ref) for t in targets
            )
            yield ParsedRow(row, records)

    def _owner_in(self, participants: list[str]) -> str | None:
        """The folded name under which the owner takes part in a thread, or None."""
        folded = {_fold(p) for p in participants}
        if self.owner_names & folded:
            return next(iter(self.owner_names & folded))
        common = self._common_participants()
        if len(common) == 1 and common <= folded:
            return next(iter(common))
        if self.owner_names:
            return ""  # the owner, known by name, is not in this thread: link the others among themselves
        return None

    def _common_participants(self) -> set[str]:
        """The names taking part in every thread of the export (needs two threads or more)."""
        if self._common is None:
            # When the owner's known name takes part in some thread, it is the right name: a
            # thread without it simply does not include the owner, and nobody else is inferred.
            groups: dict[str, set[str]] = {}
            for part in self.parts:
                if part.kind != "thread":
                    continue
                try:
                    data = load_json(part.member)
                except (ValueError, OSError):
                    continue
                if isinstance(data, dict):
                    groups.setdefault(part.thread, set()).update(_fold(p) for p in _participants(data))
            common = set.intersection(*groups.values()) if len(groups) >= 2 else set()
            if any(self.owner_names & names for names in groups.values()):
                common = set()
            self._common = common - PLACEHOLDER_NAMES
        return self._common


def _participants(data: dict[str, Any]) -> list[str]:
    found: dict[str, str] = {}
    for p in data.get("participants") or []:
        name = str((p.get("name") if isinstance(p, dict) else p) or "").strip()
        key = _fold(name)
        if key not in PLACEHOLDER_NAMES and key not in found:
            found[key] = name
    return list(found.values())


class _Counter:
    def __init__(self) -> None:
        self.value = 0

    def next(self) -> int:
        self.value += 1
        return self.value


def _list_rows(part: _Part, data: Any, counter: _Counter) -> Iterator[RowResult]:
    where = part.member.name
    lists = [(LIST_KEYS[k], v) for k, v in data.items() if k in LIST_KEYS] if isinstance(data, dict) else []
    if not lists:
        yield Rejected(counter.next(), f"{where}: none of the keys {', '.join(sorted(LIST_KEYS))}; its entries were not read")
        return
    for kind, entries in lists:
        if not isinstance(entries, list):
            yield Rejected(counter.next(), f"{where}: the {kind} entries are not a list")
            continue
        # A friends list names each friend once, so friends of one name are that many people: each is
        # known by their place among the namesakes (``NAMESAKE``), and none is a bare name that
        # messages or another list could take for one of them (fuzzy matching finds them all alike).
        names = Counter(_fold(str(e.get("name") or "")) for e in entries if isinstance(e, dict)) if kind == "friend" else Counter()
        seen: Counter[str] = Counter()
        for index, entry in enumerate(entries, start=1):
            row = counter.next()
            at_where = f"{where} entry {index}"
            if kind in SKIP_REASONS:
                yield Skipped(row, f"{at_where}: {SKIP_REASONS[kind]}")
                continue
            if not isinstance(entry, dict):
                yield Rejected(row, f"{at_where}: not a {{name, timestamp}} entry")
                continue
            name = str(entry.get("name") or "").strip()
            if not name:
                yield Rejected(row, f"{at_where}: no name")
                continue
            try:
                at = unix_time(entry.get("timestamp"))
            except ValueError as exc:
                yield Rejected(row, f"{at_where}: unreadable timestamp ({exc})")
                continue
            person = _person(name, entry)
            folded = _fold(name)
            seen[folded] += 1
            if names[folded] > 1:
                person = replace(person, handles=((NAMESAKE, f"{folded}#{seen[folded]}"),))
            if kind == "friend":
                record: Connection | Link = Connection(person=person, channel=CHANNEL, at=at)
            elif kind == "sent":
                record = Link("invitation", CHANNEL, None, person, at, "a->b")
            else:  # received
                record = Link("invitation", CHANNEL, person, None, at, "a->b")
            yield ParsedRow(row, (record,))


IMPORTERS = (FacebookImporter(),)
