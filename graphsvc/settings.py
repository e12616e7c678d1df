"""Configuration, read from ``GRAPHSVC_*`` environment variables (documented in docs/configuration.md)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal, NamedTuple
from urllib.parse import unquote, urlsplit

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
    #: ``sqlite:///path/to/file.db`` or ``neo4j://user:password@host:7687[/database]`` (also
    #: ``bolt://``, ``neo4j+s://``, ``bolt+s://``, ``neo4j+ssc://``, ``bolt+ssc://``); empty means
    #: ``<data_dir>/graphsvc.db``.
    store: str = ""
    #: Name of the workspace used when a caller does not pick one.
    default_workspace: str = "default"
    #: Largest upload the API accepts, in bytes.
    max_upload_bytes: int = 200 * 1024 * 1024
    #: Rows in an import's batches (resolved and matched together, committed with the checkpoint,
    #: deep into a large file several to a transaction: ``graphsvc.jobs.commit_due``): the first
    #: batch's, and the most a batch grows to in a large file (``graphsvc.jobs.batch_size``).
    import_batch_rows: int = 2000
    import_max_batch_rows: int = 16000
    #: Half-lives in days per evidence kind, overriding docs/tie-strength.md's defaults, e.g.
    #: ``GRAPHSVC_HALF_LIVES='{"interaction": 90, "connection": 1000}'``.
    half_lives: dict[str, float] = {}
    #: ``development`` (GraphiQL, introspection; requests without a token act as admin of the
    #: default workspace — for one person on their own machine) or ``production`` (a bearer
    #: token on every request; no GraphiQL, no introspection).
    profile: Literal["development", "production"] = "development"
    #: Seconds a GraphQL request may take before it is answered with a timeout error.
    request_timeout_seconds: float = 30.0
    #: Neo4j user and password when ``store`` has no ``user:password@`` (the URL wins).
    neo4j_user: str = "neo4j"
    neo4j_password: str = ""
    #: Neo4j database when ``store`` has no ``/database`` path.
    neo4j_database: str = "neo4j"
    #: Seconds to wait for a TCP connection to Neo4j before reporting it unreachable.
    neo4j_connect_timeout: float = 5.0
    #: Seconds the driver keeps retrying a transaction on transient failures before giving up.
    neo4j_max_retry_seconds: float = 15.0
    #: Rebuild the derived ``KNOWS`` relationships at the end of every completed import.
    neo4j_project_knows: bool = True

    def store_url(self) -> str:
        return self.store or f"sqlite:///{self.data_dir / 'graphsvc.db'}"

    def store_kind(self) -> str:
        """``"sqlite"`` or ``"neo4j"``, from the scheme of ``store_url()``."""
        url = self.store_url()
        if url.startswith("sqlite:///"):
            return "sqlite"
        if urlsplit(url).scheme.lower() in NEO4J_SCHEMES:
            return "neo4j"
        raise ConfigurationError(f"GRAPHSVC_STORE={_redacted(url)!r} is not supported; {_SUPPORTED}")

    def sqlite_path(self) -> Path:
        url = self.store_url()
        if not url.startswith("sqlite:///"):
            raise ConfigurationError(f"GRAPHSVC_STORE={_redacted(url)!r} is not supported; use sqlite:///path/to/file.db")
        return Path(url.removeprefix("sqlite:///"))

    def neo4j_target(self) -> "Neo4jTarget":
        """Where and as whom to connect for a ``neo4j://`` / ``bolt://`` store URL.

        Credentials come from the URL's ``user:password@`` (percent-decoded), else from
        ``neo4j_user`` / ``neo4j_password``; the database from the URL path, else ``neo4j_database``.
        """
        url = self.store_url()
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in NEO4J_SCHEMES:
            raise ConfigurationError(f"GRAPHSVC_STORE={_redacted(url)!r} is not a Neo4j URL; {_SUPPORTED}")
        try:
            port = parts.port
        except ValueError as exc:
            raise ConfigurationError(f"GRAPHSVC_STORE={_redacted(url)!r}: {exc}") from exc
        if not parts.hostname:
            raise ConfigurationError(f"GRAPHSVC_STORE={_redacted(url)!r} names no host; {_SUPPORTED}")
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        uri = f"{scheme}://{host}:{port or 7687}"
        user = unquote(parts.username) if parts.username else self.neo4j_user
        password = unquote(parts.password) if parts.password is not None else self.neo4j_password
        database = unquote(parts.path.strip("/")) or self.neo4j_database
        return Neo4jTarget(uri, user, password, database)


NEO4J_SCHEMES = ("neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc")
_SUPPORTED = "use sqlite:///path/to/file.db or neo4j://user:password@host:7687"


class Neo4jTarget(NamedTuple):
    uri: str  # scheme://host:port, without credentials
    user: str
    password: str
    database: str


def _redacted(url: str) -> str:
    """``url`` with any password replaced by ``***`` (for error messages and logs)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    return parts._replace(netloc=f"{parts.username}:***@{netloc}").geturl()
