"""Configuration, read from ``GRAPHSVC_*`` environment variables (documented in docs/configuration.md).

``Settings()`` takes each field from its keyword argument, else from ``GRAPHSVC_<FIELD>``
(any case), else from its default — as pydantic-settings did, without importing pydantic
(about 0.15 s of every CLI start). Values are checked and converted by the field's type: a
``dict`` field takes JSON, a ``bool`` ``true/false/1/0/yes/no/on/off``; a value that does not
fit raises ``ConfigurationError`` naming the variable.
"""

from __future__ import annotations

import json
import os
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal, NamedTuple, get_args, get_origin, get_type_hints
from urllib.parse import unquote, urlsplit

from graphsvc.errors import ConfigurationError

ENV_PREFIX = "GRAPHSVC_"


def default_data_dir() -> Path:
    """The per-user data directory (XDG on Linux, the usual places elsewhere)."""
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg else Path.home() / ".local" / "share"
    return base / "graphsvc"


def default_analytics_processes() -> int:
    """One per core the process may use, at most four (each holds the evidence arrays of the
    workspaces it answers for: docs/performance.md has the memory per scale)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(4, cores))


@dataclass(init=False)
class Settings:
    data_dir: Path = field(default_factory=default_data_dir)
    #: ``sqlite:///path/to/file.db`` or ``neo4j://user:password@host:7687[/database]`` (also
    #: ``bolt://``, ``neo4j+s://``, ``bolt+s://``, ``neo4j+ssc://``, ``bolt+ssc://``); empty means
    #: ``<data_dir>/graphsvc.db``.
    store: str = ""
    #: Name of the workspace used when a caller does not pick one.
    default_workspace: str = "default"
    #: Largest upload the API accepts, in bytes.
    max_upload_bytes: int = 200 * 1024 * 1024
    #: Rows in an import's batches (resolved and matched together, committed with the checkpoint,
    #: deep into a large file several to a transaction: ``graphsvc.imports.jobs.commit_due``): the first
    #: batch's, and the most a batch grows to in a large file (``graphsvc.imports.jobs.batch_size``).
    import_batch_rows: int = 2000
    import_max_batch_rows: int = 16000
    #: Half-lives in days per evidence kind, overriding docs/tie-strength.md's defaults, e.g.
    #: ``GRAPHSVC_HALF_LIVES='{"interaction": 90, "connection": 1000}'``.
    half_lives: dict[str, float] = field(default_factory=dict)
    #: ``development`` (GraphiQL, introspection; requests without a token act as admin of the
    #: default workspace — for one person on their own machine) or ``production`` (a bearer
    #: token on every request; no GraphiQL, no introspection).
    profile: Literal["development", "production"] = "development"
    #: Seconds a GraphQL request may take before it is answered with a timeout error.
    request_timeout_seconds: float = 30.0
    #: Processes ``graphsvc serve`` starts to answer ``introPaths`` (``graphsvc.api.analytics_processes``);
    #: 0 answers in the server's own process, on one core. Default: one per core, at most four.
    analytics_processes: int = field(default_factory=lambda: default_analytics_processes())
    #: Host names the HTTP service answers to (the ``Host`` header) and accepts as the ``Origin`` of
    #: a browser's request, comma-separated: ``graphs.example.com,.example.org`` (a leading dot:
    #: that domain and its subdomains; ``*``: any, which gives up DNS-rebinding protection). Empty:
    #: the loopback names (``localhost`` and its subdomains, ``127.0.0.1``, ``::1``) and the address
    #: ``graphsvc serve --host`` binds. The address a request arrived at is always accepted.
    allowed_hosts: str = ""
    #: Serve ``/metrics`` on this port (at ``metrics_host``) instead of on the API's port; 0: on the
    #: API's port, where the production profile asks for a bearer token.
    metrics_port: int = 0
    metrics_host: str = "127.0.0.1"
    #: Neo4j user and password when ``store`` has no ``user:password@`` (the URL wins).
    neo4j_user: str = "neo4j"
    neo4j_password: str = field(default="", repr=False)
    #: Neo4j database when ``store`` has no ``/database`` path.
    neo4j_database: str = "neo4j"
    #: Seconds to wait for a TCP connection to Neo4j before reporting it unreachable.
    neo4j_connect_timeout: float = 5.0
    #: Seconds the driver keeps retrying a transaction on transient failures before giving up.
    neo4j_max_retry_seconds: float = 15.0
    #: Rebuild the derived ``KNOWS`` relationships at the end of every completed import.
    neo4j_project_knows: bool = True

    def __init__(self, **values: Any) -> None:
        """Keyword arguments win over ``GRAPHSVC_*`` variables, which win over defaults; unknown
        keywords and variables are ignored."""
        environ = {name.upper(): value for name, value in os.environ.items() if name.upper().startswith(ENV_PREFIX)}
        hints = _hints()
        for f in fields(self):
            variable = ENV_PREFIX + f.name.upper()
            if f.name in values:
                value = _convert(values[f.name], hints[f.name], f.name, from_env=False)
            elif variable in environ:
                value = _convert(environ[variable], hints[f.name], variable, from_env=True)
            else:
                value = f.default_factory() if f.default_factory is not MISSING else f.default
            setattr(self, f.name, value)

    def model_dump(self) -> dict[str, Any]:
        """Every field's value (``Settings(**settings.model_dump())`` is an equal copy)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def model_copy(self, *, update: dict[str, Any] | None = None) -> "Settings":
        """A copy with the fields in ``update`` replaced (checked as keyword arguments are)."""
        hints = _hints()
        changed = {name: _convert(value, hints[name], name, from_env=False) for name, value in (update or {}).items() if name in hints}
        return replace(self, **changed)

    def allowed_host_names(self, bind_host: str | None = None) -> frozenset[str]:
        """``allowed_hosts`` as lower-case names (``.example.org``: the domain and its subdomains; ``*``:
        any); empty, the loopback names and ``bind_host`` (unless it is a wildcard address)."""
        names = {n.strip().lower().strip("[]") for n in self.allowed_hosts.split(",") if n.strip()}
        if not names:
            names = set(LOOPBACK_HOSTS)
            if bind_host and bind_host.strip("[]") not in ("0.0.0.0", "::", ""):
                names.add(bind_host.lower().strip("[]"))
        return frozenset(names)

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


#: What the service answers to when ``allowed_hosts`` is empty (with the bind address).
LOOPBACK_HOSTS = ("localhost", ".localhost", "127.0.0.1", "::1")

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


_HINTS: dict[str, Any] = {}


def _hints() -> dict[str, Any]:
    if not _HINTS:
        _HINTS.update(get_type_hints(Settings))
    return _HINTS


_TRUE = {"1", "true", "t", "yes", "y", "on"}
_FALSE = {"0", "false", "f", "no", "n", "off"}


def _convert(value: Any, kind: Any, name: str, *, from_env: bool) -> Any:
    """``value`` as a ``kind``, or ``ConfigurationError`` naming ``name`` (a variable or a keyword)."""

    def bad(expected: str) -> ConfigurationError:
        shown = "***" if "password" in name.lower() else value
        return ConfigurationError(f"{name}={shown!r} is not {expected}")

    origin = get_origin(kind)
    if origin is Literal:
        choices = get_args(kind)
        if value not in choices:
            raise bad("one of " + ", ".join(map(str, choices)))
        return value
    if origin is dict:
        if isinstance(value, str) and from_env:
            try:
                value = json.loads(value)
            except ValueError:
                raise bad("a JSON object") from None
        if not isinstance(value, dict):
            raise bad("a JSON object")
        key_kind, value_kind = get_args(kind)
        return {_convert(k, key_kind, name, from_env=from_env): _convert(v, value_kind, name, from_env=from_env) for k, v in value.items()}
    if kind is Path:
        if isinstance(value, (str, os.PathLike)):
            return Path(value)
        raise bad("a path")
    if kind is str:
        if isinstance(value, str):
            return value
        raise bad("a string")
    if kind is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise bad("true or false")
    if kind is int:
        if isinstance(value, bool):
            raise bad("an integer")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
        raise bad("an integer")
    if kind is float:
        if isinstance(value, bool):
            raise bad("a number")
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value.strip())
            except ValueError:
                pass
        raise bad("a number")
    raise TypeError(f"Settings.{name}: unsupported type {kind!r}")  # pragma: no cover - a new field's type
