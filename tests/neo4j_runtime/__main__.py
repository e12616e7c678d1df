"""``python -m tests.neo4j_runtime``: run a Neo4j test server by hand (prints URLs and password)."""

from .server import main

raise SystemExit(main())
