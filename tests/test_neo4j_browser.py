"""End to end: Neo4j Browser, in headless Chromium, shows graphsvc's graph through the guide.

The scenario of tests/scenario.py is imported into the embedded SQLite store, copied into the
test Neo4j (tests/neo4j_runtime) with ``sync_store``; then Debian's Chromium opens Neo4j
Browser with the connection preselected (``graphsvc.cli_neo4j.browser_url``) and the guide
(schema/neo4j/guide.html, served by ``AssetServer`` like ``graphsvc neo4j browse --serve``),
logs in, runs the guide's set-up commands (workspace parameter, ``:config``, ``:style``) and
its intro-paths and my-network queries by clicking them, and waits for the graph to be drawn
(SVG nodes and relationships in the DOM). Screenshots: test-artifacts/neo4j-browser.png
(intro paths) and test-artifacts/neo4j-browser-my-network.png.

Chromium is driven through the DevTools protocol over a WebSocket (``websocket-client``); no
test tool downloads a browser. ``scripts/install-system-deps`` installs Debian's chromium. With
``CI=true`` a missing browser (or websocket-client) fails the test; elsewhere it skips.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

import pytest

from graphsvc.cli_neo4j import ASSETS_DIR, AssetServer, browser_url
from graphsvc.settings import Neo4jTarget
from graphsvc.store.neo4j import EVIDENCE_TYPES, Neo4jStore
from graphsvc.projection.browser import COMMUNITY_LABELS, STRENGTH_BANDS
from graphsvc.projection.sync import sync_store
from tests import scenario
from tests.neo4j_runtime.fixture import neo4j_server, running_in_ci  # noqa: F401
from tests.test_neo4j_sync import delete_workspace, import_scenario

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOT = ARTIFACTS / "neo4j-browser.png"
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",  # root in CI
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",  # no calls home: this machine's network is closed
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-port=0",
    "--remote-allow-origins=*",
    "--window-size=1600,1000",
)


def _unavailable(reason: str) -> None:
    if running_in_ci():
        pytest.fail(f"{reason} (required when CI=true; scripts/install-system-deps installs Chromium)", pytrace=False)
    pytest.skip(reason)


def chromium_binary() -> str:
    explicit = os.environ.get("GRAPHSVC_CHROMIUM")
    if explicit:
        if not os.access(explicit, os.X_OK):
            _unavailable(f"GRAPHSVC_CHROMIUM={explicit} is not an executable")
        return explicit
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    _unavailable("Chromium is not installed (run scripts/install-system-deps, or set GRAPHSVC_CHROMIUM)")
    raise AssertionError("unreachable")


class Chromium:
    """Headless Chromium with one page, driven over the DevTools protocol."""

    def __init__(self, binary: str, start_timeout: float = 60.0) -> None:
        try:
            import websocket  # websocket-client
        except ImportError:
            _unavailable("the Python package websocket-client is not installed")
        self.profile = Path(tempfile.mkdtemp(prefix="graphsvc-chromium-"))
        self.log = self.profile / "chromium.log"
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [binary, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile / 'profile'}", "about:blank"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        try:
            port_file = self.profile / "profile" / "DevToolsActivePort"
            deadline = time.monotonic() + start_timeout
            while not (port_file.exists() and port_file.read_text().strip()):
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"Chromium did not start ({binary}):\n{self.log_tail()}")
                time.sleep(0.1)
            port = int(port_file.read_text().split()[0])
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as resp:
                page = next(t for t in json.load(resp) if t["type"] == "page")
            self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60, suppress_origin=True)
        except BaseException:
            self.close()
            raise
        self._next_id = 0
        self.console: list[str] = []
        self.send("Page.enable")
        self.send("Runtime.enable")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        ident = self._next_id
        self.ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            if message.get("method") == "Runtime.consoleAPICalled":
                args = message["params"].get("args", [])
                self.console.append(" ".join(str(a.get("value", a.get("description", ""))) for a in args))

    def js(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:80]}...: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def wait_for(self, expression: str, what: str, timeout: float = 60.0) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = self.js(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
            time.sleep(0.25)

    def type_text(self, text: str) -> None:
        self.send("Input.insertText", text=text)

    def key(self, key: str, code: str, vk: int, modifiers: int = 0) -> None:
        for kind in ("rawKeyDown", "keyUp"):
            self.send("Input.dispatchKeyEvent", type=kind, key=key, code=code, windowsVirtualKeyCode=vk, modifiers=modifiers)

    def screenshot(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(self.send("Page.captureScreenshot", format="png")["data"]))

    def close(self) -> None:
        ws = getattr(self, "ws", None)
        if ws is not None:
            try:
                ws.close()
            except Exception:  # noqa: BLE001 - closing anyway
                pass
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)  # Chromium and its renderers: our own session
                self.proc.wait(10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(10)
        shutil.rmtree(self.profile, ignore_errors=True)


class NeoBrowser:
    """The Neo4j Browser page: log in, run guide queries, read the drawn graph."""

    def __init__(self, chromium: Chromium) -> None:
        self.c = chromium

    def open(self, url: str) -> None:
        self.c.send("Page.navigate", url=url)
        self.c.wait_for("!!document.querySelector('[data-testid=password]')", "Neo4j Browser's connect form")

    def login(self, password: str) -> None:
        self.c.js("document.querySelector('[data-testid=password]').focus()")
        self.c.type_text(password)
        self.c.js("document.querySelector('[data-testid=connect]').click()")
        self.c.wait_for("document.body.innerText.includes('You are connected as user')", "the connection")

    def frames(self) -> int:
        return int(self.c.js("document.querySelectorAll('[data-testid=frameCommand]').length") or 0)

    def run_editor(self) -> None:
        """Run what is in the editor and wait for its frame."""
        before = self.frames()
        self.c.js("document.querySelector('[data-testid=editor-Run]').click()")
        self.c.wait_for(f"document.querySelectorAll('[data-testid=frameCommand]').length > {before}", "a new result frame")

    def editor(self, text: str) -> None:
        """Replace the editor's content with ``text``."""
        self.c.js("document.querySelector('#monaco-main-editor textarea, .monaco-editor textarea').focus()")
        self.c.key("a", "KeyA", 65, modifiers=2)  # Ctrl+A
        self.c.key("Delete", "Delete", 46)
        self.c.type_text(text)

    def guide_query(self, name: str) -> str:
        selector = f'pre.runnable[data-guide-query="{name}"]'
        if not self.c.js(f"!!document.querySelector({json.dumps(selector)})"):
            # the carousel shows one slide at a time: back to the first, then forward
            self.c.js("(() => { for (let i = 0, b; i < 20 && (b = document.querySelector('button.previous-slide:not([disabled])')); i++) b.click(); })()")
            for _ in range(20):
                if self.c.js(f"!!document.querySelector({json.dumps(selector)})"):
                    break
                self.c.js("document.querySelector('button.next-slide:not([disabled])')?.click()")
                time.sleep(0.2)
        text = self.c.wait_for(f"document.querySelector({json.dumps(selector)})?.innerText", f"the guide's {name!r} query", 10)
        self.c.js(f"document.querySelector({json.dumps(selector)}).click()")  # puts it in the editor
        self.c.wait_for(
            "(document.querySelector('.monaco-editor .view-lines')?.innerText || '').replace(/\\s+/g, ' ').trim().length > 0",
            "the editor to take the query", 10,
        )
        return text.strip()

    def graph(self, expected_nodes: int, timeout: float = 60.0) -> dict[str, Any]:
        """Wait until the newest result frame draws ``expected_nodes`` nodes and the layout settles."""
        probe = """(() => {
          const frame = document.querySelector('[data-testid=frame]');  // the newest frame is on top
          const svg = frame && frame.querySelector('svg.neod3viz');
          if (!svg) return null;
          const nodes = Array.from(svg.querySelectorAll('g.node'));
          const rels = svg.querySelectorAll('g.relationship');
          return {
            nodes: nodes.length,
            relationships: rels.length,
            captions: nodes.map(n => Array.from(n.querySelectorAll('text')).map(t => t.textContent.trim()).join(' ').trim()),
            outlines: nodes.map(n => { const c = n.querySelector('circle.b-outline');
              return c ? {fill: c.getAttribute('fill'), stroke: c.getAttribute('stroke'), r: c.getAttribute('r')} : null; }),
            relTypes: Array.from(frame.querySelectorAll('[data-testid^=property-details-overview-relationship-type-]'))
              .map(e => e.getAttribute('data-testid').replace('property-details-overview-relationship-type-', '')),
            width: svg.getBoundingClientRect().width,
          };
        })()"""
        state = self.c.wait_for(
            f"(() => {{ const s = {probe}; return s && s.nodes >= {expected_nodes} && s.relationships > 0 && s.width > 100 ? s : null }})()",
            f"a graph of {expected_nodes} nodes", timeout,
        )
        time.sleep(2.5)  # let the force layout settle before the screenshot
        return self.c.js(probe) or state


# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Session-scoped so that it is checked before the (session-scoped) Neo4j server starts."""
    path = chromium_binary()
    try:
        import websocket  # noqa: F401 - websocket-client
    except ImportError:
        _unavailable("the Python package websocket-client is not installed")
    return path


@pytest.fixture
def browser(chromium_path: str) -> Iterator[Chromium]:
    chromium = Chromium(chromium_path)
    try:
        yield chromium
    finally:
        chromium.close()


@pytest.fixture
def synced_scenario(neo4j_server, tmp_path: Path) -> Iterator[str]:  # noqa: F811 - the fixture
    """The scenario imported into SQLite and synced into the test Neo4j under a unique
    workspace; yields the workspace name and deletes the workspace afterwards."""
    name = f"browser-e2e-{uuid.uuid4().hex[:8]}"
    service = import_scenario(tmp_path / "data", tmp_path / "files", name)
    target = Neo4jStore(neo4j_server.bolt_uri, neo4j_server.user, neo4j_server.password)
    ws_id = None
    try:
        report = sync_store(service.store, target, name, as_of=datetime.fromisoformat(scenario.AS_OF))
        ws_id = report.target_workspace_id
        assert report.knows and report.view is not None
        yield name
    finally:
        service.close()
        target.close()
        if ws_id is not None:
            delete_workspace(neo4j_server, ws_id)


@pytest.mark.slow
@pytest.mark.neo4j
def test_browser_runs_the_guide_and_draws_the_graph(chromium_path: str, neo4j_server, synced_scenario: str, browser: Chromium) -> None:  # noqa: F811
    page = NeoBrowser(browser)
    bolt = Neo4jTarget(neo4j_server.bolt_uri.replace("bolt://", "neo4j://"), neo4j_server.user, "", "neo4j")
    with AssetServer() as assets:
        url = browser_url(neo4j_server.http_url, bolt, command=f"play {assets.url}/guide.html")
        try:
            page.open(url)
            # the URL preselected the connection: neo4j://<bolt>, user neo4j, username/password
            assert browser.js("document.querySelector('[data-testid=username]').value") == neo4j_server.user
            assert browser.js("document.querySelector('#url-input').value").endswith(neo4j_server.bolt_uri.split("//")[1])
            page.login(neo4j_server.password)

            # the guide (played by the URL's cmd=play) sets the scene
            assert page.guide_query("workspace") == ":param workspace => 'default'"
            page.editor(f":param workspace => '{synced_scenario}'")
            page.run_editor()
            browser.wait_for(f"document.body.innerText.includes('\"workspace\": \"{synced_scenario}\"')", "the workspace parameter")
            page.guide_query("config")
            page.run_editor()
            assert page.guide_query("style").startswith(f":style {assets.url}/style.grass")
            page.run_editor()
            browser.wait_for("document.body.innerText.includes('node.Community12')", "the style sheet to load")

            # warm introduction paths to Tara Voss, as the guide asks them
            assert page.guide_query("target") == ":param target => 'Tara Voss'"
            page.run_editor()
            assert "KNOWS*1..3" in page.guide_query("intro-paths")
            page.run_editor()
            graph = page.graph(expected_nodes=5)
            browser.screenshot(SCREENSHOT)

            # Olivia -> Ada -> Tara (2 hops) and two 3-hop chains through workshop guests:
            # 5 people, 6 distinct ties, each drawn as its strength band
            assert graph["nodes"] == 5, graph
            assert graph["relationships"] == 6, graph
            captions = " | ".join(graph["captions"])
            for name in ("Olivia Okafor", "Tara Voss"):
                assert name in captions, captions
            assert "Ada" in captions and "Quinn" in captions, captions  # long captions wrap
            assert set(graph["relTypes"]) <= {"*", "KNOWS_STRONG", "KNOWS_MEDIUM", "KNOWS_WEAK"}, graph["relTypes"]
            # every tie of these paths is below 0.4 (the 2024 connection 0.34, the 10-person workshop
            # 0.37 since its co-attendees no longer count as mutual contacts): all drawn weak
            assert set(graph["relTypes"]) - {"*"} == {"KNOWS_WEAK"}, graph["relTypes"]
            # the style sheet is applied: the member has a gold ring, people community colours
            olivia = graph["captions"].index(next(c for c in graph["captions"] if "Olivia" in c))
            assert graph["outlines"][olivia]["stroke"].upper() == "#D7A013", graph["outlines"]
            assert float(graph["outlines"][olivia]["r"]) == 40.0, graph["outlines"]

            # my network: the member and the three people she knows
            page.guide_query("my-network")
            page.run_editor()
            mine = page.graph(expected_nodes=4)
            browser.screenshot(ARTIFACTS / "neo4j-browser-my-network.png")
            assert mine["nodes"] == 4 and mine["relationships"] == 3, mine
            assert {c.split()[0] for c in mine["captions"]} == {"Olivia", "Ada", "Bruno", "Cleo"}, mine["captions"]
        except BaseException:
            try:
                browser.screenshot(ARTIFACTS / "neo4j-browser-failure.png")
            except Exception:  # noqa: BLE001 - the original failure matters more
                pass
            raise
    assert SCREENSHOT.stat().st_size > 10_000


# --------------------------------------------------------------------------------------------
# the style sheet and the guide as Browser reads them (no browser needed)


def parse_grass(text: str) -> dict[str, dict[str, str]]:
    """Neo4j Browser's GraSS parser (``parseGrass`` of Browser 5), in Python: quotes toggle a
    string, braces outside strings delimit rules, no comments."""
    rules: dict[str, str] = {}
    in_string = in_props = nested = False
    keyword = props = ""
    for ch in text:
        skip = True
        if ch == "{":
            if in_string:
                skip = False
            elif in_props:
                nested = True
            else:
                in_props = True
        elif ch == "}":
            if in_string:
                skip = False
            elif nested:
                nested = False
            else:
                in_props = False
                rules[keyword], keyword, props = props, "", ""
        elif ch in "'\"":
            in_string = not in_string
        else:
            skip = False
        if not skip:
            if in_props:
                props += ch
            elif not ch.isspace():
                keyword += ch
    parsed: dict[str, dict[str, str]] = {}
    for selector, body in rules.items():
        parsed[selector] = {}
        for prop in body.split(";"):
            parts = prop.split(":")
            if len(parts) == 2:
                parsed[selector][parts[0].strip()] = parts[1].strip()
            else:
                assert not prop.strip(), f"{selector}: Browser drops {prop.strip()!r}"
    return parsed


def test_the_style_sheet_parses_as_browser_reads_it() -> None:
    rules = parse_grass((ASSETS_DIR / "style.grass").read_text(encoding="utf-8"))
    for selector in rules:
        assert selector in ("node", "relationship") or re.fullmatch(r"(node|relationship)\.\w+", selector), selector
    for label in ("Person", "Member", "Organization", "Event"):
        assert rules[f"node.{label}"]["caption"] == "{name}", label
    communities = [f"node.Community{n}" for n in range(1, COMMUNITY_LABELS + 1)]
    colours = [rules[c]["color"] for c in communities]
    assert len(set(colours)) == COMMUNITY_LABELS and rules["node.Person"]["color"] not in colours
    # Member keeps the community colour: no colour of its own, and it comes after them
    assert "color" not in rules["node.Member"] and list(rules).index("node.Member") > list(rules).index(communities[-1])
    assert rules["node.Member"]["border-color"] == "#D7A013" and rules["node.Member"]["diameter"] == "80px"
    widths = [float(rules[f"relationship.{band}"]["shaft-width"].removesuffix("px")) for band, _ in STRENGTH_BANDS]
    assert widths == sorted(widths, reverse=True) and len(set(widths)) == len(widths)  # stronger = wider
    for rel_type in [*EVIDENCE_TYPES.values(), "KNOWS", "WORKS_AT"]:
        assert f"relationship.{rel_type}" in rules, rel_type


def test_the_guide_and_style_are_served_with_cors_on_localhost() -> None:
    with AssetServer() as assets:
        assert assets.url.startswith("http://localhost:")
        with urllib.request.urlopen(f"{assets.url}/guide.html", timeout=10) as resp:
            assert resp.headers["Access-Control-Allow-Origin"] == "*"
            assert resp.headers["Content-Type"].startswith("text/html")
            guide = resp.read().decode()
        assert f":style {assets.url}/style.grass" in guide and "localhost:8000" not in guide
        with urllib.request.urlopen(f"{assets.url}/style.grass", timeout=10) as resp:
            assert parse_grass(resp.read().decode())["node.Person"]["caption"] == "{name}"
        preflight = urllib.request.Request(f"{assets.url}/guide.html", method="OPTIONS", headers={"Access-Control-Request-Headers": "pragma"})
        with urllib.request.urlopen(preflight, timeout=10) as resp:
            assert resp.status == 204 and resp.headers["Access-Control-Allow-Headers"] == "*"
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"{assets.url}/../pyproject.toml", timeout=10)
        missing.value.close()
        assert missing.value.code == 404


def test_browser_url_preselects_the_connection_and_never_carries_the_password() -> None:
    target = Neo4jTarget("neo4j://db.example:7687", "alice", "s3cret-password", "people")
    url = browser_url("http://db.example:7474", target, command="guide http://localhost:8000/neo4j/guide.html")
    assert url == (
        "http://db.example:7474/browser/?dbms=neo4j://alice@db.example:7687&db=people&preselectAuthMethod=NATIVE"
        "&cmd=guide&arg=http://localhost:8000/neo4j/guide.html"
    )
    assert "s3cret" not in url
    assert browser_url("http://h:7474/", Neo4jTarget("bolt://h:7687", "neo4j", "", "neo4j"), auth=False) == (
        "http://h:7474/browser/?dbms=bolt://h:7687&preselectAuthMethod=NO_AUTH"
    )
