"""`graphsvc token create|list|revoke`: the CLI shell over graphsvc.auth."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from graphsvc import auth
from graphsvc.settings import Settings
from graphsvc.store import open_store
from tests.servers import run_cli


def test_token_create_list_and_revoke(tmp_path: Path) -> None:
    env = {"GRAPHSVC_DATA_DIR": str(tmp_path / "data"), "GRAPHSVC_STORE": ""}
    made = run_cli(["token", "create", "maya", "--role", "read_only", "--expires-in-days", "30"], env)
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip().splitlines()[-1]
    assert secret.startswith("gs_")
    listed = json.loads(run_cli(["token", "list", "--json"], env).stdout)
    assert [(t["name"], t["role"], t["revokedAt"]) for t in listed] == [("maya", "READ_ONLY", None)]
    expires = datetime.fromisoformat(listed[0]["expiresAt"])
    assert timedelta(days=29.9) < expires - datetime.now(timezone.utc) <= timedelta(days=30)
    store = open_store(Settings(data_dir=tmp_path / "data", store=""))
    assert auth.authenticate(store, secret) is not None  # the printed secret is the stored token's
    store.close()

    assert run_cli(["token", "revoke", listed[0]["id"]], env).returncode == 0
    assert json.loads(run_cli(["token", "list", "--json"], env).stdout)[0]["revokedAt"] is not None
    assert "revoked" in run_cli(["token", "list"], env).stdout
    refused = run_cli(["token", "create", "x", "--role", "owner"], env)
    assert refused.returncode == 2 and "unknown role" in (refused.stdout + refused.stderr)
