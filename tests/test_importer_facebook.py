"""Facebook "Download your information" JSON (export-formats.md §3), from tests/fixtures/facebook/.

Three exports, one per era of the friends file (``friends/friends.json`` with ``friends``,
``friends_and_followers/friends.json`` and ``connections/friends/your_friends.json`` with
``friends_v2``), each with friend requests, removed friends, a profile and Messenger threads,
all written the way Facebook writes them: every non-ASCII character as mojibake escapes
(``"Zo\\u00c3\\u00ab"``). Rows are numbered in reading order: list files (friends, sent,
received, declined, removed, follows), then each thread's parts, then their messages.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path


import pytest

import importers
from graphsvc.errors import ImportFailed, MissingOwner
from graphsvc.imports.jobs import import_file
from graphsvc.model import Channel, EvidenceKind, ImportJob, JobStatus
from graphsvc.store import SQLiteStore
from importers import Connection, ImportOptions, Link, ParsedRow, Rejected, Skipped, Source
from importers.facebook import meta_fix, meta_fix_tree

FIXTURES = Path(__file__).parent / "fixtures"
FACEBOOK = FIXTURES / "facebook"
E2024, E2021, E2019 = FACEBOOK / "export_2024", FACEBOOK / "export_2021", FACEBOOK / "export_2019"
FRIENDS_2024 = E2024 / "connections" / "friends" / "your_friends.json"
ANA_THREAD = E2024 / "your_facebook_activity" / "messages" / "inbox" / "anaruiz_10158"
FRANCOIS_THREAD = E2021 / "messages" / "inbox" / "francoislefevre_3141" / "message_1.json"
OWNER = "Olivia Okafor"


def _import(store: SQLiteStore, ws: str, path: Path, **options: str) -> ImportJob:
    return import_file(store, ws, path, options=ImportOptions(**options))


def _names(store: SQLiteStore, ws: str) -> set[str]:
    return {p.display_name for p in store.search_people(ws, None, 1000)}


def _kinds(store: SQLiteStore, ws: str) -> Counter:
    return Counter(e.kind.value for e in store.iter_evidence(ws))


def _rows(path: Path, **options: str) -> dict[int, object]:
    parsed = importers.get("facebook").parse(Source.from_path(path), ImportOptions(**options))
    return {item.row: item for item in parsed.rows()}


def _person_id(store: SQLiteStore, ws: str, name: str) -> str:
    (person,) = [p for p in store.search_people(ws, None, 1000) if p.display_name == name]
    return person.id


@dataclass(frozen=True)
class Expected:
    path: Path
    read: int
    imported: int
    rejected: dict[int, str]  # row -> a substring of the reason
    skipped: dict[int, str]
    people: frozenset[str]  # display names, owner included
    kinds: dict[str, int]  # evidence per kind


ERAS = [
    Expected(
        E2024, read=21, imported=13,
        rejected={5: "your_friends.json entry 5: no name", 6: "unreadable timestamp", 17: "message_2.json message 2: no timestamp_ms"},
        skipped={
            10: "friend request you declined", 11: "removed friend", 12: "Facebook follow",
            20: "deleted or deactivated account", 21: "join/leave notice",
        },
        people=frozenset({OWNER, "Radosław Nowak", "Ana Ruiz", "Sam Okafor", "Zoë Andersson", "Priya Raman", "Marcus O'Brien"}),
        # 4 friends; 2 requests sent + 1 received; messages: 1 + 2 (same millisecond, both kept)
        # in the 1:1 thread, 2 x 2 in the group (one link per other participant); 1 call.
        kinds={"connection": 4, "invitation": 3, "message": 7, "call": 1},
    ),
    Expected(
        E2021, read=10, imported=9, rejected={}, skipped={7: "removed friend"},
        people=frozenset({OWNER, "Ana Ruiz", "François Lefèvre", "Sam Okafor", "Priya Raman", "Marcus O'Brien", "Jürgen Müller"}),
        kinds={"connection": 3, "invitation": 3, "message": 3},
    ),
    Expected(
        E2019, read=9, imported=8, rejected={}, skipped={6: "removed friend"},
        people=frozenset({OWNER, "Ana Ruiz", "Björn Berg", "Lee Chen", "Priya Raman", "Marcus O'Brien"}),
        kinds={"connection": 3, "invitation": 2, "message": 3},
    ),
]
ERA_IDS = [e.path.name for e in ERAS]


def test_fixtures_are_written_as_facebook_writes_them() -> None:
    raw = FRIENDS_2024.read_bytes()
    assert raw.isascii() and b'"Rados\\u00c5\\u0082aw Nowak"' in raw and b'"Zo\\u00c3\\u00ab Andersson"' in raw
    assert b'"friends_v2"' in raw
    assert b'"friends":' in (E2019 / "friends" / "friends.json").read_bytes()
    assert b'"friends_v2"' in (E2021 / "friends_and_followers" / "friends.json").read_bytes()
    assert b"\\u00f0\\u009f\\u0098\\u0082" in (ANA_THREAD / "message_1.json").read_bytes()  # an emoji, as four escapes


# --- whole exports, every era: exact counts --------------------------------------------------------


@pytest.mark.parametrize("expected", ERAS, ids=ERA_IDS)
def test_each_era_imports_with_exact_rows_people_and_evidence(store: SQLiteStore, ws: str, expected: Expected) -> None:
    job = _import(store, ws, expected.path)

    assert job.status is JobStatus.COMPLETED and job.format == "facebook"
    assert (job.rows_read, job.rows_imported, job.rows_rejected, job.rows_skipped) == (
        expected.read, expected.imported, len(expected.rejected), len(expected.skipped),
    )
    assert store.count_people(ws, None) == len(expected.people)
    assert _names(store, ws) == expected.people
    assert store.count_evidence(ws) == sum(expected.kinds.values())
    assert _kinds(store, ws) == Counter(expected.kinds)
    assert all(e.channel is Channel.FACEBOOK for e in store.iter_evidence(ws))
    assert all(e.at is not None for e in store.iter_evidence(ws))
    assert store.member_ids(ws) == [job.owner_person_id]


@pytest.mark.parametrize("expected", ERAS, ids=ERA_IDS)
def test_rejected_and_skipped_rows_carry_their_row_and_reason(store: SQLiteStore, ws: str, expected: Expected) -> None:
    job = _import(store, ws, expected.path)

    rejects = store.rejects(job.id)
    assert {r.row for r in rejects if not r.skipped} == set(expected.rejected)
    assert {r.row for r in rejects if r.skipped} == set(expected.skipped)
    for r in rejects:
        wanted = expected.skipped[r.row] if r.skipped else expected.rejected[r.row]
        assert wanted in r.reason, (r.row, r.reason)


@pytest.mark.parametrize("expected", ERAS, ids=ERA_IDS)
def test_importing_the_same_export_again_changes_nothing(store: SQLiteStore, ws: str, expected: Expected) -> None:
    first = _import(store, ws, expected.path)
    before = (store.count_people(ws, None), store.count_evidence(ws), store.data_version(ws))

    again = _import(store, ws, expected.path)

    assert again.id == first.id and len(store.list_jobs(ws)) == 1
    assert (store.count_people(ws, None), store.count_evidence(ws), store.data_version(ws)) == before


def test_all_three_eras_together_merge_people_by_name(store: SQLiteStore, ws: str) -> None:
    for era in ERAS:
        _import(store, ws, era.path)

    names = set().union(*(e.people for e in ERAS))
    assert _names(store, ws) == names and store.count_people(ws, None) == len(names) == 11
    # Ana is a friend in every era: one person, and one connection (its id is the pair's).
    ana = _person_id(store, ws, "Ana Ruiz")
    assert len([e for e in store.iter_evidence(ws) if e.kind is EvidenceKind.CONNECTION and ana in (e.person_a, e.person_b)]) == 1


# --- what each record says ---------------------------------------------------------------------------


def test_friends_are_dated_connections_with_repaired_names() -> None:
    rows = _rows(E2024)
    friends = {r.records[0].person.name: r.records[0] for r in rows.values() if isinstance(r, ParsedRow) and isinstance(r.records[0], Connection)}

    assert set(friends) == {"Radosław Nowak", "Ana Ruiz", "Sam Okafor", "Zoë Andersson"}
    zoe = friends["Zoë Andersson"]
    assert (zoe.channel, zoe.direction, zoe.at) == ("facebook", "mutual", datetime(2024, 3, 9, 16, 0, tzinfo=timezone.utc))
    assert (zoe.person.first_name, zoe.person.last_name) == ("Zoë", "Andersson")


def test_friend_requests_are_invitations_whose_direction_is_who_sent_them() -> None:
    rows = _rows(E2024)
    sent, received = rows[7].records[0], rows[9].records[0]

    assert isinstance(sent, Link) and (sent.kind, sent.channel, sent.direction) == ("invitation", "facebook", "a->b")
    assert sent.source is None and sent.target.name == "Priya Raman"  # the owner sent it
    assert received.source.name == "Marcus O'Brien" and received.target is None  # the owner received it
    assert received.at == datetime(2024, 8, 30, 6, 40, tzinfo=timezone.utc)


def test_invitation_evidence_points_from_the_sender(store: SQLiteStore, ws: str) -> None:
    job = _import(store, ws, E2024)
    owner, priya, marcus = job.owner_person_id, _person_id(store, ws, "Priya Raman"), _person_id(store, ws, "Marcus O'Brien")

    invitations = {(e.person_a, e.person_b, e.direction) for e in store.iter_evidence(ws) if e.kind is EvidenceKind.INVITATION}
    assert (owner, priya, "a->b") in invitations and (marcus, owner, "a->b") in invitations


def test_removed_friends_are_skipped_not_connected(store: SQLiteStore, ws: str) -> None:
    job = _import(store, ws, E2024)

    assert "Old Pal" not in _names(store, ws)
    (removed,) = [r for r in store.rejects(job.id) if "removed_friends.json" in r.reason]
    assert removed.skipped and "friendship ended" in removed.reason


def test_messages_link_the_sender_to_every_other_participant_with_millisecond_times() -> None:
    rows = _rows(E2024)
    group = rows[18].records  # Zoë writes to the hike group: the owner and Sam

    assert {(r.source.name, r.target.name if r.target else None) for r in group} == {
        ("Zoë Andersson", None), ("Zoë Andersson", "Sam Okafor"),
    }
    assert all((r.kind, r.channel, r.direction) == ("message", "facebook", "a->b") for r in group)
    assert group[0].at == datetime(2024, 5, 6, 12, 53, 20, tzinfo=timezone.utc)  # timestamp_ms / 1000
    mine = rows[19].records
    assert {r.source for r in mine} == {None} and {r.target.name for r in mine} == {"Zoë Andersson", "Sam Okafor"}
    call = rows[16].records[0]
    assert (call.kind, call.source.name, call.target) == ("call", "Ana Ruiz", None)


def test_two_messages_in_the_same_millisecond_stay_two(store: SQLiteStore, ws: str) -> None:
    rows = _rows(E2024)
    assert rows[14].records[0].at == rows[15].records[0].at
    assert rows[14].records[0].ref != rows[15].records[0].ref

    job = _import(store, ws, E2024)
    ana = _person_id(store, ws, "Ana Ruiz")
    from_ana = [e for e in store.iter_evidence(ws) if e.kind is EvidenceKind.MESSAGE and (e.person_a, e.person_b) == (ana, job.owner_person_id)]
    assert len(from_ana) == 2


def test_a_lone_thread_and_the_whole_export_give_the_same_evidence(store: SQLiteStore, ws: str) -> None:
    _import(store, ws, FRANCOIS_THREAD, owner=OWNER)
    assert _kinds(store, ws) == Counter({"message": 2})

    _import(store, ws, E2021)

    assert _kinds(store, ws) == Counter({"connection": 3, "invitation": 3, "message": 3})


# --- the owner ---------------------------------------------------------------------------------------


def test_the_owner_comes_from_profile_information(store: SQLiteStore, ws: str) -> None:
    job = _import(store, ws, E2021)

    (owner,) = store.get_people(ws, [job.owner_person_id]).values()
    assert (owner.display_name, owner.emails) == (OWNER, ("olivia@example.com",))
    assert store.person_for_key(ws, "email", "olivia@example.com") == job.owner_person_id
    assert any("owner from profile_information/profile_information.json" in n for n in job.notes)


def test_a_lone_friends_file_needs_the_owner_and_writes_nothing_without_it(store: SQLiteStore, ws: str) -> None:
    with pytest.raises(MissingOwner, match="--owner"):
        _import(store, ws, FRIENDS_2024)
    assert store.list_jobs(ws) == [] and store.count_people(ws, None) == 0 and store.data_version(ws) == 0

    job = _import(store, ws, FRIENDS_2024, owner=OWNER)

    assert (job.rows_read, job.rows_imported, job.rows_rejected, job.rows_skipped) == (6, 4, 2, 0)
    assert store.count_people(ws, None) == 5 and _kinds(store, ws) == Counter({"connection": 4})


def test_an_export_without_its_profile_needs_the_owner(store: SQLiteStore, ws: str, tmp_path: Path) -> None:
    export = shutil.copytree(E2024, tmp_path / "export")
    shutil.rmtree(export / "personal_information")

    with pytest.raises(MissingOwner):
        _import(store, ws, export)
    assert store.list_jobs(ws) == []


def test_an_owner_given_by_email_is_found_in_threads_as_the_participant_of_every_thread(
    store: SQLiteStore, ws: str, tmp_path: Path
) -> None:
    export = shutil.copytree(E2024, tmp_path / "export")
    shutil.rmtree(export / "personal_information")

    job = _import(store, ws, export, owner="olivia@example.com")

    # Same rows as with the profile: "Olivia Okafor" takes part in both threads, so she is the owner.
    assert (job.rows_read, job.rows_imported, job.rows_rejected, job.rows_skipped) == (21, 13, 3, 5)
    assert OWNER not in _names(store, ws) and store.count_people(ws, None) == 7
    assert _kinds(store, ws) == Counter({"connection": 4, "invitation": 3, "message": 7, "call": 1})


def test_a_thread_the_owner_is_not_in_links_the_others_among_themselves(store: SQLiteStore, ws: str, tmp_path: Path) -> None:
    export = shutil.copytree(E2024, tmp_path / "export")
    thread = export / "your_facebook_activity" / "messages" / "inbox" / "zgroupyouleft_555" / "message_1.json"
    thread.parent.mkdir()
    thread.write_text(json.dumps({
        "participants": [{"name": "Ana Ruiz"}, {"name": "Sam Okafor"}],
        "messages": [{"sender_name": "Ana Ruiz", "timestamp_ms": 1716000000000, "content": "hi"}],
        "thread_path": "inbox/zgroupyouleft_555",
    }))

    job = _import(store, ws, export)

    assert (job.rows_read, job.rows_imported) == (22, 14)
    ana, sam = _person_id(store, ws, "Ana Ruiz"), _person_id(store, ws, "Sam Okafor")
    assert [(e.kind, e.direction) for e in store.iter_evidence(ws) if (e.person_a, e.person_b) == (ana, sam)] == [
        (EvidenceKind.MESSAGE, "a->b")
    ]


def test_a_lone_thread_with_an_owner_known_only_by_email_rejects_its_messages(store: SQLiteStore, ws: str) -> None:
    job = _import(store, ws, FRANCOIS_THREAD, owner="olivia@example.com")

    assert (job.rows_read, job.rows_imported, job.rows_rejected) == (2, 0, 2)
    assert all("cannot tell which participant is the export's owner" in r.reason for r in store.rejects(job.id))
    assert store.count_evidence(ws) == 0


def test_the_profile_wins_over_a_different_owner_name_and_says_so(store: SQLiteStore, ws: str) -> None:
    job = _import(store, ws, E2019, owner="Someone Else")

    assert "Someone Else" not in _names(store, ws)
    assert any("--owner 'Someone Else' ignored" in n for n in job.notes)


# --- containers ---------------------------------------------------------------------------------------


def _zip(export: Path, target: Path, layout: str) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for p in sorted(export.rglob("*")):
            if not p.is_file():
                continue
            rel = p.relative_to(export).as_posix()
            if layout == "macos":  # Finder: an extra top folder, __MACOSX/ and .DS_Store
                archive.write(p, f"facebook-olivia/{rel}")
                parent = p.relative_to(export).parent.as_posix()
                archive.writestr(f"__MACOSX/facebook-olivia/{parent}/._{p.name}", b"\x00\x05\x16\x07junk")
            elif layout == "windows":  # Compress-Archive: backslash separators
                archive.write(p, rel.replace("/", "\\"))
            else:
                archive.write(p, rel)
        if layout == "macos":
            archive.writestr("facebook-olivia/.DS_Store", b"\x00\x00\x00\x01Bud1")
    return target


@pytest.mark.parametrize("layout", ["root", "macos", "windows"])
def test_a_zipped_export_imports_like_the_folder(store: SQLiteStore, ws: str, tmp_path: Path, layout: str) -> None:
    archive = _zip(E2024, tmp_path / "facebook-olivia.zip", layout)
    assert importers.detect(Source.from_path(archive)).name == "facebook"

    job = _import(store, ws, archive)

    assert (job.rows_read, job.rows_imported, job.rows_rejected, job.rows_skipped) == (21, 13, 3, 5)
    assert _names(store, ws) == ERAS[0].people
    assert _kinds(store, ws) == Counter(ERAS[0].kinds)


def test_an_html_export_is_refused_with_advice(store: SQLiteStore, ws: str) -> None:
    with pytest.raises(ImportFailed, match="JSON format"):
        import_file(store, ws, FACEBOOK / "export_html")  # detected as Facebook, refused by parse()
    assert store.list_jobs(ws) == []


def test_a_truncated_thread_file_is_one_reject_and_the_rest_imports(store: SQLiteStore, ws: str, tmp_path: Path) -> None:
    export = shutil.copytree(E2021, tmp_path / "export")
    thread = export / "messages" / "inbox" / "francoislefevre_3141" / "message_1.json"
    thread.write_bytes(thread.read_bytes()[:200])

    job = _import(store, ws, export)

    assert (job.rows_read, job.rows_imported, job.rows_rejected, job.rows_skipped) == (9, 7, 1, 1)
    (broken,) = [r for r in store.rejects(job.id) if not r.skipped]
    assert "francoislefevre_3141/message_1.json: not readable JSON" in broken.reason


# --- mojibake ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("damaged", "repaired"),
    [
        ("Rados\u00c5\u0082aw", "Radosław"),
        ("Zo\u00c3\u00ab", "Zoë"),
        ("\u00f0\u009f\u0098\u0082", "😂"),
        ("Zoë", "Zoë"),  # already right: left alone
        ("Ana Ruiz", "Ana Ruiz"),
        ("Caf\u00c3\u00a9 \u00e2\u0080\u0094 ok", "Café — ok"),
        ("it\u00e2\u20ac\u2122s", "it’s"),  # cp1252-style damage: ftfy's part
    ],
)
def test_meta_mojibake_is_repaired_on_every_string(damaged: str, repaired: str) -> None:
    assert meta_fix(damaged) == repaired
    assert meta_fix_tree({damaged: [damaged, {"k": damaged}, 1, None]}) == {repaired: [repaired, {"k": repaired}, 1, None]}


def test_repaired_names_are_stored_not_their_mojibake(store: SQLiteStore, ws: str) -> None:
    _import(store, ws, E2024)
    names = _names(store, ws)

    assert {"Radosław Nowak", "Zoë Andersson"} <= names
    assert not any("Ã" in n or "Å" in n for n in names)
    # Zoë of the friends list and Zoë of the hike thread are one person.
    assert len([p for p in store.search_people(ws, None, 1000) if p.first_name == "Zoë"]) == 1


# --- detection ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [E2024, E2021, E2019, FRIENDS_2024, ANA_THREAD / "message_1.json", FRANCOIS_THREAD,
     E2021 / "friends_and_followers" / "received_friend_requests.json", E2019 / "profile_information" / "profile_information.json"],
    ids=lambda p: p.relative_to(FACEBOOK).as_posix(),
)
def test_facebook_files_and_exports_are_detected_by_content(tmp_path: Path, path: Path) -> None:
    if path.is_file():
        path = Path(shutil.copyfile(path, tmp_path / "renamed.txt"))
    assert importers.detect(Source.from_path(path)).name == "facebook"


# Every other format's fixture, files and folders alike (other importers' fixtures included).
OTHER_FIXTURES = sorted(
    p for d in FIXTURES.iterdir() if d.is_dir() and d.name != "facebook"
    for p in (d, *d.rglob("*")) if not p.name.startswith(".")
)


@pytest.mark.parametrize("path", OTHER_FIXTURES, ids=lambda p: p.relative_to(FIXTURES).as_posix())
def test_other_formats_files_are_not_taken_for_facebook(path: Path) -> None:
    assert importers.get("facebook").sniff(Source.from_path(path)) == 0


@pytest.mark.parametrize("folder", [FIXTURES / "instagram" / "export_2024", FIXTURES / "linkedin" / "export_folder"], ids=lambda p: p.parent.name)
def test_other_exports_are_not_taken_for_facebook(folder: Path) -> None:
    assert importers.detect(Source.from_path(folder)).name != "facebook"


@pytest.mark.parametrize(
    "document", [{"people": [{"name": "Ana", "timestamp": 1}]}, {"friends": [{"id": 7, "login": "ana"}]}], ids=["key", "entries"]
)
def test_json_that_is_not_facebook_is_not_claimed(tmp_path: Path, document: dict) -> None:
    path = tmp_path / "data.json"
    path.write_text(json.dumps(document))
    assert importers.get("facebook").sniff(Source.from_path(path)) == 0
    if "people" in document:  # forced with --format: refused, since no key is Facebook's
        with pytest.raises(ImportFailed, match="not a Facebook"):
            importers.get("facebook").parse(Source.from_path(path), ImportOptions(owner=OWNER))


def test_each_row_is_exactly_one_result() -> None:
    rows = _rows(E2024)
    assert sorted(rows) == list(range(1, 22))
    assert Counter(type(r).__name__ for r in rows.values()) == Counter({"ParsedRow": 13, "Rejected": 3, "Skipped": 5})
    assert all(isinstance(r, (ParsedRow, Rejected, Skipped)) for r in rows.values())


def test_friends_of_one_name_are_that_many_people_and_a_bare_name_elsewhere_is_left_to_the_user(
    store: SQLiteStore, ws: str, tmp_path: Path
) -> None:
    from graphsvc.identity.merging import find_duplicates

    friends = tmp_path / "your_friends.json"
    friends.write_text(json.dumps({"friends_v2": [
        {"name": "Ana Ruiz", "timestamp": 1_600_000_000}, {"name": "Bo Lind", "timestamp": 1_600_000_100},
        {"name": "ANA RUIZ", "timestamp": 1_650_000_000}, {"name": "Ana Ruiz", "timestamp": 1_700_000_000},
    ]}))
    job = _import(store, ws, friends, owner=OWNER)
    assert (job.rows_read, job.rows_imported) == (4, 4)
    # a friends list names each friend once: three Ana Ruizes (case folded), each with her own connection
    assert store.count_people(ws, None) == 5 and _kinds(store, ws) == Counter({"connection": 4})
    assert _import(store, ws, friends, owner=OWNER).id == job.id and store.count_people(ws, None) == 5  # again: nothing new
    thread = tmp_path / "anaruiz_1" / "message_1.json"
    thread.parent.mkdir()
    thread.write_text(json.dumps({"participants": [{"name": "Ana Ruiz"}, {"name": OWNER}], "messages": [
        {"sender_name": "Ana Ruiz", "timestamp_ms": 1_710_000_000_000, "content": "hi"}]}))
    _import(store, ws, thread, owner=OWNER)
    # the thread's Ana Ruiz could be any of the three: merged with none, offered as a possible duplicate of each
    assert store.count_people(ws, None) == 6
    friends_named_ana = [store.person_for_key(ws, "facebook_namesake", f"ana ruiz#{n}") for n in (1, 2, 3)]
    in_thread = store.person_for_key(ws, "name_only", "ana ruiz|facebook")
    assert None not in friends_named_ana and in_thread is not None
    pairs = {(c.a, c.b) for c in find_duplicates(store, ws)}
    assert pairs == {tuple(sorted((in_thread, friend))) for friend in friends_named_ana}  # never the friends with each other
