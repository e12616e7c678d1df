"""A real Neo4j 5.26 Community server for the test suite, assembled from Maven Central.

No Docker: ``pom.xml`` next to this file lists ``org.neo4j:neo4j`` (embedded DBMS with Bolt and
the Jetty web server) and ``org.neo4j.client:neo4j-browser`` (Browser static files).
``mvn dependency:copy-dependencies`` copies that closure into a cache directory once; each
:class:`Neo4jServer` then runs ``Neo4jLauncher.java`` on it in a JVM with a fresh temporary home.

Cache: ``$GRAPHSVC_NEO4J_CACHE`` or ``~/.cache/graphsvc/neo4j-<NEO4J_VERSION>``.
Run by hand (prints URLs and credentials, Ctrl-C stops)::

    .venv/bin/python -m tests.neo4j_runtime

See docs/neo4j-runtime.md.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

NEO4J_VERSION = "5.26.30"  # keep in sync with <neo4j.version> in pom.xml
BROWSER_VERSION = "5.24.0"  # keep in sync with <neo4j-browser.version> in pom.xml
MIN_JAVA = 17
HOST = "127.0.0.1"
USER = "neo4j"

RUNTIME_DIR = Path(__file__).resolve().parent
POM = RUNTIME_DIR / "pom.xml"
LAUNCHER_SOURCE = RUNTIME_DIR / "Neo4jLauncher.java"

DEFAULT_START_TIMEOUT = 180.0  # seconds from JVM spawn to a successful verify_connectivity()
DEFAULT_ASSEMBLE_TIMEOUT = 900.0  # seconds for the one-off Maven download
DEFAULT_JAVA_OPTS = (
    "-Xms256m",
    "-Xmx1g",
    "-XX:+UseSerialGC",
    # The same opens the packaged server passes; without them the page cache and the tx-log
    # native accessors fall back to slower paths and log warnings.
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Dlog4j2.disable.jmx=true",
)
PAGECACHE_MIB = 64

_READY_RE = re.compile(r"^NEO4J READY bolt=(\d+) http=(\d+) auth=(on|off)\s*$", re.MULTILINE)
_FAILED_RE = re.compile(r"^NEO4J FAILED (.*)$", re.MULTILINE)
_BIND_ERROR_RE = re.compile(r"BindException|Address already in use|PortBindException", re.IGNORECASE)


class Neo4jStartError(RuntimeError):
    """Neo4j could not be assembled or started; the message carries the relevant log tail."""


# --------------------------------------------------------------------------------------------
# environment checks and the cache


def cache_dir() -> Path:
    """Where the assembled runtime lives (jars in ``lib/``, the compiled launcher, a stamp)."""
    env = os.environ.get("GRAPHSVC_NEO4J_CACHE")
    if env:
        return Path(env).expanduser().resolve()
    return Path.home() / ".cache" / "graphsvc" / f"neo4j-{NEO4J_VERSION}"


def _java_major(java: str) -> int | None:
    try:
        out = subprocess.run(
            [java, "-version"], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not m:
        return None
    major = int(m.group(1))
    if major == 1 and m.group(2):  # "1.8.0_392" style
        major = int(m.group(2))
    return major


def _fingerprint() -> str:
    """Changes whenever pom.xml changes, so an edited pom re-assembles the cache."""
    return hashlib.sha256(POM.read_bytes()).hexdigest()[:16]


def is_assembled(cache: Path | None = None) -> bool:
    cache = cache or cache_dir()
    stamp = cache / "assembled.stamp"
    try:
        return stamp.read_text().strip() == _fingerprint() and any((cache / "lib").glob("neo4j-*.jar"))
    except OSError:
        return False


def neo4j_unavailable_reason() -> str | None:
    """Why Neo4j cannot run on this machine, or None if it can.

    ``mvn`` is only required while the cache is not assembled yet.
    """
    java = shutil.which("java")
    if java is None:
        return f"`java` (JDK {MIN_JAVA}+) is not on PATH"
    major = _java_major(java)
    if major is None:
        return f"could not determine the Java version of {java} (`java -version` failed)"
    if major < MIN_JAVA:
        return f"Java {major} found at {java}; Neo4j {NEO4J_VERSION} needs Java {MIN_JAVA} or 21"
    if not is_assembled() and shutil.which("mvn") is None:
        return f"`mvn` is not on PATH and the Neo4j runtime is not assembled in {cache_dir()}"
    return None


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def assemble(*, timeout: float = DEFAULT_ASSEMBLE_TIMEOUT, quiet: bool = True) -> Path:
    """Download the runtime into the cache unless it is already there. Idempotent, process-safe.

    Returns the cache directory. Runs
    ``mvn -q -B -f pom.xml dependency:copy-dependencies -DoutputDirectory=<tmp> -DincludeScope=runtime``
    into a temporary folder and renames it to ``lib/`` only when Maven succeeded.
    """
    cache = cache_dir()
    if is_assembled(cache):
        return cache
    with _locked(cache / ".lock"):
        if is_assembled(cache):  # another process finished it while we waited
            return cache
        mvn = shutil.which("mvn")
        if mvn is None:
            raise Neo4jStartError(f"`mvn` is not on PATH; cannot assemble Neo4j into {cache}")
        tmp = Path(tempfile.mkdtemp(prefix="lib.tmp-", dir=cache))
        cmd = [
            mvn,
            *(["-q"] if quiet else []),
            "-B",
            "-f",
            str(POM),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={tmp}",
            "-DincludeScope=runtime",
        ]
        t0 = time.monotonic()
        try:
            proc = subprocess.run(
                cmd, capture_output=True, text=True, timeout=timeout, check=False, cwd=RUNTIME_DIR
            )
        except subprocess.TimeoutExpired as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            raise Neo4jStartError(f"Maven did not finish within {timeout:.0f} s: {' '.join(cmd)}") from exc
        if proc.returncode != 0 or not any(tmp.glob("neo4j-*.jar")):
            shutil.rmtree(tmp, ignore_errors=True)
            tail = _tail_text((proc.stdout or "") + (proc.stderr or ""), 40)
            raise Neo4jStartError(
                f"Maven failed (exit {proc.returncode}) assembling Neo4j {NEO4J_VERSION}:\n"
                f"  {' '.join(cmd)}\n{tail}"
            )
        lib = cache / "lib"
        shutil.rmtree(lib, ignore_errors=True)
        tmp.rename(lib)
        (cache / "assembled.stamp").write_text(_fingerprint() + "\n")
        (cache / "assembled.info").write_text(
            f"neo4j {NEO4J_VERSION}, neo4j-browser {BROWSER_VERSION}\n"
            f"assembled in {time.monotonic() - t0:.1f} s, {sum(1 for _ in lib.glob('*.jar'))} jars\n"
        )
    return cache


def _launcher_command(cache: Path) -> list[str]:
    """The java arguments that run the launcher: a compiled copy in the cache if javac is
    available (compiled once per launcher-source hash), else the single-file source launcher."""
    classpath = str(cache / "lib" / "*")
    source = LAUNCHER_SOURCE.read_bytes()
    digest = hashlib.sha256(source).hexdigest()[:16]
    classes = cache / f"launcher-{digest}"
    java = shutil.which("java") or "java"
    javac = shutil.which("javac") or str(Path(os.path.realpath(java)).with_name("javac"))
    if not (classes / "Neo4jLauncher.class").exists() and os.access(javac, os.X_OK):
        with _locked(cache / ".lock"):
            if not (classes / "Neo4jLauncher.class").exists():
                tmp = Path(tempfile.mkdtemp(prefix="launcher.tmp-", dir=cache))
                res = subprocess.run(
                    [javac, "-nowarn", "-cp", classpath, "-d", str(tmp), str(LAUNCHER_SOURCE)],
                    capture_output=True, text=True, timeout=300, check=False,
                )
                if res.returncode == 0:
                    # earlier launcher-* builds are left alone: another checkout sharing this
                    # cache may still use them (a few KB each)
                    tmp.rename(classes)
                else:
                    shutil.rmtree(tmp, ignore_errors=True)
                    raise Neo4jStartError(
                        f"javac failed on {LAUNCHER_SOURCE}:\n{_tail_text(res.stdout + res.stderr, 30)}"
                    )
    if (classes / "Neo4jLauncher.class").exists():
        return [java, "-cp", f"{classes}{os.pathsep}{classpath}", "Neo4jLauncher"]
    return [java, "-cp", classpath, str(LAUNCHER_SOURCE)]


# --------------------------------------------------------------------------------------------
# helpers


def _tail_text(text: str, lines: int) -> str:
    return "\n".join("    " + ln for ln in text.rstrip().splitlines()[-lines:])


def _tail_file(path: Path, lines: int) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - 64 * 1024))
            text = fh.read().decode("utf-8", "replace")
    except OSError:
        return "    (missing)"
    return _tail_text(text, lines) or "    (empty)"


def _free_ports(n: int) -> list[int]:
    """n distinct free TCP ports on 127.0.0.1 (held open together, then released)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((HOST, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


# --------------------------------------------------------------------------------------------
# the server


class Neo4jServer:
    """One Neo4j JVM with Bolt and HTTP (Browser) on free 127.0.0.1 ports and a throw-away home.

    Usage::

        server = Neo4jServer().start()   # or: with Neo4jServer() as server:
        with server.driver() as driver:
            driver.execute_query("RETURN 1")
        server.stop()

    ``auth=True`` (default) enables authentication for user ``neo4j`` with ``password`` (a random
    one unless given; at least 8 characters). ``auth=False`` disables authentication.
    """

    def __init__(
        self,
        *,
        auth: bool = True,
        password: str | None = None,
        start_timeout: float = DEFAULT_START_TIMEOUT,
        java_opts: list[str] | None = None,
        pagecache_mib: int = PAGECACHE_MIB,
        keep_home: bool | None = None,
    ) -> None:
        if password is not None and len(password) < 8:
            raise ValueError("Neo4j 5 requires passwords of at least 8 characters")
        self._auth = auth
        self._password = (password or secrets.token_urlsafe(18)) if auth else ""
        env_timeout = os.environ.get("GRAPHSVC_NEO4J_START_TIMEOUT")
        self.start_timeout = float(env_timeout) if env_timeout else start_timeout
        extra = os.environ.get("GRAPHSVC_NEO4J_JAVA_OPTS", "").split()
        self._java_opts = list(java_opts if java_opts is not None else DEFAULT_JAVA_OPTS) + extra
        self._pagecache_mib = pagecache_mib
        self._keep_home = (
            keep_home if keep_home is not None else os.environ.get("GRAPHSVC_NEO4J_KEEP_HOME") == "1"
        )
        self._proc: subprocess.Popen[bytes] | None = None
        self._log_fh = None
        self._home: Path | None = None  # temporary root, removed by stop()
        self._home_run: Path | None = None  # NEO4J_HOME of the current JVM, inside _home
        self._bolt_port: int | None = None
        self._http_port: int | None = None
        self.startup_seconds: float | None = None  # spawn -> verify_connectivity() ok

    # ---- properties -------------------------------------------------------------------------

    @property
    def bolt_uri(self) -> str:
        return f"bolt://{HOST}:{self._require(self._bolt_port)}"

    @property
    def http_url(self) -> str:
        return f"http://{HOST}:{self._require(self._http_port)}"

    @property
    def browser_url(self) -> str:
        """Neo4j Browser; it discovers the Bolt URL from ``http_url`` (GET /)."""
        return f"{self.http_url}/browser/"

    @property
    def user(self) -> str:
        return USER

    @property
    def password(self) -> str:
        """The ``neo4j`` user's password ("" when auth is disabled)."""
        return self._password

    @property
    def auth(self) -> tuple[str, str] | None:
        """The ``auth`` argument for ``neo4j.GraphDatabase.driver``."""
        return (USER, self._password) if self._auth else None

    @property
    def home(self) -> Path:
        """NEO4J_HOME of the running JVM (``data/``, ``logs/``), inside a fresh temp directory."""
        return self._require(self._home_run)

    @property
    def log_path(self) -> Path:
        """The launcher's stdout/stderr; Neo4j's own logs are in ``home / "logs"``."""
        return self.home / "launcher.log"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def driver(self, **kwargs):
        """A new ``neo4j.Driver`` for this server (the caller closes it)."""
        from neo4j import GraphDatabase

        return GraphDatabase.driver(self.bolt_uri, auth=self.auth, **kwargs)

    def _require(self, value):
        if value is None:
            raise RuntimeError("Neo4jServer is not started")
        return value

    # ---- lifecycle --------------------------------------------------------------------------

    def __enter__(self) -> Neo4jServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> Neo4jServer:
        if self._proc is not None:
            raise RuntimeError("Neo4jServer already started")
        cache = assemble()
        command = _launcher_command(cache)
        self._home = Path(tempfile.mkdtemp(prefix="graphsvc-neo4j-"))
        try:
            for attempt in range(3):
                bolt, http = _free_ports(2)
                home = self._home / f"run{attempt}"
                if self._spawn(command, home, bolt, http):
                    return self
        except BaseException:
            self.stop()
            raise
        self.stop()
        raise Neo4jStartError("Neo4j could not bind its ports after 3 attempts")

    def _spawn(self, command: list[str], home: Path, bolt: int, http: int) -> bool:
        """Start one JVM; True once connectable, False on a port clash (caller retries)."""
        home.mkdir(parents=True)
        log_path = home / "launcher.log"
        env = dict(os.environ)
        env["GRAPHSVC_NEO4J_PASSWORD"] = self._password
        env["GRAPHSVC_NEO4J_PAGECACHE"] = str(self._pagecache_mib)
        argv = [command[0], *self._java_opts, *command[1:], str(home), str(bolt), str(http)]
        t0 = time.monotonic()
        deadline = t0 + self.start_timeout
        self._log_fh = open(log_path, "wb")
        self._proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,  # the launcher exits when this pipe closes (or we die)
            stdout=self._log_fh,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=home,
            start_new_session=True,  # own process group: stop() can signal the whole tree
        )
        self._bolt_port, self._http_port = bolt, http
        self._home_run = home

        # 1) wait for the launcher's READY/FAILED line (or the process to exit)
        while True:
            text = log_path.read_text(errors="replace")
            if _READY_RE.search(text):
                break
            exited = self._proc.poll() is not None
            if exited or _FAILED_RE.search(text):
                if _BIND_ERROR_RE.search(text):
                    self._terminate()
                    return False
                self._fail("Neo4j exited during start-up" if exited else "Neo4j reported a start-up failure")
            if time.monotonic() > deadline:
                self._fail(f"Neo4j did not report READY within {self.start_timeout:.0f} s")
            time.sleep(0.1)

        # 2) the real readiness check: a Bolt handshake plus authentication through the driver
        from neo4j import GraphDatabase

        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                self._fail("Neo4j exited after reporting READY")
            try:
                with GraphDatabase.driver(self.bolt_uri, auth=self.auth) as drv:
                    drv.verify_connectivity()
                self.startup_seconds = time.monotonic() - t0
                return True
            except Exception as exc:  # noqa: BLE001 - retried until the deadline
                last_error = exc
                time.sleep(0.25)
        self._fail(
            f"driver.verify_connectivity() against {self.bolt_uri} did not succeed within "
            f"{self.start_timeout:.0f} s (last error: {last_error!r})"
        )
        raise AssertionError("unreachable")

    def _fail(self, what: str) -> None:
        home = self._require(self._home_run)
        message = (
            f"{what}.\n"
            f"  command: {' '.join(self._proc.args) if self._proc else '?'}\n"
            f"  exit code: {self._proc.poll() if self._proc else '?'}\n"
            f"--- tail of {home / 'launcher.log'} ---\n{_tail_file(home / 'launcher.log', 60)}\n"
            f"--- tail of {home / 'logs' / 'debug.log'} ---\n{_tail_file(home / 'logs' / 'debug.log', 40)}"
        )
        self._terminate()
        raise Neo4jStartError(message)

    def _terminate(self) -> None:
        """Stop the JVM: close its stdin (clean shutdown), then SIGTERM, then SIGKILL the group."""
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.stdin is not None:
                with contextlib.suppress(OSError):
                    proc.stdin.close()
            for sig, grace in ((None, 15.0), (signal.SIGTERM, 10.0), (signal.SIGKILL, 30.0)):
                if sig is not None and proc.poll() is None:
                    # the process group we created at spawn (start_new_session): the JVM and any child
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.killpg(proc.pid, sig)
                try:
                    proc.wait(timeout=grace)
                    break
                except subprocess.TimeoutExpired:
                    continue
        if self._log_fh is not None:
            self._log_fh.close()
            self._log_fh = None

    def stop(self) -> None:
        """Terminate the JVM (and its process group) and delete the temporary home. Idempotent."""
        self._terminate()
        if self._home is not None:
            if self._keep_home:
                print(f"Neo4jServer: kept {self._home}", file=sys.stderr)
            else:
                shutil.rmtree(self._home, ignore_errors=True)
        self._home = self._home_run = None
        self._bolt_port = self._http_port = None


def main() -> int:
    """Run a server by hand, e.g. to look at it in Neo4j Browser. Ctrl-C stops it."""
    reason = neo4j_unavailable_reason()
    if reason:
        print(f"Neo4j unavailable: {reason}", file=sys.stderr)
        return 1
    t0 = time.monotonic()
    if not is_assembled():
        print(f"assembling Neo4j {NEO4J_VERSION} into {cache_dir()} ...", flush=True)
    server = Neo4jServer(password=os.environ.get("GRAPHSVC_NEO4J_PASSWORD") or None)
    server.start()
    print(
        f"Neo4j {NEO4J_VERSION} ready in {time.monotonic() - t0:.1f} s\n"
        f"  bolt:     {server.bolt_uri}\n"
        f"  browser:  {server.browser_url}\n"
        f"  user:     {server.user}\n"
        f"  password: {server.password}\n"
        f"  home:     {server.home}\n"
        "Ctrl-C to stop.",
        flush=True,
    )
    try:
        while server.running:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
