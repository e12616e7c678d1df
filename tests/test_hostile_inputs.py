"""The hostile-input suite (issue 17, item 5): every case of the issue's "What broke", and
variants of our own, through a real entry point, each within its documented bound.

One table (``CASES``); each case names what it is (``issue``: the issue's words, or ``variant``),
its entry point (the import job pipeline, ``Graphsvc.import_file``; the CLI in a child process;
GraphQL or HTTP against the app in process), its bounds, and what must come out. Every case
asserts:

* **time**: wall-clock seconds of the entry point's call (files are made beforehand);
* **memory**: in process, how much the resident set grew at its peak during the call (the
  kernel's high-water mark, reset before the call: everything counts, SQLite's page cache and
  numpy included, and nothing slows the call down); for the CLI, the child's peak resident set
  (``ru_maxrss``, read by a small launcher), which includes the interpreter and graphsvc's imports;
* **outcome**: success, or a refusal that says why (an error code and message, or rejected rows
  with their reasons);
* **a consistent store**: no job left running; a finished job's rows add up and its rejects
  listed equal ``rows_rejected``; a refused file leaves no job half-done, no person and no
  evidence;
* **no traceback** in any output.

The bounds are documented in docs/security.md ("Hostile inputs"); the measured figures of the
last run are written to ``test-artifacts/hostile-inputs.json``. Cases held by a test elsewhere
(the web cases, whose bound is "refused before anything runs") are listed in ``ELSEWHERE`` and
checked to exist.
"""

from __future__ import annotations

import asyncio
import base64
import gc
import io
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import httpx
import pytest

from graphsvc.api.app import create_app
from graphsvc.errors import GraphsvcError
from graphsvc.model import JobStatus
from graphsvc.service import Graphsvc
from graphsvc.settings import Settings
from importers import ImportOptions
from tests.neo4j_runtime.fixture import neo4j_server  # noqa: F401
from tests.neo4j_runtime.server import Neo4jServer

MB = 1024 * 1024
OWNER = "Olivia Owner"
ARTIFACT = Path(__file__).resolve().parent.parent / "test-artifacts" / "hostile-inputs.json"
FINISHED = {JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED}


# --- the harness ---------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What an entry point gave: a job, a refusal, a response, or a process's output."""

    job: Any = None
    refused: str = ""  # the error's code and message, when the call was refused
    rejects: list[str] = field(default_factory=list)
    body: Any = None
    stdout: str = ""
    stderr: str = ""
    returncode: int = 0


@dataclass
class Case:
    id: str
    issue: str  # the issue's words ("What broke"), or "variant: ..."
    entry: str  # import | cli | graphql | http
    seconds: float
    megabytes: float
    run: Callable[["Context"], Outcome]
    check: Callable[[Outcome, "Context"], None]
    neo4j: bool = False


class Context:
    """A fresh SQLite-backed service in a temporary folder (and the Neo4j server for its cases)."""

    def __init__(self, tmp_path: Path, neo4j: Neo4jServer | None = None) -> None:
        self.tmp = tmp_path
        self.neo4j = neo4j
        self.service = Graphsvc(Settings(data_dir=tmp_path / "data", store=""))
        self.ws = self.service.workspace().id
        self.prepared: Any = None
        self.measure: Callable[[], Outcome] | None = None  # what the bounds apply to (set by ``run``)
        self.after: dict[str, Any] = {}

    def close(self) -> None:
        self.service.close()

    def people(self) -> int:
        return self.service.store.count_people(self.ws, None)

    def importing(self, path: Path, *, format: str | None = None, **options: str) -> Outcome:
        """Through the job pipeline, as ``graphsvc import`` and ``startImport``'s child run it."""
        try:
            job = self.service.import_file(self.ws, path, format=format, options=ImportOptions(**options))
        except GraphsvcError as exc:
            return Outcome(refused=f"{type(exc).__name__}: {exc}")
        return Outcome(job=job, rejects=[r.reason for r in self.service.store.rejects(job.id, skipped=None)])

    def graphql(self, body: Any, *, headers: dict[str, str] | None = None, content: str | None = None) -> Outcome:
        app = create_app(self.service)

        async def go() -> httpx.Response:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost") as client:
                if content is not None:
                    return await client.post("/graphql", content=content, headers={"content-type": "application/json", **(headers or {})})
                return await client.post("/graphql", json=body, headers=headers or {})

        response = asyncio.run(go())
        try:
            parsed = response.json()
        except ValueError:
            parsed = {"status": response.status_code, "text": response.text[:500]}
        return Outcome(body={"status": response.status_code, **parsed}, stdout=response.text[:20_000])


#: Runs the command in a grandchild and reports its peak resident set. A child forked straight
#: from the test process counts the pages it shared with that (large) parent before ``exec`` in
#: its ``ru_maxrss``; a grandchild forked from this small launcher does not.
_LAUNCHER = (
    "import resource, subprocess, sys\n"
    "code = subprocess.call(sys.argv[2:])\n"
    "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
    "sys.exit(code)\n"
)


def _cli(ctx: Context, args: list[str]) -> tuple[Outcome, float, int]:
    """``graphsvc ARGS`` in a child process: (outcome, seconds, peak resident bytes)."""
    env = {**os.environ, "GRAPHSVC_DATA_DIR": str(ctx.tmp / "cli-data"), "GRAPHSVC_STORE": "", "COLUMNS": "300"}
    out, err, rss = ctx.tmp / "out.txt", ctx.tmp / "err.txt", ctx.tmp / "rss.txt"
    with open(out, "w") as stdout, open(err, "w") as stderr:
        began = time.perf_counter()
        returncode = subprocess.call([sys.executable, "-c", _LAUNCHER, str(rss), sys.executable, "-m", "graphsvc", *args],
                                     env=env, stdout=stdout, stderr=stderr)
        seconds = time.perf_counter() - began
    return Outcome(stdout=out.read_text(), stderr=err.read_text(), returncode=returncode), seconds, int(rss.read_text()) * 1024


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        return int(re.search(rf"^{field}:\s+(\d+) kB", status.read(), re.M).group(1))  # type: ignore[union-attr]


def _measured(call: Callable[[], Outcome]) -> tuple[Outcome, float, int]:
    """(outcome, seconds, bytes the process's resident set grew by at its peak during the call):
    the kernel's high-water mark is reset first (``/proc/self/clear_refs``), so nothing slows the
    call down as an allocation tracer would."""
    gc.collect()
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
    before = _status_kib("VmRSS")
    began = time.perf_counter()
    try:
        outcome = call()
    finally:
        seconds = time.perf_counter() - began
        peak = max(0, _status_kib("VmHWM") - before) * 1024
    return outcome, seconds, peak


def _consistent(ctx: Context, outcome: Outcome) -> None:
    """No job left running; a finished job's rows add up; a refused file wrote nothing."""
    store = ctx.service.store
    for job in store.list_jobs(ctx.ws):
        assert job.status in FINISHED, f"job {job.id} left {job.status}"
        if job.status is JobStatus.COMPLETED:
            assert len(store.rejects(job.id, skipped=False)) == job.rows_rejected, job
            assert len(store.rejects(job.id, skipped=True)) == job.rows_skipped, job
            assert job.rows_imported + job.rows_rejected + job.rows_skipped <= max(job.rows_read, job.rows_imported + job.rows_rejected + job.rows_skipped)
    if outcome.refused and "people_before" in ctx.after:
        assert ctx.people() == ctx.after["people_before"], "a refused file wrote people"
        assert store.count_evidence(ctx.ws) == ctx.after["evidence_before"], "a refused file wrote evidence"


def _no_traceback(outcome: Outcome) -> None:
    for text in (outcome.stdout, outcome.stderr, outcome.refused, json.dumps(outcome.body, default=str), *outcome.rejects):
        assert "Traceback" not in text and "RecursionError" not in text and "Unexpected error" not in text, text[:2000]


def _completed(outcome: Outcome) -> Any:
    assert outcome.job is not None, outcome.refused
    assert outcome.job.status is JobStatus.COMPLETED, outcome.job
    return outcome.job


def _refused(outcome: Outcome, *words: str) -> None:
    assert outcome.refused, f"not refused: {outcome.job}"
    for word in words:
        assert word in outcome.refused, outcome.refused


def _errors(outcome: Outcome) -> list[dict[str, Any]]:
    return outcome.body.get("errors") or []


def _code(outcome: Outcome) -> str:
    errors = _errors(outcome)
    return errors[0].get("extensions", {}).get("code", "") if errors else ""


# --- inputs ----------------------------------------------------------------------------------------


def _calendar(ctx: Context, rules: list[str], *, extra: str = "", dtstart: str = "DTSTART:20200101T000000Z") -> Path:
    events = "".join(
        f"BEGIN:VEVENT\r\nUID:series-{i}@example.com\r\nDTSTAMP:20240101T000000Z\r\n{dtstart}\r\nDURATION:PT1S\r\nRRULE:{rule}\r\n"
        f"ORGANIZER;CN=Me:mailto:me@example.com\r\nATTENDEE;CN=Bob Stone;PARTSTAT=ACCEPTED:mailto:bob@example.com\r\n{extra}END:VEVENT\r\n"
        for i, rule in enumerate(rules)
    )
    path = ctx.tmp / "calendar.ics"
    path.write_text(f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:test\r\nX-WR-CALNAME:me@example.com\r\n{events}END:VCALENDAR\r\n")
    return path


def _ics(rules: list[str], **kw: Any) -> Callable[[Context], Outcome]:
    def run(ctx: Context) -> Outcome:
        path = _calendar(ctx, rules, **kw)
        ctx.measure = lambda: ctx.importing(path)
        return Outcome()

    return run


def _file(name: str, data: bytes | Callable[[Context], bytes], *, format: str | None = None, **options: str) -> Callable[[Context], Outcome]:
    def run(ctx: Context) -> Outcome:
        path = ctx.tmp / name
        path.write_bytes(data(ctx) if callable(data) else data)
        ctx.after.update(people_before=ctx.people(), evidence_before=ctx.service.store.count_evidence(ctx.ws))
        ctx.measure = lambda: ctx.importing(path, format=format, **options)
        return Outcome()

    return run


def _zip(members: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def _random_text(size: int, seed: int = 7) -> bytes:
    """Letters that compress about 1.3x: under any compression-ratio cap."""
    return base64.b64encode(random.Random(seed).randbytes(size * 3 // 4)).replace(b"+", b"a").replace(b"/", b"b")


SHEET = b"Name,Email,Company\r\n"
CONNECTIONS = (
    b"Notes:\r\n\"When exporting your connection data, you may notice that some of the email addresses are missing.\"\r\n\r\n"
    b"First Name,Last Name,URL,Email Address,Company,Position,Connected On\r\n"
)


def _one_big_line(ctx: Context) -> bytes:
    line = _random_text(24 * MB)
    return _zip({"Connections.csv": CONNECTIONS + b"Priya,Raman,,,Northwind,Head of Partnerships,14 Mar 2019\r\n" + line
                 + b"\r\nTomas,Ortega,,tomas@example.org,Contoso,Engineer,02 Nov 2019\r\n"})


def _ratio_bomb(ctx: Context) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("Connections.csv", "w") as member:
            member.write(CONNECTIONS)
            chunk = b"a" * (16 * MB)
            for _ in range(16):  # 256 MB of one line, a few hundred kilobytes zipped
                member.write(chunk)
    return out.getvalue()


def _nested_bomb(ctx: Context) -> bytes:
    inner = _ratio_bomb(ctx)
    for depth in range(3):
        inner = _zip({f"level{depth}.zip": inner, "Connections.csv": CONNECTIONS + b"Ana,Ruiz,,,Acme,CTO,14 Mar 2019\r\n"})
    return inner


def _many_members(ctx: Context) -> bytes:
    return _zip({f"notes/{i:05d}.txt": b"" for i in range(20_000)} | {"Connections.csv": CONNECTIONS + b"Ana,Ruiz,,,Acme,CTO,14 Mar 2019\r\n"})


def _over_total(ctx: Context) -> bytes:
    return _zip({f"part{i}.csv": _random_text(3 * MB, seed=i) for i in range(4)} | {"Connections.csv": CONNECTIONS})


def _big_field(ctx: Context) -> bytes:
    return SHEET + b'Grace Hollis,grace@northwind.example,"' + b"y" * (2 * MB) + b'"\r\nSam Okafor,sam@example.com,Acme\r\n'


def _unterminated(ctx: Context) -> bytes:
    return SHEET + b"Sam Okafor,sam@example.com,Acme\r\nGrace Hollis,grace@northwind.example,\"Northwind" + b" and more" * 50_000


def _columns(ctx: Context) -> bytes:
    return SHEET + b"Sam Okafor,sam@example.com,Acme\r\n" + b"Ann Lee,ann@example.com" + b"," * 1_000_000 + b"\r\nBo Li,bo@example.com,Globex\r\n"


def _bad_byte(ctx: Context) -> bytes:
    rows = [f"{n},{n.split()[0].lower()}@example.com,Acme" for n in ("José Müller", "Zoë Lefèvre", "Łukasz Wójcik", "Anaïs Dubois")]
    return SHEET + "\r\n".join(rows).encode("utf-8").replace("Anaïs".encode(), b"Ana\xefs", 1) + b"\r\nBo Li,bo@example.com,Globex\r\n"


def _nul(ctx: Context) -> bytes:
    filler = "".join(f"Person{i} Filler,p{i}@example.com,Acme\r\n" for i in range(3000)).encode()  # past the first 64 KiB
    return SHEET + b"Ann\x00Lee,ann@example.com,Acme\r\n" + filler + b"Bo\x00Li,bo@example.com,Globex\r\nCy Ng,cy@example.com,Initech\r\n"


def _utf16(ctx: Context) -> bytes:
    text = "Name\tEmail\tCompany\r\nZoë Lefèvre\tzoe@example.com\tAcme\r\nBad\ud800Name\tbad@example.com\tAcme\r\nBo Li\tbo@example.com\tGlobex\r\n"
    return b"\xff\xfe" + text.encode("utf-16-le", errors="surrogatepass")


def _photo(ctx: Context) -> bytes:
    encoded = base64.b64encode(random.Random(3).randbytes(5 * MB)).decode()
    photo = "\r\n ".join(encoded[i:i + 74] for i in range(0, len(encoded), 74))
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ann Photo\r\nEMAIL:ann@photo.example\r\nPHOTO;ENCODING=b;TYPE=JPEG:{photo}\r\nEND:VCARD\r\n".encode()


def _folding(ctx: Context) -> bytes:
    return b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Fold Bomb\r\nEMAIL:fold@bomb.example\r\nNOTE:x" + b"\r\n x" * 200_000 + b"\r\nEND:VCARD\r\n" \
        + b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bo Li\r\nEMAIL:bo@li.example\r\nEND:VCARD\r\n"


def _never_closed(ctx: Context) -> bytes:
    return b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bo Li\r\nEMAIL:bo@li.example\r\nEND:VCARD\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nFN:Open Card\r\n" \
        + (b"NOTE:" + b"z" * 1000 + b"\r\n") * 40_000


def _deep_facebook(ctx: Context) -> bytes:
    return b'{"friends_v2": [{"name": "Ana Ruiz", "timestamp": 1700000000, "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}]}"


def _big_facebook(ctx: Context) -> bytes:
    friend = b'{"name": "Ana Ruiz", "timestamp": 1700000000},'
    return b'{"friends_v2": [' + friend * (33 * MB // len(friend)) + b'{"name": "Bo Li", "timestamp": 1700000000}]}'


def _deep_x(ctx: Context) -> bytes:
    deep = b"[" * 100_000 + b"]" * 100_000
    return _zip({
        "data/manifest.js": b'window.__THAR_CONFIG = {"userInfo": {"accountId": "1", "userName": "olivia", "displayName": "Olivia Owner"}}',
        "data/account.js": b'window.YTD.account.part0 = [{"account": {"accountId": "1", "username": "olivia", "accountDisplayName": "Olivia Owner"}}]',
        "data/follower.js": b'window.YTD.follower.part0 = [{"follower": {"accountId": "22", "userLink": "https://twitter.com/intent/user?user_id=22"}}, '
        + deep + b"]",
    }, compression=zipfile.ZIP_STORED)  # (deflated, 200,000 brackets pass the zip-bomb ratio cap, refused before they are parsed)


def _mbox(ctx: Context) -> bytes:
    def message(sender: str, to: str, subject: str, extra: bytes = b"") -> bytes:
        return (f"From {sender} Mon Jan  1 10:00:00 2024\nFrom: {sender}\nTo: {to}\nDate: Mon, 1 Jan 2024 10:00:00 +0000\n"
                f"Subject: {subject}\n").encode() + extra + b"\nhello\n\n"

    giant = b"".join(b"X-Junk-%d: %s\n" % (i, b"j" * 900) for i in range(12_000))  # 11 MB of headers
    return message("me@example.com", "ann@example.com", "one") + message("me@example.com", "bo@example.com", "two", giant) \
        + message("me@example.com", "cy@example.com", "three")


def _xlsx(ctx: Context) -> bytes:
    """A small workbook carrying 2 MB of shared strings (openpyxl itself writes strings inline, so
    they are added as Excel writes them: ``xl/sharedStrings.xml``, which openpyxl would hold in
    memory whole)."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Name", "Email", "Company"])
    sheet.append(["Ann Lee", "ann@example.com", "Acme"])
    written = io.BytesIO()
    book.save(written)
    rng = random.Random(5)
    strings = "".join(f"<si><t>Person {i} {rng.randbytes(200).hex()}</t></si>" for i in range(5000))
    shared = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
              f'count="5000" uniqueCount="5000">{strings}</sst>').encode()
    out = io.BytesIO()
    with zipfile.ZipFile(written) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            archive.writestr(info, source.read(info))
        archive.writestr("xl/sharedStrings.xml", shared)
    return out.getvalue()


def _attendees(ctx: Context) -> bytes:
    people = "".join(f"ATTENDEE;CN=Guest {i};PARTSTAT=ACCEPTED:mailto:guest{i}@example.com\r\n" for i in range(20_000))
    return (f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:test\r\nX-WR-CALNAME:me@example.com\r\nBEGIN:VEVENT\r\nUID:flood@example.com\r\n"
            f"DTSTAMP:20240101T000000Z\r\nDTSTART:20231201T100000Z\r\nSUMMARY:Flood\r\nORGANIZER:mailto:me@example.com\r\n{people}"
            f"END:VEVENT\r\nEND:VCALENDAR\r\n").encode()


# --- cases: imports --------------------------------------------------------------------------------


def _cut(outcome: Outcome, ctx: Context) -> None:
    job = _completed(outcome)
    assert any("cut" in note or "expanded" in note or "budget" in note for note in job.notes + outcome.rejects), (job.notes, outcome.rejects)


def _ends(outcome: Outcome, ctx: Context) -> None:
    job = _completed(outcome)
    assert job.rows_read >= 1 or outcome.rejects, job


def _no_occurrence(outcome: Outcome, ctx: Context) -> None:
    """Rules that can never match end at once: each series is a skipped row that says so."""
    job = _completed(outcome)
    skipped = [r.reason for r in ctx.service.store.rejects(job.id, skipped=True)]
    assert skipped and all("no occurrence" in r for r in skipped), (skipped, outcome.rejects)
    assert job.rows_skipped + job.rows_rejected == 2, job


def _no_occurrence_or_unreadable(outcome: Outcome, ctx: Context) -> None:
    """A set that is always empty has no occurrence (skipped); an invalid BYSETPOS is a rejected
    row naming the rule's problem."""
    job = _completed(outcome)
    assert job.rows_skipped == 1 and job.rows_rejected == 1, job
    assert "no occurrence" in ctx.service.store.rejects(job.id, skipped=True)[0].reason
    assert any("bysetpos" in r.lower() for r in outcome.rejects), outcome.rejects


def _too_costly(outcome: Outcome, ctx: Context) -> None:
    _completed(outcome)
    assert outcome.rejects and all("cost" in r or "budget" in r or "steps" in r for r in outcome.rejects), outcome.rejects


def _cancel(ctx: Context) -> Outcome:
    path = _calendar(ctx, ["FREQ=SECONDLY;COUNT=100000000"] * 200, dtstart="DTSTART:00010101T000000Z")
    ctx.prepared = ctx.service.prepare_import(ctx.ws, path)
    result: dict[str, Any] = {}
    worker = threading.Thread(target=lambda: result.setdefault("job", ctx.service.run_import(ctx.prepared)))
    worker.start()
    deadline = time.monotonic() + 10
    while (job := ctx.service.store.get_job(ctx.ws, ctx.prepared.job.id)) is None or job.status is not JobStatus.RUNNING:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    time.sleep(0.3)

    def cancel() -> Outcome:
        ctx.service.cancel_import(ctx.ws, ctx.prepared.job.id)
        worker.join(30)
        assert not worker.is_alive(), "the cancel did not stop the import while it was reading"
        return Outcome(job=result["job"])

    ctx.measure = cancel
    return Outcome()


def _cancelled(outcome: Outcome, ctx: Context) -> None:
    assert outcome.job.status is JobStatus.CANCELLED and outcome.job.rows_read == 0


def _duplicates(ctx: Context) -> Outcome:
    def sheet(name: str, count: int, duplicates: bool) -> Path:
        rows = []
        for i in range(count):
            first, last = f"Mi{_syllables(i)}", f"Ro{_syllables(i * 7 + 3)}"
            rows.append(f"{first},{last},{first}.{last}@mail{_syllables(i)}.example,Org{_syllables(i)} Ltd")
            if duplicates:
                rows.append(f"{first},{last},,Org{_syllables(i)} Ltd")  # the same name and organization, no address: one person
        path = ctx.tmp / name
        path.write_text("First Name,Last Name,E-mail,Organisation\n" + "\n".join(rows) + "\n", encoding="utf-8")
        return path

    plain, doubled = sheet("plain.csv", 16_000, False), sheet("doubled.csv", 8_000, True)
    other = Graphsvc(Settings(data_dir=ctx.tmp / "plain-data", store=""))
    try:
        began = time.perf_counter()
        other.import_file(other.workspace().id, plain, format="signin_sheet", options=ImportOptions(event_name="A", event_date="2025-05-02"))
        ctx.after["plain_seconds"] = time.perf_counter() - began
    finally:
        other.close()
    ctx.measure = lambda: ctx.importing(doubled, format="signin_sheet", event_name="B", event_date="2025-05-02")
    return Outcome()


def _syllables(number: int) -> str:
    letters, text = "bcdfghjklmnprstvz", ""
    while True:
        number, digit = divmod(number, len(letters))
        text += letters[digit] + "aeiou"[digit % 5]
        if not number:
            return text


def _merged_within_3x(outcome: Outcome, ctx: Context) -> None:
    job = _completed(outcome)
    assert job.rows_imported == 16_000 and ctx.people() == 8_000
    # the issue's words: at most 3x the time of a list without duplicates (both 16,000 rows)
    assert ctx.after["seconds"] <= 3 * ctx.after["plain_seconds"], (ctx.after["seconds"], ctx.after["plain_seconds"])


def _kept(*names: str, rejected: int | None = None, reason: str = "") -> Callable[[Outcome, Context], None]:
    def check(outcome: Outcome, ctx: Context) -> None:
        job = _completed(outcome)
        found = {p.display_name for p in ctx.service.store.search_people(ctx.ws, None, 1000)}
        assert set(names) <= found, (names, sorted(found)[:20], outcome.rejects[:3])
        if rejected is not None:
            assert job.rows_rejected == rejected, (job, outcome.rejects[:3])
        if reason:
            assert any(reason in r for r in outcome.rejects), outcome.rejects[:3]

    return check


def _refusal(*words: str) -> Callable[[Outcome, Context], None]:
    def check(outcome: Outcome, ctx: Context) -> None:
        _refused(outcome, *words)

    return check


def _over_total_cap(ctx: Context) -> Outcome:
    import importers.source

    ctx.after["restore"] = (importers.source, "MAX_EXPANDED_BYTES", importers.source.MAX_EXPANDED_BYTES)
    importers.source.MAX_EXPANDED_BYTES = 8 * MB  # (4 GiB by default: GRAPHSVC_MAX_ARCHIVE_BYTES)
    return _file("export.zip", _over_total)(ctx)


def _xlsx_capped(ctx: Context) -> Outcome:
    from graphsvc import limits

    ctx.after["restore"] = (limits, "XLSX_SHARED_STRINGS_BYTES", limits.XLSX_SHARED_STRINGS_BYTES)
    limits.XLSX_SHARED_STRINGS_BYTES = 1 * MB  # (64 MiB by default)
    return _file("attendees.xlsx", _xlsx, event_name="Expo", event_date="2024-05-01")(ctx)


# --- cases: GraphQL and HTTP ------------------------------------------------------------------------


def _gql(query: str, variables: dict[str, Any] | None = None, *, content: Callable[[], str] | None = None) -> Callable[[Context], Outcome]:
    def run(ctx: Context) -> Outcome:
        text = content() if content else None
        ctx.measure = lambda: ctx.graphql({"query": query, "variables": variables or {}}, content=text)
        return Outcome()

    return run


def _refused_code(*codes: str, status: tuple[int, ...] = (200, 400, 413)) -> Callable[[Outcome, Context], None]:
    def check(outcome: Outcome, ctx: Context) -> None:
        assert outcome.body["status"] in status, outcome.body
        assert _code(outcome) in codes, outcome.body
        assert not outcome.body.get("data"), outcome.body

    return check


def _rejects_page(ctx: Context) -> Outcome:
    from graphsvc.model import ImportJob, Reject

    store = ctx.service.store
    job = ImportJob(id="job-hostile-rejects", workspace_id=ctx.ws, file_name="big.csv", file_hash="h", format="linkedin", owner_person_id=None,
                    status=JobStatus.COMPLETED, rows_read=300_000, rows_rejected=300_000)
    with store.atomic():
        store.add_job(job)
        store.add_rejects(job.id, [Reject(row, f"reason {row}") for row in range(2, 600_002, 2)])
    aliases = " ".join(f'p{i}: rejects(first: 100, after: null) {{ totalCount edges {{ node {{ row reason }} }} }}' for i in range(29))
    query = '{ importJob(id: "job-hostile-rejects") { %s } }' % aliases
    ctx.measure = lambda: ctx.graphql({"query": query})
    return Outcome()


def _pages(outcome: Outcome, ctx: Context) -> None:
    assert not _errors(outcome), outcome.body
    pages = outcome.body["data"]["importJob"]
    assert len(pages) == 29 and all(p["totalCount"] == 300_000 and len(p["edges"]) == 100 for p in pages.values())


def _search_people(ctx: Context) -> Outcome:
    rows = "".join(f"Person{i} Sample{i % 97},p{i}@example.com,Org{i % 50}\r\n" for i in range(5000))
    path = ctx.tmp / "people.csv"
    path.write_text("Name,Email,Company\r\n" + rows + "Ann 50%_Off,ann@example.com,Acme\r\n")
    ctx.service.import_file(ctx.ws, path, options=ImportOptions(event_name="Big", event_date="2024-01-01"))
    searches = ["%", "_", "%%%%%!", "%_%", "\\", "'\"`", ".*(a+)+$", "a", "(?i).*", "i", "[a-z]+", "az", "50%_"]
    query = "{ %s }" % " ".join(f"s{i}: people(search: {json.dumps(s)}) {{ totalCount }}" for i, s in enumerate(searches))
    ctx.measure = lambda: ctx.graphql({"query": query})
    return Outcome()


def _searched(outcome: Outcome, ctx: Context) -> None:
    assert not _errors(outcome), outcome.body
    counts = [v["totalCount"] for v in outcome.body["data"].values()]
    assert counts[-1] == 1  # "50%_" finds Ann 50%_Off, literally
    assert all(c <= 1 for c in counts[:6]), counts  # no wildcard matches everyone
    # a regular expression is text: punctuation is folded away like any other, never a pattern
    assert counts[6] == counts[7] and counts[8] == counts[9] and counts[10] == counts[11], counts


def _search_neo4j(ctx: Context) -> Outcome:
    from graphsvc.model import Person, stable_id
    from graphsvc.store.neo4j import Neo4jStore

    assert ctx.neo4j is not None
    store = Neo4jStore(ctx.neo4j.bolt_uri, ctx.neo4j.user, ctx.neo4j.password, max_retry_time=0.5)
    ws = store.workspace(f"hostile-{time.monotonic_ns()}").id
    people = [Person(stable_id("p", ws, str(i)), f"Person{i} Sample") for i in range(100)] + [Person(stable_id("p", ws, "ann"), "Ann 50%_Off")]
    with store.atomic():
        store.add_people(ws, people)
    searches = ["%%%%%!", "%", "_", "\\", "50%_", ".*(a+)+$", "a", "(?i).*", "i", "[a-z]+", "az"]

    def search() -> Outcome:
        return Outcome(body={s: store.count_people(ws, s) for s in searches})

    ctx.after["close"] = store.close
    ctx.measure = search
    return Outcome()


def _neo4j_searched(outcome: Outcome, ctx: Context) -> None:
    counts = outcome.body
    assert counts["50%_"] == 1 and all(counts[s] <= 1 for s in ("%%%%%!", "%", "_", "\\")), counts
    assert counts[".*(a+)+$"] == counts["a"] and counts["(?i).*"] == counts["i"] and counts["[a-z]+"] == counts["az"], counts


def _cross_site(ctx: Context) -> Outcome:
    operations = json.dumps({"query": 'mutation { createToken(name: "evil", role: ADMIN) { secret } }'})
    app = create_app(ctx.service)
    before = len(ctx.service.store.list_tokens(ctx.ws))

    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost") as client:
            return await client.post("/graphql", data={"operations": operations, "map": "{}"}, files={"x": ("x.txt", b"x", "text/plain")},
                                     headers={"origin": "https://evil.example"})

    def post() -> Outcome:
        response = asyncio.run(go())
        return Outcome(body={"status": response.status_code, **response.json()})

    ctx.after["tokens_before"] = before
    ctx.measure = post
    return Outcome()


def _nothing_changed(outcome: Outcome, ctx: Context) -> None:
    assert outcome.body["status"] == 403 and _code(outcome) == "CROSS_SITE_REQUEST", outcome.body
    assert len(ctx.service.store.list_tokens(ctx.ws)) == ctx.after["tokens_before"]


def _long_strings(ctx: Context) -> Outcome:
    def run() -> Outcome:
        token = ctx.graphql({"query": "mutation($n: String!) { createToken(name: $n, role: READ_ONLY) { secret } }", "variables": {"n": "n" * MB}})
        tag = ctx.graphql({"query": 'mutation($t: [String!]!) { tagPerson(person: "nobody", tags: $t) { id } }', "variables": {"t": ["t" * 10 * MB]}})
        return Outcome(body={"status": 200, "token": token.body, "tag": tag.body})

    ctx.measure = run
    return Outcome()


def _long_refused(outcome: Outcome, ctx: Context) -> None:
    for key in ("token", "tag"):
        assert outcome.body[key]["errors"][0]["extensions"]["code"] == "INVALID_ARGUMENT", outcome.body[key]
        assert len(outcome.body[key]["errors"][0]["message"]) < 300
    assert ctx.service.store.list_tokens(ctx.ws) == []


# --- cases: the CLI ----------------------------------------------------------------------------------


def _cli_case(make: Callable[[Context], list[list[str]]]) -> Callable[[Context], Outcome]:
    """Runs every command but the last unmeasured; the last one is what the bounds apply to."""

    def run(ctx: Context) -> Outcome:
        commands = make(ctx)
        for args in commands[:-1]:
            outcome, _, _ = _cli(ctx, args)
            assert outcome.returncode in (0, 2), (args, outcome.stdout[-2000:], outcome.stderr[-2000:])
            _no_traceback(outcome)
        ctx.after["cli"] = commands[-1]
        return Outcome()

    return run


def _markup_files(ctx: Context) -> list[list[str]]:
    friends = {"friends_v2": [{"name": "Evil [/] \x1b[31mRed\x1b[0m Friend", "timestamp": 1_700_000_000},
                              {"name": "Bidi \u202egnp.exe\u202c [bold]Name", "timestamp": 1_700_000_001}]}
    (ctx.tmp / "your_friends.json").write_text(json.dumps(friends))
    (ctx.tmp / "cards.vcf").write_bytes(b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Vic [/] \x1b]8;;http://evil.example\x1b\\Card\r\nEMAIL:vic@x.example\r\n"
                                        b"ORG:Org [link=http://evil.example]x[/link]\r\nEND:VCARD\r\n")
    return [["import", str(ctx.tmp / "your_friends.json"), "--owner", OWNER], ["import", str(ctx.tmp / "cards.vcf"), "--owner", OWNER],
            ["people", "--first", "50"]]


def _shown_as_text(outcome: Outcome, ctx: Context) -> None:
    assert outcome.returncode == 0, outcome.stderr
    shown = outcome.stdout
    assert "Evil [/]" in shown and "[bold]Name" in shown and "Vic [/]" in shown, shown
    assert "\x1b" not in shown and "\u202e" not in shown and "\\x1b[31mRed" in shown, shown


def _deep_cli(ctx: Context) -> list[list[str]]:
    (ctx.tmp / "friends.json").write_bytes(_deep_facebook(ctx))
    return [["import", str(ctx.tmp / "friends.json"), "--owner", OWNER]]


def _clear_cli_error(*words: str) -> Callable[[Outcome, Context], None]:
    def check(outcome: Outcome, ctx: Context) -> None:
        assert outcome.returncode == 2, (outcome.returncode, outcome.stdout[-2000:], outcome.stderr[-2000:])
        for word in words:
            assert word in outcome.stdout + outcome.stderr, outcome.stdout + outcome.stderr

    return check


def _job_cli(ctx: Context) -> list[list[str]]:
    commands = _markup_files(ctx)[:-1]
    for args in commands:
        _cli(ctx, args)
    jobs = json.loads(_cli(ctx, ["jobs", "--json"])[0].stdout)
    vcard = next(j["id"] for j in jobs if j["fileName"].endswith(".vcf"))
    return [["job", vcard]]


def _job_shown(outcome: Outcome, ctx: Context) -> None:
    assert outcome.returncode == 0 and "cards.vcf" in outcome.stdout, outcome.stderr
    assert "\x1b" not in outcome.stdout


# --- the table ---------------------------------------------------------------------------------------

CASES: list[Case] = [
    # unbounded work from small inputs
    Case("ics-secondly-open-ended", "a 381-byte .ics with RRULE:FREQ=SECONDLY, no COUNT or UNTIL", "import", 20, 64,
         _ics(["FREQ=SECONDLY"]), _cut),
    Case("ics-never-matches-feb-30", "rules that can never match hang as well", "import", 20, 64,
         _ics(["FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "FREQ=MONTHLY;BYMONTHDAY=31;BYMONTH=4,6,9,11"]), _no_occurrence),
    Case("ics-bysetpos-trap", "variant: BYSETPOS over a set that is always empty, secondly", "import", 20, 64,
         _ics(["FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30;BYSETPOS=-1", "FREQ=MINUTELY;BYSETPOS=400;BYDAY=MO"]), _no_occurrence_or_unreadable),
    Case("ics-huge-count", "variant: COUNT=100000000 secondly (too costly to count)", "import", 20, 64,
         _ics(["FREQ=SECONDLY;COUNT=100000000"], dtstart="DTSTART:00010101T000000Z"), _too_costly),
    Case("ics-cancel-while-parsing", "cancelImport had no effect (cancel while the importer still reads)", "import", 5, 64,
         _cancel, _cancelled),
    Case("ics-20k-attendees", "variant: one VEVENT with 20,000 attendees (20,000 people to create: linear, ~3,000 a second)", "import", 30, 256,
         _file("flood.ics", _attendees), _ends),
    Case("merge-16k-rows-8k-duplicates", "merging is quadratic: a 16k-row list with 8k duplicates, against 16k rows without", "import", 60, 400,
         _duplicates, _merged_within_3x),
    Case("zip-ratio-bomb-one-line", "a small zip holding a huge single-line Connections.csv (256 MB, ~1000x)", "import", 5, 16,
         _file("Basic_LinkedInDataExport_03-01-2026.zip", _ratio_bomb), _refusal("expands", "zip bomb")),
    Case("zip-one-line-under-ratio", "the LinkedIn importer read the whole CSV up front (24 MB single line under the ratio cap)", "import", 30, 24,
         _file("Basic_LinkedInDataExport_03-01-2026.zip", _one_big_line, owner=OWNER), _kept("Priya Raman", "Tomas Ortega", rejected=1)),
    Case("zip-total-expanded-cap", "no cap on the total expanded size (4 members of 3 MB, cap lowered to 8 MiB)", "import", 5, 16,
         _over_total_cap, _refusal("GRAPHSVC_MAX_ARCHIVE_BYTES")),
    Case("zip-nested-bombs", "variant: a ratio bomb inside a zip inside a zip inside a zip", "import", 10, 32,
         _file("nested.zip", _nested_bomb, owner=OWNER), lambda o, c: None),
    Case("zip-20k-members", "variant: 20,000 empty members beside Connections.csv", "import", 30, 128,
         _file("many.zip", _many_members, owner=OWNER), lambda o, c: None),
    Case("vcard-5mb-photo", "vCard unfolding was quadratic: a 2 MB PHOTO took 78 s (here 5 MB)", "import", 20, 96,
         _file("photo.vcf", _photo, owner=OWNER), _kept("Ann Photo")),
    Case("vcard-200k-continuations", "variant: a card of 200,000 one-character continuation lines", "import", 20, 96,
         _file("fold.vcf", _folding, owner=OWNER), _kept("Bo Li", "Fold Bomb")),
    Case("vcard-never-closed-40mb", "variant: a card never closed, 40 MB of lines after it", "import", 20, 48,
         _file("open.vcf", _never_closed, owner=OWNER), _kept("Bo Li", rejected=1, reason="not closed")),
    Case("graphql-rejects-29-aliases", "29 aliases of a rejects page over 300,000 rejects", "graphql", 10, 64,
         _rejects_page, _pages),
    Case("search-wildcards-sqlite", "people(search:) scanned everything, and '%' returned everyone (5,000 people)", "graphql", 5, 32,
         _search_people, _searched),
    Case("search-wildcards-neo4j", "on Neo4j each '%' became '.*' in a regex ('%%%%%!' took 16 s on 100 people)", "neo4j", 10, 16,
         _search_neo4j, _neo4j_searched, neo4j=True),
    Case("strings-10mb-tag-1mb-token-name", "no input had a length limit: a 10 MB tag and a 1 MB token name were stored", "graphql", 10, 128,
         _long_strings, _long_refused),
    Case("graphql-100k-aliases", "variant: 100,000 aliases in one query", "graphql", 10, 256,
         _gql("{ %s }" % " ".join(f"a{i}: people {{ totalCount }}" for i in range(100_000))), _refused_code("BAD_REQUEST", "GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", "INVALID_ARGUMENT")),
    Case("graphql-deep-selection", "variant: a selection 5,000 levels deep", "graphql", 10, 256,
         _gql("{ people { edges { node { " + "ties { edges { node { " * 1250 + "id" + " } } }" * 1250 + " } } } }"),
         _refused_code("BAD_REQUEST", "GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", "INVALID_ARGUMENT")),
    Case("graphql-10mb-query", "variant: a 10 MB query string", "graphql", 10, 256,
         _gql("{ people { totalCount } }", content=lambda: json.dumps({"query": "{ people(search: \"" + "x" * 10 * MB + "\") { totalCount } }"})),
         _refused_code("BAD_REQUEST", "GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", "INVALID_ARGUMENT")),
    Case("csrf-form-post", "a cross-site multipart form POST ran createToken(role: ADMIN) in the development profile", "http", 5, 32,
         _cross_site, _nothing_changed),
    # misread data
    Case("csv-quoted-field-over-1mib", "a quoted field over 1 MiB derailed the CSV reader (here 2 MiB, then a real row)", "import", 10, 16,
         _file("list.csv", _big_field, event_name="Expo", event_date="2024-05-01"), _kept("Sam Okafor", rejected=1)),
    Case("csv-unterminated-quote-at-eof", "variant: an unterminated quote running to the end of the file", "import", 10, 16,
         _file("list.csv", _unterminated, event_name="Expo", event_date="2024-05-01"), _kept("Sam Okafor", rejected=1)),
    Case("csv-million-columns", "variant: a row of 1,000,000 (empty) columns on one line: read as the row it is", "import", 10, 32,
         _file("list.csv", _columns, event_name="Expo", event_date="2024-05-01"), _kept("Sam Okafor", "Ann Lee", "Bo Li", rejected=0)),
    Case("utf8-one-bad-byte", "one bad byte garbled a whole file (José Müller read as JosÃ© MÃ¼ller)", "import", 10, 16,
         _file("list.csv", _bad_byte, event_name="Expo", event_date="2024-05-01"), _kept("José Müller", "Zoë Lefèvre", "Łukasz Wójcik", "Bo Li")),
    Case("nul-bytes-early-and-late", "NUL bytes: one in the first 64 KiB rejected the file, a later one was stored in a name", "import", 20, 32,
         _file("list.csv", _nul, event_name="Expo", event_date="2024-05-01"), _kept("Cy Ng", rejected=2, reason="NUL")),
    Case("utf16-lone-surrogate", "variant: a UTF-16 sheet with a lone surrogate in a name", "import", 10, 16,
         _file("list.txt", _utf16, event_name="Expo", event_date="2024-05-01"), _kept("Zoë Lefèvre", "Bo Li")),
    Case("json-deep-facebook", "JSON nested 100,000 levels deep gave a RecursionError (here inside a friend)", "import", 10, 32,
         _file("your_friends.json", _deep_facebook, owner=OWNER), _refusal("nested too deeply")),
    Case("json-deep-x-archive", "variant: 100,000 levels of JSON in an X archive's follower.js", "import", 10, 32,
         _file("twitter-2024.zip", _deep_x), _kept(rejected=1, reason="nested too deeply")),
    Case("json-facebook-over-cap", "variant: a 33 MB Facebook JSON file (read whole: capped at 32 MiB)", "import", 5, 8,
         _file("your_friends.json", _big_facebook, owner=OWNER), _refusal("larger than 33,554,432 bytes")),
    Case("mbox-11mb-header", "variant: an mbox message with 11 MB of headers", "import", 20, 32,
         _file("mail.mbox", _mbox, owner="me@example.com"), _kept(rejected=1, reason="headers larger than")),
    Case("xlsx-shared-strings-over-cap", "variant: a workbook whose shared strings pass the cap (lowered to 1 MiB)", "import", 10, 16,
         _xlsx_capped, _refusal("shared strings")),
    Case("cli-markup-and-escapes-in-names", "a name with [/] crashed graphsvc people; ESC sequences printed raw (Facebook, vCard, bidi)", "cli", 30, 400,
         _cli_case(_markup_files), _shown_as_text),
    Case("cli-job-of-a-markup-vcard", "graphsvc job ID then crashed every time", "cli", 30, 400,
         _cli_case(_job_cli), _job_shown),
    Case("cli-deep-json", "deep JSON gave a RecursionError traceback (CLI)", "cli", 30, 400,
         _cli_case(_deep_cli), _clear_cli_error("nested too deeply")),
]

#: Cases of the issue held by a test elsewhere (their bound: refused before anything runs).
ELSEWHERE = {
    "cross-site WebSocket": "tests/test_web_safety.py::test_a_cross_site_websocket_is_refused_before_it_opens",
    "any Host header was accepted (DNS rebinding)": "tests/test_web_safety.py::test_a_foreign_host_name_is_refused_in_every_profile",
    "a revoked token kept its open WebSocket": "tests/test_web_safety.py::test_revoking_a_token_closes_its_open_socket",
    "/metrics answered without a token in production": "tests/test_web_safety.py::test_metrics_need_a_token_in_production",
    "errors showed temporary upload names": "tests/test_web_safety.py::test_errors_never_show_server_paths",
    "malformed multipart map values gave a plain-text 500": "tests/test_web_safety.py::test_a_malformed_multipart_map_is_a_json_400",
    "deep JSON gave 'Unexpected error.' (API)": "tests/test_web_safety.py::test_deep_json_gets_a_clear_400",
    "files were world-readable": "tests/test_web_safety.py::test_the_store_and_its_directory_are_private_whatever_the_umask",
    "imported names over the length limits": "tests/test_bounded_work.py::test_imported_rows_with_over_long_names_are_rejected_with_the_reason",
    "a 16k-row list with 8k duplicates rebuilt the merge map per merge": "tests/test_merging_incremental.py::test_a_list_of_duplicates_merges_without_rebuilding_the_merge_map",
}

MEASURED: dict[str, dict[str, Any]] = {}


def _record(case: Case, seconds: float, peak: int) -> None:
    MEASURED[case.id] = {"issue": case.issue, "entry": case.entry, "seconds": round(seconds, 3), "bound_seconds": case.seconds,
                         "peak_mb": round(peak / MB, 1), "bound_mb": case.megabytes}
    ARTIFACT.parent.mkdir(exist_ok=True)
    previous = json.loads(ARTIFACT.read_text()) if ARTIFACT.exists() else {}
    ARTIFACT.write_text(json.dumps({**previous, **{case.id: MEASURED[case.id]}}, indent=2))


@pytest.fixture
def context(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Context]:
    case: Case = request.param
    server = request.getfixturevalue("neo4j_server") if case.neo4j else None
    ctx = Context(tmp_path, server)
    try:
        yield ctx
    finally:
        if "restore" in ctx.after:
            setattr(*ctx.after["restore"])
        if "close" in ctx.after:
            ctx.after["close"]()
        ctx.close()


@pytest.mark.parametrize(("context", "case"), [(c, c) for c in CASES], ids=[c.id for c in CASES], indirect=["context"])
def test_hostile_input(context: Context, case: Case) -> None:
    case.run(context)
    if case.entry == "cli":
        outcome, seconds, peak = _cli(context, context.after["cli"])
    else:
        assert context.measure is not None
        outcome, seconds, peak = _measured(context.measure)
    context.after["seconds"] = seconds
    _record(case, seconds, peak)
    _no_traceback(outcome)
    case.check(outcome, context)
    _consistent(context, outcome)
    assert seconds <= case.seconds, f"{case.id}: {seconds:.2f} s, bound {case.seconds} s"
    assert peak <= case.megabytes * MB, f"{case.id}: peak {peak / MB:.1f} MB, bound {case.megabytes} MB"


def test_the_table_names_every_case_once_and_what_holds_the_others() -> None:
    assert len({c.id for c in CASES}) == len(CASES)
    assert sum(not c.issue.startswith("variant") for c in CASES) >= 15 and sum(c.issue.startswith("variant") for c in CASES) >= 10
    root = Path(__file__).resolve().parent.parent
    for what, where in ELSEWHERE.items():
        path, name = where.split("::")
        assert f"def {name}(" in (root / path).read_text(), (what, where)
    documented = (root / "docs" / "security.md").read_text()
    missing = [c.id for c in CASES if f"`{c.id}`" not in documented]
    assert not missing, f"cases not in docs/security.md: {missing}"
