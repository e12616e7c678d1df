"""X / Twitter archive ("Download an archive of your data"), as a zip or a folder (export-formats.md §2).

Reads ``data/account.js`` (the owner: account id, username, email; ``manifest.js`` ``userInfo``
as a fallback), ``data/following.js`` and ``data/follower.js`` with every ``-partN`` file listed
in ``data/manifest.js`` (and any the manifest forgot, found by name), ``data/direct-messages.js``
(1:1) and ``data/direct-messages-group.js`` (group), also with their parts.

* Every ``data/*.js`` is one JS assignment of a JSON array (``window.YTD.<name>.partN = [...]``).
  The wrapper is cut at the first ``=``, whatever the global is called (BOM, CRLF, a trailing
  ``;``, an array starting on line 1 and a bare array are all fine), and the array is then
  decoded one element at a time: memory holds one follow entry or one DM conversation, never a
  whole file.
* Ids stay strings (snowflakes exceed 2^53); a bare integer is exact in Python and accepted, a
  float is not an id and is rejected.
* Follows: one ``follow`` link per entry (owner -> account for ``following``, account -> owner
  for ``follower``), no date (the archive has none). The other side is known only by its id.
* DMs: one row per message event. A ``messageCreate`` becomes one ``message`` link from the
  sender to the recipient (1:1) or to every other participant of the group (participants = the
  union of senders, ``joinConversation``/``participantsJoin``/``participantsLeave`` users and
  ``conversationNameUpdate`` initiators, plus the owner); membership events are rows skipped
  with their reason.

Row numbers: row = file index x stride + the entry's (follows) or message event's (DMs) 1-based
position in its file; ``ParsedSource.notes`` say which range is which file.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, BinaryIO, Iterator

from dateutil import parser as dateutil_parser

from graphsvc import limits
from graphsvc.errors import ImportFailed, MissingOwner
from importers.base import ImportOptions, person_from_owner_option
from importers.records import Link, ParsedRow, ParsedSource, PersonRef, Rejected, RowResult, Skipped
from importers.source import Member, Source, canonical_member_name

CHANNEL = "x"
STRIDE = 10_000_000
CHUNK = 64 * 1024
JSON_ENTRY_CHARS = limits.JSON_ENTRY_CHARS

#: manifest data type -> the file name pattern of its parts (``following.js``, ``following-part1.js``)
KINDS: dict[str, re.Pattern[str]] = {
    "following": re.compile(r"^following(?:-part(\d+))?\.js$"),
    "follower": re.compile(r"^follower(?:-part(\d+))?\.js$"),
    "directMessages": re.compile(r"^direct-?messages(?:-part(\d+))?\.js$"),
    "directMessagesGroup": re.compile(r"^direct-?messages?-group(?:-part(\d+))?\.js$"),
}
ACCOUNT = re.compile(r"^account\.js$")
MANIFEST = re.compile(r"^manifest\.js$")
MEMBERSHIP_EVENTS = ("joinConversation", "participantsJoin", "participantsLeave", "conversationNameUpdate")


class BadJson(Exception):
    """A data file whose JSON cannot be read past some point."""


# --- reading window.YTD files ------------------------------------------------------------------


class _Counting(io.RawIOBase):
    def __init__(self, inner: BinaryIO, progress: list[int]) -> None:
        self._inner, self._progress = inner, progress

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        data = self._inner.read(len(buffer))
        buffer[: len(data)] = data
        self._progress[0] += len(data)
        return len(data)

    def close(self) -> None:
        self._inner.close()
        super().close()


def iter_array(member: Member, progress: list[int] | None = None) -> Iterator[Any]:
    """The elements of the JSON array in ``member`` (a ``window.YTD.x.partN = [...]`` file or a bare
    array), decoded one at a time. Raises ``BadJson`` where the content stops being readable."""
    counter = [0] if progress is None else progress
    decoder = json.JSONDecoder()
    with io.TextIOWrapper(
        io.BufferedReader(_Counting(member.open(), counter)), encoding="utf-8-sig", errors="replace"
    ) as text:
        buffer, eof = "", False
        # Read until the start is recognisable: a bare "[" or the wrapper's "=" (within 4 KiB).
        while not eof:
            start = buffer.lstrip()
            if start.startswith("[") or (start and "=" in buffer) or len(buffer) >= 4096:
                break
            more = text.read(CHUNK)
            eof = not more
            buffer += more
        start = buffer.lstrip()
        if start.startswith("["):
            pos = len(buffer) - len(start)
        else:
            equals = buffer.find("=", 0, 4096)
            if equals < 0:
                raise BadJson("no 'window.YTD... = [' assignment at the start")
            pos = equals + 1
            while True:
                while pos < len(buffer) and buffer[pos].isspace():
                    pos += 1
                if pos < len(buffer) or eof:
                    break
                more = text.read(CHUNK)
                eof = not more
                buffer += more
        if pos >= len(buffer) or buffer[pos] != "[":
            raise BadJson("the assigned value is not a JSON array")
        pos += 1
        while True:
            # skip whitespace and separators, reading on as needed
            while True:
                while pos < len(buffer) and (buffer[pos].isspace() or buffer[pos] == ","):
                    pos += 1
                if pos < len(buffer) or eof:
                    break
                buffer, pos = buffer[pos:], 0
                more = text.read(CHUNK)
                eof = not more
                buffer += more
            if pos >= len(buffer):
                raise BadJson("the array is not closed (a truncated file?)")
            if buffer[pos] == "]":
                return
            while True:
                try:
                    value, end = decoder.raw_decode(buffer, pos)
                    if end < len(buffer) or eof:
                        break
                except json.JSONDecodeError as exc:
                    if eof:
                        raise BadJson(f"invalid JSON ({exc.msg})") from None
                except RecursionError:
                    raise BadJson("an entry nested too deeply to read") from None
                if len(buffer) - pos > JSON_ENTRY_CHARS:
                    raise BadJson(f"an entry longer than {JSON_ENTRY_CHARS:,} characters (docs/security.md)")
                # Incomplete: read on until the pending text at least doubles, so a large
                # element costs linear time, not quadratic.
                buffer, pos = buffer[pos:], 0
                target = max(len(buffer) * 2, CHUNK)
                while len(buffer) < target:
                    more = text.read(CHUNK)
                    if not more:
                        eof = True
                        break
                    buffer += more
            yield value
            pos = end


def read_object(member: Member) -> Any:
    """A small file read whole (``manifest.js``'s object); tolerant of a trailing comma."""
    with member.open() as fh:
        raw = fh.read(4 * 1024 * 1024)
    text = raw.decode("utf-8-sig", errors="replace")
    start = text.lstrip()
    if not start.startswith(("{", "[")):
        equals = text.find("=")
        if equals < 0:
            raise BadJson("no assignment")
        text = text[equals + 1 :]
    text = text.strip().rstrip(";").strip()
    try:
        return json.loads(text)
    except RecursionError:
        raise BadJson("nested too deeply to read") from None
    except json.JSONDecodeError:
        try:
            return json.loads(re.sub(r",(\s*[}\]])", r"\1", text))
        except json.JSONDecodeError as exc:
            raise BadJson(f"invalid JSON ({exc.msg})") from None
        except RecursionError:
            raise BadJson("nested too deeply to read") from None


# --- ids, dates, people -----------------------------------------------------------------------


def account_id(value: Any) -> str | None:
    """An id as a string, or None when ``value`` is not an exact numeric id."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value) if value > 0 else None
    if isinstance(value, str) and value.strip().isdigit() and value.strip().strip("0"):
        return value.strip()
    return None


def parse_iso(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = dateutil_parser.isoparse(text)
        except (ValueError, OverflowError):
            return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def person(account: str) -> PersonRef:
    return PersonRef(handles=(("x", account),))


@dataclass(frozen=True)
class _File:
    kind: str  # a KINDS key
    part: int
    member: Member


# --- the importer -----------------------------------------------------------------------------


class XArchiveImporter:
    name = "x"
    description = "X / Twitter archive (zip or folder): account, following and followers, direct messages"

    def sniff(self, source: Source) -> int:
        if not source.is_container:
            return 0
        candidates = [m for m in source.members if _matches(m, MANIFEST) or _matches(m, ACCOUNT)]
        candidates += [m for m in source.members for p in KINDS.values() if _matches(m, p)]
        for member in sorted(candidates, key=lambda m: (m.name.count("/"), m.name))[:6]:
            try:
                head = source.read_head(member, 4096).decode("utf-8-sig", errors="replace").lstrip()
            except ImportFailed:
                return 0
            if head.startswith(("window.YTD.", "window.__THAR_CONFIG")):
                return 95
        return 0

    def parse(self, source: Source, options: ImportOptions) -> ParsedSource:
        if not source.is_container:
            raise ImportFailed(f"{source.name}: not an archive; an X archive is a zip or folder holding data/*.js")
        notes: list[str] = []
        manifest = _manifest(source, notes)
        files = _files(source, manifest, notes)
        account = _account(source, manifest, notes)
        owner_id = account.get("id", "")
        if options.owner:
            owner: PersonRef = person_from_owner_option(options.owner)
        elif owner_id:
            handles = [("x", owner_id)] + ([("x_handle", account["username"])] if account.get("username") else [])
            owner = PersonRef(
                name=account.get("display_name", ""), emails=(account["email"],) if account.get("email") else (),
                handles=tuple(handles),
            )
        else:
            raise MissingOwner(
                f"{source.name}: whose archive is this? It has no data/account.js and its manifest names no "
                "account; pass --owner"
            )
        if not owner_id and any(f.kind == "directMessages" for f in files):
            owner_id = _owner_from_conversations([f for f in files if f.kind == "directMessages"])
            if owner_id:
                notes.append(f"owner's X account id {owner_id}: the id in every 1:1 conversation")
        if not files:
            notes.append("no following, follower or direct message files in this archive")
        biggest = max((f.member.size for f in files), default=0)
        stride = STRIDE if biggest + 1 < STRIDE else 10 ** len(str(biggest + 1))
        unit = {"following": "entry", "follower": "entry"}
        for index, f in enumerate(files, start=1):
            base = index * stride
            notes.append(
                f"read {f.member.name} as rows {base + 1}-{base + stride - 1} "
                f"(row = {base} + {unit.get(f.kind, 'message event')} number)"
            )
        size = sum(f.member.size for f in files)
        done, progress = [0], [0]

        def rows() -> Iterator[RowResult]:
            done[0] = 0
            for index, f in enumerate(files, start=1):
                progress[0] = 0
                base = index * stride
                if f.kind in ("following", "follower"):
                    yield from _follow_rows(f, base, owner_id, progress)
                else:
                    yield from _dm_rows(f, base, owner_id, progress)
                done[0] += f.member.size
                progress[0] = 0

        return ParsedSource(
            format=self.name, owner=owner, rows=rows, notes=notes, size=size,
            position=lambda: min(size, done[0] + progress[0]),
        )


def _matches(member: Member, pattern: re.Pattern[str]) -> re.Match[str] | None:
    return pattern.match(member.basename.lower())


def _manifest(source: Source, notes: list[str]) -> dict[str, Any]:
    members = sorted((m for m in source.members if _matches(m, MANIFEST)), key=lambda m: (m.name.count("/"), m.name))
    if not members:
        notes.append("no data/manifest.js: data files found by name")
        return {}
    try:
        value = read_object(members[0])
    except BadJson as exc:
        notes.append(f"{members[0].name} is unreadable ({exc}): data files found by name")
        return {}
    return value if isinstance(value, dict) else {}


def _files(source: Source, manifest: dict[str, Any], notes: list[str]) -> list[_File]:
    """Every part of every kind: the manifest's list, plus parts it forgot, in kind and part order."""
    found: list[_File] = []
    data_types = manifest.get("dataTypes") if isinstance(manifest.get("dataTypes"), dict) else {}
    by_suffix = {canonical_member_name(m.name): m for m in source.members}
    for kind, pattern in KINDS.items():
        chosen: dict[int, Member] = {}
        entry = data_types.get(kind) if isinstance(data_types, dict) else None
        listed = entry.get("files", []) if isinstance(entry, dict) else []
        for item in listed if isinstance(listed, list) else []:
            name = item.get("fileName", "") if isinstance(item, dict) else ""
            if not isinstance(name, str) or not name:
                continue
            member = _by_suffix(by_suffix, name)
            base = name.replace("\\", "/").rpartition("/")[2].lower()
            match = pattern.match(base)
            part = int(match.group(1)) if match and match.group(1) else 0
            if member is None:
                notes.append(f"the manifest lists {name}, which this archive does not hold")
                continue
            chosen.setdefault(part, member)
        shallow = sorted(source.members, key=lambda m: (m.name.count("/"), m.name))
        for member in shallow:
            match = _matches(member, pattern)
            if not match:
                continue
            part = int(match.group(1)) if match.group(1) else 0
            if part not in chosen:
                chosen[part] = member
                if data_types:
                    notes.append(f"{member.name} is not in the manifest; read it too")
        found += [_File(kind, part, chosen[part]) for part in sorted(chosen)]
    return found


def _by_suffix(by_suffix: dict[str, Member], name: str) -> Member | None:
    wanted = canonical_member_name(name)
    exact = by_suffix.get(wanted)
    if exact is not None:
        return exact
    hits = sorted((k for k in by_suffix if k.endswith("/" + wanted)), key=lambda k: (k.count("/"), k))
    return by_suffix[hits[0]] if hits else None


def _account(source: Source, manifest: dict[str, Any], notes: list[str]) -> dict[str, str]:
    members = sorted((m for m in source.members if _matches(m, ACCOUNT)), key=lambda m: (m.name.count("/"), m.name))
    if members:
        try:
            for element in iter_array(members[0]):
                account = element.get("account") if isinstance(element, dict) else None
                if isinstance(account, dict) and account_id(account.get("accountId")):
                    notes.append(f"owner from {members[0].name}")
                    return {
                        "id": account_id(account.get("accountId")) or "",
                        "username": str(account.get("username") or "").strip().lstrip("@"),
                        "email": str(account.get("email") or "").strip(),
                        "display_name": str(account.get("accountDisplayName") or "").strip(),
                    }
        except BadJson as exc:
            notes.append(f"{members[0].name} is unreadable ({exc})")
    info = manifest.get("userInfo")
    if isinstance(info, dict) and account_id(info.get("accountId")):
        notes.append("owner from data/manifest.js userInfo")
        return {
            "id": account_id(info.get("accountId")) or "",
            "username": str(info.get("userName") or "").strip().lstrip("@"),
            "display_name": str(info.get("displayName") or "").strip(),
        }
    return {}


def _owner_from_conversations(files: list[_File]) -> str:
    """Without account.js: the one id present in every 1:1 conversation id (``a-b``)."""
    common: set[str] | None = None
    try:
        for f in files:
            for element in iter_array(f.member):
                conversation = element.get("dmConversation") if isinstance(element, dict) else None
                cid = conversation.get("conversationId") if isinstance(conversation, dict) else None
                ids = set(cid.split("-")) if isinstance(cid, str) and "-" in cid else None
                if ids:
                    common = ids if common is None else common & ids
    except BadJson:
        return ""
    return next(iter(common)) if common and len(common) == 1 else ""


# --- row streams ------------------------------------------------------------------------------


def _follow_rows(f: _File, base: int, owner_id: str, progress: list[int]) -> Iterator[RowResult]:
    n = 0
    try:
        for n, element in enumerate(iter_array(f.member, progress), start=1):
            yield _follow(f.kind, base + n, element, owner_id)
    except BadJson as exc:
        yield Rejected(base + n + 1, f"{f.member.name}: the rest of the file is unreadable: {exc}")


def _follow(kind: str, row: int, element: Any, owner_id: str) -> RowResult:
    if element is None or element == {} or element == []:
        return Skipped(row, "an empty entry: nobody in it")
    entry = element.get(kind) if isinstance(element, dict) else None
    if entry is None and isinstance(element, dict) and len(element) == 1:
        entry = next(iter(element.values()))  # "follower" entries in a following file, or a renamed key
    if not isinstance(entry, dict):
        return Rejected(row, f"not a {kind} entry")
    raw = entry.get("accountId")
    account = account_id(raw)
    if account is None and raw is None:
        match = re.search(r"user_id=(\d+)", str(entry.get("userLink") or ""))
        account = match.group(1) if match else None
    if account is None:
        if isinstance(raw, float):
            return Rejected(row, f"accountId {raw!r} is a rounded number, not an exact id (a re-saved file?)")
        return Rejected(row, f"no usable accountId ({str(raw)[:40]!r})" if raw is not None else "no accountId")
    if account == owner_id:
        return Rejected(row, "the owner's own account in their follow list")
    other = person(account)
    if kind == "following":
        return ParsedRow(row, (Link("follow", CHANNEL, None, other, None, "a->b"),))
    return ParsedRow(row, (Link("follow", CHANNEL, other, None, None, "a->b"),))


def _dm_rows(f: _File, base: int, owner_id: str, progress: list[int]) -> Iterator[RowResult]:
    group = f.kind == "directMessagesGroup"
    n = 0
    try:
        for element in iter_array(f.member, progress):
            conversation = element.get("dmConversation") if isinstance(element, dict) else None
            messages = conversation.get("messages") if isinstance(conversation, dict) else None
            if not isinstance(messages, list):
                n += 1
                if element is None or element == {}:
                    yield Skipped(base + n, "an empty conversation entry")
                else:
                    yield Rejected(base + n, "not a dmConversation with a list of messages")
                continue
            cid = str(conversation.get("conversationId") or "")
            participants = _participants(messages, owner_id) if group else set()
            for event in messages:
                n += 1
                yield _dm_event(base + n, event, cid, group, participants, owner_id)
    except BadJson as exc:
        yield Rejected(base + n + 1, f"{f.member.name}: the rest of the file is unreadable: {exc}")


def _participants(messages: list[Any], owner_id: str) -> set[str]:
    """Everyone a group conversation shows: senders and every membership event's users."""
    found = {owner_id} if owner_id else set()
    for event in messages:
        if not isinstance(event, dict):
            continue
        for key, body in event.items():
            if not isinstance(body, dict):
                continue
            if key == "messageCreate":
                ids = [body.get("senderId")]
            elif key in MEMBERSHIP_EVENTS:
                ids = [body.get("initiatingUserId"), *(body.get("participantsSnapshot") or []), *(body.get("userIds") or [])]
            else:
                continue
            found |= {i for i in (account_id(x) for x in ids) if i}
    return found


def _dm_event(row: int, event: Any, cid: str, group: bool, participants: set[str], owner_id: str) -> RowResult:
    if not isinstance(event, dict) or not event:
        return Skipped(row, "an empty message event")
    key = next(iter(event))
    body = event[key]
    if key in MEMBERSHIP_EVENTS:
        return Skipped(row, f"{key}: a membership event, not a message (its users count as participants)")
    if key != "messageCreate":
        return Skipped(row, f"{key}: not a message")
    if not isinstance(body, dict):
        return Rejected(row, "a messageCreate without a body")
    sender = account_id(body.get("senderId"))
    if sender is None:
        raw = body.get("senderId")
        return Rejected(row, f"no usable senderId ({str(raw)[:40]!r})" if raw is not None else "a message without senderId")
    created = body.get("createdAt")
    at = parse_iso(created)
    if at is None:
        return Rejected(row, f"unreadable createdAt {str(created)[:40]!r}" if created else "a message without createdAt")
    ref = str(body.get("id") or f"{cid}:{created}")
    if group:
        recipients = sorted(participants - {sender})
        if not recipients:
            return Rejected(row, "a group message with no other participant known")
    else:
        recipient = account_id(body.get("recipientId"))
        if recipient is None:
            ends = [i for i in cid.split("-") if account_id(i)] if "-" in cid else []
            others = [i for i in ends if i != sender]
            recipient = others[0] if len(others) == 1 else None
        if recipient is None:
            return Rejected(row, "a 1:1 message with no usable recipientId")
        if recipient == sender:
            return Rejected(row, "a message from an account to itself")
        recipients = [recipient]

    def who(account: str) -> PersonRef | None:
        return None if account == owner_id else person(account)

    links = tuple(Link("message", CHANNEL, who(sender), who(r), at, "a->b", ref) for r in recipients)
    return ParsedRow(row, links)


IMPORTERS = (XArchiveImporter(),)
