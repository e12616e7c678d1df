"""GraphiQL works offline: graphsvc serves the page's scripts and styles itself (issue 15 item 7)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
from pathlib import Path

import httpx

from graphsvc.api.app import create_app
from graphsvc.api.graphiql import ASSETS, PREFIX, STATIC
from graphsvc.service import Graphsvc
from graphsvc.settings import Settings

TAG = re.compile(r'<(?:script|link)\b[^>]*?(?:src|href)="([^"]+)"[^>]*?integrity="([^"]+)"', re.S)


def _get(service: Graphsvc, paths: list[str]) -> list[httpx.Response]:
    async def go() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=create_app(service))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return [await client.get(path, headers={"accept": "text/html"} if path == "/graphql" else {}) for path in paths]

    return asyncio.run(go())


def test_the_graphiql_page_loads_everything_from_graphsvc(service: Graphsvc) -> None:
    (response,) = _get(service, ["/graphql"])
    assert response.status_code == 200 and "text/html" in response.headers["content-type"]
    page = response.text
    assert "unpkg.com" not in page and not re.search(r'(?:src|href)="https?://', page)
    tags = TAG.findall(page)
    assert sorted(src for src, _ in tags) == sorted(PREFIX + name for name in ASSETS.values())
    for (src, integrity), served in zip(tags, _get(service, [src for src, _ in tags])):
        assert served.status_code == 200, src
        assert served.headers["content-type"].startswith("text/javascript" if src.endswith(".js") else "text/css")
        digest = "sha384-" + base64.b64encode(hashlib.sha384(served.content).digest()).decode()
        assert digest == integrity, src  # byte for byte what the page expects (and what the CDN served)
    others = _get(service, [PREFIX + "LICENSE.graphiql", PREFIX + "..%2Fgraphiql.py", PREFIX + "NOTICE.md"])
    assert [r.status_code for r in others] == [404, 404, 404]  # the assets only, nothing else from the folder


def test_no_graphiql_assets_in_production(tmp_path: Path) -> None:
    service = Graphsvc(Settings(data_dir=tmp_path / "data", store="", profile="production"))
    try:
        (response,) = _get(service, [PREFIX + "graphiql-3.8.3.min.js"])
        assert response.status_code == 404
    finally:
        service.close()


def test_the_vendored_files_are_package_data_with_their_licences() -> None:
    for name in ASSETS.values():
        assert (STATIC / name).is_file(), name
    for licence in ("LICENSE.react", "LICENSE.react-dom", "LICENSE.js-cookie", "LICENSE.graphiql", "NOTICE.md"):
        assert (STATIC / licence).is_file(), licence
    pyproject = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text(encoding="utf-8")
    assert '"graphsvc.api" = ["static/graphiql/*"]' in pyproject
