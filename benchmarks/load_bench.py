"""Load benchmark: intro-path queries over HTTP from many concurrent clients while an import runs.

    python benchmarks/load_bench.py            # 10k people / 100k ties, 50 clients, 2 x 24 s of load (≈ 2-2.5 min)
    python benchmarks/load_bench.py --quick    # 2k people / 20k ties, 50 clients, 2 x 3 s (smoke run, ≈ 20 s)

Everything is local (127.0.0.1), bounded (a duration and a request cap per phase) and seeded:

1. A seeded network (``network.py``, as ``paths_bench.py``) is written as a real export file: a
   shared calendar (.ics) in which every tie is a meeting of its two people (one organizes, up
   to 24 accept), dated by the tie's strength (the strongest third met 3 days ago, the others
   ~10 and ~20 months ago), so that the strengths the service derives spread too. It is
   imported with the service's own import path (``Graphsvc.import_file``: importer, identity
   resolution, atomic batches) into a fresh data dir. Workspace ``default`` (team A) gets a
   read-only token, a second workspace (team B) a member token.
2. ``graphsvc serve`` runs on that data dir in a subprocess, 127.0.0.1 only, production profile
   (a bearer token on every request).
3. Queries: seeded (person, person) pairs with the target 2 or 3 hops from the source (BFS over
   the generated ties), asked as ``introPaths(from: email, to: email)`` selecting the paths'
   hops, their people and strengths (what a client shows).
4. Unloaded: after a warm-up (the first query builds the tie view), one client asks each query once.
5. Loaded: team B uploads another file (a generated attendee list) with ``startImport``. While
   that import runs, ``--clients`` clients (one ``httpx.AsyncClient`` each, one connection each)
   ask the queries for ``--duration`` s twice: **paced** (each client on its own Poisson schedule,
   ``--rate`` requests/s all together; latency counts from the scheduled time) and **saturation**
   (back to back, no pause: the server's throughput, and by Little's law latency ≈ clients /
   throughput). The import's progress is polled; still running at the end, it is stopped with
   ``cancelImport``. ``--same-workspace`` imports into team A's workspace instead,
   ``--import-via child-process`` runs the same import in another process on the same store,
   ``--no-import`` runs no import (the baseline). The tie view is built per minute (``as_of`` is
   rounded to it) and every request of the workspace waits while a new minute's view is built,
   so the phases start right after a minute boundary, once one request has met (and timed) that
   rebuild, and both fit in that minute (not with ``--quick``); the rebuild's cost is reported
   apart, also measured in process.
6. Latency three ways, joined by request id (``x-request-id``): the client's (send to full
   response); the server's (its access log's ``duration_ms``: from the request reaching the ASGI
   app to the response sent: authentication, GraphQL parsing and validation, execution, the wait
   for a worker thread, serialization); and the analytics alone: the same ``Graphsvc.intro_paths``
   calls in process on the same data once the server stopped (median of 3, warm). Server
   overhead = server time − analytics time of the same query.

Prints a table and writes ``benchmarks/out/load_bench.json`` (``load_bench_quick.json``,
``load_bench_same_workspace.json``). Exit status 1 when any request failed (non-200, a GraphQL
error, a transport error).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from network import Network, generate  # noqa: E402

from graphsvc import auth  # noqa: E402
from graphsvc.service import Graphsvc  # noqa: E402
from graphsvc.settings import Settings  # noqa: E402
from importers import ImportOptions  # noqa: E402

INTRO = (
    "query Intro($from: String!, $to: String!) { introPaths(from: $from, to: $to) { status "
    "paths { strength kind hops { from { id name } to { id name } strength level } } } }"
)
UPLOAD = "mutation($f: Upload!, $o: ImportOptionsInput) { startImport(file: $f, options: $o) { id status } }"
JOB = "query($id: ID!) { importJob(id: $id) { status rowsRead bytesDone bytesTotal } }"
CANCEL = "mutation($id: ID!) { cancelImport(id: $id) { status rowsRead checkpointRow } }"
CALENDAR_OWNER = "calendar-owner@bench.example"
MEETING_CAP = 24  # invitees per meeting: at most MAX_MEETING_SIZE (25), or the importer takes it for an event
FIRST = (
    "Ana Ben Chloe Dev Emma Farid Grace Hiro Ines Jamal Kira Luca Mei Nora Omar Priya Quinn Rosa Sam Tariq Uma "
    "Viktor Wen Xavi Yara Zane Amir Bea Cyril Dana Elif Femi Gita Hugo Iris Jonas Kemal Lena Milo Nadia Oskar Pia "
    "Rafael Sofia Timo Ugo Vera Wim Yusuf Zoe"
).split()
SYLLABLES = "ka ro vi le ma ten dor sa li mo ber gan fel tis nor pa quin ru sel ton ur va wen xi yan zo".split()


# ---------------------------------------------------------------------------- the data
def person_email(net: Network, i: int) -> str:
    return f"{net.ids[i]}@bench.example"


def write_calendar(net: Network, path: Path, seed: int, today: datetime) -> int:
    """The network as a shared calendar: each tie a meeting its two people accepted. Returns the meeting count."""
    rng = np.random.default_rng(seed)
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < net.people:  # distinct names: namesakes would be (rightly) suspected duplicates
        name = f"{FIRST[rng.integers(len(FIRST))]} {''.join(SYLLABLES[x] for x in rng.integers(0, len(SYLLABLES), 3)).capitalize()}"
        if name not in seen:
            seen.add(name)
            names.append(name)
    flip = rng.random(net.ties) < 0.5
    organizer, invitee = np.where(flip, net.u, net.v), np.where(flip, net.v, net.u)
    # Three recency bands: the strongest third met 3 days ago, the next ~10 months ago, the rest ~20 months ago.
    band = np.minimum((1.0 - net.strength) * 3, 2).astype(int)
    groups: dict[tuple[int, int], list[int]] = defaultdict(list)
    for o, i, b in zip(organizer.tolist(), invitee.tolist(), band.tolist()):
        groups[(o, b)].append(i)
    meetings = 0
    stamp = today.strftime("%Y%m%dT%H%M%SZ")
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//graphsvc load bench//EN\r\nX-WR-CALNAME:Team meetings\r\n")
        for (o, b), invited in sorted(groups.items()):
            start = (today - timedelta(days=3 + 300 * b, hours=int(rng.integers(0, 48)))).strftime("%Y%m%dT%H%M%SZ")
            for k in range(0, len(invited), MEETING_CAP):
                meetings += 1
                fh.write(f"BEGIN:VEVENT\r\nUID:m{meetings}@bench.example\r\nDTSTAMP:{stamp}\r\nDTSTART:{start}\r\nSUMMARY:Catch-up\r\n")
                fh.write(f"ORGANIZER;CN={names[o]}:mailto:{person_email(net, o)}\r\n")
                for i in invited[k : k + MEETING_CAP]:
                    fh.write(f"ATTENDEE;CN={names[i]};PARTSTAT=ACCEPTED:mailto:{person_email(net, i)}\r\n")
                fh.write("END:VEVENT\r\n")
        fh.write("END:VCALENDAR\r\n")
    return meetings


def write_attendees(path: Path, rows: int, seed: int) -> None:
    """An attendee list (the file team B imports during the load): distinct people, mostly distinct names."""
    rng = np.random.default_rng(seed)
    firsts = rng.integers(0, len(FIRST), rows)
    lasts = rng.integers(0, len(SYLLABLES), (rows, 4))
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("First Name,Last Name,Email,Company,Job Title\n")
        for i in range(rows):
            first, last = FIRST[firsts[i]], "".join(SYLLABLES[x] for x in lasts[i]).capitalize()
            fh.write(f"{first},{last},{first.lower()}.{last.lower()}.{i}@expo{i % 97}.example,Company {i % 5003},Engineer\n")


def pick_queries(net: Network, count: int, seed: int) -> list[dict[str, Any]]:
    """Seeded (source, target) pairs with the target at 2 or 3 hops (BFS over the generated ties)."""
    rng = np.random.default_rng(seed)
    n = net.people
    rows = np.concatenate([net.u, net.v])
    cols = np.concatenate([net.v, net.u])
    order = np.argsort(rows, kind="stable")
    cols = cols[order]
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n))])
    degree = np.diff(indptr)
    queries: list[dict[str, Any]] = []
    while len(queries) < count:
        source = int(rng.integers(n))
        if degree[source] == 0:
            continue
        dist = np.full(n, -1, dtype=np.int64)
        dist[source] = 0
        frontier = np.array([source])
        for depth in (1, 2, 3):
            nxt = np.unique(np.concatenate([cols[indptr[f] : indptr[f + 1]] for f in frontier]))
            nxt = nxt[dist[nxt] < 0]
            dist[nxt] = depth
            frontier = nxt
        want = int(rng.integers(2, 4))
        for d in (want, 5 - want):
            candidates = np.flatnonzero(dist == d)
            if len(candidates):
                target = int(rng.choice(candidates))
                queries.append({"from": person_email(net, source), "to": person_email(net, target), "hops": d})
                break
    return queries


# ---------------------------------------------------------------------------- the server
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """``graphsvc serve`` on 127.0.0.1 in a subprocess; its log (JSON access lines) goes to a file."""

    def __init__(self, data_dir: Path, log_path: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        env = {**os.environ, "GRAPHSVC_DATA_DIR": str(data_dir), "GRAPHSVC_STORE": "", "GRAPHSVC_PROFILE": "production"}
        self.log = log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "graphsvc", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=env, stdout=self.log, stderr=subprocess.STDOUT, cwd=ROOT,
        )
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited ({self.process.returncode}): {log_path.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the server did not become healthy in 60 s")
            time.sleep(0.1)

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()

    def request_durations(self) -> dict[str, float]:
        """request id -> the server's duration_ms, from its access log."""
        found: dict[str, float] = {}
        for line in self.log_path.read_text(errors="replace").splitlines():
            if '"event": "request"' not in line:
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            found[entry["request_id"]] = float(entry["duration_ms"])
        return found


# ---------------------------------------------------------------------------- measuring
@dataclass
class Sample:
    request_id: str
    query: int
    started: float  # seconds since the phase began
    latency_ms: float
    error: str = ""


@dataclass
class Phase:
    name: str
    samples: list[Sample] = field(default_factory=list)
    seconds: float = 0.0
    late: int = 0  # paced: requests sent more than 10 ms after their scheduled time (the client was still waiting)
    wall_start: float = 0.0


async def ask(client: httpx.AsyncClient, query: dict[str, Any], index: int, request_id: str, origin: float, since: float | None = None) -> Sample:
    """One intro-path request; latency from ``since`` (a paced request's scheduled time) or from sending it."""
    started = time.perf_counter()
    error = ""
    try:
        response = await client.post(
            "/graphql", json={"query": INTRO, "variables": {"from": query["from"], "to": query["to"]}},
            headers={"x-request-id": request_id},
        )
        if response.status_code != 200:
            error = f"HTTP {response.status_code}"
        else:
            body = response.json()
            if body.get("errors"):
                error = "GraphQL: " + str(body["errors"][0].get("extensions", {}).get("code") or body["errors"][0].get("message"))[:80]
            elif body["data"]["introPaths"]["status"] not in ("FOUND", "NO_PATH"):
                error = "status " + body["data"]["introPaths"]["status"]
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}"
    began = started if since is None else min(since, started)
    return Sample(request_id, index, began - origin, (time.perf_counter() - began) * 1000, error)


async def unloaded(base: str, token: str, queries: list[dict[str, Any]], prefix: str) -> Phase:
    phase = Phase(prefix)
    async with httpx.AsyncClient(base_url=base, headers={"authorization": f"Bearer {token}"}, timeout=60) as client:
        origin = time.perf_counter()
        for i, query in enumerate(queries):
            phase.samples.append(await ask(client, query, i, f"{prefix}-{i}", origin))
        phase.seconds = time.perf_counter() - origin
    return phase


async def run_phase(
    name: str, clients: list[httpx.AsyncClient], queries: list[dict[str, Any]], seconds: float, budget: int, rate: float | None, seed: int
) -> Phase:
    """``clients`` ask in a loop for ``seconds`` (at most ``budget`` requests in all): back to back
    (``rate`` None: a closed loop, the server's saturation) or each on its own Poisson schedule so
    that all together send ``rate`` requests/s (an open loop; latency counts from the scheduled
    time, so a request that waited for the client's previous one counts that wait too)."""
    phase = Phase(name)
    origin = time.perf_counter()
    phase.wall_start = time.time()
    deadline = origin + seconds
    left = {"n": budget}
    rng = random.Random(seed)
    gaps = [[rng.expovariate(rate / len(clients)) for _ in range(int(seconds * rate / len(clients) * 3) + 10)] if rate else [] for _ in clients]

    async def worker(w: int, client: httpx.AsyncClient) -> None:
        i = 0
        due = origin + (gaps[w][0] if rate else 0.0)
        while left["n"] > 0:
            if rate:
                if due >= deadline:
                    return
                wait = due - time.perf_counter()
                if wait > 0:
                    await asyncio.sleep(wait)
                elif wait < -0.010:
                    phase.late += 1
            elif time.perf_counter() >= deadline:
                return
            left["n"] -= 1
            index = (w * 7919 + i) % len(queries)
            phase.samples.append(await ask(client, queries[index], index, f"{name}-{w}-{i}", origin, due if rate else None))
            i += 1
            if rate:
                due += gaps[w][i % len(gaps[w])]

    await asyncio.gather(*(worker(w, c) for w, c in enumerate(clients)))
    phase.seconds = time.perf_counter() - origin
    return phase


async def loaded(
    base: str, token: str, importer_token: str, queries: list[dict[str, Any]], upload: Path, args: argparse.Namespace, server: "Server"
) -> tuple[list[Phase], dict[str, Any], dict[str, float]]:
    """Start the import (team B's token), then the paced phase and the saturation phase while it runs."""
    importer = httpx.AsyncClient(base_url=base, headers={"authorization": f"Bearer {importer_token}"}, timeout=120)
    clients = [
        httpx.AsyncClient(base_url=base, headers={"authorization": f"Bearer {token}"}, timeout=60, limits=httpx.Limits(max_connections=1))
        for _ in range(args.clients)
    ]
    import_info: dict[str, Any] = {"file_bytes": upload.stat().st_size, "rows": args.import_rows, "polls": []}
    cpu: dict[str, float] = {}
    phases: list[Phase] = []
    try:
        job_id = None
        child = None
        if args.import_via == "child-process" and not args.no_import:
            # The same import run by another process on the same store (no GIL shared with the server).
            code = (
                "import sys; from graphsvc.service import Graphsvc; from graphsvc.settings import Settings; "
                "from importers import ImportOptions; s = Graphsvc(Settings(data_dir=sys.argv[1], store='')); "
                "s.import_file(s.workspace(sys.argv[2]).id, sys.argv[3], options=ImportOptions(event_name='Expo', event_date='2026-05-01'))"
            )
            child = subprocess.Popen([sys.executable, "-c", code, str(args.data_dir), args.team_b, str(upload)], cwd=ROOT)
            for _ in range(600):  # until the job is recorded
                listed = (await importer.post("/graphql", json={"query": "{ importJobs(first: 100) { edges { node { id status } } } }"})).json()
                jobs = listed["data"]["importJobs"]["edges"]  # team B's workspace holds this one job
                if jobs:
                    job_id = import_info["job"] = jobs[-1]["node"]["id"]
                    break
                await asyncio.sleep(0.05)
        elif not args.no_import:
            operations = json.dumps({"query": UPLOAD, "variables": {"f": None, "o": {"eventName": "Expo", "eventDate": "2026-05-01"}}})
            response = await importer.post(
                "/graphql", data={"operations": operations, "map": json.dumps({"0": ["variables.f"]})},
                files={"0": (upload.name, upload.read_bytes(), "text/csv")},
            )
            job_id = import_info["job"] = response.json()["data"]["startImport"]["id"]
        origin = time.perf_counter()
        stop = asyncio.Event()

        async def watch() -> None:
            while job_id and not stop.is_set():
                job = (await importer.post("/graphql", json={"query": JOB, "variables": {"id": job_id}})).json()["data"]["importJob"]
                import_info["polls"].append({"t": round(time.perf_counter() - origin, 2), **job})
                if job["status"] != "RUNNING":
                    return
                try:
                    await asyncio.wait_for(stop.wait(), 0.5)
                except asyncio.TimeoutError:
                    pass

        watcher = asyncio.create_task(watch())
        if not args.quick:
            # The tie view is rebuilt for every new minute (as_of is rounded to it) and every request of
            # the workspace waits for that: start right after a minute boundary, with the rebuild done
            # (and timed) by one request, so both phases fall inside one minute.
            await asyncio.sleep(60.3 - time.time() % 60)
            rebuild = await ask(clients[0], queries[0], 0, "rebuild-0", time.perf_counter())
            import_info["minute_rebuild_ms"], import_info["minute_rebuild_error"] = rebuild.latency_ms, rebuild.error
        for name, rate in (("paced", args.rate), ("saturation", None)):
            before_server, before_client = server.cpu_seconds(), _own_cpu()
            rows_before = import_info["polls"][-1]["rowsRead"] if import_info["polls"] else 0
            phase = await run_phase(name, clients, queries, args.duration, args.max_requests, rate, args.seed)
            cpu[f"{name}_server"], cpu[f"{name}_client"] = server.cpu_seconds() - before_server, _own_cpu() - before_client
            rows_after = import_info["polls"][-1]["rowsRead"] if import_info["polls"] else 0
            import_info[f"rows_during_{name}"] = rows_after - rows_before
            import_info[f"running_after_{name}"] = bool(import_info["polls"]) and import_info["polls"][-1]["status"] == "RUNNING"
            phases.append(phase)
        stop.set()
        await watcher
        last = import_info["polls"][-1] if import_info["polls"] else {"status": "RUNNING"}
        if child is not None:
            import_info["child_process"] = "still running, terminated" if child.poll() is None else f"exited {child.returncode}"
            child.terminate()
            child.wait()
        elif job_id and last["status"] == "RUNNING":
            t = time.perf_counter()
            body = (await importer.post("/graphql", json={"query": CANCEL, "variables": {"id": job_id}})).json()
            import_info["cancel"] = {"seconds": round(time.perf_counter() - t, 3), **((body.get("data") or {}).get("cancelImport") or {}), "errors": body.get("errors")}
        import_info["final"] = None if not job_id else (await importer.post("/graphql", json={"query": JOB, "variables": {"id": job_id}})).json()["data"]["importJob"]
    finally:
        await importer.aclose()
        for client in clients:
            await client.aclose()
    return phases, import_info, cpu


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def analytics_times(data_dir: Path, queries: list[dict[str, Any]], rounds: int = 3) -> tuple[list[float], list[str], float]:
    """The same intro-path calls in process (the resolver's ``Graphsvc.intro_paths``), median of ``rounds``, warm."""
    service = Graphsvc(Settings(data_dir=data_dir, store=""))
    try:
        ws = service.workspace().id
        service.view(ws)
        for query in queries[:20]:
            service.intro_paths(ws, query["to"], from_=query["from"])
        now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
        t = time.perf_counter()
        service.view(ws, now + timedelta(minutes=1))  # what a new minute costs: tie strengths at the new as_of
        rebuild_ms = (time.perf_counter() - t) * 1000
        times, statuses = [], []
        for query in queries:
            runs = []
            for _ in range(rounds):
                t = time.perf_counter()
                result = service.intro_paths(ws, query["to"], from_=query["from"])
                runs.append((time.perf_counter() - t) * 1000)
            times.append(float(np.median(runs)))
            statuses.append(result.status.name)
        return times, statuses, rebuild_ms
    finally:
        service.close()


def timeline(phase: Phase) -> list[dict[str, float]]:
    """Per second of the phase (by the request's start): requests, p50, p95 and max client latency."""
    by_second: dict[int, list[float]] = defaultdict(list)
    for sample in phase.samples:
        by_second[int(sample.started)].append(sample.latency_ms)
    return [
        {"second": k, "requests": len(v), "p50_ms": round(float(np.percentile(v, 50)), 1), "p95_ms": round(float(np.percentile(v, 95)), 1), "max_ms": round(max(v), 1)}
        for k, v in sorted(by_second.items())
    ]


def stats(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    a = np.asarray(values, dtype=float)
    return {
        "n": len(a), "p50_ms": float(np.percentile(a, 50)), "p95_ms": float(np.percentile(a, 95)),
        "p99_ms": float(np.percentile(a, 99)), "max_ms": float(a.max()), "mean_ms": float(a.mean()),
    }


# ---------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 2k people / 20k ties, 4 s of load")
    parser.add_argument("--seed", type=int, default=20260601)
    parser.add_argument("--people", type=int)
    parser.add_argument("--ties", type=int)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, help="seconds of each load phase, paced and saturation (default 24, quick 3)")
    parser.add_argument("--rate", type=float, default=100.0, help="requests/s of all clients together in the paced phase")
    parser.add_argument("--max-requests", type=int, default=200_000, help="stop the load after this many requests")
    parser.add_argument("--queries", type=int, help="distinct queries (default 400, quick 100)")
    parser.add_argument("--import-rows", type=int, help="rows of the attendee list imported during the load")
    parser.add_argument("--same-workspace", action="store_true", help="import into the queried workspace (team A)")
    parser.add_argument("--no-import", action="store_true", help="no import during the load (the baseline)")
    parser.add_argument(
        "--import-via", choices=("api", "child-process"), default="api",
        help="api: startImport (the server runs it in a thread); child-process: the same import in another process on the same store",
    )
    parser.add_argument("--out", type=Path, default=HERE / "out")
    args = parser.parse_args(argv)
    quick = args.quick
    args.people = args.people or (2_000 if quick else 10_000)
    args.ties = args.ties or (20_000 if quick else 100_000)
    args.duration = args.duration if args.duration is not None else (3.0 if quick else 24.0)
    args.queries = args.queries or (100 if quick else 400)
    args.import_rows = args.import_rows or (30_000 if quick else 300_000)
    args.out.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    load_before = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="graphsvc-load-"))
    try:
        return _run(args, work, began, load_before)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run(args: argparse.Namespace, work: Path, began: float, load_before: tuple[float, float, float]) -> int:
    print(f"load bench: {args.people:,} people / {args.ties:,} ties, {args.clients} clients, 2 x {args.duration:g} s "
          f"(paced at {args.rate:g} req/s, then back to back), seed {args.seed}", flush=True)
    net = generate(args.people, args.ties, args.seed)
    today = datetime.now(timezone.utc).replace(microsecond=0)
    calendar = work / "team-calendar.ics"
    meetings = write_calendar(net, calendar, args.seed, today)
    upload = work / "expo-attendees.csv"
    write_attendees(upload, args.import_rows, args.seed)
    queries = pick_queries(net, args.queries, args.seed + 1)

    data_dir = work / "data"
    service = Graphsvc(Settings(data_dir=data_dir, store=""))
    try:
        team_a = service.workspace().id
        t = time.perf_counter()
        job = service.import_file(team_a, calendar, options=ImportOptions(owner=CALENDAR_OWNER))
        import_seconds = time.perf_counter() - t
        reader = auth.create_token(service.store, team_a, "team A dashboard", "read_only")[1]
        args.team_b = "default" if args.same_workspace else "team-b"
        args.data_dir = data_dir
        team_b = service.workspace(args.team_b).id
        importer = auth.create_token(service.store, team_b, "team B importer", "member")[1]
        snap_ties = len(service.view(team_a).snap.facts)
    finally:
        service.close()
    print(f"  imported {calendar.stat().st_size / 2**20:.1f} MiB calendar ({meetings:,} meetings, {job.rows_imported:,} rows) "
          f"in {import_seconds:.1f} s; {snap_ties:,} tied pairs", flush=True)

    server = Server(data_dir, work / "server.log")
    try:
        t = time.perf_counter()
        warm = asyncio.run(unloaded(server.base, reader, queries[:1], "first"))
        first_seconds = time.perf_counter() - t
        asyncio.run(unloaded(server.base, reader, queries[:20], "warm"))
        sequential = asyncio.run(unloaded(server.base, reader, queries, "seq"))
        print(f"  first query (builds the tie view) {first_seconds:.2f} s; unloaded pass over {len(queries)} queries done", flush=True)
        phases, import_info, cpu = asyncio.run(loaded(server.base, reader, importer, queries, upload, args, server))
    finally:
        server.stop()
    durations = server.request_durations()
    errors = [s for phase in [warm, sequential, *phases] for s in phase.samples if s.error]
    if import_info.get("minute_rebuild_error"):
        errors.append(Sample("rebuild-0", 0, 0.0, import_info["minute_rebuild_ms"], import_info["minute_rebuild_error"]))
    analytics, statuses, rebuild_ms = analytics_times(data_dir, queries)

    def server_times(phase: Phase) -> list[float]:
        return [durations[s.request_id] for s in phase.samples if s.request_id in durations]

    def overheads(phase: Phase) -> list[float]:
        return [durations[s.request_id] - analytics[s.query] for s in phase.samples if s.request_id in durations]

    def loaded_summary(phase: Phase) -> dict[str, Any]:
        client = stats([s.latency_ms for s in phase.samples])
        return {
            "clients": args.clients, "target_rate": args.rate if phase.name == "paced" else None, "seconds": phase.seconds,
            "requests": len(phase.samples), "requests_per_second": len(phase.samples) / phase.seconds if phase.seconds else 0.0,
            "errors": len([s for s in phase.samples if s.error]), "late_sends": phase.late,
            "client": client, "server": stats(server_times(phase)), "server_overhead": stats(overheads(phase)),
            "server_cpu_seconds": cpu[f"{phase.name}_server"], "client_cpu_seconds": cpu[f"{phase.name}_client"],
            "server_cpu_ms_per_request": 1000 * cpu[f"{phase.name}_server"] / max(1, len(phase.samples)),
            "import_rows": import_info.get(f"rows_during_{phase.name}", 0),
            "import_rows_per_second": import_info.get(f"rows_during_{phase.name}", 0) / phase.seconds if phase.seconds else 0.0,
            "import_running_at_end": import_info.get(f"running_after_{phase.name}"),
            "aim_p95_under_100_ms": client.get("p95_ms", float("inf")) < 100,
            "timeline": timeline(phase),
            # The tie view is per minute (as_of is rounded to it): a phase that spans a minute boundary
            # includes one rebuild of the view, which every request of the workspace waits for.
            "minute_boundaries_at_second": [
                round(60 * m - phase.wall_start, 1) for m in range(int(phase.wall_start // 60) + 1, int((phase.wall_start + phase.seconds) // 60) + 1)
            ],
        }

    result = {
        "machine": {
            "platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(),
            "load_average_before": load_before, "load_average_after": os.getloadavg(),
        },
        "parameters": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "network": {
            "people": net.people, "ties": net.ties, "tied_pairs_in_snapshot": snap_ties, "calendar_mib": calendar.stat().st_size / 2**20,
            "meetings": meetings, "import_seconds": import_seconds, "ties_per_second": net.ties / import_seconds,
        },
        "queries": {"count": len(queries), "hops": dict(Counter(q["hops"] for q in queries)), "statuses": dict(Counter(statuses))},
        "first_query_seconds": first_seconds,
        "view_rebuild_for_a_new_minute_ms": {"in_process_alone": rebuild_ms, "in_server_while_importing": import_info.get("minute_rebuild_ms")},
        "unloaded": {
            "client": stats([s.latency_ms for s in sequential.samples]), "server": stats(server_times(sequential)),
            "analytics": stats(analytics), "server_overhead": stats(overheads(sequential)),
        },
        "paced": loaded_summary(phases[0]),
        "saturation": loaded_summary(phases[1]),
        "import_during_load": {
            "workspace": "none (--no-import)" if args.no_import else "team A (the queried one)" if args.same_workspace else "team B (another workspace)",
            **{k: v for k, v in import_info.items() if k != "polls"}, "polls": len(import_info["polls"]),
        },
        "errors": {"total": len(errors), "kinds": dict(Counter(s.error for s in errors)), "examples": [s.__dict__ for s in errors[:5]]},
        "seconds_total": time.perf_counter() - began,
    }
    variant = "_no_import" if args.no_import else ("_same_workspace" if args.same_workspace else "") + (
        "_child_process" if args.import_via == "child-process" else "")
    name = f"load_bench{'_quick' if args.quick else ''}{variant}.json"
    (args.out / name).write_text(json.dumps(result, indent=2, default=str))
    print_table(result)
    print(f"  wrote {args.out / name} ({result['seconds_total']:.0f} s in all)")
    return 1 if errors else 0


def print_table(r: dict[str, Any]) -> None:
    def row(label: str, s: dict[str, float]) -> str:
        if not s.get("n"):
            return f"| {label} | – | – | – | – | – |"
        return f"| {label} | {s['n']:,} | {s['p50_ms']:.1f} | {s['p95_ms']:.1f} | {s['p99_ms']:.1f} | {s['max_ms']:.1f} |"

    u, paced, sat, imp = r["unloaded"], r["paced"], r["saturation"], r["import_during_load"]
    print()
    print("| ms | n | p50 | p95 | p99 | max |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    print(row("analytics in process (`Graphsvc.intro_paths`)", u["analytics"]))
    print(row("unloaded, 1 client: server (access log)", u["server"]))
    print(row("unloaded: server overhead (server − analytics)", u["server_overhead"]))
    print(row("unloaded: client", u["client"]))
    for label, p in ((f"paced, {paced['clients']} clients, {paced['target_rate']:g} req/s", paced), (f"saturation, {sat['clients']} clients back to back", sat)):
        print(row(f"{label}: server", p["server"]))
        print(row(f"{label}: server overhead", p["server_overhead"]))
        print(row(f"**{label}: client**", p["client"]))
    print()
    for name, p in (("paced", paced), ("saturation", sat)):
        print(f"{name}: {p['requests']:,} requests in {p['seconds']:.1f} s = {p['requests_per_second']:.0f} req/s, errors {p['errors']}, "
              f"p95 {p['client'].get('p95_ms', 0):.1f} ms (< 100 ms: {'met' if p['aim_p95_under_100_ms'] else 'NOT met'}); "
              f"server CPU {p['server_cpu_ms_per_request']:.2f} ms/request, client CPU {p['client_cpu_seconds']:.1f} s; "
              f"import {p['import_rows_per_second']:.0f} rows/s" + (f", {p['late_sends']} late sends" if name == "paced" else ""))
    cancel = imp.get("cancel")
    rebuild = r["view_rebuild_for_a_new_minute_ms"]
    print(f"tie view rebuilt for a new minute: {rebuild['in_process_alone']:.0f} ms in process"
          + (f", {rebuild['in_server_while_importing']:.0f} ms for the request that met it in the server (phases start after it)"
             if rebuild.get("in_server_while_importing") else ""))
    print(f"errors in all: {r['errors']['total']} ({'zero-errors check passed' if not r['errors']['total'] else r['errors']['kinds']}); "
          f"import in {imp['workspace']}" + ("" if not imp.get("final") else ": " + (
              f"cancelled after the load in {cancel['seconds']:.2f} s -> {cancel.get('status')} at row {cancel.get('checkpointRow')}"
              if cancel else f"child process {imp['child_process']}" if imp.get("child_process")
              else f"ended {imp['final']['status']} before the load did")))


if __name__ == "__main__":
    sys.exit(main())
