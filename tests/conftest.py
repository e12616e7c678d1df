from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from graphsvc.service import Graphsvc
from graphsvc.settings import Settings
from graphsvc.store import SQLiteStore


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def service(data_dir: Path) -> Iterator[Graphsvc]:
    svc = Graphsvc(Settings(data_dir=data_dir, store=""))
    yield svc
    svc.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    """A fresh embedded store (the importer suites' common ground)."""
    s = SQLiteStore(tmp_path / "s.db")
    yield s
    s.close()


@pytest.fixture
def ws(store: SQLiteStore) -> str:
    return store.workspace("default").id
