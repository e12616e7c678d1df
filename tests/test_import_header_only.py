"""A file with a header and no rows adds nobody: not even its owner as a member (issue 15 item 7)."""

from __future__ import annotations

from pathlib import Path

from graphsvc.model import JobStatus
from graphsvc.service import Graphsvc
from importers import ImportOptions

HEADER = "First Name,Last Name,Email Address,Company,Position,Connected On\n"
ROW = "Priya,Raman,priya@example.org,Northwind,Head of Partnerships,14 Mar 2019\n"


def test_a_header_only_file_does_not_create_its_owner_as_a_member(service: Graphsvc, tmp_path: Path) -> None:
    ws = service.workspace().id
    empty = tmp_path / "empty" / "Connections.csv"
    empty.parent.mkdir()
    empty.write_text(HEADER, encoding="utf-8")
    job = service.import_file(ws, empty, options=ImportOptions(owner="Olivia Okafor"))
    assert job.status is JobStatus.COMPLETED and (job.rows_read, job.rows_imported) == (0, 0)
    assert job.owner_person_id is None and "no rows: the export's owner was not added" in job.notes
    assert service.store.member_ids(ws) == [] and service.store.count_people(ws, None) == 0
    again = service.import_file(ws, empty, options=ImportOptions(owner="Olivia Okafor"))
    assert again.id == job.id and service.store.member_ids(ws) == []  # idempotent, still nobody

    full = tmp_path / "full" / "Connections.csv"
    full.parent.mkdir()
    full.write_text(HEADER + ROW, encoding="utf-8")
    job = service.import_file(ws, full, options=ImportOptions(owner="Olivia Okafor"))
    assert job.rows_imported == 1 and job.owner_person_id is not None
    assert service.store.member_ids(ws) == [job.owner_person_id]  # with a row, the owner is a member as before
