"""``graphsvc import PATH...``: files, folders and globs in one batch (graphsvc/imports/batch.py).

A folder an importer recognises is one input, any other is read file by file; an events
manifest names and dates attendee lists; a file that fails is reported while the others
import; importing the same batch again changes nothing; a bad manifest stops the batch before
anything is written.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from graphsvc.errors import InvalidManifest
from graphsvc.imports.batch import EventsManifest, Status, expand_paths, import_batch
from graphsvc.service import Graphsvc
from importers import ImportOptions
from tests.servers import run_cli

FIXTURES = Path(__file__).parent / "fixtures"
OWNER = "Olivia Okafor"
EXPORT = "Complete_LinkedInDataExport_03-01-2026"


@pytest.fixture
def batch(tmp_path: Path) -> Path:
    """lists/ (four attendee lists, a file no importer reads, macOS junk), exports/ (two
    Connections.csv), a whole LinkedIn export folder and an events manifest."""
    root = tmp_path / "batch"
    lists, exports = root / "lists", root / "exports"
    lists.mkdir(parents=True)
    exports.mkdir()
    for name in ("robotics_workshop_signin.csv", "kundentreffen_semicolon_cp1252.csv", "meetup_checkins.tsv", "google_forms_responses.csv"):
        shutil.copy(FIXTURES / "signin" / name, lists / name)
    (lists / "broken.csv").write_bytes(b"\x00\x01 nothing any importer understands \xff\xfe")
    (lists / ".DS_Store").write_bytes(b"junk")
    for name in ("connections_2024_url.csv", "connections_2020_no_preamble.csv"):
        shutil.copy(FIXTURES / "linkedin" / name, exports / name)
    shutil.copytree(FIXTURES / "linkedin_export" / EXPORT, root / EXPORT)
    (root / "events.csv").write_text(
        "file,name,date,kind\n"
        "lists/robotics_workshop_signin.csv,Robotics Workshop,2026-09-10,workshop\n"
        "kundentreffen_semicolon_cp1252.csv,Kundentreffen Q1,2025-03-14,meetup\n",
        encoding="utf-8",
    )
    return root


def _args(root: Path) -> list[str]:
    return [str(root / "lists"), str(root / "exports" / "*.csv"), str(root / EXPORT)]


def _events(data_dir: Path) -> dict[str, tuple[str, str]]:
    with sqlite3.connect(data_dir / "graphsvc.db") as db:
        return {name: (starts_at[:10], kind) for name, starts_at, kind in db.execute("SELECT name, starts_at, kind FROM events")}


def test_paths_folders_and_globs_expand_in_order(batch: Path) -> None:
    inputs = expand_paths([*_args(batch), str(batch / "lists" / "meetup_checkins.tsv"), str(batch / "nothing" / "*.csv")])
    names = [Path(i.label).name for i in inputs]
    assert names == [
        "broken.csv", "google_forms_responses.csv", "kundentreffen_semicolon_cp1252.csv", "meetup_checkins.tsv",
        "robotics_workshop_signin.csv",  # lists/, by name; .DS_Store left out
        "connections_2020_no_preamble.csv", "connections_2024_url.csv",  # the glob, sorted
        EXPORT,  # a recognised export folder is one input
        "*.csv",  # meetup_checkins.tsv again is not repeated; a glob matching nothing is an input that fails
    ]
    assert inputs[-1].problem and "no file or folder matches" in inputs[-1].problem
    assert all(i.problem is None for i in inputs[:-1])


def test_a_batch_imports_every_file_reports_each_and_survives_a_bad_one(service: Graphsvc, batch: Path, data_dir: Path) -> None:
    ws = service.workspace().id
    seen: list[str] = []
    progress: list[tuple[int, int]] = []
    result = import_batch(
        service, ws, _args(batch), options=ImportOptions(owner=OWNER), events=batch / "events.csv",
        progress=lambda done, total, _label: progress.append((done, total)), on_result=lambda f: seen.append(f.input.label),
    )
    by_name = {Path(f.input.label).name: f for f in result.files}
    assert seen == [f.input.label for f in result.files] and len(result.files) == 8

    broken = by_name["broken.csv"]
    assert broken.status == Status.FAILED and broken.error_code == "UNRECOGNISED_FORMAT" and broken.job is None
    assert not result.ok
    for name, f in by_name.items():
        if name != "broken.csv":
            assert f.status == Status.IMPORTED, (name, f.error)
            assert f.job is not None and f.job.rows_imported > 0
    assert by_name[EXPORT].job.format == "linkedin"  # type: ignore[union-attr]

    # the manifest named and dated the two lists that carry no event facts of their own
    assert by_name["robotics_workshop_signin.csv"].event.name == "Robotics Workshop"  # type: ignore[union-attr]
    assert by_name["kundentreffen_semicolon_cp1252.csv"].event.row == 3  # type: ignore[union-attr]
    assert by_name["meetup_checkins.tsv"].event is None
    events = _events(data_dir)
    assert events["Robotics Workshop"] == ("2026-09-10", "workshop")
    assert events["Kundentreffen Q1"] == ("2025-03-14", "meetup")

    summary = result.summary()
    jobs = [f.job for f in result.files if f.status == Status.IMPORTED]
    assert summary == {
        "files": 8, "imported": 7, "alreadyImported": 0, "failed": 1,
        "rowsRead": sum(j.rows_read for j in jobs), "rowsImported": sum(j.rows_imported for j in jobs),  # type: ignore[union-attr]
        "rowsRejected": sum(j.rows_rejected for j in jobs), "rowsSkipped": sum(j.rows_skipped for j in jobs),  # type: ignore[union-attr]
    }
    # one progress over the whole batch, in bytes, never going back, ending complete
    totals = {total for _, total in progress}
    assert len(totals) == 1 and progress[-1][0] == progress[-1][1] > 0
    assert [done for done, _ in progress] == sorted(done for done, _ in progress)


def test_importing_the_same_batch_again_changes_nothing(service: Graphsvc, batch: Path) -> None:
    ws = service.workspace().id
    first = import_batch(service, ws, _args(batch), options=ImportOptions(owner=OWNER), events=batch / "events.csv")
    people, jobs = service.store.count_people(ws, None), service.store.list_jobs(ws)
    again = import_batch(service, ws, _args(batch), options=ImportOptions(owner=OWNER), events=batch / "events.csv")
    assert [f.status for f in again.files] == [Status.FAILED if f.status == Status.FAILED else Status.ALREADY_IMPORTED for f in first.files]
    assert [f.job.id for f in again.files if f.job] == [f.job.id for f in first.files if f.job]
    assert again.summary()["alreadyImported"] == 7 and again.summary()["rowsRead"] == 0
    assert service.store.count_people(ws, None) == people
    assert [(j.id, j.rows_imported) for j in service.store.list_jobs(ws)] == [(j.id, j.rows_imported) for j in jobs]


def test_the_same_content_twice_in_one_batch_is_imported_once(service: Graphsvc, batch: Path) -> None:
    copy = batch / "copy_of_meetup.tsv"
    shutil.copy(batch / "lists" / "meetup_checkins.tsv", copy)
    result = import_batch(service, service.workspace().id, [batch / "lists" / "meetup_checkins.tsv", copy])
    assert [f.status for f in result.files] == [Status.IMPORTED, Status.ALREADY_IMPORTED]
    assert result.files[1].notes == [f"the same content as {batch / 'lists' / 'meetup_checkins.tsv'}"]


@pytest.mark.parametrize(
    ("manifest", "problems"),
    [
        ("name,date\nx.csv,2026-01-01\n", ["needs a header with a 'file' column"]),
        ("file,name,day\na.csv,A,2026-01-01\n", ["unknown column(s) 'day'"]),
        (
            "file,name,date,kind\na.csv,A,2026-02-30,meetup\n,B,2026-01-01,\nc.csv,C,2026-01-01,x,extra\na.csv,A again,,\n",
            ["row 2: date '2026-02-30' is not a date", "row 3: 'file' is empty", "row 4: 5 cells for 4 columns",
             "row 5: 'a.csv' is already described on row 2"],
        ),
    ],
)
def test_a_manifest_with_bad_rows_is_refused_with_every_problem(tmp_path: Path, manifest: str, problems: list[str]) -> None:
    (tmp_path / "events.csv").write_text(manifest, encoding="utf-8")
    with pytest.raises(InvalidManifest) as raised:
        EventsManifest.read(tmp_path / "events.csv")
    assert len(raised.value.problems) == len(problems)
    for problem, expected in zip(raised.value.problems, problems):
        assert expected in problem


def test_a_bad_manifest_stops_the_batch_before_anything_is_written(service: Graphsvc, batch: Path) -> None:
    (batch / "events.csv").write_text("file,name,date\nrobotics_workshop_signin.csv,Robotics,someday\n", encoding="utf-8")
    ws = service.workspace().id
    with pytest.raises(InvalidManifest, match="row 2: date 'someday'"):
        import_batch(service, ws, _args(batch), events=batch / "events.csv")
    # a file name that fits two files of the batch must be given as a path
    (batch / "other").mkdir()
    shutil.copy(FIXTURES / "signin" / "robotics_workshop_signin.csv", batch / "other" / "robotics_workshop_signin.csv")
    (batch / "events.csv").write_text("file,date\nrobotics_workshop_signin.csv,2026-09-10\n", encoding="utf-8")
    with pytest.raises(InvalidManifest, match="fits 2 files"):
        import_batch(service, ws, [batch / "lists", batch / "other"], events=batch / "events.csv")
    with pytest.raises(InvalidManifest, match="no such events manifest"):
        import_batch(service, ws, _args(batch), events=batch / "missing.csv")
    assert service.store.list_jobs(ws) == []


def test_manifest_rows_that_describe_no_file_are_reported(service: Graphsvc, batch: Path) -> None:
    (batch / "events.csv").write_text(
        "file,name,date,kind\nrobotics_workshop_signin.csv,Robotics Workshop,2026-09-10,workshop\nnot_here.csv,Ghost,2026-01-01,\n",
        encoding="utf-8",
    )
    result = import_batch(service, service.workspace().id, [batch / "lists" / "robotics_workshop_signin.csv"], events=batch / "events.csv")
    assert result.ok and [row.file for row in result.unused_events] == ["not_here.csv"]


def test_the_cli_imports_a_batch_with_one_summary_and_exits_1_when_a_file_failed(batch: Path, tmp_path: Path) -> None:
    env = {"GRAPHSVC_DATA_DIR": str(tmp_path / "data"), "GRAPHSVC_STORE": ""}
    args = ["import", *_args(batch), "--events", str(batch / "events.csv"), "--owner", OWNER]
    text = run_cli(args, env)
    assert text.returncode == 1, text.stderr
    lines = text.stdout.splitlines()
    assert sum(line.startswith("imported ") for line in lines) == 7
    assert [line for line in lines if line.startswith("failed ")][0].startswith(f"failed {batch / 'lists' / 'broken.csv'}: (UNRECOGNISED_FORMAT)")
    assert "event from the manifest, row 2: Robotics Workshop, 2026-09-10, workshop" in text.stdout
    assert lines[-1].startswith("8 files: 7 imported, 0 already imported, 1 failed — ")

    again = run_cli([*args, "--json"], env)
    assert again.returncode == 1
    data = json.loads(again.stdout)
    assert data["summary"]["alreadyImported"] == 7 and data["summary"]["failed"] == 1
    broken = next(f for f in data["files"] if f["path"].endswith("broken.csv"))
    assert broken["status"] == "FAILED" and broken["error"]["code"] == "UNRECOGNISED_FORMAT" and broken["job"] is None
    robotics = next(f for f in data["files"] if f["path"].endswith("robotics_workshop_signin.csv"))
    assert robotics["status"] == "ALREADY_IMPORTED" and robotics["job"]["status"] == "COMPLETED"
    assert robotics["event"] == {"file": "lists/robotics_workshop_signin.csv", "name": "Robotics Workshop", "date": "2026-09-10",
                                 "kind": "workshop", "row": 2}
    assert {r["row"] for r in robotics["rejects"]} and data["unusedEvents"] == []

    # a bad manifest: nothing imported, exit code 2, every problem named
    (batch / "bad.csv").write_text("file,name,date\n,x,2026-01-01\nlists/a.csv,y,tomorrow\n", encoding="utf-8")
    refused = run_cli(["import", str(batch / "lists"), "--events", str(batch / "bad.csv")], env)
    assert refused.returncode == 2 and "row 2: 'file' is empty" in refused.stderr and "row 3: date 'tomorrow'" in refused.stderr


def test_one_file_prints_and_fails_as_it_always_did(batch: Path, tmp_path: Path) -> None:
    env = {"GRAPHSVC_DATA_DIR": str(tmp_path / "data"), "GRAPHSVC_STORE": ""}
    sheet = str(batch / "lists" / "robotics_workshop_signin.csv")
    done = run_cli(["import", sheet, "--events", str(batch / "events.csv"), "--json"], env)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert set(data) == {"job", "rejects"} and data["job"]["status"] == "COMPLETED"
    assert run_cli(["import", sheet, "--events", str(batch / "events.csv")], env).stdout.startswith("already imported")
    failed = run_cli(["import", str(batch / "lists" / "broken.csv")], env)
    assert failed.returncode == 2 and "error (UNRECOGNISED_FORMAT)" in failed.stderr
