"""A data directory holding the demo community (``graphsvc demo``'s data), built once per test session."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from graphsvc.demo import run_demo
from graphsvc.service import Graphsvc
from graphsvc.settings import Settings

_BUILT: dict[str, Path] = {}


def demo_data_dir(factory: object) -> Path:
    """The demo's data directory (``tmp_path_factory`` makes it); its env: ``demo_env``."""
    if "dir" not in _BUILT:
        data_dir = factory.mktemp("demo") / "data"  # type: ignore[attr-defined]
        service = run_demo(seed=7, console=Console(file=io.StringIO()), service=Graphsvc(Settings(data_dir=data_dir, store="")))
        service.close()
        _BUILT["dir"] = data_dir
    return _BUILT["dir"]


def demo_env(data_dir: Path) -> dict[str, str]:
    return {"GRAPHSVC_DATA_DIR": str(data_dir), "GRAPHSVC_STORE": "", "GRAPHSVC_PROFILE": "development", "COLUMNS": "200"}
