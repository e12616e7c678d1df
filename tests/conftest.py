from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from graphsvc.service import Graphsvc
from graphsvc.settings import Settings


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def service(data_dir: Path) -> Iterator[Graphsvc]:
    svc = Graphsvc(Settings(data_dir=data_dir, store=""))
    yield svc
    svc.close()
