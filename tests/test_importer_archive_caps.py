"""Archives are bounded (issue 17): the total expanded size of a zip is capped, and importers
stream a member instead of reading it whole. The zips are crafted here, small on disk."""

from __future__ import annotations

import random
import string
import tracemalloc
import zipfile
from pathlib import Path

import pytest

import importers
import importers.source
from graphsvc.errors import ImportFailed
from graphsvc.imports.jobs import import_file
from graphsvc.store import SQLiteStore
from importers import ImportOptions, ParsedRow, Rejected, Source

CONNECTIONS = "First Name,Last Name,Email Address,Company,Position,Connected On\r\n"


def test_a_zip_expanding_past_the_total_cap_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"
    rng = random.Random(1)
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for name in ("Connections.csv", "messages.csv", "Invitations.csv"):
            z.writestr(name, "".join(rng.choices(string.ascii_letters, k=400_000)))

    assert len(Source.from_path(archive, max_expanded_bytes=2_000_000).members) == 3
    with pytest.raises(ImportFailed, match=r"expands to 1200000 bytes, over the 1000000 byte cap"):
        Source.from_path(archive, max_expanded_bytes=1_000_000)


def test_the_default_cap_applies_to_imports(store: SQLiteStore, ws: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        rng = random.Random(3)
        z.writestr("Connections.csv", CONNECTIONS + "".join(
            f"{''.join(rng.choices(string.ascii_letters, k=8))},Raman,,Northwind,Head,14 Mar 2019\r\n" for _ in range(500)
        ))
    monkeypatch.setattr(importers.source, "MAX_EXPANDED_BYTES", 10_000)
    with pytest.raises(ImportFailed, match="GRAPHSVC_MAX_ARCHIVE_BYTES"):
        import_file(store, ws, archive, options=ImportOptions(owner="Olivia Okafor"))
    assert store.list_jobs(ws) == []


def test_a_zipped_connections_csv_with_a_huge_single_line_is_streamed(tmp_path: Path) -> None:
    # 6 MB of a single line (random letters: compresses about 1.7x, under the ratio cap), between two real rows
    rng = random.Random(2)
    line = "".join(rng.choices("abcdefghij", k=6 * 1024 * 1024))
    archive = tmp_path / "Basic_LinkedInDataExport_03-01-2026.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "Connections.csv",
            CONNECTIONS + "Priya,Raman,,Northwind,Head of Partnerships,14 Mar 2019\r\n" + line + "\r\n"
            "Tomás,Ortega,tomas@example.org,Contoso,Engineer,02 Nov 2019\r\n",
        )
    del line
    assert archive.stat().st_size < 5 * 1024 * 1024

    importers.describe_formats()  # the importer modules loaded before measuring
    tracemalloc.start()
    try:
        source = Source.from_path(archive)
        importer = importers.detect(source)
        parsed = importer.parse(source, ImportOptions(owner="Olivia Okafor"))
        rows = list(parsed.rows())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert importer.name == "linkedin"
    kept = [r for r in rows if isinstance(r, ParsedRow)]
    assert [r.records[0].person.name for r in kept] == ["Priya Raman", "Tomás Ortega"]  # type: ignore[attr-defined]
    assert [(r.row, "longer than" in r.reason) for r in rows if isinstance(r, Rejected)] == [(3, True)]
    assert peak < 8 * 1024 * 1024, peak  # never the 6 MB line (let alone a 1 GB one) in memory
