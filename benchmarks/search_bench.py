"""People search on a real workspace: the time of one ``search_people`` as ``Graphsvc.find_person`` asks it.

    .venv/bin/python benchmarks/search_bench.py --data /tmp/search-ws --names '/tmp/team1/events/*.csv'

Opens the store under ``--data`` (a COPY of a benchmark store: opening it applies pending
migrations), takes ``--count`` names (seeded) from the attendee lists ``--names`` globs, and
times ``ClusteredStore.search_people(ws, name, 101)`` and ``count_people(ws, name)`` for each,
after ``--warm`` searches to warm the page cache. Reports the median, p95, mean and max in ms,
and how many searches found somebody.
"""

from __future__ import annotations

import argparse
import csv
import glob
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from graphsvc.identity.clusters import ClusteredStore  # noqa: E402
from graphsvc.store import SQLiteStore  # noqa: E402

NAME_COLUMNS = ("name", "your name", "full name", "attendee name")


def names_in(path: str) -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    for at, header in enumerate(rows[:10]):
        lower = [cell.strip().casefold() for cell in header]
        full = next((lower.index(c) for c in NAME_COLUMNS if c in lower), None)
        first = lower.index("first name") if "first name" in lower else None
        last = lower.index("last name") if "last name" in lower else None
        if full is None and (first is None or last is None):
            continue
        found = []
        for row in rows[at + 1 :]:
            if full is not None and full < len(row) and row[full].strip():
                found.append(row[full].strip())
            elif first is not None and last is not None and max(first, last) < len(row):
                found.append(f"{row[first].strip()} {row[last].strip()}".strip())
        return [n for n in found if n]
    return []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="data directory holding graphsvc.db (a copy)")
    parser.add_argument("--names", default="/tmp/team1/events/*.csv")
    parser.add_argument("--workspace", default="default")
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--warm", type=int, default=20)
    parser.add_argument("--seed", type=int, default=20261204)
    args = parser.parse_args()

    names = sorted({n for path in sorted(glob.glob(args.names)) for n in names_in(path)})
    random.Random(args.seed).shuffle(names)
    raw = SQLiteStore(args.data / "graphsvc.db")
    store = ClusteredStore(raw)
    ws = store.workspace(args.workspace).id
    print(f"schema {raw.schema_version()}, {raw.count_people(ws, None)} people, {len(names)} names to pick from")
    for name in names[: args.warm]:
        store.search_people(ws, name, 101)
    searches, counts, hits = [], [], 0
    for name in names[args.warm : args.warm + args.count]:
        started = time.perf_counter()
        found = store.search_people(ws, name, 101)
        searches.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        store.count_people(ws, name)
        counts.append((time.perf_counter() - started) * 1000)
        hits += bool(found)
    for label, times in (("search_people", searches), ("count_people", counts)):
        times.sort()
        print(
            f"{label}: {len(times)} searches, median {statistics.median(times):.2f} ms, "
            f"p95 {times[int(len(times) * 0.95)]:.2f} ms, mean {statistics.fmean(times):.2f} ms, max {times[-1]:.2f} ms"
        )
    print(f"found somebody for {hits} of {len(searches)}")
    raw.close()


if __name__ == "__main__":
    main()
