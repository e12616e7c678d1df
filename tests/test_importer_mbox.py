"""Email in mbox files (export-formats.md §8), from tests/fixtures/mbox/.

Each mailbox goes through ``graphsvc.imports.jobs.import_file`` into a fresh SQLite store; counts are
exact, and a message's row number is the physical line of its ``From `` separator.
"""

from __future__ import annotations

import shutil
import time
import tracemalloc
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path


import pytest

import importers
from graphsvc.errors import MissingOwner
from graphsvc.imports.jobs import import_file
from graphsvc.model import Channel, EvidenceKind, ImportJob, JobStatus
from graphsvc.store import SQLiteStore
from importers import ImportOptions, Link, ParsedRow, Source

FIXTURES = Path(__file__).parent / "fixtures" / "mbox"
TAKEOUT = FIXTURES / "gmail_takeout_all_mail.mbox"
THUNDERBIRD = FIXTURES / "thunderbird_Inbox"
APPLE = FIXTURES / "apple_mail_export"
OWNER = "grace@northwind.example"
UTC = timezone.utc


def _import(store: SQLiteStore, ws: str, path: Path, owner: str | None = OWNER) -> ImportJob:
    return import_file(store, ws, path, options=ImportOptions(owner=owner))


def _rows(path: Path, owner: str = OWNER) -> dict[int, object]:
    parsed = importers.get("mbox").parse(Source.from_path(path), ImportOptions(owner=owner))
    return {item.row: (item.records if isinstance(item, ParsedRow) else item) for item in parsed.rows()}


def _people(store: SQLiteStore, ws: str) -> set[str]:
    return {p.display_name for p in store.search_people(ws, None, 1000)}


TAKEOUT_SKIPPED = {
    31: "labelled Spam",
    43: "labelled Trash",
    55: "a mailing list message (List-Id)",
    70: "bulk mail (Precedence: bulk)",
    83: "a no-reply sender (no-reply@accounts.example)",
    95: "the owner neither sent nor received this message",
    168: "a draft, never sent",
    192: "a message to oneself",
    204: "an automatic message (Auto-Submitted: auto-replied)",
    217: "a mass mailing (60 recipients)",
}
TAKEOUT_REJECTED = {134: "no readable sender address (From)", 156: "no readable date (Date header or 'From ' line)"}


@dataclass(frozen=True)
class Expected:
    path: Path
    read: int
    imported: int
    rejected: dict[int, str]
    skipped: dict[int, str]
    people: frozenset[str]
    messages: int


CASES = [
    Expected(
        TAKEOUT, read=20, imported=8, rejected=TAKEOUT_REJECTED, skipped=TAKEOUT_SKIPPED,
        people=frozenset({
            OWNER, "Sam Okafor", "Lee Chen", "Tomás O’Neil", "Priya Raman", "Marcus O'Brien", "Ana Ruiz", "Bob Marsh",
            "Carla Mendes", "Zoë Ångström",
        }),
        messages=2 + 1 + 3 + 2 + 1 + 1 + 1 + 1,
    ),
    Expected(THUNDERBIRD, read=3, imported=3, rejected={}, skipped={}, people=frozenset({OWNER, "Lee Chen", "Priya Raman"}), messages=3),
    Expected(APPLE, read=3, imported=3, rejected={}, skipped={}, people=frozenset({OWNER, "Ana Ruiz", "Frank Ng"}), messages=4),
]
IDS = [c.path.name for c in CASES]


# --- whole-file imports: exact counts ------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_each_mailbox_imports_with_exact_rows_people_and_evidence(store: SQLiteStore, ws: str, case: Expected) -> None:
    job = _import(store, ws, case.path)

    assert job.status is JobStatus.COMPLETED and job.format == "mbox"
    assert (job.rows_read, job.rows_imported, job.rows_rejected, job.rows_skipped) == (
        case.read, case.imported, len(case.rejected), len(case.skipped),
    )
    assert store.count_people(ws, None) == len(case.people)
    assert _people(store, ws) == case.people
    assert store.count_evidence(ws) == case.messages
    for e in store.iter_evidence(ws):
        assert (e.kind, e.channel, e.direction) == (EvidenceKind.MESSAGE, Channel.EMAIL, "a->b")
        assert e.at is not None and e.person_b is not None
    (owner,) = store.member_ids(ws)
    assert store.get_people(ws, [owner])[owner].emails == (OWNER,)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_rejected_and_skipped_messages_are_reported_by_the_line_of_their_separator(
    store: SQLiteStore, ws: str, case: Expected
) -> None:
    job = _import(store, ws, case.path)

    found = {r.row: (r.reason, r.skipped) for r in store.rejects(job.id)}
    assert found == {
        **{row: (reason, False) for row, reason in case.rejected.items()},
        **{row: (reason, True) for row, reason in case.skipped.items()},
    }
    lines = TAKEOUT.read_bytes().split(b"\r\n")
    assert all(lines[row - 1].startswith(b"From ") for row in (*TAKEOUT_SKIPPED, *TAKEOUT_REJECTED))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_importing_the_same_mailbox_again_changes_nothing(store: SQLiteStore, ws: str, case: Expected) -> None:
    first = _import(store, ws, case.path)
    before = (store.count_people(ws, None), store.count_evidence(ws), store.data_version(ws))

    again = _import(store, ws, case.path)

    assert again.id == first.id and again.finished_at == first.finished_at
    assert (store.count_people(ws, None), store.count_evidence(ws), store.data_version(ws)) == before


# --- what a message is -----------------------------------------------------------------------------


def test_a_sent_message_links_the_owner_to_every_recipient() -> None:
    sam, lee = _rows(TAKEOUT)[1]

    assert isinstance(sam, Link) and sam.source is None
    assert (sam.kind, sam.channel, sam.direction, sam.ref) == ("message", "email", "a->b", "m1@mail.gmail.com")
    assert sam.at == datetime(2024, 3, 5, 22, 2, 11, tzinfo=UTC)  # -0800 (PST) to UTC
    assert (sam.target.name, sam.target.emails) == ("Sam Okafor", ("sam@example.com",))
    assert (lee.target.name, lee.target.first_name, lee.target.last_name) == ("Lee Chen", "Lee", "Chen")  # "Chen, Lee" in Cc


def test_a_received_message_links_the_sender_to_the_owner_and_to_the_other_recipients() -> None:
    rows = _rows(TAKEOUT)
    (tomas,) = rows[15]
    assert tomas.target is None and tomas.source.name == "Tomás O’Neil"  # an RFC 2047 encoded word
    to_owner, to_lee, to_marcus = rows[107]  # To folded over two lines, '"Hollis, Grace"' quoted comma
    assert to_owner.target is None
    assert (to_lee.target.emails, to_marcus.target.emails) == (("lee@example.com",), ("marcus@example.com",))
    assert {link.source.emails for link in rows[107]} == {("priya@example.org",)}
    (zoe,) = rows[300]
    assert zoe.source.name == "Zoë Ångström"  # raw UTF-8 in the header


def test_bcc_aliases_sent_labels_and_missing_dates_are_understood() -> None:
    rows = _rows(TAKEOUT)
    to_bob, to_owner = rows[121]  # the owner only in Delivered-To: a Bcc
    assert (to_bob.target.emails, to_owner.target) == (("bob@example.com",), None)
    (carla,) = rows[180]  # From an alias, labelled Sent: the owner wrote it
    assert carla.source is None and carla.target.emails == ("carla@example.com",)
    (lee,) = rows[145]  # no Date header: the separator's date
    assert lee.at == datetime(2024, 3, 10, 18, 20, tzinfo=UTC)
    (sam,) = rows[288]  # Gmail chat messages are messages too
    assert sam.source.emails == ("sam@example.com",)


def test_several_owner_addresses_are_one_owner(store: SQLiteStore, ws: str) -> None:
    job = _import(store, ws, TAKEOUT, owner=f"{OWNER}, grace.hollis@gmail.example")
    assert job.rows_imported == 8
    (owner,) = store.member_ids(ws)
    assert store.get_people(ws, [owner])[owner].emails == (OWNER, "grace.hollis@gmail.example")


def test_separators_bodies_and_message_ids() -> None:
    rows = _rows(THUNDERBIRD)
    assert sorted(rows) == [1, 13, 21]  # 'From 9:00 to 10:00' in a body is no separator; 'From - <date>' without a blank line is
    (no_id,) = rows[13]
    assert no_id.ref.startswith("sha256:") and len(no_id.ref) == 39  # no Message-ID: a stable hash of the headers
    assert _rows(THUNDERBIRD)[13][0].ref == no_id.ref
    body = TAKEOUT.read_bytes()
    assert b"\r\n>From here on" in body and b"\r\n\r\nFrom the start," in body  # escaped and unescaped body lines


def test_an_apple_mail_export_reads_every_mailbox_with_rows_running_on(store: SQLiteStore, ws: str) -> None:
    rows = _rows(APPLE)
    assert sorted(rows) == [1, 9, 18]  # Personal.mbox/mbox (8 lines), then Work.mbox/mbox
    job = _import(store, ws, APPLE)
    assert job.notes == ["read Personal.mbox/mbox", "read Work.mbox/mbox", "row numbers run on from one mailbox file to the next, in name order"]


# --- the owner ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("owner", [None, "Grace Hollis"])
def test_a_mailbox_needs_its_owners_address_and_writes_nothing_without_it(store: SQLiteStore, ws: str, owner: str | None) -> None:
    with pytest.raises(MissingOwner, match="--owner"):
        _import(store, ws, TAKEOUT, owner=owner)
    assert store.list_jobs(ws) == [] and store.count_people(ws, None) == 0


# --- zips and detection -------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["flat", "macos", "windows"])
def test_a_takeout_zip_imports_like_the_mbox_whatever_its_layout(store: SQLiteStore, ws: str, tmp_path: Path, layout: str) -> None:
    archive = tmp_path / "takeout-20240315T000000Z-001.zip"
    name = "All mail Including Spam and Trash.mbox"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        if layout == "flat":
            z.write(TAKEOUT, name)
        elif layout == "macos":
            z.write(TAKEOUT, f"Takeout/Mail/{name}")
            z.writestr(f"__MACOSX/Takeout/Mail/._{name}", b"\x00\x05\x16\x07From junk")
            z.writestr("Takeout/.DS_Store", b"\x00\x00\x00\x01Bud1")
        else:
            z.write(TAKEOUT, f"Takeout\\Mail\\{name}")
        z.writestr("Takeout/archive_browser.html", "<html>Mail</html>")
        z.writestr("Takeout/Mail/User Settings/Signatures.json", "{}")
    assert importers.detect(Source.from_path(archive)).name == "mbox"

    job = _import(store, ws, archive)

    assert (job.rows_read, job.rows_imported, job.rows_rejected, job.rows_skipped) == (20, 8, 2, 10)
    assert store.count_evidence(ws) == CASES[0].messages
    assert sorted(r.row for r in store.rejects(job.id)) == sorted({**TAKEOUT_SKIPPED, **TAKEOUT_REJECTED})


@pytest.mark.parametrize("path", [TAKEOUT, THUNDERBIRD, APPLE / "Work.mbox" / "mbox"], ids=lambda p: p.name)
def test_mailboxes_are_detected_by_content_whatever_they_are_called(tmp_path: Path, path: Path) -> None:
    copy = tmp_path / "mail.txt"
    shutil.copyfile(path, copy)
    assert importers.detect(Source.from_path(copy)).name == "mbox"
    assert importers.detect(Source.from_path(APPLE)).name == "mbox"


# --- streaming -------------------------------------------------------------------------------------


def _generate(path: Path, messages: int, body_lines: int, listed_every: int = 0, width: int = 1) -> int:
    text = "a body line that is streamed past and never kept in memory, not even briefly. " * width
    body = "".join(f"{i} {text}\n" for i in range(body_lines))
    with path.open("w", newline="") as out:
        for i in range(messages):
            listed = "List-Id: <announce.example.org>\n" if listed_every and i % listed_every else ""
            out.write(
                f"From m{i}@xxx Tue Mar 05 22:02:11 +0000 2024\n{listed}Message-ID: <m{i}@example.org>\n"
                f"Date: Tue, 5 Mar 2024 14:{i % 60:02d}:11 -0800\nFrom: Person {i % 41} <p{i % 41}@example.org>\n"
                f"To: {OWNER}\nSubject: hello {i}\n\n{body}\n"
            )
    return path.stat().st_size


def test_the_mailbox_is_streamed_with_memory_bounded_by_one_message(tmp_path: Path) -> None:
    path = tmp_path / "big.mbox"
    size = _generate(path, messages=3_000, body_lines=12, width=11)  # long lines: tracemalloc is slow per allocation
    parsed = importers.get("mbox").parse(Source.from_path(path), ImportOptions(owner=OWNER))

    tracemalloc.start()
    try:
        count = sum(1 for item in parsed.rows() if isinstance(item, ParsedRow))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert count == 3_000
    assert size > 30_000_000 and peak < size / 10


def test_a_50k_message_mailbox_imports_in_one_pass(store: SQLiteStore, ws: str, tmp_path: Path) -> None:
    path = tmp_path / "all_mail.mbox"
    size = _generate(path, messages=50_000, body_lines=3, listed_every=10)  # 9 in 10 are list mail
    started = time.perf_counter()
    seen: list[tuple[int, int]] = []

    job = import_file(store, ws, path, options=ImportOptions(owner=OWNER), progress=lambda done, total, _: seen.append((done, total)))

    assert (job.rows_read, job.rows_imported, job.rows_skipped, job.rows_rejected) == (50_000, 5_000, 45_000, 0)
    assert store.count_people(ws, None) == 42 and store.count_evidence(ws) == 5_000
    assert seen[-1] == (size, size) and all(done <= total == size for done, total in seen)
    assert time.perf_counter() - started < 30  # a generous bound: ~1.5 s on an idle machine
