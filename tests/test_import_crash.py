"""A SIGKILL in the middle of an import, then a resume, gives exactly the store of an uninterrupted import."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from graphsvc.store import SQLiteStore


def _attendee_list(path: Path, rows: int) -> None:
    lines = ["First Name,Last Name,Email,Company,Title"]
    lines += [f"Given{i},Family{i % 997},person{i}@example{i % 89}.org,Company {i % 301},Engineer" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _state(db: Path) -> tuple:
    store = SQLiteStore(db)
    ws = store.workspace("default").id
    people = sorted((p.id, p.display_name, p.emails) for p in store.search_people(ws, None, 10**6))
    evidence = sorted((e.id, e.person_a, e.event_id) for e in store.iter_evidence(ws))
    jobs = [(j.id, j.status.value, j.rows_read, j.rows_imported, j.rows_rejected) for j in store.list_jobs(ws)]
    store.close()
    return people, evidence, jobs


def _import(data: Path, csv: Path) -> subprocess.Popen[bytes]:
    # batches of 500 rows; transactions grow from one batch to several (graphsvc.imports.jobs.commit_due),
    # so the kill may land inside a transaction of many batches
    env = {**os.environ, "GRAPHSVC_DATA_DIR": str(data), "GRAPHSVC_STORE": "", "GRAPHSVC_IMPORT_BATCH_ROWS": "500",
           "GRAPHSVC_IMPORT_MAX_BATCH_ROWS": "500"}
    args = [sys.executable, "-m", "graphsvc", "import", str(csv), "--event-name", "Expo", "--event-date", "2026-05-01"]
    return subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.mark.slow
def test_sigkill_mid_import_then_resume_equals_a_clean_import(tmp_path: Path) -> None:
    csv = tmp_path / "expo-attendees.csv"
    _attendee_list(csv, 20_000)

    clean = _import(tmp_path / "clean", csv)
    assert clean.wait(timeout=600) == 0

    crashed = _import(tmp_path / "crash", csv)
    db = tmp_path / "crash" / "graphsvc.db"
    deadline = time.monotonic() + 300
    imported = 0
    while time.monotonic() < deadline and crashed.poll() is None:
        if db.exists():
            try:
                with sqlite3.connect(db, timeout=1) as conn:
                    row = conn.execute("SELECT rows_imported FROM import_jobs").fetchone()
                imported = row[0] if row else 0
            except sqlite3.Error:
                imported = 0
        if imported >= 2_000:
            break
        time.sleep(0.05)
    assert crashed.poll() is None, "the import finished before it could be killed; make the file bigger"
    os.kill(crashed.pid, signal.SIGKILL)
    crashed.wait()

    people, evidence, jobs = _state(db)
    assert jobs[0][1] == "running" and 0 < jobs[0][3] < 20_000
    assert jobs[0][3] % 500 == 0, "only whole batches are visible"
    assert len(evidence) == jobs[0][3]

    resumed = _import(tmp_path / "crash", csv)
    assert resumed.wait(timeout=600) == 0
    assert _state(db) == _state(tmp_path / "clean" / "graphsvc.db")
