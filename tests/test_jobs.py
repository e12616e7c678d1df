"""Import jobs: idempotent by content, atomic per batch (several batches to a commit in a large file), resumable after a failure."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphsvc.imports import jobs
from graphsvc.model import JobStatus
from graphsvc.store import SQLiteStore
from importers import ImportOptions
from tests import scenario


def _snapshot(store: SQLiteStore, ws: str) -> tuple:
    people = sorted((p.id, p.display_name, p.organization, p.emails) for p in store.search_people(ws, None, 10_000))
    evidence = sorted((e.id, e.person_a, e.person_b, e.event_id) for e in store.iter_evidence(ws))
    return people, evidence


def _failing_at(monkeypatch: pytest.MonkeyPatch, call: int) -> None:
    """Make the ``call``-th row written fail, as a disk going away would."""
    real_write_row, calls = jobs._write_row, {"n": 0}

    def failing_write_row(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == call:
            raise OSError("disk went away")
        return real_write_row(*args, **kwargs)

    monkeypatch.setattr(jobs, "_write_row", failing_write_row)


def test_a_failure_mid_import_keeps_whole_batches_and_a_rerun_resumes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = scenario.write_scenario(tmp_path / "files")
    options = ImportOptions(event_name="Big Tech Summit", event_date="2026-09-20")

    clean = SQLiteStore(tmp_path / "clean.db")
    clean_ws = clean.workspace("default").id
    clean_job = jobs.import_file(clean, clean_ws, files["conference"], options=options, batch_rows=100)
    assert clean_job.rows_imported == 800

    store = SQLiteStore(tmp_path / "crash.db")
    ws = store.workspace("default").id
    _failing_at(monkeypatch, 350)
    with pytest.raises(OSError):
        jobs.import_file(store, ws, files["conference"], options=options, batch_rows=100)
    failed = store.list_jobs(ws)[0]
    assert failed.status is JobStatus.FAILED and "disk went away" in failed.error
    # Only whole batches landed: 3 x 100 rows, nothing of the 4th.
    assert failed.rows_imported == 300 and store.count_people(ws, None) == 300

    monkeypatch.undo()
    resumed = jobs.import_file(store, ws, files["conference"], options=options, batch_rows=100)
    assert resumed.id == failed.id and resumed.status is JobStatus.COMPLETED
    assert (resumed.rows_read, resumed.rows_imported) == (800, 800)
    assert _snapshot(store, ws) == _snapshot(clean, clean_ws)


def test_reimporting_the_same_content_changes_nothing(tmp_path: Path) -> None:
    files = scenario.write_scenario(tmp_path / "files")
    store = SQLiteStore(tmp_path / "g.db")
    ws = store.workspace("default").id
    first = jobs.import_file(store, ws, files["connections"], options=ImportOptions(owner=scenario.OWNER))
    before = (_snapshot(store, ws), store.data_version(ws), len(store.list_jobs(ws)))
    copy = tmp_path / "renamed-copy.csv"
    copy.write_bytes(files["connections"].read_bytes())
    again = jobs.import_file(store, ws, copy, options=ImportOptions(owner=scenario.OWNER))
    assert again.id == first.id
    assert (_snapshot(store, ws), store.data_version(ws), len(store.list_jobs(ws))) == before


def test_unreadable_file_writes_nothing(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "g.db")
    ws = store.workspace("default").id
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(bytes(range(256)) * 40)
    from graphsvc.errors import ImportFailed

    with pytest.raises(ImportFailed):
        jobs.import_file(store, ws, garbage)
    assert store.list_jobs(ws) == [] and store.count_people(ws, None) == 0


def test_a_row_without_any_usable_key_is_rejected_not_fatal(tmp_path: Path) -> None:
    sheet = tmp_path / "sheet.csv"
    sheet.write_text('Name,Email\n"...",\nAda Quinn,ada@example.org\n', encoding="utf-8")
    store = SQLiteStore(tmp_path / "g.db")
    ws = store.workspace("default").id
    job = jobs.import_file(store, ws, sheet, options=ImportOptions(event_name="Dinner", event_date="2026-01-10"))
    assert job.status is JobStatus.COMPLETED and (job.rows_imported, job.rows_rejected) == (1, 1)
    assert "recognise" in store.rejects(job.id)[0].reason and store.rejects(job.id)[0].row == 2


def test_a_failed_commit_does_not_advance_the_checkpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = scenario.write_scenario(tmp_path / "files")
    store = SQLiteStore(tmp_path / "g.db")
    ws = store.workspace("default").id
    options = ImportOptions(event_name="Big Tech Summit", event_date="2026-09-20")
    real_add_rejects = store.add_rejects
    calls = {"n": 0}

    def failing_add_rejects(job_id, rejects):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("commit lost")
        return real_add_rejects(job_id, rejects)

    monkeypatch.setattr(store, "add_rejects", failing_add_rejects)
    with pytest.raises(OSError):
        jobs.import_file(store, ws, files["conference"], options=options, batch_rows=100)
    failed = store.list_jobs(ws)[0]
    assert (failed.rows_imported, failed.status) == (200, JobStatus.FAILED)
    assert failed.checkpoint_row == 201 and store.count_people(ws, None) == 200  # rows 2-201: two whole batches


def test_in_a_large_file_several_batches_share_a_commit_and_a_failure_goes_back_to_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = scenario.write_scenario(tmp_path / "files")
    options = ImportOptions(event_name="Big Tech Summit", event_date="2026-09-20")
    sizes = {"batch_rows": 100, "max_batch_rows": 100, "commit_rows": 400}
    clean = SQLiteStore(tmp_path / "clean.db")
    clean_ws = clean.workspace("default").id
    jobs.import_file(clean, clean_ws, files["conference"], options=options, **sizes)

    store = SQLiteStore(tmp_path / "crash.db")
    ws = store.workspace("default").id
    _failing_at(monkeypatch, 650)
    with pytest.raises(OSError):
        jobs.import_file(store, ws, files["conference"], options=options, **sizes)
    # Batches of 100; transactions grow as batches would (100, 100, 200, 400): rows 401-650 were
    # written in the open transaction, which rolled back to the commit after row 400.
    failed = store.list_jobs(ws)[0]
    assert (failed.status, failed.rows_read, failed.rows_imported, failed.checkpoint_row) == (JobStatus.FAILED, 400, 400, 401)
    assert store.count_people(ws, None) == 400 and store.count_evidence(ws) == 400

    monkeypatch.undo()
    resumed = jobs.import_file(store, ws, files["conference"], options=options, **sizes)
    assert resumed.status is JobStatus.COMPLETED and (resumed.rows_read, resumed.rows_imported) == (800, 800)
    assert _snapshot(store, ws) == _snapshot(clean, clean_ws)


def test_a_transaction_open_for_commit_seconds_commits_after_its_batch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = scenario.write_scenario(tmp_path / "files")
    options = ImportOptions(event_name="Big Tech Summit", event_date="2026-09-20")
    store = SQLiteStore(tmp_path / "g.db")
    ws = store.workspace("default").id
    monkeypatch.setattr(jobs, "COMMIT_SECONDS", 0.0)  # every transaction is old enough after one batch
    _failing_at(monkeypatch, 650)
    with pytest.raises(OSError):
        jobs.import_file(store, ws, files["conference"], options=options, batch_rows=100, max_batch_rows=100, commit_rows=400)
    assert store.list_jobs(ws)[0].rows_imported == 600 and store.count_people(ws, None) == 600  # each batch committed


def test_a_cancel_between_batches_commits_the_open_transaction(tmp_path: Path) -> None:
    files = scenario.write_scenario(tmp_path / "files")
    options = ImportOptions(event_name="Big Tech Summit", event_date="2026-09-20")
    sizes = {"batch_rows": 100, "max_batch_rows": 100, "commit_rows": 400}
    store = SQLiteStore(tmp_path / "g.db")
    ws = store.workspace("default").id
    asked = iter(range(1, 10_000))
    job = jobs.prepare_import(store, ws, files["conference"], options=options, **sizes).run(should_stop=lambda: next(asked) == 6)
    # asked before each batch: the fifth was in a transaction still open (commits after rows 100, 200 and 400): it stays
    assert (job.status, job.rows_imported, job.checkpoint_row) == (JobStatus.CANCELLED, 500, 501)
    assert store.count_people(ws, None) == 500 and store.get_job(ws, job.id).rows_imported == 500  # type: ignore[union-attr]
