"""Instagram followers and following (export-formats.md §4), from tests/fixtures/instagram/.

``export_2024`` is the newer layout (``connections/followers_and_following/``, followers split
over ``followers_1.json`` and ``followers_2.json``, following entries with the username in
``title`` and ``/_u/`` hrefs, one with ``?igsh=``, the owner in ``personal_information.json``);
``export_2021`` the older one (``followers_and_following/`` at the root, ``value`` everywhere,
no profile, so ``--owner``). Rows are numbered in reading order: followers files by number,
then following.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path


import pytest

import importers
from graphsvc.errors import ImportFailed, MissingOwner
from graphsvc.imports.jobs import import_file
from graphsvc.model import Channel, EvidenceKind, ImportJob, JobStatus
from graphsvc.store import SQLiteStore
from importers import ImportOptions, Link, ParsedRow, Rejected, Source
from importers.instagram import username_of

FIXTURES = Path(__file__).parent / "fixtures"
INSTAGRAM = FIXTURES / "instagram"
NEW, OLD = INSTAGRAM / "export_2024", INSTAGRAM / "export_2021"
NEW_LISTS = NEW / "connections" / "followers_and_following"
OLD_LISTS = OLD / "followers_and_following"
OWNER_HANDLE = "@ines.duarte"


def _import(store: SQLiteStore, ws: str, path: Path, **options: str) -> ImportJob:
    return import_file(store, ws, path, options=ImportOptions(**options))


def _names(store: SQLiteStore, ws: str) -> set[str]:
    return {p.display_name for p in store.search_people(ws, None, 1000)}


def _rows(path: Path, **options: str) -> dict[int, object]:
    parsed = importers.get("instagram").parse(Source.from_path(path), ImportOptions(**options))
    return {item.row: item for item in parsed.rows()}


def _follows(store: SQLiteStore, ws: str) -> set[tuple[str, str]]:
    """(follower's key, followed's key), with the owner as "owner" and people by handle."""
    owner = store.member_ids(ws)[0]
    handles = {}
    for person in store.search_people(ws, None, 1000):
        keys = dict(store.keys_of(ws, person.id))
        handles[person.id] = "owner" if person.id == owner else keys.get("instagram", person.display_name)
    return {(handles[e.person_a], handles[e.person_b]) for e in store.iter_evidence(ws)}


NEW_PEOPLE = {"Inês Duarte", "@ana.silva", "@samokafor", "@lee.chen_", "@priya.raman", "@marcus.obrien", "@zoe.andersson"}


def test_fixtures_have_both_shapes_and_the_meta_escaping() -> None:
    followers = json.loads((NEW_LISTS / "followers_1.json").read_text())
    following = json.loads((NEW_LISTS / "following.json").read_text())
    assert isinstance(followers, list) and list(following) == ["relationships_following"]
    assert "value" not in following["relationships_following"][0]["string_list_data"][0]  # newer: title + /_u/ href
    assert "?igsh=" in following["relationships_following"][2]["string_list_data"][0]["href"]
    profile = NEW / "personal_information" / "personal_information" / "personal_information.json"
    assert b"In\\u00c3\\u00aas Duarte" in profile.read_bytes()


# --- whole exports ---------------------------------------------------------------------------------------


def test_the_newer_export_imports_with_exact_counts(store: SQLiteStore, ws: str) -> None:
    job = _import(store, ws, NEW)

    assert job.status is JobStatus.COMPLETED and job.format == "instagram"
    assert (job.rows_read, job.rows_imported, job.rows_rejected, job.rows_skipped) == (11, 8, 3, 0)
    assert store.count_people(ws, None) == 7 and _names(store, ws) == NEW_PEOPLE
    assert store.count_evidence(ws) == 8
    evidence = list(store.iter_evidence(ws))
    assert Counter(e.kind for e in evidence) == Counter({EvidenceKind.FOLLOW: 8})
    assert all(e.channel is Channel.INSTAGRAM and e.direction == "a->b" and e.at is not None for e in evidence)
    assert _follows(store, ws) == {
        ("ana.silva", "owner"), ("samokafor", "owner"), ("lee.chen_", "owner"), ("priya.raman", "owner"),
        ("marcus.obrien", "owner"), ("owner", "ana.silva"), ("owner", "samokafor"), ("owner", "zoe.andersson"),
    }


def test_the_newer_export_rejects_entries_without_a_usable_username_or_time(store: SQLiteStore, ws: str) -> None:
    job = _import(store, ws, NEW)

    rejects = {r.row: r.reason for r in store.rejects(job.id)}
    assert sorted(rejects) == [5, 10, 11]
    assert "followers_2.json entry 2: no username in value, title or href" in rejects[5]
    assert "following.json entry 4: 'zoë — not a username' is not an Instagram username" in rejects[10]  # title repaired
    assert "following.json entry 5: unreadable timestamp" in rejects[11]


def test_the_older_export_imports_with_the_owner_given_as_a_handle(store: SQLiteStore, ws: str) -> None:
    job = _import(store, ws, OLD, owner=OWNER_HANDLE)

    assert (job.rows_read, job.rows_imported, job.rows_rejected, job.rows_skipped) == (4, 4, 0, 0)
    assert store.count_people(ws, None) == 4 and _names(store, ws) == {OWNER_HANDLE, "@ana.silva", "@b.okafor", "@lee.chen_"}
    assert store.count_evidence(ws) == 4
    assert _follows(store, ws) == {("ana.silva", "owner"), ("b.okafor", "owner"), ("owner", "ana.silva"), ("owner", "lee.chen_")}
    assert store.person_for_key(ws, "instagram", "ines.duarte") == job.owner_person_id


def test_both_exports_of_one_owner_merge_people_by_handle(store: SQLiteStore, ws: str) -> None:
    _import(store, ws, NEW)
    _import(store, ws, OLD, owner=OWNER_HANDLE)

    # The owner (handle ines.duarte) and ana.silva, samokafor, lee.chen_ are each one person.
    assert store.count_people(ws, None) == 8 and "@b.okafor" in _names(store, ws)
    assert store.count_evidence(ws) == 8 + 4  # different dates: different observations


@pytest.mark.parametrize(("path", "options"), [(NEW, {}), (OLD, {"owner": OWNER_HANDLE})], ids=["2024", "2021"])
def test_importing_the_same_export_again_changes_nothing(store: SQLiteStore, ws: str, path: Path, options: dict) -> None:
    first = _import(store, ws, path, **options)
    before = (store.count_people(ws, None), store.count_evidence(ws), store.data_version(ws))

    again = _import(store, ws, path, **options)

    assert again.id == first.id and len(store.list_jobs(ws)) == 1
    assert (store.count_people(ws, None), store.count_evidence(ws), store.data_version(ws)) == before


def test_the_owner_comes_from_personal_information(store: SQLiteStore, ws: str) -> None:
    job = _import(store, ws, NEW)

    (owner,) = store.get_people(ws, [job.owner_person_id]).values()
    assert (owner.display_name, owner.emails) == ("Inês Duarte", ("ines@example.pt",))  # mojibake repaired
    assert store.person_for_key(ws, "instagram", "ines.duarte") == job.owner_person_id
    assert "not imported (not followers/following): close_friends.json, pending_follow_requests.json" in job.notes


def test_without_profile_or_owner_nothing_is_written(store: SQLiteStore, ws: str) -> None:
    with pytest.raises(MissingOwner, match="--owner"):
        _import(store, ws, OLD)
    with pytest.raises(MissingOwner):
        _import(store, ws, OLD_LISTS / "followers_1.json")
    assert store.list_jobs(ws) == [] and store.count_people(ws, None) == 0 and store.data_version(ws) == 0


# --- records --------------------------------------------------------------------------------------------


def test_followers_point_at_the_owner_and_following_away_from_them() -> None:
    rows = _rows(NEW)
    follower, followed = rows[1].records[0], rows[9].records[0]

    assert isinstance(follower, Link) and (follower.kind, follower.channel, follower.direction) == ("follow", "instagram", "a->b")
    assert follower.source.handles == (("instagram", "ana.silva"),) and follower.target is None
    assert follower.source.name == "" and follower.source.display_name() == "@ana.silva"  # no display names in the export
    assert follower.at == datetime(2025, 6, 14, 0, 13, 41, tzinfo=timezone.utc)
    assert followed.source is None and followed.target.handles == (("instagram", "zoe.andersson"),)  # from ?igsh href


@pytest.mark.parametrize(
    ("entry", "item", "username"),
    [
        ({"title": ""}, {"value": "ana.silva", "href": "https://www.instagram.com/other"}, "ana.silva"),
        ({"title": "lee.chen_"}, {"href": "https://www.instagram.com/_u/lee.chen_/"}, "lee.chen_"),
        ({"title": ""}, {"href": "https://www.instagram.com/_u/zoe.andersson/?igsh=abc"}, "zoe.andersson"),
        ({"title": ""}, {"href": "https://www.instagram.com/Sam.Okafor"}, "sam.okafor"),
        ({"title": ""}, {}, ""),
    ],
)
def test_the_username_is_value_then_title_then_href(entry: dict, item: dict, username: str) -> None:
    assert username_of(entry, item) == username


def test_lone_files_import_by_shape_whatever_their_name(store: SQLiteStore, ws: str, tmp_path: Path) -> None:
    followers = shutil.copyfile(NEW_LISTS / "followers_2.json", tmp_path / "a.json")
    following = shutil.copyfile(NEW_LISTS / "following.json", tmp_path / "b.json")

    first = _import(store, ws, Path(followers), owner=OWNER_HANDLE)
    second = _import(store, ws, Path(following), owner=OWNER_HANDLE)

    assert (first.rows_read, first.rows_imported, first.rows_rejected) == (3, 2, 1)
    assert (second.rows_read, second.rows_imported, second.rows_rejected) == (5, 3, 2)
    assert _follows(store, ws) == {
        ("priya.raman", "owner"), ("marcus.obrien", "owner"),
        ("owner", "ana.silva"), ("owner", "samokafor"), ("owner", "zoe.andersson"),
    }


# --- containers and detection ---------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["root", "macos", "windows"])
def test_a_zipped_export_imports_like_the_folder(store: SQLiteStore, ws: str, tmp_path: Path, layout: str) -> None:
    archive = tmp_path / "instagram-ines.duarte-2024.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for p in sorted(NEW.rglob("*.json")):
            rel = p.relative_to(NEW).as_posix()
            if layout == "macos":
                z.write(p, f"instagram-ines.duarte/{rel}")
                z.writestr(f"__MACOSX/instagram-ines.duarte/{p.relative_to(NEW).parent.as_posix()}/._{p.name}", b"\x00\x05junk")
            else:
                z.write(p, rel.replace("/", "\\") if layout == "windows" else rel)
        if layout == "macos":
            z.writestr("instagram-ines.duarte/.DS_Store", b"Bud1")
    assert importers.detect(Source.from_path(archive)).name == "instagram"

    job = _import(store, ws, archive)

    assert (job.rows_read, job.rows_imported, job.rows_rejected) == (11, 8, 3)
    assert _names(store, ws) == NEW_PEOPLE and store.count_evidence(ws) == 8


@pytest.mark.parametrize(
    "path", [NEW, OLD, NEW_LISTS / "followers_1.json", NEW_LISTS / "following.json", OLD_LISTS / "following.json"],
    ids=lambda p: p.relative_to(INSTAGRAM).as_posix(),
)
def test_instagram_files_and_exports_are_detected_by_content(tmp_path: Path, path: Path) -> None:
    if path.is_file():
        path = Path(shutil.copyfile(path, tmp_path / "renamed.dat"))
    assert importers.detect(Source.from_path(path)).name == "instagram"


# Every other format's fixture, files and folders alike (other importers' fixtures included).
OTHER_FIXTURES = sorted(
    p for d in FIXTURES.iterdir() if d.is_dir() and d.name != "instagram"
    for p in (d, *d.rglob("*")) if not p.name.startswith(".")
)


@pytest.mark.parametrize("path", OTHER_FIXTURES, ids=lambda p: p.relative_to(FIXTURES).as_posix())
def test_other_formats_files_are_not_taken_for_instagram(path: Path) -> None:
    assert importers.get("instagram").sniff(Source.from_path(path)) == 0


@pytest.mark.parametrize("folder", sorted((FIXTURES / "facebook").iterdir()), ids=lambda p: p.name)
def test_facebook_exports_are_not_taken_for_instagram(folder: Path) -> None:
    assert importers.get("instagram").sniff(Source.from_path(folder)) == 0


def test_a_json_array_of_something_else_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "followers_1.json"
    path.write_text(json.dumps([{"user": "ana", "ts": 1}]))
    assert importers.get("instagram").sniff(Source.from_path(path)) == 0
    with pytest.raises(ImportFailed, match="not an Instagram"):
        importers.get("instagram").parse(Source.from_path(path), ImportOptions(owner=OWNER_HANDLE))


def test_every_entry_is_exactly_one_row() -> None:
    rows = _rows(NEW)
    assert sorted(rows) == list(range(1, 12))
    assert Counter(type(r).__name__ for r in rows.values()) == Counter({"ParsedRow": 8, "Rejected": 3})
    assert all(isinstance(r, (ParsedRow, Rejected)) for r in rows.values())
