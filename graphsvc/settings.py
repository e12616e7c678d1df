"""Configuration, read from ``GRAPHSVC_*`` environment variables (documented in docs/configuration.md)."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from graphsvc.errors import ConfigurationError


def default_data_dir() -> Path:
    """The per-user data directory (XDG on Linux, the usual places elsewhere)."""
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg else Path.home() / ".local" / "share"
    return base / "graphsvc"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GRAPHSVC_", extra="ignore")

    data_dir: Path = default_data_dir()
    #: ``sqlite:///path/to/file.db``; empty means ``<data_dir>/graphsvc.db``.
    store: str = ""
    #: Name of the workspace used when a caller does not pick one.
    default_workspace: str = "default"
    #: Largest upload the API accepts, in bytes.
    max_upload_bytes: int = 200 * 1024 * 1024
    #: Rows written per transaction during an import (each batch is atomic, with its checkpoint).
    import_batch_rows: int = 2000

    def store_url(self) -> str:
        return self.store or f"sqlite:///{self.data_dir / 'graphsvc.db'}"

    def sqlite_path(self) -> Path:
        url = self.store_url()
        if not url.startswith("sqlite:///"):
            raise ConfigurationError(
                f"GRAPHSVC_STORE={url!r} is not supported; use sqlite:///path/to/file.db"
            )
        return Path(url.removeprefix("sqlite:///"))
