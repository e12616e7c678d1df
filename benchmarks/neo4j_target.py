"""The Neo4j a benchmark measures: one given with ``--bolt-uri``, or one started from the test runtime
(``tests.neo4j_runtime.server.Neo4jServer``: Community 5.26, 1 GB heap, 64 MB page cache)."""

from __future__ import annotations

import argparse
from contextlib import contextmanager
from typing import Iterator

from graphsvc.store.neo4j import Neo4jStore


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bolt-uri", help="use this Neo4j instead of starting one")
    parser.add_argument("--user", default="neo4j")
    parser.add_argument("--password", default="")


@contextmanager
def neo4j_store(args: argparse.Namespace) -> Iterator[Neo4jStore]:
    """A store on the Neo4j ``args`` name (or on one started here, stopped afterwards)."""
    server = None
    if args.bolt_uri:
        uri, user, password = args.bolt_uri, args.user, args.password
    else:
        from tests.neo4j_runtime.server import Neo4jServer

        server = Neo4jServer().start()
        uri, user, password = server.bolt_uri, server.user, server.password
        print(f"Neo4j started in {server.startup_seconds:.1f} s at {uri}", flush=True)
    try:
        store = Neo4jStore(uri, user, password, project_knows_after_import=False)
        try:
            yield store
        finally:
            store.close()
    finally:
        if server is not None:
            server.stop()
