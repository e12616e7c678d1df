"""GraphiQL without internet: strawberry's page loads React, GraphiQL and its explorer plugin from
unpkg.com, so without a connection it stays blank. graphsvc serves those files itself from package
data (``static/graphiql``, byte-identical: the page's ``integrity`` hashes still check them) and
rewrites the page to load them from ``/graphiql/<file>``."""

from __future__ import annotations

from pathlib import Path

__all__ = ["ASSETS", "PREFIX", "asset", "offline_html"]

STATIC = Path(__file__).resolve().parent / "static" / "graphiql"
#: Where the page loads the files from.
PREFIX = "/graphiql/"
#: The CDN address strawberry's page names -> the file served in its place.
ASSETS = {
    "https://unpkg.com/react@18.2.0/umd/react.production.min.js": "react-18.2.0.production.min.js",
    "https://unpkg.com/react-dom@18.2.0/umd/react-dom.production.min.js": "react-dom-18.2.0.production.min.js",
    "https://unpkg.com/js-cookie@3.0.5/dist/js.cookie.min.js": "js.cookie-3.0.5.min.js",
    "https://unpkg.com/graphiql@3.8.3/graphiql.min.css": "graphiql-3.8.3.min.css",
    "https://unpkg.com/@graphiql/plugin-explorer@1.0.2/dist/style.css": "plugin-explorer-1.0.2.css",
    "https://unpkg.com/graphiql@3.8.3/graphiql.min.js": "graphiql-3.8.3.min.js",
    "https://unpkg.com/@graphiql/plugin-explorer@1.0.2/dist/index.umd.js": "plugin-explorer-1.0.2.umd.js",
}
_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


def offline_html(html: str) -> str:
    """Strawberry's GraphiQL page loading every asset from this server (``PREFIX``)."""
    for url, name in ASSETS.items():
        html = html.replace(f'src="{url}"', f'src="{PREFIX}{name}"').replace(f'href="{url}"', f'href="{PREFIX}{name}"')
    return html


def asset(name: str) -> tuple[bytes, str] | None:
    """The file ``name`` (one of ``ASSETS``' values) and its content type; None for any other name."""
    if name not in ASSETS.values():
        return None
    return (STATIC / name).read_bytes(), _TYPES[Path(name).suffix]
