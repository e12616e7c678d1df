"""Structured logs: one JSON object per line on stderr. Row contents (personal data) are never logged."""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        try:
            payload = json.loads(message)
            if not isinstance(payload, dict):
                payload = {"message": message}
        except ValueError:
            payload = {"message": message}
        return json.dumps({"time": datetime.now(timezone.utc).isoformat(), "level": record.levelname.lower(), "logger": record.name, **payload})


def configure_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("graphsvc")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
