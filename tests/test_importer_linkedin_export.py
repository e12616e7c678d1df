"""A whole LinkedIn export (export-formats.md §1.1-§1.4): Connections, messages in every header
era, Invitations, Endorsements, Recommendations, the owner from Profile.csv, Email Addresses.csv
and Positions.csv; as a folder and as zips the way real tools re-zip it.

The fixture is tests/fixtures/linkedin_export/Complete_LinkedInDataExport_03-01-2026/, written
byte-exact; messages.csv of the other eras are in tests/fixtures/linkedin_export/messages_eras/ and
are swapped into a copy of the export. Row numbers are file index x 10,000,000 + physical line:
Connections.csv 0, messages.csv 1, Invitations.csv 2, Endorsement_Received_Info.csv 3,
Endorsement_Given_Info.csv 4, Recommendations_Received.csv 5, Recommendations_Given.csv 6.
"""

from __future__ import annotations

import shutil
import zipfile
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path


import pytest

import importers
from graphsvc.imports.jobs import import_file, prepare_import
from graphsvc.model import Channel, Evidence, EvidenceKind, ImportJob, JobStatus, Person
from graphsvc.store import SQLiteStore
from importers import ImportOptions, Link, ParsedRow, Rejected, Skipped, Source

ROOT = Path(__file__).parent / "fixtures" / "linkedin_export"
EXPORT = ROOT / "Complete_LinkedInDataExport_03-01-2026"
ERAS = ROOT / "messages_eras"
TOP = EXPORT.name
M = 10_000_000  # row stride: file index x M + physical line

OWNER = "Rosa Delgado"
PEOPLE = {
    OWNER, "Priya Raman", "Sam Okafor", "Lee Chen, PhD", "José García", "Ana Ruiz",  # owner + connections
    "Tomás Ortega",  # messages only (his FROM is mojibake in one row)
    "Ben Ode", "Maya Lin",  # invitations only
    "Dana Whitfield",  # a recommendation only (no URL anywhere)
}
BY_KIND = {"connection": 5, "message": 9, "invitation": 3, "endorsement": 5, "recommendation": 4}
#: (read, imported, rejected, skipped) for the fixture export
COUNTS = (39, 24, 6, 9)
REJECTED = {
    11: "unreadable 'Connected On' date '31 Feb 2026'",
    1 * M + 12: "unreadable DATE 'last Tuesday'",
    1 * M + 15: "a message with no recipient",
    2 * M + 5: "unreadable 'Sent At' date 'someday'",
    2 * M + 6: "unknown Direction 'SIDEWAYS'",
    4 * M + 4: "unreadable 'Endorsement Date' 'not a date'",
}
SKIPPED = {
    8: "hidden profile",
    1 * M + 8: "draft message",
    1 * M + 9: "draft message",
    1 * M + 10: "sponsored InMail",
    1 * M + 11: "'LinkedIn Member'",
    3 * M + 5: "endorsement status HIDDEN",
    3 * M + 6: "endorsement status REJECTED",
    5 * M + 5: "recommendation status HIDDEN",
    5 * M + 6: "recommendation status PENDING",
}


def _import(store: SQLiteStore, ws: str, path: Path, **options: str) -> ImportJob:
    return import_file(store, ws, path, options=ImportOptions(**options))


def _counts(job: ImportJob) -> tuple[int, int, int, int]:
    return (job.rows_read, job.rows_imported, job.rows_rejected, job.rows_skipped)


def _by_kind(store: SQLiteStore, ws: str) -> dict[str, int]:
    return dict(Counter(e.kind.value for e in store.iter_evidence(ws)))


def _people(store: SQLiteStore, ws: str) -> dict[str, Person]:
    return {p.display_name: p for p in store.search_people(ws, None, 1000)}


def _evidence(store: SQLiteStore, ws: str, kind: str) -> list[Evidence]:
    return [e for e in store.iter_evidence(ws) if e.kind.value == kind]


def _pairs(store: SQLiteStore, ws: str, kind: str, owner_id: str) -> Counter[tuple[str, str]]:
    """(from, to) display names of ``kind`` evidence, the owner as "OWNER"."""
    people = {p.id: p.display_name for p in store.search_people(ws, None, 1000)}
    people[owner_id] = "OWNER"
    return Counter((people[e.person_a], people[e.person_b or ""]) for e in _evidence(store, ws, kind))


def _assert_owner_in_every_message(store: SQLiteStore, ws: str, owner_id: str) -> None:
    """The owner is one side of every message; only the group message from Sam also links him to
    its other two recipients."""
    pairs = _pairs(store, ws, "message", owner_id)
    assert {pair for pair in pairs if "OWNER" not in pair} == {("Sam Okafor", "Priya Raman"), ("Sam Okafor", "Lee Chen, PhD")}
    assert ("Sam Okafor", "OWNER") in pairs


def _copy_export(tmp_path: Path, messages: str | None = None, drop: tuple[str, ...] = ()) -> Path:
    folder = tmp_path / TOP
    shutil.copytree(EXPORT, folder)
    if messages:
        shutil.copyfile(ERAS / messages, folder / "messages.csv")
    for name in drop:
        (folder / name).unlink()
    return folder


def _zip_export(target: Path, layout: str) -> Path:
    files = sorted(p for p in EXPORT.iterdir() if p.is_file())
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        if layout == "macos":  # Finder "Compress": an extra top folder, __MACOSX/ and .DS_Store
            archive.writestr(f"{TOP}/", b"")
            for p in files:
                archive.write(p, f"{TOP}/{p.name}")
                archive.writestr(f"__MACOSX/{TOP}/._{p.name}", b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X")
            archive.writestr(f"{TOP}/.DS_Store", b"\x00\x00\x00\x01Bud1\x00\x00\x10\x00")
        elif layout == "windows":  # Compress-Archive on old .NET: backslash separators
            for p in files:
                archive.write(p, f"{TOP}\\{p.name}")
        else:  # as LinkedIn ships it: files at the root
            for p in files:
                archive.write(p, p.name)
    return target


# --- the fixture really carries its quirks ------------------------------------------------------


def test_fixture_bytes_carry_the_quirks_of_each_file() -> None:
    def raw(name: str, folder: Path = EXPORT) -> bytes:
        return (folder / name).read_bytes()

    assert raw("Connections.csv").startswith(b"Notes:\n") and not raw("Connections.csv").endswith(b"\n")
    messages = raw("messages.csv")
    assert messages.startswith(b"CONVERSATION ID,CONVERSATION TITLE,FROM,SENDER PROFILE URL,TO,RECIPIENT PROFILE URLS,")
    assert b",ATTACHMENTS,IS MESSAGE DRAFT,IS CONVERSATION DRAFT\n" in messages
    assert b'"Kickoff notes,\nsecond line"' in messages  # a newline inside CONTENT
    assert b"Tom\xc3\x83\xc2\xa1s Ortega" in messages  # "TomÃ¡s": mojibake in FROM
    assert b"spinmail-quill-editor__spin-break" in messages and b"%FIRSTNAME%" in messages
    assert b'"https://www.linkedin.com/in/rosa-delgado,https://www.linkedin.com/in/priya-raman' in messages
    assert "9:00\u202fPM".encode() in raw("Invitations.csv")
    assert b",www.linkedin.com/in/priya-raman-4b1c2a,ACCEPTED" in raw("Endorsement_Received_Info.csv")
    assert b'"Rosa built our partner community from zero.\nShe ships' in raw("Recommendations_Received.csv")
    positions = raw("Positions.csv")
    assert positions.startswith(b"\xef\xbb\xbfCompany Name,") and positions.count(b"\r\n") == positions.count(b"\n") == 4
    assert raw("messages_2022.csv", ERAS).startswith(b"CONVERSATION ID,CONVERSATION TITLE,FROM,SENDER PROFILE URL,TO,DATE,")
    assert raw("messages_2023.csv", ERAS).startswith(b"CONVERSATION ID,CONVERSATION TITLE,FROM,SENDER PROFILE URL,TO,RECIPIENT PROFILE URLS,DATE,SUBJECT,CONTENT,FOLDER\n")
    assert b",FOLDER,IS MESSAGE DRAFT\n" in raw("messages_2025_draft_flag_only.csv", ERAS)
    quoted = raw("messages_2026_quoted.csv", ERAS)
    assert quoted.startswith(b'"CONVERSATION ID","CONVERSATION TITLE","FROM"') and not quoted.endswith(b"\n")
    assert b'"Agenda for Thursday:\n1. ""Partner"" tiers\n2. Budget, travel"' in quoted


# --- the whole export: exact counts -------------------------------------------------------------


def test_whole_export_imports_every_file_with_exact_counts(store: SQLiteStore, ws: str) -> None:
    job = _import(store, ws, EXPORT)

    assert job.status is JobStatus.COMPLETED and job.format == "linkedin"
    assert _counts(job) == COUNTS
    assert job.rows_read == job.rows_imported + job.rows_rejected + job.rows_skipped
    assert store.count_people(ws, None) == len(PEOPLE)
    assert set(_people(store, ws)) == PEOPLE
    assert store.count_evidence(ws) == sum(BY_KIND.values()) == 26
    assert _by_kind(store, ws) == BY_KIND
    assert {e.channel for e in store.iter_evidence(ws)} == {Channel.LINKEDIN}
    for e in store.iter_evidence(ws):  # every record carries channel, kind, timestamp and direction
        assert e.at is not None and e.at.tzinfo is not None
        assert e.direction == ("mutual" if e.kind is EvidenceKind.CONNECTION else "a->b")
        if e.kind not in (EvidenceKind.CONNECTION, EvidenceKind.MESSAGE):
            assert job.owner_person_id in (e.person_a, e.person_b)  # the owner is one side of each
    _assert_owner_in_every_message(store, ws, job.owner_person_id)
    assert store.member_ids(ws) == [job.owner_person_id]


def test_rejected_and_skipped_rows_are_reported_with_file_row_and_reason(store: SQLiteStore, ws: str) -> None:
    job = _import(store, ws, EXPORT)
    rejects = store.rejects(job.id)

    assert {r.row: r.reason for r in rejects if not r.skipped}.keys() == REJECTED.keys()
    assert {r.row for r in rejects if r.skipped} == set(SKIPPED)
    for r in rejects:
        expected = SKIPPED[r.row] if r.skipped else REJECTED[r.row]
        assert expected in r.reason, (r.row, r.reason)


def test_notes_say_which_row_range_is_which_file(store: SQLiteStore, ws: str) -> None:
    job = _import(store, ws, EXPORT)

    assert job.notes[0] == "read Connections.csv"  # index 0: rows are its physical lines
    for index, name in enumerate(
        ["messages.csv", "Invitations.csv", "Endorsement_Received_Info.csv", "Endorsement_Given_Info.csv",
         "Recommendations_Received.csv", "Recommendations_Given.csv"], start=1,
    ):
        assert f"read {name} as rows {index * M + 1}-{index * M + M - 1} (row = {index * M} + line)" in job.notes
    assert not any("guide_messages" in n or "Company Follows" in n for n in job.notes)


def test_rows_stream_in_increasing_unique_order_one_per_data_row() -> None:
    parsed = importers.get("linkedin").parse(Source.from_path(EXPORT), ImportOptions())
    rows = [r.row for r in parsed.rows()]

    assert rows == sorted(set(rows)) and len(rows) == COUNTS[0]
    per_file = Counter(r // M for r in rows)
    assert per_file == {0: 7, 1: 13, 2: 5, 3: 5, 4: 3, 5: 4, 6: 2}
    assert 1 * M + 5 not in rows  # line 5 of messages.csv is the rest of the multi-line row 4
    assert 5 * M + 3 not in rows  # line 3 of Recommendations_Received.csv: the rest of row 2


def test_owner_comes_from_profile_emails_positions_and_the_invitations_url(store: SQLiteStore, ws: str) -> None:
    job = _import(store, ws, EXPORT)

    owner = store.get_people(ws, [job.owner_person_id])[job.owner_person_id]
    assert owner.display_name == OWNER and owner.is_member
    assert owner.emails == ("rosa@delgado.example", "rosa.old@example.org")  # primary first
    assert (owner.organization, owner.title) == ("Litware", "Head of Community")  # current position, not headline
    assert owner.linkedin_url == "https://www.linkedin.com/in/rosa-delgado"
    assert "owner from Profile.csv and Email Addresses.csv" in job.notes
    assert "owner's current position from Positions.csv: Head of Community at Litware" in job.notes
    assert "owner's past companies from Positions.csv: Contoso, Tailspin Toys" in job.notes
    assert "owner's LinkedIn profile: rosa-delgado (from Invitations.csv)" in job.notes


def test_the_owner_option_wins_and_messages_still_find_the_owner_by_url(store: SQLiteStore, ws: str) -> None:
    job = _import(store, ws, EXPORT, owner="rosa@delgado.example")

    owner = store.get_people(ws, [job.owner_person_id])[job.owner_person_id]
    assert (owner.display_name, owner.organization) == ("rosa@delgado.example", "")  # Profile.csv not read
    assert _counts(job) == COUNTS
    assert store.count_people(ws, None) == len(PEOPLE)  # nobody else became "Rosa Delgado"
    _assert_owner_in_every_message(store, ws, job.owner_person_id)


# --- messages ---------------------------------------------------------------------------------


def test_messages_link_sender_to_each_recipient_with_the_owner_on_one_side(store: SQLiteStore, ws: str) -> None:
    job = _import(store, ws, EXPORT)

    assert _pairs(store, ws, "message", job.owner_person_id) == Counter({
        ("Priya Raman", "OWNER"): 1, ("OWNER", "Priya Raman"): 1,
        ("Sam Okafor", "OWNER"): 1, ("Sam Okafor", "Priya Raman"): 1, ("Sam Okafor", "Lee Chen, PhD"): 1,  # group
        ("OWNER", "Tomás Ortega"): 1, ("Tomás Ortega", "OWNER"): 1,
        ("Ana Ruiz", "OWNER"): 1, ("José García", "OWNER"): 1,
    })
    times = {e.at for e in _evidence(store, ws, "message")}
    assert datetime(2025, 6, 1, 14, 3, 22, tzinfo=timezone.utc) in times
    assert datetime(2025, 6, 5, 9, 0, tzinfo=timezone.utc) in times  # "HH:MM UTC", no seconds
    assert sum(e.at == datetime(2025, 6, 3, 9, 0, tzinfo=timezone.utc) for e in _evidence(store, ws, "message")) == 3


def test_a_person_seen_in_messages_and_connections_is_one_person(store: SQLiteStore, ws: str) -> None:
    job = _import(store, ws, EXPORT)
    people = _people(store, ws)

    priya = people["Priya Raman"]
    rows = {s.row for s in store.sightings(ws, priya.id) if s.job_id == job.id}
    assert {5, M + 2, M + 3, M + 4, 3 * M + 2, 3 * M + 3, 5 * M + 2} <= rows  # connection, messages, endorsements, rec
    assert [p for p in people.values() if "priya" in p.display_name.lower()] == [priya]
    assert people["Tomás Ortega"].linkedin_url == "https://www.linkedin.com/in/tomasortega"  # mojibake repaired


def test_drafts_sponsored_inmail_and_linkedin_member_senders_never_become_people(store: SQLiteStore, ws: str) -> None:
    _import(store, ws, EXPORT)

    names = set(_people(store, ws))
    assert not names & {"Contoso Recruiting", "LinkedIn Member"}
    parsed = importers.get("linkedin").parse(Source.from_path(EXPORT), ImportOptions())
    skipped = {r.row: r.reason for r in parsed.rows() if isinstance(r, Skipped) and M <= r.row < 2 * M}
    assert skipped == {
        M + 8: "draft message: never sent",
        M + 9: "draft message: never sent",
        M + 10: "sponsored InMail: no sender profile",
        M + 11: "sender is 'LinkedIn Member': a hidden profile without a URL",
    }


ERA_CASES = {
    # file: (rows, imported, rejected, skipped, message evidence, people, message pairs)
    "messages_2022.csv": (5, 4, 0, 1, 7, len(PEOPLE) - 1 + 2, {
        ("Priya Raman", "OWNER"): 1, ("OWNER", "Priya Raman"): 1,
        ("Sam Okafor", "OWNER"): 1, ("Sam Okafor", "Priya Raman"): 1, ("Sam Okafor", "Lee Chen, PhD"): 1,
        ("OWNER", "Nora Quist"): 1, ("OWNER", "Ivo Petrov, MBA"): 1,
    }),
    "messages_2023.csv": (3, 3, 0, 0, 3, len(PEOPLE) - 1, {
        ("Priya Raman", "OWNER"): 1, ("OWNER", "Lee Chen, PhD"): 1, ("Ana Ruiz", "OWNER"): 1,
    }),
    "messages_2025_draft_flag_only.csv": (3, 2, 0, 1, 2, len(PEOPLE) - 1, {
        ("OWNER", "Sam Okafor"): 1, ("Sam Okafor", "OWNER"): 1,
    }),
    "messages_2026_quoted.csv": (4, 3, 0, 1, 5, len(PEOPLE) - 1, {
        ("Priya Raman", "OWNER"): 1, ("OWNER", "Priya Raman"): 1,
        ("OWNER", "Sam Okafor"): 1, ("OWNER", "Lee Chen, PhD"): 1, ("OWNER", "José García"): 1,
    }),
}
#: the other six files of the fixture, unchanged when messages.csv is swapped
OTHERS = (COUNTS[0] - 13, COUNTS[1] - 7, COUNTS[2] - 2, COUNTS[3] - 4)


@pytest.mark.parametrize("era", sorted(ERA_CASES))
def test_every_messages_header_era_imports_with_exact_counts(
    store: SQLiteStore, ws: str, tmp_path: Path, era: str
) -> None:
    rows, imported, rejected, skipped, evidence, people, pairs = ERA_CASES[era]

    job = _import(store, ws, _copy_export(tmp_path, messages=era))

    assert _counts(job) == (OTHERS[0] + rows, OTHERS[1] + imported, OTHERS[2] + rejected, OTHERS[3] + skipped)
    assert len(_evidence(store, ws, "message")) == evidence
    assert store.count_evidence(ws) == sum(BY_KIND.values()) - BY_KIND["message"] + evidence
    assert store.count_people(ws, None) == people
    assert _pairs(store, ws, "message", job.owner_person_id) == Counter(pairs)


def test_old_era_recipients_by_name_resolve_to_the_connections_with_that_name(
    store: SQLiteStore, ws: str, tmp_path: Path
) -> None:
    # 2022 messages carry no recipient URL: "Rosa Delgado, Priya Raman, Lee Chen, PhD" is split into
    # names known from Connections.csv, whose URLs make them the same people.
    _import(store, ws, _copy_export(tmp_path, messages="messages_2022.csv"))
    people = _people(store, ws)

    assert people["Lee Chen, PhD"].linkedin_url == "https://www.linkedin.com/in/leechen"
    assert people["Nora Quist"].linkedin_url == "" and "Ivo Petrov, MBA" in people  # unknown: a credential kept


def test_multi_line_quoted_content_keeps_rows_whole_in_the_2026_era(tmp_path: Path) -> None:
    folder = _copy_export(tmp_path, messages="messages_2026_quoted.csv")
    parsed = importers.get("linkedin").parse(Source.from_path(folder), ImportOptions())
    messages = {r.row - M: r for r in parsed.rows() if M <= r.row < 2 * M}

    assert sorted(messages) == [2, 5, 8, 9]  # rows start on lines 2, 5, 8 and 9 (10 is the end of 9)
    group = messages[8]
    assert isinstance(group, ParsedRow) and len(group.records) == 3
    assert all(isinstance(link, Link) and link.source is None for link in group.records)
    assert [link.target.linkedin_url.rsplit("/", 1)[1] for link in group.records] == ["samokafor", "leechen", "jose-garcia"]
    assert isinstance(messages[9], Skipped) and "sponsored" in messages[9].reason


def test_without_invitations_the_owner_url_is_the_one_sending_under_the_profile_name(
    store: SQLiteStore, ws: str, tmp_path: Path
) -> None:
    job = _import(store, ws, _copy_export(tmp_path, drop=("Invitations.csv",)))

    owner = store.get_people(ws, [job.owner_person_id])[job.owner_person_id]
    assert owner.linkedin_url == "https://www.linkedin.com/in/rosa-delgado"
    assert "owner's LinkedIn profile: rosa-delgado (from messages.csv senders named as the owner)" in job.notes
    assert len(_evidence(store, ws, "message")) == BY_KIND["message"]
    _assert_owner_in_every_message(store, ws, job.owner_person_id)


def test_without_profile_name_or_invitations_the_owner_is_the_url_in_every_message(
    store: SQLiteStore, ws: str, tmp_path: Path
) -> None:
    job = _import(store, ws, _copy_export(tmp_path, drop=("Invitations.csv",)), owner="rosa@delgado.example")

    assert "owner's LinkedIn profile: rosa-delgado (from the one profile URL present in every message)" in job.notes
    _assert_owner_in_every_message(store, ws, job.owner_person_id)
    assert store.count_people(ws, None) == len(PEOPLE) - 2  # no Ben or Maya (invitations), no second Rosa


# --- invitations, endorsements, recommendations ----------------------------------------------------


def test_invitations_take_their_direction_and_us_style_dates(store: SQLiteStore, ws: str) -> None:
    job = _import(store, ws, EXPORT)

    assert _pairs(store, ws, "invitation", job.owner_person_id) == Counter(
        {("OWNER", "Ben Ode"): 1, ("Ana Ruiz", "OWNER"): 1, ("OWNER", "Maya Lin"): 1}
    )
    at = {(e.person_b == job.owner_person_id, e.at) for e in _evidence(store, ws, "invitation")}
    assert at == {
        (False, datetime(2026, 1, 29, 14, 37, tzinfo=timezone.utc)),
        (True, datetime(2025, 12, 3, 10, 5, tzinfo=timezone.utc)),
        (False, datetime(2025, 11, 30, 21, 0, tzinfo=timezone.utc)),  # "9:00\u202fPM"
    }


def test_endorsements_given_and_received_with_urls_without_scheme(store: SQLiteStore, ws: str) -> None:
    job = _import(store, ws, EXPORT)
    people = _people(store, ws)

    assert _pairs(store, ws, "endorsement", job.owner_person_id) == Counter({
        ("Priya Raman", "OWNER"): 2,  # two skills on the same day: two endorsements
        ("Lee Chen, PhD", "OWNER"): 1,  # PENDING still counts
        ("OWNER", "Sam Okafor"): 1, ("OWNER", "José García"): 1,
    })
    assert store.keys_of(ws, people["Priya Raman"].id).count(("linkedin", "priya-raman-4b1c2a")) == 1
    assert not {"Hana Hidden", "Rex Rejected"} & set(people)


def test_visible_recommendations_are_matched_to_people_by_name(store: SQLiteStore, ws: str) -> None:
    job = _import(store, ws, EXPORT)
    people = _people(store, ws)

    assert _pairs(store, ws, "recommendation", job.owner_person_id) == Counter({
        ("Priya Raman", "OWNER"): 1, ("Dana Whitfield", "OWNER"): 1,
        ("OWNER", "Sam Okafor"): 1, ("OWNER", "Lee Chen, PhD"): 1,
    })
    lee_rows = {s.row for s in store.sightings(ws, people["Lee Chen, PhD"].id)}
    assert {7, 6 * M + 3} <= lee_rows  # the recommendation row resolved to the connection
    assert (people["Dana Whitfield"].organization, people["Dana Whitfield"].linkedin_url) == ("Fabrikam", "")
    assert not {"Kofi Mensah", "Zoe Adams"} & set(people)


# --- re-import, zips, resume ------------------------------------------------------------------------


def test_importing_the_export_again_returns_the_same_job_and_changes_nothing(store: SQLiteStore, ws: str) -> None:
    first = _import(store, ws, EXPORT)
    before = (store.count_people(ws, None), store.count_evidence(ws), store.data_version(ws), len(store.rejects(first.id)))

    again = _import(store, ws, EXPORT)

    assert again.id == first.id and _counts(again) == _counts(first) == COUNTS
    assert (again.started_at, again.finished_at) == (first.started_at, first.finished_at)
    assert (store.count_people(ws, None), store.count_evidence(ws), store.data_version(ws), len(store.rejects(first.id))) == before


@pytest.mark.parametrize("layout", ["root", "macos", "windows"])
def test_zipped_exports_import_the_same_without_extracting(
    store: SQLiteStore, ws: str, tmp_path: Path, layout: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = _zip_export(tmp_path / "Complete_LinkedInDataExport_03-01-2026.zip", layout)
    monkeypatch.setattr(zipfile.ZipFile, "extractall", lambda *a, **k: pytest.fail("extracted"))
    monkeypatch.setattr(zipfile.ZipFile, "extract", lambda *a, **k: pytest.fail("extracted"))

    assert importers.detect(Source.from_path(archive)).name == "linkedin"
    job = _import(store, ws, archive)

    assert _counts(job) == COUNTS
    assert store.count_people(ws, None) == len(PEOPLE)
    assert _by_kind(store, ws) == BY_KIND
    prefix = "" if layout == "root" else f"{TOP}/"
    assert job.notes[0] == f"read {prefix}Connections.csv"
    assert f"read {prefix}messages.csv as rows {M + 1}-{2 * M - 1} (row = {M} + line)" in job.notes


def test_the_folder_and_the_zip_of_its_files_are_one_job(store: SQLiteStore, ws: str, tmp_path: Path) -> None:
    folder_job = _import(store, ws, EXPORT)
    version = store.data_version(ws)

    zip_job = _import(store, ws, _zip_export(tmp_path / "export.zip", "root"))  # same member paths and bytes

    assert zip_job.id == folder_job.id and store.data_version(ws) == version
    top_job = _import(store, ws, _zip_export(tmp_path / "export_top.zip", "macos"))  # other paths: another job
    assert top_job.id != folder_job.id and top_job.owner_person_id == folder_job.owner_person_id
    assert (store.count_people(ws, None), store.count_evidence(ws)) == (len(PEOPLE), 26)  # the same graph


def test_an_interrupted_import_resumes_by_row_number_to_the_same_result(store: SQLiteStore, ws: str) -> None:
    batches = []

    def crash_after_two_batches(done: int, total: int, job: ImportJob) -> None:
        batches.append(job.checkpoint_row)
        if len(batches) == 2:
            raise RuntimeError("power cut")

    prepared = prepare_import(store, ws, EXPORT, batch_rows=10)
    with pytest.raises(RuntimeError, match="power cut"):
        prepared.run(crash_after_two_batches)
    failed = store.get_job(ws, prepared.job.id)
    assert failed is not None and failed.status is JobStatus.FAILED
    assert failed.checkpoint_row == batches[1] and M < failed.checkpoint_row < 3 * M

    job = import_file(store, ws, EXPORT)

    assert job.id == failed.id and job.status is JobStatus.COMPLETED
    assert _counts(job) == COUNTS
    assert store.count_people(ws, None) == len(PEOPLE) and _by_kind(store, ws) == BY_KIND
    assert len(store.rejects(job.id)) == len(REJECTED) + len(SKIPPED)


def test_an_export_without_connections_csv_still_imports_its_other_files(
    store: SQLiteStore, ws: str, tmp_path: Path
) -> None:
    folder = _copy_export(tmp_path, drop=("Connections.csv",))
    assert importers.detect(Source.from_path(folder)).name == "linkedin"

    job = _import(store, ws, folder)

    assert _counts(job) == (COUNTS[0] - 7, COUNTS[1] - 5, COUNTS[2] - 1, COUNTS[3] - 1)
    assert "connection" not in _by_kind(store, ws)
    assert _by_kind(store, ws)["message"] == BY_KIND["message"]
    assert not any(n.startswith("read Connections.csv") for n in job.notes)


def test_parsed_links_carry_kind_channel_direction_and_owner_as_none() -> None:
    parsed = importers.get("linkedin").parse(Source.from_path(EXPORT), ImportOptions())
    links = [rec for r in parsed.rows() if isinstance(r, ParsedRow) for rec in r.records if isinstance(rec, Link)]

    assert Counter(link.kind for link in links) == {k: v for k, v in BY_KIND.items() if k != "connection"}
    assert {link.channel for link in links} == {"linkedin"} and {link.direction for link in links} == {"a->b"}
    assert all((link.source is None) != (link.target is None) or link.kind == "message" for link in links)
    assert sum(link.source is not None and link.target is not None for link in links) == 2  # Sam -> Priya, Lee
    refs = {link.ref for link in links if link.kind == "message"}
    assert len(refs) == 7 and all(ref.startswith("2-") and "#" in ref for ref in refs)  # 7 messages, 9 links
    assert {link.ref for link in links if link.kind == "endorsement"} == {"Public Speaking", "Partnerships", "Python", "Negotiation", "Design"}
    assert not any(isinstance(r, Rejected) and r.row >= 7 * M for r in parsed.rows())


def test_of_several_current_positions_the_latest_started_is_the_owners(tmp_path: Path) -> None:
    folder = _copy_export(tmp_path)
    (folder / "Positions.csv").write_text(
        "Company Name,Title,Description,Location,Started On,Finished On\n"
        "Okafor Ventures,Board Member,,,,\n"  # current, undated
        "Litware,Head of Community,,,Jan 2024,\n"
        "Contoso,Developer Advocate,,,Mar 2020,Dec 2023\n"
    )

    parsed = importers.get("linkedin").parse(Source.from_path(folder), ImportOptions())

    assert parsed.owner is not None
    assert (parsed.owner.organization, parsed.owner.title) == ("Litware", "Head of Community")
    assert "owner's past companies from Positions.csv: Contoso" in parsed.notes
