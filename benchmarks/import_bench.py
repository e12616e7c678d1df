"""Import throughput and peak memory on the embedded store.

    python benchmarks/import_bench.py [--rows 1000000] [--connections 30000] [--seed 7]
                                      [--names few|many] [--max-batch-rows N]

Generates (from a seed) an attendee list of ``--rows`` rows and a Connections.csv of
``--connections`` rows in their real formats, imports each into a fresh SQLite store, and
reports rows/s and the peak resident memory of the importing process (ru_maxrss, measured in
a child process per file so the figures do not mix). Results go to benchmarks/out/.

``--names`` sets how much fuzzy matching there is to do. ``few`` (the default): 320 full
names shared by everyone, so every name block passes ``graphsvc.identity.matching.MAX_BLOCK`` within
the first few thousand rows and later rows are compared with nobody, which measures parsing
and writing. ``many``: 300 given and 3,000 family names, so blocks stay small and every new
attendee is compared with the look-alikes in its blocks, as in a real list; the cost per row
grows with the store until the blocks fill.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import resource
import tempfile
import time
from pathlib import Path

FIRST = "Ana Ben Chloe Dev Emma Farid Grace Hiro Ines Jamal Kira Luca Mei Nora Omar Priya Quinn Rosa Sam Tariq".split()
LAST = "Adams Bauer Costa Diaz Evans Fischer Garcia Haddad Ito Jensen Kim Lopez Moreau Novak Okafor Patel".split()


SYLLABLES = "ba be bi bo ka ke ki ko la le li lo ma me mi mo na ne ni no ra re ri ro sa se si so ta te ti to va ve vi vo".split()


def many_names(seed: int, firsts: int = 300, lasts: int = 3000) -> tuple[list[str], list[str]]:
    """Made-up given names of two syllables and family names of three, distinct, from ``seed``."""
    rng = random.Random(seed)

    def words(count: int, syllables: int) -> list[str]:
        found: dict[str, None] = {}
        while len(found) < count:
            found["".join(rng.choice(SYLLABLES) for _ in range(syllables)).capitalize()] = None
        return list(found)

    return words(firsts, 2), words(lasts, 3)


def write_attendees(path: Path, rows: int, seed: int, names: str = "few") -> None:
    rng = random.Random(seed)
    firsts, lasts = (FIRST, LAST) if names == "few" else many_names(seed)
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("First Name,Last Name,Email,Company,Job Title\n")
        for i in range(rows):
            first, last = rng.choice(firsts), rng.choice(lasts)
            fh.write(f"{first},{last},{first.lower()}.{last.lower()}.{i}@example{i % 997}.org,\"Company {i % 5003}, Inc.\",Engineer\n")


def write_connections(path: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write('Notes:\n"When exporting your connection data, you may notice that some of the email addresses are missing."\n\n')
        fh.write("First Name,Last Name,URL,Email Address,Company,Position,Connected On\n")
        for i in range(rows):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            fh.write(f"{first},{last},https://www.linkedin.com/in/{first.lower()}-{last.lower()}-{i:x},,Company {i % 3001},Engineer,{rng.randint(1, 28):02d} Mar 2024\n")


def _run(path: str, options: dict[str, str], max_batch_rows: int | None, out: "multiprocessing.Queue[dict[str, float]]") -> None:
    from graphsvc.imports.jobs import import_file
    from graphsvc.store import SQLiteStore
    from importers import ImportOptions

    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(Path(tmp) / "bench.db")
        ws = store.workspace("default").id
        started = time.perf_counter()
        job = import_file(store, ws, path, options=ImportOptions(**options), max_batch_rows=max_batch_rows)
        elapsed = time.perf_counter() - started
        out.put({"rows": job.rows_read, "imported": job.rows_imported, "seconds": elapsed, "rows_per_s": job.rows_read / elapsed,
                 "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})


def measure(path: Path, options: dict[str, str], max_batch_rows: int | None = None) -> dict[str, float]:
    queue: "multiprocessing.Queue[dict[str, float]]" = multiprocessing.Queue()
    child = multiprocessing.Process(target=_run, args=(str(path), options, max_batch_rows, queue))
    child.start()
    result = queue.get()
    child.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--connections", type=int, default=30_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--names", choices=("few", "many"), default="few", help="how many distinct names the attendee list holds")
    parser.add_argument("--max-batch-rows", type=int, default=None, help="largest batch (default: graphsvc.imports.jobs.MAX_BATCH_ROWS)")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        connections = Path(tmp) / "Connections.csv"
        write_connections(connections, args.connections, args.seed)
        results["connections"] = measure(connections, {"owner": "Bench Owner"}, args.max_batch_rows)
        print("Connections.csv", json.dumps(results["connections"]))
        attendees = Path(tmp) / "attendees.csv"
        write_attendees(attendees, args.rows, args.seed, args.names)
        results["attendees"] = {**measure(attendees, {"event_name": "Expo", "event_date": "2026-05-01"}, args.max_batch_rows),
                                "file_mib": attendees.stat().st_size / 2**20, "names": args.names}
        print("attendee list", json.dumps(results["attendees"]))
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    (out / "import_bench.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
