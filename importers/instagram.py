"""Instagram export in JSON (export-formats.md §4): followers and following, as a whole export
(zip or folder) or one file alone.

* ``followers_1.json`` (``followers_2.json`` ... for big accounts) is a top-level **array** of
  entries; ``following.json`` is an **object** ``{"relationships_following": [...]}`` of the
  same entries. The shape, not the file name, says which list a file is (a lone renamed file
  still imports); an object ``{"relationships_followers": [...]}`` is read as followers too.
* Each entry's ``string_list_data`` holds one item. The username is ``value``, else the entry's
  ``title`` (newer exports), else the last segment of ``href`` (``/_u/<user>/``, ``?igsh=...``
  dropped). ``timestamp`` is Unix seconds (UTC), when the follow happened.
* A follower -> ``follow`` link from the person to the owner; a followed account -> ``follow``
  link from the owner to the person; channel ``instagram``. People carry the handle
  ``("instagram", username)`` and no name: the export has none, and a username is not a name
  (using it as one would merge strangers by name), so they show as ``@username``.
* Strings get the Meta mojibake repair (``importers.facebook.meta_fix``).
* Other ``relationships_*`` files (close friends, pending requests, blocked, ...) are not read;
  a note lists them.

The owner comes from ``personal_information.json`` (``profile_user`` ``Username``/``Name``/
``Email``; the shape is unverified) when present, else ``--owner`` (a name, an email, or
``@username``); otherwise ``MissingOwner`` before anything is written. Rows are numbered in
reading order (followers files by number, then following) and rejects name file and entry.
"""

from __future__ import annotations

import codecs
import re
from pathlib import PurePosixPath
from typing import Any, Iterator
from urllib.parse import unquote, urlparse

from graphsvc.errors import ImportFailed, MissingOwner
from importers.base import ImportOptions, person_from_owner_option
from importers.facebook import load_json, unix_time
from importers.names import split_name
from importers.records import Link, ParsedRow, ParsedSource, PersonRef, Rejected, RowResult
from importers.source import Member, Source

CHANNEL = "instagram"
LIST_FILE = re.compile(r"^(followers|following)(_\d+)?\.json$")
PROFILE_FILE = "personal_information.json"
USERNAME = re.compile(r"^[a-z0-9._]{1,30}$")
ARRAY_HEAD = re.compile(rb'^\s*\[\s*(\]|\{)')
OBJECT_HEAD = re.compile(rb'^\s*\{\s*"relationships_(following|followers)"\s*:\s*\[')
KEYS = {"relationships_following": "following", "relationships_followers": "follower"}


def _head(source: Source, member: Member) -> bytes:
    return source.read_head(member, 16 * 1024).removeprefix(codecs.BOM_UTF8)


def _looks_like_list(head: bytes) -> bool:
    if OBJECT_HEAD.match(head):
        return True
    return bool(ARRAY_HEAD.match(head)) and b'"string_list_data"' in head


class InstagramImporter:
    name = "instagram"
    description = "Instagram export JSON: followers_N.json and following.json (zip, folder or one file)"

    def sniff(self, source: Source) -> int:
        try:
            if not source.is_container:
                return 90 if _looks_like_list(_head(source, source.single)) else 0
            for member in source.members:
                if LIST_FILE.match(member.basename.lower()) and _looks_like_list(_head(source, member)):
                    return 90
        except (ImportFailed, OSError):
            return 0
        return 0

    def parse(self, source: Source, options: ImportOptions) -> ParsedSource:
        notes: list[str] = []
        if source.is_container:
            members = sorted(
                (m for m in source.members if LIST_FILE.match(m.basename.lower())),
                key=lambda m: (not m.basename.lower().startswith("followers"), _part_number(m), m.name),
            )
            members = [m for m in members if _looks_like_list(_head(source, m))]
            if not members:
                raise ImportFailed(f"{source.name}: no Instagram followers_N.json or following.json in it")
            others = sorted(
                m.basename for m in source.members
                if PurePosixPath(m.name).parent == PurePosixPath(members[0].name).parent and m not in members
            )
            notes.append("read " + ", ".join(m.name for m in members))
            if others:
                notes.append("not imported (not followers/following): " + ", ".join(others))
            profile = _profile_member(source)
        else:
            if not _looks_like_list(_head(source, source.single)):
                raise ImportFailed(
                    f"{source.name}: not an Instagram followers (top-level array) or following "
                    "({\"relationships_following\": [...]}) JSON file"
                )
            members, profile = [source.single], None
        owner = _owner(source, options, profile, notes)
        progress = {"bytes": 0}

        def rows() -> Iterator[RowResult]:
            progress["bytes"] = 0
            row = 0
            for member in members:
                for item in _member_rows(member):
                    row += 1
                    yield ParsedRow(row, (item,)) if isinstance(item, Link) else Rejected(row, item)
                progress["bytes"] += member.size

        return ParsedSource(
            format=self.name, owner=owner, rows=rows, notes=notes, size=sum(m.size for m in members),
            position=lambda: progress["bytes"],
        )


def _part_number(member: Member) -> int:
    match = re.search(r"_(\d+)\.json$", member.basename.lower())
    return int(match.group(1)) if match else 0


def _profile_member(source: Source) -> Member | None:
    found = sorted(
        (m for m in source.members if m.basename.lower() == PROFILE_FILE), key=lambda m: (m.name.count("/"), m.name)
    )
    return found[0] if found else None


def _owner(source: Source, options: ImportOptions, profile: Member | None, notes: list[str]) -> PersonRef:
    from_export = _profile_person(profile) if profile is not None else None
    if from_export is not None:
        notes.append(f"owner from {profile.name}")  # type: ignore[union-attr]
        if options.owner:
            notes.append(f"--owner {options.owner!r} ignored: the export names its owner")
        return from_export
    if options.owner:
        value = options.owner.strip()
        if value.startswith("@") and value.count("@") == 1 and " " not in value:
            return PersonRef(handles=((CHANNEL, value[1:].lower()),))
        return person_from_owner_option(value)
    raise MissingOwner(
        f"{source.name}: whose Instagram followers are these? Pass --owner (@username, a name or an email); "
        "a whole export names its owner in personal_information.json"
    )


def _profile_person(member: Member) -> PersonRef | None:
    try:
        data = load_json(member)
    except (ValueError, OSError):
        return None
    users = data.get("profile_user") if isinstance(data, dict) else None
    if not isinstance(users, list) or not users or not isinstance(users[0], dict):
        return None
    fields = users[0].get("string_map_data") or {}

    def value(*names: str) -> str:
        for name in names:
            item = fields.get(name)
            if isinstance(item, dict) and str(item.get("value") or "").strip():
                return str(item["value"]).strip()
        return ""

    username = value("Username", "Nom d'utilisateur").lstrip("@").lower()
    email = value("Email", "E-mail")
    phone = value("Phone Number", "Phone")
    name = value("Name", "Nom")
    first, last = split_name(name) if name else ("", "")
    ref = PersonRef(
        name=name, first_name=first, last_name=last,
        emails=(email,) if "@" in email else (),
        phones=(phone,) if phone else (),
        handles=((CHANNEL, username),) if USERNAME.match(username) else (),
    )
    return None if ref.is_empty() else ref


def username_of(entry: dict[str, Any], item: dict[str, Any]) -> str:
    """``value``, else ``title``, else the last segment of ``href`` (without ``_u/`` or a query)."""
    for candidate in (item.get("value"), entry.get("title")):
        text = str(candidate or "").strip().lstrip("@")
        if text:
            return text.lower()
    href = str(item.get("href") or "").strip()
    if href:
        path = unquote(urlparse(href).path)
        segments = [s for s in path.split("/") if s and s != "_u"]
        if segments:
            return segments[-1].lstrip("@").lower()
    return ""


def _member_rows(member: Member) -> Iterator[Link | str]:
    """Each entry's follow link, or the reason it cannot be imported (the caller numbers rows)."""
    where = member.name
    try:
        data = load_json(member)
    except (ValueError, OSError) as exc:
        yield f"{where}: not readable JSON ({exc}); its entries were not read"
        return
    if isinstance(data, list):
        lists = [("follower", data)]
    elif isinstance(data, dict):
        lists = [(KEYS[k], v) for k, v in data.items() if k in KEYS]
    else:
        lists = []
    if not lists:
        yield f"{where}: neither a followers array nor a relationships_following list"
        return
    for kind, entries in lists:
        if not isinstance(entries, list):
            yield f"{where}: the {kind} entries are not a list"
            continue
        for index, entry in enumerate(entries, start=1):
            yield _entry_link(f"{where} entry {index}", kind, entry)


def _entry_link(where: str, kind: str, entry: Any) -> Link | str:
    if not isinstance(entry, dict):
        return f"{where}: not an entry object"
    items = [i for i in entry.get("string_list_data") or [] if isinstance(i, dict)]
    item = items[0] if items else {}
    username = username_of(entry, item)
    if not username:
        return f"{where}: no username in value, title or href"
    if not USERNAME.match(username):
        return f"{where}: {username[:40]!r} is not an Instagram username"
    try:
        at = unix_time(item.get("timestamp"))
    except ValueError as exc:
        return f"{where}: unreadable timestamp ({exc})"
    person = PersonRef(handles=((CHANNEL, username),))
    if kind == "follower":
        return Link("follow", CHANNEL, person, None, at, "a->b")
    return Link("follow", CHANNEL, None, person, at, "a->b")


IMPORTERS = (InstagramImporter(),)
