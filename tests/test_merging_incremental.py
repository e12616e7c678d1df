"""Merging stays linear: the merge map is read once and then kept current, never rebuilt per merge.

Issue 17 ("Merging is quadratic"): every automatic merge used to rebuild the whole merge map
(``Clusters.from_merge_map``), so a list with many duplicates took quadratic time, and every
file of a batch rebuilt it twice more. These tests count the rebuilds and the records touched
rather than timing anything.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from graphsvc.identity import merging
from graphsvc.identity.clusters import Clusters
from graphsvc.service import Graphsvc
from graphsvc.store.sqlite import SQLiteStore
from importers import ImportOptions

HEADER = "First Name,Last Name,E-mail,Organisation,Job Title\n"
LETTERS = "bcdfghjklmnprstvz"


def _code(number: int) -> str:
    """A distinct lower-case letter string for each number (names with digits are never typos of each other)."""
    text = ""
    while True:
        number, digit = divmod(number, len(LETTERS))
        text += LETTERS[digit] + "aeiou"[digit % 5]
        if not number:
            return text


def _name(i: int) -> tuple[str, str, str]:
    return f"Mi{_code(i)}", f"Ro{_code(i * 7 + 3)}", f"Org{_code(i)} Ltd"


def _list(tmp_path: Path, name: str, people: range, *, duplicates: bool) -> Path:
    """An attendee list of ``people``; with ``duplicates`` each is there twice (once with no
    address, the same name and organization: one person; two rows of one list with two addresses
    would be two people)."""
    rows = []
    for i in people:
        first, last, org = _name(i)
        rows.append(f"{first},{last},{first}.{last}@mail{_code(i)}.example,{org},Engineer")
        if duplicates:
            rows.append(f"{first},{last},,{org},Engineer")
    path = tmp_path / name
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every ``Clusters.from_merge_map`` call, with the size of the map it read."""
    calls: list[int] = []
    original = Clusters.from_merge_map.__func__  # type: ignore[attr-defined]

    def counted(cls: type[Clusters], merge_map: dict[str, str]) -> Clusters:
        calls.append(len(merge_map))
        return original(cls, merge_map)

    monkeypatch.setattr(Clusters, "from_merge_map", classmethod(counted))
    return calls


@pytest.fixture
def moved(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The records each in-place update of the clusters is given."""
    calls: list[int] = []
    original = Clusters._move

    def counted(self: Clusters, records, survivor):  # type: ignore[no-untyped-def]
        records = list(records)
        calls.append(len(records))
        return original(self, records, survivor)

    monkeypatch.setattr(Clusters, "_move", counted)
    return calls


def _event(name: str) -> ImportOptions:
    return ImportOptions(event_name=name, event_date="2025-05-02")


def test_a_list_of_duplicates_merges_without_rebuilding_the_merge_map(
    service: Graphsvc, tmp_path: Path, builds: list[int], moved: list[int]
) -> None:
    ws = service.workspace().id
    store = service.raw_store
    job = service.import_file(ws, _list(tmp_path, "dupes.csv", range(1500), duplicates=True), format="signin_sheet", options=_event("A"))
    merges = store.merge_map(ws)
    assert job.rows_imported == 3000
    assert len(merges) == 1500  # every duplicate joined its person
    # read once for the whole file (several batches, 1,500 merges), not once per merge or batch
    assert len(builds) <= 1
    assert len(moved) == 1500 and sum(moved) == 1500  # each merge touched the one record that moved

    # the next file of the same process starts from the clusters kept current, and a file
    # of duplicates costs no more rebuilds than one without
    builds.clear()
    service.import_file(ws, _list(tmp_path, "more.csv", range(1500, 2000), duplicates=True), format="signin_sheet", options=_event("B"))
    service.import_file(ws, _list(tmp_path, "plain.csv", range(2000, 2500), duplicates=False), format="signin_sheet", options=_event("C"))
    assert builds == []
    assert len(store.merge_map(ws)) == 2000
    assert merging.current_clusters(store, ws) == Clusters.from_merge_map(store.merge_map(ws))


def test_kept_clusters_equal_the_merge_map_after_joins_and_releases() -> None:
    rng = random.Random(5)
    records = [f"r{i:03d}" for i in range(200)]
    merge_map: dict[str, str] = {}
    clusters = Clusters.from_merge_map(merge_map)
    for _ in range(2000):
        if rng.random() < 0.7:
            survivor, absorbed = (clusters.canonical(r) for r in rng.sample(records, 2))
            if survivor == absorbed:
                continue
            moving = clusters.records_of(absorbed)
            merge_map.update({r: survivor for r in moving})
            clusters.join(moving, survivor)
        else:
            person = clusters.canonical(rng.choice(records))
            leaving = [r for r in clusters.records_of(person)[1:] if rng.random() < 0.5]
            for r in leaving:
                merge_map.pop(r)
            clusters.release(leaving)
        assert clusters == Clusters.from_merge_map(merge_map)


def test_kept_clusters_follow_other_connections_and_rollbacks(tmp_path: Path, builds: list[int]) -> None:
    path = tmp_path / "graphsvc.db"
    store, other = SQLiteStore(path), SQLiteStore(path)
    ws = store.workspace("w").id
    with store.atomic():
        merging._set_merged(store, ws, merging.current_clusters(store, ws), ["b"], "a")
    assert merging.current_clusters(store, ws).records_of("b") == ("a", "b")
    assert len(builds) == 1  # kept current by the merge itself

    # another connection (another process) merges: seen at once
    with other.atomic():
        other.set_merged_into(ws, ["c"], "a")
    assert merging.current_clusters(store, ws).records_of("a") == ("a", "b", "c")
    assert len(builds) == 2

    # a merge rolled back is forgotten with the transaction
    with pytest.raises(RuntimeError):
        with store.atomic():
            merging._set_merged(store, ws, merging.current_clusters(store, ws), ["d"], "a")
            assert merging.current_clusters(store, ws).records_of("d") == ("a", "b", "c", "d")
            raise RuntimeError("boom")
    assert merging.current_clusters(store, ws).records_of("a") == ("a", "b", "c")
    assert merging.current_clusters(store, ws) == Clusters.from_merge_map(store.merge_map(ws))
    store.close()
    other.close()
