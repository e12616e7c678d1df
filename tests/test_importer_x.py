"""X / Twitter archives (export-formats.md §2): account, following and follower with their -partN
files (found through data/manifest.js, and by name without it), 1:1 and group direct messages; as
a folder and as zips the way real tools re-zip them.

The fixture is tests/fixtures/x_archive/, written byte-exact. Row numbers are file index x
10,000,000 + the entry's (follows) or message event's (DMs) 1-based position in its file, in this
file order: following.js 1, following-part1.js 2, follower.js 3, follower-part1.js 4 (empty),
follower-part2.js 5 (not in the manifest), direct-messages.js 6, direct-messages-group.js 7.
"""

from __future__ import annotations

import shutil
import zipfile
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path


import pytest

import importers
from graphsvc.errors import MissingOwner
from graphsvc.imports.jobs import import_file, prepare_import
from graphsvc.model import Channel, EvidenceKind, ImportJob, JobStatus
from graphsvc.store import SQLiteStore
from importers import ImportOptions, Link, ParsedRow, Source
from importers import x_archive

ARCHIVE = Path(__file__).parent / "fixtures" / "x_archive"
LINKEDIN_EXPORT = Path(__file__).parent / "fixtures" / "linkedin_export" / "Complete_LinkedInDataExport_03-01-2026"
TOP = "twitter-2026-03-01-5f0c1e2d"
M = 10_000_000
OWNER_ID = "1203948576102938475"

#: (read, imported, rejected, skipped)
COUNTS = (27, 17, 4, 6)
BY_KIND = {"follow": 9, "message": 12}
OTHERS = {  # every account id besides the owner's
    "1432874569021935616", "98765432", "3141592653", "271828182845904523", "5550001112223334445",
    "777000111222333444", "4242424242", "600100200300400500",
}
REJECTED = {
    2 * M + 3: "is a rounded number, not an exact id",
    3 * M + 4: "no usable accountId ('not-a-number')",
    6 * M + 3: "unreadable createdAt 'not a time'",
    7 * M + 7: "a message without senderId",
}
SKIPPED = {
    2 * M + 2: "an empty entry",
    7 * M + 2: "conversationNameUpdate: a membership event",
    7 * M + 3: "participantsLeave: a membership event",
    7 * M + 5: "participantsJoin: a membership event",
    7 * M + 6: "joinConversation: a membership event",
    7 * M + 9: "joinConversation: a membership event",
}
FOLLOWS = {
    ("OWNER", "1432874569021935616"), ("OWNER", "98765432"), ("OWNER", "3141592653"),
    ("OWNER", "271828182845904523"), ("OWNER", "5550001112223334445"),
    ("98765432", "OWNER"), ("777000111222333444", "OWNER"), ("4242424242", "OWNER"), ("3141592653", "OWNER"),
}
MESSAGES = Counter([
    # 1:1
    ("OWNER", "98765432"), ("98765432", "OWNER"),
    ("OWNER", "1432874569021935616"),  # no recipientId: the other end of the conversation id
    ("1432874569021935616", "OWNER"), ("600100200300400500", "OWNER"),
    # group 1: participants = the owner, 98765432, 777000111222333444 and 3141592653 (joined, then left)
    ("777000111222333444", "OWNER"), ("777000111222333444", "98765432"), ("777000111222333444", "3141592653"),
    ("OWNER", "98765432"), ("OWNER", "777000111222333444"), ("OWNER", "3141592653"),
    # group 2: just the two of them
    ("98765432", "OWNER"),
])


def _import(store: SQLiteStore, ws: str, path: Path, **options: str) -> ImportJob:
    return import_file(store, ws, path, options=ImportOptions(**options))


def _counts(job: ImportJob) -> tuple[int, int, int, int]:
    return (job.rows_read, job.rows_imported, job.rows_rejected, job.rows_skipped)


def _x_id(store: SQLiteStore, ws: str) -> dict[str, str]:
    """person id -> X account id ("OWNER" for the owner)."""
    found = {}
    for p in store.search_people(ws, None, 1000):
        ids = [v for k, v in store.keys_of(ws, p.id) if k == "x"]
        found[p.id] = "OWNER" if p.is_member else ids[0]
    return found


def _pairs(store: SQLiteStore, ws: str, kind: str) -> Counter[tuple[str, str]]:
    ids = _x_id(store, ws)
    return Counter((ids[e.person_a], ids[e.person_b or ""]) for e in store.iter_evidence(ws) if e.kind.value == kind)


def _copy(tmp_path: Path, drop: tuple[str, ...] = ()) -> Path:
    folder = tmp_path / TOP
    shutil.copytree(ARCHIVE, folder)
    for name in drop:
        (folder / name).unlink()
    return folder


def _zip(target: Path, layout: str) -> Path:
    files = sorted(p for p in ARCHIVE.rglob("*") if p.is_file() and p.name != ".gitattributes")
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for p in files:
            rel = p.relative_to(ARCHIVE).as_posix()
            if layout == "macos":
                archive.write(p, f"{TOP}/{rel}")
                archive.writestr(f"__MACOSX/{TOP}/{rel.rpartition('/')[0]}/._{p.name}".replace("//", "/"), b"\x00\x05\x16\x07junk")
            elif layout == "windows":
                archive.write(p, f"{TOP}\\{rel.replace('/', chr(92))}")
            else:
                archive.write(p, rel)
        if layout == "macos":
            archive.writestr(f"{TOP}/.DS_Store", b"\x00\x00\x00\x01Bud1")
    return target


# --- the fixture really carries its quirks ------------------------------------------------------


def test_fixture_bytes_carry_the_quirks_of_real_archives() -> None:
    def raw(name: str) -> bytes:
        return (ARCHIVE / "data" / name).read_bytes()

    assert raw("following.js").startswith(b"window.YTD.following.part0 = [ {\n")  # old: array on line 1
    part1 = raw("following-part1.js")
    assert part1.startswith(b"\xef\xbb\xbfwindow.YTD.following.part1 = [\r\n") and part1.endswith(b"  }\r\n];")
    assert b"null," in part1 and b"1.4328745690219356e18" in part1 and b'"accountId" : 5550001112223334445' in part1
    assert raw("follower-part1.js") == b"window.YTD.follower.part1 = [ ]"
    assert raw("direct-messages-group.js").startswith(b"window.YTD.direct_message_group.part0 = [")
    manifest = raw("manifest.js")
    assert manifest.startswith(b"window.__THAR_CONFIG = {") and b"},\n  }\n}" in manifest  # a trailing comma
    assert b"data/following-part2.js" in manifest and b"follower-part2.js" not in manifest
    assert not (ARCHIVE / "data" / "following-part2.js").exists()


# --- the archive: exact counts --------------------------------------------------------------------


def test_archive_imports_with_exact_counts(store: SQLiteStore, ws: str) -> None:
    assert importers.detect(Source.from_path(ARCHIVE)).name == "x"

    job = _import(store, ws, ARCHIVE)

    assert job.status is JobStatus.COMPLETED and job.format == "x"
    assert _counts(job) == COUNTS
    assert job.rows_read == job.rows_imported + job.rows_rejected + job.rows_skipped
    assert store.count_people(ws, None) == len(OTHERS) + 1
    assert store.count_evidence(ws) == sum(BY_KIND.values()) == 21
    assert dict(Counter(e.kind.value for e in store.iter_evidence(ws))) == BY_KIND
    assert {e.channel for e in store.iter_evidence(ws)} == {Channel.X}
    assert {e.direction for e in store.iter_evidence(ws)} == {"a->b"}
    for e in store.iter_evidence(ws):
        assert (e.at is None) == (e.kind is EvidenceKind.FOLLOW)  # follows have no date; messages do


def test_rejected_and_skipped_rows_are_reported_with_row_and_reason(store: SQLiteStore, ws: str) -> None:
    job = _import(store, ws, ARCHIVE)
    rejects = store.rejects(job.id)

    assert {r.row for r in rejects if not r.skipped} == set(REJECTED)
    assert {r.row for r in rejects if r.skipped} == set(SKIPPED)
    for r in rejects:
        assert (SKIPPED if r.skipped else REJECTED)[r.row] in r.reason, (r.row, r.reason)


def test_notes_name_every_file_its_row_range_and_the_manifest_gaps(store: SQLiteStore, ws: str) -> None:
    job = _import(store, ws, ARCHIVE)

    files = ["following.js", "following-part1.js", "follower.js", "follower-part1.js", "follower-part2.js"]
    for index, name in enumerate(files, start=1):
        assert f"read data/{name} as rows {index * M + 1}-{index * M + M - 1} (row = {index * M} + entry number)" in job.notes
    for index, name in enumerate(["direct-messages.js", "direct-messages-group.js"], start=6):
        assert f"read data/{name} as rows {index * M + 1}-{index * M + M - 1} (row = {index * M} + message event number)" in job.notes
    assert "the manifest lists data/following-part2.js, which this archive does not hold" in job.notes
    assert "data/follower-part2.js is not in the manifest; read it too" in job.notes
    assert "owner from data/account.js" in job.notes
    assert not any("like.js" in n or "headers" in n for n in job.notes)


def test_the_owner_is_the_account_with_id_username_and_email(store: SQLiteStore, ws: str) -> None:
    job = _import(store, ws, ARCHIVE)

    owner = store.get_people(ws, [job.owner_person_id])[job.owner_person_id]
    assert (owner.display_name, owner.emails, owner.is_member) == ("Nadia K.", ("owner@example.com",), True)
    keys = store.keys_of(ws, owner.id)
    assert ("x", OWNER_ID) in keys and ("x_handle", "nadia_codes") in keys


# --- follows --------------------------------------------------------------------------------------


def test_following_and_followers_link_the_owner_with_ids_kept_exact(store: SQLiteStore, ws: str) -> None:
    _import(store, ws, ARCHIVE)

    assert set(_pairs(store, ws, "follow")) == FOLLOWS and sum(_pairs(store, ws, "follow").values()) == 9
    ids = set(_x_id(store, ws).values()) - {"OWNER"}
    assert ids == OTHERS  # snowflakes > 2^53 unrounded; a bare number kept exact; a userLink-only entry
    assert "1432874569021935600" not in ids  # what a float round-trip would have made of it


def test_a_follower_who_is_also_followed_is_one_person(store: SQLiteStore, ws: str) -> None:
    _import(store, ws, ARCHIVE)
    ids = _x_id(store, ws)

    for account in ("98765432", "3141592653"):
        people = [pid for pid, x in ids.items() if x == account]
        assert len(people) == 1
        follows = _pairs(store, ws, "follow")
        assert follows[("OWNER", account)] == 1 and follows[(account, "OWNER")] == 1


# --- direct messages --------------------------------------------------------------------------------


def test_direct_messages_one_to_one_and_group(store: SQLiteStore, ws: str) -> None:
    _import(store, ws, ARCHIVE)

    assert _pairs(store, ws, "message") == MESSAGES
    times = {e.at for e in store.iter_evidence(ws) if e.kind is EvidenceKind.MESSAGE}
    assert datetime(2024, 3, 6, 18, 2, 11, 512000, tzinfo=timezone.utc) in times  # ISO with milliseconds, UTC


def test_group_messages_go_to_every_participant_the_conversation_shows() -> None:
    parsed = importers.get("x").parse(Source.from_path(ARCHIVE), ImportOptions())
    rows = {r.row: r for r in parsed.rows() if isinstance(r, ParsedRow) and r.row > 7 * M}

    assert sorted(rows) == [7 * M + 1, 7 * M + 4, 7 * M + 8]
    first = rows[7 * M + 1].records
    assert all(isinstance(link, Link) and link.ref == "1713000000000000006" for link in first)
    assert {link.source.handles for link in first} == {(("x", "777000111222333444"),)}
    assert {link.target.handles if link.target else None for link in first} == {
        None, (("x", "98765432"),), (("x", "3141592653"),),
    }
    assert {link.source for link in rows[7 * M + 4].records} == {None}  # the owner wrote it


# --- re-import, zips, variants ----------------------------------------------------------------------


def test_importing_the_archive_again_returns_the_same_job_and_changes_nothing(store: SQLiteStore, ws: str) -> None:
    first = _import(store, ws, ARCHIVE)
    before = (store.count_people(ws, None), store.count_evidence(ws), store.data_version(ws), len(store.rejects(first.id)))

    again = _import(store, ws, ARCHIVE)

    assert again.id == first.id and _counts(again) == _counts(first) == COUNTS
    assert (again.started_at, again.finished_at) == (first.started_at, first.finished_at)
    assert (store.count_people(ws, None), store.count_evidence(ws), store.data_version(ws), len(store.rejects(first.id))) == before


@pytest.mark.parametrize("layout", ["root", "macos", "windows"])
def test_zipped_archives_import_the_same_without_extracting(
    store: SQLiteStore, ws: str, tmp_path: Path, layout: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = _zip(tmp_path / "twitter-2026-03-01-5f0c1e2d.zip", layout)
    monkeypatch.setattr(zipfile.ZipFile, "extractall", lambda *a, **k: pytest.fail("extracted"))
    monkeypatch.setattr(zipfile.ZipFile, "extract", lambda *a, **k: pytest.fail("extracted"))

    assert importers.detect(Source.from_path(archive)).name == "x"
    job = _import(store, ws, archive)

    assert _counts(job) == COUNTS
    assert (store.count_people(ws, None), store.count_evidence(ws)) == (len(OTHERS) + 1, 21)
    assert _pairs(store, ws, "message") == MESSAGES
    prefix = "" if layout == "root" else f"{TOP}/"
    assert f"read {prefix}data/follower-part2.js as rows {5 * M + 1}-{6 * M - 1} (row = {5 * M} + entry number)" in job.notes
    assert "the manifest lists data/following-part2.js, which this archive does not hold" in job.notes


def test_without_a_manifest_parts_are_found_by_name_with_the_same_result(
    store: SQLiteStore, ws: str, tmp_path: Path
) -> None:
    job = _import(store, ws, _copy(tmp_path, drop=("data/manifest.js",)))

    assert _counts(job) == COUNTS
    assert "no data/manifest.js: data files found by name" in job.notes
    assert "read data/following-part1.js as rows 20000001-29999999 (row = 20000000 + entry number)" in job.notes
    assert (store.count_people(ws, None), store.count_evidence(ws)) == (len(OTHERS) + 1, 21)


def test_without_account_js_the_manifest_names_the_owner(store: SQLiteStore, ws: str, tmp_path: Path) -> None:
    job = _import(store, ws, _copy(tmp_path, drop=("data/account.js",)))

    owner = store.get_people(ws, [job.owner_person_id])[job.owner_person_id]
    assert owner.display_name == "Nadia K." and ("x", OWNER_ID) in store.keys_of(ws, owner.id)
    assert "owner from data/manifest.js userInfo" in job.notes
    assert _counts(job) == COUNTS and store.count_people(ws, None) == len(OTHERS) + 1


def test_without_account_or_manifest_the_owner_must_be_given(store: SQLiteStore, ws: str, tmp_path: Path) -> None:
    folder = _copy(tmp_path, drop=("data/account.js", "data/manifest.js"))

    with pytest.raises(MissingOwner, match="--owner"):
        _import(store, ws, folder)
    assert store.list_jobs(ws) == [] and store.count_people(ws, None) == 0

    job = _import(store, ws, folder, owner="owner@example.com")
    assert f"owner's X account id {OWNER_ID}: the id in every 1:1 conversation" in job.notes
    assert _counts(job) == COUNTS
    assert store.count_people(ws, None) == len(OTHERS) + 1  # the owner's id is the owner, not a ninth person
    assert _pairs(store, ws, "message") == MESSAGES


def test_a_truncated_part_keeps_its_readable_entries_and_rejects_the_rest(
    store: SQLiteStore, ws: str, tmp_path: Path
) -> None:
    folder = _copy(tmp_path)
    text = (folder / "data" / "following.js").read_text()
    cut = text.index('"following"', text.index('"following"', text.index('"following"') + 1) + 1)
    (folder / "data" / "following.js").write_text(text[: cut + 30])  # mid third entry

    job = _import(store, ws, folder)

    rejects = {r.row: r.reason for r in store.rejects(job.id)}
    assert "data/following.js: the rest of the file is unreadable" in rejects[M + 3]
    assert _counts(job) == (COUNTS[0], COUNTS[1] - 1, COUNTS[2] + 1, COUNTS[3])


def test_the_array_is_decoded_one_element_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = tmp_path / "following.js"
    entry = '  {\n    "following" : {\n      "accountId" : "%d",\n      "userLink" : "https://twitter.com/intent/user?user_id=%d"\n    }\n  }'
    big.write_text("window.YTD.following.part0 = [\n" + ",\n".join(entry % (i, i) for i in range(1, 20001)) + "\n]")
    member = Source.from_path(big).single
    read = [0]

    elements = x_archive.iter_array(member, read)
    assert next(elements) == {"following": {"accountId": "1", "userLink": "https://twitter.com/intent/user?user_id=1"}}
    assert read[0] < member.size / 10  # one chunk read, not the whole file
    assert sum(1 for _ in elements) == 19999

    monkeypatch.setattr(x_archive, "CHUNK", 7)  # every element straddles chunk boundaries
    assert [e["following"]["accountId"] for e in x_archive.iter_array(member)][-2:] == ["19999", "20000"]


def test_tiny_read_chunks_give_the_same_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    before = list(importers.get("x").parse(Source.from_path(ARCHIVE), ImportOptions()).rows())
    monkeypatch.setattr(x_archive, "CHUNK", 5)

    after = list(importers.get("x").parse(Source.from_path(ARCHIVE), ImportOptions()).rows())

    assert after == before and len(before) == COUNTS[0]
    assert [r.row for r in before] == sorted({r.row for r in before})  # unique, increasing


def test_an_interrupted_import_resumes_by_row_number_to_the_same_result(store: SQLiteStore, ws: str) -> None:
    def crash(done: int, total: int, job: ImportJob) -> None:
        raise RuntimeError("power cut")

    prepared = prepare_import(store, ws, ARCHIVE, batch_rows=8)
    with pytest.raises(RuntimeError):
        prepared.run(crash)
    assert store.get_job(ws, prepared.job.id).status is JobStatus.FAILED  # type: ignore[union-attr]

    job = import_file(store, ws, ARCHIVE)

    assert job.status is JobStatus.COMPLETED and _counts(job) == COUNTS
    assert (store.count_people(ws, None), store.count_evidence(ws)) == (len(OTHERS) + 1, 21)


def test_only_archives_are_x_and_a_linkedin_export_is_not(tmp_path: Path) -> None:
    lone = tmp_path / "following.js"
    shutil.copyfile(ARCHIVE / "data" / "following.js", lone)

    assert importers.get("x").sniff(Source.from_path(lone)) == 0
    assert importers.get("x").sniff(Source.from_path(LINKEDIN_EXPORT)) == 0
    assert importers.get("linkedin").sniff(Source.from_path(ARCHIVE)) == 0
