"""Import throughput into the Neo4j store (rows/s), with SQLite alongside for reference.

    python benchmarks/neo4j_import_bench.py                  # 50k-row attendee list + 20k Connections.csv
    python benchmarks/neo4j_import_bench.py --quick          # 5k + 2k rows: a smoke run (~30 s)
    python benchmarks/neo4j_import_bench.py --bolt-uri bolt://127.0.0.1:7687 --password ...   # an existing server

Files are generated from ``--seed``: an attendee list (``Full Name, Email, Company, Title``; 10%
of the attendees are also in the Connections file, by the same email) and a LinkedIn
``Connections.csv`` (with URLs, companies, positions, dates). Each is imported with
``graphsvc.imports.jobs.import_file`` exactly as the service does (``--batch-rows`` rows per
transaction, 2000 by default as ``GRAPHSVC_IMPORT_BATCH_ROWS``), into a fresh workspace of:

* ``neo4j``  — ``Neo4jStore`` on a Neo4j 5.26 started with the test runtime
  (``tests.neo4j_runtime.server.Neo4jServer``: embedded Community, 1 GB heap, 64 MB page
  cache), unless ``--bolt-uri`` names one; the KNOWS projection is timed separately
  (``project_knows``), not inside the import figure;
* ``sqlite`` — ``SQLiteStore`` on a temporary file, for the same files.

rows/s = data rows of the file / wall time of ``import_file``. Each file is imported into
``--rounds`` fresh workspaces and the best round is reported (the first round also pays for
the JVM warming up). A re-import of identical content is a no-op (same job), so each round
uses a new workspace. Results go to a table on stdout and JSON in benchmarks/out/.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import platform
import random
import shutil
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import neo4j_target  # noqa: E402
from graphsvc.imports import jobs  # noqa: E402
from graphsvc.store import SQLiteStore  # noqa: E402
from graphsvc.projection.knows import project_knows  # noqa: E402
from graphsvc.store.neo4j import Neo4jStore  # noqa: E402
from importers import ImportOptions  # noqa: E402

FIRST = ["Ada", "Bruno", "Cleo", "Dev", "Elif", "Femi", "Gita", "Hugo", "Ines", "Jonas", "Kaito", "Lena", "Mateo",
         "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tara", "Uma", "Viktor", "Wen", "Xavi", "Yara", "Zane"]
LAST = ["Okafor", "Silva", "Park", "Quinn", "Voss", "Raman", "Chen", "Novak", "Haddad", "Ito", "Moreau", "Kowalski",
        "Larsen", "Mendes", "Nakamura", "Oduya", "Petrov", "Rossi", "Schmidt", "Tanaka"]
TITLES = ["Engineer", "CTO", "Founder", "Product Manager", "Designer", "Sales Director", "Analyst", "Researcher"]
OWNER = "Olivia Okafor"


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def generate(folder: Path, attendees: int, connections: int, seed: int) -> dict[str, Path]:
    """An attendee list and a Connections.csv; people are unique by email / profile URL."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    companies = [f"{rng.choice(['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Stark'])} {i}" for i in range(max(50, attendees // 40))]

    def person(i: int) -> tuple[str, str, str, str, str]:
        first, last = rng.choice(FIRST), f"{rng.choice(LAST)}{i}"
        return first, last, f"{first}.{last}@mail{i % 97}.example".lower(), rng.choice(companies), rng.choice(TITLES)

    conn_rows = [["First Name", "Last Name", "URL", "Email Address", "Company", "Position", "Connected On"]]
    start = date(2015, 1, 1)
    shared = []
    for i in range(connections):
        first, last, email, company, title = person(i)
        when = start + timedelta(days=rng.randrange(0, 4000))
        conn_rows.append([first, last, f"https://www.linkedin.com/in/{first}-{last}-{i:x}".lower(), email if i % 3 == 0 else "",
                          company, title, when.strftime("%d %b %Y")])
        if i % 3 == 0 and len(shared) < attendees // 10:
            shared.append((first, last, email, company, title))
    preamble = 'Notes:\r\n"When exporting your connection data, you may notice that some of the email addresses are missing."\r\n\r\n'
    paths = {"connections": folder / "Connections.csv", "attendees": folder / "attendees.csv"}
    paths["connections"].write_bytes(("\ufeff" + preamble + _csv(conn_rows)).encode("utf-8"))

    att_rows = [["Full Name", "Email", "Company", "Title"]]
    for first, last, email, company, title in shared:
        att_rows.append([f"{first} {last}", email, company, title])
    for i in range(connections, connections + attendees - len(shared)):
        first, last, email, company, title = person(i)
        att_rows.append([f"{first} {last}", email, company, title])
    rng.shuffle(att_rows[1:])
    paths["attendees"].write_text(_csv(att_rows), encoding="utf-8")
    return paths


OPTIONS = {
    "connections": ImportOptions(owner=OWNER),
    "attendees": ImportOptions(event_name="Bench Summit", event_date="2026-09-20", event_kind="conference"),
}


def run_store(name: str, store, files: dict[str, Path], rounds: int, batch_rows: int, knows: bool) -> dict:
    results: dict[str, dict] = {}
    for key in ("connections", "attendees"):
        best = None
        for _ in range(rounds):
            ws = store.workspace(f"bench-{key}-{uuid.uuid4().hex[:8]}").id
            if key == "attendees":  # the attendee list lands in a workspace that has the connections
                jobs.import_file(store, ws, files["connections"], options=OPTIONS["connections"], batch_rows=batch_rows)
            t0 = time.perf_counter()
            job = jobs.import_file(store, ws, files[key], options=OPTIONS[key], batch_rows=batch_rows)
            seconds = time.perf_counter() - t0
            entry = {"rows": job.rows_read, "imported": job.rows_imported, "seconds": round(seconds, 3),
                     "rows_per_s": round(job.rows_read / seconds), "people": store.count_people(ws, None),
                     "evidence": store.count_evidence(ws)}
            if knows and isinstance(store, Neo4jStore):
                t1 = time.perf_counter()
                entry["knows"] = project_knows(store, ws)
                entry["knows_seconds"] = round(time.perf_counter() - t1, 3)
            print(f"  {name:6} {key:11} {entry['rows']:>7} rows  {seconds:7.2f} s  {entry['rows_per_s']:>7} rows/s"
                  + (f"   KNOWS {entry['knows']} in {entry['knows_seconds']:.2f} s" if "knows" in entry else ""), flush=True)
            if best is None or entry["rows_per_s"] > best["rows_per_s"]:
                best = entry
        results[key] = best
    return results


def store_level(name: str, store, rows: int, batch_rows: int) -> dict:
    """The store alone: what ``jobs`` writes for an attendee row (a new person, two identity keys,
    a sighting, an ATTENDED evidence), generated in memory and written in ``atomic()`` batches,
    without the importer and identity resolution (whose Python cost is the same for every store)."""
    from datetime import datetime, timezone

    from graphsvc.model import Channel, Event, Evidence, EvidenceKind, ImportJob, JobStatus, Person, Sighting, stable_id

    ws = store.workspace(f"bench-store-{uuid.uuid4().hex[:8]}").id
    job_id = stable_id("job", ws, "bench")
    when = datetime(2026, 9, 20, tzinfo=timezone.utc)
    event = Event(stable_id("evt", ws, "bench"), "Bench Summit", when, "conference", "signin_sheet")
    job = ImportJob(id=job_id, workspace_id=ws, file_name="attendees.csv", file_hash="x", format="signin_sheet",
                    owner_person_id=None, status=JobStatus.RUNNING, started_at=datetime.now(timezone.utc))
    with store.atomic():
        store.add_job(job)
        store.add_event(ws, event)
    t0 = time.perf_counter()
    for start in range(0, rows, batch_rows):
        with store.atomic():
            evidence = []
            for i in range(start, min(rows, start + batch_rows)):
                email = f"person{i}@mail{i % 97}.example"
                pid = stable_id("p", ws, "email", email)
                store.add_person(ws, Person(pid, f"Person {i}", "Person", str(i), f"Company {i % 500}", "Engineer", (email,)))
                store.add_key(ws, "email", email, pid)
                store.add_key(ws, "name_org", f"person {i}|company {i % 500}", pid)
                store.add_sighting(ws, Sighting(pid, job_id, "signin_sheet", "attendees.csv", i + 2, f"Person {i}", email, "",
                                                f"Company {i % 500}", "Engineer"))
                evidence.append(Evidence(stable_id("ev", ws, "attended", event.id, pid), EvidenceKind.ATTENDED, Channel.EVENT,
                                         pid, None, event.id, when, job_id))
            store.add_evidence(ws, evidence)
            job.checkpoint_row = min(rows, start + batch_rows) + 1
            store.save_job(job)
    seconds = time.perf_counter() - t0
    entry = {"rows": rows, "seconds": round(seconds, 3), "rows_per_s": round(rows / seconds), "people": store.count_people(ws, None)}
    print(f"  {name:6} store only  {rows:>7} rows  {seconds:7.2f} s  {entry['rows_per_s']:>7} rows/s", flush=True)
    return entry


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--attendees", type=int, default=50_000)
    parser.add_argument("--connections", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--batch-rows", type=int, default=2000)
    parser.add_argument("--quick", action="store_true", help="5k attendees, 2k connections, 1 round")
    neo4j_target.add_arguments(parser)
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "neo4j_import_bench.json")
    args = parser.parse_args(argv)
    if args.quick:
        args.attendees, args.connections, args.rounds = 5_000, 2_000, 1
        if args.out.name == "neo4j_import_bench.json":
            args.out = args.out.with_name("neo4j_import_bench_quick.json")

    tmp = Path(tempfile.mkdtemp(prefix="graphsvc-bench-"))
    files = generate(tmp / "files", args.attendees, args.connections, args.seed)
    print(f"files: {args.attendees} attendees, {args.connections} connections (seed {args.seed}) in {tmp}", flush=True)

    report: dict = {
        "attendees": args.attendees, "connections": args.connections, "seed": args.seed, "batch_rows": args.batch_rows,
        "rounds": args.rounds, "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count()},
    }
    with neo4j_target.neo4j_store(args) as store:
        report["neo4j"] = run_store("neo4j", store, files, args.rounds, args.batch_rows, knows=True)
        report["neo4j"]["store_only"] = max(
            (store_level("neo4j", store, args.attendees, args.batch_rows) for _ in range(args.rounds)),
            key=lambda e: e["rows_per_s"],
        )
    if not args.no_sqlite:
        sqlite = SQLiteStore(tmp / "bench.db")
        report["sqlite"] = run_store("sqlite", sqlite, files, args.rounds, args.batch_rows, knows=False)
        report["sqlite"]["store_only"] = max(
            (store_level("sqlite", sqlite, args.attendees, args.batch_rows) for _ in range(args.rounds)),
            key=lambda e: e["rows_per_s"],
        )
        sqlite.close()

    print("\nbest round, rows/s (rows per wall second of import_file):")
    print(f"  {'file':12} {'rows':>7} {'neo4j':>9} {'sqlite':>9}")
    for key in ("connections", "attendees", "store_only"):
        n = report["neo4j"][key]
        s = report.get("sqlite", {}).get(key, {})
        print(f"  {key:12} {n['rows']:>7} {n['rows_per_s']:>9} {s.get('rows_per_s', '-'):>9}")
    shutil.rmtree(tmp, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
