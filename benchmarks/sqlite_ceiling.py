"""How fast can the embedded store take an attendee list at all? The write side alone.

    python benchmarks/sqlite_ceiling.py [--rows 1000000] [--batch 64000] [--seed 7]

An attendee becomes a person, an identity key (the email), a sighting (the row, for
provenance), an ``attended`` evidence row and three name blocks. This script builds exactly
those rows in Python beforehand (ids hashed as ``graphsvc.model.stable_id`` makes them, names
as ``import_bench --names many``), and times only inserting them, in key order, batch by
batch, one transaction a batch (by default as many rows as an import's transactions grow to,
``SQLiteStore.import_commit_rows``), into a store created by ``SQLiteStore`` (the real schema and
pragmas): no parsing, no identity resolution, no fuzzy matching. Then again without the
secondary indexes the service reads by, and without the name blocks, to show where the
time goes. Whatever an import does on top of this, it cannot be faster than the first line.
Results go to benchmarks/out/sqlite_ceiling.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from graphsvc.model import stable_id  # noqa: E402
from graphsvc.store import SQLiteStore  # noqa: E402

SECONDARY_INDEXES = ("persons_by_sort_name", "person_keys_by_person", "sightings_by_person", "evidence_by_event")
SYLLABLES = "ba be bi bo ka ke ki ko la le li lo ma me mi mo na ne ni no ra re ri ro sa se si so ta te ti to".split()


def attendee_rows(ws: str, start: int, stop: int, rng: random.Random) -> dict[str, list[tuple]]:
    """The rows ``graphsvc.imports.jobs`` writes for attendees ``start``..``stop`` of a new list, in key order."""
    rows: dict[str, list[tuple]] = {"persons": [], "person_keys": [], "sightings": [], "evidence": [], "person_blocks": []}
    for i in range(start, stop):
        first = "".join(rng.choice(SYLLABLES) for _ in range(2)).capitalize()
        last = "".join(rng.choice(SYLLABLES) for _ in range(3)).capitalize()
        email = f"{first}.{last}.{i}@example{i % 997}.org".lower()
        pid = stable_id("p", ws, "email", email)
        name = f"{first} {last}"
        rows["persons"].append((ws, pid, name, first, last, f"Company {i % 5003}, Inc.", "Engineer", json.dumps([email]), "", name.casefold()))
        rows["person_keys"].append((ws, "email", email, pid))
        rows["sightings"].append((ws, pid, "job_bench", "signin_sheet", "attendees.csv", i + 2, name, email, "", f"Company {i % 5003}, Inc.", "Engineer"))
        rows["evidence"].append((ws, stable_id("ev", ws, "attended", "evt_bench", pid), "attended", "event", pid, None, "evt_bench",
                                 "2026-05-01T00:00:00", "job_bench", "none"))
        f, l = first.lower(), last.lower()
        rows["person_blocks"] += [(ws, f"l:{l}|{f[0]}", pid), (ws, f"f:{f}|{l[0]}", pid), (ws, f"n:{f}|{l}", pid)]
    rows["persons"].sort(key=lambda r: r[1])
    rows["person_keys"].sort(key=lambda r: r[2])
    rows["evidence"].sort(key=lambda r: r[1])
    rows["person_blocks"].sort()
    return rows


def measure(rows: int, batch: int, seed: int, drop_indexes: bool, blocks: bool) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(Path(tmp) / "ceiling.db")
        ws = store.workspace("bench").id
        db: sqlite3.Connection = store._db  # the store's own connection: its pragmas
        if drop_indexes:
            for index in SECONDARY_INDEXES:
                db.execute(f"DROP INDEX {index}")
        rng, writing = random.Random(seed), 0.0
        for start in range(0, rows, batch):
            made = attendee_rows(ws, start, min(rows, start + batch), rng)
            began = time.perf_counter()
            with store.atomic():
                for table, values in made.items():
                    if values and (blocks or table != "person_blocks"):
                        db.executemany(f"INSERT INTO {table} VALUES ({','.join('?' * len(values[0]))})", values)
            writing += time.perf_counter() - began
        store.close()
    return {"rows": rows, "seconds": round(writing, 2), "rows_per_s": round(rows / writing)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=SQLiteStore.import_commit_rows, help="rows per transaction")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    results: dict[str, object] = {"machine": platform.machine(), "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
                                  "batch": args.batch}
    for label, drop, blocks in (("as the store has it", False, True), ("no secondary indexes", True, True),
                                ("no secondary indexes, no name blocks", True, False)):
        results[label] = measure(args.rows, args.batch, args.seed, drop, blocks)
        print(f"{label:40s} {json.dumps(results[label])}", flush=True)
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    (out / "sqlite_ceiling.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
